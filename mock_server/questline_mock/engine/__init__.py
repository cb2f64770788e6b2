"""Questline's rules engine: pure decisions over a read view of one project.

Nothing here imports Flask or SQL or reads the wall clock. The HTTP layer calls:

* ``process_event(view, EventInput, now, ids) -> Outcome`` for ``POST /v1/events``;
* ``create_transaction(...)`` for ``POST /v1/users/{id}/transactions``;
* ``upsert_user(...)`` for ``PUT /v1/users/{id}``;
* ``canonicalize_definition(kind, id, body, view)`` / ``references(view, kind, id)`` for
  definitions, and ``validate_levels(body, view)`` / ``levels_document(view)`` for levels;

then applies ``outcome.changes`` in one unit of work.

The imports below are the plug-in order: the core actions first, then each feature module,
which registers its action handlers and its processor (``EVENT_PROCESSORS`` runs in import
order: badges, quests, streaks, leaderboards, the last seeing every gain of the step).
"""

from __future__ import annotations

from . import actions  # noqa: F401  (registers grant_xp, grant_currency)

from . import badges, quests, streaks, leaderboards  # noqa: F401  isort: skip
from .context import (
    ACTION_HANDLERS,
    EVENT_PROCESSORS,
    Changes,
    DefinitionError,
    EngineContext,
    EngineError,
    IdFactory,
    InsufficientBalance,
    NotFound,
)
from .definitions import (
    DEFINITION_VALIDATORS,
    canonicalize_definition,
    references,
    step_references,
)
from .levels import default_levels, level_for_xp, levels_document, validate_levels
from .process import (
    EventInput,
    Outcome,
    apply_profile,
    create_transaction,
    process_event,
    run_step,
    upsert_user,
)

__all__ = [
    "ACTION_HANDLERS",
    "DEFINITION_VALIDATORS",
    "EVENT_PROCESSORS",
    "Changes",
    "DefinitionError",
    "EngineContext",
    "EngineError",
    "EventInput",
    "IdFactory",
    "InsufficientBalance",
    "NotFound",
    "Outcome",
    "apply_profile",
    "canonicalize_definition",
    "create_transaction",
    "default_levels",
    "level_for_xp",
    "levels_document",
    "process_event",
    "references",
    "run_step",
    "step_references",
    "upsert_user",
    "validate_levels",
]
