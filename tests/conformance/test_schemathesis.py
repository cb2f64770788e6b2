"""Schemathesis, run the way an integrator would, against a real reference server.

Every phase (examples, coverage, fuzzing, stateful via the spec's links) and every check
(``--checks all``: response schema and status conformance, negative data rejection, auth,
...) plus the two of ``schemathesis_hooks.py``. Zero failures is the bar: a finding is fixed
in the server or the spec, never baselined.

``GET /v1/stream`` is left out: it is an endless Server-Sent Events response, which
schemathesis would read until its timeout; tests/server/webhooks cover it.

Size: ``QUESTLINE_SCHEMATHESIS_EXAMPLES`` cases per operation and phase (default 8, about
a minute); the ``slow`` variant runs 40.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
KEY = "sk_test_conformance"


def run_schemathesis(tmp_path: Path, max_examples: int) -> dict[str, object]:
    report = tmp_path / "report.json"
    with ServerProcess(None, KEY, "--seed", str(HERE / "seed.json")) as server:
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "tests.conformance.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
            "QUESTLINE_CONFORMANCE_URL": server.base_url,
            "QUESTLINE_CONFORMANCE_KEY": KEY,
        }
        args = [
            *(sys.executable, "-m", "schemathesis.cli"),
            *("--config-file", str(HERE / "schemathesis.toml")),
            *("run", str(ROOT / "openapi.yaml"), "--url", server.base_url),
            *("--checks", "all", "--exclude-path", "/v1/stream"),
            *("--max-examples", str(max_examples), "--seed", "20261126"),
            *("--workers", "1", "--request-timeout", "10"),
            *("--generation-database", "none", "--no-color"),
            *("--report", "json", "--report-json-path", str(report)),
        ]
        done = subprocess.run(
            args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
    (tmp_path / "output.txt").write_text(done.stdout + done.stderr)
    summary: dict[str, object] = json.loads(report.read_text()) if report.exists() else {}
    size = {key: summary.get(key) for key in ("operations", "test_cases", "running_time")}
    print(f"schemathesis run size: {size}")
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    return summary


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    examples = int(os.environ.get("QUESTLINE_SCHEMATHESIS_EXAMPLES", "8"))
    summary = run_schemathesis(tmp_path, examples)
    operations = summary["operations"]
    assert isinstance(operations, dict) and operations["tested"] == operations["selected"]


@pytest.mark.slow
def test_schemathesis_finds_nothing_in_a_longer_run(tmp_path: Path) -> None:
    run_schemathesis(tmp_path, 40)
