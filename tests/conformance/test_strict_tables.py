"""The server's strict-parsing tables are the spec's facts, kept in step by these tests."""

from __future__ import annotations

from questline_mock.http.strict import MAX_URI_LENGTH, NULLABLE

from tests.conformance.spec_walk import (
    deref,
    nullable_request_fields,
    request_schema_names,
    schemas,
)


def test_the_server_accepts_null_exactly_where_the_spec_does() -> None:
    assert nullable_request_fields() == NULLABLE


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
