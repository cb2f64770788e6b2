"""Every blueprint, in the order the spec lists its tags."""

from __future__ import annotations

from flask import Blueprint

from . import definitions, events, health, leaderboards, sandbox, stream, users, webhook_endpoints

# Importing ``leaderboards`` adds its ranking routes to the leaderboards blueprint.
assert leaderboards

BLUEPRINTS: list[Blueprint] = [
    health.bp,
    users.bp,
    events.bp,
    definitions.levels,
    definitions.currencies,
    definitions.badges,
    definitions.quests,
    definitions.streaks,
    definitions.leaderboards,
    definitions.rules,
    webhook_endpoints.bp,
    stream.bp,
    sandbox.bp,
]
