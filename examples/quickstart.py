"""Questline quickstart: configure a small program, send events, see what the engine did.

    python examples/quickstart.py                   # no server: runs in-process
    python examples/quickstart.py --serve           # starts questline-mock serve, keeps it up
    python examples/quickstart.py --serve --exit    # ... and stops it when the demo ends
    python examples/quickstart.py --base-url http://127.0.0.1:8787 [--api-key KEY]

The demo runs in a fresh sandbox project with its clock frozen at a Monday morning, so it
prints the same story every time: three learners complete lessons, earn XP, level up,
collect coins, unlock a badge and build daily streaks (one of them counted in Tokyo days),
then the clock jumps ahead and the weekly leaderboard shows the top three.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Sequence

from questline import Questline
from questline.testing import LiveServer, mock_questline
from questline.types import EventResult

MONDAY_9AM = "2026-03-02T09:00:00Z"
HOUR = 3600


def configure(client: Questline) -> None:
    """The program: four levels, coins, a lesson rule, a badge, a streak, a leaderboard."""
    client.levels.upsert(
        levels=[
            {"level": 1, "min_xp": 0, "name": "Rookie"},
            {"level": 2, "min_xp": 100, "name": "Regular"},
            {"level": 3, "min_xp": 250, "name": "Expert"},
            {"level": 4, "min_xp": 500, "name": "Master"},
        ]
    )
    client.currencies.upsert("coins", name="Coins")
    client.rules.upsert(
        "lesson-reward",
        name="Lesson reward",
        trigger={"event_type": "lesson_completed"},
        actions=[
            {"type": "grant_xp", "amount": 60},
            # 10 % of the lesson's score, in coins.
            {
                "type": "grant_currency",
                "currency": "coins",
                "amount": {"from": "properties.score", "multiply": 0.1},
            },
        ],
    )
    client.badges.upsert(
        "first-lesson", name="First lesson", criteria={"event_type": "lesson_completed"}
    )
    client.streaks.upsert(
        "daily-learning",
        name="Daily learning",
        period="day",
        criteria={"event_type": "lesson_completed"},
        milestones=[
            {"count": 2, "rewards": [{"type": "grant_currency", "currency": "coins", "amount": 20}]}
        ],
    )
    client.leaderboards.upsert(
        "weekly-xp", name="Weekly XP", metric={"type": "xp"}, period="week", timezone="UTC"
    )


def lesson(client: Questline, user_id: str, score: int) -> None:
    """One ``lesson_completed`` event, and what it earned."""
    result = client.events.send(
        user_id=user_id, type="lesson_completed", properties={"score": score}
    )
    print(f"  {user_id} completes a lesson (score {score})")
    for line in describe(result):
        print(f"      {line}")


def describe(result: EventResult) -> list[str]:
    effects = result.effects
    lines = [f"+{effects.xp.granted} XP (total {effects.xp.total}, level {effects.xp.level})"]
    lines += [f"LEVEL UP -> level {level}" for level in effects.xp.level_ups]
    lines += [
        f"{change.amount:+d} {change.currency} (balance {change.balance})"
        for change in effects.currencies
    ]
    lines += [
        f"badge unlocked: {badge.badge_id}" + (f" ({badge.tier})" if badge.tier else "")
        for badge in effects.badges_awarded
    ]
    for streak in effects.streaks:
        milestone = f", milestone {streak.milestone} reached" if streak.milestone else ""
        lines.append(f"streak {streak.streak_id}: {streak.count} ({streak.status}){milestone}")
    return lines


def advance(client: Questline, seconds: int, why: str) -> None:
    result = client.sandbox.clock.advance(seconds=seconds)
    print(f"\n[clock +{seconds // HOUR}h -> {result.now:%a %d %b %H:%M} UTC] {why}")
    if result.swept.streaks_ended:
        print(f"  {result.swept.streaks_ended} streak(s) ended: a day went by without a lesson")


def run_demo(client: Questline) -> None:
    """Configure the program and play a short week in a fresh sandbox project."""
    project = client.sandbox.projects.create()
    print(f"Sandbox project {project.project_id} (API key {project.api_key})")
    with Questline(api_key=project.api_key, base_url=client.base_url) as demo:
        demo.sandbox.clock.set(MONDAY_9AM)
        configure(demo)
        print("Program: 4 levels, coins, a lesson rule, a badge, a daily streak, weekly XP board")
        demo.users.upsert("ada", display_name="Ada", timezone="UTC")
        demo.users.upsert("bao", display_name="Bao", timezone="Asia/Tokyo")
        demo.users.upsert("cy", display_name="Cy", timezone="UTC")

        print("\n[Mon 02 Mar 09:00 UTC] everyone starts")
        lesson(demo, "ada", 90)
        lesson(demo, "bao", 100)
        lesson(demo, "cy", 70)

        advance(demo, 12 * HOUR, "21:00 in London, already 06:00 Tuesday in Tokyo")
        lesson(demo, "ada", 80)  # same UTC day: ada's streak stays at 1
        lesson(demo, "bao", 95)  # a new day in Tokyo: bao's streak reaches 2

        advance(demo, 24 * HOUR, "Tuesday evening")
        lesson(demo, "ada", 100)
        lesson(demo, "ada", 85)

        advance(demo, 3 * 24 * HOUR, "three quiet days")
        print("\nWeekly XP leaderboard, top 3:")
        for entry in demo.leaderboards.rankings("weekly-xp", limit=3).data:
            print(f"  #{entry.rank} {entry.user_id:<4} {entry.score:>5.0f} XP")
        ada = demo.users.retrieve("ada")
        print(f"\nada: level {ada.level}, {ada.xp} XP, balances {ada.balances}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--base-url", help="use the Questline server at this URL")
    where.add_argument(
        "--serve", action="store_true", help="start questline-mock serve for the demo"
    )
    parser.add_argument("--api-key", help="with --base-url (default: $QUESTLINE_API_KEY)")
    parser.add_argument(
        "--exit", action="store_true", help="with --serve: stop the server after the demo"
    )
    parser.add_argument(
        "--port", type=int, help="with --serve: the port (default 8787 if free, else any)"
    )
    return parser.parse_args(argv)


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.base_url:
        api_key = args.api_key or os.environ.get("QUESTLINE_API_KEY") or "sk_test_questline"
        with Questline(api_key=api_key, base_url=args.base_url) as client:
            run_demo(client)
        return 0
    if args.serve:
        # The README's snippets talk to 127.0.0.1:8787: serve there when it is free.
        port = args.port if args.port is not None else (8787 if _port_free(8787) else 0)
        with LiveServer(port=port) as server:
            print(f"Started questline-mock serve at {server.base_url}\n")
            with server.client() as client:
                run_demo(client)
            if not args.exit:
                print(f"\nThe server is still running at {server.base_url}")
                print(f"  API key: {server.api_key}  (the demo's own project key is above)")
                print("  Stop it with Ctrl+C.")
                try:
                    assert server.process is not None
                    server.process.wait()
                except KeyboardInterrupt:
                    print("\nstopping")
        return 0
    print("No server given: running in-process (mock_questline)\n")
    with mock_questline() as sandbox:
        run_demo(sandbox.client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
