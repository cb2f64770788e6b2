"""The records the reference server keeps, one dataclass per kind of state.

These are plain values shared by the engine (which reads them and builds new versions)
and the storage backends (which persist them). Nothing here knows about Flask or SQL.
All state is per project; a record never carries its project id because every storage
call is already scoped to one project.

Times are timezone-aware UTC ``datetime`` values. Definitions (badges, rules, …) are kept
as their canonical JSON dicts, exactly as the API returns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, Protocol

from .jsonutil import copy_json

JSON = dict[str, Any]

DEFINITION_KINDS = ("currencies", "badges", "quests", "streaks", "leaderboards", "rules")
# One of each kind, as in "rule:big-spender" and the path parameter "rule_id".
SINGULAR = {
    "currencies": "currency",
    "badges": "badge",
    "quests": "quest",
    "streaks": "streak",
    "leaderboards": "leaderboard",
    "rules": "rule",
}


@dataclass
class Project:
    id: str
    api_key: str
    created_at: datetime
    # The sandbox clock: ``now = frozen_at`` when frozen, else ``wall + offset_seconds``.
    clock_offset_seconds: float = 0.0
    clock_frozen_at: datetime | None = None


@dataclass
class User:
    id: str
    created_at: datetime
    updated_at: datetime
    display_name: str | None = None
    email: str | None = None
    timezone: str = "UTC"
    traits: JSON = field(default_factory=dict)
    xp: int = 0
    level: int = 1
    balances: dict[str, int] = field(default_factory=dict)
    last_event_at: datetime | None = None
    # Per-type event counts, the fact ``user.event_count.<type>``.
    event_counts: dict[str, int] = field(default_factory=dict)
    # rule id -> its firings for this user: read and written with the user, in the same
    # row, because every event that fires a rule writes the user anyway.
    rule_usage: dict[str, RuleUsage] = field(default_factory=dict)

    # Written out (as DomainEvent's is): an event reads and copies its user.
    def __init__(
        self,
        id: str,
        created_at: datetime,
        updated_at: datetime,
        display_name: str | None = None,
        email: str | None = None,
        timezone: str = "UTC",
        traits: JSON | None = None,
        xp: int = 0,
        level: int = 1,
        balances: dict[str, int] | None = None,
        last_event_at: datetime | None = None,
        event_counts: dict[str, int] | None = None,
        rule_usage: dict[str, RuleUsage] | None = None,
    ) -> None:
        self.id, self.created_at, self.updated_at = id, created_at, updated_at
        self.display_name, self.email, self.timezone = display_name, email, timezone
        self.traits = {} if traits is None else traits
        self.xp, self.level, self.last_event_at = xp, level, last_event_at
        self.balances = {} if balances is None else balances
        self.event_counts = {} if event_counts is None else event_counts
        self.rule_usage = {} if rule_usage is None else rule_usage

    def __reduce__(self) -> tuple[type[User], tuple[Any, ...]]:
        """For ``copy`` and ``pickle``, which would otherwise call the written-out
        ``__init__`` with no arguments in the compiled build."""
        return User, tuple(getattr(self, f.name) for f in fields(self))

    def copy(self) -> User:
        """A deep copy, that changes to it never reach this one (``copy.deepcopy``'s result,
        several times faster: a usage record is an immutable tuple)."""
        return User(
            self.id, self.created_at, self.updated_at, self.display_name, self.email,
            self.timezone, copy_json(self.traits), self.xp, self.level, dict(self.balances),
            self.last_event_at, dict(self.event_counts), dict(self.rule_usage),
        )  # fmt: skip


class _Missing:
    """The value of a fact that is not there (distinct from a JSON ``null``)."""

    _instance: ClassVar[_Missing | None] = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"  # pickled by name: unpickling gives back the one instance

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


class Explainer(Protocol):
    """A compiled condition that can rebuild its explain trace from the leaf values one
    evaluation recorded (``engine.conditions.Compiled``)."""

    source: Any  # the condition document it was compiled from

    def explain(self, seen: Iterator[Any]) -> tuple[bool, JSON]: ...


class StoredPlan:
    """A trace's plan as a store that keeps JSON reads it back: ``(rule id, condition
    source or None)`` pairs, compiled (``Trace.compile``) only when the trace is expanded,
    so listing events never compiles anything."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[list[Any]]) -> None:
        self.entries = entries  # as JSON reads them: lists

    def __iter__(self) -> Iterator[tuple[str, Explainer | None]]:
        compile = Trace.compile
        if compile is None:
            raise RuntimeError("import questline_mock.engine to expand a stored explain trace")
        for rule_id, source in self.entries:
            yield rule_id, None if source is None else compile(source)


