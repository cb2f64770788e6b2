"""Questline engine: leaderboards processor (in progress)."""
