"""The SQLite backend's schema, its migrations, and the row <-> record codecs.

The schema is versioned: ``MIGRATIONS`` is an ordered list, each applied once in its own
``BEGIN IMMEDIATE`` transaction and recorded in ``schema_migrations``, so opening a file
made by an older server brings it up to date and opening it again changes nothing. Never
edit a migration that has shipped; append a new one.

Every table carries ``project_id`` first in its keys and indexes: one file holds many
projects and no query crosses them. Times are INTEGER microseconds since the epoch (UTC),
so comparisons are exact and index order is time order. Nested values are JSON text
(written with ``allow_nan=False``: SQLite's JSON functions reject NaN). Row order that the
interface promises (creation order, cursors) comes from an AUTOINCREMENT ``seq``, which is
never reused, so a cursor never points at a different row later.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..domain import (
    MISSING,
    BadgeState,
    Delivery,
    EventRecord,
    IdempotencyRecord,
    LedgerEntry,
    OutboxMessage,
    Project,
    QuestState,
    RuleUsage,
    StoredPlan,
    StreakState,
    Trace,
    User,
    WebhookEndpoint,
)
from ..jsonutil import decode, encode
from ..memo import IdentityMemo
from ._common import from_us, opt_from_us, opt_to_us, to_us
from .base import StorageError


class Migration(NamedTuple):
    version: int
    name: str
    statements: Sequence[str]


_P = "project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE"

MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "initial schema",
        [
            """CREATE TABLE projects (
                id TEXT PRIMARY KEY,
                api_key TEXT NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                clock_offset_seconds REAL NOT NULL,
                clock_frozen_at INTEGER,
                message_seq INTEGER NOT NULL DEFAULT 0)""",
            f"""CREATE TABLE users (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, id TEXT NOT NULL,
                created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                display_name TEXT, email TEXT, timezone TEXT NOT NULL, traits TEXT NOT NULL,
                xp INTEGER NOT NULL, level INTEGER NOT NULL, balances TEXT NOT NULL,
                last_event_at INTEGER, event_counts TEXT NOT NULL,
                UNIQUE (project_id, id))""",
            "CREATE INDEX users_order ON users (project_id, seq)",
            f"""CREATE TABLE definitions (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, kind TEXT NOT NULL,
                id TEXT NOT NULL, doc TEXT NOT NULL, trigger_type TEXT,
                UNIQUE (project_id, kind, id))""",
            "CREATE INDEX definitions_order ON definitions (project_id, kind, seq)",
            """CREATE INDEX rules_by_trigger ON definitions (project_id, trigger_type, seq)
                WHERE trigger_type IS NOT NULL""",
            f"CREATE TABLE levels ({_P} PRIMARY KEY, doc TEXT NOT NULL)",
            f"""CREATE TABLE events (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, id TEXT NOT NULL,
                event_id TEXT NOT NULL, user_id TEXT NOT NULL, type TEXT NOT NULL,
                occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
                status TEXT NOT NULL, properties TEXT NOT NULL, result TEXT NOT NULL,
                rules_triggered TEXT NOT NULL, actions_executed TEXT NOT NULL,
                trace TEXT NOT NULL,
                UNIQUE (project_id, event_id), UNIQUE (project_id, id))""",
            "CREATE INDEX events_window ON events (project_id, user_id, type, occurred_at)",
            "CREATE INDEX events_order ON events (project_id, seq)",
            "CREATE INDEX events_by_user ON events (project_id, user_id, seq)",
            "CREATE INDEX events_by_type ON events (project_id, type, seq)",
            f"""CREATE TABLE ledger (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, id TEXT NOT NULL,
                user_id TEXT NOT NULL, currency TEXT NOT NULL, amount INTEGER NOT NULL,
                balance INTEGER NOT NULL, reason TEXT, metadata TEXT NOT NULL,
                source TEXT NOT NULL, event_id TEXT, created_at INTEGER NOT NULL)""",
            "CREATE INDEX ledger_by_user ON ledger (project_id, user_id, seq)",
            "CREATE INDEX ledger_sums ON ledger (project_id, user_id, currency, amount)",
            f"""CREATE TABLE badge_states (
                {_P}, user_id TEXT NOT NULL, badge_id TEXT NOT NULL,
                progress INTEGER NOT NULL, tiers_earned TEXT NOT NULL,
                times_awarded INTEGER NOT NULL, first_awarded_at INTEGER,
                last_awarded_at INTEGER,
                PRIMARY KEY (project_id, user_id, badge_id)) WITHOUT ROWID""",
            f"""CREATE TABLE quest_states (
                {_P}, user_id TEXT NOT NULL, quest_id TEXT NOT NULL, steps TEXT NOT NULL,
                completed_at INTEGER,
                PRIMARY KEY (project_id, user_id, quest_id)) WITHOUT ROWID""",
            f"""CREATE TABLE streak_states (
                {_P}, user_id TEXT NOT NULL, streak_id TEXT NOT NULL, status TEXT NOT NULL,
                count INTEGER NOT NULL, longest INTEGER NOT NULL,
                freezes_left INTEGER NOT NULL, last_period TEXT, expires_at INTEGER,
                started_at INTEGER,
                PRIMARY KEY (project_id, user_id, streak_id)) WITHOUT ROWID""",
            """CREATE INDEX streaks_expiry
                ON streak_states (project_id, status, expires_at, user_id, streak_id)""",
            f"""CREATE TABLE rule_usage (
                {_P}, user_id TEXT NOT NULL, rule_id TEXT NOT NULL, count INTEGER NOT NULL,
                last_fired_at INTEGER NOT NULL,
                PRIMARY KEY (project_id, user_id, rule_id)) WITHOUT ROWID""",
            f"""CREATE TABLE leaderboard_entries (
                {_P}, leaderboard_id TEXT NOT NULL, period_key TEXT NOT NULL,
                user_id TEXT NOT NULL, score REAL NOT NULL, reached_at INTEGER NOT NULL,
                PRIMARY KEY (project_id, leaderboard_id, period_key, user_id)) WITHOUT ROWID""",
            """CREATE INDEX leaderboard_order ON leaderboard_entries
                (project_id, leaderboard_id, period_key, score DESC, reached_at, user_id)""",
            "CREATE INDEX leaderboard_by_user ON leaderboard_entries (project_id, user_id)",
            f"""CREATE TABLE idempotency (
                {_P}, key TEXT NOT NULL, request_hash TEXT NOT NULL,
                created_at INTEGER NOT NULL, status_code INTEGER, headers TEXT NOT NULL,
                body BLOB NOT NULL,
                PRIMARY KEY (project_id, key)) WITHOUT ROWID""",
            "CREATE INDEX idempotency_age ON idempotency (project_id, created_at)",
            f"""CREATE TABLE webhook_endpoints (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, id TEXT NOT NULL,
                url TEXT NOT NULL, event_types TEXT NOT NULL, enabled INTEGER NOT NULL,
                description TEXT, secrets TEXT NOT NULL, created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL, disabled_reason TEXT,
                UNIQUE (project_id, id))""",
            "CREATE INDEX webhook_endpoints_order ON webhook_endpoints (project_id, seq)",
            f"""CREATE TABLE messages (
                {_P}, seq INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
                created_at INTEGER NOT NULL, data TEXT NOT NULL, user_id TEXT,
                PRIMARY KEY (project_id, seq), UNIQUE (project_id, id)) WITHOUT ROWID""",
            "CREATE INDEX messages_by_user ON messages (project_id, user_id, seq)",
            f"""CREATE TABLE deliveries (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, {_P}, message_id TEXT NOT NULL,
                endpoint_id TEXT NOT NULL, status TEXT NOT NULL, next_attempt_at INTEGER,
                attempts TEXT NOT NULL,
                UNIQUE (project_id, message_id, endpoint_id))""",
            """CREATE INDEX deliveries_due ON deliveries
                (project_id, status, next_attempt_at, message_id, endpoint_id)""",
            "CREATE INDEX deliveries_by_endpoint ON deliveries (project_id, endpoint_id, seq)",
        ],
    ),
    Migration(
        2,
        "quest start times",
        ["ALTER TABLE quest_states ADD COLUMN started_at INTEGER"],
    ),
    Migration(
        3,
        "configuration version (sqlite_config.py)",
        ["ALTER TABLE projects ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0"],
    ),
    Migration(
        4,
        "rule usage kept in the user's row",
        [
            "ALTER TABLE users ADD COLUMN rule_usage TEXT NOT NULL DEFAULT '{}'",
            """UPDATE users SET rule_usage = (
                SELECT json_group_object(rule_id, json_array(count, last_fired_at))
                FROM rule_usage u WHERE u.project_id = users.project_id AND u.user_id = users.id)
            WHERE EXISTS (SELECT 1 FROM rule_usage u
                WHERE u.project_id = users.project_id AND u.user_id = users.id)""",
            "DROP TABLE rule_usage",
        ],
    ),
    Migration(
        5,
        "explain-trace plans stored once (trace_text)",
        [
            f"""CREATE TABLE trace_plans (
                {_P}, key TEXT NOT NULL, doc TEXT NOT NULL,
                PRIMARY KEY (project_id, key)) WITHOUT ROWID""",
            "ALTER TABLE events ADD COLUMN trace_plan TEXT",
        ],
    ),
]

# Tables emptied by reset_project; CONFIG_TABLES only without keep_config.
DATA_TABLES = (
    "users",
    "events",
    "trace_plans",
    "ledger",
    "badge_states",
    "quest_states",
    "streak_states",
    "leaderboard_entries",
    "idempotency",
    "deliveries",
    "messages",
)
CONFIG_TABLES = ("definitions", "levels", "webhook_endpoints")
# Tables whose rows are about one user (a user_id column), for delete_user; messages (and
# their deliveries) are handled apart.
USER_TABLES = (
    "events",
    "ledger",
    "badge_states",
    "quest_states",
    "streak_states",
    "leaderboard_entries",
)


SYNCHRONOUS = ("normal", "full")


def connect(path: str, busy_timeout_ms: int, synchronous: str) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN/COMMIT) with durable settings.

    In WAL mode, ``synchronous=NORMAL`` writes every commit to the WAL before COMMIT
    returns (so it survives the process being killed) and fsyncs at checkpoints: only an
    OS crash or power loss can lose the last commits, and never corrupts the file.
    ``FULL`` also fsyncs the WAL at every commit (survives power loss; costs an fsync per
    write). ``foreign_keys`` is per connection.
    """
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=256
    )
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
    return conn


