"""Typed usage of the SDK, checked by ``mypy --strict tests/typing/usage.py`` (never run).

``assert_type`` pins what integrators' type checkers see, so an ``Any`` leaking into a public
signature fails the check.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

import httpx
import questline
from questline import (
    APIResponse,
    AsyncCursorPage,
    AsyncQuestline,
    AsyncStream,
    BatchReport,
    NotFoundError,
    Questline,
    Stream,
    SyncCursorPage,
    WebhookVerificationError,
)
from questline.types import (
    Event,
    EventCreate,
    EventResult,
    Problem,
    SandboxClock,
    Transaction,
    User,
    UserBadge,
    UserRank,
    WebhookEvent,
)
from typing_extensions import assert_type


def sync_usage() -> None:
    client = Questline(
        api_key="sk_test_x", base_url="http://127.0.0.1:8787", timeout=10.0, max_retries=3
    )
    result = client.events.send(user_id="u1", type="lesson_completed", properties={"score": 95})
    assert_type(result, EventResult)
    assert_type(result.event, Event)
    assert_type(result.replayed, bool)
    client.events.send({"userId": "u1", "type": "login"})
    client.events.send(EventCreate(user_id="u1", type="login"), idempotency_key="k1")

    report = client.events.send_batch([{"user_id": "u1", "type": "login"}])
    assert_type(report, BatchReport)
    for failure in report.failures:
        assert_type(failure.index, int)
        assert_type(failure.error, Problem | None)

    page = client.users.list(limit=50)
    assert_type(page, SyncCursorPage[User])
    for user in page:
        assert_type(user, User)
        assert_type(user.xp, int)
    if page.has_next_page():
        assert_type(page.get_next_page(), SyncCursorPage[User])
    for each in page.iter_pages():
        assert_type(each.data, list[User])

    txn = client.users.transactions.create("u1", currency="coins", amount=-5, reason="shop")
    assert_type(txn, Transaction)
    assert_type(client.users.badges.award("u1", badge_id="first"), UserBadge)
    assert_type(client.leaderboards.rank("weekly", "u1", around=2), UserRank)
    assert_type(client.sandbox.clock.set(datetime.now(timezone.utc)), SandboxClock)
    assert_type(client.users.delete("u1"), None)

    raw = client.users.with_raw_response.retrieve("u1")
    assert_type(raw, APIResponse[User])
    assert_type(raw.parse(), User)
    assert_type(raw.idempotent_replayed, bool)
    assert_type(raw.request_id, str | None)

    slower = client.with_options(timeout=30.0, max_retries=0)
    assert_type(slower, Questline)

    with client.stream(user_id="u1") as stream:
        assert_type(stream, Stream[WebhookEvent])
        for message in stream:
            if message.type == "user.level.up":
                assert_type(message.data.level, int)

    try:
        client.users.retrieve("nobody")
    except NotFoundError as exc:
        assert_type(exc.status_code, Literal[404])
        assert_type(exc.request_id, str | None)
        assert_type(exc.problem, Problem | None)
        assert_type(exc.code, str | None)
    client.close()

    with Questline(api_key="k", http_client=httpx.Client()) as scoped:
        scoped.health.retrieve()


async def async_usage() -> None:
    async with AsyncQuestline(api_key="sk_test_x") as client:
        result = await client.events.send(user_id="u1", type="login")
        assert_type(result, EventResult)
        page = await client.users.list()
        assert_type(page, AsyncCursorPage[User])
        async for user in client.users.list():
            assert_type(user, User)
        report = await client.events.send_batch([], max_concurrency=2)
        assert_type(report, BatchReport)
        raw = await client.events.with_raw_response.send(user_id="u1", type="login")
        assert_type(raw, APIResponse[EventResult])
        stream = client.stream(types="user.level.up")
        assert_type(stream, AsyncStream[WebhookEvent])
        async for message in stream:
            assert_type(message.id, str)


def webhook_receiver(body: bytes, headers: dict[str, str]) -> str:
    try:
        event = questline.webhooks.verify(body, headers, ["whsec_old", "whsec_new"], tolerance=600)
    except WebhookVerificationError as exc:
        return exc.reason
    assert_type(event, WebhookEvent)
    if event.type == "user.badge.unlocked":
        return event.data.badge_id
    return event.id
