"""``client.events.send_batch(events)``: any number of events, sent in chunks of <= 500.

Every event is validated and given an ``event_id`` before the first request, so a bad event
fails the call before anything is sent, and a retried chunk (same ``Idempotency-Key``, same
event ids) is never applied twice. Sync sends chunks one after another; async sends up to
``max_concurrency`` chunks at once. Either way the report lists one result per input event,
in input order.

A chunk that fails as a whole (after the client's retries) marks its events failed with the
error, except for authentication and permission errors, which no other chunk would escape
and which are raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import pydantic

from .._exceptions import (
    APIError,
    APIStatusError,
    AuthenticationError,
    PermissionDeniedError,
    ValidationError,
)
from .._ids import new_event_id
from .._types import NOT_GIVEN, NotGiven, Timeout
from ..types import EventBatchCreate, EventBatchResult, EventCreate, EventResult, Problem

if TYPE_CHECKING:
    from .._types import Headers, Query

__all__ = [
    "MAX_BATCH_SIZE",
    "AsyncEventsBatchMixin",
    "BatchItemResult",
    "BatchReport",
    "EventsBatchMixin",
]

MAX_BATCH_SIZE = 500

EventInput = EventCreate | Mapping[str, object]


@dataclass(frozen=True)
class BatchItemResult:
    """What happened to one input event."""

    index: int
    event_id: str
    status: Literal["processed", "replayed", "failed"]
    result: EventResult | None = None
    error: Problem | None = None
    exception: APIError | None = None  # set when the event's whole chunk failed

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass(frozen=True)
class BatchReport:
    """One result per input event, in input order, with totals."""

    results: list[BatchItemResult]

    @property
    def processed(self) -> int:
        return sum(1 for r in self.results if r.status == "processed")

    @property
    def replayed(self) -> int:
        return sum(1 for r in self.results if r.status == "replayed")

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def failures(self) -> list[BatchItemResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failures

    def __len__(self) -> int:
        return len(self.results)


def prepare_events(events: Iterable[EventInput]) -> list[dict[str, object]]:
    """Validate every event and fill missing ``event_id``s; wire-form dicts, input order."""
    prepared: list[dict[str, object]] = []
    for index, event in enumerate(events):
        data = (
            event.model_dump(exclude_unset=True) if isinstance(event, EventCreate) else dict(event)
        )
        if data.get("event_id") is None and data.get("eventId") is None:
            data.pop("eventId", None)
            data["event_id"] = new_event_id()
        try:
            model = EventCreate.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError.from_pydantic(
                exc, schema="EventCreate", prefix=("events", index), value=data
            ) from None
        prepared.append(model.model_dump(mode="json", exclude_unset=True))
    return prepared


def chunked(
    events: Sequence[dict[str, object]], size: int
) -> list[tuple[int, list[dict[str, object]]]]:
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"chunk_size must be between 1 and {MAX_BATCH_SIZE}")
    return [(start, list(events[start : start + size])) for start in range(0, len(events), size)]


def chunk_results(
    start: int, chunk: Sequence[dict[str, object]], outcome: EventBatchResult | APIError
) -> list[BatchItemResult]:
    """Per-event results of one chunk, re-indexed to the caller's input."""
    if isinstance(outcome, APIError):
        if isinstance(outcome, (AuthenticationError, PermissionDeniedError)):
            raise outcome
        problem = outcome.problem if isinstance(outcome, APIStatusError) else None
        return [
            BatchItemResult(
                start + i, str(e["event_id"]), "failed", error=problem, exception=outcome
            )
            for i, e in enumerate(chunk)
        ]
    by_index = {entry.index: entry for entry in outcome.results}
    items: list[BatchItemResult] = []
    for i, event in enumerate(chunk):
        entry = by_index.get(i)
        if entry is None:
            items.append(BatchItemResult(start + i, str(event["event_id"]), "failed"))
        else:
            items.append(
                BatchItemResult(
                    start + i, str(event["event_id"]), entry.status, entry.result, entry.error
                )
            )
    return items


class EventsBatchMixin:
    """Adds :meth:`send_batch` to the generated ``Events`` resource."""

    if TYPE_CHECKING:

        def batch(
            self,
            body: EventBatchCreate | Mapping[str, object] | None = None,
            *,
            events: Sequence[EventCreate | Mapping[str, object]] | NotGiven = NOT_GIVEN,
            idempotency_key: str | None = None,
            extra_headers: Headers | None = None,
            extra_query: Query | None = None,
            extra_body: Mapping[str, object] | None = None,
            timeout: Timeout | NotGiven = NOT_GIVEN,
        ) -> EventBatchResult: ...

    def send_batch(
        self,
        events: Iterable[EventInput],
        *,
        chunk_size: int = MAX_BATCH_SIZE,
        timeout: Timeout | NotGiven = NOT_GIVEN,
    ) -> BatchReport:
        """Send any number of events in chunks of at most ``chunk_size`` (<= 500), in order.

        Raises :class:`questline.ValidationError` before sending anything if an event is
        invalid. Returns a :class:`BatchReport` with one result per event, in input order.
        """
        prepared = prepare_events(events)
        results: list[BatchItemResult] = []
        for start, chunk in chunked(prepared, chunk_size):
            outcome: EventBatchResult | APIError
            try:
                outcome = self.batch(events=chunk, timeout=timeout)
            except APIError as exc:
                outcome = exc
            results.extend(chunk_results(start, chunk, outcome))
        return BatchReport(results)


class AsyncEventsBatchMixin:
    """Adds :meth:`send_batch` to the generated ``AsyncEvents`` resource."""

    if TYPE_CHECKING:

        async def batch(
            self,
            body: EventBatchCreate | Mapping[str, object] | None = None,
            *,
            events: Sequence[EventCreate | Mapping[str, object]] | NotGiven = NOT_GIVEN,
            idempotency_key: str | None = None,
            extra_headers: Headers | None = None,
            extra_query: Query | None = None,
            extra_body: Mapping[str, object] | None = None,
            timeout: Timeout | NotGiven = NOT_GIVEN,
        ) -> EventBatchResult: ...

    async def send_batch(
        self,
        events: Iterable[EventInput],
        *,
        chunk_size: int = MAX_BATCH_SIZE,
        max_concurrency: int = 4,
        timeout: Timeout | NotGiven = NOT_GIVEN,
    ) -> BatchReport:
        """Send any number of events, up to ``max_concurrency`` chunks at a time.

        Same contract as the sync form: validation first, one result per event in input order.
        Chunks may be applied out of order relative to each other.
        """
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        prepared = prepare_events(events)
        gate = asyncio.Semaphore(max_concurrency)

        async def send(start: int, chunk: list[dict[str, object]]) -> list[BatchItemResult]:
            outcome: EventBatchResult | APIError
            async with gate:
                try:
                    outcome = await self.batch(events=chunk, timeout=timeout)
                except APIError as exc:
                    outcome = exc
            return chunk_results(start, chunk, outcome)

        parts = await asyncio.gather(*(send(s, c) for s, c in chunked(prepared, chunk_size)))
        return BatchReport([item for part in parts for item in part])
