"""Every ```python block of README.md runs as written, against an in-process server.

Blocks are found by parsing the README, so a new example is tested the day it is added.
How a block runs depends on what it is:

* a block that starts its own ``mock_questline()`` runs bare;
* a block that defines ``test_*`` functions (pytest examples) is executed, then each test
  is called with a client on a fresh in-process project, as the ``questline`` fixture would;
* a webhook receiver block runs inside a Flask request carrying a delivery signed by
  ``questline.webhooks.sign``, with its ``"whsec_…"`` placeholder filled in;
* any other block runs inside ``mock_questline(base_url=...)`` on the URL the block names
  (``http://127.0.0.1:8787`` in the quick start), so its hard-coded ``base_url`` works.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask
import pytest
import questline
from questline.testing import mock_questline

README = Path(__file__).resolve().parents[2] / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
SECRET_PLACEHOLDER = '"whsec_…"'
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@dataclass(frozen=True)
class Block:
    name: str  # the section's heading, slugged, with a counter when it has several
    code: str


def python_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    seen: dict[str, int] = {}
    for match in FENCE.finditer(text):
        headings = HEADING.findall(text, 0, match.start())
        section = re.sub(r"[^a-z0-9]+", "-", (headings[-1] if headings else "top").lower())
        section = section.strip("-")
        seen[section] = seen.get(section, 0) + 1
        name = section if seen[section] == 1 else f"{section}-{seen[section]}"
        blocks.append(Block(name, match.group(1)))
    return blocks


# README examples that do not run today: block name -> the reason (reported to the README's
# owner). strict: once the cause is fixed the test fails until the entry is removed.
KNOWN_BROKEN: dict[str, tuple[type[Exception], str]] = {}


def run_bare(block: Block, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme", **names}
    exec(compile(block.code, f"README.md:{block.name}", "exec"), namespace)
    return namespace


def run_pytest_example(block: Block) -> dict[str, Any]:
    namespace = run_bare(block)
    tests = [f for name, f in namespace.items() if name.startswith("test_") and callable(f)]
    assert tests, "a pytest example without a test function"
    for test in tests:
        with mock_questline() as sandbox:
            test(sandbox.client)  # what the ``questline`` fixture gives
    return namespace


def run_webhook_receiver(block: Block) -> dict[str, Any]:
    body, message_id = badge_unlocked_delivery()
    headers = questline.webhooks.sign(body, SECRET, msg_id=message_id)
    code = block.code.replace(SECRET_PLACEHOLDER, repr(SECRET))
    app = flask.Flask("receiver")
    with app.test_request_context("/webhooks", method="POST", data=body, headers=headers):
        return run_bare(Block(block.name, code), request=flask.request)


def run_in_mock(block: Block) -> dict[str, Any]:
    urls = re.findall(r'base_url="(https?://[^"]+)"', block.code)
    options = {"base_url": urls[0]} if urls else {}
    with mock_questline(**options):
        return run_bare(block)


def runner_for(block: Block) -> Callable[[Block], dict[str, Any]]:
    if "mock_questline(" in block.code:
        return run_bare
    if re.search(r"^def test_", block.code, re.MULTILINE):
        return run_pytest_example
    if "webhooks.verify(" in block.code:
        return run_webhook_receiver
    return run_in_mock


def badge_unlocked_delivery() -> tuple[bytes, str]:
    """A real ``user.badge.unlocked`` envelope, as the server would deliver it."""
    with mock_questline() as sandbox:
        client = sandbox.client
        client.badges.upsert("helper", name="Helper")
        client.users.upsert("u1")
        client.users.badges.award("u1", badge_id="helper")
        [message] = [m for m in client.sandbox.webhooks.list() if m.type == "user.badge.unlocked"]
        envelope = {
            "id": message.id,
            "type": message.type,
            "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
            "project_id": message.project_id,
            "data": message.data,
        }
    return json.dumps(envelope).encode(), message.id


def check_first_event(namespace: dict[str, Any], printed: str) -> None:
    result = namespace["result"]
    assert result.effects.xp.granted == 100
    assert [(c.currency, c.amount) for c in result.effects.currencies] == [("coins", 25)]
    assert printed.startswith("100 ")


def check_webhook_receiver(namespace: dict[str, Any], printed: str) -> None:
    assert namespace["event"].type == "user.badge.unlocked"


CHECKS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "a-first-event": check_first_event,
    "in-a-webhook-receiver": check_webhook_receiver,
}

BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4
    assert set(KNOWN_BROKEN) <= {b.name for b in BLOCKS}, "a KNOWN_BROKEN entry is stale"


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(
            b,
            id=b.name,
            marks=[
                pytest.mark.xfail(
                    strict=True, raises=KNOWN_BROKEN[b.name][0], reason=KNOWN_BROKEN[b.name][1]
                )
            ]
            if b.name in KNOWN_BROKEN
            else [],
        )
        for b in BLOCKS
    ],
)
def test_readme_example_runs_as_written(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUESTLINE_API_KEY", raising=False)
    monkeypatch.delenv("QUESTLINE_BASE_URL", raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runner_for(block)(block)
    check = CHECKS.get(block.name)
    if check is not None:
        check(namespace, out.getvalue())
