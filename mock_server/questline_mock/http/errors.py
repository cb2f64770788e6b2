"""Domain errors to problems: the one place the backend's exceptions meet HTTP."""

from __future__ import annotations

from flask import Flask, Response

from ..backend.definitions import StillReferenced
from ..backend.events import EventRejected
from ..engine import DefinitionError, EngineError
from ..engine.periods import PeriodError
from .problems import ApiProblem, ValidationProblem, field_error, problem_response

DOMAIN_ERRORS = (
    ApiProblem,
    EngineError,
    DefinitionError,
    EventRejected,
    PeriodError,
    StillReferenced,
)


def to_problem(exc: Exception) -> ApiProblem:
    """The problem a domain error is on the wire (also used per entry by the batch)."""
    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, EngineError):
        errors = [field_error(exc.loc, exc.message, exc.code)] if exc.loc else []
        return ApiProblem(exc.status, exc.message, code=exc.code, errors=errors)
    if isinstance(exc, DefinitionError | EventRejected):
        return ValidationProblem(exc.errors)
    if isinstance(exc, PeriodError):
        return ValidationProblem([field_error(["query", "period_start"], str(exc))])
    if isinstance(exc, StillReferenced):
        return ApiProblem(409, str(exc), code="conflict")
    raise TypeError(f"not a domain error: {exc!r}")


def register(app: Flask) -> None:
    for error in DOMAIN_ERRORS[1:]:  # ApiProblem has its handler in app.py

        @app.errorhandler(error)
        def _domain(exc: Exception) -> Response:
            return problem_response(to_problem(exc))
