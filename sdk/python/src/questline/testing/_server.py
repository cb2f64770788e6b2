"""A live reference server in a subprocess: ``questline-mock serve --port 0``.

The ``questline_server`` fixture and ``examples/quickstart.py --serve`` both need a real
server on a real socket, so that the SDK's HTTP stack, retries and connection handling
are exercised exactly as in production. A subprocess (rather than a thread) keeps the
server's state, threads and logging out of the test process, and is what an integrator
runs by hand. Port 0 lets the OS pick a free port; the server prints the URL it bound,
which is read back from its stdout.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from typing_extensions import Self

from .._client import Questline
from ..types import SandboxProject

__all__ = ["DEFAULT_API_KEY", "LiveServer", "ServerStartError"]

DEFAULT_API_KEY = "sk_test_questline"
_URL_LINE = re.compile(r"Questline reference server on (?P<url>https?://\S+)")


class ServerStartError(RuntimeError):
    """The server subprocess exited or stayed silent instead of printing its URL."""


class LiveServer:
    """``questline-mock serve`` on a free port (or ``port``), stopped by :meth:`stop` (or ``with``).

    ``base_url`` and ``api_key`` (the default project's key) are set once started;
    :meth:`new_project` makes an isolated sandbox project, which is how tests avoid
    seeing each other's users and definitions.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str | os.PathLike[str] | None = None,
        db: str | os.PathLike[str] | None = None,
        log_path: str | os.PathLike[str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.api_key = api_key
        self.base_url = ""
        self.log_path = Path(log_path) if log_path is not None else None
        self._command = [
            sys.executable,
            "-m",
            "questline_mock.cli",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--api-key",
            api_key,
            *(["--seed", os.fspath(seed)] if seed is not None else []),
            *(["--db", os.fspath(db)] if db is not None else []),
            *extra_args,
        ]
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def start(self, timeout: float = 30.0) -> Self:
        """Start the subprocess and wait (up to ``timeout`` seconds) for its URL."""
        if self.process is not None:
            raise RuntimeError("this server is already started")
        self._log = open(self.log_path, "w") if self.log_path else None  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            self._command,
            stdout=subprocess.PIPE,
            # Without a log file stderr joins stdout, so a failed start can say why.
            stderr=self._log if self._log is not None else subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        # Drain stdout for the server's whole life so it can never block on a full pipe.
        threading.Thread(
            target=_pump, args=(self.process.stdout, lines), daemon=True, name="questline-stdout"
        ).start()
        seen: list[str] = []
        while True:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                self.stop()
                raise ServerStartError(f"no URL from the server within {timeout}s") from None
            if line is None:
                self.stop()
                raise ServerStartError(self._failure("exited before serving", seen))
            seen.append(line)
            found = _URL_LINE.search(line)
            if found:
                self.base_url = found["url"]
                return self

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s) and wait for it."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def client(self, **options: Any) -> Questline:
        """A client on the default project (``options`` as for :class:`Questline`)."""
        return Questline(api_key=self.api_key, base_url=self.base_url, **options)

    def new_project(self) -> SandboxProject:
        """A fresh, empty sandbox project with its own API key."""
        with Questline(api_key=self.api_key, base_url=self.base_url) as admin:
            return admin.sandbox.projects.create()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _failure(self, what: str, stdout: list[str]) -> str:
        detail = "".join(stdout)
        if self.log_path is not None and self.log_path.exists():
            detail += self.log_path.read_text(errors="replace")[-2000:]
        hint = ""
        if "No module named" in detail and "questline_mock" in detail:
            hint = "\nThe reference server is not installed: pip install 'questline[server]'"
        return f"questline-mock {what}: {' '.join(self._command)}\n{detail}{hint}"


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)
