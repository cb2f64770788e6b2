"""The pytest plugin as an integrator meets it: fixtures used from a user's own test file,
run by a separate pytest (pytester), and a plugin that loads without the server installed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from questline.testing.plugin import QuestlineServer

pytest_plugins = ["pytester"]

USER_TESTS = textwrap.dedent(
    """
    import pytest
    from questline import Questline

    def test_events_reach_a_fresh_project(questline):
        questline.events.send(user_id="u1", type="login")
        assert [u.id for u in questline.users.list()] == ["u1"]

    def test_the_next_test_starts_empty(questline):
        assert questline.users.list().data == []

    def test_the_session_server_is_live(questline_server):
        with Questline(api_key=questline_server.api_key, base_url=questline_server.base_url) as c:
            assert c.health.retrieve().status == "ok"

    @pytest.mark.asyncio
    async def test_async_client_on_its_own_project(async_questline):
        await async_questline.events.send(user_id="u2", type="login")
        assert [u.id for u in (await async_questline.users.list()).data] == ["u2"]
    """
)


def test_fixtures_work_in_a_users_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_an_already_running_server_can_be_used_instead(
    pytester: pytest.Pytester, questline_server: QuestlineServer
) -> None:
    pytester.makepyfile(
        test_external=f"""
        def test_uses_the_given_server(questline_server, questline):
            assert questline_server.base_url == {questline_server.base_url!r}
            assert questline.users.list().data == []
        """
    )
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--questline-base-url",
        questline_server.base_url,
        "--questline-api-key",
        questline_server.api_key,
    )
    result.assert_outcomes(passed=1)


BLOCK_SERVER = """
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"flask", "waitress", "respx", "questline_mock"}:
            raise ImportError(f"{name} is not installed")

sys.meta_path.insert(0, Block())
import questline.testing.plugin
from questline.testing import mock_questline
try:
    mock_questline().start()
except ImportError as exc:
    print(exc)
"""


def test_the_plugin_loads_with_only_the_sdk_installed() -> None:
    run = subprocess.run(
        [sys.executable, "-c", BLOCK_SERVER], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert "pip install 'questline[server]'" in run.stdout
