"""Generated models validate strictly as the spec reads: date-times in strict JSON mode,
null only where the spec allows it, the keyword renamer only where a keyword is."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest
from codegen_testdata import SPEC
from questline import types as t
from questline._models import QuestlineKeywordModel, QuestlineModel

from codegen.languages.python_models import keyword_models
from codegen.parse import load_api

STRICT: dict[str, Any] = {"strict": True, "by_alias": False, "by_name": True}


def generated_models() -> dict[str, type[QuestlineModel]]:
    return {
        name: model
        for name in t.__all__
        if isinstance(model := getattr(t, name), type) and issubclass(model, QuestlineModel)
    }


def has_renamed_field(model: type[pydantic.BaseModel]) -> bool:
    return any(
        info.alias_priority == 2 and info.alias not in (None, name)
        for name, info in model.model_fields.items()
    )


def formats(node: Any) -> set[str]:
    """Every ``format`` keyword in a JSON Schema document."""
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            found.add(node["format"])
        for value in node.values():
            found |= formats(value)
    elif isinstance(node, list):
        for value in node:
            found |= formats(value)
    return found


# -- the keyword base class ----------------------------------------------------------------


def test_only_models_with_a_keyword_field_get_the_keyword_base_class() -> None:
    models = generated_models()
    with_keyword_base = {n for n, m in models.items() if issubclass(m, QuestlineKeywordModel)}
    assert with_keyword_base == {n for n, m in models.items() if has_renamed_field(m)}
    assert with_keyword_base == set(keyword_models(load_api(SPEC)))
    assert with_keyword_base  # ``not`` and ``from`` are in the spec


def test_no_other_model_has_a_model_validator() -> None:
    """A model validator would push everything below it into Python-mode validation."""
    for name, model in generated_models().items():
        if not issubclass(model, QuestlineKeywordModel):
            assert not model.__pydantic_decorators__.model_validators, name


def test_keyword_models_hold_nothing_that_strict_python_mode_reads_differently() -> None:
    """Keyword models are validated in Python mode, where strict refuses the strings of
    date-times, dates and URIs that strict JSON mode takes. None may sit below them."""
    for name, model in generated_models().items():
        if issubclass(model, QuestlineKeywordModel):
            assert formats(model.model_json_schema()) == set(), name


# -- date-times in strict JSON mode --------------------------------------------------------


def test_strict_json_takes_rfc3339_date_times_on_a_model_without_keyword_fields() -> None:
    clock = t.SandboxClockSet.model_validate_json('{"now": "2025-03-14T09:26:53Z"}', **STRICT)
    assert clock.now.isoformat() == "2025-03-14T09:26:53+00:00"
    event = t.EventCreate.model_validate_json(
        '{"user_id": "u1", "type": "login", "occurred_at": "2025-03-14T10:26:53+01:00"}',
        **STRICT,
    )
    assert event.occurred_at == clock.now


def test_strict_json_takes_date_times_beside_keyword_models() -> None:
    """A ``not`` condition and a ``from`` amount (keyword models) inside a rule whose
    ``active_from`` is a date-time."""
    rule = t.RuleUpsert.model_validate_json(
        '{"trigger": {"event_type": "purchase"},'
        ' "conditions": {"all": [{"not": {"fact": "user.level", "operator": "gte", "value": 5}}]},'
        ' "actions": [{"type": "grant_xp", "amount": {"from": "properties.amount"}}],'
        ' "active_from": "2025-03-14T09:26:53Z", "active_until": null}',
        **STRICT,
    )
    assert isinstance(rule.conditions, t.AllCondition)
    assert isinstance(rule.conditions.all[0], t.NotCondition)
    action = rule.actions[0]
    assert isinstance(action, t.GrantXpAction) and isinstance(action.amount, t.ComputedAmount)
    assert action.amount.from_ == "properties.amount"
    assert rule.active_from is not pydantic.MISSING and rule.active_from is not None
    assert rule.active_from.isoformat() == "2025-03-14T09:26:53+00:00"
    assert rule.active_until is None


def test_strict_json_still_refuses_a_date_time_without_an_offset() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        t.SandboxClockSet.model_validate_json('{"now": "2025-03-14T09:26:53"}', **STRICT)
    assert info.value.errors()[0]["loc"] == ("now",)


# -- nullability ---------------------------------------------------------------------------


def test_null_is_refused_for_an_optional_field_that_is_not_nullable() -> None:
    with pytest.raises(pydantic.ValidationError) as info:
        t.UserUpsert.model_validate_json('{"timezone": null}', **STRICT)
    assert info.value.errors()[0]["loc"] == ("timezone",)
    # A field with a default takes its default's type, without null.
    with pytest.raises(pydantic.ValidationError) as info:
        t.RuleUpsert.model_validate_json(
            '{"trigger": {"event_type": "x"}, "actions": [{"type": "grant_xp", "amount": 1}],'
            ' "priority": null}',
            **STRICT,
        )
    assert info.value.errors()[0]["loc"] == ("priority",)


def test_null_is_accepted_for_a_nullable_field() -> None:
    user = t.UserUpsert.model_validate_json('{"display_name": null, "email": null}', **STRICT)
    assert user.display_name is None and user.email is None
    assert user.model_dump(mode="json", exclude_unset=True) == {
        "display_name": None,
        "email": None,
    }


def test_optional_fields_are_still_left_out_by_callers() -> None:
    user = t.UserUpsert()
    assert user.timezone is pydantic.MISSING
    assert user.model_dump() == {}
    assert t.UserUpsert(timezone="Europe/Paris").model_dump(mode="json") == {
        "timezone": "Europe/Paris"
    }
    rule = t.RuleUpsert.model_validate(
        {"trigger": {"eventType": "x"}, "actions": [{"type": "grant_xp", "amount": 1}]}
    )
    assert (rule.enabled, rule.priority) == (True, 0)
    assert rule.model_dump(mode="json", exclude_unset=True) == {
        "trigger": {"event_type": "x"},
        "actions": [{"type": "grant_xp", "amount": 1}],
    }


def test_absent_response_fields_are_missing_and_unknown_ones_kept() -> None:
    problem = t.Problem.model_validate_json(
        '{"type": "https://questline.dev/problems/not_found", "title": "Not found",'
        ' "status": 404, "code": "not_found", "request_id": "req_1", "hint": "new"}'
    )
    assert problem.detail is pydantic.MISSING and problem.errors is pydantic.MISSING
    assert problem.model_extra == {"hint": "new"}
    assert "detail" not in problem.model_dump()
