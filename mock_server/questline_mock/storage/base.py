"""The one narrow storage interface the server runs on.

Everything the server keeps goes through a :class:`Storage`. Work on a project happens in a
unit of work: ``with storage.unit_of_work(project_id) as uow:`` opens one transaction, the
step reads what it needs through ``uow``'s read methods, writes its changes through its
write methods, and on leaving the block everything commits at once, or nothing does if the
block raised. Reads inside a unit of work see its own writes. Units of work on one store
are serialised (one writer at a time); ``storage.read(project_id)`` gives a read-only view
for GET requests.

Two implementations share one test suite (tests/unit/storage): :mod:`.memory` (default)
and :mod:`.sqlite` (durable: nothing committed is lost on a crash).

Errors (raised by either backend)::

    StorageError
     ├── DuplicateEventId      insert_event with an event_id the project already has
     ├── ProjectNotFound       a project id the store does not know
     └── InvalidCursor         a listing cursor the backend did not make (also a ValueError)
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from ..domain import (
    JSON,
    BadgeState,
    Delivery,
    EventRecord,
    IdempotencyRecord,
    LeaderboardEntry,
    LedgerEntry,
    OutboxMessage,
    Project,
    QuestState,
    StreakState,
    User,
    WebhookEndpoint,
)

T = TypeVar("T")


class StorageError(Exception):
    """Base of every storage failure."""


class DuplicateEventId(StorageError):
    """The project already holds an event with this integrator ``event_id``."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event_id {event_id!r} already exists")
        self.event_id = event_id


class ProjectNotFound(StorageError):
    """No project with this id."""


