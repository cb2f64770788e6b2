"""Events: send one, send a batch, read the history."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import JSON
from ..engine import EventInput, process_event
from ..engine.render import event_detail_json, event_json
from ..jsonutil import json_depth
from ..storage.base import EventFilter, Page
from .core import ProjectScope, commit
from .users import check_profile

MAX_FUTURE = timedelta(minutes=5)
MAX_PROPERTIES_BYTES = 32 * 1024
MAX_PROPERTIES_DEPTH = 10


class EventRejected(Exception):
    """An event that breaks a limit the schema cannot express; ``errors`` name the fields."""

    def __init__(self, errors: list[JSON]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


@dataclass
class Sent:
    body: JSON  # the response body, with "replayed"
    replayed: bool


def check_limits(payload: JSON, now: datetime, loc: list[str | int]) -> None:
    errors: list[JSON] = []
    properties = payload.get("properties") or {}
    size = len(json.dumps(properties, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PROPERTIES_BYTES:
        errors.append(
            _error([*loc, "properties"], f"is {size} bytes; the limit is {MAX_PROPERTIES_BYTES}")
        )
    elif json_depth(properties) > MAX_PROPERTIES_DEPTH:
        errors.append(
            _error([*loc, "properties"], f"is nested deeper than {MAX_PROPERTIES_DEPTH} levels")
        )
    occurred_at = payload.get("occurred_at")
    if occurred_at is not None and occurred_at > now + MAX_FUTURE:
        errors.append(_error([*loc, "occurred_at"], "may not be more than 5 minutes in the future"))
    if errors:
        raise EventRejected(errors)


def send(scope: ProjectScope, payload: JSON, loc: list[str | int] | None = None) -> Sent:
    """Process one structurally valid event (``payload`` as the request model dumped it)."""
    now = scope.now()
    check_limits(payload, now, loc or ["body"])
    check_profile(payload.get("user"), [*(loc or ["body"]), "user"])
    event = EventInput(
        user_id=payload["user_id"],
        type=payload["type"],
        occurred_at=payload.get("occurred_at") or now,
        properties=payload.get("properties") or {},
        event_id=payload.get("event_id"),
        user_profile=payload.get("user"),
    )
    with scope.user_locked(event.user_id), scope.uow() as uow:
        if event.event_id is not None:
            first = uow.get_event_by_event_id(event.event_id)
            if first is not None:
                return Sent({**first.result, "replayed": True}, True)
        outcome = process_event(uow, event, now, scope.backend.ids)
        commit(scope, uow, outcome.changes, now)
    return Sent({**outcome.result, "replayed": False}, False)


def get(scope: ProjectScope, id: str) -> JSON | None:
    with scope.read() as view:
        record = view.get_event(id)
        return event_detail_json(record) if record is not None else None


def list_page(
    scope: ProjectScope, filter: EventFilter, limit: int, cursor: str | None
) -> Page[JSON]:
    with scope.read() as view:
        page = view.list_events(filter, limit, cursor)
    return Page([event_json(e) for e in page.items], page.next_cursor)


def _error(loc: list[str | int], message: str) -> JSON:
    return {"loc": loc, "message": message, "type": "value_error"}
