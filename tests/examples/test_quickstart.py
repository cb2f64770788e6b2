"""The quickstart runs in each of its three modes and tells the same story."""

from __future__ import annotations

import subprocess
import sys

import pytest
from questline.testing.plugin import QuestlineServer

from tests.examples.conftest import EXAMPLES, load_example

STORY = [
    "badge unlocked: first-lesson",
    "LEVEL UP -> level 2",
    "streak daily-learning: 1 (unchanged)",  # ada, same UTC day
    "streak daily-learning: 2 (extended), milestone 2 reached",  # bao, a new day in Tokyo
    "3 streak(s) ended",
    "#1 ada    240 XP",
    "#2 bao    120 XP",
    "#3 cy      60 XP",
    "ada: level 2, 240 XP, balances {'coins': 55}",
]


def assert_story(output: str) -> None:
    missing = [line for line in STORY if line not in output]
    assert not missing, f"missing {missing} in:\n{output}"


def test_quickstart_runs_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    quickstart = load_example("quickstart.py", "example_quickstart")
    assert quickstart.main([]) == 0
    output = capsys.readouterr().out
    assert "running in-process" in output
    assert_story(output)


def test_quickstart_uses_a_given_server(
    capsys: pytest.CaptureFixture[str], questline_server: QuestlineServer
) -> None:
    quickstart = load_example("quickstart.py", "example_quickstart")
    argv = ["--base-url", questline_server.base_url, "--api-key", questline_server.api_key]
    assert quickstart.main(argv) == 0
    assert_story(capsys.readouterr().out)


def test_quickstart_serve_exit_starts_and_stops_its_own_server() -> None:
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "--serve", "--exit", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Started questline-mock serve at http://127.0.0.1:" in run.stdout
    assert "still running" not in run.stdout
    assert_story(run.stdout)
