"""HTTP throughput of the reference server, as ratios within one run.

Issue 4: requests/s of ``GET /v1/health`` and ``PUT /v1/users/{id}``, in memory and on
SQLite, with the same client; and waitress vs werkzeug's threaded server (the CLI serves
with waitress). Issue 5: a project of 10 rules (conditions on properties and one
aggregate), 2 currencies and a level curve: events/s through single ``POST /v1/events``
against ``GET /v1/health`` on the same server (target: ratio >= 0.5), and through
``/v1/events/batch`` of 500 (target: >= 10x the single-POST rate); memory and SQLite.

Run: ``.venv/bin/python bench/http_bench.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import httpx
from _servers import client, running

RULES = 10


def rate(fn: Callable[[int], object], n: int) -> float:
    """Operations per second of ``fn(i)`` for i in range(n), after a short warm-up."""
    for i in range(min(20, n)):
        fn(-1 - i)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def configure(http: httpx.Client) -> None:
    """10 rules on one event type, 2 currencies, a level curve."""
    for currency in ("coins", "gems"):
        http.put(f"/v1/currencies/{currency}", json={"name": currency}).raise_for_status()
    levels = [{"level": n + 1, "min_xp": n * n * 50} for n in range(30)]
    http.put("/v1/levels", json={"levels": levels}).raise_for_status()
    for r in range(RULES):
        conditions: dict[str, object] = {
            "fact": "properties.amount",
            "operator": "gte",
            "value": r * 10,
        }
        if r == 0:
            conditions = {
                "aggregate": {
                    "event_type": "purchase",
                    "function": "count",
                    "window_seconds": 7 * 86400,
                },
                "operator": "gte",
                "value": 3,
            }
        rule = {
            "trigger": {"event_type": "purchase"},
            "conditions": conditions,
            "actions": [
                {"type": "grant_xp", "amount": 5},
                {
                    "type": "grant_currency",
                    "currency": "coins" if r % 2 else "gems",
                    "amount": {"from": "properties.amount", "multiply": 0.1},
                },
            ],
        }
        http.put(f"/v1/rules/rule-{r}", json=rule).raise_for_status()


def event(i: int, user_count: int = 200) -> dict[str, object]:
    return {
        "user_id": f"user-{i % user_count}",
        "type": "purchase",
        "properties": {"amount": (i * 37) % 120},
    }


def measure(kind: str, storage: str, n: int) -> dict[str, float]:
    with running(kind, storage) as url, client(url) as http:
        configure(http)
        health = rate(lambda i: http.get("/v1/health").raise_for_status(), n)
        users = rate(
            lambda i: http.put(
                f"/v1/users/bench-{i}", json={"display_name": "B"}
            ).raise_for_status(),
            n,
        )
        single = rate(lambda i: http.post("/v1/events", json=event(i)).raise_for_status(), n)
        batches = max(2, n // 500)
        batch = (
            rate(
                lambda b: http.post(
                    "/v1/events/batch", json={"events": [event(b * 1000 + j) for j in range(500)]}
                ).raise_for_status(),
                batches,
            )
            * 500
        )
    return {"health": health, "put_user": users, "event": single, "batch_event": batch}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    n = 200 if parser.parse_args().quick else 2000
    rows = [
        (kind, storage, measure(kind, storage, n))
        for kind, storage in (
            ("waitress", "memory"),
            ("waitress", "sqlite"),
            ("werkzeug", "memory"),
        )
    ]
    print(
        f"{'server':9} {'storage':7} {'health/s':>9} {'PUT user/s':>10} {'event/s':>8} {'batch ev/s':>10} {'event/health':>12} {'batch/single':>12}"
    )
    for kind, storage, r in rows:
        print(
            f"{kind:9} {storage:7} {r['health']:9.0f} {r['put_user']:10.0f} {r['event']:8.0f} {r['batch_event']:10.0f}"
            f" {r['event'] / r['health']:12.2f} {r['batch_event'] / r['event']:12.1f}"
        )
    base = rows[0][2]
    print(f"\nwaitress/werkzeug health ratio: {base['health'] / rows[2][2]['health']:.2f}")
    print(f"sqlite/memory PUT user ratio: {rows[1][2]['put_user'] / base['put_user']:.2f}")


if __name__ == "__main__":
    main()
