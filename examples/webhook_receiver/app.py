"""A Questline webhook receiver: verify every delivery, handle each message once.

    QUESTLINE_WEBHOOK_SECRET=whsec_... python examples/webhook_receiver/app.py [--port 5001]

then point a webhook endpoint at it (``client.webhook_endpoints.create(url=
"http://127.0.0.1:5001/webhooks/questline")`` returns the secret to use).

Three rules every receiver should follow, and this one does:

1. Verify before trusting: ``questline.webhooks.verify`` checks the Standard Webhooks
   signature over the raw body and the timestamp's freshness, and returns a typed event.
   Anything that fails is answered 400 and ignored.
2. Expect duplicates: delivery is at least once, and a retry carries the same
   ``webhook-id``. Remember the ids handled (here in memory; in production a table with a
   unique key, written in the same transaction as the handling) and acknowledge repeats
   without handling them again.
3. Answer fast with a 2xx (204 here), so Questline does not retry a delivery that worked.
"""

from __future__ import annotations

import argparse
import os
import threading

import questline
from flask import Flask, Response, request
from questline import WebhookVerificationError
from questline.types import WebhookEvent


class Inbox:
    """What the receiver handled, once per ``webhook-id`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self.handled: list[WebhookEvent] = []

    def accept(self, webhook_id: str, event: WebhookEvent) -> bool:
        """Record the event; False if this id was handled already."""
        with self._lock:
            if webhook_id in self._seen:
                return False
            self._seen.add(webhook_id)
            self.handled.append(event)
            return True


def describe(event: WebhookEvent) -> str:
    """What the application would do; here, a line for the log."""
    data = event.data
    user = getattr(data, "user_id", None)
    if event.type == "user.badge.unlocked":
        return f"{user} unlocked badge {event.data.badge_id}"
    if event.type == "user.level.up":
        return f"{user} reached level {event.data.level}"
    return f"{event.type} for {user}"


def create_app(secret: str | list[str] | None = None) -> Flask:
    """The receiver; ``secret`` defaults to ``$QUESTLINE_WEBHOOK_SECRET`` (a list during a
    secret rotation: a delivery signed with either is accepted)."""
    app = Flask(__name__)
    secrets = secret or os.environ["QUESTLINE_WEBHOOK_SECRET"]
    inbox = Inbox()
    app.extensions["inbox"] = inbox

    @app.post("/webhooks/questline")
    def receive() -> Response | tuple[dict[str, str], int]:
        try:
            event = questline.webhooks.verify(request.get_data(), request.headers, secrets)
        except WebhookVerificationError as exc:
            return {"error": exc.reason, "detail": str(exc)}, 400
        if inbox.accept(request.headers["webhook-id"], event):
            app.logger.info(describe(event))
        return Response(status=204)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Questline webhook receiver example")
    parser.add_argument("--port", type=int, default=5001)
    args = parser.parse_args()
    from waitress import serve

    print(f"Receiving Questline webhooks on http://127.0.0.1:{args.port}/webhooks/questline")
    serve(create_app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
