"""Streaks: consecutive days or ISO weeks with a qualifying event, in the user's timezone.

The period of an event is taken from its ``occurred_at`` on the user's own calendar
(``ctx.user.timezone``), so a user in Auckland extends a daily streak at their midnight,
not at UTC's. Given the streak's last period ``L`` and the event's period ``p``:

==========================  ==============================================================
no streak / ended streak     ``started``: count 1
p == L                       ``unchanged``
p == L + 1                   ``extended``: count + 1
p == L + 1 + g, g ≤ freezes  ``extended``: count + 1, ``freezes_left -= g`` (the missed
                             periods are covered; they do not add to the count)
otherwise (p > L)            the old streak ``ended`` (``user.streak.ended`` with its final
                             count), then a new one ``started`` (count 1)
p < L                        late event: nothing changes, nothing is reported
==========================  ==============================================================

``expires_at`` is the UTC instant from which the streak can no longer be extended: the end
of period ``L + 1 + freezes_left`` in the user's timezone. The clock sweep ends every active
streak whose ``expires_at <= now`` through the storage index ``streaks_expiring_by``
(soonest first), so the cost of a sweep follows the streaks that ended, not the users.

Decisions where the design is silent (also in the issue note):

* **Freeze refill**: ``freezes_left`` is reset to the definition's ``freezes_allowed`` each
  time a new streak starts; freezes are never refilled mid-streak.
* **Milestones** pay once per streak run: counts rise by exactly 1, so a run passes each
  milestone once; a later run that reaches 7 again is rewarded again
  (source ``streak:<id>:<count>``).
* An event for the last period or earlier of an *ended* streak is late, like one for an
  active streak: it does not resurrect or restart anything.
* ``expires_at`` uses the user's timezone when the streak was last extended; a user who
  changes timezone mid-streak gets the new zone from their next qualifying event on.
* When a step ends and restarts a streak, ``effects.streaks`` reports both: an ``ended``
  line (with the final count) and then a ``started`` line.
* A streak past ``expires_at`` but not yet swept reads as ended (count 0) in the user view
  and as 0 for the ``user.streaks.<id>`` fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..domain import JSON, DomainEvent, StreakState
from ..storage.base import Reader
from . import periods
from .badges import cause, check_criteria, criteria_match
from .context import EVENT_PROCESSORS, Changes, EngineContext
from .definitions import _name, definition_validator
from .render import format_time
from .validators import Loc, Problems, actions_into, check_unknown_keys, is_int


def expires_at(last_period: str, freezes_left: int, tz: str) -> datetime:
    """The end of period ``last + 1 + freezes_left``: the last chance to extend, exclusive."""
    return periods.period_end_utc(periods.shift_period(last_period, 1 + freezes_left), tz)


def is_live(state: StreakState | None, moment: datetime) -> bool:
    """An active streak that has not yet passed its expiry at ``moment``."""
    return (
        state is not None
        and state.status == "active"
        and (state.expires_at is None or moment < state.expires_at)
    )


def streak_count(ctx: EngineContext, streak_id: str) -> int:
    """The ``user.streaks.<id>`` fact: the current count, 0 once ended or expired."""
    state = ctx.streak_state(streak_id)
    moment = ctx.event.occurred_at if ctx.event is not None else ctx.now
    return state.count if state is not None and is_live(state, moment) else 0


# -- the processor ------------------------------------------------------------------------


def process_streaks(ctx: EngineContext) -> None:
    """Apply the event to every streak whose criteria it meets."""
    if ctx.event is None:
        return
    for listed in ctx.view.list_definitions("streaks").items:
        streak = ctx.definition("streaks", listed["id"]) or listed
        if criteria_match(ctx, streak.get("criteria")):
            apply_event(ctx, streak, ctx.event.occurred_at)


def apply_event(ctx: EngineContext, streak: JSON, occurred_at: datetime) -> None:
    """One qualifying event at ``occurred_at``: the transition table of the module doc."""
    # The edge validates timezones; an unknown one (a zone removed from tzdata) reads as UTC
    # rather than failing the user's events.
    tz = ctx.user.timezone if periods.is_valid_timezone(ctx.user.timezone) else "UTC"
    period = periods.streak_period_key(occurred_at, tz, streak["period"])
    state = ctx.streak_state(streak["id"])
    if state is not None and state.last_period is not None:
        gap = periods.periods_between(state.last_period, period)
        if gap < 0 or (gap == 0 and state.status != "active"):
            return  # late: changes nothing
        if gap == 0:
            _report(ctx, state, "unchanged")
            return
        if state.status == "active" and gap - 1 <= state.freezes_left:
            used = gap - 1
            state.freezes_left -= used
            state.count += 1
            _advance(ctx, streak, state, period, tz)
            _report(
                ctx, state, "extended", freezes_used=used, milestone=_milestone(ctx, streak, state)
            )
            return
        if state.status == "active":
            final = state.count
            _end(ctx, state, reason="missed")
            _report(ctx, state, "ended", count=final)
    _start(ctx, streak, state, period, tz)


def _start(ctx: EngineContext, streak: JSON, old: StreakState | None, period: str, tz: str) -> None:
    state = StreakState(
        user_id=ctx.user.id,
        streak_id=streak["id"],
        status="active",
        count=1,
        longest=max(old.longest if old else 0, 1),
        freezes_left=int(streak.get("freezes_allowed", 0)),
        last_period=period,
        expires_at=None,
        started_at=ctx.now,
    )
    _advance(ctx, streak, state, period, tz, event="user.streak.started")
    _report(ctx, state, "started", milestone=_milestone(ctx, streak, state))


def _advance(
    ctx: EngineContext,
    streak: JSON,
    state: StreakState,
    period: str,
    tz: str,
    event: str = "user.streak.updated",
) -> None:
    state.last_period = period
    state.longest = max(state.longest, state.count)
    state.expires_at = expires_at(period, state.freezes_left, tz)
    ctx.put_streak_state(state)
    ctx.emit(event, _payload(state, cause(ctx)))


def _end(ctx: EngineContext, state: StreakState, reason: str) -> None:
    ctx.emit("user.streak.ended", {**_payload(state, cause(ctx)), "reason": reason})
    state.status = "ended"
    state.count = 0
    state.expires_at = None
    ctx.put_streak_state(state)


def _milestone(ctx: EngineContext, streak: JSON, state: StreakState) -> int | None:
    for milestone in streak.get("milestones") or []:
        if int(milestone["count"]) == state.count:
            ctx.emit("user.streak.milestone", _payload(state, cause(ctx), state.count))
            ctx.run_rewards(
                list(milestone.get("rewards") or []), f"streak:{state.streak_id}:{state.count}"
            )
            return state.count
    return None


def _report(
    ctx: EngineContext,
    state: StreakState,
    status: str,
    *,
    count: int | None = None,
    milestone: int | None = None,
    freezes_used: int = 0,
) -> None:
    ctx.effects.streaks.append(
        {
            "streak_id": state.streak_id,
            "status": status,
            "count": state.count if count is None else count,
            "milestone": milestone,
            "freezes_used": freezes_used,
        }
    )


def _payload(state: StreakState, event_id: str | None, milestone: int | None = None) -> JSON:
    """``UserStreakChangedData`` (plus ``last_period`` / ``expires_at``)."""
    return {
        "streak_id": state.streak_id,
        "count": state.count,
        "longest": state.longest,
        "freezes_left": state.freezes_left,
        "milestone": milestone,
        "last_period": state.last_period,
        "expires_at": format_time(state.expires_at),
        "event_id": event_id,
    }


EVENT_PROCESSORS.append(process_streaks)


# -- the clock sweep ----------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one sweep did: the changes to apply (states and ``user.streak.ended`` events)
    in one unit of work, the streaks it ended, and whether more are due (call again)."""

    changes: Changes = field(default_factory=Changes)
    ended: list[JSON] = field(default_factory=list)  # {user_id, streak_id, count, expired_at}
    has_more: bool = False


