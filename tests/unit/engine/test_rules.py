"""Rule selection: trigger index, priority order, enabled, active window, limits, trace."""

from __future__ import annotations

from datetime import timedelta

from engine_harness import T0, Harness

XP = [{"type": "grant_xp", "amount": 10}]


def fired(
    harness: Harness, user_id: str = "u1", type: str = "lesson_completed", **kw: object
) -> list[str]:
    return harness.send(user_id, type, **kw)["effects"]["rules_triggered"]  # type: ignore[arg-type]


def last_trace(harness: Harness) -> list[dict[str, object]]:
    return harness.outcomes[-1].changes.events[0].trace.to_json()


def test_only_rules_for_the_event_type_are_considered(harness: Harness) -> None:
    harness.rule("lesson", "lesson_completed", XP)
    harness.rule("login", "login", XP)
    assert fired(harness) == ["lesson"]
    assert [t["rule_id"] for t in last_trace(harness)] == ["lesson"]


def test_higher_priority_runs_first_then_creation_order(harness: Harness) -> None:
    harness.rule("a-low", "lesson_completed", XP, priority=-1)
    harness.rule("b-default", "lesson_completed", XP)
    harness.rule("c-high", "lesson_completed", XP, priority=10)
    harness.rule("d-default", "lesson_completed", XP)
    assert fired(harness) == ["c-high", "b-default", "d-default", "a-low"]


def test_replacing_a_rule_keeps_its_creation_place(harness: Harness) -> None:
    harness.rule("first", "lesson_completed", XP)
    harness.rule("second", "lesson_completed", XP)
    harness.rule("first", "lesson_completed", XP, name="First, renamed")
    assert fired(harness) == ["first", "second"]


def test_disabled_rule_is_skipped_and_says_so(harness: Harness) -> None:
    harness.rule("off", "lesson_completed", XP, enabled=False)
    assert fired(harness) == []
    assert last_trace(harness) == [
        {"rule_id": "off", "matched": False, "skipped_reason": "disabled", "conditions": None}
    ]


def test_active_window_uses_the_events_occurred_at(harness: Harness) -> None:
    harness.rule(
        "promo",
        "lesson_completed",
        XP,
        active_from="2026-03-02T12:00:00Z",
        active_until="2026-03-03T12:00:00Z",
    )
    assert fired(harness, at=T0 - timedelta(seconds=1)) == []
    assert last_trace(harness)[0]["skipped_reason"] == "not_yet_active"
    assert fired(harness, at=T0) == ["promo"]  # active_from is inclusive
    assert fired(harness, at=T0 + timedelta(days=1) - timedelta(seconds=1)) == ["promo"]
    assert fired(harness, at=T0 + timedelta(days=1)) == []  # active_until is exclusive
    assert last_trace(harness)[0]["skipped_reason"] == "expired"


def test_max_per_user_limits_each_user_separately(harness: Harness) -> None:
    harness.rule("twice", "lesson_completed", XP, limits={"max_per_user": 2})
    assert [fired(harness) for _ in range(3)] == [["twice"], ["twice"], []]
    assert last_trace(harness)[0]["skipped_reason"] == "max_per_user_reached"
    assert fired(harness, "u2") == ["twice"]


def test_max_per_user_counts_only_firings_not_considerations(harness: Harness) -> None:
    harness.rule(
        "once-big",
        "lesson_completed",
        XP,
        limits={"max_per_user": 1},
        conditions={"fact": "properties.score", "operator": "gte", "value": 90},
    )
    assert fired(harness, properties={"score": 50}) == []
    assert fired(harness, properties={"score": 95}) == ["once-big"]
    assert fired(harness, properties={"score": 99}) == []


def test_cooldown_refuses_until_it_has_passed(harness: Harness) -> None:
    harness.rule("hourly", "lesson_completed", XP, limits={"cooldown_seconds": 3600})
    assert fired(harness, at=T0) == ["hourly"]
    assert fired(harness, at=T0 + timedelta(minutes=59)) == []
    assert last_trace(harness)[0]["skipped_reason"] == "cooldown"
    assert fired(harness, at=T0 - timedelta(minutes=5)) == []  # earlier than the last firing
    assert fired(harness, at=T0 + timedelta(hours=1)) == ["hourly"]
    assert fired(harness, "u2", at=T0 + timedelta(minutes=1)) == ["hourly"]


def test_conditions_not_met_leave_an_explained_trace(harness: Harness) -> None:
    harness.rule(
        "high-score",
        "lesson_completed",
        XP,
        conditions={"type": "property_gte", "property": "score", "value": 80},
    )
    assert fired(harness, properties={"score": "72"}) == []
    assert last_trace(harness) == [
        {
            "rule_id": "high-score",
            "matched": False,
            "skipped_reason": "conditions_not_met",
            "conditions": {
                "kind": "fact",
                "fact": "properties.score",
                "operator": "gte",
                "expected": 80,
                "actual": "72",
                "result": False,
            },
        }
    ]


def test_matched_rule_trace_and_actions_executed(harness: Harness) -> None:
    harness.rule("lesson", "lesson_completed", XP)
    harness.send("u1", "lesson_completed")
    record = harness.outcomes[-1].changes.events[0]
    assert record.trace.to_json() == [
        {"rule_id": "lesson", "matched": True, "skipped_reason": None, "conditions": None}
    ]
    assert record.rules_triggered == ["lesson"]
    assert record.actions_executed == [{"source": "rule:lesson", "action": XP[0], "amount": 10}]


def test_a_lower_priority_rule_sees_what_a_higher_one_granted(harness: Harness) -> None:
    harness.rule("grant", "lesson_completed", [{"type": "grant_xp", "amount": 100}], priority=5)
    harness.rule(
        "level-two-bonus",
        "lesson_completed",
        XP,
        conditions={"fact": "user.level", "operator": "gte", "value": 2},
    )
    assert fired(harness) == ["grant", "level-two-bonus"]
