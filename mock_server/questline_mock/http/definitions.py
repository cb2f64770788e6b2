"""Tags ``currencies badges quests streaks leaderboards rules`` (one blueprint each, one
shape: ``PUT/GET/DELETE /v1/{kind}/{id}``, ``GET /v1/{kind}``) and tag ``levels``."""

from __future__ import annotations

from flask import Blueprint, Response
from pydantic import BaseModel
from questline import types as t

from ..backend import definitions
from ..domain import SINGULAR
from . import pagination
from .context import json_response, no_content, scope
from .parsing import check_definition_id, parse_body, wire
from .problems import NotFound


def definition_blueprint(kind: str, upsert_model: type[BaseModel]) -> Blueprint:
    bp = Blueprint(kind, __name__)
    param = f"{SINGULAR[kind]}_id"
    item = f"/v1/{kind}/<{param}>"

    def missing(definition_id: str) -> NotFound:
        return NotFound(f"{SINGULAR[kind]} {definition_id!r}")

    @bp.get(f"/v1/{kind}", endpoint="list")
    def index() -> Response:
        limit, cursor = pagination.params(kind)
        page = definitions.list_page(scope(), kind, limit, cursor)
        return json_response(pagination.body(kind, page, dict))

    @bp.put(item, endpoint="upsert")
    def upsert(**path: str) -> Response:
        definition_id = check_definition_id(path[param], param)
        body = wire(parse_body(upsert_model))
        return json_response(definitions.upsert(scope(), kind, definition_id, body))

    @bp.get(item, endpoint="retrieve")
    def retrieve(**path: str) -> Response:
        definition_id = check_definition_id(path[param], param)
        found = definitions.get(scope(), kind, definition_id)
        if found is None:
            raise missing(definition_id)
        return json_response(found)

    @bp.delete(item, endpoint="delete")
    def delete(**path: str) -> Response:
        definition_id = check_definition_id(path[param], param)
        if not definitions.delete(scope(), kind, definition_id):
            raise missing(definition_id)
        return no_content()

    return bp


currencies = definition_blueprint("currencies", t.CurrencyUpsert)
badges = definition_blueprint("badges", t.BadgeUpsert)
quests = definition_blueprint("quests", t.QuestUpsert)
streaks = definition_blueprint("streaks", t.StreakUpsert)
leaderboards = definition_blueprint("leaderboards", t.LeaderboardUpsert)
rules = definition_blueprint("rules", t.RuleUpsert)

levels = Blueprint("levels", __name__)


@levels.get("/v1/levels")
def levels_retrieve() -> Response:
    return json_response(definitions.get_levels(scope()))


@levels.put("/v1/levels")
def levels_upsert() -> Response:
    return json_response(definitions.put_levels(scope(), wire(parse_body(t.LevelsUpsert))))
