"""XP and levels: the curve, its validation, and what happens when XP crosses it.

The default curve (used until a project PUTs its own) is triangular, so every level
takes 100 XP more than the one before: level *n* needs ``100 · (n-1) · n / 2`` XP, i.e.
1 → 0, 2 → 100, 3 → 300, 4 → 600, 5 → 1,000, 10 → 4,500, 50 → 122,500, up to level 100 at
495,000 XP. Early levels come quickly and later ones slow down, the usual shape in games,
and it needs no configuration to demo.

A user's level is always ``level_for_xp(xp)`` of the project's curve. Crossing several
levels in one grant reports each in ``level_ups``, emits one ``user.level.up`` per level
and runs each level's rewards in order; a reward's own XP may cross further levels, which
the same loop picks up without counting any level twice.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from ..domain import JSON
from ..memo import IdentityMemo
from ..storage.base import Reader
from .context import EngineContext
from .validators import Problems, actions_into, check_unknown_keys, is_int

DEFAULT_LEVEL_COUNT = 100
XP_STEP = 100
MAX_LEVELS = 1000


def default_min_xp(level: int) -> int:
    """XP needed for ``level`` on the default curve: 100 · (n-1) · n / 2."""
    return XP_STEP * (level - 1) * level // 2


def default_levels() -> JSON:
    """The default curve as a levels document (what ``GET /v1/levels`` shows until a PUT)."""
    return {
        "levels": [
            {"level": n, "min_xp": default_min_xp(n), "name": None, "rewards": []}
            for n in range(1, DEFAULT_LEVEL_COUNT + 1)
        ]
    }


_DEFAULT = default_levels()


def levels_document(view: Reader) -> JSON:
    """The project's levels: the stored document, or the default curve."""
    return view.get_levels() or _DEFAULT


def level_for_xp(xp: int, document: JSON | None = None) -> int:
    """The level a user with ``xp`` has on ``document`` (default curve when None)."""
    thresholds = [entry["min_xp"] for entry in (document or _DEFAULT)["levels"]]
    return max(bisect_right(thresholds, xp), 1)


# A levels document -> its thresholds (the document shared by storage until replaced).
_thresholds = IdentityMemo(lambda document: [entry["min_xp"] for entry in document["levels"]])


def _table(ctx: EngineContext) -> tuple[list[int], list[JSON]]:
    if "levels" not in ctx.memo:
        document = levels_document(ctx.view)
        ctx.memo["levels"] = (_thresholds(document), document["levels"])
    table: tuple[list[int], list[JSON]] = ctx.memo["levels"]
    return table


def add_xp(ctx: EngineContext, amount: int, source: str) -> None:
    """Grant ``amount`` XP to the step's user and level them up as far as it reaches."""
    if amount <= 0:
        return
    user = ctx.user
    user.xp += amount
    ctx.effects.xp_granted += amount
    ctx.gains.xp += amount
    thresholds, levels = _table(ctx)
    reached = max(bisect_right(thresholds, user.xp), 1)  # where the loop below ends
    ctx.emit(
        "user.xp.earned",
        {"amount": amount, "total": user.xp, "level": reached, "source": source},
    )
    # Re-read the target each time round: a level's reward may grant more XP.
    while user.level < max(bisect_right(thresholds, user.xp), 1):
        previous = user.level
        user.level += 1
        entry = levels[user.level - 1]
        ctx.effects.level_ups.append(user.level)
        ctx.emit(
            "user.level.up",
            {
                "level": user.level,
                "previous_level": previous,
                "name": entry.get("name"),
                "xp": user.xp,
            },
        )
        ctx.run_rewards(entry.get("rewards") or [], f"level:{user.level}")
    # A curve replaced by a steeper one can leave a user above their level; XP decides.
    user.level = min(user.level, max(bisect_right(thresholds, user.xp), 1))


def validate_levels(document: Any, view: Reader) -> JSON:
    """The canonical levels document, or DefinitionError naming each bad field.

    Levels are numbered 1..n in order, ``min_xp`` starts at 0 and strictly increases, and
    each level's rewards are valid actions.
    """
    problems = Problems()
    loc: list[str | int] = ["body", "levels"]
    if not isinstance(document, dict):
        problems.add(["body"], "must be an object", "type_error")
        problems.raise_if_any()
    check_unknown_keys(document, {"levels"}, ["body"], problems)
    levels = document.get("levels")
    if not isinstance(levels, list) or not levels:
        problems.add(loc, "must be a non-empty list", "type_error")
        problems.raise_if_any()
    if len(levels) > MAX_LEVELS:
        problems.add(loc, f"at most {MAX_LEVELS} levels")
    canonical: list[JSON] = []
    previous_xp: int | None = None
    for index, entry in enumerate(levels):
        at = [*loc, index]
        if not isinstance(entry, dict):
            problems.add(at, "must be an object", "type_error")
            continue
        check_unknown_keys(entry, {"level", "min_xp", "name", "rewards"}, at, problems)
        number = entry.get("level", index + 1)
        if number != index + 1 or not is_int(number):
            problems.add([*at, "level"], f"must be {index + 1}: levels are numbered 1..n in order")
        min_xp = entry.get("min_xp")
        if not is_int(min_xp) or min_xp < 0:
            problems.add([*at, "min_xp"], "must be an integer >= 0", "type_error")
        elif index == 0 and min_xp != 0:
            problems.add([*at, "min_xp"], "the first level must start at 0")
        elif previous_xp is not None and min_xp <= previous_xp:
            problems.add(
                [*at, "min_xp"], f"must be greater than {previous_xp} (strictly increasing)"
            )
        if is_int(min_xp):
            previous_xp = min_xp
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            problems.add([*at, "name"], "must be a string", "type_error")
        rewards = actions_into(entry.get("rewards", []), [*at, "rewards"], view, problems)
        canonical.append({"level": index + 1, "min_xp": min_xp, "name": name, "rewards": rewards})
    problems.raise_if_any()
    return {"levels": canonical}
