"""Save-time checks shared by every definition: conditions, actions, amounts.

DESIGN §2: "unknown operators, paths, badges, quests, currencies are a 422 naming the bad
field — never a surprise at event time." So everything the engine will later read
without checking is checked here, once, and turned into its canonical form (shorthand
expanded, defaults filled). Each check appends to a :class:`Problems` with a ``loc``
relative to the request body, so one response names every bad field rather than the
first; the public helpers raise :class:`DefinitionError` when anything was found.

The badges, quests, streaks and leaderboards validators (another module's) reuse
:func:`validate_condition` and :func:`validate_actions` for their criteria and rewards.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from ..domain import JSON, SINGULAR
from ..storage.base import Reader
from .amounts import DEFAULT_MULTIPLY, DEFAULT_ROUND, ROUNDINGS
from .conditions import OPERATORS, as_number, expand_shorthand
from .context import DefinitionError
from .facts import split_fact_path

Loc = list[str | int]

EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_.:-]{0,127}$")
DEFINITION_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Deep enough for any sensible rule, shallow enough that evaluation cannot blow the stack.
MAX_CONDITION_DEPTH = 16

# Fact prefixes whose rest names a definition that must exist.
_REFERENCING_FACTS = {"user.balances.": "currencies", "user.streaks.": "streaks"}
# Facts that are never a string or a list (their split_fact_path prefix -> what they are),
# so a string or list operator on them could never hold.
_NOT_TEXT_FACTS = {
    "event.occurred_at": "a time",
    "user.xp": "a number",
    "user.level": "a number",
    "user.balances.": "a number",
    "user.event_count.": "a number",
    "user.streaks.": "a number",
}
_TEXT_OPERATORS = ("contains", "not_contains", "starts_with", "ends_with")


class Problems:
    """The errors found so far, each ``{loc, message, type}``."""

    def __init__(self) -> None:
        self.errors: list[JSON] = []

    def add(self, loc: Loc, message: str, type: str = "value_error") -> None:
        self.errors.append({"loc": list(loc), "message": message, "type": type})

    def raise_if_any(self) -> None:
        if self.errors:
            raise DefinitionError(self.errors)

    def absorb(self, error: DefinitionError) -> None:
        self.errors.extend(error.errors)


def is_int(value: Any) -> TypeGuard[int]:
    """An int that is not a bool (JSON true is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_reference(view: Reader, kind: str, ref: Any, loc: Loc, problems: Problems) -> bool:
    """A definition id that must exist (``currency``, ``badge_id``, ...)."""
    noun = SINGULAR[kind]
    if not isinstance(ref, str) or not ref:
        problems.add(loc, f"must be a {noun} id", "type_error")
        return False
    if view.get_definition(kind, ref) is None:
        problems.add(loc, f"unknown {noun} {ref!r}", "unknown_reference")
        return False
    return True


def check_unknown_keys(doc: JSON, allowed: set[str], loc: Loc, problems: Problems) -> None:
    for key in doc:
        if key not in allowed:
            problems.add([*loc, key], "unknown field", "extra_forbidden")


# -- conditions --------------------------------------------------------------------------
def validate_condition(condition: Any, loc: Loc, view: Reader) -> JSON:
    """The canonical form of a condition tree, or DefinitionError naming each bad field."""
    problems = Problems()
    canonical = _condition(condition, loc, view, problems, 0)
    problems.raise_if_any()
    return canonical


def _condition(node: Any, loc: Loc, view: Reader, problems: Problems, depth: int) -> JSON:
    node = expand_shorthand(node)
    if not isinstance(node, dict):
        problems.add(loc, "must be an object", "type_error")
        return {}
    if depth > MAX_CONDITION_DEPTH:
        problems.add(loc, f"nested deeper than {MAX_CONDITION_DEPTH}")
        return {}
    for key in ("all", "any"):
        if key in node:
            check_unknown_keys(node, {key}, loc, problems)
            children = node[key]
            # An empty list is allowed, as the spec says: ``all`` of nothing is true,
            # ``any`` of nothing is false.
            if not isinstance(children, list):
                problems.add([*loc, key], "must be a list", "type_error")
                return {key: []}
            return {
                key: [
                    _condition(c, [*loc, key, i], view, problems, depth + 1)
                    for i, c in enumerate(children)
                ]
            }
    if "not" in node:
        check_unknown_keys(node, {"not"}, loc, problems)
        return {"not": _condition(node["not"], [*loc, "not"], view, problems, depth + 1)}
    if "aggregate" in node:
        return _aggregate_leaf(node, loc, view, problems)
    if "fact" in node:
        return _fact_leaf(node, loc, view, problems)
    if "type" in node:
        problems.add([*loc, "type"], f"unknown condition type {node['type']!r}")
    else:
        problems.add(loc, "must have one of all, any, not, fact, aggregate", "missing")
    return {}


def _operator(node: JSON, loc: Loc, problems: Problems) -> JSON:
    """``{operator, value?}`` checked; the value is dropped for exists / not_exists."""
    name = node.get("operator")
    op = OPERATORS.get(name) if isinstance(name, str) else None
    if op is None:
        problems.add(
            [*loc, "operator"],
            f"unknown operator {name!r}; one of {', '.join(OPERATORS)}",
            "unknown_operator",
        )
        return {"operator": name}
    if not op.takes_value:
        return {"operator": name}
    if "value" not in node:
        # A semantic rule (the schema has ``value`` optional, for ``exists``): value_error,
        # not pydantic's schema-level ``missing``.
        problems.add([*loc, "value"], f"required by operator {name!r}", "value_error")
        return {"operator": name}
    problem = op.value_problem(node["value"])
    if problem:
        problems.add([*loc, "value"], f"{problem} for operator {name!r}")
    return {"operator": name, "value": node["value"]}


def _fact_leaf(node: JSON, loc: Loc, view: Reader, problems: Problems) -> JSON:
    check_unknown_keys(node, {"fact", "operator", "value"}, loc, problems)
    path = node["fact"]
    validate_fact_path(path, [*loc, "fact"], view, problems)
    leaf = {"fact": path, **_operator(node, loc, problems)}
    split = split_fact_path(path)
    kind = _NOT_TEXT_FACTS.get(split[0]) if split else None
    if kind is not None and leaf.get("operator") in _TEXT_OPERATORS:
        problems.add(
            [*loc, "operator"],
            f"{path} is {kind}, never a string or a list, so {leaf['operator']!r} could never"
            " hold; compare it with eq, ne, gt, gte, lt or lte",
        )
    # A badge named in a user.badges test must exist too: a typo would never match.
    if path == "user.badges" and leaf.get("operator") in ("contains", "not_contains"):
        check_reference(view, "badges", leaf.get("value"), [*loc, "value"], problems)
    return leaf


def validate_fact_path(path: Any, loc: Loc, view: Reader, problems: Problems) -> None:
    split = split_fact_path(path)
    if split is None:
        problems.add(loc, f"unknown fact path {path!r}", "unknown_fact")
        return
    prefix, rest = split
    if prefix in _REFERENCING_FACTS:
        check_reference(view, _REFERENCING_FACTS[prefix], rest, loc, problems)


def _aggregate_leaf(node: JSON, loc: Loc, view: Reader, problems: Problems) -> JSON:
    check_unknown_keys(node, {"aggregate", "operator", "value"}, loc, problems)
    spec, at = node["aggregate"], [*loc, "aggregate"]
    if not isinstance(spec, dict):
        problems.add(at, "must be an object", "type_error")
        return {}
    check_unknown_keys(spec, {"event_type", "function", "property", "window_seconds"}, at, problems)
    event_type = spec.get("event_type")
    if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
        problems.add([*at, "event_type"], "must be an event type like 'purchase_completed'")
    function = spec.get("function", "count")
    if function not in ("count", "sum"):
        problems.add([*at, "function"], "must be 'count' or 'sum'")
    prop = spec.get("property")
    if isinstance(prop, str) and prop.startswith("properties."):
        prop = prop[len("properties.") :]
    if prop is not None and (not isinstance(prop, str) or not prop or not all(prop.split("."))):
        problems.add([*at, "property"], "must be a dotted property path like 'amount'")
    if function == "sum" and prop is None:
        problems.add([*at, "property"], "required when function is 'sum'", "value_error")
    window = spec.get("window_seconds")
    if not is_int(window) or window <= 0:
        problems.add([*at, "window_seconds"], "must be a positive integer")
    canonical = {"event_type": event_type, "function": function, "window_seconds": window}
    if prop is not None:
        canonical["property"] = prop
    return {"aggregate": canonical, **_operator(node, loc, problems)}


# -- actions -----------------------------------------------------------------------------
def validate_actions(
    actions: Any, loc: Loc, view: Reader, *, allow_empty: bool = True
) -> list[JSON]:
    """The canonical form of a list of actions, or DefinitionError naming each bad field."""
    problems = Problems()
    canonical = actions_into(actions, loc, view, problems, allow_empty=allow_empty)
    problems.raise_if_any()
    return canonical


def actions_into(
    actions: Any, loc: Loc, view: Reader, problems: Problems, *, allow_empty: bool = True
) -> list[JSON]:
    """:func:`validate_actions` collecting into ``problems`` instead of raising."""
    if not isinstance(actions, list):
        problems.add(loc, "must be a list of actions", "type_error")
        return []
    if not actions and not allow_empty:
        problems.add(loc, "must have at least one action", "missing")
    return [_action(a, [*loc, i], view, problems) for i, a in enumerate(actions)]


def _action(action: Any, loc: Loc, view: Reader, problems: Problems) -> JSON:
    if not isinstance(action, dict):
        problems.add(loc, "must be an object", "type_error")
        return {}
    kind = action.get("type")
    shape = ACTION_SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        problems.add(
            [*loc, "type"], f"unknown action type {kind!r}; one of {', '.join(ACTION_SHAPES)}"
        )
        return dict(action)
    check_unknown_keys(action, {"type", *shape}, loc, problems)
    canonical: JSON = {"type": kind}
    for field_name, check in shape.items():
        canonical[field_name] = check(action, [*loc, field_name], view, problems)
    return canonical


def validate_amount(spec: Any, loc: Loc, view: Reader, problems: Problems) -> Any:
    """An int >= 0, or ``{from, multiply, round}`` with every key filled in."""
    if is_int(spec):
        if spec < 0:
            problems.add(loc, "must be >= 0")
        return spec
    if not isinstance(spec, dict):
        problems.add(loc, "must be an integer or {from, multiply, round}", "type_error")
        return spec
    check_unknown_keys(spec, {"from", "multiply", "round"}, loc, problems)
    if "from" not in spec:
        problems.add([*loc, "from"], "required", "missing")
    else:
        validate_fact_path(spec["from"], [*loc, "from"], view, problems)
    multiply = spec.get("multiply", DEFAULT_MULTIPLY)
    if isinstance(multiply, str) or as_number(multiply) is None:
        problems.add([*loc, "multiply"], "must be a number")
    rounding = spec.get("round", DEFAULT_ROUND)
    if rounding not in ROUNDINGS:
        problems.add([*loc, "round"], f"must be one of {', '.join(ROUNDINGS)}")
    return {"from": spec.get("from"), "multiply": multiply, "round": rounding}


def _required_amount(action: JSON, loc: Loc, view: Reader, problems: Problems) -> Any:
    if "amount" not in action:
        problems.add(loc, "required", "missing")
        return None
    return validate_amount(action["amount"], loc, view, problems)


def _optional_amount(action: JSON, loc: Loc, view: Reader, problems: Problems) -> Any:
    return validate_amount(action.get("amount", 1), loc, view, problems)


def _ref(kind: str, key: str) -> Any:
    def check(action: JSON, loc: Loc, view: Reader, problems: Problems) -> Any:
        if key not in action:
            problems.add(loc, "required", "missing")
        else:
            check_reference(view, kind, action[key], loc, problems)
        return action.get(key)

    return check


def _step_id(action: JSON, loc: Loc, view: Reader, problems: Problems) -> Any:
    step_id = action.get("step_id")
    if step_id is None:
        return None
    quest = view.get_definition("quests", action.get("quest_id") or "")
    if quest is not None and step_id not in [s.get("id") for s in quest.get("steps", [])]:
        problems.add(
            loc, f"quest {action.get('quest_id')!r} has no step {step_id!r}", "unknown_reference"
        )
    return step_id


# Action type -> field -> check returning the canonical value (defaults filled in).
ACTION_SHAPES: dict[str, dict[str, Any]] = {
    "grant_xp": {"amount": _required_amount},
    "grant_currency": {"currency": _ref("currencies", "currency"), "amount": _required_amount},
    "award_badge": {"badge_id": _ref("badges", "badge_id")},
    "progress_badge": {"badge_id": _ref("badges", "badge_id"), "amount": _optional_amount},
    "progress_quest": {
        "quest_id": _ref("quests", "quest_id"),
        "step_id": _step_id,
        "amount": _optional_amount,
    },
}
