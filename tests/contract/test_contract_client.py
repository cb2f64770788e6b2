"""The client's own contract: raw responses, idempotency, retries, typed errors, validation."""

from __future__ import annotations

import pytest
from questline import (
    APIConnectionError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    Questline,
    RateLimitError,
    UnprocessableEntityError,
    ValidationError,
)
from questline.types import EventResult

from tests.contract.conftest import Clients
from tests.contract.wiring import Wire


def test_raw_response_carries_the_request_id(client: Questline) -> None:
    raw = client.users.with_raw_response.upsert("u1", display_name="Ada")
    assert raw.status_code == 200
    assert raw.request_id is not None and raw.request_id.startswith("req_")
    assert raw.headers["x-request-id"] == raw.request_id
    assert raw.parse().display_name == "Ada"


def test_a_post_replayed_with_the_same_idempotency_key(client: Questline, wire: Wire) -> None:
    first = client.events.with_raw_response.send(
        user_id="u1", type="login", event_id="e-1", idempotency_key="key-1"
    )
    again = client.events.with_raw_response.send(
        user_id="u1", type="login", event_id="e-1", idempotency_key="key-1"
    )
    assert (first.idempotent_replayed, again.idempotent_replayed) == (False, True)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert isinstance(again.parse(), EventResult)
    assert again.parse().event.id == first.parse().event.id
    assert [r.headers["Idempotency-Key"] for r in wire.requests] == ["key-1", "key-1"]


def test_the_same_call_with_its_own_key_replays_without_an_event_id_given(
    client: Questline, wire: Wire
) -> None:
    """The SDK makes the missing event_id from the caller's key, so the body is the same
    and the server replays it; without a key, each call is a new event."""
    first = client.events.with_raw_response.send(user_id="u1", type="login", idempotency_key="k")
    again = client.events.with_raw_response.send(user_id="u1", type="login", idempotency_key="k")
    assert (first.idempotent_replayed, again.idempotent_replayed) == (False, True)
    assert again.parse().event.id == first.parse().event.id
    assert wire.requests[0].content == wire.requests[1].content
    client.events.send(user_id="u1", type="login", idempotency_key="other")
    client.events.send(user_id="u1", type="login")
    client.events.send(user_id="u1", type="login")
    assert len(client.events.list().data) == 4  # k once, other, and the two without a key


def test_a_key_reused_for_a_different_request_is_refused(client: Questline) -> None:
    client.events.send(user_id="u1", type="login", idempotency_key="key-1")
    with pytest.raises(UnprocessableEntityError) as caught:
        client.events.send(user_id="u2", type="login", idempotency_key="key-1")
    assert caught.value.code == "idempotency_key_reused"


def test_retries_reuse_one_idempotency_key_and_event_id(
    clients: Clients, client: Questline, wire: Wire
) -> None:
    client.sandbox.faults.create(
        {"match": {"path": "/v1/events"}, "count": 2, "status": 503, "retry_after": 1}
    )
    wire.clear()

    result = client.events.send(user_id="u1", type="login")

    sent = [r for r in wire.requests if r.url.path == "/v1/events"]
    assert len(sent) == 3
    assert len({r.headers["Idempotency-Key"] for r in sent}) == 1
    assert len({r.content for r in sent}) == 1  # the same event_id each time
    assert clients.backoff.waits == [1.0, 1.0]  # Retry-After honoured
    assert not result.replayed
    assert len(client.events.list().data) == 1


def test_max_retries_per_call_wins_over_the_clients(
    client: Questline, wire: Wire, clients: Clients
) -> None:
    client.sandbox.faults.create({"match": {"path": "/v1/users"}}, count=1, status=429)
    wire.clear()
    with pytest.raises(RateLimitError):
        client.users.list(max_retries=0)
    assert wire.count("GET", "/v1/users") == 1
    # A client that never retries, told to for this call only.
    client.sandbox.faults.create({"match": {"path": "/v1/users"}}, count=2, status=503)
    never = client.with_options(max_retries=0)
    assert never.users.list(max_retries=2).data == []
    assert wire.count("GET", "/v1/users") == 4
    with pytest.raises(ValidationError, match="max_retries"):
        client.users.list(max_retries=-1)
    assert wire.count("GET", "/v1/users") == 4  # refused before any request


