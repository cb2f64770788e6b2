"""Sending the outbox: claim due deliveries, POST them signed, record each attempt.

Three steps, and never a unit of work held across the network:

1. **claim** — read the project's due deliveries (``due_deliveries(now)`` on the project's
   own clock) and take the ones no other thread is sending (an in-process claim set);
2. **send** — POST each, concurrently, with Standard Webhooks headers signed by every live
   secret of the endpoint (a fresh ``webhook-timestamp`` and signature per attempt, the
   same ``webhook-id``);
3. **record** — one unit of work per batch appends the attempts and schedules retries
   (``attempts.record_attempt``), or disables the endpoint on a 410.

A crash between 2 and 3 leaves the delivery pending, so it is sent again after a restart:
delivery is at least once, and receivers de-duplicate on ``webhook-id``.

``deliver_due(scope)`` runs everything due for one project synchronously (the sandbox clock
sweep calls it, so advancing the clock makes retries happen at once); the background
:class:`_Worker` calls the same code for each project in a lane of its own, woken by the
outbox, so a receiver that never answers holds up only its own project's deliveries.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
from questline._signing import signature_headers

from ..domain import Project, WebhookEndpoint
from .attempts import EXCERPT_CHARS, Outcome, fail_pending, parse_retry_after, record_attempt
from .outbox import disable_endpoint, envelope

if TYPE_CHECKING:
    from ..backend.core import Backend, ProjectScope

log = logging.getLogger("questline_mock.webhooks")

BATCH = 256
SEND_CONCURRENCY = 8
# Projects the worker delivers for at once, each in its lane with its own senders: a
# receiver that hangs until the timeout delays its own project only.
LANES = 8
# The worker's longest sleep: retries scheduled in the future are found within this.
POLL_SECONDS = 1.0
# While events keep arriving, the worker rests this many times as long as its last pass
# took, so delivery uses at most 1/(1+ratio) of the process and never starves intake (the
# GIL is shared); an idle server drains at full speed. See bench/webhook_bench.py. A pass
# that waited on a slow receiver rests no longer than MAX_REST_SECONDS.
BUSY_REST_RATIO = 6.0
MAX_REST_SECONDS = 1.0
USER_AGENT = "Questline-Webhooks/1.0"

_Key = tuple[str, str, str]  # (project id, message id, endpoint id)


@dataclass(frozen=True)
class _Job:
    key: _Key
    url: str
    secrets: list[str]
    body: bytes
    endpoint_ok: bool
    due: datetime | None = None  # the delivery's next_attempt_at when claimed


def deliver_due(scope: ProjectScope) -> int:
    """Attempt every delivery due at the project's ``now``; returns how many were attempted."""
    return scope.backend.deliverer.deliver_due(scope)


