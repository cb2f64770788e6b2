"""Questline's testing kit: test your gamification end to end, on your own machine.

* ``mock_questline()`` answers the SDK's (and your application's own httpx) requests with
  an in-process reference server, as a context manager, async context manager or
  decorator; each use starts from an empty project.
* The pytest plugin (registered on install) gives the fixtures ``questline_server`` (a
  live ``questline-mock serve`` for the session), ``questline`` and ``async_questline``
  (clients bound to a fresh sandbox project per test).
* ``LiveServer`` starts that live server outside pytest; ``InstantBackoff`` makes the
  SDK's retries instant while recording the waits it would have made.

Nothing here imports the server or respx until it is used, so the plugin loads even
where only the SDK is installed.
"""

from __future__ import annotations

from ._backoff import InstantBackoff
from ._inprocess import DEFAULT_BASE_URL, MockQuestline, mock_questline
from ._server import DEFAULT_API_KEY, LiveServer, ServerStartError

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_BASE_URL",
    "InstantBackoff",
    "LiveServer",
    "MockQuestline",
    "ServerStartError",
    "mock_questline",
]
