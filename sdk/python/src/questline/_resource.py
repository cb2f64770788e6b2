"""Base classes of the generated resource classes: each holds its client and nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._base_client import AsyncAPIClient, SyncAPIClient

__all__ = ["APIResource", "AsyncAPIResource", "SyncAPIResource"]


class APIResource:
    """Marker base: clients drop cached resources when copied by ``with_options``."""


class SyncAPIResource(APIResource):
    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client


class AsyncAPIResource(APIResource):
    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client
