"""Saving definitions: canonical form, shorthand, 422s naming each field, delete references."""

from __future__ import annotations

from typing import Any

import pytest
from engine_harness import PROJECT, Harness
from questline_mock.engine import DefinitionError, canonicalize_definition, references
from questline_mock.engine.definitions import validate_actions, validate_condition

LEAF = {"fact": "properties.score", "operator": "gte", "value": 80}
XP = [{"type": "grant_xp", "amount": 10}]


def rule_errors(harness: Harness, **body: Any) -> list[list[Any]]:
    doc = {"trigger": {"event_type": "purchase"}, "actions": XP, **body}
    with pytest.raises(DefinitionError) as caught:
        harness.define("rules", "r", doc)
    return [error["loc"] for error in caught.value.errors]


def test_rule_defaults_are_filled_in(harness: Harness) -> None:
    stored = harness.rule("lesson-reward", "lesson_completed", XP)
    assert stored == {
        "id": "lesson-reward",
        "name": "lesson-reward",
        "description": None,
        "enabled": True,
        "priority": 0,
        "trigger": {"event_type": "lesson_completed"},
        "conditions": None,
        "actions": XP,
        "limits": None,
        "active_from": None,
        "active_until": None,
    }


def test_shorthand_is_stored_canonically(harness: Harness) -> None:
    stored = harness.rule(
        "r",
        "lesson_completed",
        XP,
        conditions={
            "any": [
                {"type": "property_gte", "property": "score", "value": 80},
                {"type": "property_exists", "property": "bonus"},
            ]
        },
    )
    assert stored["conditions"] == {
        "any": [LEAF, {"fact": "properties.bonus", "operator": "exists"}]
    }


def test_times_and_amounts_are_canonicalised(harness: Harness) -> None:
    harness.currency("coins")
    stored = harness.rule(
        "r",
        "purchase",
        [{"type": "grant_currency", "currency": "coins", "amount": {"from": "properties.amount"}}],
        active_from="2026-03-02T13:00:00+01:00",
        conditions={
            "aggregate": {
                "event_type": "purchase",
                "function": "sum",
                "property": "properties.amount",
                "window_seconds": 60,
            },
            "operator": "gt",
            "value": 0,
        },
    )
    assert stored["active_from"] == "2026-03-02T12:00:00Z"
    assert stored["actions"][0]["amount"] == {
        "from": "properties.amount",
        "multiply": 1,
        "round": "floor",
    }
    assert stored["conditions"]["aggregate"]["property"] == "amount"


