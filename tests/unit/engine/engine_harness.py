"""A small harness for engine tests: a project in MemoryStorage, a clock, deterministic ids.

Tests drive the engine exactly as the HTTP layer will (canonicalise definitions, process
an event, apply its ``Changes`` in one unit of work) but with plain dicts and no Flask.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from questline_mock.domain import JSON, Project, User
from questline_mock.engine import (
    EventInput,
    IdFactory,
    Outcome,
    canonicalize_definition,
    create_transaction,
    process_event,
    validate_levels,
)
from questline_mock.storage.base import Reader, Storage

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
PROJECT = "prj_test"


def make_storage(backend: str = "memory", directory: Path | None = None) -> Storage:
    """A store for one test: in memory, or a SQLite file in ``directory``."""
    if backend == "sqlite":
        from questline_mock.storage.sqlite import SQLiteStorage

        assert directory is not None
        return SQLiteStorage(directory / "engine.db")
    from questline_mock.storage.memory import MemoryStorage

    return MemoryStorage()


def counting_ids() -> IdFactory:
    """``evt_000001``, ``txn_000002``, …: one counter, so ids are deterministic and ordered."""
    counter = itertools.count(1)
    return IdFactory(lambda prefix, now: f"{prefix}_{next(counter):06d}")


class Harness:
    """One project: define things, send events, move the clock, read state."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.storage.create_project(Project(id=PROJECT, api_key="sk_test_engine", created_at=T0))
        self.now = T0
        self.ids = counting_ids()
        self.outcomes: list[Outcome] = []

    # -- definitions -------------------------------------------------------------------
    def define(self, kind: str, definition_id: str, doc: JSON) -> JSON:
        with self.storage.unit_of_work(PROJECT) as uow:
            canonical = canonicalize_definition(kind, definition_id, doc, uow)
            uow.put_definition(kind, definition_id, canonical)
        return canonical

    def currency(self, *ids: str) -> None:
        for currency_id in ids:
            self.define("currencies", currency_id, {"name": currency_id.title()})

    def rule(self, rule_id: str, event_type: str, actions: list[JSON], **fields: Any) -> JSON:
        return self.define(
            "rules", rule_id, {"trigger": {"event_type": event_type}, "actions": actions, **fields}
        )

    def levels(self, doc: JSON) -> JSON:
        with self.storage.unit_of_work(PROJECT) as uow:
            canonical = validate_levels(doc, uow)
            uow.put_levels(canonical)
        return canonical

    # -- steps -------------------------------------------------------------------------
    def send(
        self,
        user_id: str,
        type: str,
        properties: JSON | None = None,
        *,
        at: datetime | None = None,
        event_id: str | None = None,
        user: JSON | None = None,
    ) -> JSON:
        event = EventInput(
            user_id=user_id,
            type=type,
            occurred_at=at or self.now,
            properties=properties or {},
            event_id=event_id,
            user_profile=user,
        )
        with self.storage.unit_of_work(PROJECT) as uow:
            outcome = process_event(uow, event, self.now, self.ids)
            outcome.changes.apply(uow)
        self.outcomes.append(outcome)
        return outcome.result

    def transact(self, user_id: str, currency: str, amount: int, reason: str = "test") -> JSON:
        with self.storage.unit_of_work(PROJECT) as uow:
            entry, changes = create_transaction(
                uow, user_id, currency, amount, reason, {}, self.now, self.ids
            )
            changes.apply(uow)
        return entry

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    # -- reads -------------------------------------------------------------------------
    def view(self) -> Iterator[Reader]:
        return self.storage.read(PROJECT)  # type: ignore[return-value]

    def user(self, user_id: str) -> User:
        with self.storage.read(PROJECT) as view:
            user = view.get_user(user_id)
        assert user is not None
        return user

    def domain_events(self, type: str | None = None) -> list[Any]:
        found = [e for o in self.outcomes for e in o.changes.domain_events]
        return [e for e in found if type is None or e.type == type]
