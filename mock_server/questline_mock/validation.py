"""Strict validation of a JSON value against a generated model: what the spec allows, no more.

Request bodies (``http/parsing.py``) and configuration documents (``backend/config_io.py``,
for ``PUT /v1/sandbox/config``, ``--seed`` files and ``mock_questline(config=...)``) are
validated here, the same way. The generated models say almost everything the spec does,
nullability included (an optional property that is not nullable refuses ``null``), so the
core of it is pydantic's strict JSON mode: snake_case names only, no coercion ("5" is not an
integer), RFC 3339 strings for date-times, unknown fields refused where a schema is closed.

Two things the spec says and the models cannot, because no datamodel-code-generator option
writes them, are checked here:

* **Integers.** JSON Schema counts ``1.0`` as an integer; pydantic's strict mode does not
  (and lax mode would take ``"1"`` as well). A number refused as an integer that has no
  fractional part is put back as an integer, and validation runs again.
* **URIs.** ``format: uri`` becomes ``AnyUrl``, which carries neither the field's
  ``maxLength`` nor its ``pattern`` and takes non-ASCII IRIs; those are checked on the raw
  value.

This module knows nothing of HTTP; its errors are plain ``{loc, message, type}`` items,
relative to the value, for each caller to place.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, TypeVar

from pydantic import AnyUrl, BaseModel, RootModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json
from questline._validation_errors import readable

__all__ = ["MAX_URI_LENGTH", "StrictValidationError", "validate_strict", "validate_strict_all"]

M = TypeVar("M", bound=BaseModel)
ErrorItem = dict[str, Any]

# maxLength of every ``format: uri`` field in the spec.
MAX_URI_LENGTH = 2048
# How a body is read: strictly, by snake_case field names only (aliases are the SDK's).
_STRICT: dict[str, Any] = {"strict": True, "by_alias": False, "by_name": True}
# Each pass fixes every integer pydantic reported; nested unions may need a few.
_MAX_PASSES = 8


class StrictValidationError(Exception):
    """The value breaks the schema; ``errors`` are ``{loc, message, type}`` items."""

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__(errors)
        self.errors = errors


def validate_strict(model: type[M], value: Any) -> M:
    """``model`` from a JSON value, as strictly as the spec reads; raises StrictValidationError."""
    fixed = False
    for _ in range(_MAX_PASSES):
        try:
            text = to_json(value)
        except PydanticSerializationError:
            # json.loads keeps a lone surrogate escape ("\ud800"), which no UTF-8 text holds.
            message = "strings must be valid Unicode (a lone surrogate escape is not)"
            raise StrictValidationError([_error([], message, "string_unicode")]) from None
        try:
            instance = model.model_validate_json(text, **_STRICT)
        except ValidationError as exc:
            if not fixed:
                value, fixed = copy.deepcopy(value), True  # the caller's value stays as it is
            if not _integral_numbers_to_int(value, exc):
                raise StrictValidationError(_items(exc, value)) from None
            continue
        problems = list(_uri_problems(instance, value, [])) if _has_uris(model) else []
        if problems:
            raise StrictValidationError(problems)
        return instance
    raise AssertionError("integer fixing did not converge")  # pragma: no cover


def validate_strict_all(model: type[M], values: list[Any]) -> list[M] | None:
    """:func:`validate_strict` of every value at once (a batch), when each one passes as it
    was sent; None when any does not, and each must then be validated on its own (for its
    own errors, and for the integers JSON Schema allows that pydantic refuses)."""
    if _has_uris(model):
        return None
    try:
        text = to_json(values)
        return list_of(model).validate_json(text, **_STRICT)
    except (PydanticSerializationError, ValidationError):
        return None


@functools.cache
def list_of(model: type[M]) -> TypeAdapter[list[M]]:
    """A list of ``model``, validated or dumped in one call."""
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def _error(loc: list[str | int], message: str, type: str) -> ErrorItem:
    return {"loc": loc, "message": message, "type": type}


def _items(exc: ValidationError, value: Any) -> list[ErrorItem]:
    return readable(
        [
            _error(list(err["loc"]), err["msg"], err["type"])
            for err in exc.errors(include_url=False, include_context=False, include_input=False)
        ],
        value,
    )


def _integral_numbers_to_int(value: Any, exc: ValidationError) -> bool:
    """Replace, in place, each number refused as an integer that is one for JSON Schema
    (``1.0``); True if anything changed."""
    changed = False
    for err in exc.errors(include_url=False, include_context=False):
        raw = err.get("input")
        if err["type"] == "int_type" and isinstance(raw, float) and raw.is_integer():
            changed = _replace_at(value, list(err["loc"]), raw, int(raw)) or changed
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
        if isinstance(node, list):
            if isinstance(part, int) and 0 <= part < len(node):
                parent, key, node = node, part, node[part]
        elif isinstance(node, dict) and part in node:
            parent, key, node = node, part, node[part]
    if parent is None or key is None or node != old or type(node) is type(new):
        return False
    parent[key] = new
    return True


@functools.cache
def _has_uris(model: type[BaseModel]) -> bool:
    """Whether any field of ``model``, however deep, is a URI (most bodies have none, and
    then nothing needs walking)."""
    try:
        schema = json.dumps(model.model_json_schema())
    except Exception:  # a schema pydantic cannot write: walk the values, as always
        return True
    return '"format": "uri"' in schema


def _uri_problems(node: Any, raw: Any, loc: list[str | int]) -> Any:
    """The ``AnyUrl`` values of a validated model that break their field's schema."""
    if isinstance(node, RootModel):
        yield from _uri_problems(node.root, raw, loc)
    elif isinstance(node, BaseModel):
        fields = type(node).model_fields
        for name in sorted(node.model_fields_set & fields.keys()):
            info = fields[name]
            wire = info.alias if info.alias_priority == 2 and info.alias else name
            child = getattr(node, name)
            raw_child = raw.get(wire) if isinstance(raw, dict) else None
            if isinstance(child, AnyUrl):
                problem = _uri_problem(raw_child, http_only=wire == "url")
                if problem:
                    yield _error([*loc, wire], problem, "url_parsing")
                elif len(str(child)) > MAX_URI_LENGTH:
                    # Stored normalised (a trailing "/", punycode), which must fit too: a
                    # rule on the stored form, beyond what the schema says.
                    message = f"must be at most {MAX_URI_LENGTH} characters once normalised"
                    yield _error([*loc, wire], message, "value_error")
            else:
                yield from _uri_problems(child, raw_child, [*loc, wire])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            raw_item = raw[index] if isinstance(raw, list) and index < len(raw) else None
            yield from _uri_problems(item, raw_item, [*loc, index])
    elif isinstance(node, dict):
        for key, item in node.items():
            if isinstance(item, (BaseModel, list, dict)):
                raw_item = raw.get(key) if isinstance(raw, dict) else None
                yield from _uri_problems(item, raw_item, [*loc, key])


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
