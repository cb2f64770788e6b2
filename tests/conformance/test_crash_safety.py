"""Crash safety of the SQLite-backed server: a Jepsen-style set test under ``kill -9``.

One real ``questline-mock serve --db`` process at a time, on port 0. The project grants
10 XP and 1 coin per ``tick`` event and has one webhook endpoint, subscribed to
``event.processed``, pointing at a loopback receiver (``crash_receiver.py``) that outlives
every server process, so the endpoint URL stays valid across restarts.

Each cycle: several client threads (plain httpx, short timeouts) send ``tick`` events with
fresh ``event_id`` values for a few users, singly and in small batches, and resend ids as a
retrying client would: ids already acknowledged (which must come back ``replayed`` with the
very result first acknowledged) and ids whose request was in flight at an earlier kill. The
receiver refuses the first attempt of about one message in four, so retries are scheduled
in the outbox. Half way through a cycle the project clock is advanced 10 s, which runs the
due retries inside that request, beside the background worker (in the middle cycle the kill
comes without waiting for it, so it usually lands inside that delivery run). Once enough
events are acknowledged, the server gets SIGKILL mid-load (the clients are not stopped
first, so requests are in flight) and is started again on the same file. Three kills.

Then, with the load stopped, on the final restart:

1. every acknowledged ``event_id`` is stored (listed by ``GET /v1/events?user_id=``), for
   the user it was sent for, and nothing was stored that no client sent;
2. nothing was applied twice: each ``event_id`` is stored once, each user's XP is
   ``10 x`` their stored events, their coins are the same count, balance == ledger sum,
   one ledger entry per stored event, and the level is the curve's level for the XP;
   resending every id still in doubt settles it (``replayed`` exactly when it was stored),
   and re-POSTing every id afterwards is ``replayed`` with the original result and changes
   nothing;
3. every stored event has exactly one ``event.processed`` message in
   ``GET /v1/sandbox/webhooks`` and, with delivery driven by advancing the sandbox clock
   (no sleeping), every one of them reaches the receiver with a 200 and is listed
   ``delivered``: signed with the endpoint's secret, the body the listed envelope, its data
   the result the client was acknowledged with; the receiver saw no message id the server
   does not list. (Re-sends after a kill are allowed: delivery is at least once.)
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from questline.webhooks import WebhookVerificationError, verify

from tests.conformance.crash_receiver import CrashReceiver, refused_at_first
from tests.support.server import ServerProcess

pytestmark = pytest.mark.slow

USERS = [f"u{n}" for n in range(4)]
WORKERS = 6
CYCLES = 3
ACKS_PER_CYCLE = 100  # new acknowledgements before the kill
# Past this many fresh ids since the count was last reset, clients only resend: a slow
# clock advance under load must not grow the history (and the run time) without bound.
NEW_PER_CYCLE = 2 * ACKS_PER_CYCLE
XP_PER_TICK = 10
COINS_PER_TICK = 1
CLIENT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)
CYCLE_DEADLINE = 30.0  # bound on waiting for a cycle's acknowledgements


def body_for(event_id: str, user_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "user_id": user_id, "type": "tick"}


def result_of(body: dict[str, Any]) -> dict[str, Any]:
    """A send's result without the ``replayed`` flag: what a replay must reproduce."""
    return {key: value for key, value in body.items() if key != "replayed"}


