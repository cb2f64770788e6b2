"""Tag ``webhook_endpoints``: where messages go, secrets, test sends, attempts and retries."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response
from pydantic import BaseModel
from questline import types as t

from ..backend import webhooks
from . import pagination
from .context import json_response, no_content, scope
from .parsing import json_body, parse_body, wire
from .problems import (
    ApiProblem,
    Conflict,
    NotFound,
    ValidationProblem,
    field_error,
    problem_response,
)

bp = Blueprint("webhook_endpoints", __name__)

ITEM = "/v1/webhook_endpoints/<endpoint_id>"
MAX_URL_LENGTH = 2048


@bp.post("/v1/webhook_endpoints")
def create() -> Response:
    body = _parse(t.WebhookEndpointCreate)
    return json_response(webhooks.create(scope(), body), status=201)


@bp.get("/v1/webhook_endpoints")
def index() -> Response:
    limit, cursor = pagination.params("webhook_endpoints")
    page = webhooks.list_page(scope(), limit, cursor)
    return json_response(pagination.body("webhook_endpoints", page, dict))


@bp.get(ITEM)
def retrieve(endpoint_id: str) -> Response:
    return json_response(webhooks.get(scope(), endpoint_id))


@bp.patch(ITEM)
def update(endpoint_id: str) -> Response:
    changes = _parse(t.WebhookEndpointUpdate)
    return json_response(webhooks.update(scope(), endpoint_id, changes))


@bp.delete(ITEM)
def delete(endpoint_id: str) -> Response:
    webhooks.delete(scope(), endpoint_id)
    return no_content()


@bp.post(f"{ITEM}/rotate_secret")
def rotate_secret(endpoint_id: str) -> Response:
    return json_response(webhooks.rotate_secret(scope(), endpoint_id))


@bp.post(f"{ITEM}/test")
def test(endpoint_id: str) -> Response:
    return json_response(webhooks.send_test(scope(), endpoint_id), status=202)


@bp.get(f"{ITEM}/deliveries")
def deliveries_list(endpoint_id: str) -> Response:
    limit, cursor = pagination.params("webhook_deliveries")
    page = webhooks.deliveries_page(scope(), endpoint_id, limit, cursor)
    return json_response(pagination.body("webhook_deliveries", page, dict))


@bp.post(f"{ITEM}/deliveries/<message_id>/retry")
def deliveries_retry(endpoint_id: str, message_id: str) -> Response:
    return json_response(webhooks.retry(scope(), endpoint_id, message_id), status=202)


@bp.errorhandler(webhooks.WebhookError)
def _webhook_error(exc: webhooks.WebhookError) -> Response:
    return problem_response(problem_for(exc))


def problem_for(exc: webhooks.WebhookError) -> ApiProblem:
    """The HTTP face of a backend webhook error (also used by the sandbox blueprint)."""
    if isinstance(exc, webhooks.EndpointDisabled):
        return Conflict(str(exc))
    if isinstance(exc, webhooks.BadCursor):
        return ValidationProblem([field_error(["query", "cursor"], str(exc))])
    return NotFound(str(exc))


def _parse(model: type[BaseModel]) -> dict[str, Any]:
    """Validate with the generated model; keep the URL exactly as sent (the model would
    normalise it) after checking it is an absolute http(s) URL."""
    body = wire(parse_body(model))
    if "url" in body:
        body["url"] = check_url(json_body()["url"])
    return body


def check_url(url: str) -> str:
    parts = urlsplit(url)
    problem = None
    if len(url) > MAX_URL_LENGTH:
        problem = f"must be at most {MAX_URL_LENGTH} characters"
    elif parts.scheme.lower() not in ("http", "https"):
        problem = "must be an http or https URL"
    elif not parts.hostname:
        problem = "must include a host"
    if problem is not None:
        raise ValidationProblem([field_error(["body", "url"], problem)])
    return url
