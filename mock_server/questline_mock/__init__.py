"""Questline's stateful reference server: the full rules engine behind the HTTP API.

``create_app(config)`` builds the Flask app; ``questline-mock serve`` runs it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("questline")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
