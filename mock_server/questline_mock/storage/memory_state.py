"""The in-memory backend's data structures: one project's tables and indexes, and the undo log.

Records are kept packed (``pack``/``pack_plain``/``unpack``: a pickle, or marshal's format
for plain values): a round-trip is a deep copy several times faster than
``copy.deepcopy``, and bytes are the most compact way to keep a record whose fields nobody
indexes. What is indexed lives beside the bytes in plain attributes.

Atomicity comes from the undo log: every mutation of a structure below goes through one of
the ``log_*`` functions, which applies it and records its inverse. Undoing the log in
reverse restores every structure exactly, so a unit of work can write in place (its own
reads see its writes) and still be all-or-nothing. Nothing here relies on dict order,
because undoing a delete re-inserts the key at the end.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import pickle
import sys
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

import zstandard
from sortedcontainers import SortedDict, SortedList  # type: ignore[import-untyped]

from ..domain import LedgerEntry, OutboxMessage, User
from ..ids import expand

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING: Any = object()


def pack(record: object) -> bytes:
    return pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)


def pack_plain(value: Any) -> bytes:
    """A value of plain types (JSON documents, tuples of them, bytes) in ``marshal``'s
    format, about 1.6x faster to write than a pickle; anything else (a MISSING, a dict
    subclass) pickled. Kept in memory only, so marshal's per-version format is no concern."""
    try:
        return marshal.dumps(value, 4)
    except ValueError:
        return pack(value)


def unpack(blob: bytes) -> Any:
    """What :func:`pack` or :func:`pack_plain` wrote: a pickle begins with its PROTO byte,
    0x80, which is never the first byte marshal writes (a type code, possibly | 0x80)."""
    return pickle.loads(blob) if blob[0] == 0x80 else marshal.loads(blob)


def copied(record: Any) -> Any:
    """A deep copy of ``record`` (a pickle round-trip: faster than ``copy.deepcopy``)."""
    return pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))


class Codec:
    """Zstandard at its fastest level, with one dictionary (or none): what a row was packed
    with, kept by the row (shared, never changed) so that it stays readable whatever the
    project's later dictionaries. Not thread-safe: used under the store's lock."""

    __slots__ = ("_compressor", "_decompressor")

    def __init__(self, dictionary: zstandard.ZstdCompressionDict | None = None) -> None:
        self._compressor = zstandard.ZstdCompressor(
            level=1, dict_data=dictionary, write_checksum=False, write_dict_id=False
        )
        self._decompressor = zstandard.ZstdDecompressor(dict_data=dictionary)

    def compress(self, raw: bytes) -> bytes:
        # Copied: zstd allocates its worst case and shrinks it in place, which leaves the
        # small result holding a large block (940 rather than 570 bytes resident here).
        return bytes(memoryview(self._compressor.compress(raw)))

    def decompress(self, blob: bytes) -> bytes:
        return self._decompressor.decompress(blob)


class Compression:
    """A zstd dictionary for one project's event records, trained on them.

    One event compressed alone is mostly new to the compressor (about half its pickle
    remains); with a dictionary trained on recent events of the same project, whose keys,
    rule ids and shapes it repeats, it shrinks to about a tenth, four times faster than
    deflate primed with samples did. Every 16th record is sampled (the last 128 are kept);
    a dictionary is trained after 512 records and again every 8,192, so it follows rule
    changes (training takes 20 to 50 ms). Not part of the data: nothing here is rolled back
    with a unit of work.
    """

    SAMPLE_EVERY: ClassVar[int] = 16
    SAMPLES: ClassVar[int] = 128
    SAMPLE_BYTES: ClassVar[int] = 4096
    FIRST_TRAINING: ClassVar[int] = 512
    TRAINING_EVERY: ClassVar[int] = 8192
    DICTIONARY_BYTES: ClassVar[int] = 4096

    __slots__ = ("codec", "count", "sample_every", "samples")

    def __init__(self, sample_every: int = SAMPLE_EVERY) -> None:
        self.sample_every = sample_every
        self.count = 0
        self.samples: list[bytes] = []
        self.codec = Codec()

    def pack(self, record: object) -> tuple[bytes, Codec]:
        """``(the record packed and compressed, the codec that reads it)``."""
        raw = pack_plain(record)
        codec = self.codec
        blob = codec.compress(raw)
        self.count += 1
        if self.count % self.sample_every == 1:
            # A record's head (its shape and keys) is what a dictionary learns from; big
            # properties beyond it would only make training slower (it runs under the
            # store's lock: ~50 ms at most with 4 KiB samples).
            self.samples = [*self.samples[1 - self.SAMPLES :], raw[: self.SAMPLE_BYTES]]
        if self.count == self.FIRST_TRAINING or self.count % self.TRAINING_EVERY == 0:
            try:
                samples: list[Any] = self.samples  # the stubs want a list of buffers
                trained = zstandard.train_dictionary(self.DICTIONARY_BYTES, samples)
            except zstandard.ZstdError:  # too few distinct samples: keep what we have
                pass
            else:
                self.codec = Codec(trained)
        return blob, codec


