"""Time-driven work: the sandbox clock's sweep and the real-time maintenance pass."""

from __future__ import annotations

from flask import Flask

from tests.support.client import SpecCheckedClient

DAILY = {
    "name": "Daily",
    "period": "day",
    "criteria": {"event_type": "login"},
    "freezes_allowed": 0,
}
BOARD = {"name": "Daily XP", "metric": {"type": "xp"}, "period": "day", "timezone": "Europe/Berlin"}


def test_advancing_the_clock_ends_missed_streaks_and_closes_board_periods(
    client: SpecCheckedClient,
) -> None:
    client.put("/v1/sandbox/clock", json={"now": "2026-03-02T09:00:00Z"})
    client.put("/v1/streaks/daily", json=DAILY)
    client.put("/v1/leaderboards/daily-xp", json=BOARD)
    client.post("/v1/events", json={"user_id": "u1", "type": "login"})
    streak = client.get("/v1/users/u1/streaks").json["data"][0]
    assert (streak["status"], streak["count"]) == ("active", 1)
    # 2026-03-02 is the last day; the streak survives 2026-03-03 and ends once it is over.
    one_day = client.post("/v1/sandbox/clock/advance", json={"seconds": 86400}).json["swept"]
    assert one_day["streaks_ended"] == 0
    assert one_day["leaderboard_periods_closed"] == 1
    two_days = client.post("/v1/sandbox/clock/advance", json={"seconds": 86400}).json["swept"]
    assert two_days["streaks_ended"] == 1
    streak = client.get("/v1/users/u1/streaks").json["data"][0]
    assert (streak["status"], streak["count"], streak["longest"]) == ("ended", 0, 1)
    week = client.post("/v1/sandbox/clock/advance", json={"seconds": 7 * 86400}).json["swept"]
    assert (week["streaks_ended"], week["leaderboard_periods_closed"]) == (0, 7)


def test_the_maintenance_pass_ends_expired_streaks_in_every_project(
    app: Flask, client: SpecCheckedClient
) -> None:
    client.put("/v1/sandbox/clock", json={"now": "2026-03-02T09:00:00Z"})
    client.put("/v1/streaks/daily", json=DAILY)
    client.post("/v1/events", json={"user_id": "u1", "type": "login"})
    backend = app.extensions["questline"]
    assert backend.maintenance.run_once() == 0
    # Move the clock without the sandbox's own sweep (as real time would), then run the pass.
    scope = backend.scope(backend.project_for_key("sk_test_questline"))
    scope.clock.advance(3 * 86400)
    scope.save_clock()
    assert backend.maintenance.run_once() == 1
    assert client.get("/v1/users/u1/streaks").json["data"][0]["status"] == "ended"
