"""Badges: criteria progress, count_property, tiers, repeatable, secret, never twice,
rule actions, the manual award, the user view and the definition validator."""

from __future__ import annotations

from typing import Any

import pytest
from questline_mock.engine import DefinitionError, NotFound
from questline_mock.engine.badges import award_badge_manually, user_badges

PROJECT = "prj_test"


def badge(harness: Any, badge_id: str = "reader", **fields: Any) -> Any:
    doc = {"criteria": {"event_type": "lesson_done"}, **fields}
    return harness.define("badges", badge_id, doc)


def lessons(harness: Any, n: int, properties: Any = None, user: str = "u1") -> list[Any]:
    return [harness.send(user, "lesson_done", properties)["effects"] for _ in range(n)]


def listed(harness: Any, user: str = "u1") -> dict[str, Any]:
    with harness.view() as view:
        return {b["badge_id"]: b for b in user_badges(view, user)}


def test_badge_is_awarded_once_at_its_target_with_rewards(harness: Any) -> None:
    badge(harness, target=3, rewards=[{"type": "grant_xp", "amount": 100}])
    effects = lessons(harness, 5)
    assert [e["badge_progress"] for e in effects] == [
        [{"badge_id": "reader", "progress": 1, "target": 3}],
        [{"badge_id": "reader", "progress": 2, "target": 3}],
        [],  # awarded: reported in badges_awarded instead
        [],
        [],
    ]
    assert [e["badges_awarded"] for e in effects] == [
        [],
        [],
        [{"badge_id": "reader", "tier": None}],
        [],
        [],
    ]
    assert effects[2]["rewards"] == [
        {"source": "badge:reader", "actions": [{"type": "grant_xp", "amount": 100}]}
    ]
    assert harness.user("u1").xp == 100
    unlocked = harness.domain_events("user.badge.unlocked")
    assert [(e.data["badge_id"], e.data["award_count"], e.user_id) for e in unlocked] == [
        ("reader", 1, "u1")
    ]
    assert unlocked[0].data["event_id"].startswith("evt_")


TIER_CASES = [
    # (progress per event, awards per event as tier names)
    ([1, 1, 1, 1, 1], [[], ["bronze"], [], ["silver"], []]),
    ([5], [["bronze", "silver"]]),
    ([3, 10], [["bronze"], ["silver", "gold"]]),
]


@pytest.mark.parametrize(("amounts", "awards"), TIER_CASES)
def test_each_tier_is_awarded_once_as_its_target_is_reached(
    harness: Any, amounts: list[int], awards: list[list[str]]
) -> None:
    badge(
        harness,
        criteria={"event_type": "lesson_done", "count_property": "n"},
        tiers=[
            {"tier": "bronze", "target": 2},
            {"tier": "silver", "target": 4},
            {"tier": "gold", "target": 8},
        ],
        rewards=[{"type": "grant_xp", "amount": 10}],
    )
    got = [
        [
            a["tier"]
            for a in harness.send("u1", "lesson_done", {"n": n})["effects"]["badges_awarded"]
        ]
        for n in amounts
    ]
    assert got == awards
    total = sum(len(a) for a in awards)
    assert harness.user("u1").xp == 10 * total


def test_tiered_badge_view_shows_next_tier_target(harness: Any) -> None:
    badge(harness, tiers=[{"tier": "bronze", "target": 2}, {"tier": "silver", "target": 4}])
    lessons(harness, 3)
    mine = listed(harness)["reader"]
    assert (mine["awarded"], mine["tier"], mine["progress"], mine["target"]) == (
        True,
        "bronze",
        3,
        4,
    )
    assert mine["tiers_earned"] == ["bronze"]
    lessons(harness, 3)
    mine = listed(harness)["reader"]
    assert (mine["tier"], mine["progress"], mine["target"], mine["award_count"]) == (
        "silver",
        4,
        4,
        2,
    )


def test_repeatable_badge_resets_progress_and_awards_again(harness: Any) -> None:
    badge(harness, target=2, repeatable=True, rewards=[{"type": "grant_xp", "amount": 7}])
    effects = lessons(harness, 5)
    assert [len(e["badges_awarded"]) for e in effects] == [0, 1, 0, 1, 0]
    mine = listed(harness)["reader"]
    assert (mine["times_awarded"], mine["progress"], mine["earned"]) == (2, 1, True)
    assert harness.user("u1").xp == 14


def test_count_property_adds_numeric_values_only(harness: Any) -> None:
    badge(
        harness, target=100, criteria={"event_type": "lesson_done", "count_property": "pages.read"}
    )
    for props in (
        {"pages": {"read": 3}},
        {"pages": {"read": "4"}},
        {"pages": {"read": "x"}},
        {},
        {"pages": {"read": 2.9}},
        {"pages": {"read": -5}},
    ):
        harness.send("u1", "lesson_done", props)
    assert listed(harness)["reader"]["progress"] == 9


def test_criteria_conditions_filter_events(harness: Any) -> None:
    badge(
        harness,
        target=2,
        criteria={
            "event_type": "lesson_done",
            "conditions": {"fact": "properties.score", "operator": "gte", "value": 80},
        },
    )
    for score in (50, 90, 79, 80):
        harness.send("u1", "lesson_done", {"score": score})
    mine = listed(harness)["reader"]
    assert (mine["progress"], mine["earned"]) == (2, True)