def unpack_compressed(blob: bytes, codec: Codec) -> Any:
    return unpack(codec.decompress(blob))


# -- the undo log ---------------------------------------------------------------------------
# An entry is (op, container, key_or_item, previous); ``undo`` applies the inverse of op.
_SET, _ADDED, _REMOVED, _APPENDED, _INSERTED, _ATTR = range(6)
UndoLog = list[tuple[int, Any, Any, Any]]


def log_set(log: UndoLog, mapping: Any, key: Any, value: Any) -> None:
    """``mapping[key] = value`` (dict or SortedDict)."""
    log.append((_SET, mapping, key, mapping.get(key, _MISSING)))
    mapping[key] = value


def log_del(log: UndoLog, mapping: Any, key: Any) -> None:
    """``del mapping[key]`` if present."""
    previous = mapping.pop(key, _MISSING)
    if previous is not _MISSING:
        log.append((_SET, mapping, key, previous))


def log_add(log: UndoLog, collection: Any, item: Any) -> None:
    """Add to a set or a sorted list (a set only if absent)."""
    if isinstance(collection, set) and item in collection:
        return
    collection.add(item)
    log.append((_ADDED, collection, item, None))


def log_remove(log: UndoLog, collection: Any, item: Any) -> None:
    """Remove from a set or a sorted list (the item must be there)."""
    collection.remove(item)
    log.append((_REMOVED, collection, item, None))


def log_append(log: UndoLog, items: list[Any], item: Any) -> None:
    items.append(item)
    log.append((_APPENDED, items, 1, None))


def log_extend(log: UndoLog, items: list[Any], new: tuple[Any, ...]) -> None:
    """Append each of ``new`` (one log entry for them all)."""
    if new:  # an entry for none would undo as ``del items[-0:]``: all of them
        items.extend(new)
        log.append((_APPENDED, items, len(new), None))


def log_insort(log: UndoLog, items: list[Any], item: Any, key: Callable[[Any], Any]) -> None:
    """Insert keeping ``items`` sorted by ``key`` (after equal keys)."""
    items.insert(bisect.bisect_right(items, key(item), key=key), item)
    log.append((_INSERTED, items, item, None))


def log_setattr(log: UndoLog, obj: object, name: str, value: Any) -> None:
    log.append((_ATTR, obj, name, getattr(obj, name)))
    setattr(obj, name, value)


def bucket(log: UndoLog, mapping: dict[K, V], key: K, factory: Callable[[], V]) -> V:
    """``mapping[key]``, created (and logged) when absent."""
    found = mapping.get(key, _MISSING)
    if found is _MISSING:
        found = factory()
        log_set(log, mapping, key, found)
    return found  # type: ignore[no-any-return]


def undo(log: UndoLog, mark: int) -> None:
    """Revert every logged change after position ``mark``, newest first."""
    while len(log) > mark:
        op, container, key, previous = log.pop()
        if op == _SET:
            if previous is _MISSING:
                del container[key]
            else:
                container[key] = previous
        elif op == _ADDED:
            container.remove(key)
        elif op == _REMOVED:
            container.add(key)
        elif op == _APPENDED:
            del container[-key:]
        elif op == _INSERTED:
            # Identity, not equality: rows are slot objects without __eq__.
            for index in range(len(container) - 1, -1, -1):
                if container[index] is key:
                    del container[index]
                    break
        else:
            setattr(container, key, previous)


# -- rows -----------------------------------------------------------------------------------
class EventRow:
    """One stored event: the indexed fields, its properties and the rest as pickles."""

    __slots__ = (
        "blob", "codec", "event_id", "id", "occurred_us", "plan", "props", "seq", "type",
        "user_id",
    )  # fmt: skip

    def __init__(
        self,
        seq: int,
        id: str,
        event_id: str,
        user_id: str,
        type: str,
        occurred_us: int,
        props: bytes,
        blob: bytes | PendingEvent,
        plan: Any = None,
        codec: Codec | None = None,
    ) -> None:
        self.seq = seq
        self.id = id
        self.event_id = event_id
        self.user_id = user_id
        self.type = type
        self.occurred_us = occurred_us
        self.props = props
        self.blob = blob
        self.plan = plan  # the event's Trace.plan, shared (None: the outcomes are JSON)
        self.codec = codec  # what ``blob`` was compressed with, once it is


