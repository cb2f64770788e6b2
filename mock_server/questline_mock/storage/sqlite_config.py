"""A project's configuration (definitions, levels, webhook endpoints), read once per
version, for SQLite.

Every event reads its project's rules, badges, quests, streaks, leaderboards, levels and
webhook endpoints: seven queries and as many JSON parses, for records that change only
when somebody writes one. So each project row carries a ``config_version``, which every
write to its configuration sets to a new random value in the same transaction, and what
a reader read is kept under ``(project, version)``. A reader asks for the version once
per transaction (the query that checks the project exists reads it), then finds the
records here.

Correct under every isolation the file gives: a transaction sees the version of its own
snapshot (a write of its own included), and a version is never reused, so what is cached
under it is what any transaction seeing that version reads, in this process or another
one writing the same file. A rolled-back version is just never asked for again. What a
thread knows of the versions lasts as long as its transaction; a savepoint rolled back
forgets it (the version may have moved back).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

_MAX_ENTRIES = 4096  # (project, version, what) entries; a project has a handful
_ABSENT = object()


class ConfigCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, int, Hashable], Any] = {}
        self._local = threading.local()  # .known: project -> version, in this transaction

    def _known(self) -> dict[str, int]:
        known: dict[str, int] | None = getattr(self._local, "known", None)
        if known is None:
            known = self._local.known = {}
        return known

    def forget(self) -> None:
        """This thread's transaction began, ended, or rolled back to a savepoint."""
        self._local.known = {}

    def seen(self, project_id: str, version: int) -> None:
        """The version this thread's transaction read (with the project's existence)."""
        self._known()[project_id] = version

    def version(self, conn: sqlite3.Connection, project_id: str) -> int:
        known = self._known()
        found = known.get(project_id)
        if found is None:
            row = conn.execute(
                "SELECT config_version FROM projects WHERE id = ?", (project_id,)
            ).fetchone()
            found = known[project_id] = row[0] if row else 0
        return found

    def changed(self, conn: sqlite3.Connection, project_id: str) -> None:
        """The project's configuration was written in this thread's transaction."""
        version = secrets.randbits(62) + 1  # never 0, the version of a new project
        conn.execute("UPDATE projects SET config_version = ? WHERE id = ?", (version, project_id))
        self._known()[project_id] = version

    def get(self, project_id: str, version: int, what: Hashable, load: Callable[[], T]) -> T:
        """``load()``'s result for ``what`` at ``version``, loaded once. Results are shared
        between readers: documents are read-only (the Reader contract), lists are tuples."""
        key = (project_id, version, what)
        found = self._entries.get(key, _ABSENT)
        if found is _ABSENT:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            found = self._entries[key] = load()
        result: T = found
        return result
