"""The intermediate model: resources by tag, sub-resources, operations and their types."""

from __future__ import annotations

import pytest
from codegen_testdata import SAMPLE_SPEC, SPEC

from codegen.ir import Api, Operation, TypeRef
from codegen.parse import SpecError, load_api, parse_api


@pytest.fixture(scope="module")
def sample() -> Api:
    return load_api(SAMPLE_SPEC)


def op(api: Api, path: str, name: str) -> Operation:
    for resource in api.resources:
        for r in resource.walk():
            if ".".join(r.path) == path:
                return next(o for o in r.operations if o.name == name)
    raise AssertionError(f"no {path}.{name}")


def test_one_resource_per_tag_in_tag_order(sample: Api) -> None:
    assert [r.name for r in sample.resources] == ["events", "users", "sandbox", "stream"]
    assert sample.resources[0].description == "What users do."


def test_sub_resources_nest_under_their_tag(sample: Api) -> None:
    users = sample.resources[1]
    assert [s.path for s in users.subresources] == [("users", "transactions")]
    assert [o.name for o in users.operations] == ["list", "retrieve", "upsert", "delete"]


def test_operation_shape(sample: Api) -> None:
    create = op(sample, "users.transactions", "create")
    assert (create.http_method, create.path, create.success_status) == (
        "POST",
        "/v1/users/{user_id}/transactions",
        201,
    )
    assert [p.name for p in create.path_params] == ["user_id"]
    assert create.body is not None and create.body.schema == "TransactionCreate"
    assert create.body.closed
    assert [(f.name, f.required) for f in create.body.fields] == [
        ("currency", True),
        ("amount", True),
        ("reason", False),
        ("metadata", False),
    ]
    assert create.response == TypeRef("ref", name="Transaction", ref_kind="object")
    assert create.error_statuses == (409,)
    assert create.summary == "Credit or debit a balance"


def test_pagination_and_item_type(sample: Api) -> None:
    listing = op(sample, "users", "list")
    assert listing.paginated
    assert listing.page_item == TypeRef("ref", name="User", ref_kind="object")
    assert [p.name for p in listing.query_params] == ["limit", "cursor"]


def test_streaming_operation(sample: Api) -> None:
    stream = op(sample, "stream", "stream")
    assert stream.is_stream and stream.response is None
    assert stream.stream_item is not None and stream.stream_item.name == "WebhookEvent"
    assert stream.query_params[1].type.kind == "array" and not stream.query_params[1].explode


def test_types_of_fields(sample: Api) -> None:
    send = op(sample, "events", "send")
    assert send.body is not None
    types = {f.name: f.type for f in send.body.fields}
    assert types["occurred_at"].kind == "datetime"
    assert types["properties"] == TypeRef("map", items=TypeRef("any"))
    assert types["user"].ref_kind == "object"
    assert sample.schemas["Condition"].kind == "union"
    assert sample.schemas["Operator"].kind == "enum"


def test_no_content_response(sample: Api) -> None:
    delete = op(sample, "users", "delete")
    assert delete.success_status == 204 and delete.response is None


def test_method_name_defaults_to_snake_case_operation_id() -> None:
    spec = {
        "paths": {
            "/v1/x": {
                "get": {"operationId": "getThings", "tags": ["things"], "responses": {"204": {}}}
            }
        }
    }
    assert parse_api(spec).resources[0].operations[0].name == "get_things"


def test_spec_errors_name_the_operation() -> None:
    untagged = {"paths": {"/v1/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(SpecError, match="GET /v1/x"):
        parse_api(untagged)


def test_the_real_spec_covers_the_design() -> None:
    api = load_api(SPEC)
    names = {".".join([*o.resource_path, o.name]) for o in api.operations()}
    for expected in [
        "events.send",
        "events.batch",
        "events.list",
        "events.retrieve",
        "users.list",
        "users.transactions.create",
        "users.badges.award",
        "users.streaks.list",
        "leaderboards.rankings",
        "leaderboards.rank",
        "sandbox.projects.create",
        "sandbox.clock.set",
        "sandbox.clock.advance",
        "sandbox.faults.create",
        "sandbox.webhooks.list",
        "sandbox.config.export",
        "sandbox.config.import_",
        "sandbox.reset",
        "stream.stream",
    ]:
        assert expected in names
    assert len(api.webhooks) == 16


def test_parameter_constraints_are_kept(sample: Api) -> None:
    limit = op(sample, "users", "list").query_params[0]
    assert limit.constraints == (("maximum", 100), ("minimum", 1))
    user_id = op(sample, "users", "retrieve").path_params[0]
    assert user_id.constraints == (("pattern", "^[A-Za-z0-9_.:@-]{1,128}$"),)
