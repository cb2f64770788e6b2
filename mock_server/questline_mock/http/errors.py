"""Domain errors to problems: the one place the backend's exceptions meet HTTP."""

from __future__ import annotations

from flask import Flask, Response

from ..backend.definitions import StillReferenced
from ..backend.events import EventRejected
from ..backend.users import ProfileRejected
from ..engine import DefinitionError, EngineError
from ..engine.periods import PeriodError
from .problems import ApiProblem, ValidationProblem, field_error, problem_response


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine(exc: EngineError) -> Response:
        errors = [{"loc": exc.loc, "message": exc.message, "type": exc.code}] if exc.loc else []
        return problem_response(ApiProblem(exc.status, exc.message, code=exc.code, errors=errors))

    @app.errorhandler(DefinitionError)
    def _definition(exc: DefinitionError) -> Response:
        return problem_response(ValidationProblem(exc.errors))

    @app.errorhandler(EventRejected)
    @app.errorhandler(ProfileRejected)
    def _rejected(exc: EventRejected | ProfileRejected) -> Response:
        return problem_response(ValidationProblem(exc.errors))

    @app.errorhandler(PeriodError)
    def _period(exc: PeriodError) -> Response:
        return problem_response(
            ValidationProblem([field_error(["query", "period_start"], str(exc))])
        )

    @app.errorhandler(StillReferenced)
    def _referenced(exc: StillReferenced) -> Response:
        return problem_response(ApiProblem(409, str(exc), code="conflict"))
