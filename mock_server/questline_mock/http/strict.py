"""Strict request validation: exactly what the spec's JSON Schema allows, no more.

Four gaps between pydantic's strict mode and the spec are closed here:

* **Date-times.** Strict JSON-mode validation accepts an RFC 3339 string for a date-time
  field, but the SDK's models carry a ``before`` model validator (it renames ``not`` /
  ``from`` keys), and pydantic validates whatever such a validator returns in *Python*
  mode, where strict means "a ``datetime`` object, not a string". So a string that strict
  JSON mode would take is turned into a ``datetime`` (by pydantic's own strict JSON parser)
  and validation runs again: the result is what strict JSON validation promises.
* **Integers.** JSON Schema counts ``1.0`` as an integer; pydantic's strict mode does not.
* **URIs.** ``format: uri`` becomes ``AnyUrl``, which drops the field's ``maxLength`` and
  ``pattern`` and takes non-ASCII IRIs; they are checked on the raw value.
* **Nulls.** The generated models type every optional field ``X | None``, so they cannot
  tell "may be omitted" from "may be null"; the spec can. A JSON ``null`` is accepted only
  for the fields in :data:`NULLABLE` (a conformance test keeps that table equal to the
  spec's nullable request fields).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any, TypeVar

from pydantic import AnyUrl, BaseModel, RootModel, TypeAdapter, ValidationError

from .problems import ErrorItem, field_error

M = TypeVar("M", bound=BaseModel)

# (schema name, wire field name) of every request field whose schema allows null.
NULLABLE: frozenset[tuple[str, str]] = frozenset(
    {
        ("AggregateCondition", "value"),
        ("BadgeConfigEntry", "description"),
        ("BadgeConfigEntry", "image_url"),
        ("BadgeCriteria", "conditions"),
        ("BadgeCriteria", "count_property"),
        ("BadgeUpsert", "description"),
        ("BadgeUpsert", "image_url"),
        ("EventCriteria", "conditions"),
        ("EventUserProfile", "display_name"),
        ("EventUserProfile", "email"),
        ("FactCondition", "value"),
        ("LeaderboardConfigEntry", "description"),
        ("LeaderboardUpsert", "description"),
        ("Level", "name"),
        ("QuestConfigEntry", "description"),
        ("QuestConfigEntry", "ends_at"),
        ("QuestConfigEntry", "starts_at"),
        ("QuestUpsert", "description"),
        ("QuestUpsert", "ends_at"),
        ("QuestUpsert", "starts_at"),
        ("QuestStep", "criteria"),
        ("RuleConfigEntry", "active_from"),
        ("RuleConfigEntry", "active_until"),
        ("RuleConfigEntry", "conditions"),
        ("RuleConfigEntry", "description"),
        ("RuleConfigEntry", "limits"),
        ("RuleUpsert", "active_from"),
        ("RuleUpsert", "active_until"),
        ("RuleUpsert", "conditions"),
        ("RuleUpsert", "description"),
        ("RuleUpsert", "limits"),
        ("ShorthandCondition", "value"),
        ("StreakConfigEntry", "description"),
        ("StreakUpsert", "description"),
        ("UserUpsert", "display_name"),
        ("UserUpsert", "email"),
        ("WebhookEndpointConfigEntry", "description"),
        ("WebhookEndpointCreate", "description"),
        ("WebhookEndpointUpdate", "description"),
    }
)

_DATETIME = TypeAdapter(datetime)
# maxLength of every ``format: uri`` field in the spec.
MAX_URI_LENGTH = 2048
# Each pass fixes every value pydantic reported; nested unions may need a few.
_MAX_PASSES = 8


class StrictValidationError(Exception):
    """The value breaks the schema; ``errors`` are problem items relative to the value."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(errors)
        self.errors = errors


def validate_strict(model: type[M], value: Any) -> M:
    """``model`` from a JSON value, as strictly as the spec reads; raises StrictValidationError."""
    value = copy.deepcopy(value)
    for _ in range(_MAX_PASSES):
        try:
            instance = model.model_validate(value, strict=True, by_alias=False, by_name=True)
        except ValidationError as exc:
            if not _parse_datetimes(value, exc):
                raise StrictValidationError(_items(exc)) from None
            continue
        problems = list(_beyond_the_model(instance, value, []))
        if problems:
            raise StrictValidationError(problems)
        return instance
    raise AssertionError("date-time fixing did not converge")  # pragma: no cover


