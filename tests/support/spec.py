"""The committed openapi.yaml as a test oracle: find an operation, validate a response.

Every HTTP test goes through :class:`SpecCheckedClient`, so any drift between what the
server returns and what the spec promises fails the test that saw it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
SPEC_URI = "urn:questline:openapi"
METHODS = ("get", "put", "post", "patch", "delete")


@functools.cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec(), default_specification=DRAFT202012)
    )


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    definition: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.definition["operationId"])


@functools.cache
def operations() -> tuple[Operation, ...]:
    found = []
    for template, item in spec()["paths"].items():
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        for method in METHODS:
            if method in item:
                found.append(Operation(method, template, re.compile(regex), item[method]))
    # Literal paths before templated ones (``/rankings`` vs ``/rankings/{user_id}`` are fine,
    # but ``/sandbox/clock/advance`` must not be taken for a templated sibling).
    found.sort(key=lambda op: op.template.count("{"))
    return tuple(found)


def find_operation(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method.lower() and op.pattern.match(path):
            return op
    return None


def _resolve(ref_holder: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in ref_holder:
        ref = ref_holder["$ref"]
        node: Any = spec()
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        ref_holder = node
    return ref_holder


def check_response(method: str, path: str, status: int, content_type: str, body: bytes) -> None:
    """Raise AssertionError if this response breaks the spec."""
    op = find_operation(method, path)
    if op is None:
        assert status in (404, 405), (
            f"{method} {path}: no such operation in the spec but got {status}"
        )
        return
    responses = op.definition["responses"]
    declared = (
        responses.get(str(status))
        or responses.get(f"{str(status)[0]}XX")
        or responses.get("default")
    )
    assert declared is not None, (
        f"{op.operation_id}: status {status} is not in the spec ({sorted(responses)})"
    )
    declared = _resolve(declared)
    content = declared.get("content")
    if not content:
        assert not body, f"{op.operation_id}: {status} has a body but the spec declares none"
        return
    media = content_type.split(";")[0].strip()
    assert media in content, (
        f"{op.operation_id}: {status} content type {media!r} not in {sorted(content)}"
    )
    schema = content[media].get("schema")
    if schema is None or media == "text/event-stream":
        return
    document = json.loads(body)
    full = {"$ref": SPEC_URI + "#" + _pointer_of(schema)} if "$ref" in schema else schema
    validator = OAS31Validator(_with_base(full), registry=_registry())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        details = "\n".join(f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])
        raise AssertionError(f"{op.operation_id} {status} response breaks the spec:\n{details}")


def _pointer_of(schema: dict[str, Any]) -> str:
    ref: str = schema["$ref"]
    return ref[1:] if ref.startswith("#") else ref


def _with_base(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline schemas may hold local ``#/components/...`` refs: resolve them in the spec."""
    return {"$id": SPEC_URI, **schema} if "$ref" not in schema else schema