def prepare(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (persistent) and apply the migrations it lacks."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StorageError(f"could not enable WAL journaling (got {mode!r})")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"""
    )
    known = max(m.version for m in MIGRATIONS)
    for migration in MIGRATIONS:
        conn.execute("BEGIN IMMEDIATE")
        try:
            applied = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
            if max(applied, default=0) > known:
                raise StorageError(
                    f"the database has schema version {max(applied)}; this server knows {known}"
                )
            if migration.version not in applied:
                for statement in migration.statements:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, "
                    "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                    (migration.version, migration.name),
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


# -- codecs -----------------------------------------------------------------------------------
def dumps(value: Any) -> str:
    return encode(value).decode()


loads = decode


def project_row(p: Project) -> tuple[Any, ...]:
    return (
        p.id,
        p.api_key,
        to_us(p.created_at),
        p.clock_offset_seconds,
        opt_to_us(p.clock_frozen_at),
    )


PROJECT_COLUMNS = "id, api_key, created_at, clock_offset_seconds, clock_frozen_at"


def project_from(r: Sequence[Any]) -> Project:
    return Project(r[0], r[1], from_us(r[2]), r[3], opt_from_us(r[4]))


USER_COLUMNS = (
    "id, created_at, updated_at, display_name, email, timezone, traits, xp, level, "
    "balances, last_event_at, event_counts, rule_usage"
)


