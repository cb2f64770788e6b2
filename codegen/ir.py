"""The intermediate model: what the spec says, in terms every target language can render.

    Api
    ├── resources: Resource (one per tag)         name, path, description
    │   ├── operations: Operation                 name (x-sdk-method), http method, path,
    │   │   ├── path_params / query_params /      parameters with a TypeRef each
    │   │   │   header_params: Parameter
    │   │   ├── body: Body | None                 schema name + its fields
    │   │   ├── response: TypeRef | None          None when the success status has no body
    │   │   └── pagination / streaming            item types
    │   └── subresources: Resource                nested by x-sdk-subresource
    ├── schemas: Schema                           every component, classified (objects
    │                                             with their fields)
    └── webhooks: WebhookType                     event type -> payload schema

Nothing here is language-specific: names are the spec's own (snake_case wire names,
PascalCase schema names); each language module maps them to its conventions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TypeKind = Literal[
    "string",
    "integer",
    "number",
    "boolean",
    "datetime",
    "date",
    "uri",
    "any",
    "array",
    "map",
    "ref",
    "literal",
    "union",
]
SchemaKind = Literal["object", "union", "enum", "scalar"]


@dataclass(frozen=True)
class TypeRef:
    """A type expression. ``ref`` names a component schema; ``ref_kind`` says what it is."""

    kind: TypeKind
    name: str | None = None
    ref_kind: SchemaKind | None = None
    items: TypeRef | None = None
    variants: tuple[TypeRef, ...] = ()
    literals: tuple[str | int | bool, ...] = ()
    nullable: bool = False


@dataclass(frozen=True)
class Field:
    """A property of an object schema (a request body's, or any component's)."""

    name: str
    type: TypeRef
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Parameter:
    name: str
    location: Literal["path", "query", "header"]
    type: TypeRef
    required: bool
    description: str = ""
    explode: bool = True
    # Schema keywords a client can check before sending: minimum, maximum, minLength,
    # maxLength, pattern (sorted by keyword).
    constraints: tuple[tuple[str, int | float | str], ...] = ()


@dataclass(frozen=True)
class Body:
    schema: str
    fields: tuple[Field, ...]
    required: bool
    closed: bool  # additionalProperties: false


@dataclass(frozen=True)
class Operation:
    operation_id: str
    name: str
    http_method: str
    path: str
    tag: str
    resource_path: tuple[str, ...]
    summary: str
    description: str
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    header_params: tuple[Parameter, ...]
    body: Body | None
    success_status: int
    response: TypeRef | None
    error_statuses: tuple[int, ...]
    paginated: bool = False
    page_item: TypeRef | None = None
    is_stream: bool = False
    stream_item: TypeRef | None = None
    deprecated: bool = False


@dataclass
class Resource:
    name: str
    path: tuple[str, ...]
    description: str = ""
    operations: list[Operation] = field(default_factory=list)
    subresources: list[Resource] = field(default_factory=list)

    def walk(self) -> list[Resource]:
        """This resource and every nested one, depth first."""
        found = [self]
        for sub in self.subresources:
            found.extend(sub.walk())
        return found


@dataclass(frozen=True)
class Schema:
    name: str
    kind: SchemaKind
    description: str = ""
    # An object schema's properties (``allOf`` parts merged); empty for the other kinds.
    fields: tuple[Field, ...] = ()


@dataclass(frozen=True)
class WebhookType:
    event_type: str
    schema: str


@dataclass
class Api:
    title: str
    version: str
    description: str
    resources: list[Resource]
    schemas: dict[str, Schema]
    webhooks: list[WebhookType]

    def operations(self) -> list[Operation]:
        return [op for res in self.resources for r in res.walk() for op in r.operations]
