"""Paths of the specs under test, and minimal valid instances of spec schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO / "openapi.yaml"
SAMPLE_SPEC = Path(__file__).parent / "fixtures" / "sample_openapi.yaml"
NOW = "2025-03-14T09:26:53Z"


def example(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    schemas = spec["components"]["schemas"]
    if "$ref" in schema:
        return example(spec, schemas[schema["$ref"].rsplit("/", 1)[1]])
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return example(spec, schema[key][0])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(example(spec, part))
        merged.update(example(spec, {k: v for k, v in schema.items() if k != "allOf"}))
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "string":
        return NOW if schema.get("format") == "date-time" else "x"
    if kind == "integer":
        return int(schema.get("minimum", 0))
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "array":
        return [example(spec, schema["items"])] * int(schema.get("minItems", 0))
    required = schema.get("required", [])
    return {name: example(spec, schema["properties"][name]) for name in required}