def user_row(u: User) -> tuple[Any, ...]:
    return (
        u.id,
        to_us(u.created_at),
        to_us(u.updated_at),
        u.display_name,
        u.email,
        u.timezone,
        dumps(u.traits),
        u.xp,
        u.level,
        dumps(u.balances),
        opt_to_us(u.last_event_at),
        dumps(u.event_counts),
        dumps({rule: (n, to_us(at)) for rule, (n, at) in u.rule_usage.items()}),
    )


def user_from(r: Sequence[Any]) -> User:
    return User(
        r[0], from_us(r[1]), from_us(r[2]), r[3], r[4], r[5], loads(r[6]), r[7], r[8],
        loads(r[9]), opt_from_us(r[10]), loads(r[11]),
        {rule: RuleUsage(n, from_us(at)) for rule, (n, at) in loads(r[12]).items()},
    )  # fmt: skip


EVENT_COLUMNS = (
    "id, event_id, user_id, type, occurred_at, received_at, status, properties, result, "
    "rules_triggered, actions_executed, trace, trace_plan"
)
# What event_from reads: the columns, the plan's document in place of its key.
EVENT_SELECT = EVENT_COLUMNS.replace(
    "trace_plan",
    "(SELECT doc FROM trace_plans p "
    "WHERE p.project_id = events.project_id AND p.key = events.trace_plan)",
)


