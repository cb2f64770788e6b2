"""The OpenAPI document itself: valid 3.1, complete, and shaped the way codegen and the server expect.

These tests read only `openapi.yaml`. The names they pin (tags, paths, `x-sdk-*` extensions,
schema names) are a contract with `codegen/` and the reference server, so a rename here is a
breaking change for both.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).parents[2] / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# (method, path) -> (tag, x-sdk-subresource, x-sdk-method), from DESIGN.md §1-5.
EXPECTED_OPERATIONS: dict[tuple[str, str], tuple[str, str | None, str]] = {
    ("get", "/v1/health"): ("health", None, "retrieve"),
    ("get", "/v1/users"): ("users", None, "list"),
    ("put", "/v1/users/{user_id}"): ("users", None, "upsert"),
    ("get", "/v1/users/{user_id}"): ("users", None, "retrieve"),
    ("delete", "/v1/users/{user_id}"): ("users", None, "delete"),
    ("get", "/v1/users/{user_id}/badges"): ("users", "badges", "list"),
    ("post", "/v1/users/{user_id}/badges"): ("users", "badges", "award"),
    ("get", "/v1/users/{user_id}/quests"): ("users", "quests", "list"),
    ("get", "/v1/users/{user_id}/streaks"): ("users", "streaks", "list"),
    ("get", "/v1/users/{user_id}/transactions"): ("users", "transactions", "list"),
    ("post", "/v1/users/{user_id}/transactions"): ("users", "transactions", "create"),
    ("get", "/v1/users/{user_id}/events"): ("users", "events", "list"),
    ("post", "/v1/events"): ("events", None, "send"),
    ("post", "/v1/events/batch"): ("events", None, "batch"),
    ("get", "/v1/events"): ("events", None, "list"),
    ("get", "/v1/events/{event_id}"): ("events", None, "retrieve"),
    ("get", "/v1/levels"): ("levels", None, "retrieve"),
    ("put", "/v1/levels"): ("levels", None, "upsert"),
    ("get", "/v1/leaderboards/{leaderboard_id}/rankings"): ("leaderboards", None, "rankings"),
    ("get", "/v1/leaderboards/{leaderboard_id}/rankings/{user_id}"): ("leaderboards", None, "rank"),
    ("post", "/v1/webhook_endpoints"): ("webhook_endpoints", None, "create"),
    ("get", "/v1/webhook_endpoints"): ("webhook_endpoints", None, "list"),
    ("get", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoints", None, "retrieve"),
    ("patch", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoints", None, "update"),
    ("delete", "/v1/webhook_endpoints/{endpoint_id}"): ("webhook_endpoints", None, "delete"),
    ("post", "/v1/webhook_endpoints/{endpoint_id}/rotate_secret"): (
        "webhook_endpoints",
        None,
        "rotate_secret",
    ),
    ("post", "/v1/webhook_endpoints/{endpoint_id}/test"): ("webhook_endpoints", None, "test"),
    ("get", "/v1/webhook_endpoints/{endpoint_id}/deliveries"): (
        "webhook_endpoints",
        "deliveries",
        "list",
    ),
    ("post", "/v1/webhook_endpoints/{endpoint_id}/deliveries/{message_id}/retry"): (
        "webhook_endpoints",
        "deliveries",
        "retry",
    ),
    ("get", "/v1/stream"): ("stream", None, "stream"),
    ("post", "/v1/sandbox/projects"): ("sandbox", "projects", "create"),
    ("post", "/v1/sandbox/reset"): ("sandbox", None, "reset"),
    ("get", "/v1/sandbox/clock"): ("sandbox", "clock", "retrieve"),
    ("put", "/v1/sandbox/clock"): ("sandbox", "clock", "set"),
    ("post", "/v1/sandbox/clock/advance"): ("sandbox", "clock", "advance"),
    ("post", "/v1/sandbox/faults"): ("sandbox", "faults", "create"),
    ("get", "/v1/sandbox/faults"): ("sandbox", "faults", "list"),
    ("delete", "/v1/sandbox/faults"): ("sandbox", "faults", "clear"),
    ("get", "/v1/sandbox/webhooks"): ("sandbox", "webhooks", "list"),
    ("get", "/v1/sandbox/config"): ("sandbox", "config", "export"),
    ("put", "/v1/sandbox/config"): ("sandbox", "config", "import_"),
}
DEFINITION_KINDS = {
    "currencies": "currency_id",
    "badges": "badge_id",
    "quests": "quest_id",
    "streaks": "streak_id",
    "leaderboards": "leaderboard_id",
    "rules": "rule_id",
}
for _kind, _param in DEFINITION_KINDS.items():
    EXPECTED_OPERATIONS[("get", f"/v1/{_kind}")] = (_kind, None, "list")
    for _method, _verb in (("get", "retrieve"), ("put", "upsert"), ("delete", "delete")):
        EXPECTED_OPERATIONS[(_method, f"/v1/{_kind}/{{{_param}}}")] = (_kind, None, _verb)

WEBHOOK_EVENT_TYPES = [
    "event.processed",
    "user.created",
    "user.xp.earned",
    "user.level.up",
    "user.currency.earned",
    "user.currency.spent",
    "user.badge.unlocked",
    "user.badge.progress.updated",
    "user.reward.unlocked",
    "user.quest.progressed",
    "user.quest.completed",
    "user.streak.started",
    "user.streak.updated",
    "user.streak.ended",
    "user.streak.milestone",
    "webhook.test",
]

# Schema names other code imports from the generated models.
CONTRACT_SCHEMAS = [
    *("Health", "Problem", "ProblemError", "User", "UserUpsert", "UserList", "EventUserProfile"),
    *("UserBadge", "UserBadgeList", "BadgeAward", "UserQuest", "UserQuestList", "UserStreak"),
    *("UserStreakList", "Transaction", "TransactionCreate", "TransactionList", "Event"),
    *("EventList", "EventCreate", "EventBatchCreate", "EventResult", "EventBatchEntry"),
    *("EventBatchResult", "EventDetail", "ExecutedAction", "RuleTrace", "ConditionTrace"),
    *("Effects", "XpEffect", "CurrencyEffect", "BadgeAwardedEffect", "BadgeProgressEffect"),
    *("QuestEffect", "StreakEffect", "RewardEffect", "Levels", "Level", "LevelsUpsert"),
    *("Currency", "CurrencyUpsert", "CurrencyList", "Badge", "BadgeUpsert", "BadgeList"),
    *("BadgeCriteria", "BadgeTier", "Quest", "QuestUpsert", "QuestList", "QuestStep"),
    *("EventCriteria", "Streak", "StreakUpsert", "StreakList", "StreakMilestone", "Leaderboard"),
    *("LeaderboardUpsert", "LeaderboardList", "LeaderboardMetric", "XpMetric", "CurrencyMetric"),
    *("EventCountMetric", "PropertySumMetric", "LeaderboardRankings", "RankingEntry", "UserRank"),
    *("Rule", "RuleUpsert", "RuleList", "RuleTrigger", "RuleLimits", "Condition", "AllCondition"),
    *("AnyCondition", "NotCondition", "FactCondition", "AggregateCondition", "Aggregate"),
    *("ShorthandCondition", "ConditionOperator", "Action", "GrantXpAction", "GrantCurrencyAction"),
    *("AwardBadgeAction", "ProgressBadgeAction", "ProgressQuestAction", "Amount"),
    *("ComputedAmount", "WebhookEndpoint", "WebhookEndpointCreate", "WebhookEndpointUpdate"),
    *("WebhookEndpointList", "WebhookEventType", "WebhookDelivery", "WebhookDeliveryList"),
    *("WebhookMessage", "WebhookEvent", "SandboxProject", "SandboxResetResult", "SandboxClock"),
    *("SandboxClockSet", "SandboxClockAdvance", "SandboxClockAdvanceResult", "SandboxSweep"),
    *("SandboxFaultCreate", "SandboxFaultMatch", "SandboxFault", "SandboxFaultList"),
    *("SandboxWebhookMessage", "SandboxWebhookList", "SandboxConfig"),
]

ERROR_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "404": "NotFound",
    "409": "Conflict",
    "413": "PayloadTooLarge",
    "422": "UnprocessableEntity",
    "429": "RateLimited",
    "500": "InternalError",
}


@cache
def load_spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.fixture
def spec() -> dict[str, Any]:
    return load_spec()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = resolve(spec, node["$ref"])
    return node


def walk(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    yield where, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


def schema_name(ref_holder: dict[str, Any]) -> str:
    return ref_holder["$ref"].removeprefix("#/components/schemas/")


def json_body_schema(container: dict[str, Any]) -> dict[str, Any] | None:
    content = container.get("content", {})
    media = content.get("application/json")
    return media["schema"] if media else None


def op_id(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


# ----------------------------------------------------------------------------------------------
# the document as a whole


def test_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_ref_resolves(spec: dict[str, Any]) -> None:
    broken = []
    for where, node in walk(spec):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            try:
                resolve(spec, node["$ref"])
            except (KeyError, IndexError, AssertionError):
                broken.append(f"{where}: {node['$ref']}")
    assert not broken


def test_every_schema_is_used(spec: dict[str, Any]) -> None:
    referenced = {
        node["$ref"].removeprefix("#/components/schemas/")
        for _, node in walk(spec)
        if isinstance(node, dict) and isinstance(node.get("$ref"), str)
    }
    # WebhookEvent is the union receivers verify into; nothing in the HTTP API returns it.
    unused = set(spec["components"]["schemas"]) - referenced - {"WebhookEvent"}
    assert not unused


def test_contract_schema_names_exist(spec: dict[str, Any]) -> None:
    missing = [name for name in CONTRACT_SCHEMAS if name not in spec["components"]["schemas"]]
    assert not missing


def test_no_openapi_3_0_nullable_keyword(spec: dict[str, Any]) -> None:
    assert not [
        where for where, node in walk(spec) if isinstance(node, dict) and "nullable" in node
    ]


def test_timestamps_are_date_time(spec: dict[str, Any]) -> None:
    wrong = []
    for name, schema in spec["components"]["schemas"].items():
        for prop, sub in schema.get("properties", {}).items():
            if not prop.endswith("_at"):
                continue
            sub = next((s for s in sub.get("anyOf", []) if "$ref" not in s), sub)
            if sub.get("format") != "date-time":
                wrong.append(f"{name}.{prop}")
    assert not wrong


def test_info_description_explains_the_conventions(spec: dict[str, Any]) -> None:
    text = spec["info"]["description"].lower()
    for topic in ("authorization: bearer", "problem", "idempotency-key", "cursor", "next_cursor"):
        assert topic in text, topic


# ----------------------------------------------------------------------------------------------
# operations


def test_every_expected_operation_exists_with_its_sdk_names(spec: dict[str, Any]) -> None:
    found = {
        (method, path): (op["tags"][0], op.get("x-sdk-subresource"), op["x-sdk-method"])
        for method, path, op in operations(spec)
    }
    assert found == EXPECTED_OPERATIONS


def test_every_operation_is_documented_for_the_sdk(spec: dict[str, Any]) -> None:
    declared_tags = {tag["name"] for tag in spec["tags"]}
    seen_ids: set[str] = set()
    for method, path, op in operations(spec):
        where = op_id(method, path)
        assert re.fullmatch(r"[a-z][A-Za-z0-9]*", op["operationId"]), where
        assert op["operationId"] not in seen_ids, where
        seen_ids.add(op["operationId"])
        assert op["summary"].strip(), where
        assert len(op["description"].strip()) > len(op["summary"]), where
        assert len(op["tags"]) == 1 and op["tags"][0] in declared_tags, where
        assert re.fullmatch(r"[a-z][a-z0-9_]*", op["x-sdk-method"]), where
        if "x-sdk-subresource" in op:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", op["x-sdk-subresource"]), where


def test_sdk_method_names_are_unique_per_resource(spec: dict[str, Any]) -> None:
    seen: dict[tuple[str, str | None, str], str] = {}
    for method, path, op in operations(spec):
        key = (op["tags"][0], op.get("x-sdk-subresource"), op["x-sdk-method"])
        assert key not in seen, f"{op_id(method, path)} and {seen[key]} share {key}"
        seen[key] = op_id(method, path)


def test_every_declared_tag_is_used(spec: dict[str, Any]) -> None:
    used = {op["tags"][0] for _, _, op in operations(spec)}
    assert used == {tag["name"] for tag in spec["tags"]}


def test_bearer_auth_everywhere_but_health(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    open_ops = [op_id(m, p) for m, p, op in operations(spec) if op.get("security") == []]
    assert open_ops == ["GET /v1/health"]


def test_request_and_success_bodies_use_component_schemas(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        body = op.get("requestBody")
        if body:
            assert set(body["content"]) == {"application/json"}, op_id(method, path)
            assert set(json_body_schema(body) or {}) == {"$ref"}, op_id(method, path)
        for status, response in op["responses"].items():
            if status.startswith("2") and "content" in response:
                schema = json_body_schema(response)
                if schema is not None:
                    assert set(schema) == {"$ref"}, f"{op_id(method, path)} {status}"


def test_error_responses_are_shared_problem_responses(spec: dict[str, Any]) -> None:
    components = spec["components"]["responses"]
    assert set(components) == set(ERROR_RESPONSES.values())
    for name in ERROR_RESPONSES.values():
        content = components[name]["content"]
        assert content == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
        assert "X-Request-Id" in components[name]["headers"]
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if status[0] in "45":
                assert response == {"$ref": f"#/components/responses/{ERROR_RESPONSES[status]}"}, (
                    f"{op_id(method, path)} {status}"
                )


def test_operations_list_the_errors_they_can_return(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        where = op_id(method, path)
        statuses = set(op["responses"])
        assert "500" in statuses, where
        if op.get("security") != []:
            assert {"401", "429"} <= statuses, where
        if "requestBody" in op:
            assert {"400", "413", "422"} <= statuses, where
        if "{" in path:
            assert "404" in statuses, where
        if method == "post":
            assert {"409", "422"} <= statuses, where  # idempotency key in use / reused
        if "{" not in path:
            assert "404" not in statuses, where


def test_definition_deletes_and_spends_can_conflict(spec: dict[str, Any]) -> None:
    for kind, param in DEFINITION_KINDS.items():
        assert "409" in spec["paths"][f"/v1/{kind}/{{{param}}}"]["delete"]["responses"]
    assert "409" in spec["paths"]["/v1/users/{user_id}/transactions"]["post"]["responses"]


def test_every_post_accepts_an_idempotency_key(spec: dict[str, Any]) -> None:
    param = spec["components"]["parameters"]["IdempotencyKey"]
    assert (param["name"], param["in"]) == ("Idempotency-Key", "header")
    for method, path, op in operations(spec):
        refs = [p.get("$ref") for p in op.get("parameters", [])]
        has_key = "#/components/parameters/IdempotencyKey" in refs
        assert has_key == (method == "post"), op_id(method, path)
        if method == "post":
            success = next(r for s, r in op["responses"].items() if s.startswith("2"))
            assert "Idempotent-Replayed" in success["headers"], op_id(method, path)


def test_every_success_response_carries_a_request_id(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        for status, response in op["responses"].items():
            if status.startswith("2"):
                assert "X-Request-Id" in response["headers"], f"{op_id(method, path)} {status}"


def test_path_parameters_are_declared_and_ids_have_patterns(spec: dict[str, Any]) -> None:
    patterns = {
        "user_id": r"^[A-Za-z0-9_.:@-]{1,128}$",
        **dict.fromkeys(DEFINITION_KINDS.values(), r"^[a-z0-9][a-z0-9_-]{0,63}$"),
    }
    for method, path, op in operations(spec):
        params = [deref(spec, p) for p in op.get("parameters", [])]
        in_path = {p["name"]: p for p in params if p["in"] == "path"}
        assert set(in_path) == set(re.findall(r"{(\w+)}", path)), op_id(method, path)
        for name, param in in_path.items():
            assert param["required"] is True
            if name in patterns:
                assert param["schema"]["pattern"] == patterns[name], op_id(method, path)


def test_deletes_return_204_without_a_body(spec: dict[str, Any]) -> None:
    for method, path, op in operations(spec):
        if method == "delete":
            assert "content" not in op["responses"]["204"], op_id(method, path)


# ----------------------------------------------------------------------------------------------
# pagination


def test_list_schemas_have_the_pagination_trio(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in [n for n in schemas if n.endswith("List")] + ["LeaderboardRankings"]:
        schema = schemas[name]
        assert "allOf" not in schema, name
        assert {"data", "has_more", "next_cursor"} <= set(schema["required"]), name
        props = schema["properties"]
        assert props["data"]["type"] == "array", name
        assert props["has_more"]["type"] == "boolean", name
        assert props["next_cursor"]["type"] == ["string", "null"], name


def test_paginated_operations_are_marked_and_take_limit_and_cursor(spec: dict[str, Any]) -> None:
    limit = spec["components"]["parameters"]["Limit"]
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert spec["components"]["parameters"]["Cursor"]["schema"]["type"] == "string"
    for method, path, op in operations(spec):
        success = json_body_schema(op["responses"].get("200", {}))
        returns_page = success is not None and (
            schema_name(success).endswith("List") or schema_name(success) == "LeaderboardRankings"
        )
        refs = {p.get("$ref") for p in op.get("parameters", [])}
        paged = {"#/components/parameters/Limit", "#/components/parameters/Cursor"} <= refs
        assert op.get("x-sdk-paginated", False) == returns_page == paged, op_id(method, path)


# ----------------------------------------------------------------------------------------------
# links


def test_create_and_upsert_operations_link_to_a_read_operation(spec: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    siblings: dict[tuple[str, str | None], dict[str, str]] = {}
    for _, _, op in operations(spec):
        key = (op["tags"][0], op.get("x-sdk-subresource"))
        siblings.setdefault(key, {})[op["x-sdk-method"]] = op["operationId"]
    for method, path, op in operations(spec):
        if op["x-sdk-method"] not in {"create", "upsert", "send", "award", "set", "import_"}:
            continue
        family = siblings[(op["tags"][0], op.get("x-sdk-subresource"))]
        reader = family.get("retrieve") or family.get("list") or family.get("export")
        if reader is None:
            continue  # e.g. sandbox projects: nothing to read back
        links = [
            link
            for status, response in op["responses"].items()
            if status.startswith("2")
            for link in response.get("links", {}).values()
        ]
        assert reader in {link["operationId"] for link in links}, op_id(method, path)
        for link in links:
            target = by_id[link["operationId"]]
            target_params = {
                deref(spec, p)["name"] for p in target.get("parameters", []) if "$ref" in p
            }
            assert set(link.get("parameters", {})) <= target_params, op_id(method, path)


def test_links_named_in_the_design(spec: dict[str, Any]) -> None:
    def link_params(path: str, method: str, target: str) -> dict[str, str]:
        responses = spec["paths"][path][method]["responses"]
        for response in responses.values():
            for link in response.get("links", {}).values():
                if link["operationId"] == target:
                    return link.get("parameters", {})
        raise AssertionError(f"{method} {path} has no link to {target}")

    assert link_params("/v1/users/{user_id}", "put", "usersRetrieve") == {
        "user_id": "$request.path.user_id"
    }
    assert link_params("/v1/webhook_endpoints", "post", "webhookEndpointsRetrieve") == {
        "endpoint_id": "$response.body#/id"
    }
    assert link_params("/v1/events", "post", "eventsRetrieve") == {
        "event_id": "$response.body#/event/id"
    }


# ----------------------------------------------------------------------------------------------
# schemas


def request_body_schemas(spec: dict[str, Any]) -> set[str]:
    names = set()
    for _, _, op in operations(spec):
        body = op.get("requestBody")
        if body:
            names.add(schema_name(json_body_schema(body) or {}))
    return names


def test_request_bodies_reject_unknown_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in request_body_schemas(spec):
        assert schemas[name].get("additionalProperties") is False, name


def test_response_only_schemas_stay_open_for_new_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for _, _, op in operations(spec):
        for status, response in op["responses"].items():
            schema = json_body_schema(response) if status.startswith("2") else None
            if schema is None:
                continue
            name = schema_name(schema)
            if name not in request_body_schemas(spec):
                assert "additionalProperties" not in schemas[name], name


def test_free_form_objects_allow_any_keys(spec: dict[str, Any]) -> None:
    for where, node in walk(spec["components"]["schemas"]):
        if where.endswith(("/properties/properties", "/properties/traits", "/properties/metadata")):
            assert node["type"] == "object" and node["additionalProperties"] is True, where


def discriminated_variants(spec: dict[str, Any], union: str) -> dict[str, str]:
    schema = spec["components"]["schemas"][union]
    assert schema["discriminator"]["propertyName"] == "type"
    mapping = schema["discriminator"]["mapping"]
    assert sorted(mapping.values()) == sorted(v["$ref"] for v in schema["oneOf"])
    return {value: ref.removeprefix("#/components/schemas/") for value, ref in mapping.items()}


@pytest.mark.parametrize("union", ["Action", "LeaderboardMetric", "WebhookEvent"])
def test_discriminated_unions_pin_type_to_their_mapping_key(
    spec: dict[str, Any], union: str
) -> None:
    for value, variant in discriminated_variants(spec, union).items():
        schema = spec["components"]["schemas"][variant]
        assert "type" in schema["required"], variant
        type_schema = schema["properties"]["type"]
        assert type_schema.get("const", (type_schema.get("enum") or [None])[0]) == value


def test_actions_are_the_five_of_the_design(spec: dict[str, Any]) -> None:
    assert set(discriminated_variants(spec, "Action")) == {
        "grant_xp",
        "grant_currency",
        "award_badge",
        "progress_badge",
        "progress_quest",
    }


def test_condition_variants_are_closed_and_keyed(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    keys = {
        "AllCondition": "all",
        "AnyCondition": "any",
        "NotCondition": "not",
        "FactCondition": "fact",
        "AggregateCondition": "aggregate",
        "ShorthandCondition": "type",
    }
    assert [schema_name(v) for v in schemas["Condition"]["oneOf"]] == list(keys)
    for name, key in keys.items():
        assert schemas[name]["additionalProperties"] is False, name
        assert key in schemas[name]["required"], name
    operators = schemas["ConditionOperator"]["enum"]
    assert len(operators) == 14
    shorthand = schemas["ShorthandConditionType"]["enum"]
    assert shorthand == [f"property_{op}" for op in operators]


def test_every_webhook_event_type_has_an_entry_and_a_mapping(spec: dict[str, Any]) -> None:
    assert list(spec["webhooks"]) == WEBHOOK_EVENT_TYPES
    mapping = discriminated_variants(spec, "WebhookEvent")
    assert list(mapping) == WEBHOOK_EVENT_TYPES
    for event_type, item in spec["webhooks"].items():
        body = json_body_schema(item["post"]["requestBody"]) or {}
        assert schema_name(body) == mapping[event_type], event_type
        schema = spec["components"]["schemas"][mapping[event_type]]
        assert {"id", "type", "created_at", "project_id", "data"} <= set(schema["required"])
        data = deref(spec, schema["properties"]["data"])
        if event_type.startswith("user."):
            assert "user_id" in data["required"], event_type
    subscribable = spec["components"]["schemas"]["WebhookEventType"]["enum"]
    assert subscribable == [*WEBHOOK_EVENT_TYPES, "*"]


def test_effects_sections_are_always_present(spec: dict[str, Any]) -> None:
    effects = spec["components"]["schemas"]["Effects"]
    assert set(effects["required"]) == set(effects["properties"])


def test_config_entries_are_upserts_plus_id(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for kind in ("Currency", "Badge", "Quest", "Streak", "Leaderboard", "Rule"):
        upsert, entry = schemas[f"{kind}Upsert"], schemas[f"{kind}ConfigEntry"]
        assert entry["properties"] == {
            "id": entry["properties"]["id"],
            **upsert["properties"],
        }, kind
        assert set(entry["required"]) == {"id", *upsert.get("required", [])}, kind
    create = schemas["WebhookEndpointCreate"]["properties"]
    entry = schemas["WebhookEndpointConfigEntry"]["properties"]
    assert {k: v for k, v in entry.items() if k not in {"id", "secret"}} == create


# ----------------------------------------------------------------------------------------------
# example documents against the schemas (JSON Schema 2020-12)


@cache
def registry() -> Registry:
    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    return Registry().with_resource("urn:questline:openapi", resource)


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(
        {"$ref": f"urn:questline:openapi#/components/schemas/{name}"}, registry=registry()
    )


def matching_variants(spec: dict[str, Any], union: str, instance: Any) -> list[str]:
    variants = [schema_name(v) for v in spec["components"]["schemas"][union]["oneOf"]]
    return [v for v in variants if validator(v).is_valid(instance)]


@pytest.mark.parametrize(
    ("condition", "variant"),
    [
        ({"all": []}, "AllCondition"),
        ({"any": [{"fact": "user.level", "operator": "gte", "value": 5}]}, "AnyCondition"),
        ({"not": {"fact": "user.badges", "operator": "contains", "value": "x"}}, "NotCondition"),
        ({"fact": "properties.cart.total", "operator": "gt", "value": 10}, "FactCondition"),
        ({"fact": "user.traits.plan", "operator": "exists"}, "FactCondition"),
        (
            {"fact": "user.event_count.lesson_completed", "operator": "eq", "value": 3},
            "FactCondition",
        ),
        (
            {
                "aggregate": {
                    "event_type": "purchase_completed",
                    "function": "count",
                    "window_seconds": 604800,
                },
                "operator": "gte",
                "value": 3,
            },
            "AggregateCondition",
        ),
        ({"type": "property_gte", "property": "score", "value": 80}, "ShorthandCondition"),
    ],
)
def test_each_condition_matches_exactly_one_variant(
    spec: dict[str, Any], condition: dict[str, Any], variant: str
) -> None:
    assert matching_variants(spec, "Condition", condition) == [variant]
    assert validator("Condition").is_valid(condition)


@pytest.mark.parametrize(
    "condition",
    [
        {"fact": "user.password", "operator": "eq", "value": 1},
        {"fact": "properties.x", "operator": "between", "value": 1},
        {"all": [], "any": []},
        {"type": "property_between", "property": "x", "value": 1},
        {
            "aggregate": {"event_type": "x", "function": "avg", "window_seconds": 1},
            "operator": "eq",
            "value": 1,
        },
    ],
)
def test_malformed_conditions_match_no_variant(
    spec: dict[str, Any], condition: dict[str, Any]
) -> None:
    assert not validator("Condition").is_valid(condition)


def test_rule_with_computed_amount_validates() -> None:
    rule = {
        "name": "Points per euro",
        "trigger": {"event_type": "purchase_completed"},
        "conditions": {"type": "property_gte", "property": "amount", "value": 1},
        "actions": [
            {"type": "grant_xp", "amount": {"from": "properties.amount", "multiply": 0.1}},
            {"type": "grant_currency", "currency": "coins", "amount": 5},
            {"type": "progress_quest", "quest_id": "onboarding"},
        ],
        "limits": {"cooldown_seconds": 60},
    }
    assert not list(validator("RuleUpsert").iter_errors(rule))
    assert not validator("RuleUpsert").is_valid({**rule, "actions": []})
    assert not validator("RuleUpsert").is_valid({**rule, "surprise": True})


def test_event_create_validates_and_rejects_unknown_fields() -> None:
    event = {
        "event_id": "order_789",
        "user_id": "u1",
        "type": "purchase_completed",
        "properties": {"amount": 250, "nested": {"any": ["thing"]}},
        "occurred_at": "2025-03-14T09:26:53Z",
        "user": {"timezone": "Europe/Paris", "traits": {"plan": "pro"}},
    }
    assert not list(validator("EventCreate").iter_errors(event))
    assert not validator("EventCreate").is_valid({**event, "userId": "u1"})
    assert not validator("EventCreate").is_valid({**event, "type": "Purchase Completed"})
    assert not validator("EventCreate").is_valid({**event, "user_id": "has space"})
    batch = {"events": [event] * 501}
    assert not validator("EventBatchCreate").is_valid(batch)


def test_transaction_amount_must_be_non_zero() -> None:
    assert validator("TransactionCreate").is_valid({"currency": "coins", "amount": -25})
    assert not validator("TransactionCreate").is_valid({"currency": "coins", "amount": 0})
    assert not validator("TransactionCreate").is_valid({"currency": "coins", "amount": 1.5})


def test_design_example_event_result_validates() -> None:
    result = {
        "event": {
            "id": "evt_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
            "event_id": "order_789",
            "user_id": "u1",
            "type": "purchase_completed",
            "properties": {},
            "occurred_at": "2025-03-14T09:26:53Z",
            "received_at": "2025-03-14T09:26:53Z",
            "status": "processed",
        },
        "replayed": False,
        "effects": {
            "xp": {"granted": 100, "total": 1600, "level": 5, "level_ups": [5]},
            "currencies": [{"currency": "coins", "amount": 25, "balance": 125}],
            "badges_awarded": [{"badge_id": "first_purchase", "tier": None}],
            "badge_progress": [{"badge_id": "ten_lessons", "progress": 4, "target": 10}],
            "quests": [
                {
                    "quest_id": "onboarding",
                    "step_id": "first_lesson",
                    "progress": 1,
                    "target": 1,
                    "quest_completed": False,
                }
            ],
            "streaks": [
                {
                    "streak_id": "daily_login",
                    "status": "extended",
                    "count": 7,
                    "milestone": 7,
                    "freezes_used": 0,
                }
            ],
            "rewards": [
                {"source": "badge:first_purchase", "actions": [{"type": "grant_xp", "amount": 50}]}
            ],
            "rules_triggered": ["lesson-completion-reward"],
        },
    }
    assert not list(validator("EventResult").iter_errors(result))


def test_webhook_envelope_validates_against_the_union(spec: dict[str, Any]) -> None:
    message = {
        "id": "msg_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
        "type": "user.badge.unlocked",
        "created_at": "2025-03-14T09:26:53Z",
        "project_id": "prj_1",
        "data": {
            "user_id": "u1",
            "badge_id": "first_purchase",
            "tier": None,
            "award_count": 1,
            "event_id": "evt_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
        },
    }
    assert matching_variants(spec, "WebhookEvent", message) == ["UserBadgeUnlockedWebhookEvent"]


# ----------------------------------------------------------------------------------------------
# the model generator accepts the document


def find_datamodel_codegen() -> str | None:
    beside_python = Path(sys.executable).with_name("datamodel-codegen")
    return shutil.which("datamodel-codegen") or (
        str(beside_python) if beside_python.exists() else None
    )


@pytest.mark.skipif(find_datamodel_codegen() is None, reason="datamodel-codegen not installed")
def test_datamodel_codegen_generates_importable_models(tmp_path: Path) -> None:
    exe = find_datamodel_codegen()
    assert exe is not None
    out = tmp_path / "questline_models.py"
    subprocess.run(
        [
            exe,
            "--input",
            str(SPEC_PATH),
            "--input-file-type",
            "openapi",
            "--output",
            str(out),
            "--output-model-type",
            "pydantic_v2.BaseModel",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    spec_ = importlib.util.spec_from_file_location("questline_models", out)
    assert spec_ is not None and spec_.loader is not None
    models = importlib.util.module_from_spec(spec_)
    sys.modules["questline_models"] = models
    try:
        spec_.loader.exec_module(models)
        for name in CONTRACT_SCHEMAS:
            assert hasattr(models, name), name
        action = models.Action.model_validate({"type": "award_badge", "badge_id": "b1"})
        assert type(action.root).__name__ == "AwardBadgeAction"
        with pytest.raises(ValueError):
            models.EventCreate.model_validate({"user_id": "u1", "type": "x", "bogus": 1})
    finally:
        del sys.modules["questline_models"]
