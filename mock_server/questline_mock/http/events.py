"""Tag ``events``: send one, send a batch, list, retrieve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from questline import types as t

from ..backend import events
from ..engine.render import parse_time
from ..storage.base import EventFilter
from ..validation import validate_strict_all
from . import pagination
from .context import json_response, scope
from .errors import to_problem
from .parsing import (
    EVENT_TYPE,
    USER_ID,
    json_body,
    parse_body,
    query_datetime,
    query_str,
    validate,
    wire,
    wire_all,
)
from .problems import ApiProblem, NotFound, ValidationProblem, field_error

bp = Blueprint("events", __name__)

MAX_BATCH = 500


def _event_payload(model: t.EventCreate) -> dict[str, Any]:
    return _with_time(wire(model))


def _with_time(payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("occurred_at") is not None:
        payload["occurred_at"] = parse_time(payload["occurred_at"])
    return payload


@bp.post("/v1/events")
def send() -> Response:
    sent = events.send(scope(), _event_payload(parse_body(t.EventCreate)))
    return json_response(sent.body)


@bp.post("/v1/events/batch")
def batch() -> Response:
    raw = _batch_entries()
    entries: list[dict[str, Any] | Exception] = []
    models = validate_strict_all(t.EventCreate, raw)  # the usual batch: all valid, at once
    if models is not None:
        entries.extend(_with_time(payload) for payload in wire_all(t.EventCreate, models))
    else:
        for index, entry in enumerate(raw):
            try:
                entries.append(
                    _event_payload(validate(t.EventCreate, entry, ["body", "events", index]))
                )
            except ApiProblem as problem:
                entries.append(problem)
    results = [_entry(index, r) for index, r in enumerate(events.send_batch(scope(), entries))]
    counts = {
        status: sum(r["status"] == status for r in results)
        for status in ("processed", "replayed", "failed")
    }
    return json_response({"results": results, **counts})


def _entry(index: int, outcome: events.Sent | Exception) -> dict[str, Any]:
    if isinstance(outcome, Exception):
        return {
            "index": index,
            "status": "failed",
            "result": None,
            "error": to_problem(outcome).to_json(),
        }
    status = "replayed" if outcome.replayed else "processed"
    return {"index": index, "status": status, "result": outcome.body, "error": None}


def _batch_entries() -> list[Any]:
    """The batch envelope is checked whole (before any work); entries one by one, later."""
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationProblem([field_error(["body"], "must be a JSON object", "type_error")])
    unknown = sorted(set(body) - {"events"})
    if unknown:
        raise ValidationProblem(
            [field_error(["body", unknown[0]], "unknown field", "extra_forbidden")]
        )
    entries = body.get("events")
    if not isinstance(entries, list):
        raise ValidationProblem(
            [field_error(["body", "events"], "must be an array of events", "type_error")]
        )
    if not 1 <= len(entries) <= MAX_BATCH:
        raise ValidationProblem(
            [
                field_error(
                    ["body", "events"], f"must hold 1 to {MAX_BATCH} events, got {len(entries)}"
                )
            ]
        )
    return entries


@bp.get("/v1/events")
def index() -> Response:
    limit, cursor = pagination.params("events")
    filter = EventFilter(
        user_id=query_str("user_id", USER_ID),
        type=query_str("type", EVENT_TYPE),
        since=query_datetime("since"),
        until=query_datetime("until"),
    )
    return json_response(
        pagination.body("events", events.list_page(scope(), filter, limit, cursor), dict)
    )


# ``event_id`` never matches ``batch``: GET on /v1/events/batch is a 405 with
# ``Allow: POST``, as the spec has only POST there.
@bp.get("/v1/events/<not_batch:event_id>")
def retrieve(event_id: str) -> Response:
    found = events.get(scope(), event_id)
    if found is None:
        raise NotFound(f"event {event_id!r}")
    return json_response(found)
