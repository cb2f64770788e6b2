"""Per-request access to the backend and the caller's project."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g

from ..backend import Backend, ProjectScope
from ..jsonutil import encode


def backend() -> Backend:
    result: Backend = current_app.extensions["questline"]
    return result


def scope() -> ProjectScope:
    """The authenticated caller's project (set by the auth hook)."""
    result: ProjectScope = g.scope
    return result


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(encode(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content() -> Response:
    return Response(status=204)
