"""Against a real server process: concurrency with real threads, kill -9, clean shutdown."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess


def test_concurrent_requests_with_one_idempotency_key_apply_once(tmp_path: Path) -> None:
    with ServerProcess(tmp_path / "q.db") as server, server.client() as http:
        assert http.put("/v1/currencies/coins", json={"name": "Coins"}).status_code == 200
        assert http.put("/v1/users/u1", json={}).status_code == 200
        body = {"currency": "coins", "amount": 10, "reason": "gift"}
        barrier = threading.Barrier(16)

        def send(_: int) -> httpx.Response:
            with server.client() as own:
                barrier.wait()
                return own.post(
                    "/v1/users/u1/transactions", json=body, headers={"Idempotency-Key": "gift-1"}
                )

        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(send, range(16)))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {201, 409}, statuses
        created = [r for r in responses if r.status_code == 201]
        assert created and all(r.json() == created[0].json() for r in created)
        for r in responses:
            if r.status_code == 409:
                assert r.json()["code"] == "idempotency_key_in_use"
        # Whatever the interleaving, the credit happened exactly once.
        ledger = http.get("/v1/users/u1/transactions").json()["data"]
        assert [e["amount"] for e in ledger] == [10]
        again = http.post(
            "/v1/users/u1/transactions", json=body, headers={"Idempotency-Key": "gift-1"}
        )
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == created[0].json()
        reused = http.post(
            "/v1/users/u1/transactions",
            json={**body, "amount": 11},
            headers={"Idempotency-Key": "gift-1"},
        )
        assert reused.status_code == 422
        assert reused.json()["code"] == "idempotency_key_reused"


def test_acknowledged_writes_survive_kill_minus_nine(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    server = ServerProcess(db).start()

    def load(worker: int) -> None:
        with server.client(timeout=5.0) as http:
            for n in range(10_000):
                if stop.is_set():
                    return
                event_id = f"w{worker}-{n}"
                try:
                    response = http.post(
                        "/v1/events",
                        json={"event_id": event_id, "user_id": f"u{worker}", "type": "tick"},
                    )
                except httpx.HTTPError:
                    return  # the server died under us: this write was never acknowledged
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(event_id)
                        if len(acknowledged) >= 150:
                            stop.set()

    threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    stop.wait(60)
    server.kill()  # mid-load: some requests are in flight
    for t in threads:
        t.join(30)
    assert len(acknowledged) >= 150

    with ServerProcess(db) as restarted, restarted.client() as http:
        for event_id in acknowledged:
            # Re-sending an acknowledged event must find it already there (replayed).
            response = http.post(
                "/v1/events",
                json={"event_id": event_id, "user_id": f"u{event_id[1]}", "type": "tick"},
            )
            assert response.status_code == 200
            assert response.json()["replayed"] is True, event_id
        for worker in range(4):
            user = http.get(f"/v1/users/u{worker}").json()
            assert user["id"] == f"u{worker}"


def test_sigterm_stops_the_server_cleanly(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "q.db").start()
    assert server.stop() == 0


@pytest.mark.parametrize("api_key", ["sk_test_custom123"])
def test_api_key_flag_sets_the_default_projects_key(api_key: str) -> None:
    with ServerProcess(None, api_key) as server, server.client() as http:
        assert http.get("/v1/users").status_code == 200
        other = httpx.get(
            server.base_url + "/v1/users", headers={"Authorization": "Bearer sk_test_questline"}
        )
        assert other.status_code == 401


def test_streams_beyond_the_threads_are_429_and_the_api_keeps_answering() -> None:
    """Each open stream holds a waitress thread: with 4 threads, two streams fit and
    two threads stay for the API; a third stream is told to come back, not left hanging."""
    server = ServerProcess(None, "sk_test_questline", "--threads", "4")
    with server, server.client() as http:
        opened = [http.stream("GET", "/v1/stream") for _ in range(2)]
        for stream in opened:
            assert stream.__enter__().status_code == 200
        try:
            refused = http.get("/v1/stream", timeout=5)
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "1"
            assert refused.json()["code"] == "rate_limited"
            assert http.get("/v1/health", timeout=5).status_code == 200
            assert http.put("/v1/users/u1", json={}, timeout=5).status_code == 200
        finally:
            for stream in opened:
                stream.__exit__(None, None, None)