class Trace:
    """An event's explain trace: one entry per rule considered, expanded on demand.

    The engine keeps it compact: ``plan`` is, per rule considered, ``(rule_id, its compiled
    condition or None)``, shared by every event the same rules judged (nothing in it
    changes: a rule edited later compiles to a new object); ``outcomes`` is, per rule,
    ``(skipped_reason, seen)``: None when it fired, and the leaf values its conditions saw
    (None when a gate refused before they ran). :meth:`to_json` builds the wire form
    ``{rule_id, matched, skipped_reason, conditions}``. A trace read back from a store that
    keeps JSON has no plan and its ``outcomes`` are those entries.

    ``compile`` turns a condition's ``source`` back into its explainer, for a store that
    keeps the compact form as JSON (the engine registers its ``compile_condition``).
    """

    __slots__ = ("outcomes", "plan")
    compile: ClassVar[Callable[[Any], Explainer] | None] = None

    def __init__(
        self,
        plan: tuple[tuple[str, Explainer | None], ...] | StoredPlan | None,
        outcomes: tuple[tuple[str | None, tuple[Any, ...] | None], ...] | list[JSON],
    ) -> None:
        self.plan = plan
        self.outcomes = outcomes

    @classmethod
    def of(cls, entries: list[JSON]) -> Trace:
        """A trace already in wire form."""
        return cls(None, entries)

    def to_json(self) -> list[JSON]:
        """The wire form, freshly built (the caller may change it)."""
        if self.plan is None:
            return copy_json(self.outcomes)  # type: ignore[no-any-return]
        entries: list[JSON] = []
        for (rule_id, condition), (reason, seen) in zip(self.plan, self.outcomes, strict=True):
            explained = None
            if condition is not None and seen is not None:
                explained = condition.explain(iter(seen))[1]
            entries.append(
                {
                    "rule_id": rule_id,
                    "matched": reason is None,
                    "skipped_reason": reason,
                    "conditions": explained,
                }
            )
        return entries

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trace):
            return self.to_json() == other.to_json()
        return NotImplemented

    def __repr__(self) -> str:
        return f"Trace({self.to_json()!r})"


@dataclass
class EventRecord:
    id: str  # evt_…
    event_id: str  # the integrator's id (or the server-made one)
    user_id: str
    type: str
    properties: JSON
    occurred_at: datetime
    received_at: datetime
    status: str  # "processed" | "failed"
    # The response body of POST /v1/events for this event (without "replayed"), so a
    # replay returns exactly the first result.
    result: JSON = field(default_factory=dict)
    rules_triggered: list[str] = field(default_factory=list)
    actions_executed: list[JSON] = field(default_factory=list)
    trace: Trace = field(default_factory=lambda: Trace(None, []))

    def __init__(  # written out, as DomainEvent's is
        self,
        id: str,
        event_id: str,
        user_id: str,
        type: str,
        properties: JSON,
        occurred_at: datetime,
        received_at: datetime,
        status: str,
        result: JSON | None = None,
        rules_triggered: list[str] | None = None,
        actions_executed: list[JSON] | None = None,
        trace: Trace | None = None,
    ) -> None:
        self.id, self.event_id, self.user_id, self.type = id, event_id, user_id, type
        self.properties, self.occurred_at, self.received_at = properties, occurred_at, received_at
        self.status = status
        self.result = {} if result is None else result
        self.rules_triggered = [] if rules_triggered is None else rules_triggered
        self.actions_executed = [] if actions_executed is None else actions_executed
        self.trace = Trace(None, []) if trace is None else trace


