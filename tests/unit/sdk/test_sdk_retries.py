"""Retry decisions, backoff, Retry-After, and idempotency keys that survive retries."""

from __future__ import annotations

import email.utils

import httpx
import pytest
import respx
import sdk_payloads as p
from questline import (
    APIConnectionError,
    APITimeoutError,
    AsyncQuestline,
    Backoff,
    ConflictError,
    InternalServerError,
    NotFoundError,
    Questline,
    RateLimitError,
)
from questline._retry import parse_retry_after, should_retry_status
from sdk_payloads import SleepRecorder


def error(status: int, code: str = "internal_error", **headers: str) -> httpx.Response:
    return httpx.Response(status, json=p.problem(status, code), headers=headers)


@pytest.mark.parametrize(
    ("status", "code", "retried"),
    [
        (408, "internal_error", True),
        (409, "idempotency_key_in_use", True),
        (409, "conflict", False),
        (409, "insufficient_balance", False),
        (429, "rate_limited", True),
        (500, "internal_error", True),
        (503, "internal_error", True),
        (400, "validation_error", False),
        (401, "unauthorized", False),
        (404, "not_found", False),
        (422, "validation_error", False),
    ],
)
def test_which_statuses_are_retried(status: int, code: str, retried: bool) -> None:
    assert should_retry_status(status, code) is retried


def test_server_error_is_retried_then_succeeds(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = api.get("/v1/users/u1").mock(
        side_effect=[error(500), error(502), httpx.Response(200, json=p.user())]
    )
    assert client.users.retrieve("u1").id == "u1"
    assert route.call_count == 3
    assert sleeps.delays == [0.5, 1.0]


def test_gives_up_after_max_retries(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = api.get("/v1/users/u1").mock(return_value=error(500))
    with pytest.raises(InternalServerError):
        client.users.retrieve("u1")
    assert route.call_count == 3  # the first try and the default two retries
    assert len(sleeps.delays) == 2


def test_non_retryable_status_is_raised_at_once(client: Questline, api: respx.MockRouter) -> None:
    route = api.get("/v1/users/u1").mock(return_value=error(404, "not_found"))
    with pytest.raises(NotFoundError):
        client.users.retrieve("u1")
    assert route.call_count == 1


def test_final_conflict_is_not_retried(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/users/u1/transactions").mock(
        return_value=error(409, "insufficient_balance")
    )
    with pytest.raises(ConflictError) as info:
        client.users.transactions.create("u1", currency="coins", amount=-5)
    assert info.value.code == "insufficient_balance"
    assert route.call_count == 1


def test_idempotency_key_and_event_id_are_the_same_on_every_try(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").mock(
        side_effect=[
            error(409, "idempotency_key_in_use"),
            error(503),
            httpx.Response(200, json=p.event_result()),
        ]
    )
    client.events.send(user_id="u1", type="login")
    keys = {c.request.headers["idempotency-key"] for c in route.calls}
    bodies = {c.request.content for c in route.calls}
    assert route.call_count == 3
    assert len(keys) == 1 and len(bodies) == 1


def test_each_call_gets_its_own_idempotency_key(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send(user_id="u1", type="login", event_id="same")
    client.events.send(user_id="u1", type="login", event_id="same")
    assert (
        route.calls[0].request.headers["idempotency-key"]
        != route.calls[1].request.headers["idempotency-key"]
    )


def test_retry_after_seconds_is_honoured(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    api.get("/v1/users/u1").mock(
        side_effect=[
            error(429, "rate_limited", **{"Retry-After": "3"}),
            httpx.Response(200, json=p.user()),
        ]
    )
    client.users.retrieve("u1")
    assert sleeps.delays == [3.0]


def test_retry_after_ms_wins_over_retry_after(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    api.get("/v1/users/u1").mock(
        side_effect=[
            error(429, "rate_limited", **{"retry-after-ms": "250", "Retry-After": "3"}),
            httpx.Response(200, json=p.user()),
        ]
    )
    client.users.retrieve("u1")
    assert sleeps.delays == [0.25]


def test_retry_after_beyond_the_cap_raises_instead_of_waiting(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = api.get("/v1/users/u1").mock(
        return_value=error(429, "rate_limited", **{"Retry-After": "3600"})
    )
    with pytest.raises(RateLimitError):
        client.users.retrieve("u1")
    assert route.call_count == 1 and sleeps.delays == []


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": date}), now) == pytest.approx(7.0)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert parse_retry_after(httpx.Headers({}), now) is None


def test_backoff_grows_exponentially_with_a_cap_and_jitter() -> None:
    flat = Backoff(random=lambda: 0.0)
    assert [flat.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    jittered = Backoff(random=lambda: 1.0, jitter=0.25)
    assert jittered.delay(0) == pytest.approx(0.375)
    assert jittered.delay(10) == pytest.approx(6.0)


def test_connection_errors_are_retried_then_raised(
    client: Questline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = api.post("/v1/events").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        client.events.send(user_id="u1", type="login")
    assert route.call_count == 3
    assert len({c.request.headers["idempotency-key"] for c in route.calls}) == 1


def test_timeouts_raise_api_timeout_error(client: Questline, api: respx.MockRouter) -> None:
    route = api.get("/v1/users/u1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        client.users.retrieve("u1")
    assert route.call_count == 3
    assert issubclass(APITimeoutError, APIConnectionError)


def test_a_dropped_connection_then_success(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").mock(
        side_effect=[httpx.RemoteProtocolError("dropped"), httpx.Response(200, json=p.user())]
    )
    assert client.users.retrieve("u1").id == "u1"


def test_max_retries_per_client_and_per_call(api: respx.MockRouter, sleeps: SleepRecorder) -> None:
    route = api.get("/v1/users/u1").mock(return_value=error(500))
    client = Questline(
        api_key="k",
        base_url="http://questline.test",
        max_retries=4,
        backoff=Backoff(random=lambda: 0.0),
    )
    client._sleep = sleeps
    with pytest.raises(InternalServerError):
        client.users.retrieve("u1")
    assert route.call_count == 5
    with pytest.raises(InternalServerError):
        client.with_options(max_retries=0).users.retrieve("u1")
    assert route.call_count == 6
    assert client.max_retries == 4  # the copy did not change the original


async def test_async_retries_share_the_policy(
    async_client: AsyncQuestline, api: respx.MockRouter, sleeps: SleepRecorder
) -> None:
    route = api.post("/v1/events").mock(
        side_effect=[
            error(500),
            error(429, "rate_limited", **{"Retry-After": "2"}),
            httpx.Response(200, json=p.event_result()),
        ]
    )
    await async_client.events.send(user_id="u1", type="login")
    assert sleeps.delays == [0.5, 2.0]
    assert len({c.request.headers["idempotency-key"] for c in route.calls}) == 1


async def test_async_connection_error(async_client: AsyncQuestline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError):
        await async_client.users.retrieve("u1")
