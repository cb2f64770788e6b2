"""Badges: progress from the badge's own criteria or from rule actions, awards, tiers.

A badge is a counter per user (:class:`BadgeState`) and a goal. Every event whose type is
the badge's ``criteria.event_type`` and whose ``conditions`` hold adds 1 (or the value of
``criteria.count_property``); ``progress_badge`` adds an amount; ``award_badge`` and the
manual ``POST /v1/users/{id}/badges`` award it outright.

Awards are decided from the stored state alone, so running the same step twice cannot
award twice: a plain badge is awarded when progress reaches ``target`` and then stops
counting; a ``repeatable`` one is awarded, its progress goes back to 0 (any excess is
dropped, as the design says "resets") and it counts towards the next award; a tiered
badge awards each tier once, in order, as progress reaches that tier's target.

Decisions where the design is silent (also in the issue note):

* A tiered badge's ``target`` is its first tier's target (it is *earned* with its first
  tier). An explicit ``target`` that differs is a 422, and so is ``repeatable`` with
  ``tiers`` (what would a repeated gold tier mean?).
* Every award (each tier, each repeat) runs the badge's ``rewards`` once, with source
  ``badge:<id>``, and emits one ``user.badge.unlocked``.
* ``award_badge`` on a tiered badge earns its first tier if none is earned, else nothing.
* Progress is an integer: a ``count_property`` value is truncated towards zero and
  clamped at ≥ 0; a missing or non-numeric value adds nothing.
* A ``secret`` badge reports no progress (effects, webhooks, listings) until earned.
* ``badge_progress`` / ``user.badge.progress.updated`` report progress that moved without
  an award; a step that awards reports the award only.
* ``UserBadge`` carries the spec's fields (``awarded``, ``award_count``, ``tier``,
  ``awarded_at``) and, beside them, the definition's presentation (name, description,
  image_url, secret) and the full state (tiers_earned, first/last_awarded_at).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain import JSON, BadgeState, User
from ..storage.base import Reader
from .amounts import MAX_AMOUNT
from .conditions import as_number
from .context import (
    EVENT_PROCESSORS,
    DefinitionError,
    EngineContext,
    IdFactory,
    NotFound,
    action_handler,
)
from .definitions import _name, definition_validator
from .facts import condition_holds, dig, evaluate_amount
from .process import Outcome, run_step
from .render import format_time
from .validators import (
    EVENT_TYPE,
    Loc,
    Problems,
    actions_into,
    check_unknown_keys,
    is_int,
    validate_condition,
)

# -- criteria (shared with quests and streaks) --------------------------------------------


def criteria_match(ctx: EngineContext, criteria: JSON | None) -> bool:
    """The step's event has ``criteria.event_type`` and ``criteria.conditions`` hold."""
    event = ctx.event
    if event is None or not criteria or criteria.get("event_type") != event.type:
        return False
    return condition_holds(ctx, criteria.get("conditions"))


def check_criteria(
    criteria: Any, loc: Loc, view: Reader, problems: Problems, *, count_property: bool = False
) -> JSON | None:
    """Canonical ``{event_type, conditions, count_property?}``; problems collected."""
    if criteria is None:
        return None
    if not isinstance(criteria, dict):
        problems.add(loc, "must be an object", "type_error")
        return None
    allowed = {"event_type", "conditions", *(("count_property",) if count_property else ())}
    check_unknown_keys(criteria, allowed, loc, problems)
    event_type = criteria.get("event_type")
    if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
        problems.add([*loc, "event_type"], "must be an event type like 'lesson_completed'")
    out: JSON = {"event_type": event_type, "conditions": None}
    if criteria.get("conditions") is not None:
        try:
            out["conditions"] = validate_condition(
                criteria["conditions"], [*loc, "conditions"], view
            )
        except DefinitionError as exc:
            problems.absorb(exc)
    if count_property:
        prop = criteria.get("count_property")
        if isinstance(prop, str) and prop.startswith("properties."):
            prop = prop[len("properties.") :]
        if prop is not None and (not isinstance(prop, str) or not prop or not all(prop.split("."))):
            problems.add([*loc, "count_property"], "must be a dotted property path like 'pages'")
        out["count_property"] = prop
    return out


def cause(ctx: EngineContext) -> str | None:
    """The ``evt_…`` id behind a domain event, None for an API call or a sweep."""
    return ctx.event.id if ctx.event is not None else None


def goal_of(badge: JSON) -> int:
    """Where progress stops counting: the top tier's target, else the badge's target."""
    tiers = badge.get("tiers") or []
    return int(tiers[-1]["target"]) if tiers else int(badge.get("target", 1))


def next_target(badge: JSON, state: BadgeState) -> int:
    """The target shown beside progress: the next unearned tier's, else the badge's."""
    for tier in badge.get("tiers") or []:
        if tier["tier"] not in state.tiers_earned:
            return int(tier["target"])
    return goal_of(badge)