@dataclass
class LedgerEntry:
    id: str  # txn_…
    user_id: str
    currency: str
    amount: int
    balance: int  # the balance after this entry
    reason: str | None
    metadata: JSON
    source: str  # "api" (POST …/transactions), "rule:<id>", "badge:<id>", "level:<n>", …
    event_id: str | None  # evt_… of the event that caused it, if any
    created_at: datetime

    def __init__(  # written out, as DomainEvent's is
        self,
        id: str,
        user_id: str,
        currency: str,
        amount: int,
        balance: int,
        reason: str | None,
        metadata: JSON,
        source: str,
        event_id: str | None,
        created_at: datetime,
    ) -> None:
        self.id, self.user_id, self.currency, self.amount = id, user_id, currency, amount
        self.balance, self.reason, self.metadata, self.source = balance, reason, metadata, source
        self.event_id, self.created_at = event_id, created_at


@dataclass
class BadgeState:
    user_id: str
    badge_id: str
    progress: int = 0
    tiers_earned: list[str] = field(default_factory=list)
    times_awarded: int = 0
    first_awarded_at: datetime | None = None
    last_awarded_at: datetime | None = None


@dataclass
class QuestState:
    user_id: str
    quest_id: str
    steps: dict[str, int] = field(default_factory=dict)  # step id -> progress
    completed_at: datetime | None = None
    started_at: datetime | None = None  # when the first step first progressed


@dataclass
class StreakState:
    user_id: str
    streak_id: str
    status: str  # "active" | "ended"
    count: int
    longest: int
    freezes_left: int
    last_period: str | None  # "2026-11-26" (day) or "2026-W48" (ISO week)
    # When the streak breaks if no qualifying event arrives; indexed for the sweep.
    expires_at: datetime | None
    started_at: datetime | None = None


class RuleUsage(NamedTuple):
    """How often one rule fired for one user, and when last (its limits read this)."""

    fired: int  # times
    last_fired_at: datetime


@dataclass
class LeaderboardEntry:
    leaderboard_id: str
    period_key: str  # "all_time" or the period's start as an ISO date ("2026-11-23")
    user_id: str
    score: float
    reached_at: datetime


@dataclass
class IdempotencyRecord:
    key: str
    request_hash: str
    created_at: datetime
    # None while the first request is still being processed.
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class WebhookEndpoint:
    id: str  # whe_…
    url: str
    event_types: list[str]
    enabled: bool
    description: str | None
    # Signing secrets, newest first. A rotated-out secret keeps signing until it expires.
    secrets: list[tuple[str, datetime | None]]
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = None


@dataclass
class DomainEvent:
    """Something the engine did that the outside world hears about (webhook, stream)."""

    type: str  # e.g. "user.badge.unlocked"
    data: JSON
    user_id: str | None = None

    # Written out rather than generated (the dataclass keeps it): in the compiled build a
    # generated __init__ stays interpreted, and an event makes several of these.
    def __init__(self, type: str, data: JSON, user_id: str | None = None) -> None:
        self.type, self.data, self.user_id = type, data, user_id


@dataclass
class OutboxMessage:
    id: str  # msg_…
    type: str
    created_at: datetime
    data: JSON
    user_id: str | None = None
    seq: int = 0  # assigned by storage; the order of the stream

    def __init__(  # written out, as DomainEvent's is
        self,
        id: str,
        type: str,
        created_at: datetime,
        data: JSON,
        user_id: str | None = None,
        seq: int = 0,
    ) -> None:
        self.id, self.type, self.created_at, self.data = id, type, created_at, data
        self.user_id, self.seq = user_id, seq

    def with_seq(self, seq: int) -> OutboxMessage:
        """This message as stored, its ``seq`` assigned."""
        return OutboxMessage(self.id, self.type, self.created_at, self.data, self.user_id, seq)


@dataclass
class Delivery:
    """One message owed to one endpoint, with its attempt history."""

    message_id: str
    endpoint_id: str
    status: str  # "pending" | "delivered" | "failed"
    next_attempt_at: datetime | None
    attempts: list[JSON] = field(default_factory=list)
