"""Wire forms of engine records: the JSON the engine puts in results and webhook payloads.

The engine builds the ``POST /v1/events`` response itself (it is stored on the event, so a
replay returns it byte for byte), which means it needs the wire shapes of a user, an event
and a ledger entry. They live here, once, so the HTTP layer's read endpoints serialise the
same records the same way instead of growing a second copy that drifts.

Times on the wire are RFC 3339 in UTC with a ``Z``; a whole second is written without a
fraction and anything finer with milliseconds, so stored results compare equal on replay.
"""

from __future__ import annotations

import copy
import functools
import re
from datetime import datetime, timezone

from ..domain import JSON, EventRecord, LedgerEntry, User
from ..jsonutil import copy_json
from ..sandbox.clock import as_utc

# RFC 3339 needs a date, a time and an offset; ``fromisoformat`` alone would also accept a
# bare date or a naive time, which a rule author almost certainly did not mean.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def format_time(moment: datetime | None) -> str | None:
    """``2026-11-26T09:30:00Z`` (or ``…:00.250Z``) for an aware datetime; None stays None."""
    if moment is None:
        return None
    return _format(moment)


@functools.lru_cache(maxsize=512)  # one step writes the same few instants many times
def _format(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    # The year by hand: strftime's %Y does not pad years before 1000 to four digits on
    # every platform, and RFC 3339 requires them.
    text = f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S")
    if utc.microsecond:
        return text + f".{utc.microsecond // 1000:03d}Z"
    return text + "Z"


def parse_time(text: object) -> datetime | None:
    """An aware UTC datetime from an RFC 3339 string (``as_utc``: one an offset carries
    past year 1 or 9999 is the first or last instant), or None if it is not one."""
    if not isinstance(text, str) or not _RFC3339.match(text):
        return None
    normalised = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        parsed = datetime.fromisoformat(normalised.replace("t", "T"))
    except ValueError:
        return None
    return as_utc(parsed)


def user_json(user: User) -> JSON:
    """``GET /v1/users/{id}``: the profile with xp, level and balances."""
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "timezone": user.timezone,
        "traits": copy_json(user.traits),
        "xp": user.xp,
        "level": user.level,
        "balances": dict(user.balances),
        "created_at": format_time(user.created_at),
        "updated_at": format_time(user.updated_at),
        "last_event_at": format_time(user.last_event_at),
    }


def event_json(event: EventRecord) -> JSON:
    """An event as the spec's ``Event`` shows it (the events response, listings)."""
    return {
        "id": event.id,
        "event_id": event.event_id,
        "user_id": event.user_id,
        "type": event.type,
        "properties": copy_json(event.properties),
        "occurred_at": format_time(event.occurred_at),
        "received_at": format_time(event.received_at),
        "status": event.status,
    }


def event_detail_json(event: EventRecord) -> JSON:
    """``GET /v1/events/{id}``: the event with what the engine did and why (the trace)."""
    return {
        **event_json(event),
        "rules_triggered": list(event.rules_triggered),
        "actions_executed": copy_json(event.actions_executed),
        "effects": copy_json(event.result.get("effects")),
        "trace": event.trace.to_json(),
    }


def ledger_json(entry: LedgerEntry) -> JSON:
    """One ledger entry, as ``POST/GET /v1/users/{id}/transactions`` return it."""
    return {
        "id": entry.id,
        "user_id": entry.user_id,
        "currency": entry.currency,
        "amount": entry.amount,
        "balance": entry.balance,
        "reason": entry.reason,
        "metadata": copy_json(entry.metadata),
        "source": entry.source,
        "event_id": entry.event_id,
        "created_at": format_time(entry.created_at),
    }


def json_safe(value: object) -> object:
    """A fact value as it can be stored in a trace: datetimes become RFC 3339 strings."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, datetime):
        return format_time(value)
    return copy.deepcopy(value)