_SCALARS = frozenset({str, int, float, bool, type(None)})
_SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}  # key tuples, shared between records


def freeze(data: Any) -> tuple[Any, ...] | bytes:
    """A flat JSON object of scalars as ``(keys, *values)`` (its key tuple shared with every
    record of the same shape, a ``source`` interned: "rule:<id>" repeats on every firing):
    immutable, so it needs no copy, and about half the size of its pickle. Anything else
    is pickled. (Only ``source``: interning unique strings such as ids would cost an entry
    in the interpreter's table each and save nothing.)"""
    if type(data) is dict and len(data) < 32:
        values = tuple(data.values())
        if all(type(v) in _SCALARS for v in values):
            keys = tuple(data)
            if all(type(k) is str for k in keys):
                keys = _SHAPES.setdefault(keys, keys) if len(_SHAPES) < 1024 else keys
                source = data.get("source")
                if type(source) is str and len(source) <= 64:
                    values = tuple(sys.intern(source) if v is source else v for v in values)
                return (keys, *values)
    return pack(data)


def thaw(frozen: tuple[Any, ...] | bytes) -> Any:
    """A fresh copy of what :func:`freeze` was given."""
    if isinstance(frozen, bytes):
        return unpack(frozen)
    keys: tuple[str, ...] = frozen[0]
    return dict(zip(keys, frozen[1:], strict=True))


class MessageRun:
    """Consecutive outbox messages of one user queued at one moment (typically what one
    event's step queued): seqs ``seq``, ``seq + 1``, …, kept in one object with a flat
    list ``[id, type, data, id, type, data, …]`` instead of one row each, which halves what
    a message costs (ids kept compact: ``ids.compact``). ``data`` is the message's data
    frozen (:func:`freeze`); or, for a message that belongs to ``event`` (the event row
    inserted just before it): None when it repeats that event's stored result
    (``event.processed``), else the index of its data inside that event's record.
    """

    __slots__ = ("created_at", "event", "items", "seq", "user_id")

    def __init__(
        self, seq: int, user_id: str | None, created_at: Any, event: EventRow | None
    ) -> None:
        self.seq = seq
        self.user_id = user_id
        self.created_at = created_at
        self.event = event
        self.items: list[Any] = []

    def __len__(self) -> int:
        return len(self.items) // 3

    def index_of(self, key: int | str) -> int:
        """The position of the message whose id is ``compact(id, "msg")``."""
        items = self.items
        for i in range(0, len(items), 3):
            if items[i] == key:  # an int key never equals a str one
                return i // 3
        raise KeyError(key)

    def type_of(self, i: int) -> str:
        return self.items[3 * i + 1]  # type: ignore[no-any-return]

    def message(self, i: int) -> OutboxMessage:
        key, message_type, data = self.items[3 * i : 3 * i + 3]
        return OutboxMessage(
            expand(key, "msg"),
            message_type,
            self.created_at,
            self._data(data),
            self.user_id,
            self.seq + i,
        )

    def _data(self, data: Any) -> Any:
        if self.event is None or type(data) not in (int, type(None)):
            return thaw(data)
        if data is None:
            return {"user_id": self.user_id, **event_result(self.event)}
        return event_message_data(self.event, data)


class PendingEvent:
    """An event row's cold data until its unit of work ends: ``(received_at_us, status,
    result, rules, actions, trace outcomes)`` packed, and the packed data of the
    outbox messages its step queued. :func:`seal` compresses both into one blob, so the
    messages cost a few bytes each inside the event's compressed record."""

    __slots__ = ("messages", "raw")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.messages: list[Any] = []


def seal(row: EventRow, compression: Compression) -> None:
    """Compress a pending row (at the end of its outermost unit of work)."""
    pending = row.blob
    if isinstance(pending, PendingEvent):
        row.blob, row.codec = compression.pack((pending.raw, tuple(pending.messages)))


def _cold(row: EventRow) -> tuple[bytes, Any]:
    """``(rest pickle, message data)`` of a row, pending or sealed."""
    if isinstance(row.blob, PendingEvent):
        return row.blob.raw, row.blob.messages
    assert row.codec is not None
    return unpack_compressed(row.blob, row.codec)  # type: ignore[no-any-return]


