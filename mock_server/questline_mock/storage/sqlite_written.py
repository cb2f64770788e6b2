"""What a write transaction wrote and will read again, kept beside SQLite.

An event reads its user and writes it back, and the next event of that user in the same
batch reads it again; each message insert reads the project's message counter. Inside
one write transaction nobody else can write (it holds the file's write lock), so the
transaction's own last write is what SQL would answer: kept here, a repeated read costs
a copy instead of a query and a JSON parse. Likewise the trace plans it stored: the
events of a batch share a few, each written once.

Two of those writes wait here until SQL needs them: a user written again and again by a
batch's events is saved once, and the message counter moves in SQL once. They are "unsaved"
until :meth:`WrittenRows.take_unsaved` hands them over, which the store does before any
statement that could read them, before a savepoint begins and before the commit
(sqlite.py's ``_save``); a rollback discards them with the rows written after them.

Per thread, like the transaction. Forgotten whenever the transaction begins, ends, or
rolls back, to a savepoint too (what was written after it is gone).
"""

from __future__ import annotations

import threading

from ..domain import User

ABSENT = object()  # not known here: ask SQL


class _Written:
    __slots__ = ("message_seq", "plans", "unsaved", "unsaved_seqs", "users")

    def __init__(self) -> None:
        self.users: dict[tuple[str, str], User | None] = {}
        self.message_seq: dict[str, int] = {}
        self.plans: set[tuple[str, str]] = set()
        # Written here, not yet in SQL, in the order first written (users' ``seq`` is
        # their creation order); the same objects as in ``users``.
        self.unsaved: dict[tuple[str, str], User] = {}
        self.unsaved_seqs: set[str] = set()


class WrittenRows:
    def __init__(self) -> None:
        self._local = threading.local()

    def _written(self) -> _Written:
        written: _Written | None = getattr(self._local, "written", None)
        if written is None:
            written = self._local.written = _Written()
        return written

    def forget(self) -> None:
        """This thread's transaction began, ended, or rolled back (to a savepoint too)."""
        self._local.written = None

    def user(self, project_id: str, user_id: str) -> User | object | None:
        """A copy of the user as this transaction last wrote it, None if it deleted them,
        or :data:`ABSENT`."""
        found = self._written().users.get((project_id, user_id), ABSENT)
        return found.copy() if isinstance(found, User) else found

    def deleted_user(self, project_id: str, user_id: str) -> None:
        """SQL no longer has the user (it was saved, if unsaved, before the delete ran)."""
        self._written().users[(project_id, user_id)] = None

    def put_user(self, project_id: str, user: User) -> None:
        """The user as written, for SQL later (:meth:`take_unsaved`)."""
        written = self._written()
        kept = written.users[(project_id, user.id)] = user.copy()
        written.unsaved[(project_id, user.id)] = kept

    def message_seq(self, project_id: str) -> int | None:
        return self._written().message_seq.get(project_id)

    def moved_message_seq(self, project_id: str, seq: int) -> None:
        """The project's message counter is now ``seq``, for SQL later."""
        written = self._written()
        written.message_seq[project_id] = seq
        written.unsaved_seqs.add(project_id)

    def has_unsaved(self) -> bool:
        written: _Written | None = getattr(self._local, "written", None)
        return written is not None and bool(written.unsaved or written.unsaved_seqs)

    def take_unsaved(self) -> tuple[list[tuple[str, User]], list[tuple[str, int]]]:
        """What waits for SQL, handed over once: ``(project id, user)`` in the order first
        written, and ``(project id, message counter)``."""
        written = self._written()
        users = [(project_id, user) for (project_id, _), user in written.unsaved.items()]
        counters = [(p, written.message_seq[p]) for p in written.unsaved_seqs]
        written.unsaved, written.unsaved_seqs = {}, set()
        return users, counters

    def plan_needed(self, project_id: str, key: str) -> bool:
        """Whether the trace plan ``key`` must be written (INSERT OR IGNORE) for this
        transaction to hold it: once per transaction, not once per event."""
        plans = self._written().plans
        if (project_id, key) in plans:
            return False
        plans.add((project_id, key))
        return True
