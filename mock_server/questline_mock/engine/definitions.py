"""Definitions: turning a ``PUT /v1/{kind}/{id}`` body into the canonical stored form.

Every kind goes through :func:`canonicalize_definition`, which checks what all kinds share
(the id, a JSON object body) and hands the rest to ``DEFINITION_VALIDATORS[kind]``. This
module registers ``rules`` and ``currencies``; badges, quests, streaks and leaderboards
register theirs from their own modules, using :func:`validate_condition` and
:func:`validate_actions` for criteria and rewards. A validator returns the canonical
document (defaults filled in, shorthand expanded) or raises ``DefinitionError`` naming
each bad field, with ``loc`` starting at ``"body"``.

:func:`references` answers the delete question ("who still uses this?") by walking every
stored definition and the levels document for the places a definition id can appear.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..domain import DEFINITION_KINDS, JSON, SINGULAR
from ..storage.base import Reader
from .context import DefinitionError
from .render import format_time, parse_time
from .validators import (
    DEFINITION_ID,
    EVENT_TYPE,
    Problems,
    actions_into,
    check_unknown_keys,
    is_int,
    validate_actions,
    validate_condition,
)

__all__ = [
    "DEFINITION_VALIDATORS",
    "canonicalize_definition",
    "references",
    "validate_actions",
    "validate_condition",
]

DefinitionValidator = Callable[[str, JSON, Reader], JSON]
DEFINITION_VALIDATORS: dict[str, DefinitionValidator] = {}


def definition_validator(kind: str) -> Callable[[DefinitionValidator], DefinitionValidator]:
    """Register the validator of one definition kind."""

    def register(fn: DefinitionValidator) -> DefinitionValidator:
        DEFINITION_VALIDATORS[kind] = fn
        return fn

    return register


def canonicalize_definition(kind: str, definition_id: str, doc: Any, view: Reader) -> JSON:
    """The canonical document to store (and return) for ``PUT /v1/{kind}/{definition_id}``."""
    problems = Problems()
    if kind not in DEFINITION_KINDS:
        problems.add(["path", "kind"], f"unknown kind {kind!r}")
    if not isinstance(definition_id, str) or not DEFINITION_ID.match(definition_id):
        problems.add(["path", "id"], "must match ^[a-z0-9][a-z0-9_-]{0,63}$")
    if not isinstance(doc, dict):
        problems.add(["body"], "must be an object", "type_error")
    elif "id" in doc and doc["id"] != definition_id:
        problems.add(["body", "id"], f"must equal the id in the path ({definition_id!r})")
    problems.raise_if_any()
    body = {k: v for k, v in doc.items() if k != "id"}
    validator = DEFINITION_VALIDATORS.get(kind)
    canonical = validator(definition_id, body, view) if validator else dict(body)
    return {"id": definition_id, **{k: v for k, v in canonical.items() if k != "id"}}


def _name(doc: JSON, definition_id: str, problems: Problems) -> Any:
    name = doc.get("name", definition_id)
    if not isinstance(name, str) or not name:
        problems.add(["body", "name"], "must be a non-empty string", "type_error")
    return name


@definition_validator("currencies")
def validate_currency(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """``{id, name}``; the name defaults to the id."""
    problems = Problems()
    check_unknown_keys(doc, {"name"}, ["body"], problems)
    name = _name(doc, definition_id, problems)
    problems.raise_if_any()
    return {"name": name}


RULE_FIELDS = {
    "name",
    "description",
    "enabled",
    "priority",
    "trigger",
    "conditions",
    "actions",
    "limits",
    "active_from",
    "active_until",
}


@definition_validator("rules")
def validate_rule(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """A rule with every field present: enabled true, priority 0, no limits by default."""
    problems = Problems()
    check_unknown_keys(doc, RULE_FIELDS, ["body"], problems)
    name = _name(doc, definition_id, problems)
    description = doc.get("description")
    if description is not None and not isinstance(description, str):
        problems.add(["body", "description"], "must be a string", "type_error")
    enabled = doc.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.add(["body", "enabled"], "must be true or false", "type_error")
    priority = doc.get("priority", 0)
    if not is_int(priority):
        problems.add(["body", "priority"], "must be an integer", "type_error")
    trigger = _trigger(doc.get("trigger"), problems)
    conditions = None
    if doc.get("conditions") is not None:
        try:
            conditions = validate_condition(doc["conditions"], ["body", "conditions"], view)
        except DefinitionError as error:
            problems.absorb(error)
    if "actions" not in doc:
        problems.add(["body", "actions"], "required", "missing")
    actions = actions_into(
        doc.get("actions", []), ["body", "actions"], view, problems, allow_empty=False
    )
    limits = _limits(doc.get("limits"), problems)
    window = {key: _time(doc, key, problems) for key in ("active_from", "active_until")}
    start, end = parse_time(window["active_from"]), parse_time(window["active_until"])
    if start is not None and end is not None and end <= start:
        problems.add(["body", "active_until"], "must be after active_from")
    problems.raise_if_any()
    return {
        "name": name,
        "description": description,
        "enabled": enabled,
        "priority": priority,
        "trigger": trigger,
        "conditions": conditions,
        "actions": actions,
        "limits": limits,
        **window,
    }


def _trigger(trigger: Any, problems: Problems) -> JSON:
    loc: list[str | int] = ["body", "trigger"]
    if trigger is None:
        problems.add(loc, "required", "missing")
        return {}
    if not isinstance(trigger, dict):
        problems.add(loc, "must be an object {event_type}", "type_error")
        return {}
    check_unknown_keys(trigger, {"event_type"}, loc, problems)
    event_type = trigger.get("event_type")
    if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
        problems.add([*loc, "event_type"], "must be an event type like 'lesson_completed'")
    return {"event_type": event_type}


def _limits(limits: Any, problems: Problems) -> JSON | None:
    """Canonical limits hold only the limits set; no limits at all is ``null``."""
    loc: list[str | int] = ["body", "limits"]
    if limits is None:
        return None
    if not isinstance(limits, dict):
        problems.add(loc, "must be an object", "type_error")
        return None
    check_unknown_keys(limits, {"max_per_user", "cooldown_seconds"}, loc, problems)
    max_per_user = limits.get("max_per_user")
    if max_per_user is not None and (not is_int(max_per_user) or max_per_user < 1):
        problems.add([*loc, "max_per_user"], "must be an integer >= 1")
    cooldown = limits.get("cooldown_seconds")
    if cooldown is not None and (not is_int(cooldown) or cooldown < 0):
        problems.add([*loc, "cooldown_seconds"], "must be an integer >= 0")
    canonical = {"max_per_user": max_per_user, "cooldown_seconds": cooldown}
    return {k: v for k, v in canonical.items() if v is not None} or None


def _time(doc: JSON, key: str, problems: Problems) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    parsed = parse_time(value)
    if parsed is None:
        problems.add(["body", key], "must be an RFC 3339 time with an offset")
        return None
    return format_time(parsed)


# -- references --------------------------------------------------------------------------
# Where an id of each kind can appear: a dict key holding the id, or a fact path prefix.
_REFERENCE_KEYS = {
    "currencies": "currency",
    "badges": "badge_id",
    "quests": "quest_id",
    "streaks": "streak_id",
}
_REFERENCE_FACTS = {"currencies": "user.balances.", "streaks": "user.streaks."}


def _mentions(node: Any, kind: str, target: str) -> bool:
    key = _REFERENCE_KEYS.get(kind)
    fact_prefix = _REFERENCE_FACTS.get(kind)
    for item in _walk(node):
        if key is not None and item.get(key) == target:
            return True
        for path_key in ("fact", "from"):
            if fact_prefix and item.get(path_key) == f"{fact_prefix}{target}":
                return True
        if kind == "badges" and item.get("fact") == "user.badges" and item.get("value") == target:
            return True
    return False


def _walk(node: Any) -> Iterator[JSON]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _users(view: Reader, kind: str, definition_id: str) -> Iterator[tuple[str, Any]]:
    """``(name, document)`` of every definition but ``kind``/``definition_id`` itself:
    rules first (the design's example), then the other kinds, then the levels document."""
    for other_kind in ["rules", *[k for k in DEFINITION_KINDS if k != "rules"]]:
        for doc in view.list_definitions(other_kind).items:
            if not (other_kind == kind and doc.get("id") == definition_id):
                yield f"{SINGULAR[other_kind]}:{doc.get('id')}", doc
    levels = view.get_levels()
    if levels is not None:
        yield "levels", levels


def step_references(view: Reader, quest_id: str, steps: set[str]) -> dict[str, set[str]]:
    """Definitions whose ``progress_quest`` names a step of ``quest_id`` outside ``steps``
    (what a new version of the quest would leave them pointing at): user -> step ids."""
    found: dict[str, set[str]] = {}
    for user, doc in _users(view, "quests", quest_id):
        for item in _walk(doc):
            step = item.get("step_id")
            if item.get("quest_id") == quest_id and isinstance(step, str) and step not in steps:
                found.setdefault(user, set()).add(step)
    return found


def references(view: Reader, kind: str, definition_id: str) -> list[str]:
    """Definitions that use ``kind``/``definition_id``: ``["rule:big-spender", "levels"]``,
    in :func:`_users`' order; a definition does not count as referencing itself."""
    return [
        user
        for user, doc in _users(view, kind, definition_id)
        if _mentions(doc, kind, definition_id)
    ]
