"""Questline engine: periods processor (in progress)."""