def test_canonical_form_is_a_fixed_point(harness: Harness) -> None:
    harness.currency("coins")
    doc = {
        "trigger": {"event_type": "purchase"},
        "conditions": {"all": [{"type": "property_in", "property": "tier", "value": ["a"]}]},
        "actions": [{"type": "grant_currency", "currency": "coins", "amount": 1}],
        "limits": {"cooldown_seconds": 5},
    }
    first = harness.define("rules", "r", doc)
    assert harness.define("rules", "r", first) == first


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"conditions": {**LEAF, "operator": "approx"}}, ["body", "conditions", "operator"]),
        (
            {"conditions": {"all": [{**LEAF, "fact": "user.shoe_size"}]}},
            ["body", "conditions", "all", 0, "fact"],
        ),
        (
            {"conditions": {"not": {**LEAF, "fact": "user.balances.gold"}}},
            ["body", "conditions", "not", "fact"],
        ),
        (
            {"conditions": {**LEAF, "fact": "user.streaks.daily"}},
            ["body", "conditions", "fact"],
        ),
        (
            {"conditions": {"fact": "user.badges", "operator": "contains", "value": "nope"}},
            ["body", "conditions", "value"],
        ),
        ({"conditions": {**LEAF, "operator": "in", "value": 3}}, ["body", "conditions", "value"]),
        (
            {"conditions": {"fact": "properties.x", "operator": "eq"}},
            ["body", "conditions", "value"],
        ),
        ({"conditions": {"all": "everything"}}, ["body", "conditions", "all"]),
        (
            {"conditions": {"type": "property_between", "property": "x"}},
            ["body", "conditions", "operator"],
        ),
        ({"conditions": {"type": "score_above"}}, ["body", "conditions", "type"]),
        ({"conditions": {**LEAF, "weight": 2}}, ["body", "conditions", "weight"]),
        (
            {
                "conditions": {
                    "aggregate": {
                        "event_type": "purchase",
                        "function": "sum",
                        "window_seconds": 60,
                    },
                    "operator": "gt",
                    "value": 1,
                }
            },
            ["body", "conditions", "aggregate", "property"],
        ),
        (
            {
                "conditions": {
                    "aggregate": {
                        "event_type": "purchase",
                        "function": "avg",
                        "window_seconds": 60,
                    },
                    "operator": "gt",
                    "value": 1,
                }
            },
            ["body", "conditions", "aggregate", "function"],
        ),
        (
            {
                "conditions": {
                    "aggregate": {"event_type": "purchase", "window_seconds": 0},
                    "operator": "gt",
                    "value": 1,
                }
            },
            ["body", "conditions", "aggregate", "window_seconds"],
        ),
        *(
            (
                {"conditions": {"fact": fact, "operator": operator, "value": "2"}},
                ["body", "conditions", "operator"],
            )
            # never a string or a list: a string operator on them could never hold
            for fact in ("event.occurred_at", "user.xp", "user.balances.coins")
            for operator in ("starts_with", "ends_with", "contains", "not_contains")
        ),
        ({"actions": []}, ["body", "actions"]),
        ({"actions": [{"type": "grant_gold", "amount": 1}]}, ["body", "actions", 0, "type"]),
        (
            {"actions": [{"type": "grant_currency", "currency": "gold", "amount": 1}]},
            ["body", "actions", 0, "currency"],
        ),
        ({"actions": [{"type": "grant_xp"}]}, ["body", "actions", 0, "amount"]),
        ({"actions": [{"type": "grant_xp", "amount": -5}]}, ["body", "actions", 0, "amount"]),
        ({"actions": [{"type": "grant_xp", "amount": 1.5}]}, ["body", "actions", 0, "amount"]),
        (
            {"actions": [{"type": "grant_xp", "amount": {"from": "properties.x", "round": "up"}}]},
            ["body", "actions", 0, "amount", "round"],
        ),
        (
            {"actions": [{"type": "grant_xp", "amount": {"from": "price"}}]},
            ["body", "actions", 0, "amount", "from"],
        ),
        (
            {"actions": [{"type": "award_badge", "badge_id": "ghost"}]},
            ["body", "actions", 0, "badge_id"],
        ),
        (
            {"actions": [{"type": "progress_badge", "badge_id": "ghost"}]},
            ["body", "actions", 0, "badge_id"],
        ),
        (
            {"actions": [{"type": "progress_quest", "quest_id": "ghost"}]},
            ["body", "actions", 0, "quest_id"],
        ),
        ({"trigger": {"event_type": "Purchase Completed"}}, ["body", "trigger", "event_type"]),
        ({"trigger": None}, ["body", "trigger"]),
        ({"enabled": "yes"}, ["body", "enabled"]),
        ({"priority": 1.5}, ["body", "priority"]),
        ({"limits": {"max_per_user": 0}}, ["body", "limits", "max_per_user"]),
        ({"limits": {"cooldown_seconds": -1}}, ["body", "limits", "cooldown_seconds"]),
        ({"active_from": "tomorrow"}, ["body", "active_from"]),
        (
            {"active_from": "2026-03-02T00:00:00Z", "active_until": "2026-03-01T00:00:00Z"},
            ["body", "active_until"],
        ),
        ({"trigers": {}}, ["body", "trigers"]),
        ({"id": "other"}, ["body", "id"]),
    ],
)
def test_invalid_rule_names_the_field(
    harness: Harness, body: dict[str, Any], loc: list[Any]
) -> None:
    assert loc in rule_errors(harness, **body)