def test_secret_badge_is_hidden_until_earned(harness: Any) -> None:
    badge(harness, "hidden", target=2, secret=True)
    (first,) = lessons(harness, 1)
    assert first["badge_progress"] == []
    assert harness.domain_events("user.badge.progress.updated") == []
    assert "hidden" not in listed(harness)
    lessons(harness, 1)
    mine = listed(harness)["hidden"]
    assert (mine["earned"], mine["secret"]) == (True, True)


def test_rule_actions_award_and_progress_badges(harness: Any) -> None:
    harness.define("badges", "buyer", {"name": "Buyer"})
    harness.define("badges", "spender", {"target": 100})
    harness.rule(
        "purchase",
        "purchase",
        [
            {"type": "award_badge", "badge_id": "buyer"},
            {
                "type": "progress_badge",
                "badge_id": "spender",
                "amount": {"from": "properties.amount", "multiply": 1, "round": "floor"},
            },
        ],
    )
    first = harness.send("u1", "purchase", {"amount": 60.5})["effects"]
    second = harness.send("u1", "purchase", {"amount": 45})["effects"]
    assert first["badges_awarded"] == [{"badge_id": "buyer", "tier": None}]
    assert second["badges_awarded"] == [{"badge_id": "spender", "tier": None}]
    mine = listed(harness)
    assert (mine["buyer"]["times_awarded"], mine["spender"]["progress"]) == (1, 100)


def test_manual_award_is_idempotent_for_a_held_badge(harness: Any) -> None:
    harness.define("badges", "vip", {"rewards": [{"type": "grant_xp", "amount": 30}]})
    harness.send("u1", "signup")
    for expected in ([{"badge_id": "vip", "tier": None}], []):
        with harness.storage.unit_of_work(PROJECT) as uow:
            user = uow.get_user("u1")
            outcome = award_badge_manually(uow, user, "vip", harness.now, harness.ids)
            outcome.changes.apply(uow)
        assert outcome.result["effects"]["badges_awarded"] == expected
    assert harness.user("u1").xp == 30
    with harness.storage.unit_of_work(PROJECT) as uow, pytest.raises(NotFound):
        award_badge_manually(uow, uow.get_user("u1"), "nope", harness.now, harness.ids)


def test_manual_award_of_a_tiered_badge_earns_its_first_tier(harness: Any) -> None:
    badge(harness, tiers=[{"tier": "bronze", "target": 5}, {"tier": "silver", "target": 9}])
    harness.send("u1", "signup")
    with harness.storage.unit_of_work(PROJECT) as uow:
        outcome = award_badge_manually(uow, uow.get_user("u1"), "reader", harness.now, harness.ids)
        outcome.changes.apply(uow)
    assert outcome.result["effects"]["badges_awarded"] == [{"badge_id": "reader", "tier": "bronze"}]
    assert listed(harness)["reader"]["progress"] == 5


def test_badge_earned_in_a_step_is_a_fact_for_later_rules(harness: Any) -> None:
    harness.define("badges", "first", {})
    harness.rule("a", "go", [{"type": "award_badge", "badge_id": "first"}], priority=10)
    harness.rule(
        "b",
        "go",
        [{"type": "grant_xp", "amount": 1}],
        conditions={"fact": "user.badges", "operator": "contains", "value": "first"},
    )
    harness.send("u1", "go")
    assert harness.user("u1").xp == 1


def test_badge_definition_defaults_are_filled(harness: Any) -> None:
    assert harness.define("badges", "b", {}) == {
        "id": "b",
        "name": "b",
        "description": None,
        "image_url": None,
        "secret": False,
        "criteria": None,
        "target": 1,
        "tiers": [],
        "rewards": [],
        "repeatable": False,
    }
    tiered = harness.define("badges", "t", {"tiers": [{"tier": "bronze", "target": 3}]})
    assert tiered["target"] == 3


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        (
            {"tiers": [{"tier": "a", "target": 5}, {"tier": "b", "target": 5}]},
            ["body", "tiers", 1, "target"],
        ),
        (
            {"tiers": [{"tier": "a", "target": 5}, {"tier": "a", "target": 6}]},
            ["body", "tiers", 1, "tier"],
        ),
        ({"tiers": [{"tier": "a", "target": 5}], "repeatable": True}, ["body", "repeatable"]),
        ({"tiers": [{"tier": "a", "target": 5}], "target": 2}, ["body", "target"]),
        ({"target": 0}, ["body", "target"]),
        ({"criteria": {"event_type": "Bad Type"}}, ["body", "criteria", "event_type"]),
        (
            {
                "criteria": {
                    "event_type": "x",
                    "conditions": {"fact": "nope", "operator": "eq", "value": 1},
                }
            },
            ["body", "criteria", "conditions", "fact"],
        ),
        (
            {"rewards": [{"type": "grant_currency", "currency": "gems", "amount": 1}]},
            ["body", "rewards", 0, "currency"],
        ),
        ({"colour": "red"}, ["body", "colour"]),
    ],
)
def test_invalid_badge_definitions_name_the_field(harness: Any, doc: Any, loc: list[Any]) -> None:
    with pytest.raises(DefinitionError) as caught:
        harness.define("badges", "b", doc)
    assert loc in [e["loc"] for e in caught.value.errors]
