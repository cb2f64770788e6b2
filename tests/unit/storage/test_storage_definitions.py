"""Definitions and levels: creation order, replacement in place, the rule trigger index."""

from __future__ import annotations

from questline_mock.storage.base import Storage, iter_all

from tests.unit.storage.storage_records import PROJECT, rule, score


def test_definitions_round_trip_and_list_in_creation_order(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        for badge_id in ("zeta", "alpha", "mid"):
            uow.put_definition("badges", badge_id, {"id": badge_id, "tiers": [{"t": 1}]})
        uow.put_definition("quests", "alpha", {"id": "alpha", "kind": "quest"})
    with store.read(PROJECT) as reader:
        assert reader.get_definition("badges", "alpha") == {"id": "alpha", "tiers": [{"t": 1}]}
        assert reader.get_definition("quests", "alpha") == {"id": "alpha", "kind": "quest"}
        assert reader.get_definition("badges", "nope") is None
        everything = reader.list_definitions("badges")
        assert [d["id"] for d in everything.items] == ["zeta", "alpha", "mid"]
        assert everything.next_cursor is None
        first = reader.list_definitions("badges", limit=2)
        assert [d["id"] for d in first.items] == ["zeta", "alpha"]
        rest = reader.list_definitions("badges", limit=2, cursor=first.next_cursor)
        assert [d["id"] for d in rest.items] == ["mid"] and rest.next_cursor is None
        assert [d["id"] for d in iter_all(lambda c: reader.list_definitions("badges", 1, c))] == [
            "zeta",
            "alpha",
            "mid",
        ]
        assert reader.list_definitions("streaks").items == []


def test_a_replaced_definition_keeps_its_place(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("currencies", "coins", {"id": "coins", "name": "Coins"})
        uow.put_definition("currencies", "gems", {"id": "gems", "name": "Gems"})
        uow.put_definition("currencies", "coins", {"id": "coins", "name": "Gold coins"})
    with store.read(PROJECT) as reader:
        docs = reader.list_definitions("currencies").items
    assert docs == [{"id": "coins", "name": "Gold coins"}, {"id": "gems", "name": "Gems"}]


def test_deleting_a_definition_removes_it_everywhere(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "r1", rule("r1", "login"))
        uow.put_definition("rules", "r2", rule("r2", "login"))
        uow.delete_definition("rules", "r1")
        uow.delete_definition("rules", "never-existed")
    with store.read(PROJECT) as reader:
        assert reader.get_definition("rules", "r1") is None
        assert [d["id"] for d in reader.list_definitions("rules").items] == ["r2"]
        assert [d["id"] for d in reader.rules_for_event_type("login")] == ["r2"]


def test_rules_are_indexed_by_trigger_in_creation_order(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "b", rule("b", "purchase"))
        uow.put_definition("rules", "a", rule("a", "login"))
        uow.put_definition("rules", "c", rule("c", "purchase", priority=5))
        uow.put_definition("rules", "d", {"id": "d", "trigger": "malformed"})
        uow.put_definition("badges", "x", rule("x", "purchase"))  # not a rule
    with store.read(PROJECT) as reader:
        assert [r["id"] for r in reader.rules_for_event_type("purchase")] == ["b", "c"]
        assert reader.rules_for_event_type("purchase")[1]["priority"] == 5
        assert [r["id"] for r in reader.rules_for_event_type("login")] == ["a"]
        assert list(reader.rules_for_event_type("other")) == []


def test_changing_a_rules_trigger_moves_it_in_the_index(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "r1", rule("r1", "login"))
        uow.put_definition("rules", "r2", rule("r2", "purchase"))
        uow.put_definition("rules", "r1", rule("r1", "purchase"))
    with store.read(PROJECT) as reader:
        assert list(reader.rules_for_event_type("login")) == []
        # Replaced in place: r1 was created first, so it still comes first.
        assert [r["id"] for r in reader.rules_for_event_type("purchase")] == ["r1", "r2"]


def test_a_triggers_rules_are_shared_until_one_changes_and_a_rollback_restores_them(
    store: Storage,
) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("rules", "r1", rule("r1", "login"))
    with store.read(PROJECT) as reader:
        first = reader.rules_for_event_type("login")
    with store.read(PROJECT) as reader:
        assert reader.rules_for_event_type("login") is first  # the engine prepares them once
    try:
        with store.unit_of_work(PROJECT) as uow:
            uow.put_definition("rules", "r1", rule("r1", "login", priority=9))
            uow.put_definition("rules", "r2", rule("r2", "login"))
            assert [r["id"] for r in uow.rules_for_event_type("login")] == ["r1", "r2"]
            assert uow.rules_for_event_type("login")[0]["priority"] == 9
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    with store.read(PROJECT) as reader:
        assert list(reader.rules_for_event_type("login")) == [rule("r1", "login")]
    with store.unit_of_work(PROJECT) as uow:
        uow.delete_definition("rules", "r1")
    with store.read(PROJECT) as reader:
        assert list(reader.rules_for_event_type("login")) == []


def test_levels_document_is_stored_and_cleared(store: Storage) -> None:
    levels = {"levels": [{"level": 1, "min_xp": 0, "name": "Rookie", "rewards": []}]}
    with store.read(PROJECT) as reader:
        assert reader.get_levels() is None
    with store.unit_of_work(PROJECT) as uow:
        uow.put_levels(levels)
    with store.read(PROJECT) as reader:
        assert reader.get_levels() == levels
    with store.unit_of_work(PROJECT) as uow:
        uow.put_levels(None)
    with store.read(PROJECT) as reader:
        assert reader.get_levels() is None


def test_deleting_a_leaderboard_drops_its_entries_in_every_period(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_definition("leaderboards", "lb1", {"id": "lb1"})
        uow.put_leaderboard_entry(score("u1", 5, period="2026-01-01"))
        uow.put_leaderboard_entry(score("u1", 7, period="2026-01-08"))
        uow.put_leaderboard_entry(score("u1", 9, board="lb2"))
        uow.delete_definition("leaderboards", "lb1")
    with store.read(PROJECT) as reader:
        assert reader.leaderboard_size("lb1", "2026-01-01") == 0
        assert reader.get_leaderboard_entry("lb1", "2026-01-08", "u1") is None
        assert reader.rank_of("lb2", "all_time", "u1") is not None