def event_rest(row: EventRow) -> tuple[Any, ...]:
    """``(received_at_us, status, result, rules, actions, trace outcomes)`` of an event
    row (a fresh copy)."""
    return unpack(_cold(row)[0])  # type: ignore[no-any-return]


def event_result(row: EventRow) -> Any:
    return event_rest(row)[2]


def event_message_data(row: EventRow, index: int) -> Any:
    """A fresh copy of the data of the ``index``-th message kept in the event's record."""
    return thaw(_cold(row)[1][index])


class OrderedRow(NamedTuple):
    """A record that lists in creation order (endpoints)."""

    seq: int
    blob: bytes


class UserRow(NamedTuple):
    """A user as plain immutable fields: read and written on every event, so without a
    pickle round trip. The counters (str -> int) and the rule usage (str -> RuleUsage, an
    immutable tuple) are flat ``(key, value, …)`` tuples, far smaller than dicts; only
    ``traits``, free-form JSON, is packed, and only when not empty."""

    seq: int
    id: str
    created_at: datetime
    updated_at: datetime
    display_name: str | None
    email: str | None
    timezone: str
    traits: bytes | None
    xp: int
    level: int
    balances: tuple[Any, ...]
    last_event_at: datetime | None
    event_counts: tuple[Any, ...]
    rule_usage: tuple[Any, ...]  # (rule id, RuleUsage, …)


def _pack_object(document: Any) -> bytes | None:
    """A free-form JSON object of a row (traits, metadata): None when empty, the usual
    case, else packed."""
    return None if type(document) is dict and not document else pack_plain(document)


def _unpack_object(packed: bytes | None) -> Any:
    return {} if packed is None else unpack(packed)


