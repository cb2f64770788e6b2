"""Client configuration, lifecycle, raw responses, logging and the live stream."""

from __future__ import annotations

import logging

import httpx
import pytest
import questline
import respx
import sdk_payloads as p
from questline import APIResponse, AsyncQuestline, Questline, QuestlineError
from questline.types import UserLevelUpWebhookEvent, WebhookTestWebhookEvent


def test_api_key_and_base_url_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUESTLINE_API_KEY", "sk_test_env")
    monkeypatch.setenv("QUESTLINE_BASE_URL", "http://env.example:9000")
    client = Questline()
    assert client.api_key == "sk_test_env"
    assert str(client.base_url) == "http://env.example:9000"


def test_default_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUESTLINE_BASE_URL", raising=False)
    assert str(Questline(api_key="k").base_url) == "http://127.0.0.1:8787"


def test_a_missing_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUESTLINE_API_KEY", raising=False)
    with pytest.raises(QuestlineError, match="QUESTLINE_API_KEY"):
        Questline()
    with pytest.raises(QuestlineError, match="api_key"):
        AsyncQuestline()


def test_base_url_with_a_path_prefix(api: respx.MockRouter) -> None:
    route = api.get("/prefix/v1/users/u1").respond(200, json=p.user())
    Questline(api_key="k", base_url="http://questline.test/prefix/").users.retrieve("u1")
    assert route.called


def test_context_manager_closes_its_own_http_client() -> None:
    with Questline(api_key="k") as client:
        inner = client._client
    assert inner.is_closed


def test_a_caller_supplied_http_client_is_used_and_left_open(api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user())
    http = httpx.Client(headers={"X-App": "mine"})
    with Questline(api_key="k", base_url="http://questline.test", http_client=http) as client:
        client.users.retrieve("u1")
    assert api.calls.last.request.headers["x-app"] == "mine"
    assert not http.is_closed
    http.close()


def test_with_options_copies_without_touching_the_original() -> None:
    client = Questline(api_key="k", timeout=5.0)
    users = client.users
    other = client.with_options(timeout=1.0, max_retries=7)
    assert (client.timeout, client.max_retries) == (5.0, 2)
    assert (other.timeout, other.max_retries) == (1.0, 7)
    assert other.users is not users and other.users._client is other
    assert other._client is client._client  # one connection pool


def test_per_call_timeout_reaches_httpx(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user())
    client.users.retrieve("u1", timeout=1.5)
    assert api.calls.last.request.extensions["timeout"]["read"] == 1.5


def test_default_headers(api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user())
    Questline(
        api_key="k", base_url="http://questline.test", default_headers={"X-Tenant": "t"}
    ).users.retrieve("u1")
    assert api.calls.last.request.headers["x-tenant"] == "t"


def test_raw_response_exposes_headers_and_parses(client: Questline, api: respx.MockRouter) -> None:
    api.post("/v1/events").respond(
        200,
        json=p.event_result(replayed=True),
        headers={"Idempotent-Replayed": "true", "X-Request-Id": "req_9"},
    )
    raw = client.events.with_raw_response.send(user_id="u1", type="login")
    assert isinstance(raw, APIResponse)
    assert raw.status_code == 200
    assert raw.idempotent_replayed is True and raw.request_id == "req_9"
    assert raw.headers["x-request-id"] == "req_9"
    result = raw.parse()
    assert result.replayed is True and raw.parse() is result


def test_raw_response_on_sub_resources_and_pages(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users").respond(200, json=p.user_list(["u1"]), headers={"X-Request-Id": "r"})
    raw = client.users.with_raw_response.list()
    assert raw.request_id == "r"
    assert [u.id for u in raw.parse()] == ["u1"]
    api.get("/v1/users/u1/streaks").respond(
        200, json={"data": [], "has_more": False, "next_cursor": None}
    )
    assert client.users.with_raw_response.streaks.list("u1").status_code == 200
    # The plain call afterwards is plain again.
    assert client.users.list().data[0].id == "u1"


async def test_async_raw_response(async_client: AsyncQuestline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user(), headers={"X-Request-Id": "req_a"})
    raw = await async_client.users.with_raw_response.retrieve("u1")
    assert raw.request_id == "req_a" and raw.parse().id == "u1"
    api.get("/v1/users").respond(200, json=p.user_list(["u1", "u2"]))
    raw_page = await async_client.users.with_raw_response.list()
    assert [u.id for u in raw_page.parse().data] == ["u1", "u2"]


def test_debug_logging_redacts_the_api_key(
    client: Questline, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user())
    with caplog.at_level(logging.DEBUG, logger="questline"):
        client.users.retrieve("u1")
    text = caplog.text
    assert "GET http://questline.test/v1/users/u1" in text
    assert "sk_test_unit" not in text and "<redacted>" in text


def test_questline_log_env_turns_logging_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from questline._logs import logger, setup_logging

    monkeypatch.setenv("QUESTLINE_LOG", "debug")
    before = list(logger.handlers)
    try:
        setup_logging()
        setup_logging()
        assert logger.level == logging.DEBUG
        assert len(logger.handlers) == len(before) + 1
    finally:
        logger.handlers = before
        logger.setLevel(logging.NOTSET)


SSE = (
    ": keep-alive\n\n"
    "id: msg_1\nevent: user.level.up\n"
    'data: {"id": "msg_1", "type": "user.level.up", "created_at": "2025-03-14T09:26:53Z", '
    '"project_id": "prj_1", "data": {"user_id": "u1", "level": 5, "previous_level": 4, '
    '"name": null, "xp": 1600, "event_id": null}}\n\n'
    "id: msg_2\n"
    'data: {"id": "msg_2", "type": "webhook.test", "created_at": "2025-03-14T09:26:53Z", '
    '"project_id": "prj_1", "data": {"endpoint_id": "whe_1", "message": "hi"}}\n\n'
)


def test_stream_yields_typed_envelopes(client: Questline, api: respx.MockRouter) -> None:
    route = api.get("/v1/stream").respond(
        200, text=SSE, headers={"Content-Type": "text/event-stream"}
    )
    with client.stream(
        user_id="u1", types="user.level.up,webhook.test", last_event_id="msg_0"
    ) as stream:
        events = list(stream)
    assert [type(e) for e in events] == [UserLevelUpWebhookEvent, WebhookTestWebhookEvent]
    assert stream.last_event_id == "msg_2"
    request = route.calls[0].request
    assert request.url.params["user_id"] == "u1"
    assert request.headers["last-event-id"] == "msg_0"


async def test_async_stream(async_client: AsyncQuestline, api: respx.MockRouter) -> None:
    api.get("/v1/stream").respond(200, text=SSE, headers={"Content-Type": "text/event-stream"})
    ids = [e.id async for e in async_client.stream()]
    assert ids == ["msg_1", "msg_2"]


def test_version_is_exposed() -> None:
    assert questline.__version__
