"""The rules engine alone (no HTTP): events per second as a project's rule count grows.

    .venv/bin/python bench/engine_bench.py [--seconds 1.5]

Each project has 2 currencies, the default level curve, and N rules shaped like real ones
(two property conditions, every third rule with a 7-day aggregate, an XP grant and a
computed currency grant). Two layouts per N:

* ``indexed``: 10 rules trigger on the benchmarked event type, the other N-10 on other
  types; rules are indexed by trigger type, so the rate should not fall as N grows;
* ``all match``: all N rules trigger on the benchmarked type, to show the per-rule cost.

Columns: ``decide`` is ``process_event`` alone against a fixed state (pure engine cost);
``decide+apply`` also applies each step's changes in a MemoryStorage unit of work, with
500 users round robin, so state (event index, ledger, rule usage) grows as it runs.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from _servers import build as server_build
from questline_mock.domain import Project
from questline_mock.engine import EventInput, IdFactory, canonicalize_definition, process_event
from questline_mock.storage.base import Storage
from questline_mock.storage.memory import MemoryStorage

PROJECT = "prj_bench"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
EVENT_TYPE = "purchase_completed"


def rule(index: int, event_type: str) -> dict[str, object]:
    leaves: list[dict[str, object]] = [
        {"fact": "properties.amount", "operator": "gte", "value": index % 50},
        {"fact": "properties.channel", "operator": "in", "value": ["web", "ios"]},
    ]
    if index % 3 == 0:
        leaves.append(
            {
                "aggregate": {
                    "event_type": event_type,
                    "function": "count",
                    "window_seconds": 7 * 86400,
                },
                "operator": "gte",
                "value": 2,
            }
        )
    return {
        "priority": index % 5,
        "trigger": {"event_type": event_type},
        "conditions": {"all": leaves},
        "actions": [
            {"type": "grant_xp", "amount": 5},
            {
                "type": "grant_currency",
                "currency": "coins" if index % 2 else "gems",
                "amount": {"from": "properties.amount", "multiply": 0.01, "round": "floor"},
            },
        ],
    }


def build(rule_count: int, matching: int) -> Storage:
    storage = MemoryStorage()
    storage.create_project(Project(id=PROJECT, api_key="sk_test_bench", created_at=T0))
    with storage.unit_of_work(PROJECT) as uow:
        for currency in ("coins", "gems"):
            uow.put_definition(
                "currencies", currency, canonicalize_definition("currencies", currency, {}, uow)
            )
        for index in range(rule_count):
            event_type = EVENT_TYPE if index < matching else f"other_event_{index % 40}"
            doc = canonicalize_definition("rules", f"rule-{index}", rule(index, event_type), uow)
            uow.put_definition("rules", f"rule-{index}", doc)
    return storage


def ids() -> IdFactory:
    counter = itertools.count(1)
    return IdFactory(lambda prefix, now: f"{prefix}_{next(counter):012d}")


def event(n: int) -> EventInput:
    return EventInput(
        user_id=f"user-{n % 500}",
        type=EVENT_TYPE,
        occurred_at=T0 + timedelta(seconds=n),
        properties={"amount": 20 + n % 80, "channel": "web" if n % 4 else "android"},
    )


def rate(step: Callable[[int], None], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            step(count)
            count += 1
    return count / elapsed


def measure(storage: Storage, seconds: float) -> tuple[float, float]:
    make = ids()

    def apply(n: int) -> None:
        evt = event(n)
        with storage.unit_of_work(PROJECT) as uow:
            process_event(uow, evt, evt.occurred_at, make).changes.apply(uow)

    applied = rate(apply, seconds)
    with storage.read(PROJECT) as view:

        def decide(n: int) -> None:
            evt = event(n % 500)
            process_event(view, evt, evt.occurred_at, make)

        decided = rate(decide, seconds)
    return decided, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    args = parser.parse_args()
    print(f"server build: {server_build()}\n")
    print(f"{'rules':>6}  {'layout':<10}  {'decide ev/s':>12}  {'decide+apply ev/s':>18}")
    for rule_count in (10, 100, 1000):
        layouts = (
            [("indexed", 10), ("all match", rule_count)] if rule_count > 10 else [("indexed", 10)]
        )
        for layout, matching in layouts:
            decided, applied = measure(build(rule_count, matching), args.seconds)
            print(f"{rule_count:>6}  {layout:<10}  {decided:>12,.0f}  {applied:>18,.0f}")


if __name__ == "__main__":
    main()
