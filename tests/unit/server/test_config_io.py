"""Configuration documents (``--seed`` files, ``PUT /v1/sandbox/config``) are validated as
strictly as request bodies, by the same function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from questline_mock.app import create_app
from questline_mock.backend.config_io import check_shape
from questline_mock.config import ServerConfig
from questline_mock.engine import DefinitionError

API_KEY = "sk_test_config_io"
DOCUMENT: dict[str, Any] = {
    "rules": [
        {
            "id": "spring-sale",
            "trigger": {"event_type": "purchase"},
            "conditions": {"not": {"fact": "user.level", "operator": "gte", "value": 5}},
            "actions": [{"type": "grant_xp", "amount": {"from": "properties.amount"}}],
            "active_from": "2025-03-01T00:00:00Z",
            "active_until": "2025-04-01T00:00:00+02:00",
        }
    ],
    "quests": [
        {
            "id": "spring",
            "starts_at": "2025-03-01T00:00:00Z",
            "ends_at": None,
            "steps": [{"id": "buy", "criteria": {"event_type": "purchase"}}],
        }
    ],
}


def test_a_seed_file_with_date_times_loads(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    app = create_app(ServerConfig(api_key=API_KEY, seed_path=str(seed), background_workers=False))
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with app.test_client() as http:
        rule = http.get("/v1/rules/spring-sale", headers=headers).get_json()
        quest = http.get("/v1/quests/spring", headers=headers).get_json()
    assert (rule["active_from"], rule["active_until"]) == (
        "2025-03-01T00:00:00Z",
        "2025-03-31T22:00:00Z",
    )
    assert rule["conditions"] == {"not": {"fact": "user.level", "operator": "gte", "value": 5}}
    assert (quest["starts_at"], quest["ends_at"]) == ("2025-03-01T00:00:00Z", None)


def test_the_shape_check_is_the_request_bodies_strict_validation() -> None:
    shaped = check_shape(DOCUMENT)
    assert shaped["rules"][0]["active_from"] == "2025-03-01T00:00:00Z"
    assert shaped["quests"][0]["ends_at"] is None  # nullable, so kept
    with pytest.raises(DefinitionError) as info:
        check_shape(
            {
                "currencies": [{"id": "gems", "name": None}],  # optional, not nullable
                "rules": [{**DOCUMENT["rules"][0], "active_from": "2025-03-01T00:00:00"}],
            }
        )
    assert sorted(e["loc"] for e in info.value.errors) == [
        ["body", "currencies", 0, "name"],
        ["body", "rules", 0, "active_from"],
    ]
