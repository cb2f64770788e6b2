"""Quests: a list of steps, each with a target, completed step by step; rewards once.

A step progresses by 1 for each event matching its ``criteria`` (event type and
conditions), or by an amount through the ``progress_quest`` action. In an ``ordered``
quest only the first unfinished step can progress, so an event that would satisfy step 3
early does nothing until steps 1 and 2 are done. When every step reaches its target the
quest is completed (``completed_at`` set) and its ``rewards`` run, once: a completed quest
never progresses again, and completion is decided from stored state, so replaying a step
cannot pay twice.

``starts_at`` / ``ends_at`` bound the window ``[starts_at, ends_at)`` in which the quest
can progress, tested against the event's ``occurred_at`` (``ctx.now`` for a manual step).

Decisions where the design is silent (also in the issue note):

* Step progress is capped at the step's target; one event may progress several steps
  of an unordered quest, but only one step of an ordered one.
* ``progress_quest`` without ``step_id`` progresses the first unfinished step; with a
  ``step_id`` in an ordered quest it does nothing unless that step is the current one.
* Effects and ``user.quest.progressed`` report each step that moved; the quest that
  completes in the step also gets ``user.quest.completed``.
* ``GET /v1/users/{id}/quests`` lists the quests the user has started (any progress).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import JSON, QuestState
from ..storage.base import Reader
from .badges import cause, check_criteria, criteria_match
from .context import EVENT_PROCESSORS, EngineContext, action_handler
from .definitions import _name, definition_validator
from .facts import evaluate_amount
from .render import format_time, parse_time
from .validators import DEFINITION_ID, Loc, Problems, actions_into, check_unknown_keys, is_int


def in_window(quest: JSON, moment: datetime) -> bool:
    """``starts_at <= moment < ends_at`` (either bound may be absent)."""
    starts, ends = parse_time(quest.get("starts_at")), parse_time(quest.get("ends_at"))
    return (starts is None or starts <= moment) and (ends is None or moment < ends)


def open_steps(quest: JSON, state: QuestState) -> list[JSON]:
    """The steps that may progress now: all unfinished ones, or only the first if ordered."""
    unfinished = [s for s in quest["steps"] if state.steps.get(s["id"], 0) < int(s["target"])]
    return unfinished[:1] if quest.get("ordered") else unfinished


def progress_step(ctx: EngineContext, quest: JSON, step: JSON, amount: int) -> None:
    """Add ``amount`` to one step (capped at its target); complete the quest if it is done."""
    state = ctx.quest_state(quest["id"])
    if amount <= 0 or state.completed_at is not None:
        return
    target = int(step["target"])
    if state.started_at is None:
        state.started_at = ctx.now
    before = state.steps.get(step["id"], 0)
    state.steps[step["id"]] = min(before + amount, target)
    if state.steps[step["id"]] == before:
        return
    done = all(state.steps.get(s["id"], 0) >= int(s["target"]) for s in quest["steps"])
    if done:
        state.completed_at = ctx.now
    report = {
        "quest_id": quest["id"],
        "step_id": step["id"],
        "progress": state.steps[step["id"]],
        "target": target,
        "quest_completed": done,
    }
    ctx.effects.quests.append(report)
    ctx.emit(
        "user.quest.progressed",
        {
            "quest_id": quest["id"],
            "step_id": step["id"],
            "progress": report["progress"],
            "target": target,
            "step_completed": report["progress"] >= target,
            "event_id": cause(ctx),
        },
    )
    if done:
        ctx.emit("user.quest.completed", {"quest_id": quest["id"], "event_id": cause(ctx)})
        ctx.run_rewards(list(quest.get("rewards") or []), f"quest:{quest['id']}")


def _moment(ctx: EngineContext) -> datetime:
    return ctx.event.occurred_at if ctx.event is not None else ctx.now


def process_quests(ctx: EngineContext) -> None:
    """The event processor: progress every open step whose criteria the event meets."""
    if ctx.event is None:
        return
    for listed in ctx.view.list_definitions("quests").items:
        if not any(
            (s.get("criteria") or {}).get("event_type") == ctx.event.type for s in listed["steps"]
        ):
            continue
        quest = ctx.definition("quests", listed["id"]) or listed
        if not in_window(quest, ctx.event.occurred_at):
            continue
        state = ctx.quest_state(quest["id"])
        if state.completed_at is not None:
            continue
        for step in open_steps(quest, state):
            if criteria_match(ctx, step.get("criteria")):
                progress_step(ctx, quest, step, 1)


@action_handler("progress_quest")
def _progress_quest_action(ctx: EngineContext, action: JSON, source: str) -> JSON | None:
    quest = ctx.definition("quests", action["quest_id"])
    amount = evaluate_amount(ctx, action.get("amount", 1))
    if quest is None or not in_window(quest, _moment(ctx)):
        return {"amount": 0}
    candidates = open_steps(quest, ctx.quest_state(quest["id"]))
    wanted = action.get("step_id")
    step = next((s for s in candidates if wanted in (None, s["id"])), None)
    if step is None:
        return {"amount": 0}
    progress_step(ctx, quest, step, amount)
    return {"amount": amount, "step_id": step["id"]}


EVENT_PROCESSORS.append(process_quests)


# -- read view ----------------------------------------------------------------------------


def user_quest_json(quest: JSON, state: QuestState) -> JSON:
    """One ``UserQuest``: status and each step's progress."""
    return {
        "quest_id": quest["id"],
        "name": quest.get("name"),
        "status": "completed" if state.completed_at is not None else "in_progress",
        "steps": [
            {
                "step_id": s["id"],
                "progress": state.steps.get(s["id"], 0),
                "target": int(s["target"]),
                "completed": state.steps.get(s["id"], 0) >= int(s["target"]),
            }
            for s in quest["steps"]
        ],
        "started_at": format_time(state.started_at),
        "completed_at": format_time(state.completed_at),
    }


