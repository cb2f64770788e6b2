"""Property: whatever events and transactions arrive, balance == ledger sum and level == f(xp).

Each step's ``Changes`` are applied through ``MemoryStorage.unit_of_work`` exactly as the
server will, so a refused transaction must leave the store as it was.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine_harness import PROJECT, Harness, make_storage
from hypothesis import given, settings
from hypothesis import strategies as st
from questline_mock.engine import InsufficientBalance, NotFound, level_for_xp

USERS = ["ann", "bob", "cy"]
CURRENCIES = ["coins", "gems"]

amounts = st.one_of(
    st.integers(-50, 500),
    st.floats(-10, 300, allow_nan=False),
    st.sampled_from(["12.5", "abc", None]),
)
events = st.tuples(
    st.just("event"),
    st.sampled_from(USERS),
    st.sampled_from(["purchase", "login", "quiz_aced"]),
    amounts,
    st.integers(-3600, 3600),
)
transactions = st.tuples(
    st.just("txn"),
    st.sampled_from(USERS),
    st.sampled_from(CURRENCIES),
    st.integers(-80, 80).filter(bool),
    st.just(0),
)


def project() -> Harness:
    harness = Harness(make_storage())
    harness.currency(*CURRENCIES)
    harness.levels(
        {
            "levels": [
                {"level": 1, "min_xp": 0},
                {
                    "level": 2,
                    "min_xp": 50,
                    "rewards": [{"type": "grant_currency", "currency": "gems", "amount": 2}],
                },
                {"level": 3, "min_xp": 120, "rewards": [{"type": "grant_xp", "amount": 30}]},
                {"level": 4, "min_xp": 400},
                {"level": 5, "min_xp": 1500},
            ]
        }
    )
    harness.rule(
        "cashback",
        "purchase",
        [
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.amount", "multiply": 0.1, "round": "nearest"},
            },
            {"type": "grant_xp", "amount": {"from": "properties.amount", "round": "ceil"}},
        ],
    )
    harness.rule(
        "daily", "login", [{"type": "grant_xp", "amount": 10}], limits={"cooldown_seconds": 600}
    )
    harness.rule(
        "ace",
        "quiz_aced",
        [
            {"type": "grant_xp", "amount": 75},
            {"type": "grant_currency", "currency": "gems", "amount": 1},
        ],
        conditions={"fact": "user.balances.coins", "operator": "gte", "value": 0},
    )
    return harness


def ledger_state(harness: Harness) -> dict[tuple[str, str], int]:
    with harness.storage.read(PROJECT) as view:
        return {(u, c): view.ledger_sum(u, c) for u in USERS for c in CURRENCIES}


def check_invariants(harness: Harness, curve: Any) -> None:
    with harness.storage.read(PROJECT) as view:
        for user_id in USERS:
            user = view.get_user(user_id)
            if user is None:
                continue
            for currency in CURRENCIES:
                assert user.balances.get(currency, 0) == view.ledger_sum(user_id, currency)
                assert user.balances.get(currency, 0) >= 0
            assert user.level == level_for_xp(user.xp, curve)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(events, transactions), max_size=25))
def test_balance_is_the_ledger_sum_and_level_follows_xp(steps: list[tuple[Any, ...]]) -> None:
    harness = project()
    with harness.storage.read(PROJECT) as view:
        curve = view.get_levels()
    try:
        for kind, user_id, what, amount, offset in steps:
            harness.advance(seconds=30)
            if kind == "event":
                harness.send(
                    user_id, what, {"amount": amount}, at=harness.now + timedelta(seconds=offset)
                )
            else:
                before = ledger_state(harness)
                try:
                    harness.transact(user_id, what, amount)
                except (InsufficientBalance, NotFound):
                    assert ledger_state(harness) == before
            check_invariants(harness, curve)
    finally:
        harness.storage.close()
