"""Events: lookups, DuplicateEventId, newest-first listing with filters, window aggregates."""

from __future__ import annotations

import pytest
from questline_mock.domain import Trace
from questline_mock.engine.conditions import MISSING, compile_condition
from questline_mock.storage.base import DuplicateEventId, EventFilter, Storage, iter_all

from tests.unit.storage.storage_records import PROJECT, at, event


def insert(store: Storage, *events: object) -> None:
    with store.unit_of_work(PROJECT) as uow:
        for item in events:
            uow.insert_event(item)  # type: ignore[arg-type]


def test_event_round_trips_and_is_found_by_both_ids(store: Storage) -> None:
    full = event(
        1,
        properties={"amount": 12.5, "items": [{"sku": "a"}], "flag": False},
        status="failed",
        result={"effects": {"xp": {"granted": 3}}},
        rules_triggered=["r1"],
        actions_executed=[{"source": "rule:r1", "action": {"type": "grant_xp"}}],
        trace=Trace.of([{"rule": "r1", "matched": True}]),
        received_at=at(3),
    )
    insert(store, full)
    with store.read(PROJECT) as reader:
        assert reader.get_event("evt_1") == full
        assert reader.get_event_by_event_id("e1") == full
        assert reader.get_event("evt_2") is None
        assert reader.get_event_by_event_id("e2") is None


def test_a_compact_trace_reads_back_as_the_same_explanation(store: Storage) -> None:
    """The engine's compact trace (shared plan + per-event leaf values) survives storage:
    memory keeps the plan by reference, SQLite the plan's sources and the values as JSON
    (a MISSING value apart from a null one); both read back equal, and each read hands
    out a fresh copy."""
    condition = {"all": [{"fact": "properties.n", "operator": "gte", "value": 3},
                         {"fact": "user.traits.tier", "operator": "in", "value": ["a"]}]}  # fmt: skip
    compiled = compile_condition(condition)
    plan = (("r1", compiled), ("r2", None), ("r3", compiled), ("r4", compiled))
    outcomes = (
        ("conditions_not_met", (2, False, MISSING, False)),
        (None, ()),
        ("cooldown", None),
        ("conditions_not_met", (MISSING, False, None, False)),
    )
    trace = Trace(plan, outcomes)
    expanded = trace.to_json()
    assert expanded[0]["conditions"]["children"][1] == {
        "kind": "fact", "fact": "user.traits.tier", "operator": "in", "expected": ["a"],
        "actual": None, "result": False, "missing": True,
    }  # fmt: skip
    assert [(e["matched"], e["skipped_reason"], e["conditions"]) for e in expanded[1:3]] == [
        (True, None, None),
        (False, "cooldown", None),
    ]
    last = expanded[3]["conditions"]["children"]
    assert ("missing" in last[0], "missing" in last[1]) == (True, False)
    insert(store, event(1, trace=trace))
    with store.read(PROJECT) as reader:
        stored = reader.get_event("evt_1")
        assert stored is not None and stored.trace.to_json() == expanded
        stored.trace.to_json()[0]["conditions"]["children"][1]["expected"].append("b")
        again = reader.get_event("evt_1")
        assert again is not None and again.trace.to_json() == expanded


def test_a_second_event_with_the_same_event_id_is_refused(store: Storage) -> None:
    insert(store, event(1))
    with store.unit_of_work(PROJECT) as uow:
        with pytest.raises(DuplicateEventId) as caught:
            uow.insert_event(event(2, event_id="e1"))
        assert caught.value.event_id == "e1"
        uow.insert_event(event(3))  # the unit of work goes on
    with store.read(PROJECT) as reader:
        assert reader.get_event("evt_2") is None
        assert [e.id for e in reader.list_events(EventFilter(), 10).items] == ["evt_3", "evt_1"]


def test_a_duplicate_inside_one_unit_is_refused_too(store: Storage) -> None:
    with pytest.raises(DuplicateEventId), store.unit_of_work(PROJECT) as uow:
        uow.insert_event(event(1))
        uow.insert_event(event(2, event_id="e1"))
    with store.read(PROJECT) as reader:
        assert reader.get_event("evt_1") is None  # the whole unit rolled back


def seed_history(store: Storage) -> None:
    # Inserted out of time order on purpose: listing is by insertion, not occurred_at.
    insert(
        store,
        event(1, "u1", "login", occurred=50),
        event(2, "u2", "login", occurred=10),
        event(3, "u1", "purchase", occurred=30),
        event(4, "u1", "login", occurred=20),
        event(5, "u2", "purchase", occurred=40),
        event(6, "u1", "login", occurred=60),
    )


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (EventFilter(), [6, 5, 4, 3, 2, 1]),
        (EventFilter(user_id="u1"), [6, 4, 3, 1]),
        (EventFilter(type="login"), [6, 4, 2, 1]),
        (EventFilter(user_id="u1", type="login"), [6, 4, 1]),
        (EventFilter(user_id="u3"), []),
        (EventFilter(since=at(20)), [6, 5, 4, 3, 1]),  # since is inclusive
        (EventFilter(until=at(40)), [4, 3, 2]),  # until is exclusive
        (EventFilter(user_id="u1", since=at(20), until=at(60)), [4, 3, 1]),
        (EventFilter(type="purchase", since=at(35)), [5]),
    ],
)
def test_events_list_newest_first_with_filters(
    store: Storage, flt: EventFilter, expected: list[int]
) -> None:
    seed_history(store)
    with store.read(PROJECT) as reader:
        whole = reader.list_events(flt, 100)
        paged = list(iter_all(lambda c: reader.list_events(flt, 2, c)))
    assert [e.id for e in whole.items] == [f"evt_{n}" for n in expected]
    assert whole.next_cursor is None
    assert [e.id for e in paged] == [f"evt_{n}" for n in expected]


