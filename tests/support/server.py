"""A real ``questline-mock serve`` process on a free port, for tests that need one."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

URL_LINE = re.compile(r"on (http://\S+)")


class ServerProcess:
    """Start with ``ServerProcess(db=...).start()``; ``kill()`` is SIGKILL, ``stop()`` SIGTERM."""

    def __init__(
        self, db: Path | None = None, api_key: str = "sk_test_questline", *extra: str
    ) -> None:
        self.db = db
        self.api_key = api_key
        self.extra = extra
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self, timeout: float = 30.0) -> ServerProcess:
        args = [
            sys.executable,
            "-m",
            "questline_mock.cli",
            "serve",
            "--port",
            "0",
            "--api-key",
            self.api_key,
        ]
        if self.db is not None:
            args += ["--db", str(self.db)]
        args += list(self.extra)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert self.process.stdout is not None
        # The server prints its URL once it is listening; read until then (bounded by the
        # process exiting, which closes stdout).
        for line in self.process.stdout:
            found = URL_LINE.search(line)
            if found:
                self.base_url = found.group(1)
                break
        if not self.base_url:
            raise RuntimeError(f"server did not start (exit code {self.process.wait(timeout)})")
        httpx.get(self.base_url + "/v1/health", timeout=timeout).raise_for_status()
        return self

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=timeout,
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
