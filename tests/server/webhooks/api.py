"""A small client for these tests: every call names its operation and asserts the status;
replies of the operations this feature owns are validated against openapi.yaml (other
areas have their own conformance tests, and their drift should not fail these)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.server.webhooks.spec_check import check

KEY = "sk_test_questline"
VALIDATED = ("webhookEndpoints", "sandboxWebhooksList", "sandboxClockAdvance", "streamEvents")


class Api:
    def __init__(self, app: Flask, key: str = KEY) -> None:
        self.app = app
        self.key = key
        self._client = app.test_client()

    def __call__(
        self,
        operation_id: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        sent = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        response = self._client.open(path, method=method, json=json, headers=sent)
        text = response.get_data(as_text=True)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {text}"
        body = response.get_json() if text else None
        if operation_id.startswith(VALIDATED):
            check(operation_id, response.status_code, body)
        return body

    # -- the calls most tests make ------------------------------------------------------------
    def create_endpoint(self, url: str, **fields: Any) -> Any:
        body = {"url": url, **fields}
        return self(
            "webhookEndpointsCreate", "POST", "/v1/webhook_endpoints", json=body, expect=201
        )

    def send_event(self, user_id: str = "u1", type: str = "login", **properties: Any) -> Any:
        body = {"user_id": user_id, "type": type, "properties": properties}
        return self("eventsSend", "POST", "/v1/events", json=body)

    def advance(self, seconds: int) -> Any:
        path = "/v1/sandbox/clock/advance"
        return self("sandboxClockAdvance", "POST", path, json={"seconds": seconds})["swept"]

    def deliveries(self, endpoint_id: str) -> list[Any]:
        path = f"/v1/webhook_endpoints/{endpoint_id}/deliveries?limit=100"
        return list(self("webhookEndpointsDeliveriesList", "GET", path)["data"])

    def sandbox_messages(self) -> list[Any]:
        return list(self("sandboxWebhooksList", "GET", "/v1/sandbox/webhooks?limit=100")["data"])
