"""Units of work: all or nothing, reads see the unit's own writes, writers serialise."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from questline_mock.storage.base import EventFilter, Storage, StorageError, UnitOfWork

from tests.unit.storage.storage_dump import snapshot
from tests.unit.storage.storage_records import (
    PROJECT,
    at,
    badge,
    delivery,
    endpoint,
    event,
    idempotency,
    ledger,
    message,
    quest,
    rule,
    score,
    streak,
    usage,
    user,
)


class Boom(Exception):
    pass


def write_everything(uow: UnitOfWork, n: int) -> None:
    """One write of every kind, touching rows that exist and rows that do not."""
    uow.put_user(user("u1", xp=n, rule_usage={"r1": usage(count=n, last_fired=n)}))
    uow.put_user(user(f"u{n}"))
    uow.put_definition("rules", "r1", rule("r1", "purchase" if n % 2 else "login"))
    uow.put_definition("badges", f"b{n}", {"id": f"b{n}"})
    uow.put_levels({"levels": [{"level": 1, "min_xp": n}]})
    uow.insert_event(event(n, occurred=n, properties={"amount": n}))
    uow.insert_ledger(ledger(n, amount=n))
    uow.put_badge_state(badge("b1", progress=n))
    uow.put_quest_state(quest("q1", steps={"s": n}))
    uow.put_streak_state(streak("s1", expires=n))
    uow.put_leaderboard_entry(score("u1", n, reached=n))
    uow.put_idempotency(idempotency("k1", created=n))
    uow.put_webhook_endpoint(endpoint("whe_1", description=str(n)))
    uow.insert_message(message(n))
    uow.put_delivery(delivery(f"msg_{n}", "whe_1", due=n))


def seed(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        write_everything(uow, 1)
        uow.put_user(user("u2"))
        uow.insert_event(event(100, "u2", "login"))
        uow.put_leaderboard_entry(score("u2", 50))
        uow.put_idempotency(idempotency("k2"))


def state(store: Storage) -> dict[str, object]:
    with store.read(PROJECT) as reader:
        return snapshot(reader)


def test_a_failed_unit_of_work_leaves_nothing_behind(store: Storage) -> None:
    seed(store)
    before = state(store)
    with pytest.raises(Boom), store.unit_of_work(PROJECT) as uow:
        write_everything(uow, 2)
        raise Boom
    assert state(store) == before


def test_a_failed_unit_undoes_updates_and_deletes_too(store: Storage) -> None:
    seed(store)
    before = state(store)
    with pytest.raises(Boom), store.unit_of_work(PROJECT) as uow:
        write_everything(uow, 3)
        uow.delete_user("u2")
        uow.delete_user("u1")
        uow.delete_definition("rules", "r1")
        uow.delete_definition("leaderboards", "lb1")
        uow.delete_idempotency("k2")
        uow.purge_idempotency(at(10_000))
        uow.delete_webhook_endpoint("whe_1")
        uow.put_streak_state(streak("s1", status="ended"))
        uow.put_delivery(delivery("msg_1", "whe_1", status="failed"))
        uow.put_levels(None)
        raise Boom
    assert state(store) == before
    with store.unit_of_work(PROJECT) as uow:  # and the store still works normally
        write_everything(uow, 4)
    with store.read(PROJECT) as reader:
        assert reader.get_message("msg_4") is not None


def test_message_seqs_of_a_failed_unit_are_given_again(store: Storage) -> None:
    with pytest.raises(Boom), store.unit_of_work(PROJECT) as uow:
        assert uow.insert_message(message(1)).seq == 1
        raise Boom
    with store.unit_of_work(PROJECT) as uow:
        assert uow.insert_message(message(2)).seq == 1


def test_message_seqs_a_rolled_back_nested_unit_took_are_given_again(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as outer:
        assert [m.seq for m in outer.insert_messages([message(1), message(2)])] == [1, 2]
        with pytest.raises(Boom), store.unit_of_work(PROJECT) as inner:
            assert [m.seq for m in inner.insert_messages([message(3), message(4)])] == [3, 4]
            raise Boom
        assert [m.seq for m in outer.insert_messages([message(5), message(6)])] == [3, 4]
        assert outer.insert_message(message(7)).seq == 5
        assert [m.seq for m in outer.insert_messages([message(8), message(9)])] == [6, 7]
    with store.read(PROJECT) as reader:
        assert [m.seq for m in reader.list_messages(10).items] == [1, 2, 3, 4, 5, 6, 7]


def test_a_user_read_inside_a_unit_is_the_readers_own_copy(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        written = user("u1", traits={"tier": "gold"}, balances={"coins": 5})
        uow.put_user(written)
        written.balances["coins"] = 99  # the caller's object is not what is stored
        first = uow.get_user("u1")
        assert first == user("u1", traits={"tier": "gold"}, balances={"coins": 5})
        assert first is not None
        first.traits["tier"] = "lead"
        first.rule_usage["r1"] = usage()
        again = uow.get_user("u1")
        assert again is not None and again.traits == {"tier": "gold"} and again.rule_usage == {}


def test_reads_inside_a_unit_see_its_own_writes(store: Storage) -> None:
    seed(store)
    with store.unit_of_work(PROJECT) as uow:
        write_everything(uow, 5)
        got = uow.get_user("u1")
        assert got is not None and got.xp == 5
        assert uow.get_event_by_event_id("e5") is not None
        assert [e.id for e in uow.list_events(EventFilter(user_id="u1"), 1).items] == ["evt_5"]
        assert uow.aggregate_events("u1", "lesson_completed", at(0), at(9), "amount") == (2, 6.0)
        assert uow.ledger_sum("u1", "coins") == 6
        assert [r["id"] for r in uow.rules_for_event_type("purchase")] == ["r1"]
        assert [s.streak_id for s in uow.streaks_expiring_by(at(5), 5)] == ["s1"]
        ranked = uow.rank_of("lb1", "all_time", "u1")
        assert ranked is not None and ranked.rank == 2  # u2 has 50
        assert [d.message_id for d in uow.due_deliveries(at(9), 9)] == ["msg_1", "msg_5"]
        uow.delete_user("u1")
        assert uow.get_user("u1") is None and uow.ledger_sum("u1", "coins") == 0


def test_a_nested_unit_fails_alone_like_a_savepoint(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as outer:
        outer.put_user(user("a"))
        with pytest.raises(Boom), store.unit_of_work(PROJECT) as inner:
            inner.put_user(user("b"))
            inner.put_user(user("a", xp=9))
            raise Boom
        got = outer.get_user("a")
        assert got is not None and got.xp == 0 and outer.get_user("b") is None
        with store.unit_of_work(PROJECT) as inner:
            inner.put_user(user("c"))
    with store.read(PROJECT) as reader:
        assert [u.id for u in reader.list_users(10).items] == ["a", "c"]


def test_an_outer_failure_undoes_a_finished_nested_unit(store: Storage) -> None:
    with pytest.raises(Boom), store.unit_of_work(PROJECT) as outer:
        outer.put_user(user("a"))
        with store.unit_of_work(PROJECT) as inner:
            inner.put_user(user("b"))
        raise Boom
    with store.read(PROJECT) as reader:
        assert reader.list_users(10).items == []


def test_a_unit_of_work_cannot_write_after_its_block(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("a"))
    with pytest.raises(StorageError):
        uow.put_user(user("b"))
    with store.read(PROJECT) as reader:
        assert reader.get_user("b") is None


def test_reset_is_refused_inside_a_unit_of_work(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("a"))
        with pytest.raises(StorageError):
            store.reset_project(PROJECT)
    with store.read(PROJECT) as reader:
        assert reader.get_user("a") is not None


def test_concurrent_read_modify_write_units_lose_no_update(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("counter"))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(25):
                with store.unit_of_work(PROJECT) as uow:
                    current = uow.get_user("counter")
                    assert current is not None
                    current.xp += 1
                    uow.put_user(current)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.read(PROJECT) as reader:
        final = reader.get_user("counter")
    assert final is not None and final.xp == 100


def test_a_write_that_fails_half_way_changes_nothing_and_the_unit_goes_on(store: Storage) -> None:
    unstorable = threading.Lock()  # neither pickled nor JSON-encoded
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("a"))
        uow.put_definition("rules", "r1", rule("r1", "login"))
        with pytest.raises(TypeError):
            uow.put_user(user("b", traits={"lock": unstorable}))
        with pytest.raises(TypeError):
            uow.put_definition("rules", "r2", rule("r2", "login", extra=unstorable))
        with pytest.raises(TypeError):
            uow.put_definition("rules", "r1", rule("r1", "purchase", extra=unstorable))
        with pytest.raises(TypeError):
            uow.insert_message(dataclasses.replace(message(1), data={"lock": unstorable}))
        uow.put_user(user("c"))
        assert uow.insert_message(message(2)).seq == 1
    with store.read(PROJECT) as reader:
        assert [u.id for u in reader.list_users(10).items] == ["a", "c"]
        assert [r["id"] for r in reader.list_definitions("rules").items] == ["r1"]
        assert [r["id"] for r in reader.rules_for_event_type("login")] == ["r1"]
        assert list(reader.rules_for_event_type("purchase")) == []
