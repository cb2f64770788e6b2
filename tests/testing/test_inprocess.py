"""mock_questline(): the SDK's and the application's own httpx traffic answered in-process."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from questline import AsyncQuestline, Questline
from questline.testing import DEFAULT_BASE_URL, MockQuestline, mock_questline
from questline.testing.plugin import QuestlineServer

from tests.testing.conftest import SAMPLE_CONFIG


class PointsService:
    """Application code that talks to Questline with its own httpx client, not the SDK."""

    def __init__(self) -> None:
        self.http = httpx.Client(
            base_url=os.environ["QUESTLINE_BASE_URL"],
            headers={"Authorization": f"Bearer {os.environ['QUESTLINE_API_KEY']}"},
        )

    def lesson_done(self, user_id: str) -> int:
        response = self.http.post(
            "/v1/events", json={"user_id": user_id, "type": "lesson_completed"}
        )
        response.raise_for_status()
        granted: int = response.json()["effects"]["xp"]["granted"]
        return granted


def add_lesson_rule(client: Questline) -> None:
    client.rules.upsert(
        "lesson-xp",
        trigger={"event_type": "lesson_completed"},
        actions=[{"type": "grant_xp", "amount": 40}],
    )


def test_sdk_and_raw_httpx_reach_the_same_in_process_server() -> None:
    with mock_questline() as sandbox:
        add_lesson_rule(sandbox.client)
        service = PointsService()
        assert service.lesson_done("u1") == 40
        assert service.lesson_done("u1") == 40
        assert sandbox.client.users.retrieve("u1").xp == 80
        service.http.close()


def test_environment_points_at_the_mock_and_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUESTLINE_API_KEY", "sk_live_untouched")
    monkeypatch.delenv("QUESTLINE_BASE_URL", raising=False)
    with mock_questline() as sandbox:
        assert os.environ["QUESTLINE_BASE_URL"] == sandbox.base_url == DEFAULT_BASE_URL
        assert os.environ["QUESTLINE_API_KEY"] == sandbox.api_key
        with Questline() as from_env:  # what the application would construct
            assert from_env.users.list().data == []
    assert os.environ["QUESTLINE_API_KEY"] == "sk_live_untouched"
    assert "QUESTLINE_BASE_URL" not in os.environ


def test_state_is_fresh_per_use() -> None:
    with mock_questline() as first:
        first.client.events.send(user_id="u1", type="login")
        assert len(first.client.users.list().data) == 1
    with mock_questline() as second:
        assert second.client.users.list().data == []


def test_requests_to_other_hosts_pass_through(questline_server: QuestlineServer) -> None:
    project = questline_server.new_project()
    with mock_questline() as sandbox:
        sandbox.client.events.send(user_id="in-process-only", type="login")
        with Questline(api_key=project.api_key, base_url=questline_server.base_url) as live:
            assert live.users.list().data == []  # the live server, not the mock
            health = httpx.get(questline_server.base_url + "/v1/health")
            assert health.status_code == 200


@mock_questline()
def test_decorator_on_a_sync_function() -> None:
    with Questline() as client:
        add_lesson_rule(client)
        assert client.events.send(user_id="u1", type="lesson_completed").effects.xp.granted == 40


@mock_questline
def test_decorator_without_parentheses() -> None:
    with Questline() as client:
        assert client.users.list().data == []


@mock_questline()
async def test_decorator_on_an_async_function() -> None:
    async with AsyncQuestline() as client:
        await client.currencies.upsert("coins")
        assert [c.id for c in (await client.currencies.list()).data] == ["coins"]


async def test_async_context_manager_and_raw_async_httpx() -> None:
    async with mock_questline() as sandbox:
        async with sandbox.async_client() as client:
            await client.events.send(user_id="u1", type="login")
        async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
            response = await http.get(
                "/v1/users/u1", headers={"Authorization": f"Bearer {sandbox.api_key}"}
            )
        assert response.status_code == 200
        assert response.json()["id"] == "u1"


def test_a_decorated_function_gets_a_fresh_server_on_each_call() -> None:
    seen: list[int] = []

    @mock_questline()
    def count_users_after_one_event() -> None:
        with Questline() as client:
            client.events.send(user_id="u1", type="login")
            seen.append(len(client.users.list().data))

    count_users_after_one_event()
    count_users_after_one_event()
    assert seen == [1, 1]


@pytest.mark.parametrize("config", [SAMPLE_CONFIG, str(SAMPLE_CONFIG), "dict"])
def test_config_is_loaded_before_the_block(config: Any, sample_config: dict[str, Any]) -> None:
    with mock_questline(config=sample_config if config == "dict" else config) as sandbox:
        exported = sandbox.client.sandbox.config.export()
        assert [rule.id for rule in exported.rules or []] == ["lesson-reward", "profile-reward"]


def test_errors_come_back_as_problems_and_the_block_can_be_left_by_an_exception() -> None:
    mock = MockQuestline()
    with pytest.raises(RuntimeError, match="boom"), mock:
        response = httpx.get(mock.base_url + "/v1/users")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        raise RuntimeError("boom")
    assert mock.app is None
    with pytest.raises(RuntimeError, match="not active"):
        _ = mock.client


def test_a_custom_base_url_and_key() -> None:
    with mock_questline(base_url="http://gamification.internal:8080/", api_key="sk_test_x") as sb:
        assert sb.base_url == "http://gamification.internal:8080"
        with Questline() as client:
            assert client.health.retrieve().status == "ok"
            assert client.users.list().data == []
        response = httpx.get(sb.base_url + "/v1/users", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401


async def test_the_live_stream_says_at_once_that_it_needs_a_running_server() -> None:
    """Not a stream that waits forever: a clear error naming what to use instead."""
    with mock_questline() as sandbox:
        with pytest.raises(NotImplementedError, match="questline_server"):
            next(iter(sandbox.client.stream(user_id="u1")))
        async with sandbox.async_client() as client:
            with pytest.raises(NotImplementedError, match="questline_server"):
                async for _ in client.stream(user_id="u1"):
                    break
