"""The working state of one engine step, shared by the core and every processor.

One step is one event (or one manual operation: a transaction, a hand-awarded badge, a
clock sweep). The step reads committed state through a storage ``Reader`` and never writes
to it: every new version of a record goes into :class:`Changes`, which the caller applies
in one unit of work afterwards. Reads inside the step go through the context's accessors,
which look in ``changes`` first, so a step sees its own writes (a rule's XP grant is
visible to the badge processor that runs after it).

Plug-in points:

* an *action handler* ``(ctx, action, source) -> None`` per action ``type``
  (``ACTION_HANDLERS``): grant_xp and grant_currency live in the core, award_badge and
  progress_badge in badges.py, progress_quest in quests.py;
* a *processor* ``(ctx) -> None`` per feature (``EVENT_PROCESSORS``), run in order after
  the rules for each event: badges, quests, streaks, then leaderboards (last, so that it
  sees every gain of the step). ``process.run_step`` runs them after manual operations
  too (a hand-awarded badge's reward XP must reach the leaderboards), with
  ``ctx.event is None``: a processor that reacts to events returns early then.

An action handler may return a small JSON ``result`` (e.g. the resolved amount); it is
recorded beside the action in ``actions_executed``, which ``GET /v1/events/{id}`` shows.

Errors of a step (the HTTP layer maps ``status`` / ``code`` to a problem)::

    EngineError                 409 conflict: the step cannot be carried out
     ├── InsufficientBalance    409 insufficient_balance: a debit below zero
     └── NotFound               404 not_found: e.g. a transaction for an unknown user
    DefinitionError             422 validation_error, ``errors`` naming each field
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from ..domain import (
    JSON,
    BadgeState,
    DomainEvent,
    EventRecord,
    LeaderboardEntry,
    LedgerEntry,
    QuestState,
    StreakState,
    Trace,
    User,
)
from ..jsonutil import copy_json
from ..storage.base import Reader, UnitOfWork

# Nested reward chains (a badge's reward awards a badge whose reward grants XP that levels
# up and runs level rewards ...) stop here rather than loop forever.
MAX_REWARD_DEPTH = 8


class EngineError(Exception):
    """A step that cannot be carried out; nothing of it is applied."""

    code: ClassVar[str] = "conflict"
    status: ClassVar[int] = 409

    def __init__(self, message: str, *, loc: list[str | int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc or []


class InsufficientBalance(EngineError):
    code: ClassVar[str] = "insufficient_balance"


class NotFound(EngineError):
    code: ClassVar[str] = "not_found"
    status: ClassVar[int] = 404


class DefinitionError(Exception):
    """A definition (rule, badge, levels, ...) that cannot be saved: a 422 naming each field.

    ``errors`` items are ``{"loc": [...], "message": str, "type": str}``, with ``loc``
    relative to the request body (e.g. ``["body", "actions", 0, "currency"]``).
    """

    def __init__(self, errors: list[JSON]) -> None:
        super().__init__(
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['message']}" for e in errors)
        )
        self.errors = errors


class IdFactory:
    """Makes server ids (``evt_…``, ``txn_…``, ``msg_…``) that sort by time."""

    def __init__(self, make: Callable[[str, datetime], str]) -> None:
        self._make = make

    def new(self, prefix: str, now: datetime) -> str:
        return self._make(prefix, now)

    def many(self, prefix: str, now: datetime, count: int) -> list[str]:
        """``count`` new ids in order; in one go when the maker can (``IdMaker.many``)."""
        make_many = getattr(self._make, "many", None)
        if make_many is not None:
            return make_many(prefix, now, count)  # type: ignore[no-any-return]
        return [self._make(prefix, now) for _ in range(count)]


@dataclass
class Changes:
    """Everything one step writes; applied by :meth:`apply` inside one unit of work."""

    users: dict[str, User] = field(default_factory=dict)
    events: list[EventRecord] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    badge_states: dict[tuple[str, str], BadgeState] = field(default_factory=dict)
    quest_states: dict[tuple[str, str], QuestState] = field(default_factory=dict)
    streak_states: dict[tuple[str, str], StreakState] = field(default_factory=dict)
    leaderboard_entries: dict[tuple[str, str, str], LeaderboardEntry] = field(default_factory=dict)
    domain_events: list[DomainEvent] = field(default_factory=list)

    # Written out rather than generated (the dataclass keeps it): in the compiled build a
    # generated __init__ stays interpreted, and every step makes one of each of these.
    def __init__(
        self,
        users: dict[str, User] | None = None,
        events: list[EventRecord] | None = None,
        ledger: list[LedgerEntry] | None = None,
        badge_states: dict[tuple[str, str], BadgeState] | None = None,
        quest_states: dict[tuple[str, str], QuestState] | None = None,
        streak_states: dict[tuple[str, str], StreakState] | None = None,
        leaderboard_entries: dict[tuple[str, str, str], LeaderboardEntry] | None = None,
        domain_events: list[DomainEvent] | None = None,
    ) -> None:
        self.users = {} if users is None else users
        self.events = [] if events is None else events
        self.ledger = [] if ledger is None else ledger
        self.badge_states = {} if badge_states is None else badge_states
        self.quest_states = {} if quest_states is None else quest_states
        self.streak_states = {} if streak_states is None else streak_states
        self.leaderboard_entries = {} if leaderboard_entries is None else leaderboard_entries
        self.domain_events = [] if domain_events is None else domain_events

    def apply(self, uow: UnitOfWork) -> None:
        for user in self.users.values():
            uow.put_user(user)
        for event in self.events:
            uow.insert_event(event)
        for entry in self.ledger:
            uow.insert_ledger(entry)
        for badge in self.badge_states.values():
            uow.put_badge_state(badge)
        for quest in self.quest_states.values():
            uow.put_quest_state(quest)
        for streak in self.streak_states.values():
            uow.put_streak_state(streak)
        for lb in self.leaderboard_entries.values():
            uow.put_leaderboard_entry(lb)
        # Domain events are turned into outbox messages by the caller (webhooks issue),
        # in the same unit of work.


@dataclass
class Effects:
    """The ``effects`` section of the event response, built up during the step."""

    xp_granted: int = 0
    level_ups: list[int] = field(default_factory=list)
    currencies: list[JSON] = field(default_factory=list)  # {currency, amount, balance}
    badges_awarded: list[JSON] = field(default_factory=list)  # {badge_id, tier}
    badge_progress: list[JSON] = field(default_factory=list)  # {badge_id, progress, target}
    quests: list[JSON] = field(default_factory=list)
    streaks: list[JSON] = field(default_factory=list)
    rewards: list[JSON] = field(default_factory=list)  # {source, actions}
    rules_triggered: list[str] = field(default_factory=list)

    def __init__(  # written out, as Changes' is
        self,
        xp_granted: int = 0,
        level_ups: list[int] | None = None,
        currencies: list[JSON] | None = None,
        badges_awarded: list[JSON] | None = None,
        badge_progress: list[JSON] | None = None,
        quests: list[JSON] | None = None,
        streaks: list[JSON] | None = None,
        rewards: list[JSON] | None = None,
        rules_triggered: list[str] | None = None,
    ) -> None:
        self.xp_granted = xp_granted
        self.level_ups = [] if level_ups is None else level_ups
        self.currencies = [] if currencies is None else currencies
        self.badges_awarded = [] if badges_awarded is None else badges_awarded
        self.badge_progress = [] if badge_progress is None else badge_progress
        self.quests = [] if quests is None else quests
        self.streaks = [] if streaks is None else streaks
        self.rewards = [] if rewards is None else rewards
        self.rules_triggered = [] if rules_triggered is None else rules_triggered

    def to_json(self, user: User) -> JSON:
        return {
            "xp": {
                "granted": self.xp_granted,
                "total": user.xp,
                "level": user.level,
                "level_ups": list(self.level_ups),
            },
            "currencies": _copied(self.currencies),
            "badges_awarded": _copied(self.badges_awarded),
            "badge_progress": _copied(self.badge_progress),
            "quests": _copied(self.quests),
            "streaks": _copied(self.streaks),
            "rewards": _copied(self.rewards),
            "rules_triggered": list(self.rules_triggered),
        }


def _copied(items: list[JSON]) -> list[JSON]:
    # Most sections are empty on most events, and deepcopy of [] still costs a few us.
    return copy_json(items) if items else []


@dataclass
class Gains:
    """What the step added, per metric, for the leaderboard processor."""

    xp: int = 0
    currencies: dict[str, int] = field(default_factory=dict)

    def __init__(self, xp: int = 0, currencies: dict[str, int] | None = None) -> None:
        self.xp, self.currencies = xp, {} if currencies is None else currencies


@dataclass
class EngineContext:
    view: Reader
    now: datetime
    ids: IdFactory
    user: User  # the working copy; mutated in place, stored via changes.users at the end
    event: EventRecord | None = None  # None for manual operations and sweeps
    changes: Changes = field(default_factory=Changes)
    effects: Effects = field(default_factory=Effects)
    gains: Gains = field(default_factory=Gains)
    actions_executed: list[JSON] = field(default_factory=list)
    # The explain trace: one entry per rule considered (rules.py), stored on the event.
    trace: Trace = field(default_factory=lambda: Trace(None, []))
    # Per-step caches keyed by their owner (aggregates, the levels table, badge states);
    # safe because nothing the step reads from the view changes during the step.
    memo: dict[Any, Any] = field(default_factory=dict)
    depth: int = 0
    _definitions: dict[tuple[str, str], JSON | None] = field(default_factory=dict)

    def __init__(  # written out, as Changes' is
        self,
        view: Reader,
        now: datetime,
        ids: IdFactory,
        user: User,
        event: EventRecord | None = None,
        changes: Changes | None = None,
        effects: Effects | None = None,
        gains: Gains | None = None,
        actions_executed: list[JSON] | None = None,
        trace: Trace | None = None,
        memo: dict[Any, Any] | None = None,
        depth: int = 0,
        _definitions: dict[tuple[str, str], JSON | None] | None = None,
    ) -> None:
        self.view, self.now, self.ids, self.user, self.event = view, now, ids, user, event
        self.changes = Changes() if changes is None else changes
        self.effects = Effects() if effects is None else effects
        self.gains = Gains() if gains is None else gains
        self.actions_executed = [] if actions_executed is None else actions_executed
        self.trace = Trace(None, []) if trace is None else trace
        self.memo = {} if memo is None else memo
        self.depth = depth
        self._definitions = {} if _definitions is None else _definitions

    # -- definitions (cached for the step) ------------------------------------------
    def definition(self, kind: str, definition_id: str) -> JSON | None:
        key = (kind, definition_id)
        if key not in self._definitions:
            self._definitions[key] = self.view.get_definition(kind, definition_id)
        return self._definitions[key]

    # -- progress records with read-your-writes --------------------------------------
    def earned_badge_ids(self) -> list[str]:
        """Ids of the badges the user holds, this step's awards included (sorted)."""
        key = ("badge_states", self.user.id)
        if key not in self.memo:
            self.memo[key] = {s.badge_id: s for s in self.view.list_badge_states(self.user.id)}
        states = dict(self.memo[key])
        for (user_id, badge_id), state in self.changes.badge_states.items():
            if user_id == self.user.id:
                states[badge_id] = state
        return sorted(b for b, s in states.items() if s.times_awarded > 0)

    def badge_state(self, badge_id: str) -> BadgeState:
        key = (self.user.id, badge_id)
        if key not in self.changes.badge_states:
            found = self.view.get_badge_state(self.user.id, badge_id)
            self.changes.badge_states[key] = (
                copy.deepcopy(found) if found else BadgeState(self.user.id, badge_id)
            )
        return self.changes.badge_states[key]

    def quest_state(self, quest_id: str) -> QuestState:
        key = (self.user.id, quest_id)
        if key not in self.changes.quest_states:
            found = self.view.get_quest_state(self.user.id, quest_id)
            self.changes.quest_states[key] = (
                copy.deepcopy(found) if found else QuestState(self.user.id, quest_id)
            )
        return self.changes.quest_states[key]

    def streak_state(self, streak_id: str) -> StreakState | None:
        key = (self.user.id, streak_id)
        if key in self.changes.streak_states:
            return self.changes.streak_states[key]
        found = self.view.get_streak_state(self.user.id, streak_id)
        return copy.deepcopy(found) if found else None

    def put_streak_state(self, state: StreakState) -> None:
        self.changes.streak_states[(state.user_id, state.streak_id)] = state

    def leaderboard_entry(self, leaderboard_id: str, period_key: str) -> LeaderboardEntry | None:
        key = (leaderboard_id, period_key, self.user.id)
        if key in self.changes.leaderboard_entries:
            return self.changes.leaderboard_entries[key]
        found = self.view.get_leaderboard_entry(leaderboard_id, period_key, self.user.id)
        return copy.deepcopy(found) if found else None

    def put_leaderboard_entry(self, entry: LeaderboardEntry) -> None:
        self.changes.leaderboard_entries[
            (entry.leaderboard_id, entry.period_key, entry.user_id)
        ] = entry

    # -- outputs ----------------------------------------------------------------------
    def emit(self, type: str, data: JSON) -> None:
        """Queue a domain event (becomes a webhook message and a stream entry).

        Every ``user.*`` payload names its user and the ``evt_…`` event that caused it
        (null for an API call or a clock sweep), so features need not repeat either.
        """
        if type.startswith("user."):
            cause = self.event.id if self.event is not None else None
            payload = {"user_id": self.user.id, "event_id": cause, **data}
        else:
            payload = dict(data)
        self.changes.domain_events.append(
            DomainEvent(type=type, data=payload, user_id=self.user.id)
        )

    def run_actions(self, actions: list[JSON], source: str) -> None:
        """Execute actions (a rule's, or a reward's) through the registered handlers."""
        if self.depth >= MAX_REWARD_DEPTH:
            return
        self.depth += 1
        try:
            for action in actions:
                handler = ACTION_HANDLERS.get(action.get("type", ""))
                if handler is None:
                    # Actions are validated when saved, so this is a missing plug-in.
                    raise EngineError(f"no handler for action type {action.get('type')!r}")
                # Recorded before it runs, so nested reward actions follow their cause.
                # A shallow copy: actions come from canonical definitions that nothing mutates.
                entry: JSON = {"source": source, "action": dict(action), "amount": None}
                self.actions_executed.append(entry)
                result = handler(self, action, source)
                if result is not None:
                    entry["amount"] = result.get("amount")  # resolved, clamped
        finally:
            self.depth -= 1

    def run_rewards(self, actions: list[JSON], source: str) -> None:
        """Run a reward's actions and report them in ``effects.rewards``."""
        if not actions:
            return
        self.effects.rewards.append({"source": source, "actions": copy_json(actions)})
        self.emit("user.reward.unlocked", {"source": source, "actions": copy_json(actions)})
        self.run_actions(actions, source)


ActionHandler = Callable[[EngineContext, JSON, str], "JSON | None"]
Processor = Callable[[EngineContext], None]

# Filled by the feature modules at import time (see engine/__init__.py for the order).
ACTION_HANDLERS: dict[str, ActionHandler] = {}
EVENT_PROCESSORS: list[Processor] = []


def action_handler(type: str) -> Callable[[ActionHandler], ActionHandler]:
    def register(fn: ActionHandler) -> ActionHandler:
        ACTION_HANDLERS[type] = fn
        return fn

    return register