def _flat(mapping: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(itertools.chain.from_iterable(mapping.items()))


def _unflat(flat: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def user_row(seq: int, u: User) -> UserRow:
    traits = _pack_object(u.traits)
    return UserRow(
        seq,
        u.id,
        u.created_at,
        u.updated_at,
        u.display_name,
        u.email,
        u.timezone,
        traits,
        u.xp,
        u.level,
        _flat(u.balances),
        u.last_event_at,
        _flat(u.event_counts),
        _flat(u.rule_usage),
    )


def user_record(r: UserRow) -> User:
    return User(
        r.id,
        r.created_at,
        r.updated_at,
        r.display_name,
        r.email,
        r.timezone,
        _unpack_object(r.traits),
        r.xp,
        r.level,
        _unflat(r.balances),
        r.last_event_at,
        _unflat(r.event_counts),
        _unflat(r.rule_usage),
    )


class LedgerRow(NamedTuple):
    """A ledger entry as plain immutable fields (its user is the list it is in): smaller
    and cheaper than a pickle. Only ``metadata``, free-form JSON, is packed, and only
    when it is not empty."""

    seq: int
    id: str
    currency: str
    amount: int
    balance: int
    reason: str | None
    metadata: bytes | None
    source: str
    event_id: str | None
    created_at: datetime


def ledger_row(seq: int, e: LedgerEntry) -> LedgerRow:
    source = sys.intern(e.source) if type(e.source) is str else e.source  # "rule:<id>", …
    metadata = _pack_object(e.metadata)
    return LedgerRow(
        seq,
        e.id,
        e.currency,
        e.amount,
        e.balance,
        e.reason,
        metadata,
        source,
        e.event_id,
        e.created_at,
    )


def ledger_entry(user_id: str, r: LedgerRow) -> LedgerEntry:
    metadata = _unpack_object(r.metadata)
    return LedgerEntry(
        r.id,
        user_id,
        r.currency,
        r.amount,
        r.balance,
        r.reason,
        metadata,
        r.source,
        r.event_id,
        r.created_at,
    )


class DefinitionRow(NamedTuple):
    """A definition is kept unpickled: readers share it (the Reader contract makes them
    read-only), and a PUT replaces the whole row, so nobody sees it change."""

    seq: int
    trigger: str | None  # rules only: trigger.event_type, the index key
    document: Any


class ExpiringRow(NamedTuple):
    """A record in a time index (streaks by expires_at, deliveries by next_attempt_at)."""

    blob: bytes
    due: tuple[int, str, str] | None  # its key in the index, None when not indexed
    seq: int = 0


def by_seq(row: Any) -> int:
    return row.seq  # type: ignore[no-any-return]


def by_occurred(row: EventRow) -> int:
    return row.occurred_us


class Board:
    """One leaderboard period: an order-statistics list of ``(-score, reached_us, user)``.

    Negating the score makes ascending order the ranking order; the rank of a score is
    1 + the number of keys whose first element is smaller, one bisection.
    """

    __slots__ = ("by_user", "order")

    def __init__(self) -> None:
        self.order: Any = SortedList()
        self.by_user: dict[str, tuple[float, int, str]] = {}

    def rank_of_key(self, key: tuple[float, int, str]) -> int:
        return int(self.order.bisect_left((key[0],))) + 1


RULE_VERSIONS = itertools.count(1)


class ProjectState:
    """Every table and index of one project."""

    def __init__(self) -> None:
        # Sequence numbers give creation order and cursors; never reused, never rolled back.
        self.seq = 0
        self.message_seq = 0  # observable (OutboxMessage.seq): rolled back with its unit
        self.compression = Compression()  # for event rows; not data, never rolled back
        self.users: dict[str, UserRow] = {}
        self.user_order: Any = SortedDict()  # seq -> user id
        self.defs: dict[tuple[str, str], DefinitionRow] = {}
        self.def_order: dict[str, Any] = {}  # kind -> SortedDict(seq -> id)
        self.rules_by_trigger: dict[str, Any] = {}  # event type -> SortedDict(seq -> id)
        # The documents of each trigger's rules as one shared tuple, read on every event and
        # rebuilt after a rule changes. ``rules_version`` is changed (and logged) by every
        # rule write and comes from a process-wide counter, so a rolled-back write restores
        # the version the cached tuples were built for, and no two states share one.
        self.rules_version = 0
        self.rule_sets: tuple[int, dict[str, tuple[Any, ...]]] = (0, {})
        self.levels: Any = None  # the levels document, shared like a definition
        self.events: dict[str, EventRow] = {}
        self.events_by_event_id: dict[str, EventRow] = {}
        # Plain lists appended in seq order (seqs only grow); delete_user rebuilds them.
        self.ev_all: list[EventRow] = []
        self.ev_by_type: dict[str, list[EventRow]] = {}
        # Only ever dropped whole (delete_user), so plain lists appended in seq order.
        self.ev_by_user: dict[str, list[EventRow]] = {}
        self.ev_by_user_type: dict[tuple[str, str], list[EventRow]] = {}
        self.ev_time: dict[tuple[str, str], list[EventRow]] = {}  # sorted by occurred_us
        self.ledger: dict[str, list[LedgerRow]] = {}
        self.ledger_sums: dict[str, dict[str, int]] = {}
        self.badges: dict[str, dict[str, bytes]] = {}
        self.quests: dict[str, dict[str, bytes]] = {}
        self.streaks: dict[str, dict[str, ExpiringRow]] = {}
        self.streak_expiry: Any = SortedList()  # (expires_us, user, streak) of active ones
        self.boards: dict[tuple[str, str], Board] = {}
        self.board_periods: dict[str, set[str]] = {}  # leaderboard -> its period keys
        self.user_boards: dict[str, set[tuple[str, str]]] = {}
        self.idempotency: dict[str, tuple[int, bytes]] = {}
        self.idempotency_age: Any = SortedList()  # (created_us, key)
        self.endpoints: dict[str, OrderedRow] = {}
        self.endpoint_order: Any = SortedDict()
        self.messages: dict[int | str, MessageRun] = {}  # message id -> the run holding it
        self.msg_all: list[MessageRun] = []  # by seq
        self.msg_by_user: dict[str, list[MessageRun]] = {}
        self.deliveries: dict[tuple[str, str], ExpiringRow] = {}
        self.dlv_by_endpoint: dict[str, dict[tuple[str, str], None]] = {}
        self.dlv_by_message: dict[str, dict[tuple[str, str], None]] = {}
        self.dlv_due: Any = SortedList()  # (next_attempt_us, message, endpoint) of pending

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def emptied(self, keep_config: bool) -> ProjectState:
        """A fresh state for reset_project; config (and the counters) carried over."""
        fresh = ProjectState()
        fresh.seq, fresh.message_seq = self.seq, self.message_seq
        if keep_config:
            fresh.defs, fresh.def_order = self.defs, self.def_order
            fresh.rules_by_trigger, fresh.levels = self.rules_by_trigger, self.levels
            fresh.endpoints, fresh.endpoint_order = self.endpoints, self.endpoint_order
        return fresh
