"""Spec in, SDK files out: parse once into the intermediate model, render per language.

Output is deterministic (no timestamps, sorted names, formatted by ruff with the
repository's configuration), so ``--check`` can regenerate into a scratch directory and
compare byte for byte.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

from .languages import LANGUAGES
from .languages.python import PACKAGE_DIR
from .parse import load_api

__all__ = ["check", "generate"]

# Every file under these (relative to the repository root) is owned by the generator.
GENERATED_DIRS = (PACKAGE_DIR / "resources", PACKAGE_DIR / "types")
GENERATED_FILES = (PACKAGE_DIR / "_client.py",)


def generate(repo: Path, spec: Path, out_root: Path | None = None) -> list[Path]:
    """Generate every language's files under ``out_root`` (default: the repository)."""
    out_root = out_root or repo
    api = load_api(spec)
    written: list[Path] = []
    for language in LANGUAGES.values():
        written.extend(language.generate(api, spec, out_root))
    _format_python([p for p in written if p.suffix == ".py"], repo)
    return sorted(written)


def _ruff(args: list[str], repo: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "ruff",
        *args,
        "--config",
        str(repo / "pyproject.toml"),
        # The scratch directory of --check must sort imports as the repository does.
        "--config",
        "lint.isort.known-first-party = ['questline']",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=repo)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"ruff failed: {' '.join(cmd)}\n{result.stdout}{result.stderr}")


def _format_python(files: list[Path], repo: Path) -> None:
    if not files:
        return
    names = [str(p) for p in files]
    _ruff(["check", "--fix", "--unsafe-fixes", "--quiet", "--select", "I,F401,UP", *names], repo)
    _ruff(["format", "--quiet", *names], repo)


def _owned(root: Path) -> set[Path]:
    found = {f for f in GENERATED_FILES if (root / f).exists()}
    for d in GENERATED_DIRS:
        if (root / d).is_dir():
            found.update(p.relative_to(root) for p in (root / d).rglob("*.py"))
    return found


def check(repo: Path, spec: Path) -> list[str]:
    """Regenerate into a scratch directory; the repository files that differ (empty: none)."""
    with tempfile.TemporaryDirectory(prefix="questline-codegen-") as tmp:
        scratch = Path(tmp)
        generate(repo, spec, scratch)
        expected = _owned(scratch)
        actual = _owned(repo)
        differing = sorted(str(p) for p in actual - expected)  # stale files
        for rel in sorted(expected):
            if not (repo / rel).exists():
                differing.append(f"{rel} (missing)")
            elif not filecmp.cmp(scratch / rel, repo / rel, shallow=False):
                differing.append(str(rel))
        return differing
