"""What goes on the wire: snake_case JSON whatever the caller's spelling, auth, ids."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import httpx
import respx
import sdk_payloads as p
from questline import Questline
from questline.types import EventCreate


def body_of(route: respx.Route, call: int = 0) -> dict[str, object]:
    return json.loads(route.calls[call].request.content)


def test_camel_case_dict_is_sent_as_snake_case(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send({"userId": "u1", "type": "login", "occurredAt": "2025-03-14T09:00:00Z"})
    body = body_of(route)
    assert body["user_id"] == "u1"
    assert body["occurred_at"] == "2025-03-14T09:00:00Z"
    assert "userId" not in body and "occurredAt" not in body


def test_keyword_arguments_model_and_dict_give_the_same_body(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send(user_id="u1", type="login", event_id="e1", properties={"score": 95})
    client.events.send(
        {"user_id": "u1", "type": "login", "event_id": "e1", "properties": {"score": 95}}
    )
    client.events.send(
        EventCreate(user_id="u1", type="login", event_id="e1", properties={"score": 95})
    )
    bodies = [body_of(route, i) for i in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0] == {
        "event_id": "e1",
        "user_id": "u1",
        "type": "login",
        "properties": {"score": 95},
    }


def test_keyword_argument_overrides_the_same_key_in_the_body_in_either_spelling(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send({"userId": "from_body", "type": "login"}, user_id="from_kwarg")
    assert body_of(route)["user_id"] == "from_kwarg"


def test_send_fills_event_id_client_side(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send(user_id="u1", type="login")
    client.events.send(user_id="u1", type="login")
    first, second = body_of(route, 0)["event_id"], body_of(route, 1)["event_id"]
    assert isinstance(first, str) and first.startswith("evt_") and len(first) == 30
    assert first != second


def test_caller_event_id_is_kept_in_camel_case_too(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send({"eventId": "order_789", "userId": "u1", "type": "purchase"})
    assert body_of(route)["event_id"] == "order_789"


def test_datetime_values_are_sent_as_rfc3339(client: Questline, api: respx.MockRouter) -> None:
    route = api.put("/v1/sandbox/clock").respond(
        200, json={"now": "2025-01-01T00:00:00Z", "frozen": True}
    )
    clock = client.sandbox.clock.set(datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert body_of(route) == {"now": "2025-01-01T00:00:00Z"}
    assert clock.frozen is True


def test_sole_required_field_may_be_passed_positionally(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/users/u1/badges").respond(200, json=p.user_badge("first"))
    client.users.badges.award("u1", "first")
    assert body_of(route) == {"badge_id": "first"}


def test_auth_user_agent_and_json_headers(client: Questline, api: respx.MockRouter) -> None:
    route = api.get("/v1/users/u1").respond(200, json=p.user())
    client.users.retrieve("u1")
    headers = route.calls[0].request.headers
    assert headers["authorization"] == "Bearer sk_test_unit"
    assert headers["user-agent"].startswith("questline-python/")
    assert headers["accept"] == "application/json"
    assert "idempotency-key" not in headers


def test_every_post_carries_an_idempotency_key_and_a_caller_can_set_it(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send(user_id="u1", type="login")
    client.events.send(user_id="u1", type="login", idempotency_key="my-key")
    assert route.calls[0].request.headers["idempotency-key"]
    assert route.calls[1].request.headers["idempotency-key"] == "my-key"


def test_path_parameters_are_percent_encoded(client: Questline, api: respx.MockRouter) -> None:
    route = api.get(url__regex=r"/v1/users/.*").respond(200, json=p.user("a:b@c"))
    client.users.retrieve("a:b@c")
    assert route.calls[0].request.url.raw_path == b"/v1/users/a%3Ab%40c"
    assert route.call_count == 1


def test_query_parameters_skip_unset_values_and_encode_booleans(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/sandbox/reset").respond(
        200, json={"project_id": "prj_1", "kept_config": True, "now": p.NOW}
    )
    api.get("/v1/users").respond(200, json=p.user_list([]))
    client.sandbox.reset(keep_config=True)
    assert dict(route.calls[0].request.url.params) == {"keep_config": "true"}
    page = client.users.list()
    assert str(api.calls.last.request.url) == "http://questline.test/v1/users"
    assert page.data == []


def test_extra_headers_query_and_body_are_passed_through(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events").respond(200, json=p.event_result())
    client.events.send(
        user_id="u1",
        type="login",
        extra_headers={"X-Trace": "t1"},
        extra_query={"debug": "1"},
        extra_body={"experimental": True},
    )
    request = route.calls[0].request
    assert request.headers["x-trace"] == "t1"
    assert request.url.params["debug"] == "1"
    assert body_of(route)["experimental"] is True


def test_responses_parse_into_models_with_unknown_fields_kept(
    client: Questline, api: respx.MockRouter
) -> None:
    api.get("/v1/users/u1").respond(200, json=p.user(xp=1600, level=5, brand_new_field="hi"))
    user = client.users.retrieve("u1")
    assert (user.xp, user.level) == (1600, 5)
    assert user.model_dump()["brand_new_field"] == "hi"


def test_delete_returns_none(client: Questline, api: respx.MockRouter) -> None:
    api.delete("/v1/users/u1").mock(return_value=httpx.Response(204))
    assert client.users.delete("u1") is None


async def test_async_client_sends_the_same_wire_format(async_client, api: respx.MockRouter) -> None:  # type: ignore[no-untyped-def]
    route = api.post("/v1/events").respond(200, json=p.event_result())
    result = await async_client.events.send({"userId": "u1", "type": "login"})
    body = body_of(route)
    assert body["user_id"] == "u1" and str(body["event_id"]).startswith("evt_")
    assert result.event.user_id == "u1"


def test_array_query_parameters_are_repeated_or_comma_joined() -> None:
    from questline._request import encode_query

    assert encode_query({"t": ["a", "b"]}) == (("t", "a"), ("t", "b"))
    assert encode_query({"t": ["a", "b"]}, frozenset({"t"})) == (("t", "a,b"),)
