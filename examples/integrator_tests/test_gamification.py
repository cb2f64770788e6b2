"""An integrator's test suite for their gamification, using Questline's testing kit.

Two ways to get a Questline to test against, both from ``pip install questline[server]``:

* the ``questline`` fixture (from the pytest plugin): a client on a fresh sandbox project
  of a real local server, one per test;
* ``mock_questline()``: no server at all, every request answered in-process, including
  the application's own httpx calls.

Time and failures are under the test's control: ``client.sandbox.clock`` freezes and
advances the project's clock (streaks end when a day is missed), and
``client.sandbox.faults`` makes the next requests fail so the retry path is tested too.
"""

from __future__ import annotations

import pytest
from learning_app import PROGRAM, Gamification, top_learners
from questline import APIConnectionError, AsyncQuestline, Questline
from questline.testing import InstantBackoff, mock_questline

MONDAY = "2026-03-02T09:00:00Z"
DAY = 86_400


@pytest.fixture
def app(questline: Questline) -> Gamification:
    """The application wired to a fresh sandbox project, with the program loaded."""
    questline.sandbox.config.import_(PROGRAM)
    questline.sandbox.clock.set(MONDAY)
    return Gamification(questline)


def test_first_lesson_unlocks_the_badge(app: Gamification) -> None:
    assert app.lesson_completed("ada", score=90) == ["+60 XP", "Badge unlocked: first-lesson"]
    assert app.client.users.retrieve("ada").balances == {"coins": 5}


def test_second_lesson_reaches_level_two(app: Gamification) -> None:
    app.lesson_completed("ada", score=90)
    assert "Level 2 reached!" in app.lesson_completed("ada", score=80)


def test_streak_grows_day_by_day_and_ends_after_a_missed_day(app: Gamification) -> None:
    app.lesson_completed("ada", score=90)
    app.client.sandbox.clock.advance(seconds=DAY)
    assert "2-day streak" in app.lesson_completed("ada", score=90)
    swept = app.client.sandbox.clock.advance(seconds=2 * DAY)
    assert swept.swept.streaks_ended == 1
    assert app.streak("ada") == 0


def test_a_flaky_api_is_retried_through(app: Gamification) -> None:
    # Two 503s: the SDK retries (same Idempotency-Key, so nothing is applied twice).
    app.client.sandbox.faults.create(
        match={"path": "/v1/events"}, count=2, status=503, retry_after=0
    )
    assert app.lesson_completed("ada", score=90)[0] == "+60 XP"
    assert app.client.users.retrieve("ada").xp == 60


def test_an_unreachable_api_raises_after_the_retries(questline: Questline) -> None:
    backoff = InstantBackoff()  # the real schedule, minus the waiting
    client = Questline(api_key=questline.api_key, base_url=str(questline.base_url), backoff=backoff)
    client.sandbox.faults.create(match={"path": "/v1/events"}, count=3, drop=True)
    with pytest.raises(APIConnectionError):
        Gamification(client).lesson_completed("ada", score=90)
    assert len(backoff.waits) == 2  # max_retries defaults to 2
    client.close()


async def test_async_client(async_questline: AsyncQuestline) -> None:
    await async_questline.sandbox.config.import_(PROGRAM)
    result = await async_questline.events.send(user_id="bao", type="lesson_completed")
    assert result.effects.xp.granted == 60


@mock_questline(config=PROGRAM)
def test_in_process_with_the_apps_own_httpx_calls() -> None:
    app = Gamification()  # Questline() finds the mock through the environment
    for user, lessons in (("ada", 3), ("bao", 1), ("cy", 2)):
        for _ in range(lessons):
            app.lesson_completed(user, score=80)
    assert top_learners() == ["ada", "cy", "bao"]


def test_in_process_as_a_context_manager() -> None:
    with mock_questline(config=PROGRAM) as sandbox:
        sandbox.client.sandbox.clock.set(MONDAY)
        app = Gamification(sandbox.client)
        app.lesson_completed("ada", score=90)
        sandbox.client.sandbox.clock.advance(seconds=DAY)
        app.lesson_completed("ada", score=90)
        assert app.streak("ada") == 2
