"""Target languages. Each module turns the intermediate model into files for one SDK."""

from __future__ import annotations

from . import python

LANGUAGES = {"python": python}

__all__ = ["LANGUAGES"]
