"""Facts: what a condition may read, by path, resolved against one engine step.

This is the only module that knows where a fact comes from (the event, the working copy
of the user, badge and streak states, the event index). Paths are looked up in two
tables, exact paths and prefixed paths, so the set of facts is data that validation
(``validators.py``) reads too, and a path that resolves here is exactly a path that
saves there.

Facts see the step as it stands: rules run in priority order against the working state,
so a lower-priority rule sees the XP or badge a higher-priority rule just granted.
``user.event_count.<type>`` already includes the current event; ``user.streaks.<id>`` is
the count before the streak processor looks at this event (it runs after the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from ..domain import JSON, MISSING
from .amounts import resolve_amount
from .conditions import as_number, run
from .context import EngineContext


def dig(document: Any, dotted: str) -> Any:
    """The value at ``a.b.0.c`` in nested dicts/lists, or :data:`MISSING`."""
    current = document
    for part in dotted.split("."):
        if isinstance(current, dict):
            if part not in current:
                return MISSING
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return MISSING
    return current


def _event_attr(name: str) -> Callable[[EngineContext], Any]:
    def read(ctx: EngineContext) -> Any:
        return getattr(ctx.event, name) if ctx.event is not None else MISSING

    return read


def _properties(ctx: EngineContext, rest: str) -> Any:
    return dig(ctx.event.properties, rest) if ctx.event is not None else MISSING


def _streak_count(ctx: EngineContext, streak_id: str) -> Any:
    """The current count: 0 once ended, and 0 once past its expiry even if the sweep has not
    run yet (the same answer as ``streaks.streak_count``, which cannot be imported here)."""
    state = ctx.streak_state(streak_id)
    if state is None or state.status != "active":
        return 0
    moment = ctx.event.occurred_at if ctx.event is not None else ctx.now
    return state.count if state.expires_at is None or moment < state.expires_at else 0


EXACT_FACTS: dict[str, Callable[[EngineContext], Any]] = {
    "event.type": _event_attr("type"),
    "event.occurred_at": _event_attr("occurred_at"),
    "user.xp": lambda ctx: ctx.user.xp,
    "user.level": lambda ctx: ctx.user.level,
    "user.badges": lambda ctx: ctx.earned_badge_ids(),
}

# Prefix (with its trailing dot) -> resolver of the rest of the path.
PREFIXED_FACTS: dict[str, Callable[[EngineContext, str], Any]] = {
    "properties.": _properties,
    "user.traits.": lambda ctx, rest: dig(ctx.user.traits, rest),
    "user.balances.": lambda ctx, rest: ctx.user.balances.get(rest, 0),
    "user.event_count.": lambda ctx, rest: ctx.user.event_counts.get(rest, 0),
    "user.streaks.": _streak_count,
}


def split_fact_path(path: object) -> tuple[str, str] | None:
    """``("user.balances.", "coins")`` / ``("user.xp", "")``, or None for an unknown path."""
    if not isinstance(path, str):
        return None
    return _split(path)


@lru_cache(maxsize=4096)  # a project has few distinct paths; each is read on every event
def _split(path: str) -> tuple[str, str] | None:
    if path in EXACT_FACTS:
        return path, ""
    for prefix in PREFIXED_FACTS:
        rest = path[len(prefix) :]
        if path.startswith(prefix) and rest and all(rest.split(".")):
            return prefix, rest
    return None


def _missing(ctx: EngineContext) -> Any:
    return MISSING


_UNREAD = object()
_EVENT_VALUES = "event_facts"  # the step's event facts as read, in ``ctx.memo``


# Facts read from the event itself, which nothing in a step changes: read once per step.
EVENT_FACTS = frozenset({"event.type", "event.occurred_at", "properties."})


@lru_cache(maxsize=4096)
def _resolver(path: str) -> tuple[Callable[[EngineContext], Any], bool]:
    """The function reading ``path`` from a step, found once per path, and whether its
    value is the event's (the same all through a step)."""
    split = _split(path)
    if split is None:
        return _missing, True
    head, rest = split
    if head in EXACT_FACTS:
        return EXACT_FACTS[head], head in EVENT_FACTS
    resolve = PREFIXED_FACTS[head]
    return (lambda ctx: resolve(ctx, rest)), head in EVENT_FACTS


class StepFacts:
    """The :class:`~.conditions.FactReader` over one step's working state.

    Facts about the user are read afresh each time (a rule that ran before may have
    changed them); facts about the event are read once and remembered.
    """

    def __init__(self, ctx: EngineContext) -> None:
        self._ctx = ctx
        # Shared by every reader of the step (rules, amounts, criteria). Plain values in
        # the memo, not this reader: a reader there would make a cycle through ``ctx``,
        # and a step must free itself by reference counting.
        values = ctx.memo.get(_EVENT_VALUES)
        if values is None:
            values = ctx.memo[_EVENT_VALUES] = {}
        self._event_values: dict[str, Any] = values

    def fact(self, path: str) -> Any:
        if not isinstance(path, str):
            return MISSING
        found = self._event_values.get(path, _UNREAD)
        if found is not _UNREAD:
            return found
        read, of_event = _resolver(path)
        value = read(self._ctx)
        if of_event:
            self._event_values[path] = value
        return value

    def aggregate(self, spec: JSON) -> Any:
        """``count`` or ``sum`` over the user's events of one type in the window ending at
        the current event (or at ``now`` outside an event), the current event included.

        The stored events come from the storage index (cost grows with the window, not the
        history); the current event is not stored yet, so it is added here. Results are
        memoised for the step: no event is stored mid-step, so they cannot change.
        """
        ctx = self._ctx
        try:
            event_type = spec["event_type"]
            window = timedelta(seconds=spec["window_seconds"])
            function = spec.get("function", "count")
        except (KeyError, TypeError):
            return MISSING
        prop = spec.get("property")
        key = ("aggregate", event_type, spec["window_seconds"], prop)
        if key not in ctx.memo:
            until = ctx.event.occurred_at if ctx.event is not None else ctx.now
            since = until - window
            count, total = ctx.view.aggregate_events(ctx.user.id, event_type, since, until, prop)
            current = ctx.event
            if current is not None and current.type == event_type:
                count += 1
                total += (as_number(dig(current.properties, prop)) or 0) if prop else 0
            ctx.memo[key] = (count, total)
        count, total = ctx.memo[key]
        if function == "count":
            return count
        return int(total) if float(total).is_integer() else total


def condition_holds(ctx: EngineContext, condition: JSON | None) -> bool:
    """Whether a canonical condition holds in the step (badge, quest and streak criteria;
    rules run theirs in ``rules.py``, keeping the values for the trace)."""
    return run(condition, StepFacts(ctx))[0]


def evaluate_amount(ctx: EngineContext, spec: Any) -> int:
    """An action's ``amount`` (int or ``{from, multiply, round}``) in the step, >= 0."""
    return resolve_amount(spec, StepFacts(ctx).fact)
