"""Strict validation of JSON values with the generated models: exactly what the spec allows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from questline import types as t
from questline_mock.http.parsing import wire, wire_all
from questline_mock.validation import (
    MAX_URI_LENGTH,
    StrictValidationError,
    validate_strict,
    validate_strict_all,
)

RULE: dict[str, Any] = {
    "trigger": {"event_type": "purchase"},
    "actions": [{"type": "grant_xp", "amount": 10}],
}


def errors(model: type[Any], value: Any) -> list[dict[str, Any]]:
    with pytest.raises(StrictValidationError) as info:
        validate_strict(model, value)
    return info.value.errors


def test_rfc3339_date_times_are_accepted_on_a_model_without_keyword_fields() -> None:
    clock = validate_strict(t.SandboxClockSet, {"now": "2025-03-14T09:26:53Z"})
    assert clock.now.isoformat() == "2025-03-14T09:26:53+00:00"


def test_date_times_are_accepted_beside_keyword_models() -> None:
    rule = validate_strict(
        t.RuleUpsert,
        {
            **RULE,
            "conditions": {"not": {"fact": "user.level", "operator": "gte", "value": 5}},
            "actions": [{"type": "grant_xp", "amount": {"from": "properties.amount"}}],
            "active_from": "2025-03-14T09:26:53Z",
            "active_until": "2025-04-01T00:00:00+02:00",
        },
    )
    assert isinstance(rule.conditions, t.NotCondition)
    assert rule.model_dump(mode="json", exclude_unset=True)["active_until"] == (
        "2025-04-01T00:00:00+02:00"
    )


def test_a_date_time_must_be_a_string_with_an_offset() -> None:
    assert errors(t.SandboxClockSet, {"now": "2025-03-14T09:26:53"})[0]["loc"] == ["now"]
    assert errors(t.SandboxClockSet, {"now": 1741944413})[0]["loc"] == ["now"]


def test_null_is_refused_for_an_optional_field_that_is_not_nullable() -> None:
    found = errors(t.UserUpsert, {"timezone": None})
    assert [e["loc"] for e in found] == [["timezone"]]
    assert [e["loc"] for e in errors(t.RuleUpsert, {**RULE, "enabled": None})] == [["enabled"]]


def test_null_is_accepted_for_a_nullable_field() -> None:
    user = validate_strict(t.UserUpsert, {"display_name": None, "email": None})
    assert user.model_dump(mode="json", exclude_unset=True) == {
        "display_name": None,
        "email": None,
    }
    rule = validate_strict(t.RuleUpsert, {**RULE, "conditions": None, "active_from": None})
    assert rule.conditions is None and rule.active_from is None


def test_names_are_snake_case_only_and_nothing_is_coerced() -> None:
    found = errors(t.EventCreate, {"userId": "u1", "type": "login"})
    assert {(e["type"], e["loc"][0]) for e in found} == {
        ("missing", "user_id"),
        ("extra_forbidden", "userId"),
    }
    assert errors(t.SandboxClockAdvance, {"seconds": "60"})[0]["loc"] == ["seconds"]


def test_an_integral_number_is_an_integer_as_in_json_schema() -> None:
    advance = validate_strict(t.SandboxClockAdvance, {"seconds": 60.0})
    assert advance.seconds == 60 and type(advance.seconds) is int
    rule = validate_strict(t.RuleUpsert, {**RULE, "actions": [{"type": "grant_xp", "amount": 5.0}]})
    assert rule.model_dump(mode="json", exclude_unset=True)["actions"][0]["amount"] == 5
    assert errors(t.SandboxClockAdvance, {"seconds": 60.5})[0]["loc"] == ["seconds"]


def test_the_callers_value_is_left_as_it_was() -> None:
    value = {"seconds": 60.0}
    validate_strict(t.SandboxClockAdvance, value)
    assert value == {"seconds": 60.0}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://exämple.com/hook", "ASCII"),
        ("ftp://example.com/hook", "http or https"),
        ("https://example.com/" + "a" * MAX_URI_LENGTH, f"at most {MAX_URI_LENGTH}"),
    ],
)
def test_uris_are_checked_beyond_what_anyurl_says(url: str, message: str) -> None:
    found = errors(t.WebhookEndpointCreate, {"url": url})
    assert found[0]["loc"] == ["url"] and message in found[0]["message"]


def test_errors_are_plain_items_relative_to_the_value() -> None:
    found = errors(t.UserUpsert, {"timezone": 5, "bogus": 1})
    assert sorted(tuple(e) for e in found) == [("loc", "message", "type")] * 2
    assert sorted(e["loc"] for e in found) == [["bogus"], ["timezone"]]


def test_a_lone_surrogate_is_no_string() -> None:
    found = errors(t.UserUpsert, json.loads('{"display_name": "\\ud800"}'))
    assert found[0]["type"] == "string_unicode"


EVENTS: list[Any] = [
    {"user_id": "u1", "type": "login"},
    {
        "user_id": "u2",
        "type": "purchase",
        "event_id": "e-1",
        "occurred_at": "2026-03-02T09:00:00+01:00",
        "properties": {"amount": 12.5, "items": [{"sku": "a"}]},
        "user": {"display_name": "D", "timezone": "Europe/Paris", "traits": {"t": None}},
    },
]


def test_a_batch_validated_at_once_is_each_entry_validated_alone() -> None:
    together = validate_strict_all(t.EventCreate, EVENTS)
    assert together == [validate_strict(t.EventCreate, event) for event in EVENTS]
    assert wire_all(t.EventCreate, together) == [wire(model) for model in together]
    assert wire_all(t.EventCreate, together) == EVENTS


@pytest.mark.parametrize(
    "odd_one",
    [
        {"user_id": "u3"},  # a field missing
        {"user_id": "u3", "type": "login", "extra": 1},  # an unknown field
        {"user_id": "u3", "type": "login", "properties": {"s": "\ud800"}},  # not Unicode
        {"userId": "u3", "type": "login"},  # camelCase is for SDK users only
    ],
)
def test_one_entry_that_fails_sends_the_batch_to_the_entry_by_entry_path(odd_one: Any) -> None:
    assert validate_strict_all(t.EventCreate, [*EVENTS, odd_one]) is None


LEAF: dict[str, Any] = {"fact": "properties.a", "operator": "gt", "value": 1}


@pytest.mark.parametrize(
    ("conditions", "actions", "loc", "kind"),
    [
        ({**LEAF, "operator": "between"}, None, ["conditions", "operator"], "literal_error"),
        (
            {"all": [LEAF, {"not": {**LEAF, "operator": "between"}}]},
            None,
            ["conditions", "all", 1, "not", "operator"],
            "literal_error",
        ),
        ({**LEAF, "fact": "foo.bar"}, None, ["conditions", "fact"], "string_pattern_mismatch"),
        (
            {"type": "property_between", "property": "a", "value": 1},
            None,
            ["conditions", "type"],
            "literal_error",
        ),
        (
            {
                "aggregate": {"event_type": "x", "function": "avg", "window_seconds": 60},
                "operator": "gt",
                "value": 1,
            },
            None,
            ["conditions", "aggregate", "function"],
            "literal_error",
        ),
        ({"not": [LEAF]}, None, ["conditions", "not"], "model_type"),
        (5, None, ["conditions"], "model_type"),
        (
            None,
            [{"type": "grant_xp", "amount": -5}],
            ["actions", 0, "amount"],
            "greater_than_equal",
        ),
        (
            None,
            [{"type": "grant_xp", "amount": {"from": "nowhere"}}],
            ["actions", 0, "amount", "from"],
            "string_pattern_mismatch",
        ),
        (
            None,
            [{"type": "grant_currency", "currency": "c", "amount": {"multiply": 2}}],
            ["actions", 0, "amount", "from"],
            "missing",
        ),
    ],
)
def test_a_value_fitting_no_member_of_a_union_is_told_the_error_of_the_closest(
    conditions: Any, actions: Any, loc: list[str | int], kind: str
) -> None:
    """One error at the field as sent, not every member's errors under its class name."""
    rule = {**RULE, **({} if conditions is None else {"conditions": conditions})}
    if actions is not None:
        rule["actions"] = actions
    assert [(e["loc"], e["type"]) for e in errors(t.RuleUpsert, rule)] == [(loc, kind)]


def test_readable_errors_name_only_what_was_sent() -> None:
    """Every part of every loc is a key or index of the value, but the last of a missing
    field; no member name (``FactCondition``, ``constrained-int``) is left."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "gt"]))
    keys = st.sampled_from(["all", "any", "not", "fact", "operator", "value", "aggregate"])
    nodes = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(keys, inner, max_size=3),
    )

    @settings(max_examples=300, deadline=None)
    @given(nodes)
    def check(conditions: Any) -> None:
        rule = {**RULE, "conditions": conditions}
        try:
            validate_strict(t.RuleUpsert, rule)
        except StrictValidationError as exc:
            for e in exc.errors:
                node: Any = rule
                for position, part in enumerate(e["loc"]):
                    last = position == len(e["loc"]) - 1
                    if last and e["type"] == "missing":
                        assert isinstance(node, dict) and part not in node
                        break
                    assert (isinstance(node, dict) and part in node) or (
                        isinstance(node, list) and isinstance(part, int) and part < len(node)
                    ), e
                    node = node[part]

    check()
