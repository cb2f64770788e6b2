"""Turning a method call into a request description. Pure: shared by sync and async.

Generated resource methods describe each operation with an :class:`Endpoint` and pass the
caller's arguments through :func:`build_request_options`, which formats the path, cleans the
query, validates the body against the request model *before anything is sent*, and fixes the
idempotency key for every try of the call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import Enum
from urllib.parse import quote

import pydantic
from pydantic.alias_generators import to_camel

from ._constants import IDEMPOTENCY_KEY_HEADER
from ._exceptions import ValidationError
from ._ids import new_idempotency_key
from ._models import QuestlineModel
from ._types import NOT_GIVEN, Headers, NotGiven, Query, Timeout

__all__ = [
    "Endpoint",
    "FinalRequestOptions",
    "ParamRule",
    "RequestOptions",
    "build_request_options",
]

Body = object  # a model, a mapping, the positional field's value, or None


@dataclass(frozen=True)
class ParamRule:
    """Constraints from the spec on a path or query parameter, checked before sending."""

    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None

    def problem(self, value: object) -> str | None:
        """Why ``value`` breaks the rule, or ``None`` when it is fine."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.minimum is not None and value < self.minimum:
                return f"must be >= {self.minimum:g}"
            if self.maximum is not None and value > self.maximum:
                return f"must be <= {self.maximum:g}"
        elif isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return f"must be at least {self.min_length} characters"
            if self.max_length is not None and len(value) > self.max_length:
                return f"must be at most {self.max_length} characters"
            if self.pattern is not None and re.search(self.pattern, value) is None:
                return f"must match {self.pattern}"
        return None


@dataclass(frozen=True)
class Endpoint:
    """What the spec says about one operation, as the runtime needs it."""

    method: str
    path: str
    body_model: type[QuestlineModel] | None = None
    # The body's one required field, which may also be passed positionally
    # (``client.sandbox.clock.set(now)``).
    positional_field: str | None = None
    # Fields the SDK fills when the caller leaves them out (``events.send``'s ``event_id``),
    # each made from the call's own idempotency key (None when the SDK makes that key).
    defaults: Mapping[str, Callable[[str | None], object]] = field(default_factory=dict)
    # Array query parameters sent comma-separated rather than repeated.
    csv_params: frozenset[str] = frozenset()
    # Path and query parameter constraints from the spec.
    rules: Mapping[str, ParamRule] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestOptions:
    """Per-call options every generated method accepts."""

    idempotency_key: str | None = None
    extra_headers: Headers | None = None
    extra_query: Query | None = None
    extra_body: Mapping[str, object] | None = None
    timeout: Timeout | NotGiven = NOT_GIVEN
    max_retries: int | None = None  # None: the client's


@dataclass(frozen=True)
class FinalRequestOptions:
    """Everything needed to send (and re-send) one call."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json_body: Mapping[str, object] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: Timeout | NotGiven = NOT_GIVEN
    max_retries: int | None = None  # None: the client's

    def with_param(self, name: str, value: str) -> FinalRequestOptions:
        kept = tuple((k, v) for k, v in self.params if k != name)
        return replace(self, params=(*kept, (name, value)))


def build_request_options(
    endpoint: Endpoint,
    *,
    path_params: Mapping[str, object] | None = None,
    query: Mapping[str, object] | None = None,
    headers: Mapping[str, object] | None = None,
    body: Body = None,
    fields: Mapping[str, object] | None = None,
    options: RequestOptions | None = None,
) -> FinalRequestOptions:
    """Describe one call; raises :class:`ValidationError` on bad input, before any I/O."""
    options = options or RequestOptions()
    if options.max_retries is not None and (
        isinstance(options.max_retries, bool)
        or not isinstance(options.max_retries, int)
        or options.max_retries < 0
    ):
        raise ValidationError(
            f"max_retries must be an int >= 0, not {options.max_retries!r}",
            errors=[{"loc": ["max_retries"], "message": "must be >= 0", "type": "parameter"}],
        )
    check_params(endpoint, {**(path_params or {}), **(query or {})})
    final_headers = {k: _query_scalar(v) for k, v in encode_headers(headers or {})}
    if endpoint.method == "POST":
        final_headers[IDEMPOTENCY_KEY_HEADER] = options.idempotency_key or new_idempotency_key()
    if options.extra_headers:
        final_headers.update(options.extra_headers)
    json_body: Mapping[str, object] | None = None
    if endpoint.body_model is not None:
        json_body = build_body(endpoint, body, fields or {}, options.idempotency_key)
        if options.extra_body:
            json_body = {**json_body, **options.extra_body}
    elif options.extra_body:
        json_body = dict(options.extra_body)
    params = encode_query({**(query or {}), **(options.extra_query or {})}, endpoint.csv_params)
    return FinalRequestOptions(
        method=endpoint.method,
        path=format_path(endpoint.path, path_params or {}),
        params=params,
        json_body=json_body,
        headers=final_headers,
        timeout=options.timeout,
        max_retries=options.max_retries,
    )


def check_params(endpoint: Endpoint, values: Mapping[str, object]) -> None:
    """Raise :class:`ValidationError` for parameters that break the spec's constraints."""
    broken: list[tuple[str, str]] = []
    for name, rule in endpoint.rules.items():
        value = values.get(name)
        if value is None or isinstance(value, NotGiven):
            continue
        problem = rule.problem(value)
        if problem is not None:
            broken.append((name, problem))
    if broken:
        raise ValidationError(
            "invalid parameters: " + "; ".join(f"{name}: {problem}" for name, problem in broken),
            errors=[{"loc": [n], "message": m, "type": "parameter"} for n, m in broken],
        )