def test_event_pages_are_stable_while_events_arrive(store: Storage) -> None:
    seed_history(store)
    with store.read(PROJECT) as reader:
        first = reader.list_events(EventFilter(user_id="u1"), 2)
    insert(store, event(7, "u1", "login", occurred=70))
    with store.read(PROJECT) as reader:
        rest = reader.list_events(EventFilter(user_id="u1"), 10, first.next_cursor)
    assert [e.id for e in first.items + rest.items] == ["evt_6", "evt_4", "evt_3", "evt_1"]


def test_aggregate_counts_and_sums_a_window_with_inclusive_boundaries(store: Storage) -> None:
    insert(
        store,
        event(1, occurred=9, properties={"amount": 1000}),  # before the window
        event(2, occurred=10, properties={"amount": 5}),  # on the lower bound
        event(3, occurred=15, properties={"amount": 2.5}),
        event(4, occurred=20, properties={"amount": "7"}),  # numeric string, upper bound
        event(5, occurred=21, properties={"amount": 1000}),  # after
        event(6, occurred=15, properties={"amount": 1000}, user_id="u2"),  # other user
        event(7, occurred=15, properties={"amount": 1000}, type="other"),  # other type
    )
    with store.read(PROJECT) as reader:
        assert reader.aggregate_events("u1", "lesson_completed", at(10), at(20)) == (3, 0.0)
        count, total = reader.aggregate_events("u1", "lesson_completed", at(10), at(20), "amount")
        assert (count, total) == (3, 14.5)
        assert reader.aggregate_events("u1", "lesson_completed", at(22), at(99), "amount") == (
            0,
            0.0,
        )
        assert reader.aggregate_events("u1", "lesson_completed", at(20), at(10)) == (0, 0.0)
        assert reader.aggregate_events("u9", "lesson_completed", at(0), at(99)) == (0, 0.0)


@pytest.mark.parametrize(
    ("value", "adds"),
    [
        (3, 3.0),
        (-2.5, -2.5),
        ("4.5", 4.5),
        (" 6 ", 6.0),
        ("1e2", 100.0),
        ("-.5", -0.5),
        ("abc", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
        ("1_000", 0.0),
        ("", 0.0),
        (True, 0.0),
        (None, 0.0),
        ([1, 2], 0.0),
        ({"x": 1}, 0.0),
    ],
)
def test_aggregate_sums_numbers_and_numeric_strings_only(
    store: Storage, value: object, adds: float
) -> None:
    insert(
        store,
        event(1, properties={"v": value}),
        event(2, properties={"v": 10}),
        event(3, properties={}),  # missing counts as 0, but the event still counts
    )
    with store.read(PROJECT) as reader:
        assert reader.aggregate_events("u1", "lesson_completed", at(0), at(0), "v") == (
            3,
            10.0 + adds,
        )


def test_aggregate_follows_a_dotted_path(store: Storage) -> None:
    insert(
        store,
        event(1, properties={"order": {"total": {"amount": 3}}}),
        event(2, properties={"order": {"total": 4}}),  # not deep enough: 0
        event(3, properties={"order": "x"}),
        event(4, properties={"order": {"total": {"amount": "2.25"}}}),
    )
    with store.read(PROJECT) as reader:
        got = reader.aggregate_events("u1", "lesson_completed", at(0), at(0), "order.total.amount")
    assert got == (4, 5.25)


def test_aggregate_sum_is_exact_whatever_the_order(store: Storage) -> None:
    values = [1e16, 1.0, -1e16, 0.1, 0.2]
    insert(store, *[event(n, occurred=n, properties={"v": v}) for n, v in enumerate(values)])
    with store.read(PROJECT) as reader:
        assert reader.aggregate_events("u1", "lesson_completed", at(0), at(9), "v") == (
            5,
            1.3000000000000000,
        )


@pytest.mark.parametrize("key", ["a b", "$x", "[0]", "é", 'say "hi"', "back\\slash", "", "*"])
def test_aggregate_reads_any_property_name(store: Storage, key: str) -> None:
    insert(store, event(1, properties={key: 2, "other": 5}), event(2, properties={key: "1.5"}))
    with store.read(PROJECT) as reader:
        assert reader.aggregate_events("u1", "lesson_completed", at(0), at(0), key) == (2, 3.5)
        nested = reader.aggregate_events("u1", "lesson_completed", at(0), at(0), f"{key}.x")
        assert nested == (2, 0.0)


def test_aggregate_sums_exactly_past_the_float_range(store: Storage) -> None:
    big = 10**400  # an integer no float holds: counts as 0, like any non-finite number
    insert(
        store,
        event(1, properties={"v": 1e308}),
        event(2, properties={"v": 1e308}),
        event(3, properties={"v": -1e308}),
        event(4, properties={"v": big}),
        event(5, properties={"v": 2**60 + 1}),
    )
    with store.read(PROJECT) as reader:
        count, total = reader.aggregate_events("u1", "lesson_completed", at(0), at(0), "v")
    assert (count, total) == (5, 1e308 + float(2**60 + 1))


def test_text_json_cannot_carry_as_is_round_trips(store: Storage) -> None:
    """A lone surrogate, huge integers and the extremes of floats come back exactly."""
    properties = {"s": "a\ud800b", "big": 2**80, "tiny": 5e-324, "max": 1.7976931348623157e308}
    insert(store, event(1, properties=properties))
    with store.read(PROJECT) as reader:
        found = reader.get_event("evt_1")
    assert found is not None and found.properties == properties
    assert type(found.properties["big"]) is int
