"""Tag ``sandbox``: test controls acting on the caller's project."""

from __future__ import annotations

from flask import Blueprint, Response
from questline import types as t

from ..backend import sandbox
from .context import backend, json_response, scope
from .parsing import parse_body, query_bool

bp = Blueprint("sandbox", __name__)


@bp.post("/v1/sandbox/projects")
def projects_create() -> Response:
    project = backend().create_project()
    return json_response({"project_id": project.id, "api_key": project.api_key}, status=201)


@bp.post("/v1/sandbox/reset")
def reset() -> Response:
    return json_response(sandbox.reset(scope(), query_bool("keep_config")))


@bp.get("/v1/sandbox/clock")
def clock_retrieve() -> Response:
    return json_response(sandbox.clock_json(scope()))


@bp.put("/v1/sandbox/clock")
def clock_set() -> Response:
    body = parse_body(t.SandboxClockSet)
    return json_response(sandbox.set_clock(scope(), body.now))


@bp.post("/v1/sandbox/clock/advance")
def clock_advance() -> Response:
    body = parse_body(t.SandboxClockAdvance)
    return json_response(sandbox.advance_clock(scope(), body.seconds))
