"""Generated models: camelCase in, snake_case out, strict requests, tolerant responses."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from codegen_testdata import example
from questline import types as t
from questline.webhooks import parse_event


def test_camel_case_input_is_accepted_and_snake_case_dumped() -> None:
    event = t.EventCreate.model_validate(
        {"userId": "u1", "type": "login", "occurredAt": "2025-03-14T09:00:00Z", "eventId": "e1"}
    )
    assert event.user_id == "u1"
    dumped = event.model_dump(mode="json", exclude_unset=True)
    assert dumped == {
        "user_id": "u1",
        "type": "login",
        "occurred_at": "2025-03-14T09:00:00Z",
        "event_id": "e1",
    }
    assert set(event.model_dump_json(exclude_unset=True).split('"')[1::4]) <= {
        "user_id",
        "type",
        "occurred_at",
        "event_id",
    }


def test_snake_case_input_is_accepted() -> None:
    assert t.EventCreate(user_id="u1", type="login").user_id == "u1"


def test_unknown_response_fields_are_kept() -> None:
    clock = t.SandboxClock.model_validate(
        {"now": "2025-01-01T00:00:00Z", "frozen": True, "drift_ms": 3, "newThing": {"a": 1}}
    )
    assert clock.model_dump()["drift_ms"] == 3
    assert clock.model_extra == {"drift_ms": 3, "newThing": {"a": 1}}


def test_request_models_reject_unknown_fields() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        t.EventCreate.model_validate({"user_id": "u1", "type": "login", "bogus": 1})


def test_server_style_strict_validation_takes_snake_case_only() -> None:
    """How the reference server validates request bodies with these same models."""
    ok = t.EventCreate.model_validate_json(
        '{"user_id": "u1", "type": "login"}', by_alias=False, by_name=True
    )
    assert ok.user_id == "u1"
    with pytest.raises(pydantic.ValidationError):
        t.EventCreate.model_validate_json(
            '{"userId": "u1", "type": "login"}', by_alias=False, by_name=True
        )
    with pytest.raises(pydantic.ValidationError) as info:
        t.EventCreate.model_validate_json(
            '{"user_id": "u1", "type": "login", "extra": 1}', by_alias=False, by_name=True
        )
    assert info.value.errors()[0]["loc"] == ("extra",)


def test_strict_validation_accepts_keyword_named_wire_fields() -> None:
    """`not` and `from` are Python keywords: the attribute is `not_`, the wire name `not`."""
    rule = t.RuleUpsert.model_validate_json(
        '{"trigger": {"event_type": "purchase"},'
        ' "conditions": {"not": {"fact": "user.level", "operator": "gte", "value": 5}},'
        ' "actions": [{"type": "grant_xp", "amount": {"from": "properties.amount", "multiply": 0.1}}]}',
        by_alias=False,
        by_name=True,
    )
    assert isinstance(rule.conditions, t.NotCondition)
    action = rule.actions[0]
    assert isinstance(action, t.GrantXpAction) and isinstance(action.amount, t.ComputedAmount)
    assert action.amount.from_ == "properties.amount"
    dumped = rule.model_dump(mode="json", exclude_unset=True)
    assert dumped["conditions"] == {"not": {"fact": "user.level", "operator": "gte", "value": 5}}
    assert dumped["actions"][0]["amount"] == {"from": "properties.amount", "multiply": 0.1}


def test_validation_error_locations_use_wire_names() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        t.EventCreate.model_validate({"userId": "u1", "type": "login", "occurredAt": "not a time"})
    assert info.value.errors()[0]["loc"] == ("occurred_at",)


CONDITION = pydantic.TypeAdapter(t.Condition)
ACTION = pydantic.TypeAdapter(t.Action)


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        ({"fact": "properties.score", "operator": "gte", "value": 80}, t.FactCondition),
        ({"type": "property_gte", "property": "score", "value": 80}, t.ShorthandCondition),
        ({"all": [{"fact": "user.xp", "operator": "gt", "value": 1}]}, t.AllCondition),
        ({"any": [{"type": "property_exists", "property": "coupon"}]}, t.AnyCondition),
        ({"not": {"fact": "event.type", "operator": "eq", "value": "x"}}, t.NotCondition),
        (
            {
                "aggregate": {
                    "event_type": "purchase",
                    "function": "count",
                    "window_seconds": 604800,
                },
                "operator": "gte",
                "value": 3,
            },
            t.AggregateCondition,
        ),
    ],
)
def test_condition_union_parses_canonical_and_shorthand_forms(
    raw: dict[str, Any], cls: type
) -> None:
    parsed = CONDITION.validate_python(raw)
    assert type(parsed) is cls
    assert CONDITION.dump_python(parsed, mode="json", exclude_unset=True) == raw


def test_nested_conditions() -> None:
    raw = {
        "all": [{"type": "property_gte", "property": "score", "value": 80}, {"not": {"any": []}}]
    }
    parsed = CONDITION.validate_python(raw)
    assert isinstance(parsed, t.AllCondition)
    assert isinstance(parsed.all[0], t.ShorthandCondition)
    assert isinstance(parsed.all[1], t.NotCondition)


@pytest.mark.parametrize(
    ("raw", "cls"),
    [
        ({"type": "grant_xp", "amount": 100}, t.GrantXpAction),
        ({"type": "grant_currency", "currency": "coins", "amount": 5}, t.GrantCurrencyAction),
        ({"type": "award_badge", "badge_id": "first"}, t.AwardBadgeAction),
        ({"type": "progress_badge", "badge_id": "ten"}, t.ProgressBadgeAction),
        ({"type": "progress_quest", "quest_id": "onboarding"}, t.ProgressQuestAction),
    ],
)
def test_action_union_is_discriminated_on_type(raw: dict[str, Any], cls: type) -> None:
    assert type(ACTION.validate_python(raw)) is cls


def test_unknown_action_type_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        ACTION.validate_python({"type": "explode"})


def test_every_webhook_type_parses_to_its_own_class(spec: dict[str, Any]) -> None:
    seen = set()
    for event_type, item in spec["webhooks"].items():
        schema = item["post"]["requestBody"]["content"]["application/json"]["schema"]
        event = parse_event(example(spec, schema))
        assert event.type == event_type
        assert type(event).__name__ == schema["$ref"].rsplit("/", 1)[1]
        seen.add(type(event))
    assert len(seen) == len(spec["webhooks"])
