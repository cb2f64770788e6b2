"""Valid response bodies (per openapi.yaml) and a sleep recorder for the SDK's unit tests."""

from __future__ import annotations

from typing import Any

NOW = "2025-03-14T09:26:53Z"


def event(user_id: str = "u1", event_id: str = "order_1", type: str = "login") -> dict[str, Any]:
    return {
        "id": "evt_01JQ3Z0W4T5Q0YB1N8Y0S9C2HX",
        "event_id": event_id,
        "user_id": user_id,
        "type": type,
        "properties": {},
        "occurred_at": NOW,
        "received_at": NOW,
        "status": "processed",
    }


def event_result(event_id: str = "order_1", replayed: bool = False) -> dict[str, Any]:
    return {
        "event": event(event_id=event_id),
        "replayed": replayed,
        "effects": {
            "xp": {"granted": 10, "total": 10, "level": 1, "level_ups": []},
            "currencies": [],
            "badges_awarded": [],
            "badge_progress": [],
            "quests": [],
            "streaks": [],
            "rewards": [],
            "rules_triggered": [],
        },
    }


def user(user_id: str = "u1", **extra: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "display_name": None,
        "email": None,
        "timezone": "UTC",
        "traits": {},
        "xp": 0,
        "level": 1,
        "balances": {},
        "created_at": NOW,
        "updated_at": NOW,
        "last_event_at": None,
        **extra,
    }


def user_list(ids: list[str], next_cursor: str | None = None) -> dict[str, Any]:
    return {
        "data": [user(i) for i in ids],
        "has_more": next_cursor is not None,
        "next_cursor": next_cursor,
    }


def user_badge(badge_id: str) -> dict[str, Any]:
    return {
        "badge_id": badge_id,
        "name": "First",
        "description": None,
        "image_url": None,
        "awarded": True,
        "award_count": 1,
        "tier": None,
        "progress": 1,
        "target": 1,
        "awarded_at": NOW,
    }


def problem(status: int, code: str, detail: str = "it went wrong") -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Problem",
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": "req_problem",
    }


def batch_result(
    events: list[dict[str, Any]], failed: frozenset[int] = frozenset()
) -> dict[str, Any]:
    results = []
    for index, sent in enumerate(events):
        if index in failed:
            results.append(
                {
                    "index": index,
                    "status": "failed",
                    "result": None,
                    "error": problem(422, "validation_error"),
                }
            )
        else:
            results.append(
                {
                    "index": index,
                    "status": "processed",
                    "result": event_result(str(sent["event_id"])),
                    "error": None,
                }
            )
    return {
        "results": results,
        "processed": len(events) - len(failed),
        "replayed": 0,
        "failed": len(failed),
    }


class SleepRecorder:
    """Stands in for time.sleep / asyncio.sleep and remembers each wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.delays.append(seconds)
