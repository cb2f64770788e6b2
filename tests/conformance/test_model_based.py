"""Model-based testing of the HTTP API with hypothesis's stateful testing, on both backends.

Random users send events (some with an ``event_id`` that is replayed), spend and earn
through the ledger (debits beyond the balance included), the XP rule changes and the clock
moves. After every step the API must still agree with itself:

* each balance equals the sum of that user's ledger;
* each user's level is the one the curve (``GET /v1/levels``) gives for their XP;
* a badge that is not repeatable was awarded at most once;
* a replayed event applies nothing (XP and balances unchanged) and says ``replayed``;
* leaderboard ranks follow the scores (1, 2, 2, 4: one plus the number of higher scores).

Every response is also validated against openapi.yaml by the spec-checked client.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.support.client import SpecCheckedClient

USERS = ["u1", "u2", "u3"]
EVENT_IDS = [f"order_{n}" for n in range(6)]
CONFIG = {
    "levels": [
        {"level": 1, "min_xp": 0},
        {"level": 2, "min_xp": 30},
        {"level": 3, "min_xp": 100},
        {"level": 4, "min_xp": 250},
    ],
    "currencies": [{"id": "coins", "name": "Coins"}],
    "badges": [
        {"id": "first_lesson", "criteria": {"event_type": "lesson_completed"}},
        {
            "id": "regular",
            "criteria": {"event_type": "login"},
            "target": 2,
            "repeatable": True,
        },
    ],
    "leaderboards": [{"id": "xp_board", "metric": {"type": "xp"}, "period": "all_time"}],
    "rules": [
        {
            "id": "lesson-reward",
            "trigger": {"event_type": "lesson_completed"},
            "actions": [
                {"type": "grant_xp", "amount": 20},
                {"type": "grant_currency", "currency": "coins", "amount": 5},
            ],
        }
    ],
}


class QuestlineMachine(RuleBasedStateMachine):
    db_path: str | None = None

    @initialize()
    def start(self) -> None:
        self.app = create_app(
            ServerConfig(db_path=self.db_path, api_key="sk_test_model", background_workers=False)
        )
        # One project per example (the app may be shared by a file on disk): a new sandbox.
        root = SpecCheckedClient(self.app, "sk_test_model")
        key = root.post("/v1/sandbox/projects").get_json()["api_key"]
        self.api = root.with_key(key)
        assert (
            self.api.put("/v1/sandbox/clock", json={"now": "2026-03-02T09:00:00Z"}).status_code
            == 200
        )
        assert self.api.put("/v1/sandbox/config", json=CONFIG).status_code == 200
        self.curve = self.api.get("/v1/levels").get_json()["levels"]
        self.sent: dict[str, dict[str, Any]] = {}  # event_id -> first result
        self.known: set[str] = set()

    def teardown(self) -> None:
        if hasattr(self, "app"):
            self.app.extensions["questline"].close()

    def user(self, user_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/users/{user_id}")
        assert response.status_code == 200
        body: dict[str, Any] = response.get_json()
        return body

    @rule(
        user_id=st.sampled_from(USERS),
        kind=st.sampled_from(["lesson_completed", "login", "page_viewed"]),
        event_id=st.none() | st.sampled_from(EVENT_IDS),
    )
    def send_event(self, user_id: str, kind: str, event_id: str | None) -> None:
        body: dict[str, Any] = {"user_id": user_id, "type": kind}
        if event_id is not None:
            body["event_id"] = event_id
        replay = event_id in self.sent
        before = {u: self.user(u) for u in self.known} if replay else {}
        response = self.api.post("/v1/events", json=body)
        assert response.status_code == 200, response.get_json()
        result = response.get_json()
        assert result["replayed"] is replay
        if replay:
            assert result["event"]["id"] == self.sent[event_id]["event"]["id"]
            for other, profile in before.items():
                after = self.user(other)
                assert (after["xp"], after["balances"]) == (profile["xp"], profile["balances"])
        else:
            self.known.add(user_id)
            if event_id is not None:
                self.sent[event_id] = result

    @precondition(lambda self: bool(self.known))
    @rule(data=st.data(), amount=st.integers(-40, 40).filter(bool))
    def transact(self, data: st.DataObject, amount: int) -> None:
        user_id = data.draw(st.sampled_from(sorted(self.known)))
        before = self.user(user_id)["balances"].get("coins", 0)
        response = self.api.post(
            f"/v1/users/{user_id}/transactions", json={"currency": "coins", "amount": amount}
        )
        if before + amount < 0:
            assert response.status_code == 409
            assert response.get_json()["code"] == "insufficient_balance"
            assert self.user(user_id)["balances"].get("coins", 0) == before
        else:
            assert response.status_code == 201, response.get_json()
            assert response.get_json()["balance"] == before + amount

    @rule(xp=st.integers(0, 60))
    def change_rule(self, xp: int) -> None:
        rule_body = {**CONFIG["rules"][0]}  # type: ignore[index]
        rule_body.pop("id")
        rule_body["actions"] = [
            {"type": "grant_xp", "amount": xp},
            {"type": "grant_currency", "currency": "coins", "amount": 5},
        ]
        assert self.api.put("/v1/rules/lesson-reward", json=rule_body).status_code == 200

    @rule(seconds=st.sampled_from([60, 3600, 86400, 8 * 86400]))
    def advance_clock(self, seconds: int) -> None:
        response = self.api.post("/v1/sandbox/clock/advance", json={"seconds": seconds})
        assert response.status_code == 200

    @invariant()
    def balances_equal_the_ledger(self) -> None:
        for user_id in getattr(self, "known", ()):
            ledger = self.api.get(f"/v1/users/{user_id}/transactions?limit=100").get_json()
            assert not ledger["has_more"]
            total = sum(e["amount"] for e in ledger["data"] if e["currency"] == "coins")
            assert self.user(user_id)["balances"].get("coins", 0) == total

    @invariant()
    def levels_follow_the_curve(self) -> None:
        for user_id in getattr(self, "known", ()):
            profile = self.user(user_id)
            expected = max(lvl["level"] for lvl in self.curve if lvl["min_xp"] <= profile["xp"])
            assert profile["level"] == expected, profile

    @invariant()
    def unrepeatable_badges_are_awarded_once(self) -> None:
        for user_id in getattr(self, "known", ()):
            badges = self.api.get(f"/v1/users/{user_id}/badges?limit=100").get_json()["data"]
            for badge in badges:
                if badge["badge_id"] == "first_lesson":
                    assert badge["award_count"] <= 1, badge

    @invariant()
    def ranks_follow_scores(self) -> None:
        if not hasattr(self, "api"):
            return
        entries = self.api.get("/v1/leaderboards/xp_board/rankings?limit=100").get_json()["data"]
        scores = [e["score"] for e in entries]
        assert scores == sorted(scores, reverse=True)
        for entry in entries:
            assert entry["rank"] == 1 + sum(1 for s in scores if s > entry["score"]), entries
        for entry in entries:
            assert entry["score"] == self.user(entry["user_id"])["xp"]


MACHINE_SETTINGS = settings(
    max_examples=12,
    stateful_step_count=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_the_api_agrees_with_itself_under_random_use(backend: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:

        class Machine(QuestlineMachine):
            db_path = str(Path(tmp) / "model.db") if backend == "sqlite" else None

        Machine.TestCase.settings = MACHINE_SETTINGS
        Machine.TestCase().runTest()