def event_row(e: EventRecord, plan_key: str | None) -> tuple[Any, ...]:
    """The event's row; its trace's plan is stored apart, under ``plan_key``
    (:func:`trace_plan`)."""
    return (
        e.id, e.event_id, e.user_id, e.type, to_us(e.occurred_at), to_us(e.received_at),
        e.status, dumps(e.properties), dumps(e.result), dumps(e.rules_triggered),
        dumps(e.actions_executed), trace_text(e.trace), plan_key,
    )  # fmt: skip


def event_from(r: Sequence[Any]) -> EventRecord:
    return EventRecord(
        r[0], r[1], r[2], r[3], loads(r[7]), from_us(r[4]), from_us(r[5]), r[6], loads(r[8]),
        loads(r[9]), loads(r[10]), trace_from(r[11], r[12]),
    )  # fmt: skip


# An event's explain trace is stored compact, as the engine keeps it (``domain.Trace``).
# The plan, ``[[rule id, condition source or null], ...]``, is shared by every event the
# same rules judged, so it is stored once per project in ``trace_plans``, under a digest
# of its JSON, and the event names it (``events.trace_plan``). The event's own part is
# ``{"outcomes": [[skipped reason, values seen or null], ...], "missing": [[outcome,
# value], ...]}``, the last naming the values that were MISSING (JSON has no such
# value). It is expanded when read. Older rows still read: with the plan inline
# (``"plan"`` in the trace, migration 4's form) or expanded (a list, before it).
def _keyed(text: bytes) -> tuple[str, str]:
    """A plan's JSON with its key: a digest of it, so a plan is stored once however many
    events, transactions or processes write it."""
    return hashlib.blake2b(text, digest_size=16).hexdigest(), text.decode()


def _plan_of(plan: Any) -> tuple[str, str]:
    return _keyed(encode([(rule_id, None if c is None else c.source) for rule_id, c in plan]))


_shared_plan = IdentityMemo(_plan_of, limit=1024)


def trace_plan(trace: Trace) -> tuple[str, str] | None:
    """``(key, JSON)`` of the trace's plan, None for a trace without one."""
    plan = trace.plan
    if plan is None:
        return None
    if isinstance(plan, StoredPlan):  # read back from here: the sources as they were
        return _keyed(encode(plan.entries))
    return _shared_plan(plan)


def trace_text(trace: Trace) -> str:
    if trace.plan is None:
        return dumps(trace.to_json())
    outcomes: Any = trace.outcomes
    try:
        values, missing = encode(outcomes), b"[]"
    except TypeError:  # MISSING among the values: stored as null, its place noted
        spots = [
            (i, j)
            for i, (_, seen) in enumerate(outcomes)
            for j, value in enumerate(seen or ())
            if value is MISSING
        ]
        cleaned = [
            (reason, None if seen is None else [None if v is MISSING else v for v in seen])
            for reason, seen in outcomes
        ]
        values, missing = encode(cleaned), encode(spots)
    return b"".join((b'{"outcomes":', values, b',"missing":', missing, b"}")).decode()


def trace_from(text: str, plan: str | None) -> Trace:
    doc = loads(text)
    if isinstance(doc, list):
        return Trace.of(doc)
    outcomes = doc["outcomes"]
    for i, j in doc["missing"]:
        outcomes[i][1][j] = MISSING
    if plan is not None:
        entries = loads(plan)
    elif "plan" in doc:
        entries = doc["plan"]
    else:  # trace_plans rows go only with their events (reset, project deletion)
        raise StorageError("an event's explain-trace plan is missing from trace_plans")
    return Trace(
        StoredPlan(entries),
        tuple((reason, None if seen is None else tuple(seen)) for reason, seen in outcomes),
    )


LEDGER_COLUMNS = (
    "id, user_id, currency, amount, balance, reason, metadata, source, event_id, created_at"
)


def ledger_row(e: LedgerEntry) -> tuple[Any, ...]:
    return (
        e.id, e.user_id, e.currency, e.amount, e.balance, e.reason, dumps(e.metadata),
        e.source, e.event_id, to_us(e.created_at),
    )  # fmt: skip


