"""send_batch: chunks of <= 500, one report in input order, safe retries."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
import sdk_payloads as p
from questline import AsyncQuestline, BatchReport, InternalServerError, Questline
from questline.types import EventCreate


def echo_batch(failed_event_ids: frozenset[str] = frozenset()) -> Any:
    def respond(request: httpx.Request) -> httpx.Response:
        events = json.loads(request.content)["events"]
        failed = frozenset(i for i, e in enumerate(events) if e["event_id"] in failed_event_ids)
        return httpx.Response(200, json=p.batch_result(events, failed))

    return respond


def events(n: int) -> list[dict[str, object]]:
    return [
        {"userId": f"u{i % 7}", "type": "lesson_completed", "eventId": f"e{i}"} for i in range(n)
    ]


def sent_chunks(route: respx.Route) -> list[list[dict[str, Any]]]:
    return [json.loads(c.request.content)["events"] for c in route.calls]


def test_any_length_is_sent_in_chunks_of_500(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/events/batch").mock(side_effect=echo_batch())
    report = client.events.send_batch(events(1201))
    assert [len(c) for c in sent_chunks(route)] == [500, 500, 201]
    assert isinstance(report, BatchReport)
    assert len(report) == 1201 and report.processed == 1201 and report.ok
    assert [r.index for r in report.results] == list(range(1201))
    assert [r.event_id for r in report.results] == [f"e{i}" for i in range(1201)]


def test_chunks_are_snake_case_with_event_ids_filled(
    client: Questline, api: respx.MockRouter
) -> None:
    route = api.post("/v1/events/batch").mock(side_effect=echo_batch())
    client.events.send_batch(
        [{"userId": "u1", "type": "a"}, EventCreate(user_id="u2", type="b")], chunk_size=1
    )
    chunks = sent_chunks(route)
    assert [len(c) for c in chunks] == [1, 1]
    for chunk in chunks:
        assert set(chunk[0]) == {"event_id", "user_id", "type"}
        assert chunk[0]["event_id"].startswith("evt_")


def test_failures_are_listed_with_their_input_index(
    client: Questline, api: respx.MockRouter
) -> None:
    api.post("/v1/events/batch").mock(side_effect=echo_batch(frozenset({"e3", "e501"})))
    report = client.events.send_batch(events(600))
    assert report.failed == 2 and report.processed == 598 and not report.ok
    assert [(f.index, f.event_id) for f in report.failures] == [(3, "e3"), (501, "e501")]
    assert report.failures[0].error is not None
    assert report.failures[0].error.code == "validation_error"


def test_a_chunk_that_fails_after_retries_marks_its_events_failed(
    client: Questline, api: respx.MockRouter
) -> None:
    outcomes = iter([None, "fail", "fail", "fail", None])

    def respond(request: httpx.Request) -> httpx.Response:
        if next(outcomes) == "fail":
            return httpx.Response(500, json=p.problem(500, "internal_error"))
        return echo_batch()(request)

    api.post("/v1/events/batch").mock(side_effect=respond)
    report = client.events.send_batch(events(1200))
    assert report.failed == 500
    assert {f.index for f in report.failures} == set(range(500, 1000))
    assert isinstance(report.failures[0].exception, InternalServerError)


def test_a_retried_chunk_keeps_its_key_and_event_ids(
    client: Questline, api: respx.MockRouter
) -> None:
    responses = iter([httpx.Response(503, json=p.problem(503, "internal_error"))])

    def respond(request: httpx.Request) -> httpx.Response:
        return next(responses, None) or echo_batch()(request)

    route = api.post("/v1/events/batch").mock(side_effect=respond)
    client.events.send_batch([{"user_id": "u1", "type": "login"}])
    assert route.call_count == 2
    first, second = route.calls[0].request, route.calls[1].request
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.content == second.content


def test_empty_input_sends_nothing(client: Questline, api: respx.MockRouter) -> None:
    route = api.post("/v1/events/batch").mock(side_effect=echo_batch())
    report = client.events.send_batch([])
    assert len(report) == 0 and route.call_count == 0


def test_chunk_size_is_bounded(client: Questline) -> None:
    with pytest.raises(ValueError):
        client.events.send_batch(events(2), chunk_size=501)


async def test_async_chunks_run_concurrently_within_the_bound(
    async_client: AsyncQuestline, api: respx.MockRouter
) -> None:
    in_flight = 0
    peak = 0

    async def respond(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return echo_batch(frozenset({"e0"}))(request)

    api.post("/v1/events/batch").mock(side_effect=respond)
    report = await async_client.events.send_batch(events(1000), chunk_size=100, max_concurrency=3)
    assert peak == 3
    assert len(report) == 1000
    assert [r.index for r in report.results] == list(range(1000))
    assert [r.event_id for r in report.results][:3] == ["e0", "e1", "e2"]
    assert report.failed == 1 and report.failures[0].index == 0
