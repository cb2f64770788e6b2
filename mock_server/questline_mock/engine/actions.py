"""The core actions: ``grant_xp`` and ``grant_currency``.

An action only changes state, through the step's context: it never decides whether it
should run (that is the rule's conditions) and never writes to storage (that is the
caller, with the step's ``Changes``). Each handler registers itself in
``ACTION_HANDLERS`` at import; ``award_badge``, ``progress_badge`` and ``progress_quest``
register the same way from badges.py and quests.py.

A handler returns the amount it actually applied, which is stored beside the action in
``actions_executed`` so ``GET /v1/events/{id}`` shows "granted 19 coins" for a computed
amount, not just the formula.
"""

from __future__ import annotations

from ..domain import JSON
from .context import EngineContext, action_handler
from .facts import evaluate_amount
from .ledger import post_entry
from .levels import add_xp


@action_handler("grant_xp")
def grant_xp(ctx: EngineContext, action: JSON, source: str) -> JSON:
    """Add XP (levels follow in ``levels.add_xp``)."""
    amount = evaluate_amount(ctx, action.get("amount", 0))
    add_xp(ctx, amount, source)
    return {"amount": amount}


@action_handler("grant_currency")
def grant_currency(ctx: EngineContext, action: JSON, source: str) -> JSON:
    """Credit a currency through the ledger; a zero amount records nothing."""
    amount = evaluate_amount(ctx, action.get("amount", 0))
    if amount > 0:
        entry = post_entry(ctx, action["currency"], amount, source=source)
        return {"amount": amount, "transaction_id": entry.id}
    return {"amount": 0}
