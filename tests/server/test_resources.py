"""Users, definitions, levels and the sandbox over HTTP, on both storage backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support.client import SpecCheckedClient

XP_RULE = {"trigger": {"event_type": "purchase"}, "actions": [{"type": "grant_xp", "amount": 10}]}


def test_users_page_in_creation_order_and_stay_stable_while_others_are_added(
    client: SpecCheckedClient,
) -> None:
    for n in range(5):
        client.put(f"/v1/users/user-{n}", json={"display_name": f"User {n}"})
    first = client.get("/v1/users?limit=2").json
    assert [u["id"] for u in first["data"]] == ["user-0", "user-1"]
    client.put("/v1/users/user-5", json={})  # inserted while a client pages
    seen = [u["id"] for u in first["data"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/v1/users?limit=2&cursor={cursor}").json
        seen += [u["id"] for u in page["data"]]
        cursor = page["next_cursor"]
    assert seen == [f"user-{n}" for n in range(6)]


def test_put_user_upserts_the_profile_and_keeps_what_was_not_sent(
    client: SpecCheckedClient,
) -> None:
    created = client.put(
        "/v1/users/u1", json={"display_name": "Ann", "timezone": "Pacific/Auckland"}
    ).json
    assert (created["display_name"], created["timezone"], created["xp"], created["level"]) == (
        "Ann",
        "Pacific/Auckland",
        0,
        1,
    )
    updated = client.put("/v1/users/u1", json={"email": "ann@example.com"}).json
    assert (updated["display_name"], updated["email"]) == ("Ann", "ann@example.com")
    assert updated["created_at"] == created["created_at"]


def test_delete_user_erases_everything_about_them(client: SpecCheckedClient) -> None:
    client.put("/v1/currencies/coins", json={"name": "Coins"})
    client.post("/v1/events", json={"event_id": "e1", "user_id": "u1", "type": "purchase"})
    client.post("/v1/users/u1/transactions", json={"currency": "coins", "amount": 5})
    assert client.delete("/v1/users/u1").status_code == 204
    assert client.get("/v1/users/u1").status_code == 404
    assert client.get("/v1/events?user_id=u1").json["data"] == []
    assert client.get("/v1/users/u1/transactions").status_code == 404
    # The event_id is free again: the user's history is gone, not hidden.
    again = client.post(
        "/v1/events", json={"event_id": "e1", "user_id": "u1", "type": "purchase"}
    ).json
    assert again["replayed"] is False
    assert client.delete("/v1/users/u1").status_code == 204
    assert client.delete("/v1/users/u1").status_code == 404


def test_definitions_round_trip_in_canonical_form(client: SpecCheckedClient) -> None:
    rule = {
        "trigger": {"event_type": "lesson_completed"},
        "conditions": {"type": "property_gte", "property": "score", "value": 80},
        "actions": [{"type": "grant_xp", "amount": 10}],
    }
    stored = client.put("/v1/rules/good-lesson", json=rule).json
    assert stored["conditions"] == {"fact": "properties.score", "operator": "gte", "value": 80}
    assert (stored["enabled"], stored["priority"], stored["name"]) == (True, 0, "good-lesson")
    assert client.get("/v1/rules/good-lesson").json == stored
    assert [r["id"] for r in client.get("/v1/rules").json["data"]] == ["good-lesson"]
    assert client.delete("/v1/rules/good-lesson").status_code == 204
    assert client.get("/v1/rules/good-lesson").status_code == 404


def test_deleting_a_referenced_definition_is_a_conflict_naming_the_rule(
    client: SpecCheckedClient,
) -> None:
    client.put("/v1/currencies/coins", json={"name": "Coins"})
    rule = {
        "trigger": {"event_type": "purchase"},
        "actions": [{"type": "grant_currency", "currency": "coins", "amount": 5}],
    }
    client.put("/v1/rules/big-spender", json=rule)
    response = client.delete("/v1/currencies/coins")
    assert response.status_code == 409
    assert response.json["code"] == "conflict"
    assert "rule:big-spender" in response.json["detail"]
    assert client.get("/v1/currencies/coins").status_code == 200


def test_levels_default_curve_then_a_custom_one(client: SpecCheckedClient) -> None:
    default = client.get("/v1/levels").json["levels"]
    assert default[0]["min_xp"] == 0 and default[1]["min_xp"] > 0
    levels = {
        "levels": [
            {"level": 1, "min_xp": 0, "name": "Rookie"},
            {"level": 2, "min_xp": 15, "name": "Pro"},
        ]
    }
    assert client.put("/v1/levels", json=levels).status_code == 200
    client.put("/v1/rules/xp", json=XP_RULE)
    client.post("/v1/events", json={"user_id": "u1", "type": "purchase"})
    effects = client.post("/v1/events", json={"user_id": "u1", "type": "purchase"}).json["effects"]
    assert effects["xp"] == {"granted": 10, "total": 20, "level": 2, "level_ups": [2]}


def test_a_quest_may_not_drop_a_step_a_definition_progresses(client: SpecCheckedClient) -> None:
    """Like deleting it: a rule's progress_quest would silently do nothing at event time."""
    steps = [{"id": "s1"}, {"id": "s2"}]
    assert client.put("/v1/quests/q", json={"steps": steps}).status_code == 200
    progress = {"type": "progress_quest", "quest_id": "q", "step_id": "s1"}
    rule = {"trigger": {"event_type": "x"}, "actions": [progress]}
    assert client.put("/v1/rules/r", json=rule).status_code == 200
    levels = [{"level": 1, "min_xp": 0}, {"level": 2, "min_xp": 10, "rewards": [progress]}]
    assert client.put("/v1/levels", json={"levels": levels}).status_code == 200
    refused = client.put("/v1/quests/q", json={"steps": [{"id": "other"}]})
    assert refused.status_code == 409 and refused.json["code"] == "conflict"
    assert "step s1" in refused.json["detail"]
    assert "rule:r" in refused.json["detail"] and "levels" in refused.json["detail"]
    assert [s["id"] for s in client.get("/v1/quests/q").json["steps"]] == ["s1", "s2"]
    kept = client.put("/v1/quests/q", json={"steps": [{"id": "s1"}, {"id": "s3"}]})
    assert kept.status_code == 200  # s2 was named by nobody


