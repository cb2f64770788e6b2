"""Every fact path and the time-window aggregates, read back from the explain trace.

A probe rule with one ``exists`` leaf per fact fires on ``probe`` events; the stored trace
then shows the value each fact had, which is exactly what an integrator will see.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine_harness import T0, Harness
from questline_mock.engine.facts import dig


def probe(harness: Harness, user_id: str, paths: list[str], **event: Any) -> dict[str, Any]:
    """Send a ``probe`` event whose rule reads ``paths``; return {path: actual}."""
    leaves = [{"fact": path, "operator": "exists"} for path in paths]
    harness.rule("probe", "probe", [{"type": "grant_xp", "amount": 0}], conditions={"all": leaves})
    harness.send(user_id, "probe", **event)
    record = harness.outcomes[-1].changes.events[0]
    children = record.trace.to_json()[-1]["conditions"]["children"]
    return {child["fact"]: child["actual"] for child in children}


def test_event_facts(harness: Harness) -> None:
    values = probe(
        harness,
        "u1",
        ["event.type", "event.occurred_at", "properties.order.total", "properties.items.1.sku"],
        properties={"order": {"total": 42}, "items": [{"sku": "a"}, {"sku": "b"}]},
        at=T0 - timedelta(minutes=1),
    )
    assert values == {
        "event.type": "probe",
        "event.occurred_at": "2026-03-02T11:59:00Z",
        "properties.order.total": 42,
        "properties.items.1.sku": "b",
    }


def test_user_facts_reflect_the_working_state(harness: Harness) -> None:
    harness.currency("coins", "gems")
    harness.rule("pay", "purchase", [{"type": "grant_currency", "currency": "coins", "amount": 30}])
    harness.rule("xp", "purchase", [{"type": "grant_xp", "amount": 150}])
    harness.send("u1", "purchase", user={"traits": {"plan": {"tier": "pro"}}})
    harness.send("u1", "purchase")
    values = probe(
        harness,
        "u1",
        [
            "user.xp",
            "user.level",
            "user.traits.plan.tier",
            "user.balances.coins",
            "user.balances.gems",
            "user.event_count.purchase",
            "user.event_count.probe",
            "user.event_count.never_sent",
        ],
    )
    assert values == {
        "user.xp": 300,
        "user.level": 3,  # default curve: 300 XP is level 3
        "user.traits.plan.tier": "pro",
        "user.balances.coins": 60,
        "user.balances.gems": 0,  # a defined currency the user never had is 0
        "user.event_count.purchase": 2,
        "user.event_count.probe": 1,  # the current event is already counted
        "user.event_count.never_sent": 0,
    }


def test_missing_facts_are_reported_missing(harness: Harness) -> None:
    harness.send("u1", "noop")
    leaves = [
        {"fact": "properties.absent", "operator": "exists"},
        {"fact": "user.traits.absent", "operator": "exists"},
    ]
    harness.rule("probe", "probe", [{"type": "grant_xp", "amount": 1}], conditions={"any": leaves})
    harness.send("u1", "probe")
    trace = harness.outcomes[-1].changes.events[0].trace.to_json()[0]
    assert trace["matched"] is False
    assert [c.get("missing") for c in trace["conditions"]["children"]] == [True, True]


def test_user_badges_lists_earned_badges_including_this_steps(harness: Harness) -> None:
    harness.define("badges", "first_purchase", {"name": "First purchase"})
    harness.define("badges", "collector", {"name": "Collector", "target": 5})
    harness.rule("award", "purchase", [{"type": "award_badge", "badge_id": "first_purchase"}])
    harness.rule(
        "loyal",
        "purchase",
        [{"type": "grant_xp", "amount": 7}],
        conditions={"fact": "user.badges", "operator": "contains", "value": "first_purchase"},
    )
    result = harness.send("u1", "purchase")
    # The later rule already sees the badge the earlier rule awarded in this step.
    assert result["effects"]["rules_triggered"] == ["award", "loyal"]
    assert probe(harness, "u1", ["user.badges"]) == {"user.badges": ["first_purchase"]}


def test_user_streaks_is_the_current_count(harness: Harness) -> None:
    harness.define(
        "streaks", "daily", {"name": "Daily", "period": "day", "criteria": {"event_type": "login"}}
    )
    harness.send("u1", "login")
    harness.advance(days=1)
    harness.send("u1", "login")
    assert probe(harness, "u1", ["user.streaks.daily"]) == {"user.streaks.daily": 2}
    # Three days later the streak has lapsed, even before any sweep ended it.
    harness.advance(days=3)
    assert probe(harness, "u1", ["user.streaks.daily"]) == {"user.streaks.daily": 0}


def test_dig_walks_dicts_and_lists() -> None:
    doc = {"a": {"b": [10, {"c": "x"}]}}
    assert dig(doc, "a.b.0") == 10
    assert dig(doc, "a.b.1.c") == "x"
    assert repr(dig(doc, "a.b.2")) == "MISSING"
    assert repr(dig(doc, "a.x")) == "MISSING"
    assert repr(dig(doc, "a.b.c")) == "MISSING"


# -- aggregates -----------------------------------------------------------------------------
WEEK = 7 * 24 * 3600


def aggregate_rule(harness: Harness, function: str = "count", prop: str | None = None) -> None:
    spec: dict[str, Any] = {"event_type": "purchase", "function": function, "window_seconds": WEEK}
    if prop:
        spec["property"] = prop
    harness.rule(
        "loyal",
        "purchase",
        [{"type": "grant_xp", "amount": 1}],
        conditions={"aggregate": spec, "operator": "gte", "value": 0},
    )


def aggregate_value(harness: Harness) -> Any:
    trace = harness.outcomes[-1].changes.events[0].trace.to_json()[0]
    return trace["conditions"]["actual"]


def test_count_aggregate_includes_the_current_event(harness: Harness) -> None:
    aggregate_rule(harness)
    harness.send("u1", "purchase")
    assert aggregate_value(harness) == 1
    harness.advance(hours=1)
    harness.send("u1", "purchase")
    assert aggregate_value(harness) == 2


def test_aggregate_window_is_inclusive_at_its_start(harness: Harness) -> None:
    aggregate_rule(harness)
    start = T0
    harness.send("u1", "purchase", at=start - timedelta(seconds=1))  # outside
    harness.send("u1", "purchase", at=start)  # exactly on the boundary: inside
    harness.send("u1", "login", at=start + timedelta(days=1))  # another type: never counted
    harness.send("u2", "purchase", at=start + timedelta(days=1))  # another user
    harness.now = start + timedelta(seconds=WEEK)
    harness.send("u1", "purchase")
    assert aggregate_value(harness) == 2


def test_aggregate_ignores_events_after_the_current_one(harness: Harness) -> None:
    aggregate_rule(harness)
    harness.send("u1", "purchase", at=T0)
    # A late (backfilled) event counts only what happened before it.
    harness.send("u1", "purchase", at=T0 - timedelta(days=1))
    assert aggregate_value(harness) == 1


def test_sum_aggregate_adds_a_property(harness: Harness) -> None:
    aggregate_rule(harness, "sum", "amount")
    harness.send("u1", "purchase", {"amount": 10})
    harness.send("u1", "purchase", {"amount": "2.5"})  # numeric string
    harness.send("u1", "purchase", {"amount": "n/a"})  # counts as 0
    harness.send("u1", "purchase", {"amount": 7})
    assert aggregate_value(harness) == 19.5


def test_aggregate_condition_gates_a_rule(harness: Harness) -> None:
    harness.rule(
        "third",
        "purchase",
        [{"type": "grant_xp", "amount": 50}],
        conditions={
            "aggregate": {"event_type": "purchase", "function": "count", "window_seconds": WEEK},
            "operator": "gte",
            "value": 3,
        },
    )
    fired = []
    for day in range(3):
        harness.now = T0 + timedelta(days=day)
        fired.append(harness.send("u1", "purchase")["effects"]["rules_triggered"])
    assert fired == [[], [], ["third"]]
