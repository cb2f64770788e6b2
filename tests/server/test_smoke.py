"""The server answers a first integration end to end, within the spec."""

from __future__ import annotations

from tests.support.client import SpecCheckedClient


def test_first_event_grants_xp_and_currency_from_a_rule(client: SpecCheckedClient) -> None:
    assert client.put("/v1/currencies/coins", json={"name": "Coins"}).status_code == 200
    rule = {
        "name": "Purchase reward",
        "trigger": {"event_type": "purchase"},
        "actions": [
            {"type": "grant_xp", "amount": 150},
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.amount", "multiply": 0.1},
            },
        ],
    }
    assert client.put("/v1/rules/purchase-reward", json=rule).status_code == 200
    response = client.post(
        "/v1/events", json={"user_id": "u1", "type": "purchase", "properties": {"amount": 250}}
    )
    assert response.status_code == 200
    effects = response.json["effects"]
    assert effects["xp"]["granted"] == 150
    assert effects["currencies"] == [{"currency": "coins", "amount": 25, "balance": 25}]
    assert effects["rules_triggered"] == ["purchase-reward"]
    user = client.get("/v1/users/u1").json
    assert (user["xp"], user["balances"]) == (150, {"coins": 25})


def test_health_is_open_and_everything_else_needs_a_key(client: SpecCheckedClient) -> None:
    anonymous = client.with_key(None)
    assert anonymous.get("/v1/health").status_code == 200
    response = anonymous.get("/v1/users")
    assert response.status_code == 401
    assert response.json["code"] == "unauthorized"
    assert client.with_key("sk_test_wrong").get("/v1/users").status_code == 401
