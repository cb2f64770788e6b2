"""A loopback webhook receiver for the crash-safety test.

A ``ThreadingHTTPServer`` on 127.0.0.1, port 0, in a daemon thread, that outlives the
server processes it receives from (so the endpoint URL stays valid across restarts). It
records every ``webhook-id`` it is sent and answers 200, except the first attempt of about
one message in four (chosen by a hash of the id, so the same ids fail on every run), which it
answers 503: those messages sit in the outbox with a retry scheduled on the project clock,
which is what a kill must not lose.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.support.loopback import LoopbackServer


def refused_at_first(webhook_id: str) -> bool:
    return zlib.crc32(webhook_id.encode()) % 4 == 0


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


class CrashReceiver:
    """``attempts`` per webhook-id; ``delivered`` holds the first delivery answered 200.

    A request whose body ends before its ``content-length`` (the sender died mid-send) is
    counted in ``truncated`` and not as an attempt: it was never a delivery."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.delivered: dict[str, Delivery] = {}
        self.malformed = 0  # requests without a webhook-id header
        self.truncated = 0  # bodies cut short (the sender was killed while sending)
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                webhook_id = headers.get("webhook-id")
                with receiver._changed:
                    if len(body) < length:
                        receiver.truncated += 1  # nobody is left to answer
                        return
                    if webhook_id is None:
                        receiver.malformed += 1
                        status = 400
                    else:
                        receiver.attempts[webhook_id] += 1
                        first = receiver.attempts[webhook_id] == 1
                        status = 503 if first and refused_at_first(webhook_id) else 200
                        if status == 200:
                            receiver.delivered.setdefault(webhook_id, Delivery(headers, body))
                    receiver._changed.notify_all()
                # The sender may have been killed meanwhile: then nobody reads the answer.
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = LoopbackServer(Handler)
        self.url = self._server.url

    def wait_until(self, predicate: Callable[[CrashReceiver], bool], timeout: float) -> bool:
        """Wait (bounded) until ``predicate(self)`` holds; returns whether it does."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def snapshot(self) -> tuple[Counter[str], dict[str, Delivery]]:
        with self._changed:
            return Counter(self.attempts), dict(self.delivered)

    def close(self) -> None:
        self._server.close()
