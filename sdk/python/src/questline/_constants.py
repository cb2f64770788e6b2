"""Defaults shared by the sync and async clients."""

from __future__ import annotations

import httpx

DEFAULT_BASE_URL = "http://127.0.0.1:8787"
DEFAULT_TIMEOUT = httpx.Timeout(timeout=60.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

# Backoff: 0.5 s, 1 s, 2 s, ... capped at 8 s, each shortened by up to 25 % of jitter.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
JITTER_FRACTION = 0.25
# A server-directed wait (Retry-After) longer than this is not worth sleeping through:
# the error is raised instead so the caller can decide.
MAX_RETRY_AFTER = 60.0

API_KEY_ENV = "QUESTLINE_API_KEY"
BASE_URL_ENV = "QUESTLINE_BASE_URL"
LOG_ENV = "QUESTLINE_LOG"

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REQUEST_ID_HEADER = "X-Request-Id"
REPLAYED_HEADER = "Idempotent-Replayed"
