"""Bad input raises questline.ValidationError before anything is sent."""

from __future__ import annotations

import pytest
import respx
from questline import AsyncQuestline, Questline, QuestlineError, ValidationError


@pytest.fixture
def nothing_sent(api: respx.MockRouter) -> respx.MockRouter:
    api.route().respond(500)
    return api


def test_missing_required_field(client: Questline, nothing_sent: respx.MockRouter) -> None:
    with pytest.raises(ValidationError) as info:
        client.events.send(user_id="u1")  # no type
    assert nothing_sent.calls.call_count == 0
    assert info.value.errors[0]["loc"] == ["type"]
    assert "type" in str(info.value)


def test_unknown_field_is_rejected(client: Questline, nothing_sent: respx.MockRouter) -> None:
    with pytest.raises(ValidationError) as info:
        client.events.send({"user_id": "u1", "type": "login", "colour": "red"})
    assert nothing_sent.calls.call_count == 0
    assert info.value.errors[0]["type"] == "extra_forbidden"


def test_pattern_violation_names_the_field_in_snake_case(
    client: Questline, nothing_sent: respx.MockRouter
) -> None:
    with pytest.raises(ValidationError) as info:
        client.events.send({"userId": "u1", "type": "Not Snake Case"})
    assert info.value.errors[0]["loc"] == ["type"]
    assert nothing_sent.calls.call_count == 0


def test_wrong_type_in_nested_model(client: Questline, nothing_sent: respx.MockRouter) -> None:
    with pytest.raises(ValidationError):
        client.users.transactions.create("u1", currency="coins", amount="lots")  # type: ignore[arg-type]
    assert nothing_sent.calls.call_count == 0


def test_empty_path_parameter(client: Questline, nothing_sent: respx.MockRouter) -> None:
    with pytest.raises(ValidationError):
        client.users.retrieve("")
    assert nothing_sent.calls.call_count == 0


def test_parameters_are_checked_against_the_spec(
    client: Questline, nothing_sent: respx.MockRouter
) -> None:
    with pytest.raises(ValidationError) as info:
        client.users.list(limit=1000)
    assert info.value.errors == [
        {"loc": ["limit"], "message": "must be <= 100", "type": "parameter"}
    ]
    with pytest.raises(ValidationError, match="user_id"):
        client.users.retrieve("no spaces/or slashes")
    assert nothing_sent.calls.call_count == 0


def test_body_of_the_wrong_shape(client: Questline, nothing_sent: respx.MockRouter) -> None:
    with pytest.raises(ValidationError):
        client.events.send(42)  # type: ignore[arg-type]
    assert nothing_sent.calls.call_count == 0


def test_validation_error_is_a_questline_error_and_a_value_error() -> None:
    assert issubclass(ValidationError, QuestlineError)
    assert issubclass(ValidationError, ValueError)


def test_invalid_batch_sends_no_chunk(client: Questline, nothing_sent: respx.MockRouter) -> None:
    events = [{"user_id": "u1", "type": "ok"}] * 600 + [{"user_id": "u1"}]
    with pytest.raises(ValidationError) as info:
        client.events.send_batch(events)
    assert info.value.errors[0]["loc"][:2] == ["events", 600]
    assert nothing_sent.calls.call_count == 0


async def test_async_validation_happens_before_any_request(
    async_client: AsyncQuestline, nothing_sent: respx.MockRouter
) -> None:
    with pytest.raises(ValidationError):
        await async_client.events.send(user_id="u1")
    assert nothing_sent.calls.call_count == 0


def test_a_union_mistake_is_one_error_at_the_field_as_the_server_names_it(
    client: Questline, nothing_sent: respx.MockRouter
) -> None:
    """Not every member's errors under its class name: the closest member's, at keys the
    caller sent (camelCase ones named in snake_case, as the server's 422 names them)."""
    conditions = {
        "all": [
            {"fact": "properties.a", "operator": "gt", "value": 1},
            {"aggregate": {"eventType": "x", "function": "count", "windowSeconds": 0}},
        ]
    }
    with pytest.raises(ValidationError) as info:
        client.rules.upsert(
            "r1",
            trigger={"eventType": "x"},
            conditions=conditions,
            actions=[{"type": "grant_xp", "amount": {"from": "nowhere"}}],
        )
    assert nothing_sent.calls.call_count == 0
    assert [(e["loc"], e["type"]) for e in info.value.errors] == [
        (["conditions", "all", 1, "aggregate", "window_seconds"], "greater_than_equal"),
        (["conditions", "all", 1, "operator"], "missing"),
        (["actions", 0, "amount", "from"], "string_pattern_mismatch"),
    ]
    assert "AllCondition" not in str(info.value) and "from_" not in str(info.value)
