"""Idempotency records, webhook endpoints, the outbox and its deliveries."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from questline_mock.domain import Delivery, OutboxMessage
from questline_mock.storage.base import Page, Storage, StorageError, iter_all

from tests.unit.storage.storage_records import (
    PROJECT,
    at,
    delivery,
    endpoint,
    event,
    idempotency,
    message,
)


def test_idempotency_records_round_trip_and_are_deleted(store: Storage) -> None:
    done = idempotency(
        "k1", status_code=201, headers={"Content-Type": "application/json"}, body=b"\x00{}"
    )
    with store.unit_of_work(PROJECT) as uow:
        uow.put_idempotency(idempotency("k1"))  # in flight
        uow.put_idempotency(done)  # finished
        uow.put_idempotency(idempotency("k2"))
        uow.delete_idempotency("k2")
        uow.delete_idempotency("never")
    with store.read(PROJECT) as reader:
        assert reader.get_idempotency("k1") == done
        assert reader.get_idempotency("k2") is None


def test_purge_drops_records_created_before_the_moment(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        for n in range(5):
            uow.put_idempotency(idempotency(f"k{n}", created=n * 10))
        uow.put_idempotency(idempotency("k0", created=100))  # re-created: now young
        assert uow.purge_idempotency(at(20)) == 1  # k1 only: k2 at 20 is not before 20
    with store.read(PROJECT) as reader:
        kept = [k for k in ("k0", "k1", "k2", "k3", "k4") if reader.get_idempotency(k)]
    assert kept == ["k0", "k2", "k3", "k4"]
    with store.unit_of_work(PROJECT) as uow:
        assert uow.purge_idempotency(at(1000)) == 4
        assert uow.purge_idempotency(at(1000)) == 0


def test_endpoints_list_in_creation_order_and_keep_their_place(store: Storage) -> None:
    rotated = endpoint(
        "whe_b",
        secrets=[("whsec_new", None), ("whsec_old", at(86400))],
        enabled=False,
        disabled_reason="gone",
        description="b",
    )
    with store.unit_of_work(PROJECT) as uow:
        uow.put_webhook_endpoint(endpoint("whe_b"))
        uow.put_webhook_endpoint(endpoint("whe_a", event_types=["user.level.up"]))
        uow.put_webhook_endpoint(endpoint("whe_c"))
        uow.put_webhook_endpoint(rotated)
    with store.read(PROJECT) as reader:
        assert reader.get_webhook_endpoint("whe_b") == rotated
        assert reader.get_webhook_endpoint("whe_z") is None
        assert [e.id for e in reader.list_webhook_endpoints().items] == ["whe_b", "whe_a", "whe_c"]
        paged = list(iter_all(lambda c: reader.list_webhook_endpoints(2, c)))
        assert [e.id for e in paged] == ["whe_b", "whe_a", "whe_c"]


def ids(page: Page[OutboxMessage]) -> list[str]:
    return [m.id for m in page.items]


def pairs(deliveries: list[Delivery]) -> list[tuple[str, str]]:
    return [(d.message_id, d.endpoint_id) for d in deliveries]


def test_messages_get_consecutive_seqs_and_list_oldest_first(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        first = uow.insert_message(message(1))
        assert first.seq == 1 and first == dataclasses.replace(message(1), seq=1)
        uow.insert_message(message(2, user_id="u2", type="user.level.up"))
        uow.insert_message(message(3, user_id=None, type="webhook.test"))
        uow.insert_message(message(4, type="user.level.up"))
    with store.read(PROJECT) as reader:
        got = reader.get_message("msg_2")
        assert got is not None and got.seq == 2 and got.user_id == "u2" and got.data == {"n": 2}
        assert reader.get_message("msg_9") is None
        assert ids(reader.list_messages(10)) == ["msg_1", "msg_2", "msg_3", "msg_4"]
        assert ids(reader.list_messages(10, user_id="u1")) == ["msg_1", "msg_4"]
        assert ids(reader.list_messages(10, types=["user.level.up"])) == ["msg_2", "msg_4"]
        assert ids(reader.list_messages(10, types=[])) == []
        assert ids(reader.list_messages(10, after_seq=2)) == ["msg_3", "msg_4"]
        assert ids(reader.list_messages(10, user_id="u1", after_seq=1)) == ["msg_4"]
        paged = list(iter_all(lambda c: reader.list_messages(1, c, types=["user.level.up"])))
        assert [m.id for m in paged] == ["msg_2", "msg_4"]
        page = reader.list_messages(2)
        assert ids(reader.list_messages(10, page.next_cursor, after_seq=3)) == ["msg_4"]


def test_deliveries_round_trip_and_list_in_creation_order(store: Storage) -> None:
    attempted = delivery(
        "msg_1",
        "whe_1",
        status="delivered",
        due=None,
        attempts=[{"status_code": 200, "at": "2026-01-01T00:00:00Z"}],
    )
    with store.unit_of_work(PROJECT) as uow:
        uow.put_delivery(delivery("msg_2", "whe_1"))
        uow.put_delivery(delivery("msg_1", "whe_2"))
        uow.put_delivery(delivery("msg_1", "whe_1"))
        uow.put_delivery(attempted)  # replaced in place
    with store.read(PROJECT) as reader:
        assert reader.get_delivery("msg_1", "whe_1") == attempted
        assert reader.get_delivery("msg_3", "whe_1") is None
        assert pairs(reader.list_deliveries()) == [
            ("msg_2", "whe_1"),
            ("msg_1", "whe_2"),
            ("msg_1", "whe_1"),
        ]
        assert pairs(reader.list_deliveries(endpoint_id="whe_1")) == [
            ("msg_2", "whe_1"),
            ("msg_1", "whe_1"),
        ]
        assert pairs(reader.list_deliveries(message_id="msg_1")) == [
            ("msg_1", "whe_2"),
            ("msg_1", "whe_1"),
        ]
        assert pairs(reader.list_deliveries("whe_2", "msg_1")) == [("msg_1", "whe_2")]
        assert reader.list_deliveries("whe_9") == []


def test_due_deliveries_are_pending_ones_soonest_first(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_delivery(delivery("msg_3", "whe_1", due=20))
        uow.put_delivery(delivery("msg_1", "whe_2", due=10))
        uow.put_delivery(delivery("msg_1", "whe_1", due=10))
        uow.put_delivery(delivery("msg_2", "whe_1", due=5, status="failed"))
        uow.put_delivery(delivery("msg_4", "whe_1", due=None))
        uow.put_delivery(delivery("msg_5", "whe_1", due=21))
    with store.read(PROJECT) as reader:
        due = reader.due_deliveries(at(20), 10)
        assert [(d.message_id, d.endpoint_id) for d in due] == [
            ("msg_1", "whe_1"),
            ("msg_1", "whe_2"),
            ("msg_3", "whe_1"),
        ]
        assert len(reader.due_deliveries(at(20), 1)) == 1
    with store.unit_of_work(PROJECT) as uow:
        uow.put_delivery(delivery("msg_1", "whe_1", status="delivered", due=None))
        uow.put_delivery(delivery("msg_3", "whe_1", due=60))  # retry later
    with store.read(PROJECT) as reader:
        assert [d.message_id for d in reader.due_deliveries(at(20), 10)] == ["msg_1"]
        assert reader.due_deliveries(at(20), 10)[0].endpoint_id == "whe_2"


def test_deleting_an_endpoint_drops_its_deliveries(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_webhook_endpoint(endpoint("whe_1"))
        uow.put_webhook_endpoint(endpoint("whe_2"))
        uow.insert_message(message(1))
        uow.put_delivery(delivery("msg_1", "whe_1"))
        uow.put_delivery(delivery("msg_1", "whe_2"))
        uow.delete_webhook_endpoint("whe_1")
        uow.delete_webhook_endpoint("whe_9")
    with store.read(PROJECT) as reader:
        assert reader.get_webhook_endpoint("whe_1") is None
        assert [e.id for e in reader.list_webhook_endpoints().items] == ["whe_2"]
        assert [d.endpoint_id for d in reader.list_deliveries(message_id="msg_1")] == ["whe_2"]
        assert [d.endpoint_id for d in reader.due_deliveries(at(0), 10)] == ["whe_2"]
        assert reader.get_message("msg_1") is not None


def test_a_steps_messages_are_written_together_in_order_with_consecutive_seqs(
    store: Storage,
) -> None:
    with store.unit_of_work(PROJECT) as uow:
        assert uow.insert_messages([]) == []
        first = uow.insert_message(message(1))
        batch = [message(2), message(3, None, "webhook.test"), message(4, "u2")]
        stored = uow.insert_messages(batch)
        assert [m.seq for m in stored] == [first.seq + 1, first.seq + 2, first.seq + 3]
        assert [dataclasses.replace(m, seq=0) for m in stored] == batch
        assert uow.insert_message(message(5)).seq == first.seq + 4
    with store.read(PROJECT) as reader:
        listed = reader.list_messages(10).items
    assert [m.id for m in listed] == ["msg_1", "msg_2", "msg_3", "msg_4", "msg_5"]
    assert [m.seq for m in listed] == sorted(m.seq for m in listed)


def test_messages_with_one_id_taken_are_not_written_at_all(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        taken = uow.insert_message(message(2))
        with pytest.raises(StorageError):
            uow.insert_messages([message(1), message(2), message(3)])
        with pytest.raises(StorageError):  # the same id twice in one call
            uow.insert_messages([message(5), message(6), message(5)])
        assert uow.insert_messages([message(4)])[0].seq == taken.seq + 1  # the unit goes on
    with store.read(PROJECT) as reader:
        assert [m.id for m in reader.list_messages(10).items] == ["msg_2", "msg_4"]


def test_a_message_queued_after_its_user_was_deleted_in_the_same_unit_is_kept(
    store: Storage,
) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_message(message(1, "u2"))
        uow.delete_user("u2")
        uow.insert_message(message(2, "u2"))  # joined the deleted user's run, once
    with store.read(PROJECT) as reader:
        assert [m.id for m in reader.list_messages(10).items] == ["msg_2"]
        assert reader.get_message("msg_2") is not None


def test_a_message_repeating_its_events_result_reads_back_exactly(store: Storage) -> None:
    """The memory store keeps a message that repeats its event's result (as
    ``event.processed`` does) by reference to the event's record; one that merely looks
    like it is kept on its own."""
    result = {"event": {"id": "evt_1"}, "effects": {"xp": {"granted": 5}}, "rules": ["r1"]}
    record = event(1, result=result)
    shared = {"user_id": "u1", **result}
    lookalike = {"user_id": "u1", **result, "effects": {"xp": {"granted": 6}}}
    other_user = {"user_id": "u2", **result}
    reordered = {"user_id": "u1", **dict(reversed(result.items()))}  # the same, but in order
    datas = (shared, lookalike, other_user, reordered)
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_event(record)
        stored = uow.insert_messages(
            [
                dataclasses.replace(message(n), type="event.processed", data=data)
                for n, data in enumerate(datas, 1)
            ]
        )
    with store.read(PROJECT) as reader:
        found = [reader.get_message(m.id).data for m in stored]  # type: ignore[union-attr]
        assert reader.get_event("evt_1").result == result  # type: ignore[union-attr]
    assert found == [copy.deepcopy(d) for d in datas]
    assert [list(d) for d in found] == [list(d) for d in datas]  # keys in the order sent


def test_a_message_after_a_nested_unit_deleted_its_user_is_kept(store: Storage) -> None:
    """The outer unit's last event and message run belonged to a user a nested unit then
    deleted: the next message for that user starts afresh instead of joining them."""
    with store.unit_of_work(PROJECT) as outer:
        outer.insert_event(event(1, result={"n": 1}))
        outer.insert_messages([message(1), message(2)])
        with store.unit_of_work(PROJECT) as inner:
            inner.delete_user("u1")
        outer.insert_messages([message(3), message(4)])
    with store.read(PROJECT) as reader:
        assert [m.id for m in reader.list_messages(10).items] == ["msg_3", "msg_4"]
        assert [m.id for m in reader.list_messages(10, user_id="u1").items] == ["msg_3", "msg_4"]
        assert reader.get_message("msg_3").data == {"n": 3}  # type: ignore[union-attr]


def test_the_newest_message_seq_is_where_a_live_stream_starts(store: Storage) -> None:
    with store.read(PROJECT) as reader:
        assert reader.newest_message_seq() == 0
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_messages([message(1), message(2, user_id="u2")])
        assert uow.newest_message_seq() == 2  # a unit sees its own
    with pytest.raises(RuntimeError), store.unit_of_work(PROJECT) as uow:
        uow.insert_message(message(3, user_id="u3"))
        raise RuntimeError("rolled back")
    with store.read(PROJECT) as reader:
        assert reader.newest_message_seq() == 2
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_message(message(4, user_id="u3"))
        uow.delete_user("u3")  # the newest goes with its user
    with store.read(PROJECT) as reader:
        assert reader.newest_message_seq() == 2
        assert [m.seq for m in reader.list_messages(10).items] == [1, 2]