def live_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the newest, plus rotated-out ones still in their overlap."""
    return [secret for secret, expires in endpoint.secrets if expires is None or expires > now]


class Deliverer:
    """One per backend: the HTTP client, the claim set, the send pool and the worker."""

    def __init__(self, backend: Backend, *, jitter: Callable[[], float] = random.random) -> None:
        self._backend = backend
        self._jitter = jitter
        self._lock = threading.Lock()
        self._claimed: set[_Key] = set()
        self._client: httpx.Client | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._worker: _Worker | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start_worker(self) -> None:
        """Start the background thread (idempotent)."""
        with self._lock:
            if self._worker is None and not self._backend.closed.is_set():
                self._worker = _Worker(self._backend, self)
                self._worker.start()

    def wake(self) -> None:
        """Messages were queued, or a lane ended with more due: the worker looks now."""
        worker = self._worker
        if worker is not None:
            worker.wake()

    def close(self) -> None:
        """Stop the worker (it finishes its batch) and release the client and pool."""
        with self._lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()
        with self._lock:
            client, self._client = self._client, None
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if client is not None:
            client.close()

    def _resources(self) -> tuple[httpx.Client, ThreadPoolExecutor]:
        with self._lock:
            if self._client is None:
                timeout = self._backend.config.webhook_timeout_seconds
                self._client = httpx.Client(
                    timeout=timeout,
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=SEND_CONCURRENCY * 4),
                )
            if self._pool is None:
                self._pool = ThreadPoolExecutor(SEND_CONCURRENCY, "questline-webhook-send")
            return self._client, self._pool

    # -- claim → send → record ------------------------------------------------------------
    def deliver_due(
        self,
        scope: ProjectScope,
        max_batches: int | None = None,
        senders: ThreadPoolExecutor | None = None,
    ) -> int:
        """Claim, send and record what is due at the project's ``now``, batch by batch;
        ``senders`` sends them (the deliverer's own pool by default)."""
        attempted = 0
        done: set[_Key] = set()  # attempted in this call: never twice, even if due again
        batches = 0
        now = scope.now()
        while max_batches is None or batches < max_batches:
            jobs = self._claim(scope, now, done)
            if not jobs:
                break
            try:
                outcomes = self._send_all(jobs, senders)
                self._record(scope, jobs, outcomes)
            finally:
                with self._lock:
                    self._claimed.difference_update(job.key for job in jobs)
            done.update(job.key for job in jobs)
            attempted += sum(1 for job in jobs if job.endpoint_ok)
            batches += 1
        return attempted

    def _claim(self, scope: ProjectScope, now: datetime, done: set[_Key]) -> list[_Job]:
        project_id = scope.project.id
        jobs: list[_Job] = []
        with scope.read() as reader:
            with self._lock:
                skip = len(self._claimed) + len(done)
            endpoints: dict[str, WebhookEndpoint | None] = {}
            for delivery in reader.due_deliveries(now, BATCH + skip):
                key = (project_id, delivery.message_id, delivery.endpoint_id)
                if key in done or len(jobs) >= BATCH:
                    continue
                with self._lock:
                    if key in self._claimed:
                        continue
                    self._claimed.add(key)
                if delivery.endpoint_id not in endpoints:
                    endpoints[delivery.endpoint_id] = reader.get_webhook_endpoint(
                        delivery.endpoint_id
                    )
                endpoint = endpoints[delivery.endpoint_id]
                message = reader.get_message(delivery.message_id)
                if endpoint is None or message is None or not endpoint.enabled:
                    jobs.append(_Job(key, "", [], b"", endpoint_ok=False))
                    continue
                body = json.dumps(envelope(message, project_id), separators=(",", ":"))
                secrets = live_secrets(endpoint, now)
                due = delivery.next_attempt_at
                jobs.append(_Job(key, endpoint.url, secrets, body.encode(), True, due))
        return jobs

    def _send_all(
        self, jobs: list[_Job], senders: ThreadPoolExecutor | None = None
    ) -> list[Outcome | None]:
        live = [job for job in jobs if job.endpoint_ok]
        if not live:
            return [None] * len(jobs)
        client, pool = self._resources()
        sent = iter((senders or pool).map(lambda job: self._send(client, job), live))
        return [next(sent) if job.endpoint_ok else None for job in jobs]

    def _send(self, client: httpx.Client, job: _Job) -> Outcome:
        wall = self._backend.wall.now()
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            # Wall time, not the sandbox clock: receivers check it against their own clock.
            **signature_headers(job.key[1], int(wall.timestamp()), job.body, job.secrets),
        }
        started = time.perf_counter()
        try:
            with client.stream("POST", job.url, content=job.body, headers=headers) as response:
                excerpt = _read_excerpt(response)
                return Outcome(
                    status_code=response.status_code,
                    duration_ms=_elapsed_ms(started),
                    response_excerpt=excerpt,
                    retry_after=parse_retry_after(response.headers.get("retry-after"), wall),
                )
        except httpx.TimeoutException:
            timeout = self._backend.config.webhook_timeout_seconds
            return Outcome(None, _elapsed_ms(started), error=f"timed out after {timeout:g}s")
        except httpx.HTTPError as exc:
            return Outcome(None, _elapsed_ms(started), error=f"{type(exc).__name__}: {exc}")

    def _record(
        self, scope: ProjectScope, jobs: list[_Job], outcomes: list[Outcome | None]
    ) -> None:
        schedule = tuple(self._backend.config.webhook_schedule)
        attempted_at = scope.now()
        with scope.uow() as uow:
            for job, outcome in zip(jobs, outcomes, strict=True):
                _, message_id, endpoint_id = job.key
                delivery = uow.get_delivery(message_id, endpoint_id)
                if delivery is None or delivery.status != "pending":
                    continue  # the endpoint or message went away, or a retry raced us
                if outcome is None:
                    fail_pending(delivery)
                    uow.put_delivery(delivery)
                    continue
                # A manual retry asked for while this attempt was on the wire moved the due
                # time; if the attempt failed, that retry still happens at once.
                retry_asked = delivery.next_attempt_at != job.due
                asked_at = delivery.next_attempt_at
                gone = record_attempt(delivery, outcome, attempted_at, schedule, self._jitter())
                if retry_asked and delivery.status != "delivered" and not gone:
                    delivery.status, delivery.next_attempt_at = "pending", asked_at
                uow.put_delivery(delivery)
                endpoint = uow.get_webhook_endpoint(endpoint_id) if gone else None
                if endpoint is not None and endpoint.enabled:
                    reason = "the receiver answered 410 Gone"
                    disable_endpoint(uow, endpoint, reason, attempted_at)


