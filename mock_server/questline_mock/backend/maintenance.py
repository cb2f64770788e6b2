"""Real-time upkeep: what the sandbox clock's ``advance`` does on demand, done on a timer.

Every ``interval`` seconds, for each project at its own clock: end the streaks that expired
(through the expiry index, never a scan of the users) and drop idempotency records older
than their 24 hours. Webhook retries have their own worker (``webhooks/delivery.py``).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ..config import IDEMPOTENCY_TTL

if TYPE_CHECKING:
    from .core import Backend

log = logging.getLogger("questline_mock.maintenance")


class Maintenance:
    def __init__(self, backend: Backend, interval: float) -> None:
        self._backend = backend
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One pass over every project; returns how many streaks it ended."""
        from .sandbox import end_expired_streaks

        ended = 0
        for project in self._backend.storage.list_projects():
            scope = self._backend.scope(project)
            now = scope.now()
            ended += end_expired_streaks(scope, now)
            with scope.uow() as uow:
                uow.purge_idempotency(now - IDEMPOTENCY_TTL)
        return ended

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="questline-maintenance", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.run_once()
            except Exception:  # keep the timer alive; the next pass retries
                log.exception("maintenance pass failed")
