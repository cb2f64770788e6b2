"""Malformed and hostile bodies get a 4xx problem, never a 500 and never a hang.

Two tables: hand-made hostile bodies for every operation with a body (huge numbers, deep
nesting, invalid UTF-8, NUL bytes, very long strings and ids), and, generated from the
spec, a wrong-typed value in every field of every request schema. Each request runs
under a time limit.
"""

from __future__ import annotations

import concurrent.futures
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from questline_mock.app import create_app
from questline_mock.config import ServerConfig

from tests.conformance.spec_walk import deref, operations, schemas
from tests.conformance.test_sdk_matches_spec import BODIES, PATH_VALUES
from tests.support.client import SpecCheckedClient

TIME_LIMIT = 10.0  # seconds per request
BODY_OPERATIONS = [(method, path, op) for method, path, op in operations() if "requestBody" in op]


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    app = create_app(ServerConfig(api_key="sk_test_fuzz", background_workers=False))
    yield app
    app.extensions["questline"].close()


@pytest.fixture(scope="module")
def pool() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


def send(
    app: Flask,
    pool: concurrent.futures.ThreadPoolExecutor,
    method: str,
    template: str,
    data: bytes,
) -> tuple[int, dict[str, Any]]:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "first_purchase"), template)
    client = SpecCheckedClient(app, "sk_test_fuzz")
    future = pool.submit(
        client.open,
        method.upper(),
        path,
        data=data,
        headers={"Content-Type": "application/json"},
    )
    response = future.result(timeout=TIME_LIMIT)  # a hang fails here
    body = response.get_json(silent=True) or {}
    return response.status_code, body


def hostile_bodies() -> Iterator[tuple[str, bytes]]:
    def nest(depth: int) -> str:
        return '{"a":' * depth + "1" + "}" * depth

    yield "huge integer", b'{"amount": ' + b"9" * 5000 + b"}"
    yield "huge exponent", b'{"amount": 1e999999}'
    yield "NaN", b'{"amount": NaN}'
    yield "deep object", nest(5000).encode()
    yield "deep array", b"[" * 100_000 + b"]" * 100_000
    yield "invalid UTF-8", b'{"name": "\xff\xfe\xc3\x28"}'
    yield "NUL bytes", b'{"name": "a\x00b", "user_id": "u\\u0000"}'
    yield "lone surrogate", b'{"name": "\\ud800"}'
    yield "very long string", json.dumps({"name": "x" * 900_000}).encode()
    yield "very long id", json.dumps({"user_id": "u" * 100_000, "type": "x"}).encode()
    yield "not an object", b"[1, 2, 3]"
    yield "truncated", b'{"name": '
    yield "empty", b""
    yield "duplicate keys", b'{"name": "a", "name": 5}'


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    BODY_OPERATIONS,
    ids=[op["operationId"] for _, _, op in BODY_OPERATIONS],
)
def test_hostile_bodies_get_a_4xx_problem(
    app: Flask,
    pool: concurrent.futures.ThreadPoolExecutor,
    method: str,
    path: str,
    operation: dict[str, Any],
) -> None:
    for name, data in hostile_bodies():
        status, body = send(app, pool, method, path, data)
        label = f"{operation['operationId']} with {name}"
        if status < 400:
            # Lenient but harmless: a body that happens to be valid for this operation.
            assert name in {"duplicate keys", "NUL bytes", "very long string", "lone surrogate"}
            continue
        assert 400 <= status < 500, f"{label}: {status} {body}"
        assert body.get("code") and body.get("status") == status, label


WRONG_VALUES: list[Any] = [None, True, 7, 1.5, "x", [], {}, -(2**70)]


def wrong_values_for(node: dict[str, Any]) -> list[Any]:
    """Values of the wrong JSON type for a schema (checked with its declared types)."""
    node = deref(node)
    types: set[str] = set()
    for option in node.get("anyOf", node.get("oneOf", [node])):
        kind = deref(option).get("type")
        types.update(kind if isinstance(kind, list) else [kind] if kind else ["any"])
    if "any" in types:
        return []
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    wrong = []
    for value in WRONG_VALUES:
        kind = "null" if value is None else names.get(type(value))
        kind = kind or ("array" if isinstance(value, list) else "object")
        if kind == "integer" and "number" in types:
            continue
        if kind not in types:
            wrong.append(value)
    return wrong


def typo_cases() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for method, path, operation in BODY_OPERATIONS:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        name = ref.rsplit("/", 1)[-1]
        base = BODIES[name]
        for field, node in schemas()[name].get("properties", {}).items():
            for value in wrong_values_for(node):
                yield method, path, f"{name}.{field}={value!r:.20}", {**base, field: value}


TYPO_CASES = list(typo_cases())


@pytest.mark.parametrize(
    ("method", "path", "label", "body"), TYPO_CASES, ids=[case[2] for case in TYPO_CASES]
)
def test_a_wrong_type_in_any_field_is_a_422_naming_it(
    app: Flask,
    pool: concurrent.futures.ThreadPoolExecutor,
    method: str,
    path: str,
    label: str,
    body: dict[str, Any],
) -> None:
    status, problem = send(app, pool, method, path, json.dumps(body).encode())
    assert status == 422, f"{label}: {status} {problem}"
    field = label.split(".", 1)[1].split("=", 1)[0]
    assert any(err["loc"][:2] == ["body", field] for err in problem["errors"]), problem