def test_with_options_max_retries_zero_gives_up_at_once(client: Questline, wire: Wire) -> None:
    client.sandbox.faults.create({"match": {"path": "/v1/users"}}, count=1, status=429)
    wire.clear()
    with pytest.raises(RateLimitError) as caught:
        client.with_options(max_retries=0).users.list()
    assert caught.value.status_code == 429
    assert wire.count("GET", "/v1/users") == 1
    # The original client still retries, and the fault is used up.
    assert client.users.list().data == []


def test_exhausted_retries_raise_the_last_error(clients: Clients) -> None:
    client = clients.new(max_retries=1)
    client.sandbox.faults.create({"match": {"path": "/v1/users"}}, count=5, status=500)
    with pytest.raises(InternalServerError) as caught:
        client.users.list()
    assert caught.value.status_code == 500
    assert clients.wire.count("GET", "/v1/users") == 2


def test_a_dropped_connection_is_retried_then_reported(client: Questline, wire: Wire) -> None:
    client.sandbox.faults.create({"match": {"path": "/v1/events"}}, count=1, drop=True)
    assert not client.events.send(user_id="u1", type="login").replayed
    assert wire.count("POST", "/v1/events") == 2

    client.sandbox.faults.create({"match": {"path": "/v1/events"}}, count=1, drop=True)
    with pytest.raises(APIConnectionError):
        client.with_options(max_retries=0).events.send(user_id="u1", type="login")


def test_a_wrong_key_is_an_authentication_error(clients: Clients) -> None:
    with pytest.raises(AuthenticationError) as caught:
        clients.new(api_key="sk_test_wrong").users.list()
    error = caught.value
    assert (error.status_code, error.code) == (401, "unauthorized")
    assert error.request_id is not None
    assert error.response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_missing_resource_is_not_found(client: Questline) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.badges.retrieve("nope")
    error = caught.value
    assert (error.status_code, error.code) == (404, "not_found")
    assert error.problem is not None and error.problem.status == 404
    assert error.request_id == error.problem.request_id


def test_a_server_side_validation_error_names_the_field(client: Questline) -> None:
    # An IANA zone is checked by the server only: the SDK sends it, the server refuses it.
    with pytest.raises(UnprocessableEntityError) as caught:
        client.users.upsert("u1", timezone="Mars/Olympus_Mons")
    error = caught.value
    assert (error.status_code, error.code) == (422, "validation_error")
    assert error.problem is not None and error.problem.errors
    assert error.problem.errors[0].loc == ["body", "timezone"]


@pytest.mark.parametrize(
    ("call", "loc"),
    [
        (lambda c: c.events.send(user_id="u1"), ["type"]),
        (lambda c: c.events.send(user_id="not valid!", type="login"), ["user_id"]),
        (lambda c: c.events.send({"userId": "u1", "type": "Login"}), ["type"]),
        (lambda c: c.users.transactions.create("u1", currency="coins", amount="ten"), ["amount"]),
        (lambda c: c.rules.upsert("r", trigger={"event_type": "x"}, actions=[]), ["actions"]),
        (lambda c: c.sandbox.clock.advance(seconds=0), ["seconds"]),
        (lambda c: c.users.list(limit=1000), ["limit"]),
        (lambda c: c.users.retrieve(""), ["user_id"]),
        (
            lambda c: c.events.send_batch([{"user_id": "u1", "type": "login"}, {"user_id": "u1"}]),
            ["events", 1, "type"],
        ),
    ],
    ids=[
        "missing-field",
        "bad-pattern",
        "camel-case-dict",
        "wrong-type",
        "empty-array",
        "below-minimum",
        "query-maximum",
        "empty-path-param",
        "batch-entry",
    ],
)
def test_bad_input_raises_before_any_request(
    client: Questline, wire: Wire, call: object, loc: list[object]
) -> None:
    wire.clear()
    with pytest.raises(ValidationError) as caught:
        call(client)  # type: ignore[operator]
    assert wire.requests == []
    assert caught.value.errors[0]["loc"] == loc


def test_the_client_sends_auth_and_a_user_agent(client: Questline, wire: Wire) -> None:
    client.health.retrieve()
    request = wire.requests[-1]
    assert request.headers["Authorization"].startswith("Bearer sk_test_")
    assert request.headers["User-Agent"].startswith("questline-python/")