def is_complete(badge: JSON, state: BadgeState) -> bool:
    """A badge that can gain nothing more (every award it can give is given)."""
    if badge.get("repeatable"):
        return False
    tiers = badge.get("tiers") or []
    if tiers:
        return len(state.tiers_earned) >= len(tiers)
    return state.times_awarded > 0


def add_progress(ctx: EngineContext, badge: JSON, amount: int) -> None:
    """Add ``amount`` to the user's progress and award whatever that reaches.

    Progress is reported (effect and webhook) only when it moved without an award: the
    spec's ``badge_progress`` is "progress on a badge not yet awarded", and an award is
    reported by ``badges_awarded`` / ``user.badge.unlocked`` instead.
    """
    if amount <= 0:
        return
    state = ctx.badge_state(badge["id"])
    if is_complete(badge, state):
        return
    awards_before = state.times_awarded
    state.progress = min(state.progress + amount, goal_of(badge))
    _award_reached(ctx, badge, state)
    if state.times_awarded == awards_before and not (badge.get("secret") and awards_before == 0):
        _report_progress(ctx, badge, state)


def award(ctx: EngineContext, badge: JSON) -> bool:
    """Award outright (``award_badge``, manual award). False when already earned."""
    state = ctx.badge_state(badge["id"])
    tiers = badge.get("tiers") or []
    if tiers:
        if state.tiers_earned:
            return False
        state.progress = max(state.progress, int(tiers[0]["target"]))
    elif is_complete(badge, state):
        return False
    else:
        state.progress = max(state.progress, int(badge.get("target", 1)))
    _award_reached(ctx, badge, state)
    return True


def _award_reached(ctx: EngineContext, badge: JSON, state: BadgeState) -> None:
    tiers = badge.get("tiers") or []
    if tiers:
        for tier in tiers:
            if tier["tier"] not in state.tiers_earned and state.progress >= int(tier["target"]):
                state.tiers_earned.append(tier["tier"])
                _record_award(ctx, badge, state, tier["tier"])
        return
    target = int(badge.get("target", 1))
    if state.progress >= target and (badge.get("repeatable") or state.times_awarded == 0):
        if badge.get("repeatable"):
            state.progress = 0
        _record_award(ctx, badge, state, None)


def _record_award(ctx: EngineContext, badge: JSON, state: BadgeState, tier: str | None) -> None:
    state.times_awarded += 1
    state.first_awarded_at = state.first_awarded_at or ctx.now
    state.last_awarded_at = ctx.now
    ctx.effects.badges_awarded.append({"badge_id": badge["id"], "tier": tier})
    ctx.emit(
        "user.badge.unlocked",
        {
            "badge_id": badge["id"],
            "tier": tier,
            "award_count": state.times_awarded,
            "event_id": cause(ctx),
        },
    )
    ctx.run_rewards(list(badge.get("rewards") or []), f"badge:{badge['id']}")


def _report_progress(ctx: EngineContext, badge: JSON, state: BadgeState) -> None:
    report = {
        "badge_id": badge["id"],
        "progress": state.progress,
        "target": next_target(badge, state),
    }
    # One line per badge per step: a later change in the same step replaces the earlier one.
    ctx.effects.badge_progress[:] = [
        p for p in ctx.effects.badge_progress if p["badge_id"] != badge["id"]
    ]
    ctx.effects.badge_progress.append(report)
    ctx.emit("user.badge.progress.updated", {**report, "event_id": cause(ctx)})


# -- plug-ins -----------------------------------------------------------------------------


def process_badges(ctx: EngineContext) -> None:
    """The event processor: every badge whose criteria match the event progresses."""
    event = ctx.event
    if event is None:
        return
    for listed in ctx.view.list_definitions("badges").items:
        criteria = listed.get("criteria")
        if not criteria or criteria.get("event_type") != event.type:
            continue
        badge = ctx.definition("badges", listed["id"]) or listed
        if not criteria_match(ctx, badge.get("criteria")):
            continue
        prop = badge["criteria"].get("count_property")
        add_progress(ctx, badge, 1 if prop is None else count_value(event.properties, prop))


def count_value(properties: JSON, path: str) -> int:
    """A ``count_property`` value as progress: truncated to an int in ``[0, MAX_AMOUNT]``,
    0 if not a number."""
    number = as_number(dig(properties, path))
    return min(max(int(number), 0), MAX_AMOUNT) if number is not None else 0


@action_handler("award_badge")
def _award_badge_action(ctx: EngineContext, action: JSON, source: str) -> JSON | None:
    badge = ctx.definition("badges", action["badge_id"])
    if badge is None:  # deleted since the rule was saved: nothing to do
        return {"awarded": False}
    return {"awarded": award(ctx, badge)}


@action_handler("progress_badge")
def _progress_badge_action(ctx: EngineContext, action: JSON, source: str) -> JSON | None:
    badge = ctx.definition("badges", action["badge_id"])
    amount = evaluate_amount(ctx, action.get("amount", 1))
    if badge is not None:
        add_progress(ctx, badge, amount)
    return {"amount": amount}


EVENT_PROCESSORS.append(process_badges)


