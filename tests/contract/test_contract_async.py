"""What only the async client has: ``async for`` on ``list()``, awaitable pages, concurrent
batches. (Everything else runs on the async client too, through ``Blocking``.)"""

from __future__ import annotations

import asyncio

from questline import AsyncQuestline, NotFoundError

from tests.contract.wiring import Wire


async def test_async_for_walks_every_page(aclient: AsyncQuestline) -> None:
    await asyncio.gather(*(aclient.users.upsert(f"user-{i}") for i in range(5)))

    walked = [user.id async for user in aclient.users.list(limit=2)]
    assert sorted(walked) == [f"user-{i}" for i in range(5)]

    first = await aclient.users.list(limit=2)
    assert len(first.data) == 2 and first.has_next_page()
    sizes = [len(page.data) async for page in first.iter_pages()]
    assert sizes == [2, 2, 1]


async def test_concurrent_batch_keeps_input_order(aclient: AsyncQuestline, wire: Wire) -> None:
    events = [{"event_id": f"e-{i}", "user_id": f"u{i % 3}", "type": "login"} for i in range(1100)]
    report = await aclient.events.send_batch(events, chunk_size=250, max_concurrency=3)

    assert wire.count("POST", "/v1/events/batch") == 5
    assert [r.event_id for r in report.results] == [e["event_id"] for e in events]
    assert (report.processed, report.failed) == (1100, 0)
    assert len([e async for e in aclient.events.list(limit=100)]) == 1100


async def test_concurrent_calls_share_one_client(aclient: AsyncQuestline) -> None:
    await aclient.currencies.upsert("coins")
    results = await asyncio.gather(
        *(aclient.events.send(user_id=f"u{i}", type="login") for i in range(20)),
        aclient.badges.retrieve("nope"),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, NotFoundError)) == 1
    assert len({r.event.user_id for r in results if not isinstance(r, BaseException)}) == 20
