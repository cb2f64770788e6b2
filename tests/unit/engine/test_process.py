"""One event end to end: the response shape, implicit users, the profile block, determinism."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from engine_harness import PROJECT, T0, Harness, counting_ids, make_storage
from questline_mock.engine import DefinitionError, EventInput, process_event, run_step, upsert_user

SECTIONS = [
    "xp",
    "currencies",
    "badges_awarded",
    "badge_progress",
    "quests",
    "streaks",
    "rewards",
    "rules_triggered",
]


def test_an_event_with_no_rules_has_every_section(harness: Harness) -> None:
    result = harness.send("u1", "login", event_id="login_1")
    assert list(result) == ["event", "effects"]
    assert result["event"] == {
        "id": "evt_000001",
        "event_id": "login_1",
        "user_id": "u1",
        "type": "login",
        "properties": {},
        "occurred_at": "2026-03-02T12:00:00Z",
        "received_at": "2026-03-02T12:00:00Z",
        "status": "processed",
    }
    assert list(result["effects"]) == SECTIONS
    assert result["effects"]["xp"] == {"granted": 0, "total": 0, "level": 1, "level_ups": []}
    assert all(result["effects"][s] == [] for s in SECTIONS[1:])


def test_without_an_event_id_the_server_id_is_used(harness: Harness) -> None:
    result = harness.send("u1", "login")
    assert result["event"]["event_id"] == result["event"]["id"]


def test_the_stored_event_carries_the_result_for_replays(harness: Harness) -> None:
    harness.rule("r", "login", [{"type": "grant_xp", "amount": 5}])
    result = harness.send("u1", "login", {"device": "ios"}, event_id="e1")
    with harness.storage.read(PROJECT) as view:
        stored = view.get_event_by_event_id("e1")
    assert stored is not None
    assert stored.result == result
    assert stored.rules_triggered == ["r"] and stored.properties == {"device": "ios"}
    assert stored.trace.to_json()[0]["rule_id"] == "r"


def test_first_event_creates_the_user_with_its_profile(harness: Harness) -> None:
    harness.send(
        "u1",
        "signup",
        user={"display_name": "Ada", "timezone": "Europe/Paris", "traits": {"plan": "pro"}},
    )
    user = harness.user("u1")
    assert (user.display_name, user.timezone, user.traits) == (
        "Ada",
        "Europe/Paris",
        {"plan": "pro"},
    )
    assert user.created_at == T0 and user.last_event_at == T0
    created = harness.domain_events("user.created")
    assert len(created) == 1 and created[0].data["user"]["timezone"] == "Europe/Paris"
    harness.send("u1", "login")
    assert len(harness.domain_events("user.created")) == 1


def test_profile_block_is_applied_before_the_rules(harness: Harness) -> None:
    harness.rule(
        "pro-bonus",
        "login",
        [{"type": "grant_xp", "amount": 5}],
        conditions={"fact": "user.traits.plan", "operator": "eq", "value": "pro"},
    )
    harness.send("u1", "login", user={"traits": {"plan": "free", "team": "a"}})
    result = harness.send("u1", "login", user={"traits": {"plan": "pro"}})
    assert result["effects"]["rules_triggered"] == ["pro-bonus"]
    assert harness.user("u1").traits == {"plan": "pro", "team": "a"}  # traits merge


def test_event_counts_and_last_event_at(harness: Harness) -> None:
    harness.send("u1", "login")
    harness.send("u1", "login", at=T0 - timedelta(days=1))  # a late event
    harness.send("u1", "purchase")
    user = harness.user("u1")
    assert user.event_counts == {"login": 2, "purchase": 1}
    assert user.last_event_at == T0


def test_domain_events_run_from_user_created_to_event_processed(harness: Harness) -> None:
    harness.currency("coins")
    harness.rule("r", "go", [{"type": "grant_currency", "currency": "coins", "amount": 1}])
    result = harness.send("u1", "go")
    types = [e.type for e in harness.domain_events()]
    assert types == ["user.created", "user.currency.earned", "event.processed"]
    processed = harness.domain_events("event.processed")[0]
    assert processed.data == {"user_id": "u1", **result}
    assert all(e.data["user_id"] == "u1" for e in harness.domain_events())


def test_the_engine_does_not_write(harness: Harness) -> None:
    harness.rule("r", "go", [{"type": "grant_xp", "amount": 5}])
    with harness.storage.read(PROJECT) as view:
        event = EventInput(user_id="u1", type="go", occurred_at=T0)
        process_event(view, event, T0, counting_ids())
        assert view.get_user("u1") is None


def test_a_step_frees_itself_without_the_garbage_collector(harness: Harness) -> None:
    """The server collects young objects rarely (``cli.tune_gc``), trusting that an event's
    working state is freed by reference counting: a reference cycle through the step's
    context would keep every event's objects alive until a collection, and make it slow."""
    harness.currency("coins")
    harness.levels({"levels": [{"min_xp": 0}, {"min_xp": 10}, {"min_xp": 20}]})
    harness.rule(
        "r",
        "purchase",
        [
            {"type": "grant_xp", "amount": {"from": "properties.amount", "multiply": 0.5}},
            {"type": "grant_currency", "currency": "coins", "amount": {"from": "properties.n"}},
        ],
        conditions={
            "all": [
                {"fact": "properties.amount", "operator": "gte", "value": 1},
                {"fact": "properties.tag", "operator": "in", "value": ["a", "b"]},
                {
                    "aggregate": {
                        "event_type": "purchase",
                        "function": "count",
                        "window_seconds": 60,
                    },
                    "operator": "gte",
                    "value": 1,
                },
            ]
        },
    )
    event = EventInput(
        user_id="u1", type="purchase", occurred_at=T0, properties={"amount": 50, "n": 2, "tag": "a"}
    )
    with harness.storage.read(PROJECT) as view:
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                outcome = process_event(view, event, T0, counting_ids())
                assert outcome.result["effects"]["xp"]["level_ups"] == [2, 3]
            del outcome
            cycles = gc.collect()
        finally:
            gc.enable()
    assert cycles == 0