class InvalidCursor(StorageError, ValueError):
    """A cursor that no listing of this backend produced (a client's input: a 4xx, not a 500)."""

    def __init__(self, cursor: object) -> None:
        super().__init__(f"invalid cursor {cursor!r}")
        self.cursor = cursor


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing. ``next_cursor`` is None on the last page.

    Cursors are opaque strings made by the backend; a cursor stays valid (and the listing
    stable) while other rows are inserted concurrently.
    """

    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class EventFilter:
    user_id: str | None = None
    type: str | None = None
    since: datetime | None = None  # occurred_at >= since
    until: datetime | None = None  # occurred_at < until


@dataclass(frozen=True)
class RankedEntry:
    rank: int  # 1-based; equal scores share a rank (1, 2, 2, 4)
    entry: LeaderboardEntry


class Reader(abc.ABC):
    """Read access to one project's state.

    Every record returned is the caller's own copy: changing it changes nothing stored
    (and writes copy what they are given), so callers never copy defensively.

    Definitions are the exception (rules, badges, quests, streaks, leaderboards,
    currencies and the levels document): they are read on every event and never change
    once stored (a PUT replaces one as a whole), so a reader may return the stored
    document itself. Returned definitions are shared and read-only; callers must not
    mutate them (copy one first to change it).
    """

    # -- users -----------------------------------------------------------------------
    @abc.abstractmethod
    def get_user(self, user_id: str) -> User | None: ...

    @abc.abstractmethod
    def list_users(self, limit: int, cursor: str | None = None) -> Page[User]:
        """Users in creation order (oldest first)."""

    # -- definitions -----------------------------------------------------------------
    @abc.abstractmethod
    def get_definition(self, kind: str, definition_id: str) -> JSON | None: ...

    @abc.abstractmethod
    def list_definitions(
        self, kind: str, limit: int | None = None, cursor: str | None = None
    ) -> Page[JSON]:
        """Definitions of one kind in creation order (a replaced definition keeps its place).

        ``limit=None`` returns them all in one page.
        """

    @abc.abstractmethod
    def rules_for_event_type(self, event_type: str) -> Sequence[JSON]:
        """Rules whose ``trigger.event_type`` is ``event_type``, in creation order.

        Indexed by trigger type, so rules for other events cost nothing. Read on every
        event, so a storage may return the same tuple again while those rules are
        unchanged (the engine then prepares them once).
        """

    @abc.abstractmethod
    def get_levels(self) -> JSON | None:
        """The stored levels document, or None when the project uses the default curve."""

    # -- events ----------------------------------------------------------------------
    @abc.abstractmethod
    def get_event(self, id: str) -> EventRecord | None:
        """By the server id (``evt_…``)."""

    @abc.abstractmethod
    def get_event_by_event_id(self, event_id: str) -> EventRecord | None:
        """By the integrator's ``event_id``."""

    @abc.abstractmethod
    def list_events(
        self, filter: EventFilter, limit: int, cursor: str | None = None
    ) -> Page[EventRecord]:
        """Newest first (by insertion order)."""

    @abc.abstractmethod
    def aggregate_events(
        self,
        user_id: str,
        event_type: str,
        since: datetime,
        until: datetime,
        property: str | None = None,
    ) -> tuple[int, float]:
        """``(count, sum)`` over the user's events of one type with since <= occurred_at <= until.

        ``sum`` adds the numeric value (int/float or numeric string) at the dotted
        ``property`` path of each event's properties (non-numeric or missing count as 0);
        it is 0 when ``property`` is None. Must use an index on (user, type, occurred_at):
        cost grows with the window, not with the user's whole history.
        """

    # -- ledger ----------------------------------------------------------------------
    @abc.abstractmethod
    def list_ledger(self, user_id: str, limit: int, cursor: str | None = None) -> Page[LedgerEntry]:
        """Newest first."""

    @abc.abstractmethod
    def ledger_sum(self, user_id: str, currency: str) -> int:
        """Sum of the user's entries in one currency (the balance invariant's other side)."""

    # -- progress --------------------------------------------------------------------
    @abc.abstractmethod
    def get_badge_state(self, user_id: str, badge_id: str) -> BadgeState | None: ...

    @abc.abstractmethod
    def list_badge_states(self, user_id: str) -> list[BadgeState]: ...

    @abc.abstractmethod
    def get_quest_state(self, user_id: str, quest_id: str) -> QuestState | None: ...

    @abc.abstractmethod
    def list_quest_states(self, user_id: str) -> list[QuestState]: ...

    @abc.abstractmethod
    def get_streak_state(self, user_id: str, streak_id: str) -> StreakState | None: ...

    @abc.abstractmethod
    def list_streak_states(self, user_id: str) -> list[StreakState]: ...

    @abc.abstractmethod
    def streaks_expiring_by(self, moment: datetime, limit: int) -> list[StreakState]:
        """Active streaks with ``expires_at <= moment``, soonest first (an index, not a scan)."""

    # -- leaderboards ----------------------------------------------------------------
    @abc.abstractmethod
    def get_leaderboard_entry(
        self, leaderboard_id: str, period_key: str, user_id: str
    ) -> LeaderboardEntry | None: ...

    @abc.abstractmethod
    def rank_of(self, leaderboard_id: str, period_key: str, user_id: str) -> RankedEntry | None:
        """The user's rank without sorting the board (order statistics / an index)."""

    @abc.abstractmethod
    def rankings(
        self, leaderboard_id: str, period_key: str, offset: int, limit: int
    ) -> list[RankedEntry]:
        """Entries ordered by score desc, then reached_at asc, then user id; from ``offset``."""

    @abc.abstractmethod
    def leaderboard_size(self, leaderboard_id: str, period_key: str) -> int: ...

    # -- idempotency -----------------------------------------------------------------
    @abc.abstractmethod
    def get_idempotency(self, key: str) -> IdempotencyRecord | None: ...

    # -- webhooks --------------------------------------------------------------------
    @abc.abstractmethod
    def get_webhook_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    @abc.abstractmethod
    def list_webhook_endpoints(
        self, limit: int | None = None, cursor: str | None = None
    ) -> Page[WebhookEndpoint]:
        """In creation order; ``limit=None`` returns all."""

    @abc.abstractmethod
    def get_message(self, message_id: str) -> OutboxMessage | None: ...

    @abc.abstractmethod
    def newest_message_seq(self) -> int:
        """The ``seq`` of the project's newest stored message, 0 when it has none (where a
        live stream starts)."""

    @abc.abstractmethod
    def list_messages(
        self,
        limit: int,
        cursor: str | None = None,
        user_id: str | None = None,
        types: Sequence[str] | None = None,
        after_seq: int | None = None,
    ) -> Page[OutboxMessage]:
        """Oldest first by ``seq``; ``after_seq`` resumes a stream (Last-Event-ID)."""

    @abc.abstractmethod
    def get_delivery(self, message_id: str, endpoint_id: str) -> Delivery | None: ...

    @abc.abstractmethod
    def list_deliveries(
        self, endpoint_id: str | None = None, message_id: str | None = None
    ) -> list[Delivery]: ...

    @abc.abstractmethod
    def due_deliveries(self, moment: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries with ``next_attempt_at <= moment``, soonest first."""


class UnitOfWork(Reader):
    """Reads plus writes, inside one transaction on one project."""

    @abc.abstractmethod
    def put_user(self, user: User) -> None: ...

    @abc.abstractmethod
    def delete_user(self, user_id: str) -> None:
        """Erase the user and everything about them: events, ledger, badge/quest/streak
        states, rule usage, leaderboard entries, and their outbox messages."""

    @abc.abstractmethod
    def put_definition(self, kind: str, definition_id: str, document: JSON) -> None:
        """Create or replace; a replaced definition keeps its creation order."""

    @abc.abstractmethod
    def delete_definition(self, kind: str, definition_id: str) -> None:
        """Remove it (and, for leaderboards, their entries)."""

    @abc.abstractmethod
    def put_levels(self, document: JSON | None) -> None: ...

    @abc.abstractmethod
    def insert_event(self, event: EventRecord) -> None:
        """Raises DuplicateEventId if the project has the event_id already."""

    @abc.abstractmethod
    def insert_ledger(self, entry: LedgerEntry) -> None: ...

    @abc.abstractmethod
    def put_badge_state(self, state: BadgeState) -> None: ...

    @abc.abstractmethod
    def put_quest_state(self, state: QuestState) -> None: ...

    @abc.abstractmethod
    def put_streak_state(self, state: StreakState) -> None: ...

    @abc.abstractmethod
    def put_leaderboard_entry(self, entry: LeaderboardEntry) -> None: ...

    @abc.abstractmethod
    def put_idempotency(self, record: IdempotencyRecord) -> None: ...

    @abc.abstractmethod
    def delete_idempotency(self, key: str) -> None: ...

    @abc.abstractmethod
    def purge_idempotency(self, before: datetime) -> int:
        """Drop records created before ``before``; returns how many."""

    @abc.abstractmethod
    def put_webhook_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    @abc.abstractmethod
    def delete_webhook_endpoint(self, endpoint_id: str) -> None: ...

    @abc.abstractmethod
    def insert_message(self, message: OutboxMessage) -> OutboxMessage:
        """Store it and return it with its ``seq`` assigned."""

    @abc.abstractmethod
    def insert_messages(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        """Store them in order, all or none, and return them with their ``seq`` assigned
        (one step's messages, written in one go)."""

    @abc.abstractmethod
    def put_delivery(self, delivery: Delivery) -> None: ...


class Storage(abc.ABC):
    """A store of many projects."""

    @abc.abstractmethod
    def create_project(self, project: Project) -> None: ...

    @abc.abstractmethod
    def get_project(self, project_id: str) -> Project | None: ...

    @abc.abstractmethod
    def get_project_by_key(self, api_key: str) -> Project | None: ...

    @abc.abstractmethod
    def list_projects(self) -> list[Project]: ...

    @abc.abstractmethod
    def save_project(self, project: Project) -> None:
        """Persist a changed project record (its clock)."""

    @abc.abstractmethod
    def reset_project(self, project_id: str, keep_config: bool = False) -> None:
        """Empty the project's data (users, events, ledger, progress, leaderboards, outbox,
        idempotency). With ``keep_config`` definitions, levels and webhook endpoints stay."""

    @abc.abstractmethod
    def unit_of_work(self, project_id: str) -> AbstractContextManager[UnitOfWork]:
        """One transaction: commits on normal exit, rolls back everything if the block raises."""

    @abc.abstractmethod
    def read(self, project_id: str) -> AbstractContextManager[Reader]:
        """A consistent read-only view."""

    @abc.abstractmethod
    def close(self) -> None: ...


def iter_all(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Walk every page of a listing: ``iter_all(lambda c: reader.list_users(100, c))``."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
