"""Fault injection: the SDK retries through injected errors, drops and latency, in-process
and against a live server alike."""

from __future__ import annotations

import time

import httpx
import pytest
from questline import (
    APIConnectionError,
    InternalServerError,
    RateLimitError,
    ValidationError,
)
from questline.testing import InstantBackoff, mock_questline

from tests.testing.targets import Target


def test_injected_503s_with_retry_after_are_retried_through(
    target: Target, backoff: InstantBackoff
) -> None:
    with target.client(backoff=backoff, max_retries=3) as client:
        client.sandbox.faults.create(
            match={"method": "POST", "path": "/v1/events*"}, count=3, status=503, retry_after=1
        )
        result = client.events.send(user_id="u1", type="login")
        assert result.event.user_id == "u1"
        assert backoff.waits == [1.0, 1.0, 1.0]  # Retry-After honoured each time
        assert list(client.sandbox.faults.list()) == []
        assert [event.type for event in client.events.list()] == ["login"]


async def test_async_client_retries_through_injected_503s(
    target: Target, backoff: InstantBackoff
) -> None:
    async with target.async_client(backoff=backoff) as client:
        await client.sandbox.faults.create(match={"path": "/v1/users"}, count=2, status=503)
        page = await client.users.list()
        assert page.data == []
        assert len(backoff.waits) == 2


def test_more_failures_than_retries_raise_and_nothing_is_processed(
    target: Target, backoff: InstantBackoff
) -> None:
    with target.client(backoff=backoff, max_retries=2) as client:
        client.sandbox.faults.create(match={"path": "/v1/events"}, count=3, status=503)
        with pytest.raises(InternalServerError) as raised:
            client.events.send(user_id="u1", type="login")
        assert raised.value.status_code == 503
        assert list(client.users.list()) == []


def test_dropped_connection_surfaces_as_api_connection_error_after_retries(
    target: Target, backoff: InstantBackoff
) -> None:
    with target.client(backoff=backoff, max_retries=2) as client:
        client.sandbox.faults.create(match={"path": "/v1/events"}, count=3, drop=True)
        with pytest.raises(APIConnectionError) as raised:
            client.events.send(user_id="u1", type="login")
        assert "disconnected" in str(raised.value).lower()
        assert len(backoff.waits) == 2  # three tries, all dropped
        assert list(client.sandbox.faults.list()) == []
        assert list(client.users.list()) == []


def test_a_dropped_event_is_retried_and_applied_once(
    target: Target, backoff: InstantBackoff
) -> None:
    with target.client(backoff=backoff) as client:
        client.rules.upsert(
            "login-xp",
            trigger={"event_type": "login"},
            actions=[{"type": "grant_xp", "amount": 10}],
        )
        client.sandbox.faults.create(match={"path": "/v1/events"}, drop=True)
        client.events.send(user_id="u1", type="login")
        assert client.users.retrieve("u1").xp == 10
        assert len(backoff.waits) == 1


def test_faults_match_method_and_glob_and_never_touch_sandbox_paths(target: Target) -> None:
    with target.client(max_retries=0) as client:
        client.sandbox.faults.create(match={"method": "GET", "path": "/v1/users*"}, status=429)
        client.sandbox.faults.create(match={"path": "/v1/sandbox/*"}, status=500)
        client.events.send(user_id="u1", type="login")  # POST: not matched
        client.sandbox.clock.retrieve()  # sandbox paths are never faulted
        with pytest.raises(RateLimitError):
            client.users.retrieve("u1")
        assert client.users.retrieve("u1").id == "u1"  # count 1: used up
        remaining = list(client.sandbox.faults.list())
        assert [f.match.path for f in remaining] == ["/v1/sandbox/*"]


def test_faults_belong_to_one_project(target: Target) -> None:
    with target.client(max_retries=0) as client:
        other_key = client.sandbox.projects.create().api_key
        client.sandbox.faults.create(match={"path": "/v1/users"}, status=500)
        with target.client(max_retries=0, api_key=other_key) as other:
            assert other.users.list().data == []
            assert list(other.sandbox.faults.list()) == []
        with pytest.raises(InternalServerError):
            client.users.list()


def test_faults_are_listed_cleared_and_reset(target: Target) -> None:
    with target.client() as client:
        created = client.sandbox.faults.create(match={"path": "/v1/events"}, count=5)
        assert (created.status, created.remaining, created.drop) == (503, 5, False)
        client.sandbox.faults.create(match={"method": "DELETE"}, latency_ms=10)
        assert [f.id for f in client.sandbox.faults.list(limit=1)] == [
            created.id,
            *[f.id for f in client.sandbox.faults.list()][1:],
        ]
        client.sandbox.faults.clear()
        assert list(client.sandbox.faults.list()) == []
        client.sandbox.faults.create(match={"path": "/v1/events"})
        client.sandbox.reset()
        assert list(client.sandbox.faults.list()) == []


def test_a_fault_body_is_validated_by_the_sdk_and_the_server(target: Target) -> None:
    with target.client() as client, pytest.raises(ValidationError):
        client.sandbox.faults.create(match={"path": "/v1/users"}, count=0)
    response = httpx.post(
        target.base_url + "/v1/sandbox/faults",
        json={"match": {"path": "v1/users"}, "status": 200},
        headers={"Authorization": f"Bearer {target.api_key}"},
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [
        ["body", "match", "path"],
        ["body", "status"],
    ]


def test_latency_is_applied_in_process() -> None:
    with mock_questline() as sandbox:
        registry = sandbox.app.extensions["questline.faults"]
        waited: list[float] = []
        registry.sleep = waited.append
        sandbox.client.sandbox.faults.create(match={"path": "/v1/users"}, latency_ms=250)
        assert sandbox.client.users.list().data == []  # delayed, then answered normally
        assert waited == [0.25]


def test_latency_is_applied_by_a_live_server(target: Target) -> None:
    if target.kind != "live":
        pytest.skip("the in-process twin above observes the wait instead of timing it")
    with target.client() as client:
        client.sandbox.faults.create(match={"path": "/v1/users"}, latency_ms=200)
        started = time.monotonic()
        client.users.list()
        assert time.monotonic() - started >= 0.2