def ledger_from(r: Sequence[Any]) -> LedgerEntry:
    return LedgerEntry(r[0], r[1], r[2], r[3], r[4], r[5], loads(r[6]), r[7], r[8], from_us(r[9]))


BADGE_COLUMNS = (
    "user_id, badge_id, progress, tiers_earned, times_awarded, first_awarded_at, last_awarded_at"
)


def badge_row(b: BadgeState) -> tuple[Any, ...]:
    return (
        b.user_id, b.badge_id, b.progress, dumps(b.tiers_earned), b.times_awarded,
        opt_to_us(b.first_awarded_at), opt_to_us(b.last_awarded_at),
    )  # fmt: skip


def badge_from(r: Sequence[Any]) -> BadgeState:
    return BadgeState(r[0], r[1], r[2], loads(r[3]), r[4], opt_from_us(r[5]), opt_from_us(r[6]))


QUEST_COLUMNS = "user_id, quest_id, steps, completed_at, started_at"


def quest_row(q: QuestState) -> tuple[Any, ...]:
    return (
        q.user_id,
        q.quest_id,
        dumps(q.steps),
        opt_to_us(q.completed_at),
        opt_to_us(q.started_at),
    )


def quest_from(r: Sequence[Any]) -> QuestState:
    return QuestState(r[0], r[1], loads(r[2]), opt_from_us(r[3]), opt_from_us(r[4]))


STREAK_COLUMNS = (
    "user_id, streak_id, status, count, longest, freezes_left, last_period, expires_at, started_at"
)


def streak_row(s: StreakState) -> tuple[Any, ...]:
    return (
        s.user_id, s.streak_id, s.status, s.count, s.longest, s.freezes_left, s.last_period,
        opt_to_us(s.expires_at), opt_to_us(s.started_at),
    )  # fmt: skip


def streak_from(r: Sequence[Any]) -> StreakState:
    return StreakState(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], opt_from_us(r[7]), opt_from_us(r[8])
    )


IDEMPOTENCY_COLUMNS = "key, request_hash, created_at, status_code, headers, body"


def idempotency_row(i: IdempotencyRecord) -> tuple[Any, ...]:
    return (
        i.key, i.request_hash, to_us(i.created_at), i.status_code, dumps(i.headers),
        bytes(i.body),
    )  # fmt: skip


def idempotency_from(r: Sequence[Any]) -> IdempotencyRecord:
    return IdempotencyRecord(r[0], r[1], from_us(r[2]), r[3], loads(r[4]), bytes(r[5]))


ENDPOINT_COLUMNS = (
    "id, url, event_types, enabled, description, secrets, created_at, updated_at, disabled_reason"
)


def endpoint_row(e: WebhookEndpoint) -> tuple[Any, ...]:
    secrets = [[secret, opt_to_us(expires)] for secret, expires in e.secrets]
    return (
        e.id, e.url, dumps(e.event_types), int(e.enabled), e.description, dumps(secrets),
        to_us(e.created_at), to_us(e.updated_at), e.disabled_reason,
    )  # fmt: skip


def endpoint_from(r: Sequence[Any]) -> WebhookEndpoint:
    secrets = [(secret, opt_from_us(expires)) for secret, expires in loads(r[5])]
    return WebhookEndpoint(
        r[0], r[1], loads(r[2]), bool(r[3]), r[4], secrets, from_us(r[6]), from_us(r[7]), r[8]
    )


MESSAGE_COLUMNS = "id, type, created_at, data, user_id, seq"


def message_row(m: OutboxMessage) -> tuple[Any, ...]:
    """The columns before ``seq``, which the insert assigns."""
    return (m.id, m.type, to_us(m.created_at), dumps(m.data), m.user_id)


def message_from(r: Sequence[Any]) -> OutboxMessage:
    return OutboxMessage(r[0], r[1], from_us(r[2]), loads(r[3]), r[4], r[5])


DELIVERY_COLUMNS = "message_id, endpoint_id, status, next_attempt_at, attempts"


def delivery_row(d: Delivery) -> tuple[Any, ...]:
    return (
        d.message_id, d.endpoint_id, d.status, opt_to_us(d.next_attempt_at), dumps(d.attempts)
    )  # fmt: skip


def delivery_from(r: Sequence[Any]) -> Delivery:
    return Delivery(r[0], r[1], r[2], opt_from_us(r[3]), loads(r[4]))
