"""Validate what the server says against openapi.yaml, operation by operation.

``check(operation_id, status, body)`` finds the response schema the spec declares for that
operation and status and validates ``body`` with the spec's own components (OpenAPI 3.1 =
JSON Schema 2020-12). ``check_schema(name, value)`` validates against one component, e.g.
a delivered webhook body against ``WebhookEvent``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[3] / "openapi.yaml"
SPEC_URI = "urn:questline:webhooks-tests"


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@functools.cache
def _registry() -> Registry:
    resource = Resource.from_contents(spec(), default_specification=DRAFT202012)
    return Registry().with_resource(SPEC_URI, resource)


@functools.cache
def _operations() -> dict[str, dict[str, Any]]:
    found = {}
    for item in spec()["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                found[operation["operationId"]] = operation
    return found


def _validate(pointer: str, value: Any) -> None:
    validator = OAS31Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=_registry())
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10]]
        raise AssertionError(f"{pointer} rejects the value:\n" + "\n".join(lines))


def check(operation_id: str, status: int, body: Any) -> None:
    """``body`` (parsed JSON, or None) is what ``operation_id`` may answer with ``status``."""
    responses = _operations()[operation_id]["responses"]
    declared = responses.get(str(status))
    assert declared is not None, f"{operation_id} does not declare status {status}"
    while "$ref" in declared:
        declared = _resolve(declared["$ref"])
    content = declared.get("content")
    if not content:
        assert body is None, f"{operation_id} {status} declares no body"
        return
    media = next(iter(content))
    schema = content[media]["schema"]
    if "$ref" in schema:
        _validate(schema["$ref"][1:], body)


def check_schema(name: str, value: Any) -> None:
    _validate(f"/components/schemas/{name}", value)


def _resolve(ref: str) -> dict[str, Any]:
    node: Any = spec()
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return dict(node)


def check_envelope(envelope: dict[str, Any]) -> None:
    """A delivered or streamed body is a ``WebhookEvent`` (envelope and typed data)."""
    check_schema("WebhookEvent", envelope)