def test_insufficient_balance_is_409_and_changes_nothing(client: SpecCheckedClient) -> None:
    client.put("/v1/currencies/coins", json={"name": "Coins"})
    client.put("/v1/users/u1", json={})
    assert (
        client.post(
            "/v1/users/u1/transactions", json={"currency": "coins", "amount": 30}
        ).status_code
        == 201
    )
    refused = client.post("/v1/users/u1/transactions", json={"currency": "coins", "amount": -31})
    assert refused.status_code == 409 and refused.json["code"] == "insufficient_balance"
    spent = client.post(
        "/v1/users/u1/transactions", json={"currency": "coins", "amount": -30, "reason": "hat"}
    )
    assert spent.status_code == 201 and spent.json["balance"] == 0
    ledger = client.get("/v1/users/u1/transactions").json["data"]
    assert [e["amount"] for e in ledger] == [-30, 30]
    assert client.get("/v1/users/u1").json["balances"] == {"coins": 0}


def test_a_replayed_problem_is_the_stored_one_naming_the_first_request(
    client: SpecCheckedClient,
) -> None:
    client.put("/v1/currencies/coins", json={"name": "Coins"})
    client.put("/v1/users/u1", json={})
    spend = {"currency": "coins", "amount": -5}
    key = {"Idempotency-Key": "spend-1"}
    first = client.post("/v1/users/u1/transactions", json=spend, headers=key)
    again = client.post("/v1/users/u1/transactions", json=spend, headers=key)
    assert (first.status_code, again.status_code) == (409, 409)
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == first.get_data()  # byte for byte, as openapi.yaml says
    assert again.json["request_id"] == first.headers["X-Request-Id"]
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def test_sandbox_clock_freezes_and_advances(client: SpecCheckedClient) -> None:
    frozen = client.put("/v1/sandbox/clock", json={"now": "2026-03-02T09:00:00Z"}).json
    assert (frozen["now"], frozen["frozen"]) == ("2026-03-02T09:00:00Z", True)
    assert client.get("/v1/sandbox/clock").json["now"] == "2026-03-02T09:00:00Z"
    advanced = client.post("/v1/sandbox/clock/advance", json={"seconds": 90}).json
    assert advanced["now"] == "2026-03-02T09:01:30Z"
    event = client.post("/v1/events", json={"user_id": "u1", "type": "login"}).json["event"]
    assert event["occurred_at"] == event["received_at"] == "2026-03-02T09:01:30Z"


def test_sandbox_projects_are_isolated(client: SpecCheckedClient) -> None:
    client.put("/v1/users/u1", json={"display_name": "Ann"})
    created = client.post("/v1/sandbox/projects")
    assert created.status_code == 201
    other = client.with_key(created.json["api_key"])
    assert other.get("/v1/users/u1").status_code == 404
    assert other.get("/v1/users").json["data"] == []
    other.put("/v1/users/u1", json={"display_name": "Bob"})
    assert client.get("/v1/users/u1").json["display_name"] == "Ann"


def test_sandbox_reset_empties_data_and_can_keep_config(client: SpecCheckedClient) -> None:
    client.put("/v1/rules/xp", json=XP_RULE)
    client.post("/v1/events", json={"user_id": "u1", "type": "purchase"})
    kept = client.post("/v1/sandbox/reset?keep_config=true").json
    assert kept["kept_config"] is True
    assert client.get("/v1/users").json["data"] == []
    assert client.get("/v1/rules/xp").status_code == 200
    client.post("/v1/sandbox/reset")
    assert client.get("/v1/rules/xp").status_code == 404
    assert client.get("/v1/users").status_code == 200  # the key still works


def test_sandbox_reset_puts_the_clock_back_on_real_time(client: SpecCheckedClient) -> None:
    for query in ("", "?keep_config=true"):
        client.put("/v1/sandbox/clock", json={"now": "2030-01-01T00:00:00Z"})
        client.post("/v1/sandbox/clock/advance", json={"seconds": 3600})
        reset = client.post(f"/v1/sandbox/reset{query}").json
        clock = client.get("/v1/sandbox/clock").json
        assert clock["frozen"] is False
        for now in (reset["now"], clock["now"]):  # real time, not the frozen 2030
            moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
            assert abs(moment - datetime.now(timezone.utc)) < timedelta(minutes=5)
