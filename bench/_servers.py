"""Start a reference server for a benchmark: waitress (the CLI) or werkzeug's threaded
server, in memory or on SQLite, on a free port. Shared by the HTTP benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

API_KEY = "sk_test_questline"
_URL = re.compile(r"(http://\S+)")

_WERKZEUG = """
import sys
from werkzeug.serving import make_server
from questline_mock.app import create_app
from questline_mock.cli import tune_gc
from questline_mock.config import ServerConfig
db = sys.argv[1] or None
app = create_app(ServerConfig(db_path=db))
tune_gc()  # as the CLI's server does
server = make_server("127.0.0.1", 0, app, threaded=True)
print(f"on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
"""


def build() -> str:
    """Which build of the server this interpreter runs (the servers started here too):
    ``compiled (mypyc)`` from the wheel bench/compiled_venv.sh builds, or ``pure Python``."""
    from importlib.machinery import EXTENSION_SUFFIXES

    import questline_mock.engine.rules as rules

    compiled = (rules.__file__ or "").endswith(tuple(EXTENSION_SUFFIXES))
    return "compiled (mypyc)" if compiled else "pure Python"


@contextmanager
def running(kind: str = "waitress", storage: str = "memory") -> Iterator[str]:
    """Yield the base URL of a fresh server; ``kind`` is waitress or werkzeug."""
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db") if storage == "sqlite" else ""
        if kind == "waitress":
            args = [sys.executable, "-m", "questline_mock.cli", "serve", "--port", "0"]
            args += ["--db", db] if db else []
        else:
            args = [sys.executable, "-c", _WERKZEUG, db]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        try:
            assert proc.stdout is not None
            url = ""
            for line in proc.stdout:
                match = _URL.search(line)
                if match:
                    url = match.group(1)
                    break
            if not url:
                raise RuntimeError("server did not start")
            httpx.get(url + "/v1/health").raise_for_status()
            yield url
        finally:
            proc.terminate()
            proc.wait(30)


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)