def sweep_streaks(view: Reader, now: datetime, ids: Any = None, limit: int = 1000) -> SweepResult:
    """End up to ``limit`` active streaks whose ``expires_at <= now``, soonest first.

    Reads only the expiry index, never the user list. ``ids`` is accepted for symmetry with
    the other steps; a sweep makes no server ids.
    """
    result = SweepResult()
    due = view.streaks_expiring_by(now, limit + 1)
    result.has_more = len(due) > limit
    for found in due[:limit]:
        state = replace(found)  # a copy: the view's object is not ours to change
        final, expired = state.count, state.expires_at
        payload = {
            "user_id": state.user_id,
            **_payload(state, None),
            "reason": "expired",
        }
        result.changes.domain_events.append(
            DomainEvent(type="user.streak.ended", data=payload, user_id=state.user_id)
        )
        state.status, state.count, state.expires_at = "ended", 0, None
        result.changes.streak_states[(state.user_id, state.streak_id)] = state
        result.ended.append(
            {
                "user_id": state.user_id,
                "streak_id": state.streak_id,
                "count": final,
                "expired_at": format_time(expired),
            }
        )
    return result


# -- read view ----------------------------------------------------------------------------


def user_streak_json(state: StreakState, now: datetime) -> JSON:
    """One ``UserStreak``; an expired-but-unswept streak already reads as ended."""
    live = is_live(state, now)
    return {
        "streak_id": state.streak_id,
        "status": "active" if live else "ended",
        "count": state.count if live else 0,
        "longest": state.longest,
        "freezes_left": state.freezes_left,
        "last_period": state.last_period,
        "expires_at": format_time(state.expires_at) if live else None,
    }


