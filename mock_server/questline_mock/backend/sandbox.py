"""Sandbox controls on the caller's project: new projects, reset, and the clock."""

from __future__ import annotations

from datetime import datetime

from ..domain import JSON
from ..engine.render import format_time
from ..engine.streaks import sweep_streaks
from ..webhooks.delivery import deliver_due
from . import config_io
from .core import ProjectScope, commit

SWEEP_BATCH = 1000


def clock_json(scope: ProjectScope) -> JSON:
    return {"now": format_time(scope.now()), "frozen": scope.clock.frozen}


def set_clock(scope: ProjectScope, moment: datetime) -> JSON:
    scope.clock.set(moment)
    scope.save_clock()
    swept = sweep(scope)
    return {**clock_json(scope), "swept": swept}


def advance_clock(scope: ProjectScope, seconds: float) -> JSON:
    scope.clock.advance(seconds)
    scope.save_clock()
    return {"now": format_time(scope.now()), "swept": sweep(scope)}


def sweep(scope: ProjectScope) -> JSON:
    """Run everything that is due at the project's ``now``: streak endings, then due webhook
    deliveries (including what the endings queued). Batched, so one transaction stays small."""
    now = scope.now()
    ended = 0
    while True:
        with scope.uow() as uow:
            result = sweep_streaks(uow, now, scope.backend.ids, SWEEP_BATCH)
            commit(scope, uow, result.changes, now)
        ended += len(result.ended)
        if not result.has_more:
            break
    attempted = deliver_due(scope)
    return {
        "streaks_ended": ended,
        "webhooks_attempted": attempted,
        "leaderboard_periods_closed": 0,
    }


def reset(scope: ProjectScope, keep_config: bool) -> JSON:
    scope.backend.storage.reset_project(scope.project.id, keep_config=keep_config)
    return {
        "project_id": scope.project.id,
        "kept_config": keep_config,
        "now": format_time(scope.now()),
    }


def import_config(scope: ProjectScope, doc: JSON) -> JSON:
    """Replace the project's configuration with ``doc`` (all or nothing); the new export.

    ``doc`` was validated against ``SandboxConfig`` by the HTTP layer (strictly: nulls and
    date-times as the spec says) and dumped back to wire form, so the shape check of
    :func:`config_io.import_config` is not repeated here.
    """
    with scope.uow() as uow:
        config_io.replace_config(uow, doc, scope.now(), scope.backend.ids)
        return config_io.export_from(uow)
