"""Users: upsert, creation-order listing, cursors that survive concurrent inserts."""

from __future__ import annotations

import threading

import pytest
from questline_mock.storage.base import InvalidCursor, Storage, iter_all

from tests.unit.storage.storage_records import PROJECT, at, user


def put_users(store: Storage, *ids: str) -> None:
    with store.unit_of_work(PROJECT) as uow:
        for user_id in ids:
            uow.put_user(user(user_id))


def test_user_round_trips_every_field(store: Storage) -> None:
    full = user(
        "u.1@x:y-z",
        updated_at=at(5),
        display_name="Ann",
        email="ann@example.test",
        timezone="Europe/Paris",
        traits={"plan": "pro", "nested": {"a": [1, 2.5, None, True]}},
        xp=1600,
        level=5,
        balances={"coins": 125, "gems": 0},
        last_event_at=at(9),
        event_counts={"login": 3},
    )
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(full)
    with store.read(PROJECT) as reader:
        assert reader.get_user("u.1@x:y-z") == full
        assert reader.get_user("u2") is None


def test_upsert_replaces_the_user_but_keeps_its_place(store: Storage) -> None:
    put_users(store, "a", "b", "c")
    with store.unit_of_work(PROJECT) as uow:
        uow.put_user(user("a", xp=50))
    with store.read(PROJECT) as reader:
        assert [u.id for u in reader.list_users(10).items] == ["a", "b", "c"]
        got = reader.get_user("a")
        assert got is not None and got.xp == 50


def test_users_list_in_creation_order_a_page_at_a_time(store: Storage) -> None:
    ids = [f"user{n:02}" for n in range(7)][::-1]  # creation order is not id order
    put_users(store, *ids)
    with store.read(PROJECT) as reader:
        first = reader.list_users(3)
        assert [u.id for u in first.items] == ids[:3]
        assert first.next_cursor is not None
        second = reader.list_users(3, first.next_cursor)
        assert [u.id for u in second.items] == ids[3:6]
        last = reader.list_users(3, second.next_cursor)
        assert [u.id for u in last.items] == ids[6:] and last.next_cursor is None
        exact = reader.list_users(7)
        assert len(exact.items) == 7 and exact.next_cursor is None
        assert [u.id for u in iter_all(lambda c: reader.list_users(2, c))] == ids


def test_empty_listing_has_no_cursor(store: Storage) -> None:
    with store.read(PROJECT) as reader:
        assert reader.list_users(5).items == [] and reader.list_users(5).next_cursor is None


@pytest.mark.parametrize("cursor", ["", "abc", "-1", "1.5", "9" * 40, "١٢"])
def test_a_forged_cursor_is_rejected(store: Storage, cursor: str) -> None:
    with store.read(PROJECT) as reader, pytest.raises(InvalidCursor):
        reader.list_users(5, cursor)


def test_paging_while_users_are_added_misses_and_repeats_nothing(store: Storage) -> None:
    put_users(store, *[f"old{n}" for n in range(10)])
    seen: list[str] = []
    cursor = None
    round_ = 0
    while True:
        with store.read(PROJECT) as reader:
            page = reader.list_users(3, cursor)
        seen += [u.id for u in page.items]
        put_users(store, f"new{round_}a", f"new{round_}b")  # between pages
        round_ += 1
        if page.next_cursor is None or round_ > 50:
            break
        cursor = page.next_cursor
    old = [s for s in seen if s.startswith("old")]
    assert old == [f"old{n}" for n in range(10)]
    assert len(seen) == len(set(seen))


def test_paging_during_a_concurrent_writer_thread(store: Storage) -> None:
    put_users(store, *[f"old{n:03}" for n in range(60)])
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set() and n < 400:
            put_users(store, f"new{n:03}")
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        seen = []
        cursor = None
        for _ in range(500):
            with store.read(PROJECT) as reader:
                page = reader.list_users(4, cursor)
            seen += [u.id for u in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    finally:
        stop.set()
        thread.join()
    assert [s for s in seen if s.startswith("old")] == [f"old{n:03}" for n in range(60)]
    assert len(seen) == len(set(seen))
    news = [s for s in seen if s.startswith("new")]
    assert news == sorted(news)  # creation order


def test_a_deleted_users_cursor_still_works(store: Storage) -> None:
    put_users(store, "a", "b", "c", "d")
    with store.read(PROJECT) as reader:
        page = reader.list_users(2)
    with store.unit_of_work(PROJECT) as uow:
        uow.delete_user("b")
        uow.put_user(user("b"))  # comes back as the newest
    with store.read(PROJECT) as reader:
        assert [u.id for u in reader.list_users(10, page.next_cursor).items] == ["c", "d", "b"]
