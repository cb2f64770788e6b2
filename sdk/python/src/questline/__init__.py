"""Questline Python SDK."""
