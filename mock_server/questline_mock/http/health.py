"""Tag ``health``: the one open endpoint."""

from __future__ import annotations

from flask import Blueprint, Response

from .. import __version__
from ..engine.render import format_time
from .context import backend, json_response

bp = Blueprint("health", __name__)


@bp.get("/v1/health")
def retrieve() -> Response:
    return json_response(
        {"status": "ok", "version": __version__, "time": format_time(backend().wall.now())}
    )
