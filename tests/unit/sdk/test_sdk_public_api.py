"""The package's public names: sorted, complete, and importable."""

from __future__ import annotations

import types

import questline


def _isort_style(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then everything else.
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


def test_all_is_sorted() -> None:
    assert questline.__all__ == sorted(questline.__all__, key=_isort_style)


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name, value in vars(questline).items()
        if not name.startswith("_")
        and not (isinstance(value, types.ModuleType) and name not in {"types", "webhooks"})
        and name != "annotations"
    }
    assert public | {"__version__"} == set(questline.__all__)


def test_every_name_in_all_exists() -> None:
    for name in questline.__all__:
        assert hasattr(questline, name), name


def test_design_names_are_exported() -> None:
    for name in [
        "Questline",
        "AsyncQuestline",
        "BadRequestError",
        "AuthenticationError",
        "NotFoundError",
        "ConflictError",
        "UnprocessableEntityError",
        "RateLimitError",
        "InternalServerError",
        "APIConnectionError",
        "APITimeoutError",
        "WebhookVerificationError",
    ]:
        assert name in questline.__all__


def test_py_typed_marker_ships() -> None:
    from importlib.resources import files

    assert files("questline").joinpath("py.typed").is_file()
