"""The real server (``questline-mock serve``, waitress, background worker) end to end:
deliveries without touching the clock, the SDK's stream, and a kill -9 with undelivered
messages in SQLite that are delivered after the restart."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from questline import Questline
from questline.testing import LiveServer

from tests.server.webhooks.receiver import Received, Receiver, Reply
from tests.server.webhooks.sig import verify_both


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with LiveServer() as live:
        yield live


def project_client(server: LiveServer) -> httpx.Client:
    project = server.new_project()
    headers = {"Authorization": f"Bearer {project.api_key}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10)


def test_the_worker_delivers_at_once_without_the_clock_moving(
    server: LiveServer, receiver: Receiver
) -> None:
    with project_client(server) as http:
        endpoint = http.post("/v1/webhook_endpoints", json={"url": receiver.url}).json()
        http.post("/v1/events", json={"user_id": "u1", "type": "login"}).raise_for_status()
        got = receiver.wait_for(lambda seen: len(seen) == 2)
    for request in got:
        verify_both(request, endpoint["secret"])


def test_the_sdk_streams_envelopes_live_from_waitress(server: LiveServer) -> None:
    project = server.new_project()
    with Questline(api_key=project.api_key, base_url=server.base_url) as client:
        client.events.send(user_id="u1", type="login")
        first = client.sandbox.webhooks.list().data[-1]  # the oldest: user.created
        seen: list[str] = []
        done = threading.Event()

        def read() -> None:
            with client.stream(last_event_id=first.id) as events:
                for event in events:
                    seen.append(event.type)
                    if len(seen) == 3:
                        break
            done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        client.events.send(user_id="u2", type="login")
        assert done.wait(10), f"saw only {seen}"
    assert seen == ["event.processed", "user.created", "event.processed"]


def test_messages_undelivered_at_a_kill_9_are_delivered_after_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    db = tmp_path / "questline.db"
    receiver.default = Reply(503, {}, b"down")
    first = LiveServer(db=db).start()
    try:
        http = httpx.Client(
            base_url=first.base_url,
            headers={"Authorization": f"Bearer {first.api_key}"},
            timeout=10,
        )
        endpoint = http.post("/v1/webhook_endpoints", json={"url": receiver.url}).json()
        for n in range(3):
            http.post("/v1/events", json={"user_id": f"u{n}", "type": "login"}).raise_for_status()
        queued = {m["id"] for m in http.get("/v1/sandbox/webhooks").json()["data"]}
        assert len(queued) == 6
        receiver.wait_for(lambda seen: {r.webhook_id for r in seen} == queued)  # all refused
    finally:
        assert first.process is not None
        first.process.kill()  # SIGKILL: no shutdown code runs
        first.process.wait()
        first.stop()

    receiver.default = Reply(200, {}, b"ok")
    with LiveServer(db=db) as second:
        http = httpx.Client(
            base_url=second.base_url,
            headers={"Authorization": f"Bearer {second.api_key}"},
            timeout=10,
        )
        # The retries are due 5 s later on the project clock: move it rather than wait.
        http.post("/v1/sandbox/clock/advance", json={"seconds": 10}).raise_for_status()

        def all_delivered(seen: list[Received]) -> bool:
            return {r.webhook_id for r in seen if r.status == 200} == queued

        got = receiver.wait_for(all_delivered)

        # The worker records an attempt once the receiver's answer is back, so the listing
        # catches up a moment after the receiver saw the last delivery.
        def statuses() -> dict[str, str]:
            listed = http.get("/v1/sandbox/webhooks").json()["data"]
            return {m["id"]: m["status"] for m in listed}

        deadline = time.monotonic() + 10
        while statuses() != dict.fromkeys(queued, "delivered") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert statuses() == dict.fromkeys(queued, "delivered")
    for request in (r for r in got if r.status == 200):
        verify_both(request, endpoint["secret"])
        assert json.loads(request.body)["id"] == request.webhook_id


def test_a_receiver_that_hangs_delays_only_its_own_project(server: LiveServer) -> None:
    """Project A's receiver holds its first request until the end of the test (past the
    point where B is checked); B's deliveries still arrive at once."""
    hanging, prompt, release = Receiver(), Receiver(), threading.Event()
    hanging.during = lambda: release.wait(30)
    try:
        with project_client(server) as a, project_client(server) as b:
            a.post("/v1/webhook_endpoints", json={"url": hanging.url}).raise_for_status()
            b.post("/v1/webhook_endpoints", json={"url": prompt.url}).raise_for_status()
            a.post("/v1/events", json={"user_id": "u1", "type": "login"}).raise_for_status()
            b.post("/v1/events", json={"user_id": "u1", "type": "login"}).raise_for_status()
            # Well inside the 10 s A's hung request may take before it times out.
            prompt.wait_for(lambda seen: len(seen) == 2, timeout=5)
            assert not release.is_set()
            b.post("/v1/events", json={"user_id": "u2", "type": "login"}).raise_for_status()
            prompt.wait_for(lambda seen: len(seen) == 4, timeout=5)
    finally:
        release.set()
        hanging.close()
        prompt.close()
