"""Generation: deterministic, marked as generated, and kept in sync by --check."""

from __future__ import annotations

import filecmp
import py_compile
import shutil
from pathlib import Path

import pytest
from codegen_testdata import REPO, SAMPLE_SPEC, SPEC

from codegen.__main__ import main
from codegen.generate import check, generate
from codegen.languages.python import HEADER


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("gen1")
    return out, generate(REPO, SPEC, out)


def test_generating_twice_gives_identical_files(
    generated: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    first_root, first = generated
    second = generate(REPO, SPEC, tmp_path)
    assert [p.relative_to(first_root) for p in first] == [p.relative_to(tmp_path) for p in second]
    for a, b in zip(first, second, strict=True):
        assert filecmp.cmp(a, b, shallow=False), a


def test_every_generated_file_says_so_on_its_first_line(generated: tuple[Path, list[Path]]) -> None:
    _, files = generated
    assert files
    for path in files:
        assert path.read_text(encoding="utf-8").splitlines()[0] == HEADER


def test_expected_layout(generated: tuple[Path, list[Path]]) -> None:
    root, files = generated
    names = {str(p.relative_to(root / "sdk/python/src/questline")) for p in files}
    assert {"_client.py", "types/_models.py", "types/__init__.py", "resources/__init__.py"} <= names
    assert {"resources/events.py", "resources/users.py", "resources/sandbox.py"} <= names


def test_no_timestamps_or_machine_paths(generated: tuple[Path, list[Path]]) -> None:
    _, files = generated
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert "timestamp:" not in text and str(REPO) not in text and "/tmp" not in text


def test_the_repository_is_up_to_date() -> None:
    assert check(REPO, SPEC) == []


def test_check_reports_an_edited_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "sdk", repo / "sdk", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", repo / "pyproject.toml")
    shutil.copy(SPEC, repo / "openapi.yaml")
    assert main(["--repo", str(repo), "--check"]) == 0
    target = repo / "sdk/python/src/questline/resources/users.py"
    target.write_text(target.read_text() + "\n# hand edit\n")
    (repo / "sdk/python/src/questline/resources/stale.py").write_text("")
    assert main(["--repo", str(repo), "--check"]) == 1
    out = capsys.readouterr().out
    assert "resources/users.py" in out and "resources/stale.py" in out


def test_another_spec_goes_through_the_same_pipeline(tmp_path: Path) -> None:
    files = generate(REPO, SAMPLE_SPEC, tmp_path)
    for path in files:
        py_compile.compile(str(path), doraise=True)
    client = (tmp_path / "sdk/python/src/questline/_client.py").read_text()
    assert "def stream(" in client and "def users(self)" in client
    users = (tmp_path / "sdk/python/src/questline/resources/users.py").read_text()
    assert "class UsersTransactions(SyncAPIResource)" in users
