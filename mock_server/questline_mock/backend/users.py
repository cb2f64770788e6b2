"""Users: upsert, read, list, erase, and their read views."""

from __future__ import annotations

from typing import Any

from ..domain import JSON
from ..engine import upsert_user
from ..engine.badges import user_badges
from ..engine.quests import user_quests
from ..engine.render import user_json
from ..engine.streaks import user_streaks
from ..storage.base import Page
from .core import ProjectScope, commit


def upsert(scope: ProjectScope, user_id: str, profile: dict[str, Any]) -> tuple[JSON, bool]:
    """Create the user or update the given profile fields; returns (user json, created)."""
    now = scope.now()
    with scope.user_locked(user_id), scope.uow() as uow:
        body, changes, created = upsert_user(uow, user_id, profile, now, scope.backend.ids)
        commit(scope, uow, changes, now)
    return body, created


def get(scope: ProjectScope, user_id: str) -> JSON | None:
    with scope.read() as view:
        user = view.get_user(user_id)
        return user_json(user) if user is not None else None


def list_page(scope: ProjectScope, limit: int, cursor: str | None) -> Page[JSON]:
    with scope.read() as view:
        page = view.list_users(limit, cursor)
    return Page([user_json(u) for u in page.items], page.next_cursor)


def delete(scope: ProjectScope, user_id: str) -> bool:
    with scope.user_locked(user_id), scope.uow() as uow:
        if uow.get_user(user_id) is None:
            return False
        uow.delete_user(user_id)
        return True


def exists(scope: ProjectScope, user_id: str) -> bool:
    with scope.read() as view:
        return view.get_user(user_id) is not None


def badges(scope: ProjectScope, user_id: str) -> list[JSON] | None:
    with scope.read() as view:
        if view.get_user(user_id) is None:
            return None
        return user_badges(view, user_id)


def quests(scope: ProjectScope, user_id: str) -> list[JSON] | None:
    with scope.read() as view:
        if view.get_user(user_id) is None:
            return None
        return user_quests(view, user_id)


def streaks(scope: ProjectScope, user_id: str) -> list[JSON] | None:
    now = scope.now()
    with scope.read() as view:
        if view.get_user(user_id) is None:
            return None
        return user_streaks(view, user_id, now)
