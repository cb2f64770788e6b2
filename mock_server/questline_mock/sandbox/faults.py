"""Fault injection: make a project's next N matching requests fail, slowly or not at all.

Tests of an integration's error handling need failures on demand: a 503 with
``Retry-After``, a slow answer, a connection closed mid-request. ``POST /v1/sandbox/faults``
queues a :class:`Fault`; the app's request hook (after auth, before idempotency, so a
faulted request is never processed nor remembered) asks :meth:`FaultRegistry.take` for
the first fault matching the request; :func:`intercept` applies it.

Faults live in memory, per project, and never touch ``/v1/sandbox/…`` (the controls must
keep working while the API is "down"). A dropped connection cannot be expressed as a
response, so :func:`intercept` marks the WSGI environ and :class:`DropMiddleware` raises
:class:`ConnectionDropped` once Flask is done with the request. Waitress closes the socket
without writing anything on that exception (it subclasses waitress's own
``ClientDisconnected``); the in-process transport of ``questline.testing`` turns it into
``httpx.RemoteProtocolError``, which is what a real client sees.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from flask import Flask, request

from ..domain import JSON
from ..engine.render import format_time
from ..http.problems import ApiProblem
from ..storage.base import Page

try:  # waitress is the server extra's WSGI server; without it drops still raise.
    from waitress.channel import ClientDisconnected as _DisconnectBase
except ImportError:  # pragma: no cover - waitress ships with the server extra
    _DisconnectBase = ConnectionError  # type: ignore[assignment,misc]

SANDBOX_PREFIX = "/v1/sandbox/"
DROP_KEY = "questline.fault.drop"
EXTENSION = "questline.faults"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ConnectionDropped(_DisconnectBase):
    """Raised out of the WSGI app to close the connection without any response."""


@dataclass
class Fault:
    """One injected fault and how many more requests it will hit."""

    id: str
    method: str | None
    path: str | None
    remaining: int
    status: int | None
    retry_after: int | None
    latency_ms: int | None
    drop: bool
    created_at: datetime

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        # Exact, or a glob: "/v1/events*" also covers "/v1/events/batch".
        return self.path is None or fnmatchcase(path, self.path)

    def to_json(self) -> JSON:
        match: JSON = {}
        if self.method is not None:
            match["method"] = self.method
        if self.path is not None:
            match["path"] = self.path
        return {
            "id": self.id,
            "match": match,
            "remaining": self.remaining,
            "status": self.status,
            "retry_after": self.retry_after,
            "latency_ms": self.latency_ms,
            "drop": self.drop,
            "created_at": format_time(self.created_at),
        }


class FaultRegistry:
    """Every project's active faults, oldest first. Thread-safe; one per app."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}
        # Latency is real waiting; tests may swap this to observe it instead.
        self.sleep = sleep

    def add(self, project_id: str, fault_id: str, body: JSON, now: datetime) -> Fault:
        """Register a fault from a validated ``SandboxFaultCreate`` body."""
        match = body.get("match") or {}
        status = body.get("status")
        if status is None and not body.get("drop") and body.get("latency_ms") is None:
            status = 503  # a fault that names no effect still fails the request
        fault = Fault(
            id=fault_id,
            method=match.get("method"),
            path=match.get("path"),
            remaining=body.get("count", 1),
            status=status,
            retry_after=body.get("retry_after"),
            latency_ms=body.get("latency_ms"),
            drop=bool(body.get("drop", False)),
            created_at=now,
        )
        with self._lock:
            self._faults.setdefault(project_id, []).append(fault)
        return fault

    def list(self, project_id: str) -> list[Fault]:
        with self._lock:
            return list(self._faults.get(project_id, []))

    def clear(self, project_id: str) -> None:
        with self._lock:
            self._faults.pop(project_id, None)

    def take(self, project_id: str, method: str, path: str) -> Fault | None:
        """The first fault matching this request, with one use consumed (atomically)."""
        if path.startswith(SANDBOX_PREFIX):
            return None
        with self._lock:
            faults = self._faults.get(project_id)
            if not faults:
                return None
            for fault in faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        faults.remove(fault)
                    return fault
        return None


def page(faults: list[Fault], limit: int, cursor: str | None) -> Page[Fault]:
    """One page of a project's faults; the cursor is the offset of the next one."""
    start = int(cursor) if cursor and cursor.isdigit() else 0
    end = start + limit
    return Page(faults[start:end], str(end) if end < len(faults) else None)


def install(app: Flask) -> FaultRegistry:
    """Give ``app`` a fault registry and the drop middleware; returns the registry."""
    registry = FaultRegistry()
    app.extensions[EXTENSION] = registry
    app.wsgi_app = DropMiddleware(app.wsgi_app)  # type: ignore[method-assign]
    return registry


def registry_of(app: Flask) -> FaultRegistry:
    registry: FaultRegistry = app.extensions[EXTENSION]
    return registry


def intercept(registry: FaultRegistry, project_id: str) -> None:
    """The request hook: apply the first fault matching this request, if any.

    Waits out its latency, then raises the injected problem, or marks a drop for
    :class:`DropMiddleware` (raising a problem too, so Flask ends the request normally;
    that response is never sent).
    """
    fault = registry.take(project_id, request.method, request.path)
    if fault is None:
        return
    if fault.latency_ms:
        registry.sleep(fault.latency_ms / 1000.0)
    if fault.drop:
        request.environ[DROP_KEY] = True
        raise ApiProblem(503, f"connection dropped by sandbox fault {fault.id}")
    if fault.status is not None:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        raise ApiProblem(fault.status, f"injected by sandbox fault {fault.id}", headers=headers)


class DropMiddleware:
    """Wraps ``app.wsgi_app``: turns a drop marked by :func:`intercept` into ConnectionDropped."""

    def __init__(self, wsgi_app: WSGIApp) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = self.wsgi_app(environ, start_response)
        if environ.get(DROP_KEY):
            close = getattr(result, "close", None)
            if close is not None:
                close()
            raise ConnectionDropped("connection dropped by a sandbox fault")
        return result
