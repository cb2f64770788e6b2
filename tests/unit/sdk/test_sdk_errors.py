"""Error responses map to one exception class per status, carrying the parsed problem."""

from __future__ import annotations

import httpx
import pytest
import respx
import sdk_payloads as p
from questline import (
    APIError,
    APIStatusError,
    AsyncQuestline,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    Questline,
    QuestlineError,
    RateLimitError,
    UnprocessableEntityError,
)


@pytest.mark.parametrize(
    ("status", "code", "exc_type"),
    [
        (400, "validation_error", BadRequestError),
        (401, "unauthorized", AuthenticationError),
        (403, "unauthorized", PermissionDeniedError),
        (404, "not_found", NotFoundError),
        (409, "conflict", ConflictError),
        (413, "payload_too_large", APIStatusError),
        (422, "validation_error", UnprocessableEntityError),
        (429, "rate_limited", RateLimitError),
        (500, "internal_error", InternalServerError),
        (503, "internal_error", InternalServerError),
    ],
)
def test_status_maps_to_exception_class(
    client: Questline, api: respx.MockRouter, status: int, code: str, exc_type: type[APIStatusError]
) -> None:
    api.get("/v1/users/u1").respond(
        status,
        json=p.problem(status, code, detail="details here"),
        headers={"X-Request-Id": "req_123", "Content-Type": "application/problem+json"},
    )
    with pytest.raises(exc_type) as info:
        client.with_options(max_retries=0).users.retrieve("u1")
    err = info.value
    assert type(err) is exc_type
    assert (
        isinstance(err, APIStatusError)
        and isinstance(err, APIError)
        and isinstance(err, QuestlineError)
    )
    assert err.status_code == status
    assert err.request_id == "req_123"
    assert err.code == code
    assert err.problem is not None and err.problem.detail == "details here"
    assert err.response.status_code == status
    assert "req_123" in str(err)


def test_field_errors_of_a_422_are_available(client: Questline, api: respx.MockRouter) -> None:
    body = p.problem(422, "validation_error")
    body["errors"] = [{"loc": ["body", "type"], "message": "bad type", "type": "pattern"}]
    api.post("/v1/events").respond(422, json=body)
    with pytest.raises(UnprocessableEntityError) as info:
        client.events.send(user_id="u1", type="login")
    assert info.value.problem is not None
    assert info.value.problem.errors is not None
    assert info.value.problem.errors[0].loc == ["body", "type"]


def test_a_non_json_error_body_still_maps(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").mock(return_value=httpx.Response(502, text="Bad gateway"))
    with pytest.raises(InternalServerError) as info:
        client.with_options(max_retries=0).users.retrieve("u1")
    assert info.value.problem is None and info.value.code is None
    assert "Bad gateway" in str(info.value)


def test_request_id_falls_back_to_the_problem(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1").respond(404, json=p.problem(404, "not_found"))
    with pytest.raises(NotFoundError) as info:
        client.users.retrieve("u1")
    assert info.value.request_id == "req_problem"


def test_status_classes_pin_their_status() -> None:
    assert NotFoundError.status_code == 404
    assert RateLimitError.status_code == 429


async def test_async_errors_map_the_same_way(
    async_client: AsyncQuestline, api: respx.MockRouter
) -> None:
    api.get("/v1/users/u1").respond(401, json=p.problem(401, "unauthorized"))
    with pytest.raises(AuthenticationError):
        await async_client.users.retrieve("u1")