def award_badge_manually(
    view: Reader, user: User, badge_id: str, now: datetime, ids: IdFactory
) -> Outcome:
    """``POST /v1/users/{id}/badges``: award by hand, as one engine step.

    Awarding a non-repeatable badge the user already holds changes nothing (the outcome
    has no ``badges_awarded``); it is not an error, so a retried request is harmless.
    Raises ``NotFound`` (404) for an unknown badge.
    """

    def body(ctx: EngineContext) -> None:
        badge = ctx.definition("badges", badge_id)
        if badge is None:
            raise NotFound(f"badge {badge_id!r} not found", loc=["body", "badge_id"])
        award(ctx, badge)

    return run_step(view, user, now, ids, body)


# -- read view ----------------------------------------------------------------------------


def user_badge_json(badge: JSON, state: BadgeState) -> JSON:
    """One ``UserBadge``: the spec's fields, plus the definition's presentation."""
    return {
        "badge_id": badge["id"],
        "awarded": state.times_awarded > 0,
        "award_count": state.times_awarded,
        "tier": state.tiers_earned[-1] if state.tiers_earned else None,
        "awarded_at": format_time(state.last_awarded_at),
        "name": badge.get("name"),
        "description": badge.get("description"),
        "image_url": badge.get("image_url"),
        "earned": state.times_awarded > 0,
        "progress": state.progress,
        "target": next_target(badge, state),
        "tiers_earned": list(state.tiers_earned),
        "times_awarded": state.times_awarded,
        "first_awarded_at": format_time(state.first_awarded_at),
        "last_awarded_at": format_time(state.last_awarded_at),
        "secret": bool(badge.get("secret")),
    }


def user_badges(view: Reader, user_id: str) -> list[JSON]:
    """``GET /v1/users/{id}/badges``: earned and in-progress badges, in definition order.

    Secret badges appear only once earned; badges whose definition was deleted are gone.
    """
    states = {s.badge_id: s for s in view.list_badge_states(user_id)}
    listed = []
    for badge in view.list_definitions("badges").items:
        state = states.get(badge["id"])
        if state is None or (state.times_awarded == 0 and state.progress == 0):
            continue
        if badge.get("secret") and state.times_awarded == 0:
            continue
        listed.append(user_badge_json(badge, state))
    return listed


# -- definition ---------------------------------------------------------------------------

_BADGE_FIELDS = {
    "name", "description", "image_url", "secret", "criteria", "target", "tiers",
    "rewards", "repeatable",
}  # fmt: skip


@definition_validator("badges")
def validate_badge(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """A badge definition's canonical form (defaults filled in), or DefinitionError."""
    problems = Problems()
    check_unknown_keys(doc, _BADGE_FIELDS, ["body"], problems)
    out: JSON = {
        "name": _name(doc, definition_id, problems),
        "description": doc.get("description"),
        "image_url": doc.get("image_url"),
        "secret": doc.get("secret", False),
        "criteria": check_criteria(
            doc.get("criteria"), ["body", "criteria"], view, problems, count_property=True
        ),
        "target": doc.get("target", 1),
        "tiers": [],
        "rewards": actions_into(doc.get("rewards", []), ["body", "rewards"], view, problems),
        "repeatable": doc.get("repeatable", False),
    }
    for flag in ("secret", "repeatable"):
        if not isinstance(out[flag], bool):
            problems.add(["body", flag], "must be a boolean", "type_error")
    if doc.get("tiers"):
        out["tiers"] = _check_tiers(doc["tiers"], problems)
        if out["repeatable"] is True:
            problems.add(["body", "repeatable"], "a tiered badge cannot be repeatable")
        first = out["tiers"][0]["target"] if out["tiers"] else 1
        if "target" in doc and doc["target"] != first:
            problems.add(["body", "target"], "a tiered badge's target is its first tier's target")
        out["target"] = first
    if not (is_int(out["target"]) and out["target"] >= 1):
        problems.add(["body", "target"], "must be an integer >= 1")
    problems.raise_if_any()
    return out


def _check_tiers(tiers: Any, problems: Problems) -> list[JSON]:
    if not isinstance(tiers, list):
        problems.add(["body", "tiers"], "must be a list of {tier, target}", "type_error")
        return []
    seen: set[str] = set()
    previous = 0
    out = []
    for i, tier in enumerate(tiers):
        loc: Loc = ["body", "tiers", i]
        if not isinstance(tier, dict):
            problems.add(loc, "must be an object {tier, target}", "type_error")
            continue
        check_unknown_keys(tier, {"tier", "target"}, loc, problems)
        name: Any = tier.get("tier")
        target: Any = tier.get("target")
        if not isinstance(name, str) or not name:
            problems.add([*loc, "tier"], "must be a non-empty string")
        elif name in seen:
            problems.add([*loc, "tier"], f"duplicate tier {name!r}")
        if not (is_int(target) and target >= 1):
            problems.add([*loc, "target"], "must be an integer >= 1")
        elif target <= previous:
            problems.add([*loc, "target"], "tier targets must strictly increase")
        else:
            previous = target
        seen.add(str(name))
        out.append({"tier": name, "target": target})
    return out
