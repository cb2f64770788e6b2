"""The ledger: the only way a balance changes.

Every credit or debit, whether a rule's grant, a reward, or a manual transaction, is one
:class:`LedgerEntry` that carries the balance after it, and the user's cached balance is
updated from the same number in the same step. Because both are written in one unit of
work, ``balance == sum(ledger)`` holds after every commit (the property test checks it
against random sequences). A debit that would go below zero raises before anything is
recorded, so a refused spend changes nothing.
"""

from __future__ import annotations

from ..domain import JSON, LedgerEntry
from .context import EngineContext, InsufficientBalance


def post_entry(
    ctx: EngineContext,
    currency: str,
    amount: int,
    *,
    source: str,
    reason: str | None = None,
    metadata: JSON | None = None,
) -> LedgerEntry:
    """Record ``amount`` (± int) in ``currency`` for the step's user and update the balance.

    Reports the change in ``effects.currencies`` (merged per currency), counts credits as
    leaderboard gains, and emits ``user.currency.earned`` or ``user.currency.spent``.
    """
    balance = ctx.user.balances.get(currency, 0) + amount
    if balance < 0:
        raise InsufficientBalance(
            f"balance of {currency!r} is {ctx.user.balances.get(currency, 0)}, "
            f"cannot debit {-amount}",
            loc=["body", "amount"],
        )
    entry = LedgerEntry(
        id=ctx.ids.new("txn", ctx.now),
        user_id=ctx.user.id,
        currency=currency,
        amount=amount,
        balance=balance,
        reason=reason,
        metadata=dict(metadata or {}),
        source=source,
        event_id=ctx.event.id if ctx.event is not None else None,
        created_at=ctx.now,
    )
    ctx.user.balances[currency] = balance
    ctx.changes.ledger.append(entry)
    _report(ctx, entry)
    return entry


def _report(ctx: EngineContext, entry: LedgerEntry) -> None:
    for line in ctx.effects.currencies:
        if line["currency"] == entry.currency:
            line["amount"] += entry.amount
            line["balance"] = entry.balance
            break
    else:
        ctx.effects.currencies.append(
            {"currency": entry.currency, "amount": entry.amount, "balance": entry.balance}
        )
    if entry.amount > 0:
        gains = ctx.gains.currencies
        gains[entry.currency] = gains.get(entry.currency, 0) + entry.amount
    ctx.emit(
        "user.currency.earned" if entry.amount > 0 else "user.currency.spent",
        {
            "currency": entry.currency,
            "amount": entry.amount,
            "balance": entry.balance,
            "source": entry.source,
            "reason": entry.reason,
            "transaction_id": entry.id,
        },
    )
