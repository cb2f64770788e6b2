"""Logging under the ``questline`` logger; ``QUESTLINE_LOG=debug`` (or ``info``) turns it on.

Secrets never reach a log line: the Authorization header is redacted.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from ._constants import LOG_ENV

__all__ = ["logger", "redact_headers", "setup_logging"]

logger = logging.getLogger("questline")

_SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "webhook-signature"})


def setup_logging() -> None:
    """Attach a stderr handler when ``QUESTLINE_LOG`` asks for one (idempotent)."""
    level = os.environ.get(LOG_ENV, "").strip().lower()
    if level not in ("debug", "info"):
        return
    if not any(getattr(h, "_questline", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s")
        )
        handler._questline = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers for a log line, with credentials replaced by ``<redacted>``."""
    return {
        name: "<redacted>" if name.lower() in _SECRET_HEADERS else value for name, value in headers
    }
