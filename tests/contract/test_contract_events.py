"""Events through the SDK: send in every input form, replays, batches of any size, traces."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from questline import NotFoundError, Questline
from questline.types import EventCreate, EventDetail

from tests.contract.wiring import Wire


def add_lesson_rule(client: Questline) -> None:
    client.rules.upsert(
        "lesson-xp",
        trigger={"event_type": "lesson_completed"},
        conditions={"fact": "properties.score", "operator": "gte", "value": 50},
        actions=[{"type": "grant_xp", "amount": 40}],
    )


def sent_body(wire: Wire, index: int = -1) -> dict[str, object]:
    body: dict[str, object] = json.loads(wire.requests[index].content)
    return body


def test_send_with_keyword_arguments(client: Questline, wire: Wire) -> None:
    add_lesson_rule(client)
    result = client.events.send(user_id="u1", type="lesson_completed", properties={"score": 95})

    assert not result.replayed
    assert (result.event.user_id, result.event.type, result.event.status) == (
        "u1",
        "lesson_completed",
        "processed",
    )
    assert (result.effects.xp.granted, result.effects.xp.total) == (40, 40)
    assert result.effects.rules_triggered == ["lesson-xp"]
    # The SDK made the event_id (and the idempotency key) before sending.
    request = wire.requests[-1]
    assert request.headers["Idempotency-Key"]
    assert sent_body(wire)["event_id"] == result.event.event_id


def test_send_with_a_camel_case_dict_goes_out_snake_case(client: Questline, wire: Wire) -> None:
    result = client.events.send(
        {"userId": "u1", "type": "login", "occurredAt": "2026-03-01T10:00:00Z", "eventId": "e-1"}
    )
    assert result.event.event_id == "e-1"
    assert result.event.occurred_at == datetime(2026, 3, 1, 10, tzinfo=timezone.utc)
    body = sent_body(wire)
    assert body == {
        "user_id": "u1",
        "type": "login",
        "occurred_at": "2026-03-01T10:00:00Z",
        "event_id": "e-1",
    }


def test_send_with_a_model(client: Questline) -> None:
    add_lesson_rule(client)
    event = EventCreate(
        user_id="u1",
        type="lesson_completed",
        properties={"score": 10},
        user={"timezone": "Asia/Tokyo"},
    )
    result = client.events.send(event)
    assert result.effects.xp.granted == 0  # the condition (score >= 50) did not hold
    assert client.users.retrieve("u1").timezone == "Asia/Tokyo"


def test_the_same_event_id_is_replayed_not_applied_twice(client: Questline) -> None:
    add_lesson_rule(client)
    first = client.events.send(
        event_id="order-1", user_id="u1", type="lesson_completed", properties={"score": 80}
    )
    again = client.events.send(
        event_id="order-1", user_id="u1", type="lesson_completed", properties={"score": 80}
    )
    assert (first.replayed, again.replayed) == (False, True)
    assert again.effects == first.effects
    assert again.event.id == first.event.id
    assert client.users.retrieve("u1").xp == 40


def test_send_batch_of_1200_chunks_and_reports_in_input_order(
    client: Questline, wire: Wire
) -> None:
    add_lesson_rule(client)
    future = (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()
    bad = {7, 611, 1199}  # valid for the SDK, refused by the server (too far in the future)
    events: list[dict[str, object]] = [
        {
            "event_id": f"e-{i}",
            "user_id": f"u{i % 10}",
            "type": "lesson_completed",
            "properties": {"score": 60},
            **({"occurred_at": future} if i in bad else {}),
        }
        for i in range(1200)
    ]
    events[900]["event_id"] = "e-3"  # the same event as index 3, sent in another chunk

    report = client.events.send_batch(events)

    assert wire.count("POST", "/v1/events/batch") == 3  # 500 + 500 + 200
    assert len(report) == 1200
    assert [r.index for r in report.results] == list(range(1200))
    assert [r.event_id for r in report.results] == [e["event_id"] for e in events]
    assert (report.processed, report.replayed, report.failed) == (1196, 1, 3)
    assert [f.index for f in report.failures] == sorted(bad)
    failure = report.failures[0]
    assert failure.error is not None and failure.error.code == "validation_error"
    # Chunks may run concurrently (async), so either copy of "e-3" can be the one applied;
    # exactly one is, for its own user (u3 at index 3 or u0 at index 900).
    assert sorted([report.results[3].status, report.results[900].status]) == [
        "processed",
        "replayed",
    ]
    xp = client.users.retrieve("u0").xp + client.users.retrieve("u3").xp
    assert xp == 40 * (120 + 120 - 1)


def test_send_batch_gives_event_ids_before_sending(client: Questline, wire: Wire) -> None:
    report = client.events.send_batch([{"userId": "u1", "type": "login"}] * 3)
    assert report.ok
    ids = [r.event_id for r in report.results]
    assert len(set(ids)) == 3
    sent = sent_body(wire)["events"]
    assert isinstance(sent, list)
    assert [e["event_id"] for e in sent] == ids
    assert all("userId" not in e for e in sent)


def test_retrieve_traces_each_matching_rule(client: Questline) -> None:
    add_lesson_rule(client)
    result = client.events.send(user_id="u1", type="lesson_completed", properties={"score": 20})

    detail = client.events.retrieve(result.event.id)
    assert isinstance(detail, EventDetail)
    assert (detail.id, detail.event_id, detail.rules_triggered) == (
        result.event.id,
        result.event.event_id,
        [],
    )
    [trace] = detail.trace
    assert (trace.rule_id, trace.matched, trace.skipped_reason) == (
        "lesson-xp",
        False,
        "conditions_not_met",
    )
    assert trace.conditions is not None
    assert (trace.conditions.kind, trace.conditions.fact, trace.conditions.actual) == (
        "fact",
        "properties.score",
        20,
    )
    assert trace.conditions.result is False

    with pytest.raises(NotFoundError):
        client.events.retrieve("evt_missing")


def test_retrieve_lists_every_action_executed(client: Questline) -> None:
    add_lesson_rule(client)
    result = client.events.send(user_id="u1", type="lesson_completed", properties={"score": 95})

    detail = client.events.retrieve(result.event.id)
    assert detail.rules_triggered == ["lesson-xp"]
    assert [(a.source, a.amount) for a in detail.actions_executed] == [("rule:lesson-xp", 40)]
    assert [(t.rule_id, t.matched) for t in detail.trace] == [("lesson-xp", True)]


def test_list_filters_by_user_type_and_time(client: Questline) -> None:
    day = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    for hour, (user, kind) in enumerate(
        [("u1", "login"), ("u1", "lesson_completed"), ("u2", "login"), ("u1", "login")]
    ):
        client.events.send(user_id=user, type=kind, occurred_at=day + timedelta(hours=hour))

    everything = list(client.events.list(limit=2))
    assert len(everything) == 4
    assert [e.occurred_at for e in everything] == sorted(
        (e.occurred_at for e in everything), reverse=True
    )
    logins = client.events.list(user_id="u1", type="login")
    assert [e.occurred_at.hour for e in logins] == [12, 9]
    window = client.events.list(since=day + timedelta(hours=1), until=day + timedelta(hours=3))
    assert [(e.user_id, e.type) for e in window] == [("u2", "login"), ("u1", "lesson_completed")]
