"""``Idempotency-Key`` on POST requests (DESIGN §1, the IETF Idempotency-Key draft's codes).

* same key, same request, within 24 h (project clock): the stored response again, with
  ``Idempotent-Replayed: true``, and nothing applied again (a first response has no
  such header, as the spec says);
* same key, different request: ``422 idempotency_key_reused``;
* same key while the first request is still running: ``409 idempotency_key_in_use``.

"In flight" lives in process memory: after a crash no request is running, so a key whose
first attempt died with the process is free again rather than stuck. Stored responses are
durable (SQLite mode). Responses that failed validation (400, 413, 415, 422) and server
errors (5xx) are not stored, so a corrected or retried request runs for real.
"""

from __future__ import annotations

import hashlib
import threading

from flask import Request, Response, g

from ..backend import ProjectScope
from ..config import IDEMPOTENCY_TTL as TTL
from ..domain import IdempotencyRecord
from .problems import ApiProblem, ValidationProblem, field_error

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_NOT_STORED = {400, 401, 413, 415, 422}
_REPLAYED_HEADERS = ("Content-Type", "Location", "Retry-After")


class InFlight:
    """Keys being processed right now, per project."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str]] = set()

    def claim(self, project_id: str, key: str) -> bool:
        with self._lock:
            if (project_id, key) in self._keys:
                return False
            self._keys.add((project_id, key))
            return True

    def release(self, project_id: str, key: str) -> None:
        with self._lock:
            self._keys.discard((project_id, key))


def request_hash(request: Request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.full_path.encode())
    digest.update(b"\0" + request.get_data(cache=True))
    return digest.hexdigest()


def begin(scope: ProjectScope, request: Request, in_flight: InFlight) -> Response | None:
    """Called before a POST handler; returns a response to send instead, if any."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationProblem(
            [field_error(["header", HEADER], f"must be 1-{MAX_KEY_LENGTH} characters")]
        )
    fingerprint = request_hash(request)
    if not in_flight.claim(scope.project.id, key):
        raise ApiProblem(
            409,
            "a request with this Idempotency-Key is still being processed; retry later",
            code="idempotency_key_in_use",
            headers={"Retry-After": "1"},
        )
    try:
        with scope.read() as view:
            record = view.get_idempotency(key)
        if record is not None and record.created_at + TTL <= scope.now():
            record = None  # expired: the key is free again
        if record is not None:
            if record.request_hash != fingerprint:
                raise ApiProblem(
                    422,
                    "this Idempotency-Key was used with a different request",
                    code="idempotency_key_reused",
                )
            response = Response(record.body, status=record.status_code or 200)
            for name, value in record.headers.items():
                response.headers[name] = value
            response.headers[REPLAYED_HEADER] = "true"
            in_flight.release(scope.project.id, key)
            return response
    except BaseException:
        in_flight.release(scope.project.id, key)
        raise
    g.idempotency = (scope, key, fingerprint)
    return None


def finish(response: Response, in_flight: InFlight) -> None:
    """Called after the handler (also after an error response) of a claimed request."""
    claimed = g.pop("idempotency", None)
    if claimed is None:
        return
    scope, key, fingerprint = claimed
    try:
        if response.status_code in _NOT_STORED or response.status_code >= 500:
            return
        record = IdempotencyRecord(
            key=key,
            request_hash=fingerprint,
            created_at=scope.now(),
            status_code=response.status_code,
            headers={h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers},
            body=response.get_data(),
        )
        with scope.uow() as uow:
            uow.put_idempotency(record)
    finally:
        in_flight.release(scope.project.id, key)


def abandon(in_flight: InFlight) -> None:
    """Release a claim when the request ended without a response (teardown)."""
    claimed = g.pop("idempotency", None)
    if claimed is not None:
        scope, key, _ = claimed
        in_flight.release(scope.project.id, key)
