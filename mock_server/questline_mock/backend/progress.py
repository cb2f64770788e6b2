"""Manual operations on a user: ledger transactions and hand-awarded badges."""

from __future__ import annotations

from ..domain import JSON
from ..engine import NotFound, create_transaction
from ..engine.badges import award_badge_manually, user_badges
from ..engine.render import ledger_json
from ..storage.base import Page
from .core import ProjectScope, commit


def transact(scope: ProjectScope, user_id: str, body: JSON) -> JSON:
    """``POST /v1/users/{id}/transactions``; engine errors (404, 409, 422) propagate."""
    now = scope.now()
    with scope.user_locked(user_id), scope.uow() as uow:
        entry, changes = create_transaction(
            uow,
            user_id,
            body["currency"],
            body["amount"],
            body.get("reason"),
            body.get("metadata"),
            now,
            scope.backend.ids,
        )
        commit(scope, uow, changes, now)
    return entry


def ledger_page(
    scope: ProjectScope, user_id: str, limit: int, cursor: str | None
) -> Page[JSON] | None:
    with scope.read() as view:
        if view.get_user(user_id) is None:
            return None
        page = view.list_ledger(user_id, limit, cursor)
    return Page([ledger_json(e) for e in page.items], page.next_cursor)


def award_badge(scope: ProjectScope, user_id: str, badge_id: str) -> JSON:
    """Award by hand; returns the user's badge as ``GET …/badges`` shows it."""
    now = scope.now()
    with scope.user_locked(user_id), scope.uow() as uow:
        user = uow.get_user(user_id)
        if user is None:
            raise NotFound(f"user {user_id!r} not found")
        outcome = award_badge_manually(uow, user, badge_id, now, scope.backend.ids)
        commit(scope, uow, outcome.changes, now)
        return next(b for b in user_badges(uow, user_id) if b["badge_id"] == badge_id)
