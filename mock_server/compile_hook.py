"""Hatch build hook: a wheel whose engine and storage are compiled with mypyc.

Off by default: ``pip install -e .`` and a plain ``pip wheel .`` give pure Python, which is
what development and debugging want. ``HATCH_BUILD_HOOKS_ENABLE=1 pip wheel .`` compiles the
modules every event runs through, as black and mypy build theirs, and marks the wheel for
this interpreter and platform. The
``.py`` files stay in the wheel beside their extension modules (which Python imports first),
so tracebacks still name the source. CI builds this wheel and runs the server's tests on it.

The sources are copied to a scratch directory and compiled there: nothing is written into
the checkout, where a stale extension module would shadow an edited ``.py`` file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# What one event runs through: the engine, both stores, ids, JSON and the outbox. The HTTP
# layer, the CLI and the sandbox stay interpreted (Flask's decorators and per-request work
# are not where a batch spends its time).
COMPILED = (
    "questline_mock/domain.py",
    "questline_mock/ids.py",
    "questline_mock/jsonutil.py",
    "questline_mock/backend/events.py",
    "questline_mock/engine/*.py",
    "questline_mock/storage/_common.py",
    "questline_mock/storage/memory*.py",
    "questline_mock/storage/sqlite*.py",
    "questline_mock/webhooks/outbox.py",
)
NOT_COMPILED = ("__init__.py",)

_SETUP = """\
import sys
from setuptools import setup
from mypyc.build import mypycify

setup(
    name="questline_mock_compiled",
    ext_modules=mypycify(sys.argv.pop(1).split(","), opt_level="3", debug_level="1"),
)
"""


class CompileServer(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        self._work = work = Path(tempfile.mkdtemp(prefix="questline-mypyc-"))
        shutil.copytree(
            root / "mock_server" / "questline_mock",
            work / "questline_mock",
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"),
        )
        files = sorted(
            str(path.relative_to(work))
            for pattern in COMPILED
            for path in work.glob(pattern)
            if path.name not in NOT_COMPILED
        )
        (work / "setup.py").write_text(_SETUP)
        env = {**os.environ, "MYPYPATH": str(root / "sdk" / "python" / "src")}
        done = subprocess.run(
            [sys.executable, "setup.py", ",".join(files), "build_ext", "--inplace"],
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"mypyc failed to compile the server:\n{done.stdout}")
        built = [  # beside the sources (build_ext --inplace), not setuptools' build/ copies
            p
            for p in work.rglob("*")
            if p.suffix in (".so", ".pyd") and p.relative_to(work).parts[0] != "build"
        ]
        if len(built) <= len(files):  # one per module and the shared library
            raise RuntimeError(f"mypyc built {len(built)} extensions for {len(files)} modules")
        for path in built:
            build_data["force_include"][str(path)] = str(path.relative_to(work))
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
