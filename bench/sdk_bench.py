"""What the SDK costs on top of plain httpx, for ``events.send``, as ratios within one run.

Issue 8: time per ``client.events.send(...)`` through the SDK against a raw
``httpx.Client.post`` of the same request (same JSON body, a client-made ``event_id``, an
``Idempotency-Key``, the JSON answer read) to the same local server
(``questline-mock serve --port 0``), calls interleaved so both see the same server state
and machine load (target: SDK <= 1.25x raw). Then the client-side cost alone, over
``httpx.MockTransport`` answering a canned ``EventResult``: request building, validation,
serialisation and response parsing, with no network and no server.

Run: ``.venv/bin/python bench/sdk_bench.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import uuid
from collections.abc import Callable

import httpx
from _servers import API_KEY, running
from questline import Questline

TARGET = 1.25


def payload(i: int) -> dict[str, object]:
    return {
        "event_id": f"bench-{uuid.uuid4().hex}",
        "user_id": f"user-{i % 50}",
        "type": "lesson_completed",
        "properties": {"score": 60 + i % 40, "lesson": f"l-{i % 7}"},
    }


def sdk_call(client: Questline) -> Callable[[int], object]:
    return lambda i: client.events.send(payload(i))


def raw_call(http: httpx.Client) -> Callable[[int], object]:
    def call(i: int) -> object:
        response = http.post(
            "/v1/events", json=payload(i), headers={"Idempotency-Key": uuid.uuid4().hex}
        )
        response.raise_for_status()
        return response.json()

    return call


def interleaved(
    a: Callable[[int], object], b: Callable[[int], object], n: int
) -> tuple[list[float], list[float]]:
    """Per-call seconds of ``a`` and ``b``, alternating which goes first each round."""
    for i in range(min(50, n)):  # warm-up: connections, caches, the server's first users
        a(i)
        b(i)
    times_a: list[float] = []
    times_b: list[float] = []
    clock = time.perf_counter
    gc.collect()
    for i in range(n):
        order = ((a, times_a), (b, times_b)) if i % 2 == 0 else ((b, times_b), (a, times_a))
        for fn, times in order:
            start = clock()
            fn(i)
            times.append(clock() - start)
    return times_a, times_b


def configure(client: Questline) -> None:
    """A small, realistic program: a currency, a level curve and two rules."""
    client.currencies.upsert("coins", name="Coins")
    client.levels.upsert(levels=[{"level": n + 1, "min_xp": n * n * 50} for n in range(20)])
    client.rules.upsert(
        "lesson-xp",
        trigger={"event_type": "lesson_completed"},
        conditions={"fact": "properties.score", "operator": "gte", "value": 50},
        actions=[{"type": "grant_xp", "amount": 10}],
    )
    client.rules.upsert(
        "lesson-coins",
        trigger={"event_type": "lesson_completed"},
        actions=[
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.score", "multiply": 0.1},
            }
        ],
    )


def live(n: int) -> tuple[list[float], list[float], bytes]:
    """SDK vs raw against one live server; also returns one real response body."""
    with (
        running("waitress") as url,
        Questline(api_key=API_KEY, base_url=url, max_retries=0) as client,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}) as http,
    ):
        configure(client)
        sample = http.post("/v1/events", json=payload(0)).content
        sdk, raw = interleaved(sdk_call(client), raw_call(http), n)
    return sdk, raw, sample


def client_side(n: int, body: bytes) -> tuple[list[float], list[float]]:
    """SDK vs raw over a MockTransport answering ``body``: the client's own work only."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    base = "http://questline.bench"
    with (
        httpx.Client(transport=httpx.MockTransport(answer)) as sdk_http,
        Questline(api_key=API_KEY, base_url=base, http_client=sdk_http) as client,
        httpx.Client(
            transport=httpx.MockTransport(answer),
            base_url=base,
            headers={"Authorization": f"Bearer {API_KEY}"},
        ) as http,
    ):
        return interleaved(sdk_call(client), raw_call(http), n)


def micros(times: list[float]) -> str:
    return f"{statistics.median(times) * 1e6:10.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="calls of each kind (default 2000)")
    parser.add_argument("--quick", action="store_true", help="200 calls: a smoke run")
    args = parser.parse_args()
    n = 200 if args.quick else args.n

    sdk_live, raw_live, sample = live(n)
    sdk_mock, raw_mock = client_side(n * 5, sample)

    live_ratio = statistics.median(sdk_live) / statistics.median(raw_live)
    mock_ratio = statistics.median(sdk_mock) / statistics.median(raw_mock)
    overhead = (statistics.median(sdk_mock) - statistics.median(raw_mock)) * 1e6
    verdict = "ok" if live_ratio <= TARGET else "MISSED"

    print(f"events.send, median per call ({n} live calls each, {n * 5} mocked), in microseconds\n")
    print(f"{'':34}{'SDK':>10}{'raw httpx':>12}{'ratio':>8}   target")
    print(
        f"{'live server (loopback, waitress)':34}{micros(sdk_live)}  {micros(raw_live)}{live_ratio:7.2f}x   <= {TARGET}x {verdict}"
    )
    print(
        f"{'client side only (MockTransport)':34}{micros(sdk_mock)}  {micros(raw_mock)}{mock_ratio:7.2f}x   -"
    )
    print(f"\nSDK overhead per call, client side: {overhead:.0f} us")


if __name__ == "__main__":
    main()
