"""The one error shape on the wire: RFC 9457 problem details.

Every error the server returns, from a handler, from Flask itself (404, 405, 413) or from
an unexpected exception (500), leaves through :func:`problem_response` as
``application/problem+json`` with ``type, title, status, detail, code, errors, request_id``.

Error tree of the HTTP layer::

    ApiProblem                      raise anywhere below a handler; becomes its response
     ├── ValidationProblem   422    errors name each bad field (loc, message, type)
     ├── BadRequest          400    malformed JSON, wrong content type
     ├── NotFound            404
     └── Conflict            409
"""

from __future__ import annotations

from typing import Any

from flask import Response, g

from ..jsonutil import encode

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://questline.dev/problems/"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}

DEFAULT_CODES = {
    400: "validation_error",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

ErrorItem = dict[str, Any]


class ApiProblem(Exception):
    """An error that becomes a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        errors: list[ErrorItem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.errors = errors or []
        self.headers = headers or {}

    def to_json(self) -> dict[str, Any]:
        return problem_body(self.status, self.detail, code=self.code, errors=self.errors)


class ValidationProblem(ApiProblem):
    def __init__(self, errors: list[ErrorItem], detail: str | None = None) -> None:
        if detail is None:
            first = errors[0] if errors else {"loc": [], "message": "invalid request"}
            where = ".".join(str(part) for part in first["loc"])
            detail = f"{where}: {first['message']}" if where else str(first["message"])
            if len(errors) > 1:
                detail += f" (and {len(errors) - 1} more)"
        super().__init__(422, detail, code="validation_error", errors=errors)


class BadRequest(ApiProblem):
    def __init__(self, detail: str, *, errors: list[ErrorItem] | None = None) -> None:
        super().__init__(400, detail, code="validation_error", errors=errors)


class NotFound(ApiProblem):
    def __init__(self, what: str) -> None:
        super().__init__(404, f"{what} not found", code="not_found")


class Conflict(ApiProblem):
    def __init__(self, detail: str, *, code: str = "conflict") -> None:
        super().__init__(409, detail, code=code)


def field_error(loc: list[str | int], message: str, type: str = "value_error") -> ErrorItem:
    return {"loc": list(loc), "message": message, "type": type}


def problem_body(
    status: int, detail: str, *, code: str | None = None, errors: list[ErrorItem] | None = None
) -> dict[str, Any]:
    code = code or DEFAULT_CODES.get(status, "error")
    return {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        "request_id": getattr(g, "request_id", None),
    }


def problem_response(problem: ApiProblem) -> Response:
    response = Response(
        encode(problem.to_json()), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response
