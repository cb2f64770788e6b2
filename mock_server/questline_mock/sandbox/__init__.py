"""Sandbox controls: the project clock, fault injection, project creation and reset."""