def test_same_event_and_state_give_the_same_outcome(harness: Harness) -> None:
    harness.currency("coins")
    harness.rule(
        "r",
        "purchase",
        [
            {"type": "grant_xp", "amount": {"from": "properties.amount", "multiply": 3}},
            {"type": "grant_currency", "currency": "coins", "amount": 2},
        ],
    )
    harness.send("u1", "purchase", {"amount": 50})
    event = EventInput(user_id="u1", type="purchase", occurred_at=T0, properties={"amount": 70})
    with harness.storage.read(PROJECT) as view:
        first = process_event(view, event, T0, counting_ids())
        second = process_event(view, event, T0, counting_ids())
    assert first.result == second.result
    assert first.changes == second.changes


def test_two_projects_fed_the_same_history_agree() -> None:
    def run() -> list[object]:
        harness = Harness(make_storage())
        harness.currency("coins")
        harness.rule("r", "buy", [{"type": "grant_currency", "currency": "coins", "amount": 3}])
        results = []
        for i in range(5):
            harness.advance(minutes=1)
            results.append(harness.send(f"u{i % 2}", "buy"))
        results.append(harness.transact("u0", "coins", -2))
        return [*results, *[(e.type, e.data) for e in harness.domain_events()]]

    assert run() == run()


def test_input_properties_are_copied(harness: Harness) -> None:
    properties = {"nested": {"a": 1}}
    harness.send("u1", "go", properties)
    properties["nested"]["a"] = 2
    assert harness.outcomes[-1].changes.events[0].properties == {"nested": {"a": 1}}


def test_run_step_reports_effects_when_the_body_returns_nothing(harness: Harness) -> None:
    harness.send("u1", "signup")

    def body(ctx: object) -> None:
        ctx.run_actions([{"type": "grant_xp", "amount": 120}], "manual")  # type: ignore[attr-defined]

    with harness.storage.read(PROJECT) as view:
        outcome = run_step(view, harness.user("u1"), harness.now, harness.ids, body)
    assert outcome.result["effects"]["xp"] == {
        "granted": 120,
        "total": 120,
        "level": 2,
        "level_ups": [2],
    }
    assert outcome.changes.users["u1"].xp == 120
    assert harness.user("u1").xp == 0  # the stored user was not touched


def test_upsert_user_creates_then_merges_traits_and_null_removes_one(harness: Harness) -> None:
    with harness.storage.unit_of_work(PROJECT) as uow:
        body, changes, created = upsert_user(
            uow, "u9", {"email": "a@example.com", "traits": {"a": 1}}, T0, harness.ids
        )
        changes.apply(uow)
    assert created and body["email"] == "a@example.com" and body["xp"] == 0
    assert [e.type for e in changes.domain_events] == ["user.created"]
    with harness.storage.unit_of_work(PROJECT) as uow:
        body, changes, created = upsert_user(
            uow, "u9", {"traits": {"b": 2, "a": None}}, T0, harness.ids
        )
        changes.apply(uow)
    assert not created and body["traits"] == {"b": 2} and body["email"] == "a@example.com"
    assert changes.domain_events == []


@pytest.mark.parametrize(
    ("profile", "loc"),
    [
        ({"timezone": "Mars/Olympus"}, ["body", "user", "timezone"]),
        ({"traits": ["a"]}, ["body", "user", "traits"]),
        ({"email": 5}, ["body", "user", "email"]),
    ],
)
def test_a_bad_profile_block_names_the_field(
    harness: Harness, profile: dict[str, object], loc: list[object]
) -> None:
    with pytest.raises(DefinitionError) as caught:
        harness.send("u1", "login", user=profile)
    assert [e["loc"] for e in caught.value.errors] == [loc]
    with harness.storage.read(PROJECT) as view:
        assert view.get_user("u1") is None
