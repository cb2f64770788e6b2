"""``GET /v1/stream`` through Flask's test client: live envelopes, resume, filters, keep-alive.

The fixture's heartbeat is 0.05 s, so reading a quiet stream returns a comment quickly
instead of blocking: every wait here is bounded by a frame, never by a sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.server.webhooks.api import KEY, Api
from tests.server.webhooks.spec_check import check_envelope
from tests.server.webhooks.sse import SseReader


@contextmanager
def stream(app: Flask, query: str = "", last_event_id: str | None = None) -> Iterator[SseReader]:
    headers = {"Authorization": f"Bearer {KEY}"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    response = app.test_client().get(f"/v1/stream{query}", headers=headers, buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["X-Request-Id"]
    try:
        yield SseReader(iter(response.response))
    finally:
        response.close()


def test_new_messages_arrive_live_as_envelopes_with_their_ids(api: Api) -> None:
    api.send_event("u0", "login")  # before the stream opened: not replayed
    with stream(api.app) as events:
        assert events.next_frame().comment == "stream open"
        api.send_event("u1", "login")
        created, processed = events.next_event(), events.next_event()
    assert (created.event, processed.event) == ("user.created", "event.processed")
    for frame in (created, processed):
        envelope = frame.envelope
        check_envelope(envelope)
        assert frame.id == envelope["id"] and frame.event == envelope["type"]
        assert envelope["data"]["user_id"] == "u1"
        assert envelope["project_id"] == "proj_default"


def test_a_reconnect_with_last_event_id_resumes_without_loss_or_duplicates(api: Api) -> None:
    with stream(api.app) as events:
        api.send_event("u1", "login")
        api.send_event("u2", "login")
        first = [events.next_event() for _ in range(3)]  # disconnect before the fourth
    api.send_event("u3", "login")  # while disconnected
    with stream(api.app, last_event_id=first[-1].id) as events:
        rest = [events.next_event() for _ in range(3)]
        api.send_event("u4", "login")
        rest += [events.next_event() for _ in range(2)]
    ids = [f.id for f in first + rest]
    listed = [m["id"] for m in reversed(api.sandbox_messages())]
    assert ids == listed and len(set(ids)) == 8


def test_a_vanished_last_event_id_resumes_after_where_it_was(api: Api) -> None:
    with stream(api.app) as events:
        api.send_event("u1", "login")
        api.send_event("u2", "login")
        last_seen = [events.next_event() for _ in range(2)][-1]  # u1's two messages
    api("usersDelete", "DELETE", "/v1/users/u1", expect=204)  # erases u1's messages too
    with stream(api.app, last_event_id=last_seen.id) as events:
        resumed = [events.next_event() for _ in range(2)]
    assert [f.envelope["data"]["user_id"] for f in resumed] == ["u2", "u2"]


def test_user_and_type_filters(api: Api) -> None:
    with stream(api.app, "?user_id=u2&types=user.created,webhook.test") as events:
        api.send_event("u1", "login")
        api.send_event("u2", "login")
        frame = events.next_event()
        assert (frame.event, frame.envelope["data"]["user_id"]) == ("user.created", "u2")
        api.send_event("u2", "login")  # only event.processed: filtered out
        assert events.next_frame().comment == "keep-alive"


def test_unknown_types_and_bad_user_ids_are_422(api: Api) -> None:
    bad_type = api("streamEvents", "GET", "/v1/stream?types=user.created,nope", expect=422)
    assert bad_type["errors"][0]["loc"] == ["query", "types"]
    bad_user = api("streamEvents", "GET", "/v1/stream?user_id=a%20b", expect=422)
    assert bad_user["errors"][0]["loc"] == ["query", "user_id"]


def test_a_quiet_stream_sends_keep_alive_comments(api: Api) -> None:
    with stream(api.app) as events:
        assert events.next_frame().comment == "stream open"
        assert events.next_frame().comment == "keep-alive"
        assert events.next_frame().comment == "keep-alive"


def test_open_streams_end_cleanly_when_the_backend_closes() -> None:
    app = create_app(ServerConfig(background_workers=False))
    app.config["QUESTLINE_STREAM_HEARTBEAT_SECONDS"] = 30.0  # only the close can wake it
    ended = threading.Event()

    def read_to_the_end() -> None:
        with stream(app) as events:
            events.next_frame()
            try:
                while True:
                    events.next_frame()
            except StopIteration:
                ended.set()

    reader = threading.Thread(target=read_to_the_end, daemon=True)
    reader.start()
    app.extensions["questline"].close()
    reader.join(timeout=5)
    assert ended.is_set()


def test_a_stream_slot_is_given_back_when_its_response_closes() -> None:
    """With one slot, a second stream is a 429 until the first one's response closes,
    even if not a frame of it was read."""
    from questline_mock.http.stream import HEARTBEAT_CONFIG

    app = create_app(ServerConfig(background_workers=False, max_streams=1))
    app.config[HEARTBEAT_CONFIG] = 0.05
    headers = {"Authorization": f"Bearer {KEY}"}
    for _ in range(3):
        first = app.test_client().get("/v1/stream", headers=headers, buffered=False)
        assert first.status_code == 200
        second = app.test_client().get("/v1/stream", headers=headers, buffered=False)
        assert second.status_code == 429 and second.headers["Retry-After"] == "1"
        first.close()


def test_opening_a_stream_does_not_read_the_whole_outbox(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live, or resuming after a message still stored: found by index, not by a walk
    through every message (which only a resume after a vanished message needs)."""
    import questline_mock.webhooks.stream as stream_module

    for n in range(3):
        api.send_event(f"u{n}", "login")
    last = api.sandbox_messages()[0]["id"]  # newest first

    def walk(*args: object) -> object:
        raise AssertionError("the whole outbox was read")

    monkeypatch.setattr(stream_module, "iter_all", walk)
    with stream(api.app) as events:
        assert events.next_frame().comment == "stream open"
        api.send_event("u9", "login")
        assert events.next_event().envelope["data"]["user_id"] == "u9"
    with stream(api.app, last_event_id=last) as events:
        assert events.next_frame().comment == "stream open"
        assert events.next_event().envelope["data"]["user_id"] == "u9"
