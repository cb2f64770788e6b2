"""Events over HTTP: replays, batches, history and the explain trace."""

from __future__ import annotations

from tests.support.client import SpecCheckedClient

XP_RULE = {
    "trigger": {"event_type": "lesson_completed"},
    "conditions": {"type": "property_gte", "property": "score", "value": 80},
    "actions": [{"type": "grant_xp", "amount": 50}],
}


def setup_rule(client: SpecCheckedClient) -> None:
    assert client.put("/v1/rules/good-lesson", json=XP_RULE).status_code == 200


def test_same_event_id_applies_once_and_replays_the_first_result(client: SpecCheckedClient) -> None:
    setup_rule(client)
    event = {
        "event_id": "lesson-1",
        "user_id": "u1",
        "type": "lesson_completed",
        "properties": {"score": 90},
    }
    first = client.post("/v1/events", json=event).json
    again = client.post("/v1/events", json=event).json
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["event"] == first["event"] and again["effects"] == first["effects"]
    assert client.get("/v1/users/u1").json["xp"] == 50


def test_a_batch_processes_each_entry_on_its_own_in_order(client: SpecCheckedClient) -> None:
    setup_rule(client)
    events = [
        {"event_id": "a", "user_id": "u1", "type": "lesson_completed", "properties": {"score": 95}},
        {"user_id": "bad id!", "type": "lesson_completed"},
        {"event_id": "a", "user_id": "u1", "type": "lesson_completed", "properties": {"score": 95}},
        {
            "user_id": "u1",
            "type": "lesson_completed",
            "properties": {"score": 85},
            "user": {"timezone": "Nowhere/City"},
        },
        {"user_id": "u2", "type": "lesson_completed", "properties": {"score": "81"}},
    ]
    body = client.post("/v1/events/batch", json={"events": events}).json
    assert [r["status"] for r in body["results"]] == [
        "processed",
        "failed",
        "replayed",
        "failed",
        "processed",
    ]
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3, 4]
    assert (body["processed"], body["replayed"], body["failed"]) == (2, 1, 2)
    assert body["results"][1]["error"]["errors"][0]["loc"] == ["body", "events", 1, "user_id"]
    assert body["results"][3]["error"]["errors"][0]["loc"] == [
        "body",
        "events",
        3,
        "user",
        "timezone",
    ]
    assert client.get("/v1/users/u1").json["xp"] == 50
    assert client.get("/v1/users/u2").json["xp"] == 50  # a numeric string compares as a number


def test_history_lists_newest_first_with_filters_and_pages(client: SpecCheckedClient) -> None:
    for n in range(5):
        client.post(
            "/v1/events", json={"user_id": f"u{n % 2}", "type": "tick" if n % 2 else "tock"}
        )
    page = client.get("/v1/events?limit=2").json
    assert len(page["data"]) == 2 and page["has_more"] is True
    rest = client.get(f"/v1/events?limit=10&cursor={page['next_cursor']}").json
    ids = [e["id"] for e in page["data"] + rest["data"]]
    assert len(ids) == 5 and ids == sorted(ids, reverse=True)
    assert {e["user_id"] for e in client.get("/v1/events?user_id=u1").json["data"]} == {"u1"}
    assert {e["type"] for e in client.get("/v1/events?type=tock").json["data"]} == {"tock"}
    assert len(client.get("/v1/users/u0/events").json["data"]) == 3


def test_retrieve_explains_why_a_rule_did_not_fire(client: SpecCheckedClient) -> None:
    setup_rule(client)
    sent = client.post(
        "/v1/events",
        json={"user_id": "u1", "type": "lesson_completed", "properties": {"score": 42}},
    )
    detail = client.get(f"/v1/events/{sent.json['event']['id']}").json
    assert detail["rules_triggered"] == []
    (trace,) = detail["trace"]
    assert trace["rule_id"] == "good-lesson" and trace["matched"] is False
    leaf = trace["conditions"]
    assert (leaf["fact"], leaf["operator"], leaf["actual"], leaf["result"]) == (
        "properties.score",
        "gte",
        42,
        False,
    )


def test_every_reason_a_rule_is_skipped_is_one_the_spec_names(
    client: SpecCheckedClient,
) -> None:
    """Each gate refuses its own rule; the detail (checked against openapi.yaml by the
    client) names each reason, and the SDK's model reads it."""
    from questline.types import EventDetail

    client.put("/v1/sandbox/clock", json={"now": "2030-01-01T12:00:00Z"})
    grant = [{"type": "grant_xp", "amount": 1}]
    rules = {
        "off": {"enabled": False},
        "later": {"active_from": "2030-01-02T00:00:00Z"},
        "over": {"active_until": "2030-01-01T00:00:00Z"},
        "once": {"limits": {"max_per_user": 1}},
        "calm": {"limits": {"cooldown_seconds": 3600}},
        "picky": {"conditions": {"fact": "properties.n", "operator": "gt", "value": 5}},
    }
    for rule_id, fields in rules.items():
        rule = {"trigger": {"event_type": "ping"}, "actions": grant, **fields}
        assert client.put(f"/v1/rules/{rule_id}", json=rule).status_code == 200
    client.post("/v1/events", json={"user_id": "u1", "type": "ping", "properties": {"n": 9}})
    sent = client.post("/v1/events", json={"user_id": "u1", "type": "ping", "properties": {"n": 1}})
    detail = client.get(f"/v1/events/{sent.json['event']['id']}")
    reasons = {t["rule_id"]: t["skipped_reason"] for t in detail.json["trace"]}
    assert reasons == {
        "off": "disabled",
        "later": "not_yet_active",
        "over": "expired",
        "once": "max_per_user_reached",
        "calm": "cooldown",
        "picky": "conditions_not_met",
    }
    parsed = EventDetail.model_validate_json(detail.get_data())
    assert [t.skipped_reason for t in parsed.trace] == list(reasons.values())


def test_properties_ten_levels_deep_are_accepted_however_many_brackets_they_hold(
    client: SpecCheckedClient,
) -> None:
    """The depth limit counts nesting, not brackets: ten levels pass even when siblings
    and strings hold many more brackets than that; eleven fail."""
    ten: dict[str, object] = {"leaf": 1}
    for _ in range(9):
        ten = {"next": ten}
    wide = {**ten, "siblings": [{"a": [1]} for _ in range(20)], "text": "{[" * 50}
    for properties in (ten, wide):
        event = {"user_id": "u1", "type": "login", "properties": properties}
        assert client.post("/v1/events", json=event).status_code == 200
    eleven = {"user_id": "u1", "type": "login", "properties": {"deeper": ten}}
    response = client.post("/v1/events", json=eleven)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == ["body", "properties"]


def test_a_rule_comparing_with_an_integer_past_the_float_range_still_judges(
    client: SpecCheckedClient,
) -> None:
    rule = {
        "trigger": {"event_type": "measured"},
        "conditions": {"fact": "properties.size", "operator": "lt", "value": 10**400},
        "actions": [{"type": "grant_xp", "amount": 5}],
    }
    assert client.put("/v1/rules/huge", json=rule).status_code == 200
    for size, granted in ((3, 5), (10**401, 0)):
        event = {"user_id": "u1", "type": "measured", "properties": {"size": size}}
        response = client.post("/v1/events", json=event)
        assert response.status_code == 200
        assert response.json["effects"]["xp"]["granted"] == granted
