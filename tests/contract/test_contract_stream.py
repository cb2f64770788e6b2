"""``client.stream()``: the live Server-Sent Events stream of webhook envelopes.

In-process too: both WSGI transports hand the body over chunk by chunk, and the server's
stream opens with a comment, so the stream is open (headers read) before the test sends
the event it waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from questline import AsyncQuestline, Questline
from questline.types import UserCreatedWebhookEvent

from tests.contract.conftest import Clients
from tests.contract.wiring import ADMIN_KEY, Server


@pytest.fixture
def live(server: Server) -> Server:
    if server.kind == "in-process":
        if not any(rule.rule == "/v1/stream" for rule in server.app.url_map.iter_rules()):
            pytest.skip("GET /v1/stream is 404: this server has no message stream yet")
        return server
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.stream("GET", server.base_url + "/v1/stream", headers=headers, timeout=10) as r:
        if r.status_code == 404:
            pytest.skip("GET /v1/stream is 404: this server has no message stream yet")
    return server


def first_envelope_sync(client: Questline, send: Callable[[], Any]) -> Any:
    with client.stream(user_id="u1", types="user.created", timeout=10) as stream:
        send()
        return next(iter(stream)), stream.last_event_id


async def first_envelope_async(client: AsyncQuestline) -> Any:
    async with client.stream(user_id="u1", types="user.created", timeout=10) as stream:
        await client.events.send(user_id="u2", type="login")  # filtered out
        await client.events.send(user_id="u1", type="login")
        async for envelope in stream:
            return envelope, stream.last_event_id
    raise AssertionError("the stream ended without a message")


def test_stream_yields_typed_envelopes_as_they_happen(live: Server, clients: Clients) -> None:
    if clients.flavour == "sync":
        client = clients.new()

        def send() -> None:
            client.events.send(user_id="u2", type="login")  # filtered out
            client.events.send(user_id="u1", type="login")

        envelope, last_id = first_envelope_sync(client, send)
    else:
        envelope, last_id = clients.runner.run(first_envelope_async(clients.new_async()))

    assert isinstance(envelope, UserCreatedWebhookEvent)
    assert envelope.type == "user.created"
    assert envelope.data.user.id == "u1"
    assert last_id is not None and last_id.startswith("msg_")
