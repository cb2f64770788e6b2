"""The backend object: storage, clocks, ids, locks, and the project registry."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..config import DEFAULT_PROJECT_ID, ServerConfig
from ..domain import Project
from ..engine.context import Changes, IdFactory
from ..ids import IdMaker
from ..sandbox.clock import ProjectClock, WallClock
from ..storage.base import Reader, Storage, UnitOfWork
from ..webhooks.delivery import Deliverer
from ..webhooks.outbox import enqueue
from .maintenance import Maintenance

_LOCK_STRIPES = 256


def open_storage(config: ServerConfig) -> Storage:
    if config.db_path:
        from ..storage.sqlite import SQLiteStorage

        return SQLiteStorage(config.db_path, synchronous=config.sqlite_synchronous)
    from ..storage.memory import MemoryStorage

    return MemoryStorage()


class Backend:
    """One per app. Thread-safe: request threads share it."""

    def __init__(self, config: ServerConfig, storage: Storage | None = None) -> None:
        self.config = config
        self.storage = storage or open_storage(config)
        self.wall = WallClock(config.time_source) if config.time_source else WallClock()
        self.ids = IdFactory(IdMaker())
        self._projects_by_key: dict[str, Project] = {}
        self._registry_lock = threading.Lock()
        # One user's events serialise; different users' may run in parallel. Striped so
        # the lock table stays small whatever the number of users.
        self._user_locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._outbox_signal = threading.Condition()
        self._outbox_version = 0
        # Set by close(): the delivery worker and open streams end when they see it.
        self.closed = threading.Event()
        # Sends webhooks; the app starts its background worker (config.background_workers).
        self.deliverer = Deliverer(self)
        # Ends expired streaks and old idempotency records on a timer (background_workers).
        self.maintenance = Maintenance(self, config.maintenance_interval_seconds)
        self._ensure_default_project()

    # -- projects -----------------------------------------------------------------------
    def _ensure_default_project(self) -> None:
        project = self.storage.get_project_by_key(self.config.api_key)
        if project is None:
            existing = self.storage.get_project(DEFAULT_PROJECT_ID)
            if existing is not None:
                # Restarted with another --api-key: the default project answers to it now.
                existing.api_key = self.config.api_key
                self.storage.save_project(existing)
            else:
                self.storage.create_project(
                    Project(
                        id=DEFAULT_PROJECT_ID,
                        api_key=self.config.api_key,
                        created_at=self.wall.now(),
                    )
                )

    def project_for_key(self, api_key: str) -> Project | None:
        with self._registry_lock:
            project = self._projects_by_key.get(api_key)
            if project is None:
                project = self.storage.get_project_by_key(api_key)
                if project is not None:
                    self._projects_by_key[api_key] = project
            return project

    def create_project(self) -> Project:
        project = Project(
            id=self.ids.new("proj", self.wall.now()),
            api_key="sk_test_" + secrets.token_urlsafe(24),
            created_at=self.wall.now(),
        )
        self.storage.create_project(project)
        return project

    def scope(self, project: Project) -> ProjectScope:
        return ProjectScope(self, project)

    def user_lock(self, project_id: str, user_id: str) -> threading.Lock:
        return self._user_locks[hash((project_id, user_id)) % _LOCK_STRIPES]

    def outbox_changed(self) -> None:
        """New messages were queued: wake the delivery worker and stream readers."""
        with self._outbox_signal:
            self._outbox_version += 1
            self._outbox_signal.notify_all()
        self.deliverer.wake()

    @property
    def outbox_version(self) -> int:
        """Counts the commits that queued messages: a reading that differs from an earlier
        one says messages were queued in between (pass it to :meth:`wait_for_outbox`)."""
        return self._outbox_version

    def wait_for_outbox(self, timeout: float, seen: int | None = None) -> int:
        """Wait up to ``timeout`` for messages queued after version ``seen`` (returned by an
        earlier call); returns the current version. Passing ``seen`` closes the gap between
        a reader's last look and its wait, so no notification is missed."""
        with self._outbox_signal:
            if (seen is None or seen == self._outbox_version) and not self.closed.is_set():
                self._outbox_signal.wait(timeout)
            return self._outbox_version

    def close(self) -> None:
        self.closed.set()
        self.outbox_changed()  # wake waiters so they see ``closed``
        self.deliverer.close()
        self.maintenance.close()
        self.storage.close()


@dataclass
class ProjectScope:
    """One project, as seen by one request."""

    backend: Backend
    project: Project
    queued_messages: bool = False

    @property
    def clock(self) -> ProjectClock:
        return ProjectClock(self.project, self.backend.wall)

    def now(self) -> datetime:
        return self.clock.now()

    def save_clock(self) -> None:
        self.backend.storage.save_project(self.project)

    @contextmanager
    def uow(self) -> Iterator[UnitOfWork]:
        """One transaction; wakes the outbox readers after it commits, if it queued messages."""
        self.queued_messages = False
        with self.backend.storage.unit_of_work(self.project.id) as uow:
            yield uow
        if self.queued_messages:
            self.backend.outbox_changed()

    def read(self) -> AbstractContextManager[Reader]:
        return self.backend.storage.read(self.project.id)

    @contextmanager
    def user_locked(self, user_id: str) -> Iterator[None]:
        with self.backend.user_lock(self.project.id, user_id):
            yield


def commit(scope: ProjectScope, uow: UnitOfWork, changes: Changes, now: datetime) -> None:
    """Write a step's changes and the outbox messages of its domain events, in ``uow``."""
    changes.apply(uow)
    enqueue(uow, changes.domain_events, now, scope.backend.ids)
    if changes.domain_events:
        scope.queued_messages = True
