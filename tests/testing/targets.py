"""Where a test's clients go: a fresh project on one kind of server (see conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from questline import AsyncQuestline, Questline


@dataclass
class Target:
    """Where a test's clients go: a fresh project on one kind of server."""

    kind: str
    base_url: str
    api_key: str

    def client(self, **options: Any) -> Questline:
        return Questline(**{"api_key": self.api_key, "base_url": self.base_url, **options})

    def async_client(self, **options: Any) -> AsyncQuestline:
        return AsyncQuestline(**{"api_key": self.api_key, "base_url": self.base_url, **options})
