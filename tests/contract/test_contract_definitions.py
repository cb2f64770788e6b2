"""The level curve and the six definition kinds: upsert, retrieve, list, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from questline import ConflictError, NotFoundError, Questline


@dataclass(frozen=True)
class Kind:
    resource: str
    fields: dict[str, Any]  # an upsert body as keyword arguments
    changed: dict[str, Any]  # a second upsert of the same id


KINDS = {
    "currencies": Kind("currencies", {"name": "Coins"}, {"name": "Gold coins"}),
    "badges": Kind(
        "badges",
        {"name": "Reader", "criteria": {"event_type": "lesson_completed"}, "target": 3},
        {"name": "Avid reader", "criteria": {"event_type": "lesson_completed"}, "target": 10},
    ),
    "quests": Kind(
        "quests",
        {"name": "Onboarding", "steps": [{"id": "first", "criteria": {"event_type": "login"}}]},
        {"name": "Welcome", "steps": [{"id": "first", "target": 2}], "ordered": True},
    ),
    "streaks": Kind(
        "streaks",
        {"name": "Daily", "period": "day", "criteria": {"event_type": "login"}},
        {"name": "Weekly", "period": "week", "criteria": {"event_type": "login"}},
    ),
    "leaderboards": Kind(
        "leaderboards",
        {"name": "XP", "metric": {"type": "xp"}},
        {"name": "XP this week", "metric": {"type": "xp"}, "period": "week"},
    ),
    "rules": Kind(
        "rules",
        {
            "name": "Login XP",
            "trigger": {"event_type": "login"},
            "actions": [{"type": "grant_xp", "amount": 5}],
        },
        {
            "name": "Login XP",
            "trigger": {"event_type": "login"},
            "actions": [{"type": "grant_xp", "amount": 7}],
            "enabled": False,
        },
    ),
}


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_definition_lifecycle(client: Questline, kind: Kind) -> None:
    resource = getattr(client, kind.resource)

    created = resource.upsert("first", **kind.fields)
    assert created.id == "first"
    assert created.name == kind.fields["name"]
    assert resource.retrieve("first") == created

    changed = resource.upsert("first", **kind.changed)
    assert changed.name == kind.changed["name"]
    assert changed.created_at == created.created_at
    resource.upsert("second", **kind.fields)
    # A replaced definition keeps its place; the listing walks every page.
    assert [d.id for d in resource.list(limit=1)] == ["first", "second"]

    assert resource.delete("first") is None
    with pytest.raises(NotFoundError) as caught:
        resource.retrieve("first")
    assert caught.value.code == "not_found"
    with pytest.raises(NotFoundError):
        resource.delete("first")
    assert [d.id for d in resource.list()] == ["second"]


def test_definitions_accept_a_camel_case_dict(client: Questline) -> None:
    rule = client.rules.upsert(
        "timed",
        {
            "trigger": {"eventType": "login"},
            "actions": [{"type": "grant_xp", "amount": 1}],
            "activeFrom": "2026-01-01T00:00:00Z",
        },
    )
    assert (rule.trigger.event_type, rule.active_from is not None) == ("login", True)


def test_deleting_a_referenced_currency_is_a_conflict_naming_the_rule(client: Questline) -> None:
    client.currencies.upsert("coins")
    client.rules.upsert(
        "coin-reward",
        trigger={"event_type": "purchase_completed"},
        actions=[
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.amount", "multiply": 0.1},
            }
        ],
    )

    with pytest.raises(ConflictError) as caught:
        client.currencies.delete("coins")
    error = caught.value
    assert (error.status_code, error.code) == (409, "conflict")
    assert error.problem is not None and "coin-reward" in (error.problem.detail or "")
    assert client.currencies.retrieve("coins").id == "coins"

    client.rules.delete("coin-reward")
    client.currencies.delete("coins")


def test_the_level_curve_is_replaced_whole(client: Questline) -> None:
    default = client.levels.retrieve()
    assert default.levels[0].level == 1 and default.levels[0].min_xp == 0

    client.currencies.upsert("gems")
    levels = client.levels.upsert(
        levels=[
            {"level": 1, "min_xp": 0, "name": "Rookie"},
            {
                "level": 2,
                "min_xp": 100,
                "rewards": [{"type": "grant_currency", "currency": "gems", "amount": 5}],
            },
            {"level": 3, "min_xp": 250},
        ]
    )
    assert [(lv.level, lv.min_xp) for lv in levels.levels] == [(1, 0), (2, 100), (3, 250)]
    assert client.levels.retrieve() == levels

    client.rules.upsert(
        "big-xp",
        trigger={"event_type": "quiz_passed"},
        actions=[{"type": "grant_xp", "amount": 300}],
    )
    result = client.events.send(user_id="u1", type="quiz_passed")
    assert (result.effects.xp.level, result.effects.xp.level_ups) == (3, [2, 3])
    assert client.users.retrieve("u1").balances == {"gems": 5}
