"""Cursor pages: iterate everything, or walk page by page; sync and async."""

from __future__ import annotations

import httpx
import pytest
import respx
import sdk_payloads as p
from questline import AsyncCursorPage, AsyncQuestline, Questline, QuestlineError, SyncCursorPage
from questline.types import User


def three_pages(api: respx.MockRouter) -> respx.Route:
    def respond(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        if cursor is None:
            return httpx.Response(200, json=p.user_list(["u1", "u2"], next_cursor="c2"))
        if cursor == "c2":
            return httpx.Response(200, json=p.user_list(["u3", "u4"], next_cursor="c3"))
        return httpx.Response(200, json=p.user_list(["u5"]))

    return api.get("/v1/users").mock(side_effect=respond)


def test_iterating_a_page_walks_every_page(client: Questline, api: respx.MockRouter) -> None:
    route = three_pages(api)
    users = list(client.users.list(limit=2))
    assert [u.id for u in users] == ["u1", "u2", "u3", "u4", "u5"]
    assert all(isinstance(u, User) for u in users)
    assert route.call_count == 3
    assert [c.request.url.params.get("limit") for c in route.calls] == ["2", "2", "2"]
    assert [c.request.url.params.get("cursor") for c in route.calls] == [None, "c2", "c3"]


def test_first_page_only_and_manual_paging(client: Questline, api: respx.MockRouter) -> None:
    route = three_pages(api)
    page = client.users.list()
    assert isinstance(page, SyncCursorPage)
    assert [u.id for u in page.data] == ["u1", "u2"]
    assert page.has_next_page() and page.next_cursor == "c2"
    second = page.get_next_page()
    assert [u.id for u in second.data] == ["u3", "u4"]
    assert route.call_count == 2


def test_iter_pages(client: Questline, api: respx.MockRouter) -> None:
    three_pages(api)
    sizes = [len(page.data) for page in client.users.list().iter_pages()]
    assert sizes == [2, 2, 1]


def test_last_page_has_no_next(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users").respond(200, json=p.user_list(["u1"]))
    page = client.users.list()
    assert not page.has_next_page()
    with pytest.raises(QuestlineError):
        page.get_next_page()


def test_sub_resource_lists_paginate_too(client: Questline, api: respx.MockRouter) -> None:
    api.get("/v1/users/u1/transactions").mock(
        side_effect=[
            httpx.Response(200, json={"data": [], "has_more": True, "next_cursor": "x"}),
            httpx.Response(200, json={"data": [], "has_more": False, "next_cursor": None}),
        ]
    )
    assert list(client.users.transactions.list("u1")) == []
    assert api.calls.call_count == 2


async def test_async_for_walks_every_page(
    async_client: AsyncQuestline, api: respx.MockRouter
) -> None:
    three_pages(api)
    ids = [u.id async for u in async_client.users.list()]
    assert ids == ["u1", "u2", "u3", "u4", "u5"]


async def test_awaiting_async_list_gives_the_first_page(
    async_client: AsyncQuestline, api: respx.MockRouter
) -> None:
    three_pages(api)
    page = await async_client.users.list()
    assert isinstance(page, AsyncCursorPage)
    assert [u.id for u in page.data] == ["u1", "u2"]
    nxt = await page.get_next_page()
    assert [u.id for u in nxt.data] == ["u3", "u4"]
    sizes = [len(pg.data) async for pg in page.iter_pages()]
    assert sizes == [2, 2, 1]
    rest = [u.id async for u in nxt]
    assert rest == ["u3", "u4", "u5"]
