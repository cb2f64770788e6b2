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

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..domain import JSON, RuleUsage, Trace
from .conditions import Compiled
from .context import EngineContext
from .facts import run_for
from .render import parse_time


def candidate_rules(ctx: EngineContext, event_type: str) -> list[JSON]:
    """The rules triggered by ``event_type``: priority desc, then creation order."""
    rules = ctx.view.rules_for_event_type(event_type)
    return sorted(rules, key=lambda rule: -int(rule.get("priority") or 0))


def _occurred_at(ctx: EngineContext) -> datetime:
    return ctx.event.occurred_at if ctx.event is not None else ctx.now


def _disabled(ctx: EngineContext, rule: JSON) -> bool:
    return rule.get("enabled", True) is False


def _not_yet_active(ctx: EngineContext, rule: JSON) -> bool:
    start = parse_time(rule.get("active_from"))
    return start is not None and _occurred_at(ctx) < start


def _expired(ctx: EngineContext, rule: JSON) -> bool:
    end = parse_time(rule.get("active_until"))
    return end is not None and _occurred_at(ctx) >= end


def _limit_reached(ctx: EngineContext, rule: JSON) -> bool:
    limit = (rule.get("limits") or {}).get("max_per_user")
    if limit is None:
        return False
    usage = ctx.rule_usage(rule["id"])
    return usage is not None and usage.count >= limit


def _cooling_down(ctx: EngineContext, rule: JSON) -> bool:
    cooldown = (rule.get("limits") or {}).get("cooldown_seconds")
    if not cooldown:
        return False
    usage = ctx.rule_usage(rule["id"])
    if usage is None:
        return False
    return _occurred_at(ctx) < usage.last_fired_at + timedelta(seconds=cooldown)


# skipped_reason -> gate; checked in this order, the first that refuses wins.
GATES: dict[str, Callable[[EngineContext, JSON], bool]] = {
    "disabled": _disabled,
    "not_yet_active": _not_yet_active,
    "expired": _expired,
    "max_per_user_reached": _limit_reached,
    "cooldown": _cooling_down,
}


Outcome = tuple[str | None, tuple[Any, ...] | None]


def consider(ctx: EngineContext, rule: JSON) -> tuple[Outcome, Compiled | None]:
    """Gate and evaluate one rule; fire it if it matches. Returns its trace outcome
    ``(skipped_reason, values its conditions saw)`` and its compiled conditions."""
    for reason, refuses in GATES.items():
        if refuses(ctx, rule):
            return (reason, None), None
    matched, compiled, seen = run_for(ctx, rule.get("conditions"))
    if not matched:
        return ("conditions_not_met", seen), compiled
    fire(ctx, rule)
    return (None, seen), compiled


def fire(ctx: EngineContext, rule: JSON) -> None:
    """Record the firing (limits and cooldown read it) and run the rule's actions."""
    usage = ctx.rule_usage(rule["id"])
    ctx.put_rule_usage(
        RuleUsage(
            user_id=ctx.user.id,
            rule_id=rule["id"],
            count=(usage.count if usage else 0) + 1,
            # Never moves back: a late event must not reopen a cooldown window.
            last_fired_at=max(usage.last_fired_at, _occurred_at(ctx))
            if usage
            else _occurred_at(ctx),
        )
    )
    ctx.effects.rules_triggered.append(rule["id"])
    ctx.run_actions(rule.get("actions") or [], f"rule:{rule['id']}")


# Plans shared between events: every event the same rules judged points at one tuple.
_PLANS: dict[tuple[tuple[str, Compiled | None], ...], tuple[tuple[str, Compiled | None], ...]] = {}


def run_rules(ctx: EngineContext) -> None:
    """Consider every rule the step's event triggers, setting ``ctx.trace``."""
    if ctx.event is None:
        return
    plan: list[tuple[str, Compiled | None]] = []
    outcomes: list[Outcome] = []
    for rule in candidate_rules(ctx, ctx.event.type):
        outcome, compiled = consider(ctx, rule)
        plan.append((rule["id"], compiled))
        outcomes.append(outcome)
    key = tuple(plan)
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    ctx.trace = Trace(_PLANS.setdefault(key, key), tuple(outcomes))