def user_streaks(view: Reader, user_id: str, now: datetime) -> list[JSON]:
    """``GET /v1/users/{id}/streaks``: the user's streaks in definition order."""
    states = {s.streak_id: s for s in view.list_streak_states(user_id)}
    return [
        user_streak_json(states[d["id"]], now)
        for d in view.list_definitions("streaks").items
        if d["id"] in states
    ]


# -- definition ---------------------------------------------------------------------------

_STREAK_FIELDS = {"name", "description", "period", "criteria", "freezes_allowed", "milestones"}


@definition_validator("streaks")
def validate_streak(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """A streak definition's canonical form (defaults filled in), or DefinitionError."""
    problems = Problems()
    check_unknown_keys(doc, _STREAK_FIELDS, ["body"], problems)
    name = _name(doc, definition_id, problems)
    period = doc.get("period")
    if period not in periods.STREAK_PERIODS:
        problems.add(["body", "period"], "must be 'day' or 'week'")
    if doc.get("criteria") is None:
        problems.add(["body", "criteria"], "required", "missing")
    criteria = check_criteria(doc.get("criteria"), ["body", "criteria"], view, problems)
    freezes = doc.get("freezes_allowed", 0)
    if not (is_int(freezes) and freezes >= 0):
        problems.add(["body", "freezes_allowed"], "must be an integer >= 0")
    milestones = doc.get("milestones", [])
    canonical_milestones: list[JSON] = []
    if not isinstance(milestones, list):
        problems.add(["body", "milestones"], "must be a list of {count, rewards}", "type_error")
        milestones = []
    seen: set[int] = set()
    for i, milestone in enumerate(milestones):
        loc: Loc = ["body", "milestones", i]
        if not isinstance(milestone, dict):
            problems.add(loc, "must be an object {count, rewards}", "type_error")
            continue
        check_unknown_keys(milestone, {"count", "rewards"}, loc, problems)
        count: Any = milestone.get("count")
        if not (is_int(count) and count >= 1):
            problems.add([*loc, "count"], "must be an integer >= 1")
        elif count in seen:
            problems.add([*loc, "count"], f"duplicate milestone count {count}")
        else:
            seen.add(count)
        rewards = actions_into(milestone.get("rewards", []), [*loc, "rewards"], view, problems)
        canonical_milestones.append({"count": count, "rewards": rewards})
    problems.raise_if_any()
    canonical_milestones.sort(key=lambda m: m["count"])
    return {
        "name": name,
        "description": doc.get("description"),
        "period": period,
        "criteria": criteria,
        "freezes_allowed": freezes,
        "milestones": canonical_milestones,
    }
