"""What one delivery attempt means: the retry decision, and the wire rows of attempts.

Pure functions over :class:`~questline_mock.domain.Delivery` records, so the worker's I/O
(``delivery.py``) and the read endpoints (``backend/webhooks.py``) share one definition of
"what happens after a 503" and one shape of a ``WebhookDelivery`` row.

Each made attempt is kept on the delivery as a JSON dict (``Delivery.attempts``, oldest
first) with the wire fields plus ``schedule_index``: the position in the retry schedule
that the attempt used. A manual retry marks the last attempt ``requeued`` so the next one
starts the schedule afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from ..domain import JSON, Delivery
from ..engine.render import format_time, parse_time

EXCERPT_CHARS = 1024
# Retry-After longer than a day is treated as a day: the schedule never waits longer.
MAX_RETRY_AFTER_SECONDS = 86400.0
# Each retry waits its scheduled delay plus up to this fraction more, so a fleet of failed
# deliveries does not hit a recovering receiver at the same instant.
JITTER_FRACTION = 0.1


@dataclass(frozen=True)
class Outcome:
    """What happened on the wire; ``status_code`` is None on a timeout or connection error."""

    status_code: int | None
    duration_ms: int
    response_excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def attempt_id(message_id: str, endpoint_id: str, attempt: int) -> str:
    """Deterministic, so a scheduled attempt and the attempt once made share one id."""
    return f"whd_{message_id.split('_', 1)[-1]}_{endpoint_id.split('_', 1)[-1]}_{attempt}"


def next_schedule_index(delivery: Delivery) -> int:
    if not delivery.attempts or delivery.attempts[-1].get("requeued"):
        return 0
    return int(delivery.attempts[-1].get("schedule_index", 0)) + 1


def parse_retry_after(value: str | None, wall_now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - wall_now).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def record_attempt(
    delivery: Delivery,
    outcome: Outcome,
    attempted_at: datetime,
    schedule: tuple[float, ...],
    jitter: float,
) -> bool:
    """Append the attempt to ``delivery`` and decide what comes next, in place.

    ``jitter`` is a draw in [0, 1). Returns True when the receiver answered 410 Gone, which
    disables the endpoint (the caller owns that record).
    """
    index = next_schedule_index(delivery)
    gone = outcome.status_code == 410
    next_at: datetime | None = None
    if outcome.succeeded:
        delivery.status = "delivered"
    elif gone or index >= len(schedule):
        delivery.status = "failed"
    else:
        delay = schedule[index] * (1 + JITTER_FRACTION * jitter)
        delay = max(delay, outcome.retry_after or 0.0)
        next_at = attempted_at + timedelta(seconds=delay)
        delivery.status = "pending"
    delivery.next_attempt_at = next_at
    delivery.attempts.append(
        {
            "attempt": len(delivery.attempts) + 1,
            "status": "succeeded" if outcome.succeeded else "failed",
            "status_code": outcome.status_code,
            "duration_ms": outcome.duration_ms,
            "response_excerpt": outcome.response_excerpt,
            "error": outcome.error,
            "attempted_at": format_time(attempted_at),
            "next_retry_at": format_time(next_at),
            "schedule_index": index,
        }
    )
    return gone


def requeue(delivery: Delivery, now: datetime) -> None:
    """A manual retry: due at once, with a fresh retry schedule."""
    if delivery.attempts and delivery.status != "pending":
        delivery.attempts[-1]["requeued"] = True
    delivery.status = "pending"
    delivery.next_attempt_at = now


def fail_pending(delivery: Delivery) -> None:
    """The endpoint was disabled: what was still owed will not be sent (retry re-queues)."""
    delivery.status = "failed"
    delivery.next_attempt_at = None


# -- wire rows ----------------------------------------------------------------------------
def attempt_rows(delivery: Delivery, event_type: str) -> list[JSON]:
    """The ``WebhookDelivery`` rows of one delivery, oldest first: every attempt made, then
    the scheduled one (``status: pending``) if another attempt is due."""
    rows = [
        _row(delivery, event_type, attempt["attempt"], attempt) for attempt in delivery.attempts
    ]
    if delivery.status == "pending":
        scheduled = {
            "status": "pending",
            "next_retry_at": format_time(delivery.next_attempt_at),
        }
        rows.append(_row(delivery, event_type, len(delivery.attempts) + 1, scheduled))
    return rows


def _row(delivery: Delivery, event_type: str, number: int, attempt: JSON) -> JSON:
    return {
        "id": attempt_id(delivery.message_id, delivery.endpoint_id, number),
        "endpoint_id": delivery.endpoint_id,
        "message_id": delivery.message_id,
        "event_type": event_type,
        "attempt": number,
        "status": attempt["status"],
        "status_code": attempt.get("status_code"),
        "duration_ms": attempt.get("duration_ms"),
        "response_excerpt": attempt.get("response_excerpt"),
        "error": attempt.get("error"),
        "attempted_at": attempt.get("attempted_at"),
        "next_retry_at": attempt.get("next_retry_at"),
    }


def row_time(row: JSON) -> datetime:
    """When a row happened (or is due): its sort key for newest/oldest-first listings."""
    moment = parse_time(row["attempted_at"] or row["next_retry_at"])
    assert moment is not None
    return moment


def message_status(deliveries: list[Delivery]) -> str:
    """One message's status across endpoints: pending while any endpoint is still owed it,
    else failed if any gave up, else delivered (also when no endpoint wanted it)."""
    statuses = {d.status for d in deliveries}
    if "pending" in statuses:
        return "pending"
    return "failed" if "failed" in statuses else "delivered"
