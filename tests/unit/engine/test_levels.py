"""The default curve, levels validation, and crossing several levels in one event."""

from __future__ import annotations

from typing import Any

import pytest
from engine_harness import Harness
from questline_mock.engine import DefinitionError, default_levels, level_for_xp
from questline_mock.engine.levels import default_min_xp


def test_default_curve_is_triangular() -> None:
    assert [default_min_xp(n) for n in range(1, 6)] == [0, 100, 300, 600, 1000]
    assert default_min_xp(10) == 4500
    levels = default_levels()["levels"]
    assert len(levels) == 100 and levels[-1]["min_xp"] == 495_000


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 1), (99, 1), (100, 2), (299, 2), (300, 3), (10**9, 100)]
)
def test_level_for_xp_on_the_default_curve(xp: int, level: int) -> None:
    assert level_for_xp(xp) == level


CURVE: dict[str, Any] = {
    "levels": [
        {"level": 1, "min_xp": 0, "name": "Rookie"},
        {
            "level": 2,
            "min_xp": 100,
            "name": "Regular",
            "rewards": [{"type": "grant_currency", "currency": "coins", "amount": 10}],
        },
        {
            "level": 3,
            "min_xp": 200,
            "name": "Pro",
            "rewards": [{"type": "grant_currency", "currency": "coins", "amount": 20}],
        },
        {"level": 4, "min_xp": 300, "name": "Expert"},
        {"level": 5, "min_xp": 1000, "name": "Master"},
    ]
}


def test_levels_are_stored_canonically(harness: Harness) -> None:
    harness.currency("coins")
    stored = harness.levels(CURVE)
    assert stored["levels"][0] == {"level": 1, "min_xp": 0, "name": "Rookie", "rewards": []}
    assert stored["levels"][1]["rewards"] == [
        {"type": "grant_currency", "currency": "coins", "amount": 10}
    ]


def test_crossing_several_levels_reports_each_and_runs_each_reward(harness: Harness) -> None:
    harness.currency("coins")
    harness.levels(CURVE)
    harness.rule("big", "quiz_aced", [{"type": "grant_xp", "amount": 350}])
    effects = harness.send("u1", "quiz_aced")["effects"]
    assert effects["xp"] == {"granted": 350, "total": 350, "level": 4, "level_ups": [2, 3, 4]}
    assert effects["currencies"] == [{"currency": "coins", "amount": 30, "balance": 30}]
    assert [r["source"] for r in effects["rewards"]] == ["level:2", "level:3"]
    level_ups = harness.domain_events("user.level.up")
    assert [e.data["level"] for e in level_ups] == [2, 3, 4]
    assert level_ups[0].data == {
        "user_id": "u1",
        "event_id": "evt_000001",
        "level": 2,
        "previous_level": 1,
        "name": "Regular",
        "xp": 350,
    }
    entries = harness.outcomes[-1].changes.ledger
    assert [(e.source, e.amount) for e in entries] == [("level:2", 10), ("level:3", 20)]


def test_a_level_reward_that_grants_xp_levels_up_again_without_double_counting(
    harness: Harness,
) -> None:
    curve = harness.levels(
        {
            "levels": [
                {"level": 1, "min_xp": 0},
                {"level": 2, "min_xp": 100, "rewards": [{"type": "grant_xp", "amount": 150}]},
                {"level": 3, "min_xp": 200},
                {"level": 4, "min_xp": 400},
            ]
        }
    )
    harness.rule("r", "go", [{"type": "grant_xp", "amount": 100}])
    xp = harness.send("u1", "go")["effects"]["xp"]
    assert xp == {"granted": 250, "total": 250, "level": 3, "level_ups": [2, 3]}
    assert len(harness.domain_events("user.level.up")) == 2
    assert harness.user("u1").level == level_for_xp(250, curve) == 3


def test_xp_earned_event_per_grant(harness: Harness) -> None:
    harness.rule("r", "go", [{"type": "grant_xp", "amount": 40}, {"type": "grant_xp", "amount": 2}])
    harness.send("u1", "go")
    earned = harness.domain_events("user.xp.earned")
    assert [(e.data["amount"], e.data["total"], e.data["source"]) for e in earned] == [
        (40, 40, "rule:r"),
        (2, 42, "rule:r"),
    ]


def test_zero_xp_grant_changes_nothing(harness: Harness) -> None:
    harness.rule("r", "go", [{"type": "grant_xp", "amount": 0}])
    effects = harness.send("u1", "go")["effects"]
    assert effects["xp"] == {"granted": 0, "total": 0, "level": 1, "level_ups": []}
    assert harness.domain_events("user.xp.earned") == []


def errors_of(harness: Harness, doc: Any) -> list[tuple[list[Any], str]]:
    with pytest.raises(DefinitionError) as caught:
        harness.levels(doc)
    return [(e["loc"], e["type"]) for e in caught.value.errors]


@pytest.mark.parametrize(
    ("levels", "loc"),
    [
        ([{"level": 1, "min_xp": 10}], ["body", "levels", 0, "min_xp"]),
        (
            [{"level": 1, "min_xp": 0}, {"level": 2, "min_xp": 0}],
            ["body", "levels", 1, "min_xp"],
        ),
        (
            [{"level": 1, "min_xp": 0}, {"level": 2, "min_xp": 50}, {"level": 3, "min_xp": 40}],
            ["body", "levels", 2, "min_xp"],
        ),
        ([{"level": 1, "min_xp": 0}, {"level": 3, "min_xp": 50}], ["body", "levels", 1, "level"]),
        ([{"level": 1, "min_xp": "0"}], ["body", "levels", 0, "min_xp"]),
        ([{"level": 1, "min_xp": 0, "name": 5}], ["body", "levels", 0, "name"]),
        ([{"level": 1, "min_xp": 0, "colour": "red"}], ["body", "levels", 0, "colour"]),
        (
            [
                {
                    "level": 1,
                    "min_xp": 0,
                    "rewards": [{"type": "grant_currency", "currency": "gold", "amount": 5}],
                }
            ],
            ["body", "levels", 0, "rewards", 0, "currency"],
        ),
        ([], ["body", "levels"]),
    ],
)
def test_invalid_levels_name_the_field(harness: Harness, levels: Any, loc: list[Any]) -> None:
    assert loc in [found for found, _ in errors_of(harness, {"levels": levels})]


def test_levels_body_must_be_an_object(harness: Harness) -> None:
    assert errors_of(harness, [1, 2]) == [(["body"], "type_error")]
