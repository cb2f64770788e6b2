"""Questline reference server."""
