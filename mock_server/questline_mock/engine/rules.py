"""Rules: which rules an event fires, in what order, and why the others did not.

Candidates come from the storage index by trigger type, so a project's rules for other
events cost nothing. They run in priority order (higher first, default 0), ties in
creation order (a stable sort of the index's creation order). Each candidate passes a
table of *gates* (enabled, active window, per-user limit, cooldown) and then its
conditions; the first gate that refuses names the ``skipped_reason``. The gates read the
rule and the step and change nothing; running the actions is the only write, and it goes
through the context like every other action.

Times: the active window and the cooldown are measured in the event's ``occurred_at`` (the
time the user did the thing), so a backfilled event is judged by when it happened.
``active_from`` is inclusive and ``active_until`` exclusive. A cooldown of *c* seconds
refuses an event that occurred less than *c* seconds after (or at any time before) the
last firing for that user.

Each considered rule leaves one trace entry ``{rule_id, matched, skipped_reason,
conditions}`` (``conditions`` is the conditions' explain trace, or None when a gate
refused first or the rule has none), kept compact on the event (``domain.Trace``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..domain import JSON, RuleUsage, Trace
from ..memo import IdentityMemo
from .conditions import Compiled, compile_condition
from .context import EngineContext
from .facts import StepFacts
from .render import parse_time

Gate = Callable[[EngineContext, "PreparedRule"], bool]


@dataclass(frozen=True, slots=True)
class PreparedRule:
    """A stored rule read once: times parsed, limits looked up, conditions compiled."""

    id: str
    priority: int
    enabled: bool
    active_from: datetime | None
    active_until: datetime | None
    max_per_user: int | None
    cooldown: timedelta | None
    conditions: Compiled | None
    actions: list[JSON]
    source: str  # "rule:<id>", what its actions are recorded as coming from
    gates: tuple[tuple[str, Gate], ...] = ()  # those of GATES that can refuse this rule

    @classmethod
    def of(cls, rule: JSON) -> PreparedRule:
        limits = rule.get("limits") or {}
        cooldown = limits.get("cooldown_seconds")
        conditions = rule.get("conditions")
        found = cls(
            id=rule["id"],
            priority=int(rule.get("priority") or 0),
            enabled=rule.get("enabled", True) is not False,
            active_from=parse_time(rule.get("active_from")),
            active_until=parse_time(rule.get("active_until")),
            max_per_user=limits.get("max_per_user"),
            cooldown=timedelta(seconds=cooldown) if cooldown else None,
            conditions=None if conditions is None else compile_condition(conditions),
            actions=rule.get("actions") or [],
            source=f"rule:{rule['id']}",
        )
        gates = tuple((r, GATES[r]) for r, applies in APPLIES.items() if applies(found))
        return dataclasses.replace(found, gates=gates)


# A stored rule document -> its prepared form.
prepared = IdentityMemo(PreparedRule.of)


def _candidates(stored: tuple[JSON, ...]) -> tuple[PreparedRule, ...]:
    return tuple(sorted((prepared(rule) for rule in stored), key=_by_priority))


# A storage's shared tuple of one trigger's rules -> them prepared, in running order.
_candidates_of = IdentityMemo(_candidates)


def candidate_rules(ctx: EngineContext, event_type: str) -> tuple[PreparedRule, ...]:
    """The rules triggered by ``event_type``: priority desc, then creation order."""
    stored = ctx.view.rules_for_event_type(event_type)
    if isinstance(stored, tuple):  # immutable: the same tuple is the same rules
        return _candidates_of(stored)
    return _candidates(tuple(stored))


def _by_priority(rule: PreparedRule) -> int:
    return -rule.priority


def _occurred_at(ctx: EngineContext) -> datetime:
    return ctx.event.occurred_at if ctx.event is not None else ctx.now


def _disabled(ctx: EngineContext, rule: PreparedRule) -> bool:
    return not rule.enabled


def _not_yet_active(ctx: EngineContext, rule: PreparedRule) -> bool:
    return rule.active_from is not None and _occurred_at(ctx) < rule.active_from


def _expired(ctx: EngineContext, rule: PreparedRule) -> bool:
    return rule.active_until is not None and _occurred_at(ctx) >= rule.active_until


def _limit_reached(ctx: EngineContext, rule: PreparedRule) -> bool:
    if rule.max_per_user is None:
        return False
    usage = ctx.user.rule_usage.get(rule.id)
    return usage is not None and usage.fired >= rule.max_per_user


def _cooling_down(ctx: EngineContext, rule: PreparedRule) -> bool:
    if rule.cooldown is None:
        return False
    usage = ctx.user.rule_usage.get(rule.id)
    return usage is not None and _occurred_at(ctx) < usage.last_fired_at + rule.cooldown


# skipped_reason -> gate; checked in this order, the first that refuses wins.
GATES: dict[str, Gate] = {
    "disabled": _disabled,
    "not_yet_active": _not_yet_active,
    "expired": _expired,
    "max_per_user_reached": _limit_reached,
    "cooldown": _cooling_down,
}
# skipped_reason -> whether that gate can refuse the rule at all (a rule keeps only those).
APPLIES: dict[str, Callable[[PreparedRule], bool]] = {
    "disabled": lambda rule: not rule.enabled,
    "not_yet_active": lambda rule: rule.active_from is not None,
    "expired": lambda rule: rule.active_until is not None,
    "max_per_user_reached": lambda rule: rule.max_per_user is not None,
    "cooldown": lambda rule: rule.cooldown is not None,
}


Outcome = tuple[str | None, tuple[Any, ...] | None]


def consider(ctx: EngineContext, rule: PreparedRule, facts: StepFacts) -> Outcome:
    """Gate and evaluate one rule; fire it if it matches. Returns its trace outcome
    ``(skipped_reason, values its conditions saw)``."""
    for reason, refuses in rule.gates:
        if refuses(ctx, rule):
            return reason, None
    if rule.conditions is None:
        seen: tuple[Any, ...] = ()
    else:
        values: list[Any] = []
        if not rule.conditions.run(facts, values):
            return "conditions_not_met", tuple(values)
        seen = tuple(values)
    fire(ctx, rule)
    return None, seen


def fire(ctx: EngineContext, rule: PreparedRule) -> None:
    """Record the firing (limits and cooldown read it) and run the rule's actions."""
    usage = ctx.user.rule_usage.get(rule.id)
    at = _occurred_at(ctx)
    ctx.user.rule_usage[rule.id] = (
        # Never moves back: a late event must not reopen a cooldown window.
        RuleUsage(usage.fired + 1, max(usage.last_fired_at, at)) if usage else RuleUsage(1, at)
    )
    ctx.effects.rules_triggered.append(rule.id)
    ctx.run_actions(rule.actions, rule.source)


# Plans shared between events: every event the same rules judged points at one tuple.
_PLANS: dict[tuple[tuple[str, Compiled | None], ...], tuple[tuple[str, Compiled | None], ...]] = {}


def run_rules(ctx: EngineContext) -> None:
    """Consider every rule the step's event triggers, setting ``ctx.trace``."""
    if ctx.event is None:
        return
    facts = StepFacts(ctx)
    plan: list[tuple[str, Compiled | None]] = []
    outcomes: list[Outcome] = []
    for rule in candidate_rules(ctx, ctx.event.type):
        outcomes.append(consider(ctx, rule, facts))
        plan.append((rule.id, rule.conditions))
    key = tuple(plan)
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    ctx.trace = Trace(_PLANS.setdefault(key, key), tuple(outcomes))
