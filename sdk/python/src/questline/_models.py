"""The base models every generated type derives from.

Wire names are snake_case. Python callers may also write camelCase (``userId``), so
validation accepts a field's name or its camelCase form, while serialisation always
uses the wire name.

Fields whose wire name is not a Python identifier (``not``, ``from``) carry an explicit
alias from the generator (``not_`` with alias ``not``). Only the models that have such a
field derive from :class:`QuestlineKeywordModel` (the generator picks them from the spec),
whose ``before`` validator renames those keys so that strict snake_case validation
(``by_alias=False, by_name=True``, as the reference server does it) still accepts them.
Every other model has no model validator, and that matters: pydantic validates what a
``before`` validator returns in *Python* mode, where strict mode refuses the RFC 3339
string of a date-time that strict *JSON* mode accepts.
"""

from __future__ import annotations

from pydantic import AliasGenerator, BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel

__all__ = ["QuestlineKeywordModel", "QuestlineModel"]


def _wire_name(name: str) -> str:
    return name


class QuestlineModel(BaseModel):
    """Base for every request and response model of the API.

    Response models keep fields they do not know (``extra="allow"``) so an older SDK reads a
    newer server; request models generated from schemas with ``additionalProperties: false``
    override that with ``extra="forbid"``.
    """

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=_wire_name),
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        # Error locations use the wire (snake_case) names, whatever spelling came in.
        loc_by_alias=False,
        extra="allow",
    )


# model class -> {wire name: attribute name} for its keyword-named fields. Computed on first
# use, because a model with forward references only has its fields once it is rebuilt.
_KEYWORD_RENAMES: dict[type[BaseModel], dict[str, str]] = {}


def _keyword_renames(cls: type[BaseModel]) -> dict[str, str]:
    renames = _KEYWORD_RENAMES.get(cls)
    if renames is None:
        renames = {
            info.alias: name
            for name, info in cls.model_fields.items()
            if info.alias_priority == 2 and info.alias is not None and info.alias != name
        }
        if cls.__pydantic_complete__:
            _KEYWORD_RENAMES[cls] = renames
    return renames


class QuestlineKeywordModel(QuestlineModel):
    """Base for the models with a field named by a Python keyword (``not`` -> ``not_``).

    Their values are validated in Python mode (see the module's docstring), which for the
    types these models hold (strings, numbers, literals, conditions) is as strict as JSON
    mode; a test keeps date-times and URLs out of them.
    """

    @model_validator(mode="before")
    @classmethod
    def _accept_wire_keywords(cls, data: object) -> object:
        renames = _keyword_renames(cls)
        if not renames or not isinstance(data, dict):
            return data
        if not any(key in data for key in renames):
            return data
        return {renames.get(key, key): value for key, value in data.items()}
