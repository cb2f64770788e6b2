"""Tag ``leaderboards``, beyond the definition endpoints: rankings and rank-around-me."""

from __future__ import annotations

from flask import Response

from ..backend import leaderboards as boards
from ..engine.leaderboards import period_json
from . import pagination
from .context import json_response, scope
from .definitions import leaderboards as bp
from .parsing import check_definition_id, check_user_id, query_int, query_str
from .problems import ValidationProblem, field_error


def _period_start() -> str | None:
    return query_str("period_start", max_length=64)


@bp.get("/v1/leaderboards/<leaderboard_id>/rankings", endpoint="rankings")
def rankings(leaderboard_id: str) -> Response:
    check_definition_id(leaderboard_id, "leaderboard_id")
    limit, cursor = pagination.params("rankings")
    offset = _offset(cursor)
    page = boards.rankings(scope(), leaderboard_id, _period_start(), offset, limit)
    next_cursor = pagination.encode("rankings", str(offset + limit)) if page.has_more else None
    return json_response(
        {
            "data": page.entries,
            "has_more": page.has_more,
            "next_cursor": next_cursor,
            **period_json(page.period),
        }
    )


@bp.get("/v1/leaderboards/<leaderboard_id>/rankings/<user_id>", endpoint="rank")
def rank(leaderboard_id: str, user_id: str) -> Response:
    check_definition_id(leaderboard_id, "leaderboard_id")
    check_user_id(user_id)
    around = query_int("around", 0, 0, 50)
    return json_response(boards.rank(scope(), leaderboard_id, user_id, around, _period_start()))


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise ValidationProblem(
            [field_error(["query", "cursor"], "is not a cursor of this listing")]
        )
    return int(cursor)
