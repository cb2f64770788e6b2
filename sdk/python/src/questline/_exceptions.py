"""Every error the SDK raises.

    QuestlineError
    ├── ValidationError                  bad input, raised before any request is sent
    ├── WebhookVerificationError         a webhook delivery that failed verification
    └── APIError
        ├── APIConnectionError           no response: DNS, refused, reset, ...
        │   └── APITimeoutError          no response in time
        ├── APIResponseValidationError   a 2xx response that does not match the spec
        └── APIStatusError               a 4xx / 5xx problem+json response
            ├── BadRequestError               400
            ├── AuthenticationError           401
            ├── PermissionDeniedError         403
            ├── NotFoundError                 404
            ├── ConflictError                 409
            ├── UnprocessableEntityError      422
            ├── RateLimitError                429
            └── InternalServerError           >= 500

Status errors carry the parsed RFC 9457 problem (``problem``), its stable ``code``, the
``status_code``, the ``request_id`` to quote to support, and the raw ``response``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import httpx
import pydantic

from ._validation_errors import readable
from .types import Problem

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "QuestlineError",
    "RateLimitError",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookVerificationError",
]


class QuestlineError(Exception):
    """Base class of every error raised by this SDK."""


class ValidationError(QuestlineError, ValueError):
    """The arguments do not match the request schema; nothing was sent.

    ``errors`` lists each problem as ``{"loc": [...], "message": ..., "type": ...}``, the same
    shape as the ``errors`` of a 422 problem from the server.
    """

    def __init__(self, message: str, *, errors: Sequence[dict[str, object]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[dict[str, object]] = list(errors)

    @classmethod
    def from_pydantic(
        cls,
        exc: pydantic.ValidationError,
        *,
        schema: str,
        prefix: Sequence[str | int] = (),
        value: Any = None,
    ) -> ValidationError:
        """``exc`` in the terms of ``value``, what was validated (when given): a union's
        errors narrowed to the member it came closest to, locs naming its own keys."""
        found = [
            {"loc": list(err["loc"]), "message": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False)
        ]
        if value is not None:
            found = readable(found, value)
        errors: list[dict[str, object]] = []
        lines: list[str] = []
        for err in found:
            loc = [*prefix, *err["loc"]]
            errors.append({**err, "loc": loc})
            lines.append(f"{'.'.join(str(p) for p in loc) or '(body)'}: {err['message']}")
        return cls(f"invalid {schema}: {'; '.join(lines)}", errors=errors)


WebhookFailureReason = Literal[
    "missing_header",
    "invalid_timestamp",
    "timestamp_too_old",
    "timestamp_too_new",
    "invalid_secret",
    "no_matching_signature",
    "invalid_payload",
]


class WebhookVerificationError(QuestlineError, ValueError):
    """A webhook delivery could not be verified; ``reason`` says which check failed."""

    def __init__(self, reason: WebhookFailureReason, message: str) -> None:
        super().__init__(message)
        self.reason: WebhookFailureReason = reason
        self.message = message


class APIError(QuestlineError):
    """An error talking to the API: a transport failure or an error response."""

    def __init__(self, message: str, *, request: httpx.Request) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The request got no response (connection refused, reset, DNS failure, ...)."""

    def __init__(self, *, request: httpx.Request, message: str = "Connection error.") -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The request got no response within the timeout."""

    def __init__(self, *, request: httpx.Request) -> None:
        super().__init__(request=request, message="Request timed out.")


class APIResponseValidationError(APIError):
    """A successful response whose body does not match the schema in the spec."""

    def __init__(self, *, response: httpx.Response, message: str) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status."""

    status_code: int

    def __init__(self, message: str, *, response: httpx.Response, problem: Problem | None) -> None:
        super().__init__(message, request=response.request)
        self.response = response
        self.status_code = response.status_code
        self.problem = problem
        self.code: str | None = problem.code if problem is not None else None
        self.request_id: str | None = response.headers.get("x-request-id") or (
            problem.request_id if problem is not None else None
        )


class BadRequestError(APIStatusError):
    status_code: Literal[400] = 400


class AuthenticationError(APIStatusError):
    status_code: Literal[401] = 401


class PermissionDeniedError(APIStatusError):
    status_code: Literal[403] = 403


class NotFoundError(APIStatusError):
    status_code: Literal[404] = 404


class ConflictError(APIStatusError):
    status_code: Literal[409] = 409


class UnprocessableEntityError(APIStatusError):
    status_code: Literal[422] = 422


class RateLimitError(APIStatusError):
    status_code: Literal[429] = 429


class InternalServerError(APIStatusError):
    """Any 5xx response."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an error status (``APIStatusError`` for unlisted 4xx)."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def make_status_error(response: httpx.Response) -> APIStatusError:
    """Build the typed error for an error response whose body has been read."""
    problem: Problem | None = None
    try:
        problem = Problem.model_validate_json(response.content)
    except (pydantic.ValidationError, ValueError):
        problem = None
    if problem is not None:
        # ``detail`` may be absent (MISSING, which is truthy) as well as null or empty.
        detail = (
            problem.detail if isinstance(problem.detail, str) and problem.detail else problem.title
        )
        message = f"{response.status_code} {problem.code or problem.title}: {detail}"
    else:
        text = response.text[:200] if response.content else response.reason_phrase
        message = f"{response.status_code}: {text}"
    request_id = response.headers.get("x-request-id")
    if request_id:
        message = f"{message} (request_id={request_id})"
    return status_error_class(response.status_code)(message, response=response, problem=problem)
