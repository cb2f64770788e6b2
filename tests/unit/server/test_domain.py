"""The domain records: written-out constructors behave as the dataclasses they are."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import datetime, timezone

from questline_mock.domain import EventRecord, LedgerEntry, RuleUsage, User
from questline_mock.engine.context import Changes, Effects

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def rich_user() -> User:
    return User(
        "u1", T0, T0, "Ada", "ada@example.com", "Europe/Paris", {"plan": {"tier": "pro"}},
        120, 3, {"coins": 5}, T0, {"login": 2}, {"r1": RuleUsage(1, T0)},
    )  # fmt: skip


def test_a_user_copy_equals_it_and_shares_nothing_that_changes() -> None:
    user = rich_user()
    copied = user.copy()
    assert copied == user == copy.deepcopy(user) == pickle.loads(pickle.dumps(user))
    copied.traits["plan"]["tier"] = "free"
    copied.balances["coins"] = 0
    copied.event_counts["login"] = 9
    copied.rule_usage["r2"] = RuleUsage(1, T0)
    assert user == rich_user()


def test_defaults_are_fresh_per_record_and_replace_keeps_every_field() -> None:
    a, b = User("a", T0, T0), User("b", T0, T0)
    a.balances["coins"] = 1
    assert b.balances == {} and (b.timezone, b.xp, b.level) == ("UTC", 0, 1)
    assert Changes().users is not Changes().users
    assert Effects().rules_triggered is not Effects().rules_triggered
    event = EventRecord("evt_1", "e1", "u1", "login", {}, T0, T0, "processed")
    assert (event.result, event.rules_triggered, event.trace.to_json()) == ({}, [], [])
    assert dataclasses.replace(rich_user(), xp=7) == dataclasses.replace(rich_user().copy(), xp=7)
    entry = LedgerEntry("txn_1", "u1", "coins", 5, 5, None, {}, "api", None, T0)
    assert dataclasses.replace(entry) == entry
