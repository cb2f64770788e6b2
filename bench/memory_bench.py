"""Resident memory per stored event in memory mode (issue 5's target: <= 200 MiB per
100,000 events, about 2 KiB per event with its effects, index entries and outbox messages).

Runs the engine through the backend (no HTTP, which stores nothing) with the same 10-rule
project as http_bench.py, and reads the process's resident set size before and after.

Run: ``.venv/bin/python bench/memory_bench.py [--events 100000]``.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import httpx
from _servers import build as server_build
from http_bench import configure, event
from questline_mock.app import create_app
from questline_mock.backend import events
from questline_mock.config import ServerConfig

AUTH = {"Authorization": "Bearer sk_test_questline"}


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=1_000)
    parser.add_argument("--stress", action="store_true", help="the stress rules of http_bench")
    args = parser.parse_args()
    app = create_app(ServerConfig(background_workers=False))
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url="http://questline", headers=AUTH) as http:
        configure(http, args.stress)
    backend = app.extensions["questline"]
    scope = backend.scope(backend.project_for_key("sk_test_questline"))
    for i in range(args.users):  # users exist first: their records are not per-event cost
        events.send(scope, event(i, args.users))
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    for i in range(args.events):
        events.send(scope, event(i, args.users))
    elapsed = time.perf_counter() - start
    gc.collect()
    grown = rss_bytes() - before
    with scope.read() as view:
        messages = view.list_messages(limit=1).next_cursor is not None
    per_event = grown / args.events
    print(f"server build: {server_build()}")
    print(f"events stored: {args.events:,} ({args.events / elapsed:,.0f}/s through the backend)")
    print(f"resident growth: {grown / 2**20:,.1f} MiB = {per_event:,.0f} B/event")
    print(f"per 100,000 events: {per_event * 100_000 / 2**20:,.0f} MiB (target <= 200 MiB)")
    print(f"outbox holds messages: {messages}")


if __name__ == "__main__":
    main()