@dataclass(repr=False)
class History:
    """What the clients did and were told; every field guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: dict[str, str] = field(default_factory=dict)  # event_id -> user_id, ever sent
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> result
    applied: set[str] = field(default_factory=set)  # ids some response said replayed=false
    in_doubt: set[str] = field(default_factory=set)  # in flight at a kill, not acked yet
    ever_in_doubt: set[str] = field(default_factory=set)
    anomalies: list[str] = field(default_factory=list)
    cycle_acks: int = 0
    cycle_new: int = 0  # fresh ids sent since new_cycle
    counts: Counter[str] = field(default_factory=Counter)
    enough: threading.Event = field(default_factory=threading.Event)
    halfway: threading.Event = field(default_factory=threading.Event)

    def acknowledge(self, event_id: str, body: dict[str, Any], known_acked: bool) -> None:
        """Record a 2xx answer for ``event_id``; ``known_acked``: it was acked before sending."""
        with self.lock:
            replayed = body.get("replayed")
            event = body.get("event") or {}
            if event.get("event_id") != event_id or event.get("user_id") != self.sent[event_id]:
                self.flag(f"{event_id}: answered for another event: {event}")
            if known_acked and replayed is not True:
                self.flag(f"{event_id}: acknowledged before, resent, not replayed")
            if replayed is False:
                if event_id in self.applied:
                    self.flag(f"{event_id}: applied twice (replayed=false twice)")
                self.applied.add(event_id)
            elif replayed is not True:
                self.flag(f"{event_id}: replayed is {replayed!r}")
            first = self.acked.get(event_id)
            if first is None:
                self.acked[event_id] = result_of(body)
                self.in_doubt.discard(event_id)
                self.cycle_acks += 1
                if self.cycle_acks >= ACKS_PER_CYCLE // 2:
                    self.halfway.set()
                if self.cycle_acks >= ACKS_PER_CYCLE:
                    self.enough.set()
            elif first != result_of(body):
                self.flag(f"{event_id}: a resend answered another result")

    def flag(self, anomaly: str) -> None:
        """Record what must not happen (``lock`` held) and wake the main thread at once."""
        self.anomalies.append(anomaly)
        self.halfway.set()
        self.enough.set()

    def new_cycle(self, acks: int = 0) -> None:
        """Count this cycle's acknowledgements from ``acks``."""
        with self.lock:
            self.cycle_acks = acks
            self.cycle_new = 0
            self.enough.clear()
            self.halfway.clear()


class Client(threading.Thread):
    """One retrying client: new events, batches and resends, until a request fails in
    transport. It does not stop when told a kill is coming, so requests are in flight at it."""

    def __init__(
        self, base_url: str, api_key: str, history: History, seed: int, killing: threading.Event
    ) -> None:
        super().__init__(name=f"crash-client-{seed}", daemon=True)
        self.base_url = base_url
        self.api_key = api_key
        self.history = history
        self.seed = seed
        self.killing = killing  # set just before the SIGKILL
        self.rng = random.Random(seed)
        self.counter = 0
        self.alive = True  # False once a request failed in transport

    def fresh(self) -> str:
        self.counter += 1
        event_id = f"k{self.seed}-{self.counter}"
        with self.history.lock:
            self.history.sent[event_id] = self.rng.choice(USERS)
            self.history.cycle_new += 1
        return event_id

    def count(self, what: str) -> None:
        with self.history.lock:
            self.history.counts[what] += 1

    def pick(self, pool: str) -> str | None:
        with self.history.lock:
            ids = sorted(self.history.acked if pool == "acked" else self.history.in_doubt)
        return self.rng.choice(ids) if ids else None

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=CLIENT_TIMEOUT) as http:
            try:
                while self.step(http):
                    pass
            except Exception as exc:  # a surprise answer: fail the test, not just this thread
                with self.history.lock:
                    self.history.flag(f"client {self.seed}: {exc!r}")
                raise

    def step(self, http: httpx.Client) -> bool:
        roll = self.rng.random()
        with self.history.lock:
            capped = self.history.cycle_new >= NEW_PER_CYCLE
        if (roll < 0.15 or capped) and (event_id := self.pick("acked")) is not None:
            self.count("resent acknowledged")
            return self.send_one(http, event_id, known_acked=True)
        if roll < 0.30 and (event_id := self.pick("in_doubt")) is not None:
            self.count("resent in doubt")
            return self.send_one(http, event_id, known_acked=False)
        if roll < 0.40:
            ids = [self.fresh() for _ in range(self.rng.randint(2, 5))]
            if (doubt := self.pick("in_doubt")) is not None:
                ids.append(doubt)
            self.count("batches")
            return self.send_batch(http, ids)
        self.count("new single")
        return self.send_one(http, self.fresh(), known_acked=False)

    def post(self, http: httpx.Client, path: str, body: Any, ids: list[str]) -> Any:
        """The answer to a POST, None if it failed (its ids unacknowledged are in doubt)."""
        try:
            response = http.post(path, json=body)
        except httpx.HTTPError as exc:
            with self.history.lock:
                doubt = [i for i in ids if i not in self.history.acked]
                self.history.in_doubt.update(doubt)
                self.history.ever_in_doubt.update(doubt)
                if not self.killing.is_set():
                    self.history.flag(f"{ids}: {exc!r} while the server was up")
            self.alive = False
            return None
        if response.status_code != 200:
            with self.history.lock:
                self.history.in_doubt.update(i for i in ids if i not in self.history.acked)
                self.history.flag(f"{ids}: HTTP {response.status_code} {response.text[:300]}")
            return None
        return response.json()

    def send_one(self, http: httpx.Client, event_id: str, known_acked: bool) -> bool:
        with self.history.lock:
            user_id = self.history.sent[event_id]
        body = self.post(http, "/v1/events", body_for(event_id, user_id), [event_id])
        if body is None:
            return self.alive
        self.history.acknowledge(event_id, body, known_acked)
        return True

    def send_batch(self, http: httpx.Client, ids: list[str]) -> bool:
        with self.history.lock:
            events = [body_for(i, self.history.sent[i]) for i in ids]
        body = self.post(http, "/v1/events/batch", {"events": events}, ids)
        if body is None:
            return self.alive
        for entry in body["results"]:
            event_id = ids[entry["index"]]
            if entry["status"] == "failed":
                with self.history.lock:
                    self.history.in_doubt.add(event_id)
                    self.history.flag(f"{event_id}: batch entry {entry['error']}")
            else:
                result = {**entry["result"], "replayed": entry["status"] == "replayed"}
                if entry["result"].get("replayed") != result["replayed"]:
                    with self.history.lock:
                        self.history.flag(f"{event_id}: batch status vs replayed")
                self.history.acknowledge(event_id, result, known_acked=False)
        return True