def encode_headers(headers: Mapping[str, object]) -> list[tuple[str, object]]:
    return [(k, v) for k, v in headers.items() if v is not None and not isinstance(v, NotGiven)]


def format_path(template: str, values: Mapping[str, object]) -> str:
    encoded: dict[str, str] = {}
    for name, value in values.items():
        text = value if isinstance(value, str) else str(value)
        if not text:
            raise ValidationError(
                f"{name} must be a non-empty string",
                errors=[{"loc": [name], "message": "must not be empty", "type": "path_param"}],
            )
        encoded[name] = quote(text, safe="")
    return template.format(**encoded)


def encode_query(
    query: Mapping[str, object], csv_params: frozenset[str] = frozenset()
) -> tuple[tuple[str, str], ...]:
    """Query parameters as wire strings; unset (``NOT_GIVEN``) and ``None`` are left out."""
    pairs: list[tuple[str, str]] = []
    for name, value in query.items():
        if value is None or isinstance(value, NotGiven):
            continue
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [_query_scalar(v) for v in value]
            if name in csv_params:
                pairs.append((name, ",".join(items)))
            else:
                pairs.extend((name, item) for item in items)
        else:
            pairs.append((name, _query_scalar(value)))
    return tuple(pairs)


def _query_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def build_body(
    endpoint: Endpoint,
    body: Body,
    fields: Mapping[str, object],
    idempotency_key: str | None = None,
) -> dict[str, object]:
    """Merge a dict/model body with keyword fields, validate, and dump in wire form.

    Keyword fields win over the same key in ``body`` (in either spelling). The result uses
    the wire's snake_case names whatever spelling the caller used. Fields left out that
    the endpoint fills are made from the caller's ``idempotency_key``, if they gave one.
    """
    model = endpoint.body_model
    assert model is not None
    data = _body_as_dict(endpoint, body)
    for name, value in fields.items():
        if isinstance(value, NotGiven):
            continue
        data.pop(to_camel(name), None)
        data[name] = value
    for name, make in endpoint.defaults.items():
        if data.get(name) is None and data.get(to_camel(name)) is None:
            data.pop(to_camel(name), None)
            data[name] = make(idempotency_key)
    try:
        validated = model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError.from_pydantic(exc, schema=model.__name__, value=data) from None
    return validated.model_dump(mode="json", exclude_unset=True)


def _body_as_dict(endpoint: Endpoint, body: Body) -> dict[str, object]:
    if body is None:
        return {}
    if isinstance(body, pydantic.BaseModel):
        return body.model_dump(exclude_unset=True)
    if isinstance(body, Mapping):
        return {str(k): v for k, v in body.items()}
    if endpoint.positional_field is not None:
        return {endpoint.positional_field: body}
    raise ValidationError(
        f"body must be a mapping or a {endpoint.body_model.__name__ if endpoint.body_model else 'model'}, "
        f"not {type(body).__name__}",
        errors=[{"loc": [], "message": "expected an object", "type": "model_type"}],
    )
