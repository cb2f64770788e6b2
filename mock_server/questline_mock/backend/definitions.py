"""Definitions (the six kinds) and the levels document."""

from __future__ import annotations

from ..domain import JSON
from ..engine import (
    canonicalize_definition,
    levels_document,
    references,
    step_references,
    validate_levels,
)
from ..engine.render import format_time
from ..storage.base import Page
from .core import ProjectScope


class StillReferenced(Exception):
    """A 409: ``what`` (``"badges/gold"``) is used by ``users`` (``["rule:r1"]``)."""

    def __init__(self, what: str, users: list[str]) -> None:
        super().__init__(f"{what} is used by {', '.join(users)}; change or delete those first")
        self.users = users


def upsert(scope: ProjectScope, kind: str, definition_id: str, body: JSON) -> JSON:
    """Validate, canonicalise and store; returns the stored document."""
    now = format_time(scope.now())
    with scope.uow() as uow:
        canonical = canonicalize_definition(kind, definition_id, body, uow)
        if kind == "quests":  # a step named by a progress_quest may not go away
            steps = {step["id"] for step in canonical.get("steps") or []}
            users = step_references(uow, definition_id, steps)
            if users:
                gone = ", ".join(sorted(set().union(*users.values())))
                raise StillReferenced(f"quests/{definition_id} step {gone}", list(users))
        previous = uow.get_definition(kind, definition_id)
        canonical["created_at"] = previous["created_at"] if previous else now
        canonical["updated_at"] = now
        uow.put_definition(kind, definition_id, canonical)
    return canonical


def get(scope: ProjectScope, kind: str, definition_id: str) -> JSON | None:
    with scope.read() as view:
        return view.get_definition(kind, definition_id)


def list_page(scope: ProjectScope, kind: str, limit: int, cursor: str | None) -> Page[JSON]:
    with scope.read() as view:
        return view.list_definitions(kind, limit, cursor)


def delete(scope: ProjectScope, kind: str, definition_id: str) -> bool:
    """Remove it; raises StillReferenced (409) while another definition uses it."""
    with scope.uow() as uow:
        if uow.get_definition(kind, definition_id) is None:
            return False
        users = references(uow, kind, definition_id)
        if users:
            raise StillReferenced(f"{kind}/{definition_id}", users)
        uow.delete_definition(kind, definition_id)
        return True


def get_levels(scope: ProjectScope) -> JSON:
    with scope.read() as view:
        return levels_document(view)


def put_levels(scope: ProjectScope, body: JSON) -> JSON:
    with scope.uow() as uow:
        canonical = validate_levels(body, uow)
        uow.put_levels(canonical)
    return canonical
