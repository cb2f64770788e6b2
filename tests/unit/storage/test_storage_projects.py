"""Projects: the registry every unit of work is scoped by."""

from __future__ import annotations

import pytest
from questline_mock.domain import Project
from questline_mock.storage.base import EventFilter, ProjectNotFound, Storage, StorageError

from tests.unit.storage.storage_records import (
    PROJECT,
    T0,
    at,
    endpoint,
    event,
    ledger,
    message,
    score,
    streak,
    user,
)


def test_project_is_found_by_id_and_by_key(store: Storage) -> None:
    assert store.get_project(PROJECT) == Project(PROJECT, "sk_test_a", T0)
    found = store.get_project_by_key("sk_test_a")
    assert found is not None and found.id == PROJECT
    assert store.get_project("nope") is None
    assert store.get_project_by_key("sk_test_nope") is None


def test_projects_list_by_id(store: Storage) -> None:
    store.create_project(Project("proj_0", "sk_test_0", T0))
    assert [p.id for p in store.list_projects()] == ["proj_0", PROJECT]


def test_creating_a_project_twice_or_reusing_a_key_is_refused(store: Storage) -> None:
    with pytest.raises(StorageError):
        store.create_project(Project(PROJECT, "sk_test_other", T0))
    with pytest.raises(StorageError):
        store.create_project(Project("proj_b", "sk_test_a", T0))
    assert len(store.list_projects()) == 1


def test_saved_clock_and_key_persist(store: Storage) -> None:
    project = store.get_project(PROJECT)
    assert project is not None
    project.clock_offset_seconds = 12.5
    project.clock_frozen_at = at(60)
    project.api_key = "sk_test_new"
    store.save_project(project)
    assert store.get_project(PROJECT) == project
    assert store.get_project_by_key("sk_test_a") is None
    assert store.get_project_by_key("sk_test_new") == project


def test_saving_onto_another_projects_key_is_refused(store: Storage) -> None:
    store.create_project(Project("proj_b", "sk_test_b", T0))
    project = store.get_project("proj_b")
    assert project is not None
    project.api_key = "sk_test_a"
    with pytest.raises(StorageError):
        store.save_project(project)
    assert store.get_project_by_key("sk_test_a") == store.get_project(PROJECT)


def test_unknown_project_is_an_error_everywhere(store: Storage) -> None:
    with pytest.raises(ProjectNotFound), store.unit_of_work("nope") as uow:
        uow.put_user(user())
    with pytest.raises(ProjectNotFound), store.read("nope"):
        pass
    with pytest.raises(ProjectNotFound):
        store.save_project(Project("nope", "sk_test_x", T0))
    with pytest.raises(ProjectNotFound):
        store.reset_project("nope")


def test_projects_never_see_each_others_rows(store: Storage) -> None:
    store.create_project(Project("proj_b", "sk_test_b", T0))
    for project, name in ((PROJECT, "A"), ("proj_b", "B")):
        with store.unit_of_work(project) as uow:
            uow.put_user(user("u1", display_name=name))
            uow.insert_event(event(1, properties={"p": name}))  # same ids in both projects
            uow.insert_ledger(ledger(1, amount=10 if name == "A" else 20))
            uow.put_streak_state(streak(count=1 if name == "A" else 2))
            uow.put_leaderboard_entry(score("u1", 1 if name == "A" else 2))
            uow.put_definition("badges", "b1", {"id": "b1", "name": name})
            uow.put_webhook_endpoint(endpoint(description=name))
            uow.insert_message(message(1))
    with store.read("proj_b") as reader:
        got = reader.get_user("u1")
        assert got is not None and got.display_name == "B"
        evt = reader.get_event_by_event_id("e1")
        assert evt is not None and evt.properties == {"p": "B"}
        assert reader.ledger_sum("u1", "coins") == 20
        assert [s.count for s in reader.streaks_expiring_by(at(1000), 10)] == [2]
        assert [r.entry.score for r in reader.rankings("lb1", "all_time", 0, 10)] == [2]
        assert reader.get_definition("badges", "b1") == {"id": "b1", "name": "B"}
        assert [e.description for e in reader.list_webhook_endpoints().items] == ["B"]
        assert [m.seq for m in reader.list_messages(10).items] == [1]
    store.reset_project("proj_b")
    with store.read(PROJECT) as reader:
        assert reader.get_user("u1") is not None
        assert reader.list_events(EventFilter(), 10).items != []
