"""Erasing a user, resetting a project, and copies: the store never shares its state."""

from __future__ import annotations

from questline_mock.storage.base import EventFilter, Storage, UnitOfWork

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


def everything_about(uow: UnitOfWork, user_id: str, n: int) -> None:
    uow.put_user(user(user_id, rule_usage={"r1": usage()}))
    uow.insert_event(event(n, user_id, "purchase", properties={"amount": 3}))
    uow.insert_event(event(n + 1, user_id, "login"))
    uow.insert_ledger(ledger(n, user_id))
    uow.put_badge_state(badge("b1", user_id))
    uow.put_quest_state(quest("q1", user_id))
    uow.put_streak_state(streak("s1", user_id))
    uow.put_leaderboard_entry(score(user_id, n))
    uow.put_leaderboard_entry(score(user_id, n, period="2026-01-05"))
    uow.insert_message(message(n, user_id))
    uow.put_delivery(delivery(f"msg_{n}", "whe_1"))


def test_deleting_a_user_erases_them_from_every_table(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_webhook_endpoint(endpoint("whe_1"))
        everything_about(uow, "u1", 10)
        everything_about(uow, "u2", 20)
        uow.insert_message(message(99, None, "webhook.test"))
        uow.put_delivery(delivery("msg_99", "whe_1"))
    with store.read(PROJECT) as reader:
        u2_before = snapshot(reader)["per_user"]["u2"]
    with store.unit_of_work(PROJECT) as uow:
        uow.delete_user("u1")
        uow.delete_user("nobody")
    with store.read(PROJECT) as reader:
        after = snapshot(reader)
        mine = after["per_user"]["u1"]
        assert reader.get_user("u1") is None
        assert mine["events"] == [] and mine["ledger"] == [] and mine["sums"]["coins"] == 0
        assert mine["badges"] == mine["quests"] == mine["streaks"] == []
        assert set(mine["ranks"].values()) == {None}
        assert reader.get_event("evt_10") is None and reader.get_event_by_event_id("e11") is None
        assert reader.aggregate_events("u1", "purchase", at(-9), at(9), "amount") == (0, 0.0)
        assert reader.get_message("msg_10") is None
        assert reader.list_messages(10, user_id="u1").items == []
        assert reader.get_delivery("msg_10", "whe_1") is None
        # Everybody else is untouched.
        assert after["per_user"]["u2"] == u2_before
        assert [u.id for u in after["users"]] == ["u2"]
        assert [e.user_id for e in after["events"]] == ["u2", "u2"]
        assert [s.user_id for s in after["expiring"]] == ["u2"]
        assert reader.leaderboard_size("lb1", "all_time") == 1
        assert [m.id for m in after["messages"]] == ["msg_20", "msg_99"]
        assert [d.message_id for d in after["due"]] == ["msg_20", "msg_99"]


def configure_and_use(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "r1", rule("r1", "login"))
        uow.put_definition("currencies", "coins", {"id": "coins"})
        uow.put_levels({"levels": [{"level": 1, "min_xp": 0}]})
        uow.put_webhook_endpoint(endpoint("whe_1"))
        everything_about(uow, "u1", 10)
        uow.put_idempotency(idempotency("k1"))


def test_reset_empties_data_and_config(store: Storage) -> None:
    configure_and_use(store)
    store.reset_project(PROJECT)
    with store.read(PROJECT) as reader:
        empty = snapshot(reader)
    assert empty["users"] == [] and empty["events"] == [] and empty["messages"] == []
    assert empty["definitions"] == {k: [] for k in empty["definitions"]}
    assert empty["levels"] is None and empty["endpoints"] == [] and empty["deliveries"] == []
    assert empty["idempotency"] == {"k1": None, "k2": None, "k3": None}
    assert empty["expiring"] == [] and empty["due"] == []
    assert all(size == 0 for _, size in empty["boards"].values())
    with store.unit_of_work(PROJECT) as uow:  # usable again, ids reusable
        everything_about(uow, "u1", 10)
        assert uow.insert_message(message(11)).seq > 1  # the stream's seq never goes back


def test_reset_keeping_config_keeps_definitions_levels_and_endpoints(store: Storage) -> None:
    configure_and_use(store)
    store.reset_project(PROJECT, keep_config=True)
    with store.read(PROJECT) as reader:
        assert reader.get_definition("rules", "r1") == rule("r1", "login")
        assert [r["id"] for r in reader.rules_for_event_type("login")] == ["r1"]
        assert [d["id"] for d in reader.list_definitions("currencies").items] == ["coins"]
        assert reader.get_levels() == {"levels": [{"level": 1, "min_xp": 0}]}
        assert [e.id for e in reader.list_webhook_endpoints().items] == ["whe_1"]
        assert reader.list_users(5).items == [] and reader.list_deliveries() == []
        assert reader.list_events(EventFilter(), 5).items == []
        assert reader.get_idempotency("k1") is None
    with store.unit_of_work(PROJECT) as uow:  # new definitions still list after the old
        uow.put_definition("rules", "r0", rule("r0", "login"))
    with store.read(PROJECT) as reader:
        assert [r["id"] for r in reader.rules_for_event_type("login")] == ["r1", "r0"]


def test_returned_records_are_copies(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        everything_about(uow, "u1", 10)
        uow.put_user(user("u1", traits={"a": {"b": 1}}, balances={"coins": 1}))
        uow.put_webhook_endpoint(endpoint("whe_1"))
        uow.put_idempotency(idempotency("k1", headers={"h": "v"}))
    with store.read(PROJECT) as reader:
        got_user = reader.get_user("u1")
        got_event = reader.get_event("evt_10")
        got_badge = reader.get_badge_state("u1", "b1")
        got_quest = reader.get_quest_state("u1", "q1")
        got_endpoint = reader.get_webhook_endpoint("whe_1")
        got_message = reader.get_message("msg_10")
        got_delivery = reader.get_delivery("msg_10", "whe_1")
        got_idem = reader.get_idempotency("k1")
        before = snapshot(reader)
    assert None not in (got_user, got_event, got_badge, got_quest)
    assert None not in (got_endpoint, got_message, got_delivery, got_idem)
    got_user.traits["a"]["b"] = 2  # type: ignore[union-attr]
    got_user.balances["coins"] = 99  # type: ignore[union-attr]
    got_event.properties["amount"] = 1000  # type: ignore[union-attr]
    got_badge.tiers_earned.append("gold")  # type: ignore[union-attr]
    got_quest.steps["x"] = 1  # type: ignore[union-attr]
    got_endpoint.event_types.append("x")  # type: ignore[union-attr]
    got_message.data["n"] = -1  # type: ignore[union-attr]
    got_delivery.attempts.append({})  # type: ignore[union-attr]
    got_idem.headers["h"] = "changed"  # type: ignore[union-attr]
    with store.read(PROJECT) as reader:
        assert snapshot(reader) == before


def test_returned_definitions_are_shared_and_read_only(store: Storage) -> None:
    """Definitions (and levels) are the exception: a reader may hand out the stored
    document itself, so callers must not change it; a PUT replaces it as a whole."""
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("badges", "b1", {"id": "b1", "tiers": [{"t": 1}]})
        uow.put_levels({"levels": [{"level": 1}]})
    with store.read(PROJECT) as reader:
        old_def = reader.get_definition("badges", "b1")
        old_levels = reader.get_levels()
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("badges", "b1", {"id": "b1", "tiers": [{"t": 2}]})
        uow.put_levels({"levels": [{"level": 1}, {"level": 2}]})
    # what a caller was handed before the PUT is not changed by it
    assert old_def == {"id": "b1", "tiers": [{"t": 1}]}
    assert old_levels == {"levels": [{"level": 1}]}
    with store.read(PROJECT) as reader:
        assert reader.get_definition("badges", "b1") == {"id": "b1", "tiers": [{"t": 2}]}
        assert reader.list_definitions("badges").items == [{"id": "b1", "tiers": [{"t": 2}]}]
        assert reader.get_levels() == {"levels": [{"level": 1}, {"level": 2}]}


def test_stored_records_are_copies_of_what_was_passed(store: Storage) -> None:
    mine = user("u1", traits={"a": [1]})
    doc = {"id": "b1", "tiers": [{"t": 1}]}
    evt = event(1, properties={"amount": 1})
    msg = message(1)
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(mine)
        uow.put_definition("badges", "b1", doc)
        uow.insert_event(evt)
        returned = uow.insert_message(msg)
        mine.traits["a"].append(2)
        doc["tiers"].append({"t": 2})  # type: ignore[attr-defined]
        evt.properties["amount"] = 5
        msg.data["n"] = 7
        returned.data["n"] = 8
        assert msg.seq == 0  # the caller's object is not assigned a seq
        got = uow.get_user("u1")
        assert got is not None and got.traits == {"a": [1]}
    with store.read(PROJECT) as reader:
        assert reader.get_definition("badges", "b1") == {"id": "b1", "tiers": [{"t": 1}]}
        stored = reader.get_event("evt_1")
        assert stored is not None and stored.properties == {"amount": 1}
        stored_msg = reader.get_message("msg_1")
        assert stored_msg is not None and stored_msg.data == {"n": 1}
