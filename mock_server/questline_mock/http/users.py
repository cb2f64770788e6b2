"""Tag ``users``: profiles and their sub-resources (badges, quests, streaks, ledger, events)."""

from __future__ import annotations

from typing import NoReturn

from flask import Blueprint, Response
from questline import types as t

from ..backend import events as events_backend
from ..backend import progress, users
from ..domain import JSON
from ..storage.base import EventFilter
from . import pagination
from .context import json_response, no_content, scope
from .parsing import check_user_id, parse_body, wire
from .problems import NotFound

bp = Blueprint("users", __name__)


@bp.get("/v1/users")
def index() -> Response:
    limit, cursor = pagination.params("users")
    return json_response(pagination.body("users", users.list_page(scope(), limit, cursor), dict))


@bp.put("/v1/users/<user_id>")
def upsert(user_id: str) -> Response:
    check_user_id(user_id)
    body = wire(parse_body(t.UserUpsert))
    user, _created = users.upsert(scope(), user_id, body)
    return json_response(user)


@bp.get("/v1/users/<user_id>")
def retrieve(user_id: str) -> Response:
    check_user_id(user_id)
    return json_response(users.get(scope(), user_id) or _missing(user_id))


@bp.delete("/v1/users/<user_id>")
def delete(user_id: str) -> Response:
    check_user_id(user_id)
    if not users.delete(scope(), user_id):
        _missing(user_id)
    return no_content()


@bp.get("/v1/users/<user_id>/badges")
def badges_list(user_id: str) -> Response:
    check_user_id(user_id)
    items = users.badges(scope(), user_id)
    return json_response(_all("user_badges", items, "badge_id", user_id))


@bp.post("/v1/users/<user_id>/badges")
def badges_award(user_id: str) -> Response:
    check_user_id(user_id)
    body = wire(parse_body(t.BadgeAward))
    return json_response(progress.award_badge(scope(), user_id, body["badge_id"]))


@bp.get("/v1/users/<user_id>/quests")
def quests_list(user_id: str) -> Response:
    check_user_id(user_id)
    items = users.quests(scope(), user_id)
    return json_response(_all("user_quests", items, "quest_id", user_id))


@bp.get("/v1/users/<user_id>/streaks")
def streaks_list(user_id: str) -> Response:
    check_user_id(user_id)
    items = users.streaks(scope(), user_id)
    return json_response(_all("user_streaks", items, "streak_id", user_id))


@bp.get("/v1/users/<user_id>/transactions")
def transactions_list(user_id: str) -> Response:
    check_user_id(user_id)
    limit, cursor = pagination.params("ledger")
    page = progress.ledger_page(scope(), user_id, limit, cursor)
    return json_response(pagination.body("ledger", page or _missing(user_id), dict))


@bp.post("/v1/users/<user_id>/transactions")
def transactions_create(user_id: str) -> Response:
    check_user_id(user_id)
    body = wire(parse_body(t.TransactionCreate))
    return json_response(progress.transact(scope(), user_id, body), status=201)


@bp.get("/v1/users/<user_id>/events")
def events_list(user_id: str) -> Response:
    check_user_id(user_id)
    if not users.exists(scope(), user_id):
        _missing(user_id)
    limit, cursor = pagination.params("events")
    page = events_backend.list_page(scope(), EventFilter(user_id=user_id), limit, cursor)
    return json_response(pagination.body("events", page, dict))


def _all(listing: str, items: list[JSON] | None, key: str, user_id: str) -> dict[str, object]:
    """A user's whole (small) sub-listing, paginated by id."""
    if items is None:
        _missing(user_id)
    return pagination.small_listing(listing, items, lambda item: str(item[key]))


def _missing(user_id: str) -> NoReturn:
    raise NotFound(f"user {user_id!r}")
