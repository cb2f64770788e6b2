"""``create_app(config)``: wiring only. Builds the backend, registers one blueprint per
spec tag, and installs the cross-cutting hooks (request ids, auth, sandbox faults,
idempotency, problem+json errors)."""

from __future__ import annotations

import logging
import secrets
import threading

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter

from .backend import Backend, config_io
from .config import ServerConfig
from .http import errors, idempotency
from .http.blueprints import BLUEPRINTS
from .http.problems import ApiProblem, problem_response
from .http.stream import STREAM_SLOTS
from .sandbox import faults

log = logging.getLogger("questline_mock")

OPEN_ENDPOINTS = {"health.retrieve", "static"}


def create_app(config: ServerConfig | None = None, *, backend: Backend | None = None) -> Flask:
    config = config or ServerConfig()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    state = backend or Backend(config)
    app.extensions["questline"] = state
    if config.max_streams is not None:
        app.extensions[STREAM_SLOTS] = threading.BoundedSemaphore(config.max_streams)
    in_flight = idempotency.InFlight()

    app.url_map.converters["not_batch"] = NotBatchConverter
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
    fault_registry = faults.install(app)
    if config.seed_path:
        config_io.seed(state, config.seed_path)
    if config.background_workers:
        state.deliverer.start_worker()  # both stopped by Backend.close()
        state.maintenance.start()

    @app.before_request
    def _start() -> Response | None:
        g.request_id = "req_" + secrets.token_hex(12)
        if request.endpoint in OPEN_ENDPOINTS:
            return None
        if isinstance(request.routing_exception, MethodNotAllowed):
            # A method the path does not have is a 405 with Allow, key or no key: it says
            # nothing about any project's data.
            raise request.routing_exception
        _authenticate(state)
        faults.intercept(fault_registry, g.scope.project.id)
        if request.method == "POST":
            return idempotency.begin(g.scope, request, in_flight)
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        idempotency.finish(response, in_flight)
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        idempotency.abandon(in_flight)

    @app.errorhandler(ApiProblem)
    def _problem(problem: ApiProblem) -> Response:
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        detail = {
            404: f"no such path: {request.path}",
            405: f"{request.method} is not allowed on {request.path}",
            413: f"request body is larger than {config.max_body_bytes} bytes",
        }.get(status, exc.description or "")
        problem = ApiProblem(status, detail)
        if status == 405 and exc.get_response().headers.get("Allow"):
            problem.headers["Allow"] = exc.get_response().headers["Allow"]
        return problem_response(problem)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception(
            "unhandled error in %s %s (request %s)",
            request.method,
            request.path,
            g.get("request_id"),
        )
        return problem_response(
            ApiProblem(
                500, "an unexpected error occurred; it has been logged", code="internal_error"
            )
        )

    return app


class NotBatchConverter(BaseConverter):
    """A path segment other than ``batch`` (so ``/v1/events/batch`` is only the batch route)."""

    regex = r"(?!batch$)[^/]+"


def _authenticate(state: Backend) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiProblem(
            401,
            "missing API key: send 'Authorization: Bearer sk_test_…'",
            code="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="questline"'},
        )
    project = state.project_for_key(key.strip())
    if project is None:
        raise ApiProblem(
            401,
            "invalid API key",
            code="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="questline", error="invalid_token"'},
        )
    g.scope = state.scope(project)
