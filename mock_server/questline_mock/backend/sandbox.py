"""Sandbox controls on the caller's project: new projects, reset, and the clock."""

from __future__ import annotations

from datetime import datetime

from ..domain import JSON
from ..engine.leaderboards import periods_closed
from ..engine.render import format_time
from ..engine.streaks import sweep_streaks
from ..webhooks.delivery import deliver_due
from . import config_io
from .core import ProjectScope, commit

SWEEP_BATCH = 1000


def clock_json(scope: ProjectScope) -> JSON:
    return {"now": format_time(scope.now()), "frozen": scope.clock.frozen}


def set_clock(scope: ProjectScope, moment: datetime) -> JSON:
    before = scope.now()
    scope.clock.set(moment)
    scope.save_clock()
    swept = sweep(scope, before)
    return {**clock_json(scope), "swept": swept}


def advance_clock(scope: ProjectScope, seconds: float) -> JSON:
    before = scope.now()
    scope.clock.advance(seconds)
    scope.save_clock()
    return {"now": format_time(scope.now()), "swept": sweep(scope, before)}


def sweep(scope: ProjectScope, before: datetime) -> JSON:
    """Run everything that is due at the project's ``now`` after the clock moved from
    ``before``: streak endings, then due webhook deliveries (including what the endings
    queued); and report the leaderboard periods that closed on the way."""
    now = scope.now()
    ended = end_expired_streaks(scope, now)
    attempted = deliver_due(scope)
    with scope.read() as view:
        boards = view.list_definitions("leaderboards").items
    return {
        "streaks_ended": ended,
        "webhooks_attempted": attempted,
        "leaderboard_periods_closed": sum(periods_closed(b, before, now) for b in boards),
    }


def end_expired_streaks(scope: ProjectScope, now: datetime) -> int:
    """End every streak of the project that expired by ``now``; batched so that one
    transaction stays small. Reads the expiry index only, never the list of users."""
    ended = 0
    while True:
        with scope.uow() as uow:
            result = sweep_streaks(uow, now, scope.backend.ids, SWEEP_BATCH)
            commit(scope, uow, result.changes, now)
        ended += len(result.ended)
        if not result.has_more:
            return ended


def reset(scope: ProjectScope, keep_config: bool) -> JSON:
    scope.backend.storage.reset_project(scope.project.id, keep_config=keep_config)
    scope.clock.real_time()
    scope.save_clock()
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
