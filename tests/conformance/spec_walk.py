"""Facts about openapi.yaml that several conformance tests need (operations, request
schemas, nullability, example documents)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.support.spec import spec

JSONSchema = dict[str, Any]


def schemas() -> dict[str, JSONSchema]:
    found: dict[str, JSONSchema] = spec()["components"]["schemas"]
    return found


def deref(node: JSONSchema) -> JSONSchema:
    while "$ref" in node:
        node = schemas()[node["$ref"].rsplit("/", 1)[-1]]
    return node


def allows_null(node: JSONSchema) -> bool:
    """Whether JSON null validates against ``node`` (as far as these schemas go)."""
    node = deref(node)
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    for combinator in ("anyOf", "oneOf"):
        if combinator in node:
            return any(allows_null(option) for option in node[combinator])
    if "enum" in node:
        return None in node["enum"]
    if "const" in node:
        return node["const"] is None
    # No type constraint at all (``value: {}``): anything, null included.
    return kind is None and "allOf" not in node and "properties" not in node


def request_schema_names() -> set[str]:
    """Every named schema reachable from a request body."""
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.add(name)
                    walk(schemas()[name])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for _, _, operation in operations():
        if "requestBody" in operation:
            walk(operation["requestBody"])
    return seen


def nullable_request_fields() -> set[tuple[str, str]]:
    return {
        (name, prop)
        for name in request_schema_names()
        for prop, node in schemas()[name].get("properties", {}).items()
        if allows_null(node)
    }


def operations() -> Iterator[tuple[str, str, JSONSchema]]:
    """``(method, path template, operation)`` for every operation in the spec."""
    for path, item in spec()["paths"].items():
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                yield method, path, item[method]
