"""Tag ``events``: send one, send a batch, list, retrieve."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response
from questline import types as t

from ..backend import events
from ..backend.users import ProfileRejected
from ..engine import EngineError
from ..engine.render import parse_time
from ..storage.base import EventFilter
from . import pagination
from .context import json_response, scope
from .parsing import USER_ID, json_body, parse_body, query_datetime, query_str, validate, wire
from .problems import ApiProblem, NotFound, ValidationProblem, field_error, problem_body

bp = Blueprint("events", __name__)

MAX_BATCH = 500


def _event_payload(model: t.EventCreate) -> dict[str, Any]:
    payload = wire(model)
    if payload.get("occurred_at") is not None:
        payload["occurred_at"] = parse_time(payload["occurred_at"])
    return payload


@bp.post("/v1/events")
def send() -> Response:
    sent = events.send(scope(), _event_payload(parse_body(t.EventCreate)))
    return json_response(sent.body)


@bp.post("/v1/events/batch")
def batch() -> Response:
    entries = _batch_entries()
    results: list[dict[str, Any]] = []
    counts = {"processed": 0, "replayed": 0, "failed": 0}
    for index, entry in enumerate(entries):
        loc: list[str | int] = ["body", "events", index]
        try:
            model = validate(t.EventCreate, entry, loc)
            sent = events.send(scope(), _event_payload(model), loc)
        except ApiProblem as problem:
            results.append(_failed(index, problem.to_json()))
        except (events.EventRejected, ProfileRejected) as exc:
            results.append(_failed(index, ValidationProblem(exc.errors).to_json()))
        except EngineError as exc:
            results.append(_failed(index, problem_body(exc.status, exc.message, code=exc.code)))
        else:
            status = "replayed" if sent.replayed else "processed"
            results.append({"index": index, "status": status, "result": sent.body, "error": None})
        counts[results[-1]["status"]] += 1
    return json_response({"results": results, **counts})


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


def _failed(index: int, problem: dict[str, Any]) -> dict[str, Any]:
    return {"index": index, "status": "failed", "result": None, "error": problem}


@bp.get("/v1/events")
def index() -> Response:
    limit, cursor = pagination.params("events")
    filter = EventFilter(
        user_id=query_str("user_id", USER_ID),
        type=query_str("type"),
        since=query_datetime("since"),
        until=query_datetime("until"),
    )
    return json_response(
        pagination.body("events", events.list_page(scope(), filter, limit, cursor), dict)
    )


@bp.get("/v1/events/<event_id>")
def retrieve(event_id: str) -> Response:
    found = events.get(scope(), event_id)
    if found is None:
        raise NotFound(f"event {event_id!r}")
    return json_response(found)
