"""The SDK and the spec agree: every operation has its generated method, and the request
each method sends (method, path, query, JSON body, idempotency key) is one the spec allows.

Requests are captured with respx (the SDK never reaches a server) and checked against
openapi.yaml with a JSON Schema validator, not with the SDK's own models.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import questline
import respx
from openapi_schema_validator import OAS31Validator

from tests.conformance.spec_walk import operations
from tests.support.spec import SPEC_URI, _registry, find_operation, spec

BASE_URL = "http://questline.test"

# One representative, valid body per request schema.
BODIES: dict[str, dict[str, Any]] = {
    "UserUpsert": {"display_name": "Ada", "timezone": "Europe/Paris", "traits": {"plan": "pro"}},
    "BadgeAward": {"badge_id": "first_purchase"},
    "TransactionCreate": {"currency": "coins", "amount": -25, "reason": "shop"},
    "EventCreate": {
        "user_id": "u1",
        "type": "lesson_completed",
        "properties": {"score": 95},
        "occurred_at": "2026-03-02T09:00:00Z",
        "user": {"timezone": "Europe/Paris"},
    },
    "EventBatchCreate": {"events": [{"user_id": "u1", "type": "login"}]},
    "LevelsUpsert": {"levels": [{"level": 1, "min_xp": 0}, {"level": 2, "min_xp": 100}]},
    "CurrencyUpsert": {"name": "Coins"},
    "BadgeUpsert": {"name": "First", "criteria": {"event_type": "purchase_completed"}},
    "QuestUpsert": {"steps": [{"id": "first_lesson", "target": 1}], "ordered": True},
    "StreakUpsert": {"period": "day", "criteria": {"event_type": "login"}},
    "LeaderboardUpsert": {"metric": {"type": "xp"}, "period": "week"},
    "RuleUpsert": {
        "trigger": {"event_type": "lesson_completed"},
        "conditions": {"type": "property_gte", "property": "score", "value": 80},
        "actions": [{"type": "grant_xp", "amount": {"from": "properties.score", "multiply": 2}}],
    },
    "WebhookEndpointCreate": {"url": "https://example.com/hook", "event_types": ["*"]},
    "WebhookEndpointUpdate": {"enabled": False},
    "SandboxClockSet": {"now": "2026-03-02T09:00:00Z"},
    "SandboxClockAdvance": {"seconds": 86400},
    "SandboxFaultCreate": {"match": {"method": "POST", "path": "/v1/events"}, "status": 503},
    "SandboxConfig": {"currencies": [{"id": "coins", "name": "Coins"}]},
}
PATH_VALUES = {
    "user_id": "u1",
    "event_id": "evt_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
    "endpoint_id": "whe_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
    "message_id": "msg_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
}
OPERATIONS = sorted(operations(), key=lambda op: op[2]["operationId"])


def sdk_method(client: questline.Questline, operation: dict[str, Any]) -> Callable[..., Any]:
    """The generated method for an operation, found by its tag and ``x-sdk-*`` names."""
    tag = operation["tags"][0]
    target: Any = client
    if tag != "stream":
        target = getattr(client, tag)
    if operation.get("x-sdk-subresource"):
        target = getattr(target, operation["x-sdk-subresource"])
    name = operation["x-sdk-method"]
    if tag == "stream":
        name = "stream"
    method = getattr(target, name)
    assert callable(method), operation["operationId"]
    return method  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "operation", [op for _, _, op in OPERATIONS], ids=[op["operationId"] for _, _, op in OPERATIONS]
)
def test_every_operation_has_a_generated_sdk_method(operation: dict[str, Any]) -> None:
    with questline.Questline(api_key="sk_test_x", base_url=BASE_URL) as client:
        sdk_method(client, operation)
    with_async = questline.AsyncQuestline(api_key="sk_test_x", base_url=BASE_URL)
    sdk_method(with_async, operation)  # type: ignore[arg-type]


def request_schema(operation: dict[str, Any]) -> str | None:
    body = operation.get("requestBody")
    if body is None:
        return None
    ref: str = body["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def call(method: Callable[..., Any], path: str, operation: dict[str, Any]) -> None:
    args = [PATH_VALUES.get(name, "first_purchase") for name in re.findall(r"\{(\w+)\}", path)]
    schema = request_schema(operation)
    kwargs: dict[str, Any] = {}
    if schema is not None:
        body = BODIES[schema]
        if "body" in inspect.signature(method).parameters:
            kwargs["body"] = body
        else:
            kwargs.update(body)
    result = method(*args, **kwargs)
    if operation["x-sdk-method"] == "list" or operation.get("x-sdk-paginated"):
        next(iter(result), None)  # a paginator sends on iteration
    elif operation["tags"][0] == "stream":
        next(iter(result), None)


@pytest.mark.parametrize(
    ("method_name", "path", "operation"),
    OPERATIONS,
    ids=[op["operationId"] for _, _, op in OPERATIONS],
)
def test_the_request_each_sdk_method_sends_validates_against_the_spec(
    method_name: str, path: str, operation: dict[str, Any]
) -> None:
    sent: list[httpx.Request] = []

    def capture(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(418, json={"title": "captured"})

    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        mock.route().mock(side_effect=capture)
        client = questline.Questline(api_key="sk_test_x", base_url=BASE_URL, max_retries=0)
        with client, pytest.raises(questline.APIStatusError):
            call(sdk_method(client, operation), path, operation)

    assert len(sent) == 1, operation["operationId"]
    request = sent[0]
    found = find_operation(request.method, request.url.path)
    assert found is not None and found.definition is operation, (request.method, request.url)
    assert request.headers["Authorization"] == "Bearer sk_test_x"
    declared = {p.get("name") for p in _parameters(operation) if p.get("in") == "query"}
    assert set(request.url.params) <= declared, request.url
    schema = request_schema(operation)
    if schema is None:
        assert not request.content, operation["operationId"]
    else:
        assert request.headers["Content-Type"].startswith("application/json")
        document = httpx.Response(200, content=request.content).json()
        validator = OAS31Validator(
            {"$ref": f"{SPEC_URI}#/components/schemas/{schema}"}, registry=_registry()
        )
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]
        assert not errors, f"{operation['operationId']} sent {document}: {errors}"
    if method_name == "post":
        assert request.headers.get("Idempotency-Key"), operation["operationId"]


def _parameters(operation: dict[str, Any]) -> list[dict[str, Any]]:
    named = spec()["components"]["parameters"]
    return [
        named[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
        for p in operation.get("parameters", [])
    ]
