"""Spec in, SDK files out: parse once into the intermediate model, render per language.

Output is deterministic (no timestamps, sorted names, formatted by ruff with the
repository's configuration), so ``--check`` can regenerate into a scratch directory and
compare byte for byte.
"""

from __future__ import annotations

import filecmp
import tempfile
from pathlib import Path

from .languages import LANGUAGES
from .parse import load_api

__all__ = ["check", "generate"]


def generate(repo: Path, spec: Path, out_root: Path | None = None) -> list[Path]:
    """Generate every language's files under ``out_root`` (default: the repository)."""
    out_root = out_root or repo
    api = load_api(spec)
    written: list[Path] = []
    for language in LANGUAGES.values():
        files = language.generate(api, spec, out_root)
        language.format_files(files, repo)
        written.extend(files)
    return sorted(written)


def _owned(root: Path) -> set[Path]:
    """Files under ``root`` that belong to the generator (so stale ones are noticed)."""
    found: set[Path] = set()
    for language in LANGUAGES.values():
        found.update(f for f in language.OWNED_FILES if (root / f).exists())
        for d in language.OWNED_DIRS:
            if (root / d).is_dir():
                found.update(
                    p.relative_to(root)
                    for p in (root / d).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts
                )
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
