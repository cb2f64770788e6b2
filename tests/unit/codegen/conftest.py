"""Shared helpers for the code generator's tests."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# Lets test modules `import codegen_testdata` (pytest's import mode does not add test dirs).
sys.path.insert(0, str(Path(__file__).parent))

from codegen_testdata import SPEC


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    with SPEC.open(encoding="utf-8") as fh:
        loaded: dict[str, Any] = yaml.safe_load(fh)
    return loaded
