"""The integrator's own application code, the thing their tests exercise.

A learning app reports finished lessons to Questline and shows the learner what they
earned; a widget on its home page lists the week's top learners by calling the REST API
with plain httpx (not every part of an application uses the SDK). ``PROGRAM`` is the
gamification configuration the app expects, kept in the repository beside the code and
loaded into Questline with ``client.sandbox.config.import_`` or ``questline-mock serve
--seed``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from questline import Questline

PROGRAM: dict[str, Any] = {
    "levels": [
        {"level": 1, "min_xp": 0, "name": "Rookie"},
        {"level": 2, "min_xp": 100, "name": "Regular"},
        {"level": 3, "min_xp": 300, "name": "Expert"},
    ],
    "currencies": [{"id": "coins", "name": "Coins"}],
    "badges": [
        {
            "id": "first-lesson",
            "name": "First lesson",
            "criteria": {"event_type": "lesson_completed"},
        }
    ],
    "streaks": [
        {
            "id": "daily-learning",
            "period": "day",
            "criteria": {"event_type": "lesson_completed"},
        }
    ],
    "leaderboards": [{"id": "weekly-xp", "metric": {"type": "xp"}, "period": "week"}],
    "rules": [
        {
            "id": "lesson-reward",
            "trigger": {"event_type": "lesson_completed"},
            "actions": [
                {"type": "grant_xp", "amount": 60},
                {"type": "grant_currency", "currency": "coins", "amount": 5},
            ],
        }
    ],
}


class Gamification:
    """Reports lessons to Questline and turns the effects into messages for the learner."""

    def __init__(self, client: Questline | None = None) -> None:
        self.client = client or Questline()  # QUESTLINE_API_KEY / QUESTLINE_BASE_URL

    def lesson_completed(self, user_id: str, score: int) -> list[str]:
        result = self.client.events.send(
            user_id=user_id, type="lesson_completed", properties={"score": score}
        )
        effects = result.effects
        messages = [f"+{effects.xp.granted} XP"]
        messages += [f"Level {level} reached!" for level in effects.xp.level_ups]
        messages += [f"Badge unlocked: {badge.badge_id}" for badge in effects.badges_awarded]
        messages += [f"{s.count}-day streak" for s in effects.streaks if s.count > 1]
        return messages

    def streak(self, user_id: str) -> int:
        for streak in self.client.users.streaks.list(user_id).data:
            if streak.streak_id == "daily-learning":
                return streak.count if streak.status == "active" else 0
        return 0


def top_learners(limit: int = 3) -> list[str]:
    """The home page widget: plain httpx against the REST API."""
    with httpx.Client(
        base_url=os.environ["QUESTLINE_BASE_URL"],
        headers={"Authorization": f"Bearer {os.environ['QUESTLINE_API_KEY']}"},
    ) as http:
        response = http.get("/v1/leaderboards/weekly-xp/rankings", params={"limit": limit})
        response.raise_for_status()
        return [entry["user_id"] for entry in response.json()["data"]]