def user_quests(view: Reader, user_id: str) -> list[JSON]:
    """``GET /v1/users/{id}/quests``: the quests the user has started, in definition order."""
    states = {s.quest_id: s for s in view.list_quest_states(user_id)}
    return [
        user_quest_json(q, states[q["id"]])
        for q in view.list_definitions("quests").items
        if q["id"] in states and (states[q["id"]].steps or states[q["id"]].completed_at)
    ]


# -- definition ---------------------------------------------------------------------------

_QUEST_FIELDS = {"name", "description", "steps", "ordered", "rewards", "starts_at", "ends_at"}


@definition_validator("quests")
def validate_quest(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """A quest definition's canonical form (defaults filled in), or DefinitionError."""
    problems = Problems()
    check_unknown_keys(doc, _QUEST_FIELDS, ["body"], problems)
    out: JSON = {
        "name": _name(doc, definition_id, problems),
        "description": doc.get("description"),
        "steps": _check_steps(doc.get("steps"), view, problems),
        "ordered": doc.get("ordered", False),
        "rewards": actions_into(doc.get("rewards", []), ["body", "rewards"], view, problems),
        "starts_at": None,
        "ends_at": None,
    }
    if not isinstance(out["ordered"], bool):
        problems.add(["body", "ordered"], "must be a boolean", "type_error")
    for bound in ("starts_at", "ends_at"):
        if doc.get(bound) is not None:
            moment = parse_time(doc[bound])
            if moment is None:
                problems.add(["body", bound], "must be an RFC 3339 date-time with an offset")
            out[bound] = format_time(moment)
    starts, ends = parse_time(out["starts_at"]), parse_time(out["ends_at"])
    if starts is not None and ends is not None and ends <= starts:
        problems.add(["body", "ends_at"], "must be after starts_at")
    problems.raise_if_any()
    return out


def _check_steps(steps: Any, view: Reader, problems: Problems) -> list[JSON]:
    if not isinstance(steps, list) or not steps:
        problems.add(["body", "steps"], "must be a non-empty list of steps", "type_error")
        return []
    seen: set[str] = set()
    out = []
    for i, step in enumerate(steps):
        loc: Loc = ["body", "steps", i]
        if not isinstance(step, dict):
            problems.add(loc, "must be an object {id, name, criteria?, target}", "type_error")
            continue
        check_unknown_keys(step, {"id", "name", "criteria", "target"}, loc, problems)
        step_id, target = step.get("id"), step.get("target", 1)
        if not isinstance(step_id, str) or not DEFINITION_ID.match(step_id):
            problems.add([*loc, "id"], "must match ^[a-z0-9][a-z0-9_-]{0,63}$")
        elif step_id in seen:
            problems.add([*loc, "id"], f"duplicate step id {step_id!r}")
        seen.add(str(step_id))
        if not (is_int(target) and target >= 1):
            problems.add([*loc, "target"], "must be an integer >= 1")
        out.append(
            {
                "id": step_id,
                "name": step.get("name", step_id),
                "criteria": check_criteria(
                    step.get("criteria"), [*loc, "criteria"], view, problems
                ),
                "target": target,
            }
        )
    return out
