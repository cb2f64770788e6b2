"""Leaderboards: per-period scores from what each step gained, ranked by the storage index.

The processor runs last in a step, so ``ctx.gains`` already holds every XP and currency
grant of the step (rules, badge, quest, streak and level rewards alike). For each board
whose metric the step touched, the gain goes to the user's entry for the board period that
contains the moment of the step (the event's ``occurred_at``, or ``ctx.now`` for a manual
step) on the board's own calendar (``timezone``, ISO weeks from Monday, calendar months).

Ranking is never done here: ``Reader.rank_of`` / ``Reader.rankings`` read an
order-statistics structure (memory) or an index (SQLite) ordered by score desc, then
``reached_at`` asc, then user id, with equal scores sharing a rank (1, 2, 2, 4). A board's
size therefore only costs a logarithm.

Decisions where the design is silent (also in the issue note):

* ``reached_at`` is the latest moment that contributed to the score: a late event adds its
  points to the period it occurred in without making the user look later than they were.
* A ``currency`` board counts currency *earned* (positive gains); spending never lowers it.
* ``property_sum`` adds the numeric value (number or numeric string) at the dotted
  property path; missing or non-numeric values add nothing; a zero gain makes no entry.
* ``rank_around`` for a user with no entry in the period answers ``rank: null, score: 0``
  and no neighbours (the HTTP layer decides whether an unknown *user* is a 404).
* ``period_start`` may name any date or instant inside the period (it is mapped to the
  period containing it); ``period_start`` / ``period_end`` in answers are UTC instants,
  null for an all-time board.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import JSON, LeaderboardEntry
from ..storage.base import RankedEntry, Reader
from . import periods
from .amounts import MAX_AMOUNT
from .conditions import as_number
from .context import EVENT_PROCESSORS, EngineContext
from .definitions import _name, definition_validator
from .facts import dig
from .render import format_time
from .validators import EVENT_TYPE, Loc, Problems, check_reference, check_unknown_keys

METRIC_TYPES = ("xp", "currency", "event_count", "property_sum")


def gain_for(ctx: EngineContext, metric: JSON) -> int | float:
    """How much this step adds to a board with ``metric``."""
    kind = metric.get("type")
    if kind == "xp":
        return max(ctx.gains.xp, 0)
    if kind == "currency":
        return max(ctx.gains.currencies.get(metric.get("currency", ""), 0), 0)
    event = ctx.event
    if event is None or event.type != metric.get("event_type"):
        return 0
    if kind == "event_count":
        return 1
    if kind == "property_sum":
        value = as_number(dig(event.properties, str(metric.get("property", "")))) or 0
        # Capped like an amount, so a huge property cannot overflow a stored score.
        return min(max(value, -MAX_AMOUNT), MAX_AMOUNT)
    return 0


def process_leaderboards(ctx: EngineContext) -> None:
    """Add the step's gains to each board's entry for the current period."""
    moment = ctx.event.occurred_at if ctx.event is not None else ctx.now
    for listed in ctx.view.list_definitions("leaderboards").items:
        board = ctx.definition("leaderboards", listed["id"]) or listed
        gain = gain_for(ctx, board.get("metric") or {})
        if not gain:
            continue
        period = periods.board_period(moment, board.get("timezone") or "UTC", board["period"])
        entry = ctx.leaderboard_entry(board["id"], period.key)
        if entry is None:
            entry = LeaderboardEntry(board["id"], period.key, ctx.user.id, 0, moment)
        entry.score = _tidy(entry.score + gain)
        entry.reached_at = max(entry.reached_at, moment)
        ctx.put_leaderboard_entry(entry)


EVENT_PROCESSORS.append(process_leaderboards)


# -- read views ---------------------------------------------------------------------------


def period_of(board: JSON, now: datetime, period_start: str | None = None) -> periods.BoardPeriod:
    """The period a query names (``period_start``), or the current one at ``now``.

    Raises ``periods.PeriodError`` for a ``period_start`` that is not a date or instant.
    """
    tz = board.get("timezone") or "UTC"
    if period_start:
        return periods.board_period_at(period_start, tz, board["period"])
    return periods.board_period(now, tz, board["period"])


def period_json(period: periods.BoardPeriod) -> JSON:
    """``{period_start, period_end}`` as the spec shows them: null for an all-time board."""
    if period.key == periods.ALL_TIME:
        return {"period_start": None, "period_end": None}
    return {"period_start": format_time(period.start), "period_end": format_time(period.end)}


def entry_json(ranked: RankedEntry) -> JSON:
    """A ranking entry on the wire: ``{rank, user_id, score, reached_at}``."""
    return {
        "rank": ranked.rank,
        "user_id": ranked.entry.user_id,
        "score": _tidy(ranked.entry.score),
        "reached_at": format_time(ranked.entry.reached_at),
    }


@dataclass(frozen=True)
class RankingPage:
    """One page of a board: entries from ``offset``, and whether more follow."""

    period: periods.BoardPeriod
    entries: list[JSON]
    has_more: bool
    total: int


def rankings(
    view: Reader,
    board: JSON,
    now: datetime,
    period_start: str | None = None,
    offset: int = 0,
    limit: int = 20,
) -> RankingPage:
    """``GET /v1/leaderboards/{id}/rankings``: a page of the board, best first.

    Pagination is by position; the HTTP layer wraps ``offset`` in its opaque cursor.
    """
    period = period_of(board, now, period_start)
    found = view.rankings(board["id"], period.key, offset, limit + 1)
    return RankingPage(
        period=period,
        entries=[entry_json(r) for r in found[:limit]],
        has_more=len(found) > limit,
        total=view.leaderboard_size(board["id"], period.key),
    )


def rank_around(
    view: Reader,
    board: JSON,
    user_id: str,
    around: int,
    now: datetime,
    period_start: str | None = None,
) -> JSON:
    """``GET /v1/leaderboards/{id}/rankings/{user_id}?around=N``.

    ``{user_id, rank, score, reached_at, above, below}`` with up to ``around`` entries on
    each side (fewer at the top or bottom of the board). The user's rank comes from the
    index; their *position* among equal scores is found by reading forward from the first
    entry of that rank, so the cost is the size of one tie, never of the board.
    """
    period = period_of(board, now, period_start)
    mine = view.rank_of(board["id"], period.key, user_id)
    if mine is None:
        return {
            "user_id": user_id,
            "rank": None,
            "score": 0,
            "reached_at": None,
            "above": [],
            "below": [],
            **period_json(period),
        }
    position = _position(view, board["id"], period.key, mine)
    start = max(position - around, 0)
    window = view.rankings(board["id"], period.key, start, (position - start) + around + 1)
    index = position - start
    return {
        **entry_json(mine),
        "user_id": user_id,
        "above": [entry_json(r) for r in window[:index]],
        "below": [entry_json(r) for r in window[index + 1 :]],
        **period_json(period),
    }


def _position(view: Reader, board_id: str, period_key: str, mine: RankedEntry) -> int:
    """0-based position of the user in the board order (rank - 1 plus ties before them)."""
    offset = mine.rank - 1
    chunk = 64
    while True:
        found = view.rankings(board_id, period_key, offset, chunk)
        for i, ranked in enumerate(found):
            if ranked.entry.user_id == mine.entry.user_id:
                return offset + i
        if len(found) < chunk:  # not found: the board changed under us; fall back
            return mine.rank - 1
        offset += chunk


def _tidy(score: float) -> int | float:
    """Scores are ints whenever they are whole (XP, counts), floats only for real sums."""
    return int(score) if float(score).is_integer() else score


# -- definition ---------------------------------------------------------------------------


_BOARD_FIELDS = {"name", "description", "metric", "period", "timezone"}


@definition_validator("leaderboards")
def validate_leaderboard(definition_id: str, doc: JSON, view: Reader) -> JSON:
    """A board definition's canonical form (defaults filled in), or DefinitionError."""
    problems = Problems()
    check_unknown_keys(doc, _BOARD_FIELDS, ["body"], problems)
    name = _name(doc, definition_id, problems)
    loc: Loc = ["body", "metric"]
    metric = doc.get("metric")
    if not isinstance(metric, dict) or metric.get("type") not in METRIC_TYPES:
        problems.add([*loc, "type"], f"must be one of {', '.join(METRIC_TYPES)}")
        metric = {"type": None}
    kind = metric["type"]
    canonical: JSON = {"type": kind}
    if kind == "currency":
        check_reference(view, "currencies", metric.get("currency"), [*loc, "currency"], problems)
        canonical["currency"] = metric.get("currency")
    if kind in ("event_count", "property_sum"):
        event_type = metric.get("event_type")
        if not isinstance(event_type, str) or not EVENT_TYPE.match(event_type):
            problems.add([*loc, "event_type"], "must be an event type like 'lesson_completed'")
        canonical["event_type"] = event_type
    if kind == "property_sum":
        prop = metric.get("property")
        if isinstance(prop, str) and prop.startswith("properties."):
            prop = prop[len("properties.") :]
        if not isinstance(prop, str) or not prop or not all(prop.split(".")):
            problems.add([*loc, "property"], "must be a dotted property path like 'amount'")
        canonical["property"] = prop
    if isinstance(metric, dict) and kind is not None:
        check_unknown_keys(metric, set(canonical), loc, problems)
    period = doc.get("period", "all_time")
    if period not in periods.BOARD_PERIODS:
        problems.add(["body", "period"], f"must be one of {', '.join(periods.BOARD_PERIODS)}")
    tz = doc.get("timezone", "UTC")
    if not periods.is_valid_timezone(tz):
        problems.add(["body", "timezone"], f"unknown IANA timezone {tz!r}")
    problems.raise_if_any()
    return {
        "name": name,
        "description": doc.get("description"),
        "metric": canonical,
        "period": period,
        "timezone": tz,
    }


# -- clock advances -----------------------------------------------------------------------


def periods_closed(board: JSON, before: datetime, after: datetime) -> int:
    """How many of a periodic board's periods ended in ``(before, after]``.

    A sandbox clock advance reports it, so a test sees "the daily board rolled over twice".
    Walks period by period, which is bounded by the advance (a year of daily periods is
    365 steps); an all-time board never closes.
    """
    if board.get("period", periods.ALL_TIME) == periods.ALL_TIME or after <= before:
        return 0
    tz = board.get("timezone") or "UTC"
    closed = 0
    period = periods.board_period(before, tz, board["period"])
    while period.end <= after:
        closed += 1
        period = periods.board_period(period.end, tz, board["period"])
    return closed
