"""Currencies: grants and manual transactions go through the ledger, and only through it."""

from __future__ import annotations

import pytest
from engine_harness import PROJECT, Harness
from questline_mock.engine import (
    DefinitionError,
    EngineContext,
    InsufficientBalance,
    NotFound,
    create_transaction,
    run_step,
)
from questline_mock.engine.ledger import post_entry


def balance_and_ledger(harness: Harness, user_id: str, currency: str) -> tuple[int, int]:
    with harness.storage.read(PROJECT) as view:
        user = view.get_user(user_id)
        assert user is not None
        return user.balances.get(currency, 0), view.ledger_sum(user_id, currency)


def test_grant_currency_writes_a_ledger_entry_per_grant(harness: Harness) -> None:
    harness.currency("coins")
    harness.rule("pay", "purchase", [{"type": "grant_currency", "currency": "coins", "amount": 25}])
    result = harness.send("u1", "purchase", event_id="order_1")
    assert result["effects"]["currencies"] == [{"currency": "coins", "amount": 25, "balance": 25}]
    (entry,) = harness.outcomes[-1].changes.ledger
    assert (entry.amount, entry.balance, entry.source) == (25, 25, "rule:pay")
    assert entry.event_id == result["event"]["id"]
    assert balance_and_ledger(harness, "u1", "coins") == (25, 25)


def test_effects_merge_grants_per_currency(harness: Harness) -> None:
    harness.currency("coins", "gems")
    harness.rule("a", "purchase", [{"type": "grant_currency", "currency": "coins", "amount": 5}])
    harness.rule("b", "purchase", [{"type": "grant_currency", "currency": "gems", "amount": 1}])
    harness.rule("c", "purchase", [{"type": "grant_currency", "currency": "coins", "amount": 7}])
    effects = harness.send("u1", "purchase")["effects"]
    assert effects["currencies"] == [
        {"currency": "coins", "amount": 12, "balance": 12},
        {"currency": "gems", "amount": 1, "balance": 1},
    ]
    assert len(harness.outcomes[-1].changes.ledger) == 3


def test_computed_grant_is_points_per_currency_spent(harness: Harness) -> None:
    harness.currency("coins")
    harness.rule(
        "cashback",
        "purchase",
        [
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.amount", "multiply": 0.1, "round": "nearest"},
            }
        ],
    )
    assert harness.send("u1", "purchase", {"amount": 47})["effects"]["currencies"][0]["amount"] == 5
    # A computed zero writes no ledger entry and reports no currency.
    assert harness.send("u1", "purchase", {"amount": 2})["effects"]["currencies"] == []
    assert harness.outcomes[-1].changes.ledger == []


def test_manual_credit_and_debit(harness: Harness) -> None:
    harness.currency("coins")
    harness.send("u1", "signup")
    credit = harness.transact("u1", "coins", 100, "welcome")
    debit = harness.transact("u1", "coins", -30, "hat")
    assert (credit["amount"], credit["balance"], credit["source"]) == (100, 100, "api")
    assert (debit["amount"], debit["balance"], debit["reason"]) == (-30, 70, "hat")
    assert debit["id"].startswith("txn_") and debit["event_id"] is None
    assert balance_and_ledger(harness, "u1", "coins") == (70, 70)


def test_transactions_emit_earned_and_spent(harness: Harness) -> None:
    harness.currency("coins")
    harness.send("u1", "signup")
    with harness.storage.unit_of_work(PROJECT) as uow:
        _, credit = create_transaction(
            uow, "u1", "coins", 10, None, {"k": "v"}, harness.now, harness.ids
        )
        credit.apply(uow)
        _, debit = create_transaction(uow, "u1", "coins", -4, None, {}, harness.now, harness.ids)
    assert [e.type for e in credit.domain_events] == ["user.currency.earned"]
    assert [e.type for e in debit.domain_events] == ["user.currency.spent"]
    assert debit.domain_events[0].data["balance"] == 6
    assert credit.ledger[0].metadata == {"k": "v"}


def test_debit_below_zero_is_refused_and_changes_nothing(harness: Harness) -> None:
    harness.currency("coins")
    harness.send("u1", "signup")
    harness.transact("u1", "coins", 20)
    with pytest.raises(InsufficientBalance) as caught:
        harness.transact("u1", "coins", -21)
    assert caught.value.status == 409 and caught.value.code == "insufficient_balance"
    assert balance_and_ledger(harness, "u1", "coins") == (20, 20)
    with harness.storage.read(PROJECT) as view:
        assert len(view.list_ledger("u1", 100).items) == 1


def test_transaction_for_an_unknown_user_is_not_found(harness: Harness) -> None:
    harness.currency("coins")
    with pytest.raises(NotFound) as caught:
        harness.transact("ghost", "coins", 5)
    assert caught.value.status == 404


def test_transaction_validation_names_the_field(harness: Harness) -> None:
    harness.send("u1", "signup")
    with pytest.raises(DefinitionError) as caught:
        harness.transact("u1", "gold", 0)
    assert [e["loc"] for e in caught.value.errors] == [["body", "currency"], ["body", "amount"]]


def test_credits_count_as_leaderboard_gains_debits_do_not(harness: Harness) -> None:
    harness.currency("coins")
    harness.send("u1", "signup")

    def body(ctx: EngineContext) -> dict[str, object]:
        post_entry(ctx, "coins", 9, source="manual")
        post_entry(ctx, "coins", -4, source="manual")
        return {"gains": dict(ctx.gains.currencies)}

    with harness.storage.read(PROJECT) as view:
        outcome = run_step(view, harness.user("u1"), harness.now, harness.ids, body)
    assert outcome.result == {"gains": {"coins": 9}}
    assert outcome.user.balances == {"coins": 5}
