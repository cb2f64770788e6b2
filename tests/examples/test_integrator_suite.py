"""The integrator's example suite passes when run as they would run it: ``pytest`` in its
own directory, with its own configuration and the plugin found through its entry point."""

from __future__ import annotations

import subprocess
import sys

from tests.examples.conftest import EXAMPLES


def test_the_integrator_suite_passes() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLES / "integrator_tests",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 passed" in run.stdout
