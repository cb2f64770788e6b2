"""Events: send one, send a batch, read the history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import JSON
from ..engine import DefinitionError, EngineError, EventInput, process_event
from ..engine.process import check_profile
from ..engine.render import event_detail_json, event_json
from ..jsonutil import encode, json_depth
from ..sandbox.clock import EARLIEST
from ..storage.base import EventFilter, Page, UnitOfWork
from .core import ProjectScope, commit

MAX_FUTURE = timedelta(minutes=5)
MAX_PROPERTIES_BYTES = 32 * 1024
MAX_PROPERTIES_DEPTH = 10


class EventRejected(Exception):
    """An event that breaks a limit the schema cannot express; ``errors`` name the fields."""

    def __init__(self, errors: list[JSON]) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors


# What one batch entry may fail with; anything else is a bug and fails the whole request.
ENTRY_ERRORS = (EventRejected, DefinitionError, EngineError)


@dataclass
class Sent:
    body: JSON  # the response body, with "replayed"
    replayed: bool

    # Written out (see engine.context.Changes): the compiled build then makes it natively.
    def __init__(self, body: JSON, replayed: bool) -> None:
        self.body, self.replayed = body, replayed


def check_limits(payload: JSON, now: datetime, loc: list[str | int]) -> None:
    errors: list[JSON] = []
    properties = payload.get("properties") or {}
    text = encode(properties)
    # Nesting is at most the number of brackets that open: most bodies need no walk.
    shallow = text.count(b"{") + text.count(b"[") <= MAX_PROPERTIES_DEPTH
    if len(text) > MAX_PROPERTIES_BYTES:
        errors.append(
            _error(
                [*loc, "properties"], f"is {len(text)} bytes; the limit is {MAX_PROPERTIES_BYTES}"
            )
        )
    elif not shallow and json_depth(properties) > MAX_PROPERTIES_DEPTH:
        errors.append(
            _error([*loc, "properties"], f"is nested deeper than {MAX_PROPERTIES_DEPTH} levels")
        )
    occurred_at = payload.get("occurred_at")
    if occurred_at is not None and occurred_at > now + MAX_FUTURE:
        errors.append(_error([*loc, "occurred_at"], "may not be more than 5 minutes in the future"))
    elif occurred_at is not None and occurred_at < EARLIEST:
        # Windows and periods reach back from it; before the epoch is no app's event.
        errors.append(_error([*loc, "occurred_at"], "may not be before 1970-01-01T00:00:00Z"))
    if errors:
        raise EventRejected(errors)


def prepare(payload: JSON, now: datetime, loc: list[str | int]) -> EventInput:
    """Checks the schema cannot express (sizes, the future, the timezone), then the input."""
    check_limits(payload, now, loc)
    check_profile(payload.get("user"), [*loc, "user"])
    return EventInput(
        user_id=payload["user_id"],
        type=payload["type"],
        occurred_at=payload.get("occurred_at") or now,
        properties=payload.get("properties") or {},
        event_id=payload.get("event_id"),
        user_profile=payload.get("user"),
    )


def _apply(scope: ProjectScope, uow: UnitOfWork, event: EventInput, now: datetime) -> Sent:
    if event.event_id is not None:
        first = uow.get_event_by_event_id(event.event_id)
        if first is not None:
            return Sent({**first.result, "replayed": True}, True)
    outcome = process_event(uow, event, now, scope.backend.ids)
    commit(scope, uow, outcome.changes, now)
    return Sent({**outcome.result, "replayed": False}, False)


def send(scope: ProjectScope, payload: JSON) -> Sent:
    """Process one structurally valid event (``payload`` as the request model dumped it)."""
    now = scope.now()
    event = prepare(payload, now, ["body"])
    with scope.user_locked(event.user_id), scope.uow() as uow:
        return _apply(scope, uow, event, now)


def send_batch(scope: ProjectScope, entries: list[JSON | Exception]) -> list[Sent | Exception]:
    """Process a batch in order, each entry on its own: a failing entry is reported and the
    others still apply. ``entries`` holds each structurally valid payload, or the error that
    entry already failed with.

    The whole batch is one unit of work (one transaction, one fsync in SQLite, committed
    before the response): entries fail only while the engine decides, before anything of
    theirs is written, so one entry's failure never leaves half of it behind. The unit of
    work serialises with every other writer, so no per-user lock is needed inside it.
    """
    now = scope.now()
    results: list[Sent | Exception] = []
    with scope.uow() as uow:
        for index, entry in enumerate(entries):
            if isinstance(entry, Exception):
                results.append(entry)
                continue
            try:
                event = prepare(entry, now, ["body", "events", index])
                results.append(_apply(scope, uow, event, now))
            except ENTRY_ERRORS as exc:
                results.append(exc)
    return results


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
