"""A real webhook receiver on a loopback port, scripted per test.

``ThreadingHTTPServer`` bound to port 0 in a daemon thread. Each request is recorded (raw
body and headers) and answered from a script of responses, then 200 once the script runs
out. Tests wait on :meth:`Receiver.wait_for` (a condition with a deadline), never on time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.support.loopback import LoopbackServer


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    path: str
    status: int  # what the receiver answered

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


class Receiver:
    """``url`` to register, ``requests`` seen so far, ``script`` of replies to give."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.default = Reply()
        # Called (once) while the next request is being answered: what a client does while
        # a delivery is on the wire.
        self.during: Callable[[], None] | None = None
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                with receiver._changed:
                    reply = receiver.script.pop(0) if receiver.script else receiver.default
                    during, receiver.during = receiver.during, None
                if during is not None:
                    during()
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
                with receiver._changed:
                    receiver.requests.append(Received(headers, body, self.path, reply.status))
                    receiver._changed.notify_all()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = LoopbackServer(Handler)
        self.url = self._server.url

    def fail_next(self, count: int, status: int = 503, **headers: str) -> None:
        with self._changed:
            self.script.extend(Reply(status, dict(headers), b"not now") for _ in range(count))

    def wait_for(
        self, predicate: Callable[[list[Received]], bool], timeout: float = 10.0
    ) -> list[Received]:
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.requests), timeout):
                raise AssertionError(f"receiver saw {len(self.requests)} requests; not as expected")
            return list(self.requests)

    def close(self) -> None:
        self._server.close()
