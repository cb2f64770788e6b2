"""Read an OpenAPI 3.1 document into the intermediate model (:mod:`codegen.ir`).

SDK-facing extensions read here: ``x-sdk-method`` (the method name; default: the
operationId in snake_case), ``x-sdk-subresource`` (dotted path under the tag's resource),
``x-sdk-paginated`` (the response is a ``*List`` of ``data``/``has_more``/``next_cursor``),
``x-sdk-streaming`` / a ``text/event-stream`` response, and ``x-sdk-stream-item`` (the
schema of each streamed message; default :data:`DEFAULT_STREAM_ITEM`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import yaml

from .ir import (
    Api,
    Body,
    Field,
    Operation,
    Parameter,
    Resource,
    Schema,
    SchemaKind,
    TypeRef,
    WebhookType,
)

__all__ = ["DEFAULT_STREAM_ITEM", "SpecError", "load_api", "parse_api"]

DEFAULT_STREAM_ITEM = "WebhookEvent"
_HTTP_METHODS = ("get", "put", "post", "patch", "delete")
_CONSTRAINTS = ("minimum", "maximum", "minLength", "maxLength", "pattern")
_FORMATS = {"date-time": "datetime", "date": "date", "uri": "uri"}

JSON = dict[str, Any]


class SpecError(ValueError):
    """The document cannot be turned into an SDK (the message names the place)."""


def load_api(path: Path) -> Api:
    with path.open(encoding="utf-8") as fh:
        return parse_api(yaml.safe_load(fh))


def snake(name: str) -> str:
    name = re.sub(r"[^0-9A-Za-z]+", "_", name)
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return name.strip("_").lower()


class _Parser:
    def __init__(self, spec: JSON) -> None:
        self.spec = spec
        self.components: JSON = spec.get("components", {})
        self.schemas: JSON = self.components.get("schemas", {})

    def resolve(self, node: JSON) -> JSON:
        seen = 0
        while "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SpecError(f"only local $refs are supported: {ref}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 20:
                raise SpecError(f"$ref cycle at {ref}")
        return node

    @staticmethod
    def ref_name(node: Mapping[str, Any]) -> str | None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[1]
        return None

    # -- schemas --------------------------------------------------------------------

    def schema_kind(self, schema: JSON) -> SchemaKind:
        if "oneOf" in schema or "anyOf" in schema:
            return "union"
        if "enum" in schema or "const" in schema:
            return "enum"
        if schema.get("type") == "object" or "properties" in schema or "allOf" in schema:
            return "object"
        return "scalar"

    def type_ref(self, schema: JSON) -> TypeRef:
        name = self.ref_name(schema)
        if name is not None:
            if name not in self.schemas:
                raise SpecError(f"unknown schema {name}")
            return TypeRef("ref", name=name, ref_kind=self.schema_kind(self.schemas[name]))
        variants = schema.get("oneOf") or schema.get("anyOf")
        if variants:
            refs = [self.type_ref(v) for v in variants if v.get("type") != "null"]
            nullable = len(refs) < len(variants)
            if len(refs) == 1:
                return _with_null(refs[0], nullable)
            return TypeRef("union", variants=tuple(refs), nullable=nullable)
        if "allOf" in schema and len(schema["allOf"]) == 1:
            return self.type_ref(schema["allOf"][0])
        types = schema.get("type")
        nullable = False
        if isinstance(types, list):
            nullable = "null" in types
            rest = [t for t in types if t != "null"]
            types = rest[0] if len(rest) == 1 else None
        if "const" in schema:
            return TypeRef("literal", literals=(schema["const"],), nullable=nullable)
        if "enum" in schema:
            values = tuple(v for v in schema["enum"] if v is not None)
            return TypeRef("literal", literals=values, nullable=nullable or None in schema["enum"])
        if types == "string":
            return TypeRef(_FORMATS.get(schema.get("format", ""), "string"), nullable=nullable)  # type: ignore[arg-type]
        if types in ("integer", "number", "boolean"):
            return TypeRef(types, nullable=nullable)
        if types == "array":
            return TypeRef("array", items=self.type_ref(schema.get("items", {})), nullable=nullable)
        if types == "object" or "properties" in schema or "additionalProperties" in schema:
            extra = schema.get("additionalProperties")
            values = self.type_ref(extra) if isinstance(extra, dict) and extra else TypeRef("any")
            return TypeRef("map", items=values, nullable=nullable)
        return TypeRef("any", nullable=nullable)

    def object_fields(self, schema: JSON) -> tuple[list[Field], bool]:
        """Properties of an object schema (``allOf`` parts merged) and whether it is closed."""
        schema = self.resolve(schema)
        fields: list[Field] = []
        closed = schema.get("additionalProperties") is False
        for part in schema.get("allOf", []):
            sub, sub_closed = self.object_fields(part)
            fields.extend(sub)
            closed = closed or sub_closed
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            fields.append(
                Field(
                    name=name,
                    type=self.type_ref(prop),
                    required=name in required,
                    description=_text(self.resolve(prop).get("description", "")),
                )
            )
        return fields, closed

    def schema(self, name: str, node: JSON) -> Schema:
        kind = self.schema_kind(node)
        fields = tuple(self.object_fields(node)[0]) if kind == "object" else ()
        return Schema(name, kind, _text(node.get("description", "")), fields)

    # -- operations -----------------------------------------------------------------

    def parameter(self, node: JSON) -> Parameter:
        param = self.resolve(node)
        schema = param.get("schema", {})
        return Parameter(
            name=param["name"],
            location=param["in"],
            type=self.type_ref(schema),
            required=bool(param.get("required", param["in"] == "path")),
            description=_text(param.get("description", "")),
            explode=bool(param.get("explode", param.get("style", "form") == "form")),
            constraints=tuple(sorted((k, schema[k]) for k in _CONSTRAINTS if k in schema)),
        )

    def operation(self, path: str, method: str, op: JSON, shared: list[JSON]) -> Operation:
        where = f"{method.upper()} {path}"
        tags = op.get("tags") or []
        if len(tags) != 1:
            raise SpecError(f"{where}: needs exactly one tag (its SDK resource)")
        op_id = op.get("operationId") or snake(f"{method}_{path}")
        params = [self.parameter(p) for p in [*shared, *op.get("parameters", [])]]
        body = self.body(where, op.get("requestBody"))
        success = sorted(int(s) for s in op.get("responses", {}) if str(s).startswith("2"))
        if not success:
            raise SpecError(f"{where}: no 2xx response")
        status = success[0]
        content = self.resolve(op["responses"][str(status)]).get("content") or {}
        is_stream = bool(op.get("x-sdk-streaming")) or "text/event-stream" in content
        response: TypeRef | None = None
        stream_item: TypeRef | None = None
        if is_stream:
            item = op.get("x-sdk-stream-item", DEFAULT_STREAM_ITEM)
            stream_item = self.type_ref({"$ref": f"#/components/schemas/{item}"})
        elif content:
            media = content.get("application/json") or next(iter(content.values()))
            response = self.type_ref(media.get("schema", {}))
        page_item: TypeRef | None = None
        paginated = bool(op.get("x-sdk-paginated"))
        if paginated:
            page_item = self.page_item(where, response)
        sub = op.get("x-sdk-subresource")
        return Operation(
            operation_id=op_id,
            name=op.get("x-sdk-method") or snake(op_id),
            http_method=method.upper(),
            path=path,
            tag=tags[0],
            resource_path=(snake(tags[0]), *(snake(p) for p in sub.split(".")))
            if sub
            else (snake(tags[0]),),
            summary=_text(op.get("summary", "")),
            description=_text(op.get("description", "")),
            path_params=tuple(p for p in params if p.location == "path"),
            query_params=tuple(p for p in params if p.location == "query"),
            header_params=tuple(p for p in params if p.location == "header"),
            body=body,
            success_status=status,
            response=response,
            error_statuses=tuple(
                sorted(int(s) for s in op.get("responses", {}) if str(s)[0] in "45")
            ),
            paginated=paginated,
            page_item=page_item,
            is_stream=is_stream,
            stream_item=stream_item,
            deprecated=bool(op.get("deprecated", False)),
        )

    def body(self, where: str, node: JSON | None) -> Body | None:
        if not node:
            return None
        request = self.resolve(node)
        media = (request.get("content") or {}).get("application/json")
        if media is None:
            raise SpecError(f"{where}: only application/json request bodies are supported")
        name = self.ref_name(media.get("schema", {}))
        if name is None:
            raise SpecError(f"{where}: the request body must $ref a component schema")
        fields, closed = self.object_fields(self.schemas[name])
        return Body(name, tuple(fields), bool(request.get("required", False)), closed)

    def page_item(self, where: str, response: TypeRef | None) -> TypeRef:
        if response is None or response.name is None:
            raise SpecError(f"{where}: x-sdk-paginated needs a $ref'd list response")
        fields, _ = self.object_fields(self.schemas[response.name])
        by_name = {f.name: f for f in fields}
        if not {"data", "has_more", "next_cursor"} <= by_name.keys():
            raise SpecError(f"{where}: {response.name} lacks data/has_more/next_cursor")
        data = by_name["data"].type
        if data.kind != "array" or data.items is None:
            raise SpecError(f"{where}: {response.name}.data is not an array")
        return data.items

    # -- the whole document ---------------------------------------------------------

    def api(self) -> Api:
        info = self.spec.get("info", {})
        tag_docs = {t["name"]: _text(t.get("description", "")) for t in self.spec.get("tags", [])}
        tag_order = list(tag_docs)
        roots: dict[str, Resource] = {}
        for path, item in self.spec.get("paths", {}).items():
            shared = item.get("parameters", [])
            for method in _HTTP_METHODS:
                if method not in item:
                    continue
                op = self.operation(path, method, item[method], shared)
                if op.tag not in tag_order:
                    tag_order.append(op.tag)
                root = roots.setdefault(
                    op.tag, Resource(snake(op.tag), (snake(op.tag),), tag_docs.get(op.tag, ""))
                )
                _place(root, op)
        schemas = {name: self.schema(name, s) for name, s in self.schemas.items()}
        webhooks: list[WebhookType] = []
        for event_type, item in (self.spec.get("webhooks") or {}).items():
            for method in _HTTP_METHODS:
                if method in item and item[method].get("requestBody"):
                    body = self.body(f"webhook {event_type}", item[method]["requestBody"])
                    if body is not None:
                        webhooks.append(WebhookType(event_type, body.schema))
        return Api(
            title=info.get("title", ""),
            version=str(info.get("version", "")),
            description=_text(info.get("description", "")),
            resources=[roots[t] for t in tag_order if t in roots],
            schemas=schemas,
            webhooks=webhooks,
        )


def _place(root: Resource, op: Operation) -> None:
    node = root
    for depth in range(1, len(op.resource_path)):
        name = op.resource_path[depth]
        child = next((r for r in node.subresources if r.name == name), None)
        if child is None:
            child = Resource(name, op.resource_path[: depth + 1])
            node.subresources.append(child)
        node = child
    if any(existing.name == op.name for existing in node.operations):
        raise SpecError(
            f"{op.operation_id}: two operations named {op.name} on {'.'.join(node.path)}"
        )
    node.operations.append(op)


def _with_null(ref: TypeRef, nullable: bool) -> TypeRef:
    if not nullable or ref.nullable:
        return ref
    return TypeRef(ref.kind, ref.name, ref.ref_kind, ref.items, ref.variants, ref.literals, True)


def _text(value: object) -> str:
    return str(value).strip()


def parse_api(spec: Mapping[str, Any]) -> Api:
    """The intermediate model of an OpenAPI document (already loaded as JSON-like data)."""
    return _Parser(cast(JSON, dict(spec))).api()
