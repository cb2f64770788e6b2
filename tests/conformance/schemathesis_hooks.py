"""Schemathesis hooks for the conformance run (loaded with ``SCHEMATHESIS_HOOKS``).

They make the generated traffic behave like a real client where the spec cannot say how,
and never hide a disagreement between the spec and the server:

* an ``Idempotency-Key`` is unique per request (a client that reuses one for a different
  request is *told* ``422 idempotency_key_reused``, which is right, but not what a
  generated "valid request" means);
* a ``cursor`` is only ever one the server handed out (a made-up one is rightly a 422);
* a fault injected through ``POST /v1/sandbox/faults`` is cleared at once, so it does
  not make the *next* operation fail on purpose;
* a schema-valid request may be refused with 422 only for a reason the schema cannot
  express (an unknown reference, a semantic rule), and the problem must name it: the
  ``semantic_rejections_only`` check below. ``positive_data_acceptance`` is configured to
  let such 422s through to it.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import httpx
import schemathesis
from schemathesis import Case, CheckContext, HookContext, Response

# Problem error types of the server's semantic validation (the engine's checks, which the
# schema cannot express). A pydantic type (missing, string_pattern_mismatch, datetime_type,
# ...) on a schema-valid request means the server and the spec disagree.
SEMANTIC_ERROR_TYPES = {"value_error", "unknown_reference"}
MAX_KEY_LENGTH = 255
MAX_CURSOR_LENGTH = 512


@schemathesis.hook
def before_call(context: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= MAX_KEY_LENGTH:
        # Same length class (a boundary value stays one), but unique.
        headers["Idempotency-Key"] = f"{key}-{uuid.uuid4().hex}"[
            -min(len(key) + 33, MAX_KEY_LENGTH) :
        ]
    query = case.query or {}
    cursor = query.get("cursor")
    if isinstance(cursor, str) and len(cursor) <= MAX_CURSOR_LENGTH:
        # Schema-valid but not issued by the server: drop it. Too-long cursors stay (they
        # are the negative cases).
        del query["cursor"]


@schemathesis.hook
def after_call(context: HookContext, case: Case, response: Response) -> None:
    if case.operation.definition.raw.get("operationId") == "sandboxFaultsCreate":
        base_url = os.environ["QUESTLINE_CONFORMANCE_URL"]
        key = os.environ["QUESTLINE_CONFORMANCE_KEY"]
        httpx.delete(
            f"{base_url}/v1/sandbox/faults", headers={"Authorization": f"Bearer {key}"}
        ).raise_for_status()


@schemathesis.check
def semantic_rejections_only(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A schema-valid request refused with 422 names a semantic reason for every error."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    problem = response.json()
    errors = problem.get("errors") or []
    assert errors, f"a valid request was refused with no field named: {problem.get('detail')}"
    schema_level = [e for e in errors if e.get("type") not in SEMANTIC_ERROR_TYPES]
    assert not schema_level, f"a schema-valid request failed schema-level checks: {schema_level}"
    return True


@schemathesis.check
def batch_entries_fail_alone(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """``POST /v1/events/batch`` validates each entry on its own (DESIGN §2: a bad entry
    fails alone, HTTP 200 whenever the batch itself is well formed), so a schema-violating
    batch that is accepted must report at least one failed entry."""
    meta = case.meta
    if (
        meta is None
        or case.operation.definition.raw.get("operationId") != "eventsBatch"
        or response.status_code != 200
        or not _body_is_negative(meta)
    ):
        return None
    report = response.json()
    assert report["failed"] >= 1, "an invalid batch was accepted with no failed entry"
    return True


def _body_is_negative(meta: object) -> bool:
    # An unknown *header* makes a "negative" case too, but a server rightly ignores it.
    components = getattr(meta, "components", {}) or {}
    return any(
        "body" in str(location).lower() and not info.mode.is_positive
        for location, info in components.items()
    )
