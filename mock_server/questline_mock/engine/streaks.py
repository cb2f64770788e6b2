"""Questline engine: streaks processor (in progress)."""
