"""Every input a user can get wrong is a 4xx problem naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import SpecCheckedClient

JSON = {"Content-Type": "application/json"}

# (name, method, path, kwargs, status, code, loc) — ``loc`` is the first error's location
# when the problem names a field (None when it need not).
CASES: list[tuple[str, str, str, dict[str, Any], int, str, list[Any] | None]] = [
    (
        "malformed json",
        "POST",
        "/v1/events",
        {"data": "{oops", "headers": JSON},
        400,
        "validation_error",
        None,
    ),
    (
        "empty body",
        "POST",
        "/v1/events",
        {"data": "", "headers": JSON},
        400,
        "validation_error",
        None,
    ),
    (
        "invalid utf-8",
        "POST",
        "/v1/events",
        {"data": b'{"user_id": "\xff"}', "headers": JSON},
        400,
        "validation_error",
        None,
    ),
    (
        "NaN literal",
        "POST",
        "/v1/events",
        {"data": '{"user_id": NaN}', "headers": JSON},
        400,
        "validation_error",
        None,
    ),
    (
        "wrong content type",
        "POST",
        "/v1/events",
        {"data": "user_id=u1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        400,
        "validation_error",
        None,
    ),
    ("body is an array", "POST", "/v1/events", {"json": [1, 2]}, 422, "validation_error", ["body"]),
    (
        "missing user_id",
        "POST",
        "/v1/events",
        {"json": {"type": "login"}},
        422,
        "validation_error",
        ["body", "user_id"],
    ),
    (
        "missing type",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1"}},
        422,
        "validation_error",
        ["body", "type"],
    ),
    (
        "bad event type",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "Login Now"}},
        422,
        "validation_error",
        ["body", "type"],
    ),
    (
        "user_id wrong type",
        "POST",
        "/v1/events",
        {"json": {"user_id": 42, "type": "login"}},
        422,
        "validation_error",
        ["body", "user_id"],
    ),
    (
        "user_id with spaces",
        "POST",
        "/v1/events",
        {"json": {"user_id": "a b", "type": "login"}},
        422,
        "validation_error",
        ["body", "user_id"],
    ),
    (
        "user_id too long",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u" * 129, "type": "login"}},
        422,
        "validation_error",
        ["body", "user_id"],
    ),
    (
        "unknown field",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login", "colour": "red"}},
        422,
        "validation_error",
        ["body", "colour"],
    ),
    (
        "camelCase on the wire",
        "POST",
        "/v1/events",
        {"json": {"userId": "u1", "type": "login"}},
        422,
        "validation_error",
        None,
    ),
    (
        "properties not an object",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login", "properties": [1]}},
        422,
        "validation_error",
        ["body", "properties"],
    ),
    (
        "occurred_at not a time",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login", "occurred_at": "yesterday"}},
        422,
        "validation_error",
        ["body", "occurred_at"],
    ),
    (
        "occurred_at far future",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login", "occurred_at": "2999-01-01T00:00:00Z"}},
        422,
        "validation_error",
        ["body", "occurred_at"],
    ),
    (
        "properties too deep",
        "POST",
        "/v1/events",
        {
            "json": {
                "user_id": "u1",
                "type": "login",
                "properties": {
                    "a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": {"k": 1}}}}}}}}}}
                },
            }
        },
        422,
        "validation_error",
        ["body", "properties"],
    ),
    (
        "properties too large",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login", "properties": {"blob": "x" * 40_000}}},
        422,
        "validation_error",
        ["body", "properties"],
    ),
    (
        "body over 1 MiB",
        "POST",
        "/v1/events",
        {"data": '{"user_id": "' + "u" * (1024 * 1024 + 10) + '"}', "headers": JSON},
        413,
        "payload_too_large",
        None,
    ),
    (
        "body nested 100k deep",
        "POST",
        "/v1/events",
        {"data": "[" * 100_000 + "]" * 100_000, "headers": JSON},
        400,
        "validation_error",
        None,
    ),
    (
        "huge integer",
        "POST",
        "/v1/users/u1/transactions",
        {
            "json": None,
            "data": '{"currency": "coins", "amount": ' + "9" * 5000 + "}",
            "headers": JSON,
        },
        400,
        "validation_error",
        None,
    ),
    (
        "batch not a list",
        "POST",
        "/v1/events/batch",
        {"json": {"events": {"user_id": "u1"}}},
        422,
        "validation_error",
        ["body", "events"],
    ),
    (
        "batch of 501",
        "POST",
        "/v1/events/batch",
        {"json": {"events": [{"user_id": "u1", "type": "t"}] * 501}},
        422,
        "validation_error",
        ["body", "events"],
    ),
    (
        "empty batch",
        "POST",
        "/v1/events/batch",
        {"json": {"events": []}},
        422,
        "validation_error",
        ["body", "events"],
    ),
    (
        "bad user id in path",
        "PUT",
        "/v1/users/has%20space",
        {"json": {}},
        422,
        "validation_error",
        ["path", "user_id"],
    ),
    (
        "unknown timezone",
        "PUT",
        "/v1/users/u1",
        {"json": {"timezone": "Mars/Olympus"}},
        422,
        "validation_error",
        ["body", "timezone"],
    ),
    (
        "traits not an object",
        "PUT",
        "/v1/users/u1",
        {"json": {"traits": "vip"}},
        422,
        "validation_error",
        ["body", "traits"],
    ),
    ("unknown user", "GET", "/v1/users/nobody", {}, 404, "not_found", None),
    ("unknown path", "GET", "/v1/nothing-here", {}, 404, "not_found", None),
    ("wrong method", "PATCH", "/v1/users/u1", {"json": {}}, 405, "method_not_allowed", None),
    (
        "bad definition id",
        "PUT",
        "/v1/badges/Not_Valid",
        {"json": {"name": "x"}},
        422,
        "validation_error",
        ["path", "badge_id"],
    ),
    (
        "rule with unknown operator",
        "PUT",
        "/v1/rules/r1",
        {
            "json": {
                "trigger": {"event_type": "x"},
                "conditions": {"fact": "properties.a", "operator": "roughly", "value": 1},
                "actions": [{"type": "grant_xp", "amount": 1}],
            }
        },
        422,
        "validation_error",
        ["body", "conditions", "operator"],
    ),
    (
        "rule with an unknown fact deep in its conditions",
        "PUT",
        "/v1/rules/r1",
        {
            "json": {
                "trigger": {"event_type": "x"},
                "conditions": {"any": [{"not": {"fact": "foo.bar", "operator": "eq", "value": 1}}]},
                "actions": [{"type": "grant_xp", "amount": 1}],
            }
        },
        422,
        "validation_error",
        ["body", "conditions", "any", 0, "not", "fact"],
    ),
    (
        "rule with a computed amount from nowhere",
        "PUT",
        "/v1/rules/r1",
        {
            "json": {
                "trigger": {"event_type": "x"},
                "actions": [{"type": "grant_xp", "amount": {"from": "nowhere"}}],
            }
        },
        422,
        "validation_error",
        ["body", "actions", 0, "amount", "from"],
    ),
    (
        "rule with unknown currency",
        "PUT",
        "/v1/rules/r1",
        {
            "json": {
                "trigger": {"event_type": "x"},
                "actions": [{"type": "grant_currency", "currency": "gems", "amount": 1}],
            }
        },
        422,
        "validation_error",
        ["body", "actions", 0, "currency"],
    ),
    (
        "rule with unknown badge",
        "PUT",
        "/v1/rules/r1",
        {
            "json": {
                "trigger": {"event_type": "x"},
                "actions": [{"type": "award_badge", "badge_id": "ghost"}],
            }
        },
        422,
        "validation_error",
        ["body", "actions", 0, "badge_id"],
    ),
    (
        "levels not increasing",
        "PUT",
        "/v1/levels",
        {"json": {"levels": [{"level": 1, "min_xp": 0}, {"level": 2, "min_xp": 0}]}},
        422,
        "validation_error",
        None,
    ),
    (
        "levels not from zero",
        "PUT",
        "/v1/levels",
        {"json": {"levels": [{"level": 1, "min_xp": 5}]}},
        422,
        "validation_error",
        None,
    ),
    (
        "transaction unknown currency",
        "POST",
        "/v1/users/u1/transactions",
        {"json": {"currency": "gems", "amount": 5}},
        422,
        "validation_error",
        ["body", "currency"],
    ),
    (
        "transaction amount as string",
        "POST",
        "/v1/users/u1/transactions",
        {"json": {"currency": "coins", "amount": "5"}},
        422,
        "validation_error",
        ["body", "amount"],
    ),
    (
        "limit out of range",
        "GET",
        "/v1/users?limit=1000",
        {},
        422,
        "validation_error",
        ["query", "limit"],
    ),
    (
        "limit not a number",
        "GET",
        "/v1/users?limit=ten",
        {},
        422,
        "validation_error",
        ["query", "limit"],
    ),
    (
        "cursor from nowhere",
        "GET",
        "/v1/users?cursor=bm9wZQ",
        {},
        422,
        "validation_error",
        ["query", "cursor"],
    ),
    (
        "since not a time",
        "GET",
        "/v1/events?since=monday",
        {},
        422,
        "validation_error",
        ["query", "since"],
    ),
    (
        "clock advance negative",
        "POST",
        "/v1/sandbox/clock/advance",
        {"json": {"seconds": -5}},
        422,
        "validation_error",
        ["body", "seconds"],
    ),
    (
        "idempotency key too long",
        "POST",
        "/v1/events",
        {"json": {"user_id": "u1", "type": "login"}, "headers": {"Idempotency-Key": "k" * 300}},
        422,
        "validation_error",
        ["header", "Idempotency-Key"],
    ),
]


@pytest.fixture
def seeded(client: SpecCheckedClient) -> SpecCheckedClient:
    assert client.put("/v1/currencies/coins", json={"name": "Coins"}).status_code == 200
    assert client.put("/v1/users/u1", json={}).status_code == 200
    return client


@pytest.mark.parametrize(
    ("name", "method", "path", "kwargs", "status", "code", "loc"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_request_is_a_problem_naming_the_field(
    seeded: SpecCheckedClient,
    name: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
    code: str,
    loc: list[Any] | None,
) -> None:
    kwargs = {k: v for k, v in kwargs.items() if not (k == "json" and v is None)}
    response = seeded.open(method, path, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/problem+json"
    problem = response.json
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["request_id"] == response.headers["X-Request-Id"]
    assert set(problem) >= {"type", "title", "status", "detail", "code", "errors", "request_id"}
    if loc is not None:
        assert problem["errors"], problem
        assert problem["errors"][0]["loc"] == loc, problem["errors"]


def test_bad_requests_change_nothing(seeded: SpecCheckedClient) -> None:
    for _name, method, path, kwargs, *_ in CASES:
        kwargs = {k: v for k, v in kwargs.items() if not (k == "json" and v is None)}
        seeded.open(method, path, **kwargs)
    assert seeded.get("/v1/events").json["data"] == []
    assert seeded.get("/v1/rules").json["data"] == []
    user = seeded.get("/v1/users/u1").json
    assert (user["xp"], user["balances"]) == (0, {})


EDGES = ("0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00")


def test_times_at_the_ends_of_the_calendar_are_refused_or_answered_never_a_500(
    seeded: SpecCheckedClient,
) -> None:
    """An offset can carry an RFC 3339 time past year 1 or 9999; none of them is a 500."""
    seeded.put("/v1/leaderboards/lb", json={"metric": {"type": "xp"}, "period": "week"})
    rule = {"trigger": {"event_type": "x"}, "actions": [{"type": "grant_xp", "amount": 1}]}
    for moment in EDGES:
        query = moment.replace("+", "%2B")
        assert seeded.put("/v1/sandbox/clock", json={"now": moment}).status_code == 422
        event = {"user_id": "u1", "type": "x", "occurred_at": moment}
        sent = seeded.post("/v1/events", json=event)
        assert sent.status_code == 422 and sent.json["errors"][0]["loc"] == ["body", "occurred_at"]
        batch = seeded.post("/v1/events/batch", json={"events": [event]}).json
        assert batch["failed"] == 1
        assert seeded.get(f"/v1/events?since={query}").status_code == 200
        assert seeded.get(f"/v1/events?until={query}").status_code == 200
        ranked = seeded.get(f"/v1/leaderboards/lb/rankings?period_start={query}")
        assert ranked.status_code in (200, 422)
        for field in ("active_from", "active_until"):
            assert seeded.put("/v1/rules/r", json={**rule, field: moment}).status_code == 200
        assert seeded.post("/v1/events", json={"user_id": "u1", "type": "x"}).status_code == 200
    end = seeded.get("/v1/leaderboards/lb/rankings?period_start=9999-12-31T23:59:59Z")
    assert end.status_code == 422 and end.json["errors"][0]["loc"] == ["query", "period_start"]


def test_the_sandbox_clock_stays_between_1970_and_9000(seeded: SpecCheckedClient) -> None:
    for moment in ("1969-12-31T23:59:59Z", "9000-01-01T00:00:00Z"):
        refused = seeded.put("/v1/sandbox/clock", json={"now": moment})
        assert refused.status_code == 422 and refused.json["errors"][0]["loc"] == ["body", "now"]
    assert seeded.put("/v1/sandbox/clock", json={"now": "8999-12-31T00:00:00Z"}).status_code == 200
    too_far = seeded.post("/v1/sandbox/clock/advance", json={"seconds": 86400})
    assert too_far.status_code == 422 and too_far.json["errors"][0]["loc"] == ["body", "seconds"]
    assert seeded.get("/v1/sandbox/clock").json["now"] == "8999-12-31T00:00:00Z"  # unmoved
    assert seeded.post("/v1/sandbox/clock/advance", json={"seconds": 3600}).status_code == 200
    assert seeded.post("/v1/events", json={"user_id": "u1", "type": "x"}).status_code == 200
