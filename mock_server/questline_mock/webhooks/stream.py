"""The live stream: outbox messages as Server-Sent Events frames, resumable by message id.

No Flask here: :func:`frames` is a plain generator the HTTP layer hands to a streamed
response (waitress sends it chunked; Flask's test client iterates it). It reads the outbox
in pages, never holding a read across a ``yield`` (the in-memory store's read is a lock),
and sleeps on :meth:`Backend.wait_for_outbox` between pages, so a commit wakes it at once
and a quiet stream sends a ``: keep-alive`` comment every ``heartbeat`` seconds (which is
also how a server notices a client that went away: the write fails).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..domain import OutboxMessage
from ..storage.base import iter_all
from .outbox import envelope

if TYPE_CHECKING:
    from ..backend.core import ProjectScope

PAGE = 100
OPENED = ": stream open\n\n"
KEEP_ALIVE = ": keep-alive\n\n"


def resume_seq(scope: ProjectScope, last_event_id: str | None) -> int:
    """The outbox position to stream after.

    With no ``Last-Event-ID`` the stream starts live (after the newest message). With one,
    it resumes after that message; if the message is gone (its user was erased, the project
    reset), after the last message whose id sorts at or before it, since ids sort by time
    (the one case that reads the outbox through).
    """
    position = 0
    with scope.read() as view:
        if last_event_id is None:
            return view.newest_message_seq()
        found = view.get_message(last_event_id)
        if found is not None:
            return found.seq
        for message in iter_all(lambda c: view.list_messages(500, c)):
            if message.id > last_event_id:
                break
            position = message.seq
    return position


def frame(message: OutboxMessage, project_id: str) -> str:
    data = json.dumps(envelope(message, project_id))
    return f"id: {message.id}\nevent: {message.type}\ndata: {data}\n\n"


def frames(
    scope: ProjectScope,
    after_seq: int,
    user_id: str | None,
    types: Sequence[str] | None,
    heartbeat: float,
) -> Iterator[str]:
    """Every matching message after ``after_seq``, then each new one as it is committed,
    until the backend closes (or the consumer stops iterating)."""
    backend = scope.backend
    yield OPENED
    last = after_seq
    while not backend.closed.is_set():
        # Note the outbox version before reading, so a commit between the read and the
        # wait below wakes the wait instead of being missed.
        seen = backend.outbox_version
        with scope.read() as view:
            page = view.list_messages(PAGE, user_id=user_id, types=types, after_seq=last)
        for message in page.items:
            yield frame(message, scope.project.id)
            last = message.seq
        if page.items:
            continue
        if backend.wait_for_outbox(heartbeat, seen) == seen and not backend.closed.is_set():
            yield KEEP_ALIVE
