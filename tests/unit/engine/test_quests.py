"""Quests: ordered vs unordered steps, time windows, completion rewards once, the
``progress_quest`` action, the user view and the definition validator."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from questline_mock.engine import DefinitionError
from questline_mock.engine.quests import user_quests

STEPS = [
    {"id": "read", "criteria": {"event_type": "lesson_done"}, "target": 2},
    {"id": "quiz", "criteria": {"event_type": "quiz_passed"}},
]
REWARD = [{"type": "grant_xp", "amount": 500}]


def quest(harness: Any, **fields: Any) -> Any:
    return harness.define("quests", "onboarding", {"steps": STEPS, "rewards": REWARD, **fields})


def run(harness: Any, types: list[str]) -> list[list[tuple[str, int, bool]]]:
    out = []
    for event_type in types:
        effects = harness.send("u1", event_type)["effects"]["quests"]
        out.append([(q["step_id"], q["progress"], q["quest_completed"]) for q in effects])
    return out


def view(harness: Any) -> list[Any]:
    with harness.view() as reader:
        return user_quests(reader, "u1")


ORDER_CASES = [
    # (ordered, events, quest effects per event)
    (
        False,
        ["quiz_passed", "lesson_done", "lesson_done", "lesson_done"],
        [[("quiz", 1, False)], [("read", 1, False)], [("read", 2, True)], []],
    ),
    (
        True,
        ["quiz_passed", "lesson_done", "quiz_passed", "lesson_done", "quiz_passed", "quiz_passed"],
        [[], [("read", 1, False)], [], [("read", 2, False)], [("quiz", 1, True)], []],
    ),
]


@pytest.mark.parametrize(("ordered", "events", "expected"), ORDER_CASES)
def test_ordered_quests_progress_only_the_first_unfinished_step(
    harness: Any, ordered: bool, events: list[str], expected: list[Any]
) -> None:
    quest(harness, ordered=ordered)
    assert run(harness, events) == expected


def test_completion_runs_rewards_once_and_emits_events(harness: Any) -> None:
    quest(harness)
    run(harness, ["lesson_done", "lesson_done", "quiz_passed", "quiz_passed", "lesson_done"])
    assert harness.user("u1").xp == 500
    completed = harness.domain_events("user.quest.completed")
    assert [(e.data["quest_id"], e.user_id) for e in completed] == [("onboarding", "u1")]
    progressed = harness.domain_events("user.quest.progressed")
    assert [(e.data["step_id"], e.data["step_completed"]) for e in progressed] == [
        ("read", False),
        ("read", True),
        ("quiz", True),
    ]
    sources = [r["source"] for o in harness.outcomes for r in o.result["effects"]["rewards"]]
    assert sources == ["quest:onboarding"]
    (mine,) = view(harness)
    assert mine["status"] == "completed" and mine["completed_at"] is not None


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("occurred", "moves"),
    [
        ("2026-03-31 23:59:59", False),
        ("2026-04-01 00:00:00", True),
        ("2026-04-30 23:59:59", True),
        ("2026-05-01 00:00:00", False),
    ],
)
def test_quest_progresses_only_inside_its_window(harness: Any, occurred: str, moves: bool) -> None:
    quest(harness, starts_at="2026-04-01T00:00:00Z", ends_at="2026-05-01T00:00:00Z")
    harness.now = utc("2026-05-02 00:00")
    effects = harness.send("u1", "quiz_passed", at=utc(occurred))["effects"]["quests"]
    assert bool(effects) is moves


def test_progress_quest_action_targets_a_step_or_the_next_one(harness: Any) -> None:
    quest(harness, ordered=True)
    harness.rule(
        "skip", "skip", [{"type": "progress_quest", "quest_id": "onboarding", "step_id": "quiz"}]
    )
    harness.rule(
        "bump", "bump", [{"type": "progress_quest", "quest_id": "onboarding", "amount": 5}]
    )
    assert run(harness, ["skip"]) == [[]]  # ordered: quiz is not the current step
    assert run(harness, ["bump"]) == [[("read", 2, False)]]  # capped at the target
    assert run(harness, ["skip"]) == [[("quiz", 1, True)]]
    assert harness.user("u1").xp == 500


def test_user_view_lists_started_quests_with_each_step(harness: Any) -> None:
    quest(harness)
    harness.define("quests", "other", {"steps": [{"id": "x", "criteria": {"event_type": "never"}}]})
    run(harness, ["lesson_done"])
    (mine,) = view(harness)
    assert mine["quest_id"] == "onboarding"
    assert mine["status"] == "in_progress"
    assert mine["steps"] == [
        {"step_id": "read", "progress": 1, "target": 2, "completed": False},
        {"step_id": "quiz", "progress": 0, "target": 1, "completed": False},
    ]


def test_quest_definition_is_stored_canonical(harness: Any) -> None:
    stored = harness.define(
        "quests",
        "q",
        {"steps": [{"id": "a"}], "starts_at": "2026-04-01T02:00:00+02:00"},
    )
    assert stored == {
        "id": "q",
        "name": "q",
        "description": None,
        "steps": [{"id": "a", "name": "a", "criteria": None, "target": 1}],
        "ordered": False,
        "rewards": [],
        "starts_at": "2026-04-01T00:00:00Z",
        "ends_at": None,
    }


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        ({"steps": []}, ["body", "steps"]),
        ({"steps": [{"id": "a"}, {"id": "a"}]}, ["body", "steps", 1, "id"]),
        ({"steps": [{"id": "A b"}]}, ["body", "steps", 0, "id"]),
        ({"steps": [{"id": "a", "target": 0}]}, ["body", "steps", 0, "target"]),
        (
            {"steps": [{"id": "a", "criteria": {"event_type": "x", "count_property": "n"}}]},
            ["body", "steps", 0, "criteria", "count_property"],
        ),
        ({"steps": [{"id": "a"}], "starts_at": "yesterday"}, ["body", "starts_at"]),
        (
            {
                "steps": [{"id": "a"}],
                "starts_at": "2026-05-01T00:00:00Z",
                "ends_at": "2026-04-01T00:00:00Z",
            },
            ["body", "ends_at"],
        ),
        (
            {"steps": [{"id": "a"}], "rewards": [{"type": "award_badge", "badge_id": "ghost"}]},
            ["body", "rewards", 0, "badge_id"],
        ),
    ],
)
def test_invalid_quest_definitions_name_the_field(harness: Any, doc: Any, loc: list[Any]) -> None:
    with pytest.raises(DefinitionError) as caught:
        harness.define("quests", "q", doc)
    assert loc in [e["loc"] for e in caught.value.errors]
