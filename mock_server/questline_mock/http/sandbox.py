"""Tag ``sandbox``: test controls acting on the caller's project."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from questline import types as t

from ..backend import sandbox, webhooks
from ..backend.config_io import export_config
from ..sandbox import faults
from ..sandbox.clock import ClockRangeError
from . import pagination
from .context import backend, json_response, scope
from .parsing import parse_body, query_bool, wire
from .problems import ValidationProblem, field_error
from .webhook_endpoints import problem_for

bp = Blueprint("sandbox", __name__)


@bp.post("/v1/sandbox/projects")
def projects_create() -> Response:
    project = backend().create_project()
    return json_response({"project_id": project.id, "api_key": project.api_key}, status=201)


@bp.post("/v1/sandbox/reset")
def reset() -> Response:
    faults.registry_of(current_app).clear(scope().project.id)
    return json_response(sandbox.reset(scope(), query_bool("keep_config")))


@bp.get("/v1/sandbox/clock")
def clock_retrieve() -> Response:
    return json_response(sandbox.clock_json(scope()))


@bp.put("/v1/sandbox/clock")
def clock_set() -> Response:
    body = parse_body(t.SandboxClockSet)
    try:
        return json_response(sandbox.set_clock(scope(), body.now))
    except ClockRangeError as exc:
        raise ValidationProblem([field_error(["body", "now"], str(exc))]) from None


@bp.post("/v1/sandbox/clock/advance")
def clock_advance() -> Response:
    body = parse_body(t.SandboxClockAdvance)
    try:
        return json_response(sandbox.advance_clock(scope(), body.seconds))
    except ClockRangeError as exc:
        raise ValidationProblem([field_error(["body", "seconds"], str(exc))]) from None


@bp.get("/v1/sandbox/webhooks")
def webhooks_list() -> Response:
    limit, cursor = pagination.params("sandbox_webhooks")
    try:
        page = webhooks.sandbox_messages_page(scope(), limit, cursor)
    except webhooks.WebhookError as exc:
        raise problem_for(exc) from None
    return json_response(pagination.body("sandbox_webhooks", page, dict))


@bp.post("/v1/sandbox/faults")
def faults_create() -> Response:
    body = wire(parse_body(t.SandboxFaultCreate))
    now = scope().now()
    fault_id = backend().ids.new("flt", now)
    fault = faults.registry_of(current_app).add(scope().project.id, fault_id, body, now)
    return json_response(fault.to_json(), status=201)


@bp.get("/v1/sandbox/faults")
def faults_list() -> Response:
    limit, cursor = pagination.params("sandbox_faults")
    active = faults.registry_of(current_app).list(scope().project.id)
    page = faults.page(active, limit, cursor)
    return json_response(pagination.body("sandbox_faults", page, faults.Fault.to_json))


@bp.delete("/v1/sandbox/faults")
def faults_clear() -> Response:
    faults.registry_of(current_app).clear(scope().project.id)
    return Response(status=204)


@bp.get("/v1/sandbox/config")
def config_export() -> Response:
    return json_response(export_config(scope()))


@bp.put("/v1/sandbox/config")
def config_import() -> Response:
    document = wire(parse_body(t.SandboxConfig))
    return json_response(sandbox.import_config(scope(), document))