def _read_excerpt(response: httpx.Response) -> str:
    """The start of the body; the rest is never read (a receiver may answer megabytes)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= EXCERPT_CHARS * 4:
            break
    return b"".join(chunks).decode("utf-8", errors="replace")[:EXCERPT_CHARS]


def _elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


class _Worker(threading.Thread):
    """Delivers for every project, waking when messages are queued and at least every
    ``POLL_SECONDS`` for retries coming due. Each project with something due gets a lane
    (up to LANES at once) that drains it batch by batch with senders of its own, so one
    project's slow receiver never delays another's deliveries."""

    def __init__(self, backend: Backend, deliverer: Deliverer) -> None:
        super().__init__(name="questline-webhook-worker", daemon=True)
        self._backend = backend
        self._deliverer = deliverer
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._busy: set[str] = set()  # projects whose lane is running
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self.join(timeout=self._backend.config.webhook_timeout_seconds + 5)

    def _running(self) -> bool:
        return not (self._stopping.is_set() or self._backend.closed.is_set())

    def run(self) -> None:
        with ThreadPoolExecutor(LANES, "questline-webhook-lane") as lanes:
            while self._running():
                self._wake.clear()  # before looking: what is queued after wakes the wait
                self._dispatch(lanes)
                self._wake.wait(POLL_SECONDS)

    def _dispatch(self, lanes: ThreadPoolExecutor) -> None:
        """A lane for each project that has none running."""
        try:
            for project in self._backend.storage.list_projects():
                if not self._running():
                    break
                with self._lock:
                    if project.id in self._busy:
                        continue
                    self._busy.add(project.id)
                lanes.submit(self._lane, project)
        except Exception:
            if self._running():
                log.exception("webhook delivery pass failed; retrying")

    def _lane(self, project: Project) -> None:
        """Drain one project's due deliveries, resting between batches while events keep
        arriving (so intake is never starved)."""
        seen = self._backend.outbox_version
        try:
            scope = self._backend.scope(project)
            with ThreadPoolExecutor(SEND_CONCURRENCY, "questline-webhook-send") as senders:
                while self._running():
                    seen = self._backend.outbox_version
                    started = time.perf_counter()
                    if self._deliverer.deliver_due(scope, max_batches=1, senders=senders) == 0:
                        break
                    if self._backend.outbox_version != seen:
                        took = time.perf_counter() - started
                        self._stopping.wait(min(took * BUSY_REST_RATIO, MAX_REST_SECONDS))
        except Exception:
            if self._running():
                log.exception("webhook delivery for %s failed; retrying", project.id)
        finally:
            with self._lock:
                self._busy.discard(project.id)
            if self._running() and self._backend.outbox_version != seen:
                # Queued while this lane was ending, when the worker skipped the project:
                # look again now rather than at the next poll.
                self._wake.set()
