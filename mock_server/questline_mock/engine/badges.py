"""Questline engine: badges processor (in progress)."""
