"""One step of the engine, from input to ``Outcome``: the entry points the HTTP layer calls.

``process_event`` is the whole of ``POST /v1/events`` that is not HTTP: it reads the
project through a ``Reader``, decides everything, and returns the response body plus the
``Changes`` that the caller applies in one unit of work (so the event is all or nothing).
It never writes, never reads the wall clock (``now`` comes in) and never makes a random
id (``ids`` does), so the same event on the same state gives the same effects.

Order within an event: load (or implicitly create) the user, apply the event's ``user``
profile block (so a first event can set the timezone the streaks will use), count the
event, run the rules, then every registered processor (badges, quests, streaks,
leaderboards), then emit ``event.processed`` and store the result on the event record so
a replay returns it unchanged. Duplicate ``event_id`` detection is the caller's job: it
needs the storage's lock, the engine does not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from ..domain import JSON, EventRecord, User
from ..jsonutil import copy_json
from ..storage.base import Reader
from . import periods
from .context import (
    EVENT_PROCESSORS,
    Changes,
    DefinitionError,
    EngineContext,
    IdFactory,
    NotFound,
)
from .ledger import post_entry
from .render import event_json, ledger_json, user_json
from .rules import run_rules

PROFILE_FIELDS = ("display_name", "email", "timezone", "traits")


@dataclass(frozen=True)
class EventInput:
    """An event that already passed structural validation at the edge."""

    user_id: str
    type: str
    occurred_at: datetime
    properties: JSON = field(default_factory=dict)
    event_id: str | None = None  # the integrator's id; the server's evt_ id when absent
    user_profile: JSON | None = None  # {display_name?, email?, timezone?, traits?}


@dataclass
class Outcome:
    """What a step decided: the response body and the changes that make it true."""

    result: JSON
    changes: Changes
    user: User

    # Written out (see context.Changes): the compiled build then makes it natively.
    def __init__(self, result: JSON, changes: Changes, user: User) -> None:
        self.result, self.changes, self.user = result, changes, user


def apply_profile(user: User, profile: JSON | None) -> bool:
    """Set the profile fields present in ``profile``; returns whether anything changed.

    Traits merge key by key and a ``null`` value removes a key (like Stripe's metadata), both
    for ``PUT /v1/users/{id}`` and an event's ``user`` block, so a client that knows one trait
    never erases the others. A missing timezone means UTC.
    """
    if not profile:
        return False
    before = (user.display_name, user.email, user.timezone, copy_json(user.traits))
    if "display_name" in profile:
        user.display_name = profile["display_name"]
    if "email" in profile:
        user.email = profile["email"]
    if "timezone" in profile:
        user.timezone = profile["timezone"] or "UTC"
    if "traits" in profile:
        traits = {**user.traits, **copy_json(profile["traits"] or {})}
        user.traits = {key: value for key, value in traits.items() if value is not None}
    return before != (user.display_name, user.email, user.timezone, user.traits)


def check_profile(profile: JSON | None, loc: list[str | int]) -> None:
    """Raise DefinitionError naming each bad profile field (an unknown timezone above all:
    streak periods would be computed in it)."""
    if not profile:
        return
    errors: list[JSON] = []
    for key in ("display_name", "email"):
        if profile.get(key) is not None and not isinstance(profile[key], str):
            errors.append({"loc": [*loc, key], "message": "must be a string", "type": "type_error"})
    timezone = profile.get("timezone")
    if timezone is not None and not periods.is_valid_timezone(timezone):
        errors.append(
            {
                "loc": [*loc, "timezone"],
                "message": f"unknown IANA timezone {timezone!r}",
                "type": "value_error",
            }
        )
    if profile.get("traits") is not None and not isinstance(profile["traits"], dict):
        errors.append(
            {"loc": [*loc, "traits"], "message": "must be an object", "type": "type_error"}
        )
    if errors:
        raise DefinitionError(errors)


def _load_user(view: Reader, user_id: str, now: datetime) -> tuple[User, bool]:
    found = view.get_user(user_id)  # a Reader hands out its own copy: ours to change
    if found is not None:
        return found, False
    return User(id=user_id, created_at=now, updated_at=now), True


def _context(view: Reader, user: User, now: datetime, ids: IdFactory) -> EngineContext:
    return EngineContext(view=view, now=now, ids=ids, user=user)


def _run_processors(ctx: EngineContext) -> None:
    for processor in EVENT_PROCESSORS:
        processor(ctx)


def _finish(ctx: EngineContext) -> None:
    """Put the working user into the changes (after every processor has had its say)."""
    ctx.changes.users[ctx.user.id] = ctx.user


def process_event(view: Reader, event: EventInput, now: datetime, ids: IdFactory) -> Outcome:
    """Decide everything one event does; nothing is written (apply ``outcome.changes``)."""
    check_profile(event.user_profile, ["body", "user"])
    user, created = _load_user(view, event.user_id, now)
    apply_profile(user, event.user_profile)
    user.updated_at = now
    user.event_counts[event.type] = user.event_counts.get(event.type, 0) + 1
    if user.last_event_at is None or event.occurred_at > user.last_event_at:
        user.last_event_at = event.occurred_at
    server_id = ids.new("evt", now)
    record = EventRecord(
        id=server_id,
        event_id=event.event_id or server_id,
        user_id=user.id,
        type=event.type,
        properties=copy_json(event.properties),
        occurred_at=event.occurred_at,
        received_at=now,
        status="processed",
    )
    ctx = _context(view, user, now, ids)
    ctx.event = record
    if created:
        ctx.emit("user.created", {"user": user_json(user)})
    run_rules(ctx)
    _run_processors(ctx)
    result = {"event": event_json(record), "effects": ctx.effects.to_json(user)}
    record.result = result
    record.rules_triggered = list(ctx.effects.rules_triggered)
    record.actions_executed = ctx.actions_executed
    record.trace = ctx.trace
    # Shared with the stored record: both are serialised, neither is mutated.
    ctx.emit("event.processed", {"user_id": user.id, **result})
    ctx.changes.events.append(record)
    _finish(ctx)
    return Outcome(result=result, changes=ctx.changes, user=user)


StepBody = Callable[[EngineContext], "JSON | None"]


def run_step(
    view: Reader,
    user: User,
    now: datetime,
    ids: IdFactory,
    body: StepBody,
    event: EventRecord | None = None,
    *,
    processors: bool = True,
) -> Outcome:
    """A manual operation (hand-awarded badge, transaction, streak sweep) as one step.

    ``body(ctx)`` does the work through the context and may return the response body;
    without one the result is ``{"effects": ...}``. The registered processors then run
    with ``ctx.event`` as given (usually None) so gains still reach the leaderboards.
    ``user`` is copied, never mutated.
    """
    ctx = _context(view, user.copy(), now, ids)
    ctx.event = event
    returned = body(ctx)
    if processors:
        _run_processors(ctx)
    ctx.user.updated_at = now
    _finish(ctx)
    effects = ctx.effects.to_json(ctx.user)
    result = returned if returned is not None else {"effects": effects}
    return Outcome(result=result, changes=ctx.changes, user=ctx.user)


def create_transaction(
    view: Reader,
    user_id: str,
    currency: str,
    amount: int,
    reason: str | None,
    metadata: JSON | None,
    now: datetime,
    ids: IdFactory,
) -> tuple[JSON, Changes]:
    """``POST /v1/users/{id}/transactions``: one manual ledger entry (± amount).

    Raises NotFound (unknown user), DefinitionError (unknown currency, zero amount) or
    InsufficientBalance (a debit below zero); in each case nothing is changed.
    """
    user = view.get_user(user_id)
    if user is None:
        raise NotFound(f"user {user_id!r} not found")
    errors: list[JSON] = []
    if view.get_definition("currencies", currency) is None:
        errors.append(
            {
                "loc": ["body", "currency"],
                "message": f"unknown currency {currency!r}",
                "type": "unknown_reference",
            }
        )
    if amount == 0:
        errors.append(
            {"loc": ["body", "amount"], "message": "must not be 0", "type": "value_error"}
        )
    if errors:
        raise DefinitionError(errors)

    def body(ctx: EngineContext) -> JSON:
        entry = post_entry(ctx, currency, amount, source="api", reason=reason, metadata=metadata)
        return ledger_json(entry)

    outcome = run_step(view, user, now, ids, body)
    return outcome.result, outcome.changes


def upsert_user(
    view: Reader, user_id: str, profile: JSON, now: datetime, ids: IdFactory
) -> tuple[JSON, Changes, bool]:
    """``PUT /v1/users/{id}``: create or update the profile; ``(user json, changes, created)``.

    Fields not sent are kept; traits merge (see ``apply_profile``); a new user emits
    ``user.created``.
    """
    check_profile(profile, ["body"])
    user, created = _load_user(view, user_id, now)
    apply_profile(user, profile)
    user.updated_at = now
    ctx = _context(view, user, now, ids)
    if created:
        ctx.emit("user.created", {"user": user_json(user)})
    _finish(ctx)
    return user_json(user), ctx.changes, created
