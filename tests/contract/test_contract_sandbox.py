"""Sandbox controls through the SDK: projects, clock, reset, faults, webhooks, configuration."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from questline import AuthenticationError, InternalServerError, Questline
from questline.types import SandboxConfig

from tests.contract.conftest import Clients

MONDAY_9AM = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
DAY = 86_400


def test_a_new_project_is_empty_and_has_its_own_key(clients: Clients, client: Questline) -> None:
    client.events.send(user_id="u1", type="login")
    project = client.sandbox.projects.create()
    assert project.project_id.startswith("proj_") and project.api_key != clients.project.api_key

    other = clients.new(api_key=project.api_key)
    assert other.users.list().data == []
    assert [u.id for u in client.users.list()] == ["u1"]


def test_clock_set_freezes_and_advance_moves_it(client: Questline) -> None:
    clock = client.sandbox.clock.set(MONDAY_9AM)
    assert (clock.now, clock.frozen) == (MONDAY_9AM, True)
    read = client.sandbox.clock.retrieve()
    assert (read.now, read.frozen) == (MONDAY_9AM, True)

    advanced = client.sandbox.clock.advance(seconds=90)
    assert advanced.now == datetime(2026, 3, 2, 9, 1, 30, tzinfo=timezone.utc)
    # Events default to the project's clock.
    assert client.events.send(user_id="u1", type="login").event.occurred_at == advanced.now


def test_a_streak_ends_when_the_clock_passes_a_missed_day(client: Questline) -> None:
    client.streaks.upsert("daily", period="day", criteria={"event_type": "login"})
    client.sandbox.clock.set("2026-03-02T09:00:00Z")
    client.events.send(user_id="u1", type="login")
    client.sandbox.clock.advance(seconds=DAY)
    client.events.send(user_id="u1", type="login")
    [streak] = client.users.streaks.list("u1")
    assert (streak.status, streak.count) == ("active", 2)

    # Tuesday's login keeps it alive through Wednesday; Thursday it has ended.
    swept = client.sandbox.clock.advance(seconds=2 * DAY)
    assert swept.swept.streaks_ended == 1
    [streak] = client.users.streaks.list("u1")
    assert (streak.status, streak.count, streak.longest) == ("ended", 0, 2)


def test_reset_empties_the_project_and_can_keep_definitions(client: Questline) -> None:
    client.currencies.upsert("coins")
    client.events.send(user_id="u1", type="login")

    kept = client.sandbox.reset(keep_config=True)
    assert kept.kept_config
    assert client.users.list().data == []
    assert [c.id for c in client.currencies.list()] == ["coins"]

    assert not client.sandbox.reset().kept_config
    assert client.currencies.list().data == []


def test_config_round_trips_as_one_document(clients: Clients, client: Questline) -> None:
    client.currencies.upsert("coins", name="Coins")
    client.rules.upsert(
        "login-coins",
        trigger={"event_type": "login"},
        actions=[{"type": "grant_currency", "currency": "coins", "amount": 2}],
    )
    exported = client.sandbox.config.export()
    assert isinstance(exported, SandboxConfig)
    assert [c.id for c in exported.currencies or []] == ["coins"]

    fresh = clients.new(api_key=client.sandbox.projects.create().api_key)
    imported = fresh.sandbox.config.import_(exported)
    assert imported == exported
    assert fresh.events.send(user_id="u1", type="login").effects.currencies[0].amount == 2


def test_faults_are_listed_consumed_and_cleared(clients: Clients, client: Questline) -> None:
    fault = client.sandbox.faults.create(
        {"match": {"method": "GET", "path": "/v1/users*"}, "count": 2, "status": 503}
    )
    assert (fault.remaining, fault.status, fault.drop) == (2, 503, False)
    assert [f.id for f in client.sandbox.faults.list()] == [fault.id]

    with pytest.raises(InternalServerError) as caught:
        client.with_options(max_retries=0).users.list()
    assert caught.value.status_code == 503
    assert [f.remaining for f in client.sandbox.faults.list()] == [1]

    assert client.sandbox.faults.clear() is None
    assert client.sandbox.faults.list().data == []
    assert client.users.list().data == []


def test_the_sent_webhooks_are_listed(client: Questline) -> None:
    endpoint = client.webhook_endpoints.create(
        url="http://127.0.0.1:9/hooks", event_types=["user.created"]
    )
    client.events.send(user_id="u1", type="login")
    [created] = [m for m in client.sandbox.webhooks.list() if m.type == "user.created"]
    assert created.data["user"]["id"] == "u1"
    # Live servers deliver (and retry) in the background: count endpoints, not attempts.
    assert {d.endpoint_id for d in created.deliveries} == {endpoint.id}


def test_sandbox_calls_need_a_valid_key(clients: Clients) -> None:
    stranger = clients.new(api_key="sk_test_nobody")
    with pytest.raises(AuthenticationError):
        stranger.sandbox.projects.create()


def test_faults_take_match_as_a_keyword(client: Questline) -> None:
    fault = client.sandbox.faults.create(match={"path": "/v1/events"}, status=503)
    assert fault.match.path == "/v1/events"