def _items(exc: ValidationError) -> list[ErrorItem]:
    return [
        field_error(list(err["loc"]), err["msg"], err["type"])
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def _parse_datetimes(value: Any, exc: ValidationError) -> bool:
    """Replace, in place, each value pydantic refused but the schema accepts (an RFC 3339
    string for a date-time, an integral number like ``1.0`` for an integer); True if
    anything changed."""
    changed = False
    for err in exc.errors(include_url=False, include_context=False):
        raw = err.get("input")
        if err["type"] == "datetime_type" and isinstance(raw, str):
            try:
                parsed: Any = _DATETIME.validate_json(json.dumps(raw), strict=True)
            except ValidationError:
                continue
        elif err["type"] == "int_type" and isinstance(raw, float) and raw.is_integer():
            parsed = int(raw)  # JSON Schema: 1.0 is an integer
        else:
            continue
        changed = _replace_at(value, list(err["loc"]), raw, parsed) or changed
    return changed


def _replace_at(value: Any, loc: list[str | int], old: Any, new: Any) -> bool:
    """Put ``new`` where ``old`` is at ``loc``. Parts that are no key or index of the value
    (the names pydantic gives union members, like ``grant_xp`` or ``constrained-int``)
    are skipped."""
    parent: Any = None
    key: str | int | None = None
    node = value
    for part in loc:
        if isinstance(part, str) and isinstance(node, dict) and part not in node:
            # A keyword field's attribute name (``not_``) for its wire key (``not``).
            part = part[:-1] if part.endswith("_") and part[:-1] in node else part
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            parent, key, node = node, part, node[part]
    if parent is None or key is None or node != old or type(node) is type(new):
        return False
    parent[key] = new
    return True


def _beyond_the_model(node: Any, raw: Any, loc: list[str | int]) -> Any:
    """What the spec forbids but the model let through: nulls, and URIs that are not."""
    if isinstance(node, RootModel):
        yield from _beyond_the_model(node.root, raw, loc)
    elif isinstance(node, BaseModel):
        fields = type(node).model_fields
        for name in sorted(node.model_fields_set & fields.keys()):
            info = fields[name]
            wire = info.alias if info.alias_priority == 2 and info.alias else name
            child = getattr(node, name)
            raw_child = raw.get(wire) if isinstance(raw, dict) else None
            if child is None:
                if (type(node).__name__, wire) not in NULLABLE:
                    yield field_error([*loc, wire], "must not be null", "null_not_allowed")
            elif isinstance(child, AnyUrl):
                problem = _uri_problem(raw_child, http_only=wire == "url")
                if problem:
                    yield field_error([*loc, wire], problem, "url_parsing")
                elif len(str(child)) > MAX_URI_LENGTH:
                    # Stored normalised (a trailing "/", punycode), which must fit too: a
                    # rule on the stored form, beyond what the schema says.
                    message = f"must be at most {MAX_URI_LENGTH} characters once normalised"
                    yield field_error([*loc, wire], message, "value_error")
            else:
                yield from _beyond_the_model(child, raw_child, [*loc, wire])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            raw_item = raw[index] if isinstance(raw, list) and index < len(raw) else None
            yield from _beyond_the_model(item, raw_item, [*loc, index])
    elif isinstance(node, dict):
        for key, item in node.items():
            if isinstance(item, (BaseModel, list, dict)):
                raw_item = raw.get(key) if isinstance(raw, dict) else None
                yield from _beyond_the_model(item, raw_item, [*loc, key])


def _uri_problem(raw: Any, *, http_only: bool) -> str | None:
    """The spec's ``format: uri`` fields: ASCII (an IRI is not a URI), at most
    MAX_URI_LENGTH characters; ``url`` fields are http(s) (``pattern: ^https?://``)."""
    if not isinstance(raw, str):
        return None
    if len(raw) > MAX_URI_LENGTH:
        return f"must be at most {MAX_URI_LENGTH} characters"
    if not raw.isascii():
        return "must be a URI (ASCII only; percent-encode or punycode the rest)"
    if http_only and not raw.lower().startswith(("http://", "https://")):
        return "must be an http or https URL"
    return None
