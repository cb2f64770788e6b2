"""Ledger, badge/quest/streak states, rule usage, and the streak expiry index."""

from __future__ import annotations

from questline_mock.storage.base import Storage, iter_all

from tests.unit.storage.storage_records import (
    PROJECT,
    at,
    badge,
    ledger,
    quest,
    streak,
    usage,
    user,
)


def test_ledger_lists_newest_first_and_sums_per_currency(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.insert_ledger(ledger(1, amount=100, reason="grant", metadata={"k": [1]}))
        uow.insert_ledger(ledger(2, currency="gems", amount=3))
        uow.insert_ledger(ledger(3, amount=-30, source="manual", event_id="evt_9"))
        uow.insert_ledger(ledger(4, user_id="u2", amount=7))
        uow.insert_ledger(ledger(5, amount=5))
    with store.read(PROJECT) as reader:
        assert reader.ledger_sum("u1", "coins") == 75
        assert reader.ledger_sum("u1", "gems") == 3
        assert reader.ledger_sum("u2", "coins") == 7
        assert reader.ledger_sum("u1", "stars") == 0
        entries = list(iter_all(lambda c: reader.list_ledger("u1", 2, c)))
        assert [e.id for e in entries] == ["txn_5", "txn_3", "txn_2", "txn_1"]
        assert entries[-1] == ledger(1, amount=100, reason="grant", metadata={"k": [1]})
        assert reader.list_ledger("u3", 5).items == []


def test_badge_and_quest_states_are_replaced_and_listed_by_id(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_badge_state(badge("zz", progress=1))
        uow.put_badge_state(
            badge(
                "aa",
                progress=2,
                tiers_earned=["bronze"],
                times_awarded=1,
                first_awarded_at=at(1),
                last_awarded_at=at(2),
            )
        )
        uow.put_badge_state(badge("zz", progress=3))
        uow.put_badge_state(badge("aa", user_id="u2"))
        uow.put_quest_state(quest("q2", steps={"s1": 1}))
        uow.put_quest_state(quest("q1", steps={"s1": 1, "s2": 0}, completed_at=at(5)))
    with store.read(PROJECT) as reader:
        assert [b.badge_id for b in reader.list_badge_states("u1")] == ["aa", "zz"]
        assert reader.get_badge_state("u1", "zz") == badge("zz", progress=3)
        assert reader.get_badge_state("u1", "aa") == badge(
            "aa",
            progress=2,
            tiers_earned=["bronze"],
            times_awarded=1,
            first_awarded_at=at(1),
            last_awarded_at=at(2),
        )
        assert reader.get_badge_state("u1", "nope") is None
        assert [q.quest_id for q in reader.list_quest_states("u1")] == ["q1", "q2"]
        assert reader.get_quest_state("u1", "q1") == quest(
            "q1", steps={"s1": 1, "s2": 0}, completed_at=at(5)
        )
        assert reader.get_quest_state("u2", "q1") is None
        assert reader.list_quest_states("u2") == []


def test_streak_states_round_trip(store: Storage) -> None:
    full = streak(
        "s1", freezes_left=2, longest=9, count=4, started_at=at(1), last_period="2026-W01"
    )
    with store.unit_of_work(PROJECT) as uow:
        uow.put_streak_state(full)
        uow.put_streak_state(streak("a0", expires=None, status="ended", count=0))
    with store.read(PROJECT) as reader:
        assert reader.get_streak_state("u1", "s1") == full
        assert [s.streak_id for s in reader.list_streak_states("u1")] == ["a0", "s1"]
        assert reader.get_streak_state("u1", "zz") is None


def test_expiring_streaks_come_soonest_first_and_only_active_ones(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_streak_state(streak("s1", "u1", expires=30))
        uow.put_streak_state(streak("s1", "u2", expires=10))
        uow.put_streak_state(streak("s2", "u1", expires=10))  # tie: user, then streak id
        uow.put_streak_state(streak("s3", "u1", expires=20, status="ended"))
        uow.put_streak_state(streak("s4", "u1", expires=None))
        uow.put_streak_state(streak("s5", "u1", expires=31))
    with store.read(PROJECT) as reader:
        due = reader.streaks_expiring_by(at(30), 10)  # boundary inclusive
        assert [(s.user_id, s.streak_id) for s in due] == [("u1", "s2"), ("u2", "s1"), ("u1", "s1")]
        assert len(reader.streaks_expiring_by(at(30), 2)) == 2
        assert reader.streaks_expiring_by(at(9), 10) == []


def test_updating_a_streak_moves_it_in_the_expiry_index(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_streak_state(streak("s1", expires=10))
        uow.put_streak_state(streak("s2", expires=20))
    with store.unit_of_work(PROJECT) as uow:
        uow.put_streak_state(streak("s1", expires=50))  # extended
        uow.put_streak_state(streak("s2", expires=20, status="ended"))  # ended
    with store.read(PROJECT) as reader:
        assert reader.streaks_expiring_by(at(40), 10) == []
        assert [s.streak_id for s in reader.streaks_expiring_by(at(50), 10)] == ["s1"]


def test_rule_usage_round_trips_with_its_user(store: Storage) -> None:
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("u1", rule_usage={"r1": usage(count=1)}))
        uow.put_user(user("u1", rule_usage={"r1": usage(count=2, last_fired=5), "r2": usage()}))
        uow.put_user(user("u2", rule_usage={"r2": usage(count=7)}))
        uow.put_user(user("u3"))
    with store.read(PROJECT) as reader:
        found = {u: reader.get_user(u) for u in ("u1", "u2", "u3")}
    assert {u: found_user.rule_usage for u, found_user in found.items() if found_user} == {
        "u1": {"r1": usage(count=2, last_fired=5), "r2": usage()},
        "u2": {"r2": usage(count=7)},
        "u3": {},
    }
