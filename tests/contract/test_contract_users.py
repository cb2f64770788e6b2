"""Users and their sub-resources through the SDK: profiles, pages, badges, quests, ledger."""

from __future__ import annotations

import pytest
from questline import ConflictError, NotFoundError, Questline
from questline.types import User, UserUpsert


def test_upsert_creates_then_updates_a_profile(client: Questline) -> None:
    created = client.users.upsert("u1", display_name="Ada", timezone="Europe/Paris")
    assert isinstance(created, User)
    assert (created.id, created.display_name, created.timezone) == ("u1", "Ada", "Europe/Paris")
    assert (created.xp, created.level, created.balances, created.traits) == (0, 1, {}, {})

    # camelCase dict input; omitted fields keep their value.
    updated = client.users.upsert("u1", {"displayName": "Ada L."})
    assert (updated.display_name, updated.timezone) == ("Ada L.", "Europe/Paris")
    assert client.users.retrieve("u1") == updated


def test_upsert_merges_traits_and_null_removes_one(client: Questline) -> None:
    client.users.upsert("u1", traits={"plan": "pro", "team": "a"})
    updated = client.users.upsert("u1", traits={"plan": None, "seat": 3})
    assert updated.traits == {"team": "a", "seat": 3}


def test_upsert_accepts_a_model(client: Questline) -> None:
    user = client.users.upsert("u1", UserUpsert(display_name="Grace", email="grace@example.com"))
    assert (user.display_name, user.email) == ("Grace", "grace@example.com")


def test_list_walks_every_page(client: Questline) -> None:
    for i in range(7):
        client.users.upsert(f"user-{i}")

    page = client.users.list(limit=3)
    assert len(page.data) == 3
    assert page.has_next_page()
    assert [len(p.data) for p in page.iter_pages()] == [3, 3, 1]
    # Iterating the first page walks all of them, each user once.
    walked = [u.id for u in page]
    assert sorted(walked) == [f"user-{i}" for i in range(7)]

    last = page.get_next_page().get_next_page()
    assert [u.id for u in last.data] == walked[6:]
    assert not last.has_next_page()


def test_list_walks_users_in_creation_order(client: Questline) -> None:
    for i in range(3):
        client.users.upsert(f"user-{i}")
    assert [u.id for u in client.users.list()] == ["user-0", "user-1", "user-2"]


def test_delete_erases_the_user(client: Questline) -> None:
    client.events.send(user_id="u1", type="login")
    assert client.users.delete("u1") is None
    with pytest.raises(NotFoundError) as caught:
        client.users.retrieve("u1")
    assert caught.value.code == "not_found"
    with pytest.raises(NotFoundError):
        client.users.delete("u1")
    assert client.users.list().data == []


def test_badge_award_and_list(client: Questline) -> None:
    client.badges.upsert("helper", name="Helper", description="Helped someone")
    client.badges.upsert("hidden", name="Hidden", secret=True)
    client.users.upsert("u1")

    awarded = client.users.badges.award("u1", badge_id="helper")
    assert (awarded.badge_id, awarded.awarded, awarded.award_count) == ("helper", True, 1)
    assert awarded.awarded_at is not None

    badges = {b.badge_id: b for b in client.users.badges.list("u1")}
    assert badges["helper"].awarded
    assert "hidden" not in badges  # secret until awarded

    with pytest.raises(NotFoundError):
        client.users.badges.award("u1", badge_id="no-such-badge")


def test_quest_progress_is_listed(client: Questline) -> None:
    client.quests.upsert(
        "onboarding",
        steps=[
            {"id": "first-lesson", "criteria": {"event_type": "lesson_completed"}},
            {"id": "three-logins", "criteria": {"event_type": "login"}, "target": 3},
        ],
    )
    client.events.send(user_id="u1", type="lesson_completed")
    client.events.send(user_id="u1", type="login")

    [quest] = client.users.quests.list("u1")
    assert (quest.quest_id, quest.status, quest.completed_at) == ("onboarding", "in_progress", None)
    assert quest.started_at is not None
    assert [(s.step_id, s.progress, s.completed) for s in quest.steps] == [
        ("first-lesson", 1, True),
        ("three-logins", 1, False),
    ]


def test_streaks_are_listed(client: Questline) -> None:
    client.streaks.upsert("daily", period="day", criteria={"event_type": "login"})
    client.events.send(user_id="u1", type="login")
    [streak] = client.users.streaks.list("u1")
    assert (streak.streak_id, streak.status, streak.count, streak.longest) == (
        "daily",
        "active",
        1,
        1,
    )


def test_transactions_credit_debit_and_list(client: Questline) -> None:
    client.currencies.upsert("coins", name="Coins")
    client.users.upsert("u1")

    credit = client.users.transactions.create("u1", currency="coins", amount=100, reason="welcome")
    assert (credit.user_id, credit.amount, credit.balance, credit.event_id) == (
        "u1",
        100,
        100,
        None,
    )
    assert credit.reason == "welcome"
    debit = client.users.transactions.create(
        "u1", {"currency": "coins", "amount": -30, "reason": "shop:hat", "metadata": {"sku": "hat"}}
    )
    assert (debit.balance, debit.metadata) == (70, {"sku": "hat"})

    assert [t.amount for t in client.users.transactions.list("u1")] == [-30, 100]
    assert client.users.retrieve("u1").balances == {"coins": 70}


def test_manual_transactions_have_source_api(client: Questline) -> None:
    client.currencies.upsert("coins")
    client.users.upsert("u1")
    assert client.users.transactions.create("u1", currency="coins", amount=5).source == "api"


def test_insufficient_balance_is_a_conflict_that_changes_nothing(client: Questline) -> None:
    client.currencies.upsert("coins")
    client.users.upsert("u1")
    client.users.transactions.create("u1", currency="coins", amount=10)

    with pytest.raises(ConflictError) as caught:
        client.users.transactions.create("u1", currency="coins", amount=-11)
    error = caught.value
    assert (error.status_code, error.code) == (409, "insufficient_balance")
    assert error.problem is not None and error.problem.code == "insufficient_balance"
    assert error.request_id and error.request_id.startswith("req_")
    assert client.users.retrieve("u1").balances == {"coins": 10}
    assert len(client.users.transactions.list("u1").data) == 1


def test_user_events_are_listed_newest_first(client: Questline) -> None:
    client.events.send(user_id="u1", type="login", occurred_at="2026-03-01T10:00:00Z")
    client.events.send(user_id="u1", type="lesson_completed", occurred_at="2026-03-01T11:00:00Z")
    client.events.send(user_id="u2", type="login")
    assert [e.type for e in client.users.events.list("u1")] == ["lesson_completed", "login"]


def test_sub_resources_of_an_unknown_user_are_not_found(client: Questline) -> None:
    with pytest.raises(NotFoundError):
        client.users.badges.list("ghost")
    with pytest.raises(NotFoundError):
        client.users.transactions.list("ghost")
