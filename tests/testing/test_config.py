"""The configuration as one document: export → reset → import round-trips, a bad document
changes nothing, and ``--seed`` loads one at start-up."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from questline import UnprocessableEntityError
from questline.testing import mock_questline
from questline_mock.app import create_app
from questline_mock.backend.config_io import SeedError
from questline_mock.config import ServerConfig

from tests.support.client import SpecCheckedClient
from tests.testing.targets import Target


def exported(client: Any) -> dict[str, Any]:
    document: dict[str, Any] = client.sandbox.with_raw_response.config.export().http_response.json()
    return document


def test_export_reset_import_round_trips_to_an_identical_document(
    target: Target, sample_config: dict[str, Any]
) -> None:
    with target.client() as client:
        client.sandbox.config.import_(sample_config)
        first = exported(client)
        assert [b["id"] for b in first["badges"]] == ["first-lesson", "adept", "bookworm"]
        client.sandbox.reset()
        assert exported(client) == {
            "currencies": [],
            "badges": [],
            "quests": [],
            "streaks": [],
            "leaderboards": [],
            "rules": [],
            "webhook_endpoints": [],
        }
        stored = client.sandbox.config.import_(first)
        assert stored.model_dump(mode="json", exclude_unset=True) == first
        assert exported(client) == first


def test_import_returns_the_canonical_document_and_keeps_users(
    target: Target, sample_config: dict[str, Any]
) -> None:
    with target.client() as client:
        client.sandbox.config.import_(sample_config)
        client.events.send(user_id="u1", type="lesson_completed", properties={"pages": 12})
        assert client.users.retrieve("u1").balances == {"coins": 5}
        smaller = {"currencies": [{"id": "coins"}], "levels": [{"level": 1, "min_xp": 0}]}
        stored = client.sandbox.config.import_(smaller)
        assert [c.id for c in stored.currencies or []] == ["coins"]
        assert stored.rules == [] and stored.badges == []  # omitted kinds are emptied
        assert client.users.retrieve("u1").xp == 60  # users and their data are kept


def test_invalid_import_names_the_field_and_changes_nothing(
    target: Target, sample_config: dict[str, Any]
) -> None:
    with target.client() as client:
        client.sandbox.config.import_(sample_config)
        before = exported(client)
        bad = copy.deepcopy(sample_config)
        bad["currencies"] = [{"id": "gems"}]  # coins disappears: rules still grant it
        bad["rules"][0]["actions"][1]["currency"] = "coins"
        with pytest.raises(UnprocessableEntityError) as raised:
            client.sandbox.config.import_(bad)
        locs = [error.loc for error in raised.value.problem.errors]
        assert ["body", "rules", 0, "actions", 1, "currency"] in locs
        assert ["body", "levels", 1, "rewards", 0, "currency"] in locs
        assert exported(client) == before


def test_invalid_shape_is_rejected_by_the_server_too(target: Target) -> None:
    def put(document: Any) -> list[Any]:
        response = httpx.put(
            target.base_url + "/v1/sandbox/config",
            json=document,
            headers={"Authorization": f"Bearer {target.api_key}"},
        )
        assert response.status_code == 422
        return [error["loc"] for error in response.json()["errors"]]

    empty_actions = {"rules": [{"id": "r", "trigger": {"event_type": "x"}, "actions": []}]}
    assert put(empty_actions) == [["body", "rules", 0, "actions"]]
    assert put({"currencies": [{"id": "coins"}, {"id": "coins"}]}) == [
        ["body", "currencies", 1, "id"]
    ]
    assert put({"levels": [], "extra": 1}) == [["body", "levels"], ["body", "extra"]]


def test_definitions_may_refer_forward_within_the_document() -> None:
    with mock_questline() as sandbox:
        stored = sandbox.client.sandbox.config.import_(
            rules=[
                {
                    "id": "finish",
                    "trigger": {"event_type": "finished"},
                    "actions": [{"type": "award_badge", "badge_id": "starter"}],
                }
            ],
            badges=[
                {"id": "starter", "rewards": [{"type": "award_badge", "badge_id": "later"}]},
                {"id": "later"},
            ],
        )
        assert [b.id for b in stored.badges or []] == ["starter", "later"]


def test_webhook_endpoints_keep_their_id_and_given_secret() -> None:
    endpoint = {
        "id": "whe_fixed",
        "url": "https://example.com/hooks",
        "secret": "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    }
    with mock_questline() as sandbox:
        stored = sandbox.client.sandbox.config.import_(webhook_endpoints=[endpoint])
        assert [(e.id, e.event_types) for e in stored.webhook_endpoints or []] == [
            ("whe_fixed", ["*"])
        ]
        backend = sandbox.app.extensions["questline"]
        with backend.storage.read("proj_default") as view:
            kept = view.get_webhook_endpoint("whe_fixed")
        assert kept.secrets[0][0] == endpoint["secret"]
        assert "secret" not in exported(sandbox.client)["webhook_endpoints"][0]


def test_exported_and_imported_documents_follow_the_spec(sample_config: dict[str, Any]) -> None:
    app = create_app(ServerConfig(api_key="sk_test_questline", background_workers=False))
    client = SpecCheckedClient(app)
    assert client.put("/v1/sandbox/config", json=sample_config).status_code == 200
    assert client.get("/v1/sandbox/config").status_code == 200
    assert client.put("/v1/sandbox/config", json=[1]).status_code == 422
    app.extensions["questline"].close()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_seed_file_is_loaded_at_start_up(
    tmp_path: Path, sample_config: dict[str, Any], suffix: str
) -> None:
    seed = tmp_path / f"questline{suffix}"
    text = json.dumps(sample_config) if suffix == ".json" else yaml.safe_dump(sample_config)
    seed.write_text(text)
    with mock_questline(config=seed) as sandbox:
        assert [s.id for s in sandbox.client.sandbox.config.export().streaks or []] == [
            "daily-learning"
        ]


def test_a_bad_seed_file_stops_the_server_with_the_reason(tmp_path: Path) -> None:
    seed = tmp_path / "bad.json"
    seed.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "id": "r",
                        "trigger": {"event_type": "x"},
                        "actions": [{"type": "grant_currency", "currency": "nope", "amount": 1}],
                    }
                ]
            }
        )
    )
    with pytest.raises(SeedError, match=r"body\.rules\.0\.actions\.0\.currency"):
        create_app(ServerConfig(seed_path=str(seed), background_workers=False))
    served = subprocess.run(
        [sys.executable, "-m", "questline_mock.cli", "serve", "--port", "0", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode == 2
    assert "unknown currency 'nope'" in served.stderr
    missing = tmp_path / "missing.yaml"
    with pytest.raises(SeedError, match="cannot read"):
        create_app(ServerConfig(seed_path=str(missing), background_workers=False))