def api(server: ServerProcess) -> httpx.Client:
    return server.client(timeout=30.0)


def ok(response: httpx.Response) -> Any:
    assert response.is_success, (response.request.url, response.status_code, response.text)
    return response.json() if response.content else None


def every(http: httpx.Client, path: str, **params: str) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, following ``next_cursor``."""
    cursor: str | None = None
    while True:
        query = {**params, "limit": "100", **({"cursor": cursor} if cursor else {})}
        page = ok(http.get(path, params=query))
        yield from page["data"]
        if not page["has_more"]:
            return
        cursor = page["next_cursor"]


def level_for(xp: int, curve: list[dict[str, Any]]) -> int:
    return int(max(level["level"] for level in curve if level["min_xp"] <= xp))


@dataclass
class UserState:
    user: dict[str, Any]
    events: list[dict[str, Any]]  # as listed, newest first
    ledger: list[dict[str, Any]]


def read_state(http: httpx.Client) -> dict[str, UserState]:
    state = {}
    for user_id in USERS:
        user = http.get(f"/v1/users/{user_id}")
        if user.status_code == 404:
            continue
        state[user_id] = UserState(
            ok(user),
            list(every(http, "/v1/events", user_id=user_id)),
            list(every(http, f"/v1/users/{user_id}/transactions")),
        )
    return state


def check_invariants(state: dict[str, UserState], curve: list[dict[str, Any]]) -> None:
    """Nothing applied twice: per user, XP/coins/ledger all count each stored event once."""
    for user_id, s in state.items():
        event_ids = [e["event_id"] for e in s.events]
        twice = [i for i, n in Counter(event_ids).items() if n > 1]
        assert not twice, f"{user_id}: event_ids stored more than once: {twice[:10]}"
        assert all(e["user_id"] == user_id and e["type"] == "tick" for e in s.events)
        n = len(event_ids)
        assert s.user["xp"] == XP_PER_TICK * n, (user_id, s.user["xp"], n)
        assert s.user["level"] == level_for(s.user["xp"], curve), (user_id, s.user)
        balance = s.user["balances"].get("coins", 0)
        assert balance == COINS_PER_TICK * n, (user_id, balance, n)
        assert balance == sum(entry["amount"] for entry in s.ledger), user_id
        causes = [entry["event_id"] for entry in s.ledger]
        assert sorted(causes) == sorted(e["id"] for e in s.events), (
            f"{user_id}: ledger entries are not one per stored event"
        )


def stored_ids(state: dict[str, UserState]) -> dict[str, str]:
    return {e["event_id"]: user_id for user_id, s in state.items() for e in s.events}


def configure(http: httpx.Client, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The tick rule (XP and coins) and the endpoint; returns the endpoint and level curve."""
    ok(http.put("/v1/currencies/coins", json={"name": "Coins"}))
    rule = {
        "name": "Tick reward",
        "trigger": {"event_type": "tick"},
        "actions": [
            {"type": "grant_xp", "amount": XP_PER_TICK},
            {"type": "grant_currency", "currency": "coins", "amount": COINS_PER_TICK},
        ],
    }
    ok(http.put("/v1/rules/tick-reward", json=rule))
    endpoint = {"url": url, "event_types": ["event.processed"]}
    return ok(http.post("/v1/webhook_endpoints", json=endpoint)), ok(http.get("/v1/levels"))[
        "levels"
    ]


