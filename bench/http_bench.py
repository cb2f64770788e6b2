"""HTTP throughput of the reference server, as ratios within one run.

Issue 4: requests/s of ``GET /v1/health`` and ``PUT /v1/users/{id}``, in memory and on
SQLite, with the same client; and waitress vs werkzeug's threaded server (the CLI serves
with waitress). Issue 5: a project of 10 rules (conditions on properties and one
aggregate), 2 currencies and a level curve: events/s through single ``POST /v1/events``
against ``GET /v1/health`` on the same server (target: ratio >= 0.5), and through
``/v1/events/batch`` of 500 (target: >= 10x the single-POST rate); memory and SQLite.
Health, single events and two batches are measured in turn over ten short rounds and each
ratio is the median of the rounds' ratios, so a noisy neighbour slows both of its sides
alike and a slow round does not move the result. Beside it, ``best`` divides each side's
fastest round (``timeit``'s convention: interference only ever adds time), which is what
the ratio is on a quiet machine: a batch is CPU-bound and a round trip mostly waits, so
a busy neighbour slows the batch more, and even the median of paired rounds drops.

Run: ``.venv/bin/python bench/http_bench.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import httpx
from _servers import build, client, running

RULES = 10


def rate(fn: Callable[[int], object], n: int, warm: bool = True) -> float:
    """Operations per second of ``fn(i)`` for i in range(n), after a short warm-up."""
    for i in range(min(20, n) if warm else 0):
        fn(-1 - i)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def rules(stress: bool = False) -> list[dict[str, object]]:
    """The project's 10 rules, all triggered by ``purchase`` so every event evaluates all 10.

    Typical: eight price tiers (``gte lo`` and ``lt hi``: exactly one holds), a category
    bonus and a "3 purchases in 7 days" aggregate, so 1-3 rules fire per event. Stress:
    every rule a plain ``gte`` threshold, so about half of them fire, each granting XP and
    currency (the most ledger entries and webhook messages an event can cost).
    """
    found: list[dict[str, object]] = []
    for r in range(8):
        if stress:
            conditions: dict[str, object] = {
                "fact": "properties.amount",
                "operator": "gte",
                "value": r * 12,
            }
        else:
            conditions = {
                "all": [
                    {"fact": "properties.amount", "operator": "gte", "value": r * 15},
                    {"fact": "properties.amount", "operator": "lt", "value": (r + 1) * 15},
                ]
            }
        actions: list[dict[str, object]] = [{"type": "grant_xp", "amount": 5 + r}]
        if stress or r % 2:
            amount = {"from": "properties.amount", "multiply": 0.1}
            actions.append({"type": "grant_currency", "currency": "coins", "amount": amount})
        found.append(
            {"trigger": {"event_type": "purchase"}, "conditions": conditions, "actions": actions}
        )
    category = {"fact": "properties.category", "operator": "in", "value": ["books", "games"]}
    found.append(
        {
            "trigger": {"event_type": "purchase"},
            "conditions": category,
            "actions": [{"type": "grant_xp", "amount": 3}],
        }
    )
    aggregate = {
        "aggregate": {"event_type": "purchase", "function": "count", "window_seconds": 7 * 86400},
        "operator": "gte",
        "value": 3,
    }
    found.append(
        {
            "trigger": {"event_type": "purchase"},
            "conditions": aggregate,
            "actions": [{"type": "grant_currency", "currency": "gems", "amount": 1}],
            "limits": {"cooldown_seconds": 3600},
        }
    )
    return found


def configure(http: httpx.Client, stress: bool = False) -> None:
    """10 rules on one event type, 2 currencies, a level curve."""
    for currency in ("coins", "gems"):
        http.put(f"/v1/currencies/{currency}", json={"name": currency}).raise_for_status()
    levels = [{"level": n + 1, "min_xp": n * n * 50} for n in range(30)]
    http.put("/v1/levels", json={"levels": levels}).raise_for_status()
    for r, rule in enumerate(rules(stress)):
        http.put(f"/v1/rules/rule-{r}", json=rule).raise_for_status()


def event(i: int, user_count: int = 200) -> dict[str, object]:
    return {
        "user_id": f"user-{i % user_count}",
        "type": "purchase",
        "properties": {
            "amount": (i * 37) % 120,
            "category": ("books", "tools", "games", "food")[i % 4],
        },
    }


ROUNDS = 10  # health, single events and batches measured in turn, this many times
BATCHES = 2  # batches of 500 per round: one is a single ~0.1 s request, too short to time


def measure(kind: str, storage: str, n: int, stress: bool = False) -> dict[str, float]:
    """Rates (medians over the rounds) and the two ratios, each taken within one round, so
    a noisy neighbour slows both sides of a ratio alike; the median of the rounds."""
    with running(kind, storage) as url, client(url) as http:
        configure(http, stress)
        users = rate(
            lambda i: http.put(
                f"/v1/users/bench-{i}", json={"display_name": "B"}
            ).raise_for_status(),
            n,
        )
        each = max(20, n // ROUNDS)
        rounds: list[tuple[float, float, float]] = []
        for r in range(ROUNDS):
            health = rate(lambda i: http.get("/v1/health").raise_for_status(), each, r == 0)
            single = rate(
                lambda i, r=r: http.post("/v1/events", json=event(r * each + i)).raise_for_status(),
                each,
                r == 0,
            )
            batch = 500 * rate(
                lambda b, r=r: http.post(
                    "/v1/events/batch",
                    json={"events": [event((100 + 10 * r + b) * 1000 + j) for j in range(500)]},
                ).raise_for_status(),
                BATCHES,
                r == 0,
            )
            rounds.append((health, single, batch))
    health, single, batch = (statistics.median(column) for column in zip(*rounds, strict=True))
    return {
        "health": health,
        "put_user": users,
        "event": single,
        "batch_event": batch,
        "event/health": statistics.median(s / h for h, s, _ in rounds),
        "batch/single": statistics.median(b / s for _, s, b in rounds),
        "best batch/single": max(b for _, _, b in rounds) / max(s for _, s, _ in rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    n = 200 if parser.parse_args().quick else 2000
    setups = (
        ("waitress", "memory", False),
        ("waitress", "sqlite", False),
        ("werkzeug", "memory", False),
        ("waitress", "memory", True),
        ("waitress", "sqlite", True),
    )
    rows = [
        (kind, storage, stress, measure(kind, storage, n, stress))
        for kind, storage, stress in setups
    ]
    print(f"server build: {build()}\n")
    print(
        f"{'server':9} {'storage':7} {'rules':7} {'health/s':>9} {'PUT user/s':>10} {'event/s':>8}"
        f" {'batch ev/s':>10} {'event/health':>12} {'batch/single':>12} {'(best)':>6}"
    )
    for kind, storage, stress, r in rows:
        print(
            f"{kind:9} {storage:7} {'stress' if stress else 'typical':7} {r['health']:9.0f} {r['put_user']:10.0f}"
            f" {r['event']:8.0f} {r['batch_event']:10.0f}"
            f" {r['event/health']:12.2f} {r['batch/single']:12.1f} {r['best batch/single']:6.1f}"
        )
    base, sqlite, werkzeug = rows[0][3], rows[1][3], rows[2][3]
    print(f"\nwaitress/werkzeug health ratio: {base['health'] / werkzeug['health']:.2f}")
    print(f"sqlite/memory PUT user ratio: {sqlite['put_user'] / base['put_user']:.2f}")


if __name__ == "__main__":
    main()
