"""Reading requests: JSON bodies, query strings and path ids, strictly.

Bodies are validated with the SDK's generated pydantic models (the same source as the
client), snake_case only and with unknown fields rejected; every failure becomes a problem
naming the field (``loc`` starts with ``body``, ``query`` or ``path``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from ..jsonutil import json_depth
from ..sandbox.clock import as_utc
from ..validation import StrictValidationError, list_of, validate_strict
from .problems import BadRequest, ValidationProblem, field_error

M = TypeVar("M", bound=BaseModel)

USER_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")
DEFINITION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.:-]{0,127}$")
MAX_JSON_DEPTH = 64  # of a whole body; event properties have their own, lower limit


def json_body() -> Any:
    """The request's JSON value, or a 400/415 problem saying what is wrong with it."""
    raw = request.get_data(cache=True)
    mimetype = request.mimetype
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        raise BadRequest(
            f"Content-Type must be application/json, got {request.content_type or 'none'!r}"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"request body is not valid UTF-8 (byte {exc.start})") from None
    try:
        value = from_json(text, allow_inf_nan=False, cache_strings="keys")
    except ValueError:  # json words the error, or reads a lone surrogate escape
        value = _json_loads(text)
    if json_depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"request body is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _json_loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadRequest("request body is nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None


def parse_body(model: type[M]) -> M:
    """Validate the JSON body against a generated request model."""
    value = json_body()
    if not isinstance(value, dict):
        raise ValidationProblem([field_error(["body"], "must be a JSON object", "type_error")])
    return validate(model, value, ["body"])


def validate(model: type[M], value: Any, prefix: list[str | int]) -> M:
    # Strict, as the schema says: "5" is not an integer, an RFC 3339 string is a date-time,
    # null only where the spec allows it. Aliases (camelCase) are for SDK users only.
    try:
        return validate_strict(model, value)
    except StrictValidationError as exc:
        raise ValidationProblem(
            [{**err, "loc": [*prefix, *err["loc"]]} for err in exc.errors]
        ) from None


def pydantic_errors(exc: ValidationError, prefix: list[str | int]) -> list[dict[str, Any]]:
    return [
        field_error([*prefix, *err["loc"]], err["msg"], err["type"])
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]


def check_user_id(user_id: str, loc: list[str | int] | None = None) -> str:
    if not USER_ID.match(user_id):
        raise ValidationProblem(
            [
                field_error(
                    loc or ["path", "user_id"], "must be 1-128 characters of A-Z a-z 0-9 _ . : @ -"
                )
            ]
        )
    return user_id


def check_definition_id(value: str, name: str) -> str:
    if not DEFINITION_ID.match(value):
        raise ValidationProblem(
            [field_error(["path", name], "must match ^[a-z0-9][a-z0-9_-]{0,63}$")]
        )
    return value


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationProblem(
            [field_error(["query", name], "must be an integer", "int_parsing")]
        ) from None
    if not low <= value <= high:
        raise ValidationProblem([field_error(["query", name], f"must be between {low} and {high}")])
    return value


def query_bool(name: str, default: bool = False) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ValidationProblem([field_error(["query", name], "must be true or false", "bool_parsing")])


def query_datetime(name: str) -> datetime | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    return parse_datetime(raw, ["query", name])


def parse_datetime(raw: str, loc: list[str | int]) -> datetime:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationProblem(
            [field_error(loc, "must be an RFC 3339 date-time", "datetime_parsing")]
        ) from None
    if value.tzinfo is None:
        raise ValidationProblem([field_error(loc, "must include a UTC offset", "datetime_parsing")])
    return as_utc(value)


def query_str(
    name: str, pattern: re.Pattern[str] | None = None, max_length: int = 256
) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if len(raw) > max_length or (pattern is not None and not pattern.match(raw)):
        raise ValidationProblem([field_error(["query", name], "is not a valid value")])
    return raw


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def wire(model: BaseModel) -> dict[str, Any]:
    """A validated request model back to a plain dict with the wire's field names, holding
    only what the client sent (the engine fills defaults and canonicalises)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def wire_all(model: type[M], models: list[M]) -> list[dict[str, Any]]:
    """:func:`wire` of each of a list of ``model`` (a batch), in one call."""
    dumped: list[dict[str, Any]] = list_of(model).dump_python(
        models, mode="json", by_alias=True, exclude_unset=True
    )
    return dumped
