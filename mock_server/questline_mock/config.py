"""The server's settings, one object handed to ``create_app``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

DEFAULT_API_KEY = "sk_test_questline"
DEFAULT_PROJECT_ID = "proj_default"
MAX_BODY_BYTES = 1024 * 1024
# How long a stored Idempotency-Key response is replayed (project clock).
IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass
class ServerConfig:
    """How to build one app. Every field has a default that suits tests."""

    db_path: str | None = None  # None: in memory
    # SQLite durability: "normal" survives the process being killed, "full" also power loss.
    sqlite_synchronous: str = "normal"
    api_key: str = field(
        default_factory=lambda: os.environ.get("QUESTLINE_API_KEY") or DEFAULT_API_KEY
    )
    seed_path: str | None = None  # a sandbox config document to import at start-up
    # Start the background threads (webhook delivery, streak sweep). In-process test mode
    # turns them off and drives time through the sandbox clock instead.
    background_workers: bool = True
    # The wall clock's source (seconds since the epoch); tests may pin it.
    time_source: Callable[[], float] | None = None
    # Webhook retry schedule in seconds after the first attempt (Standard Webhooks' example).
    webhook_schedule: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    webhook_timeout_seconds: float = 10.0
    # How often the real-time maintenance pass runs (streak endings, idempotency expiry).
    maintenance_interval_seconds: float = 30.0
    max_body_bytes: int = MAX_BODY_BYTES
    # Live streams (GET /v1/stream) open at once, None for no limit. Under waitress each
    # holds a worker thread, so the CLI keeps two threads for the rest of the API; one
    # more is a 429 with Retry-After rather than a server that stops answering.
    max_streams: int | None = None
