"""What the server's strict parsing takes from the spec, kept in step by these tests."""

from __future__ import annotations

import pydantic
from questline import types as t
from questline_mock.validation import MAX_URI_LENGTH

from tests.conformance.spec_walk import (
    deref,
    nullable_request_fields,
    request_schema_names,
    schemas,
)


def test_the_request_models_accept_null_exactly_where_the_spec_does() -> None:
    """The server validates with the generated models alone, so their types must carry
    the spec's nullability (optional is not nullable)."""
    accepting_null = set()
    for name in request_schema_names():
        model = getattr(t, name, None)
        if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
            continue
        for attr, info in model.model_fields.items():
            wire = info.alias if info.alias_priority == 2 and info.alias else attr
            try:
                pydantic.TypeAdapter(info.annotation).validate_python(None, strict=True)
            except pydantic.ValidationError:
                continue
            accepting_null.add((name, wire))
    assert accepting_null == nullable_request_fields()


def test_every_uri_field_has_the_length_and_scheme_the_server_checks() -> None:
    seen = 0
    for name in request_schema_names():
        for prop, node in schemas()[name].get("properties", {}).items():
            options = [deref(o) for o in node.get("anyOf", [node])]
            for option in options:
                if option.get("format") != "uri":
                    continue
                seen += 1
                assert option.get("maxLength") == MAX_URI_LENGTH, (name, prop)
                assert (option.get("pattern") == "^https?://") == (prop == "url"), (name, prop)
    assert seen >= 4
