"""An authenticated Flask test client that checks every response against the spec."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.test import TestResponse

from .spec import check_response

DEFAULT_KEY = "sk_test_questline"


class SpecCheckedClient:
    """``client.post("/v1/events", json=...)`` with the API key set and the reply validated."""

    def __init__(
        self, app: Flask, api_key: str | None = DEFAULT_KEY, *, check: bool = True
    ) -> None:
        self.app = app
        self.api_key = api_key
        self.check = check
        self._client = app.test_client()

    def with_key(self, api_key: str | None) -> SpecCheckedClient:
        return SpecCheckedClient(self.app, api_key, check=self.check)

    def open(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", None) or {})
        if self.api_key is not None:
            headers.setdefault("Authorization", f"Bearer {self.api_key}")
        response = self._client.open(path, method=method, headers=headers, **kwargs)
        if self.check:
            check_response(
                method,
                path.split("?")[0],
                response.status_code,
                response.content_type or "",
                response.get_data(),
            )
        assert response.headers.get("X-Request-Id"), "every response carries X-Request-Id"
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> TestResponse:
        return self.open("DELETE", path, **kwargs)