def advance_clock(
    server: ServerProcess, history: History, killing: threading.Event, into: list[Any]
) -> None:
    """Advance the project clock 10 s (a thread of its own: the kill may land in it)."""
    try:
        with api(server) as http:
            response = http.post("/v1/sandbox/clock/advance", json={"seconds": 10})
    except httpx.HTTPError as exc:
        if not killing.is_set():
            with history.lock:
                history.flag(f"clock advance: {exc!r} while the server was up")
        return
    if response.status_code != 200:
        with history.lock:
            history.flag(f"clock advance: HTTP {response.status_code}")
        return
    into.append(response.json())


def test_acknowledged_events_survive_repeated_kill_minus_nine(tmp_path: Path) -> None:
    db = tmp_path / "questline.db"
    receiver = CrashReceiver()
    history = History()
    started = time.monotonic()
    try:
        advanced: list[dict[str, Any]] = []
        for cycle in range(CYCLES):
            server = ServerProcess(db).start()
            killing = threading.Event()
            try:
                with api(server) as http:
                    if cycle == 0:
                        endpoint, curve = configure(http, receiver.url)
                    # The receiver kept its port, so the stored URL is still the right one.
                    registered = ok(http.get(f"/v1/webhook_endpoints/{endpoint['id']}"))
                    assert registered["url"] == receiver.url and registered["enabled"]
                history.new_cycle()
                clients = [
                    Client(server.base_url, server.api_key, history, 100 * cycle + w, killing)
                    for w in range(WORKERS)
                ]
                for client in clients:
                    client.start()
                assert history.halfway.wait(CYCLE_DEADLINE)
                assert not history.anomalies, history.anomalies[:20]
                # Retries of refused deliveries are due 5 s on: run them now, under load,
                # in the request (beside the background worker); the kill may land in it.
                advance = threading.Thread(
                    target=advance_clock, args=(server, history, killing, advanced), daemon=True
                )
                advance.start()
                if cycle != 1:
                    # Let the advance finish; then the second half of the load. In the
                    # middle cycle the kill comes at once, most likely inside the advance.
                    advance.join(CYCLE_DEADLINE)
                    assert not advance.is_alive()
                    assert not history.anomalies, history.anomalies[:20]
                    history.new_cycle(ACKS_PER_CYCLE // 2)
                assert history.enough.wait(CYCLE_DEADLINE)
                assert not history.anomalies, history.anomalies[:20]
            finally:
                killing.set()
                server.kill()  # SIGKILL mid-load: requests and deliveries are in flight
            for thread in [*clients, advance]:
                thread.join(30)
                assert not thread.is_alive()

        assert not history.anomalies, history.anomalies[:20]
        assert len(history.acked) >= CYCLES * ACKS_PER_CYCLE
        assert history.ever_in_doubt, "no request was in flight at any kill: not a crash test"

        with ServerProcess(db) as final, api(final) as http:
            # (1) + (2) as the crashes left it, before any client touches it again.
            before = read_state(http)
            check_invariants(before, curve)
            stored = stored_ids(before)
            lost = sorted(set(history.acked) - set(stored))
            assert not lost, f"acknowledged but lost: {lost[:20]}"
            assert all(stored[i] == history.sent[i] for i in history.acked)
            phantom = sorted(set(stored) - set(history.sent))
            assert not phantom, f"stored but never sent: {phantom[:20]}"

            # A client retries what was in doubt: replayed exactly when it was stored.
            in_doubt = sorted(history.in_doubt)
            for event_id in in_doubt:
                answer = ok(
                    http.post("/v1/events", json=body_for(event_id, history.sent[event_id]))
                )
                assert answer["replayed"] is (event_id in stored), event_id
                history.acknowledge(event_id, answer, known_acked=False)
            assert not history.anomalies, history.anomalies[:20]
            assert set(history.acked) == set(history.sent)

            # Re-POSTing every id: all replayed, each with the result first acknowledged.
            ids = sorted(history.sent)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                report = ok(
                    http.post(
                        "/v1/events/batch",
                        json={"events": [body_for(i, history.sent[i]) for i in chunk]},
                    )
                )
                assert report["replayed"] == len(chunk), report["processed"]
                for entry in report["results"]:
                    event_id = chunk[entry["index"]]
                    assert result_of(entry["result"]) == history.acked[event_id], event_id

            after = read_state(http)
            check_invariants(after, curve)
            assert set(stored_ids(after)) == set(history.sent)
            # Only the in-doubt ids that had not been stored added anything.
            for user_id, s in after.items():
                added = sum(1 for i in in_doubt if i not in stored and history.sent[i] == user_id)
                xp_before = before[user_id].user["xp"] if user_id in before else 0
                assert s.user["xp"] == xp_before + XP_PER_TICK * added, user_id

            # (3) Every event.processed message of a stored event is delivered.
            messages = list(every(http, "/v1/sandbox/webhooks"))
            processed = [m for m in messages if m["type"] == "event.processed"]
            by_event = Counter(m["data"]["event"]["event_id"] for m in processed)
            assert set(by_event) == set(history.sent), "a stored event has no message"
            assert max(by_event.values()) == 1, "an event queued event.processed twice"
            expected = {m["id"] for m in processed}

            def all_delivered(r: CrashReceiver) -> bool:
                return expected <= r.delivered.keys()

            listed: dict[str, str] = {}
            for _ in range(8):
                # Advancing runs every due delivery inside the request; a refused first
                # attempt is due again 5-5.5 s later on the project clock.
                ok(http.post("/v1/sandbox/clock/advance", json={"seconds": 10}))
                if not receiver.wait_until(all_delivered, timeout=2.0):
                    continue
                listed = {
                    m["id"]: m["status"]
                    for m in every(http, "/v1/sandbox/webhooks")
                    if m["type"] == "event.processed"
                }
                if set(listed.values()) == {"delivered"}:
                    break
            attempts, delivered = receiver.snapshot()
            missing = sorted(expected - delivered.keys())
            assert not missing, f"{len(missing)} messages never delivered: {missing[:10]}"
            assert listed == dict.fromkeys(expected, "delivered"), Counter(listed.values())
            assert not set(attempts) - expected, "the receiver got a message nobody listed"
            assert receiver.malformed == 0
            envelope_fields = ("id", "type", "created_at", "project_id", "data")
            for message in processed:
                delivery = delivered[message["id"]]
                try:
                    event = verify(delivery.body, delivery.headers, endpoint["secret"])
                except WebhookVerificationError as exc:
                    raise AssertionError(f"{message['id']}: {exc} ({delivery})") from None
                assert event.id == message["id"] == delivery.headers["webhook-id"]
                sent_body = json.loads(delivery.body)
                assert sent_body == {k: message[k] for k in envelope_fields}, message["id"]
                event_id = sent_body["data"]["event"]["event_id"]
                assert result_of(sent_body["data"]) == {
                    "user_id": history.sent[event_id],
                    **history.acked[event_id],
                }, event_id
    finally:
        receiver.close()

    # What happened, for whoever runs this with -s.
    doubted = history.ever_in_doubt
    unheard = doubted - history.applied  # committed, though the client never heard so
    refused = sum(1 for i in expected if refused_at_first(i))
    duplicates = sum(1 for i in expected if attempts[i] > 1 + refused_at_first(i))
    swept = [a["swept"]["webhooks_attempted"] for a in advanced]
    print(
        f"\ncrash safety: {CYCLES} kills; {len(history.sent)} event_ids, "
        f"{dict(history.counts)}; {len(doubted)} in doubt after a kill, of which "
        f"{len(unheard)} had committed unacknowledged; {len(stored)} stored at the final "
        f"restart; {len(expected)} event.processed messages, {refused} refused once, "
        f"{duplicates} sent again after a kill ({receiver.truncated} cut short in transit); "
        f"clock advances that finished under load attempted {swept} deliveries; "
        f"{time.monotonic() - started:.1f}s"
    )
