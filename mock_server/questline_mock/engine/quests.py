"""Questline engine: quests processor (in progress)."""