def test_every_bad_field_is_reported_at_once(harness: Harness) -> None:
    locs = rule_errors(
        harness,
        conditions={"all": [{**LEAF, "operator": "approx"}, {**LEAF, "fact": "nope"}]},
        actions=[{"type": "grant_currency", "currency": "gold", "amount": 1}],
        priority="high",
    )
    assert locs == [
        ["body", "priority"],
        ["body", "conditions", "all", 0, "operator"],
        ["body", "conditions", "all", 1, "fact"],
        ["body", "actions", 0, "currency"],
    ]


def test_errors_carry_a_message_and_a_type(harness: Harness) -> None:
    with pytest.raises(DefinitionError) as caught:
        harness.define(
            "rules",
            "r",
            {
                "trigger": {"event_type": "x"},
                "actions": [{"type": "grant_currency", "currency": "gold", "amount": 1}],
            },
        )
    assert caught.value.errors == [
        {
            "loc": ["body", "actions", 0, "currency"],
            "message": "unknown currency 'gold'",
            "type": "unknown_reference",
        }
    ]


def test_bad_definition_ids_and_bodies(harness: Harness) -> None:
    with harness.storage.read(PROJECT) as view:
        with pytest.raises(DefinitionError) as caught:
            canonicalize_definition("rules", "Bad Id", {}, view)
        assert caught.value.errors[0]["loc"] == ["path", "id"]
        with pytest.raises(DefinitionError) as caught:
            canonicalize_definition("rules", "ok", [1], view)
        assert caught.value.errors[0]["loc"] == ["body"]


def test_currency_name_defaults_to_its_id(harness: Harness) -> None:
    assert harness.define("currencies", "coins", {}) == {"id": "coins", "name": "coins"}
    assert harness.define("currencies", "gems", {"name": "Gems"}) == {"id": "gems", "name": "Gems"}


def test_validators_are_usable_on_their_own(harness: Harness) -> None:
    with harness.storage.read(PROJECT) as view:
        assert validate_condition(
            {"type": "property_eq", "property": "a", "value": 1}, ["body", "criteria"], view
        ) == {"fact": "properties.a", "operator": "eq", "value": 1}
        with pytest.raises(DefinitionError) as caught:
            validate_actions([{"type": "grant_xp", "amount": "5"}], ["body", "rewards"], view)
        assert caught.value.errors[0]["loc"] == ["body", "rewards", 0, "amount"]


def test_references_name_everything_that_uses_a_definition(harness: Harness) -> None:
    harness.currency("coins", "gems")
    harness.define("badges", "vip", {"name": "VIP"})
    harness.rule(
        "big-spender",
        "purchase",
        [{"type": "grant_currency", "currency": "coins", "amount": 5}],
    )
    harness.rule(
        "rich",
        "purchase",
        XP,
        conditions={
            "all": [
                {"fact": "user.balances.coins", "operator": "gt", "value": 100},
                {"fact": "user.badges", "operator": "contains", "value": "vip"},
            ]
        },
    )
    harness.rule(
        "unrelated", "purchase", [{"type": "grant_currency", "currency": "gems", "amount": 1}]
    )
    harness.define(
        "badges",
        "saver",
        {
            "name": "Saver",
            "rewards": [{"type": "grant_currency", "currency": "coins", "amount": 1}],
        },
    )
    harness.levels(
        {
            "levels": [
                {"level": 1, "min_xp": 0},
                {
                    "level": 2,
                    "min_xp": 10,
                    "rewards": [{"type": "grant_currency", "currency": "coins", "amount": 1}],
                },
            ]
        }
    )
    harness.define(
        "leaderboards",
        "richest",
        {"name": "Richest", "metric": {"type": "currency", "currency": "coins"}},
    )
    with harness.storage.read(PROJECT) as view:
        assert references(view, "currencies", "coins") == [
            "rule:big-spender",
            "rule:rich",
            "badge:saver",
            "leaderboard:richest",
            "levels",
        ]
        assert references(view, "badges", "vip") == ["rule:rich"]
        assert references(view, "rules", "rich") == []
