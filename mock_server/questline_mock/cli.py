"""``questline-mock serve``: run the reference server.

Served by waitress, a production WSGI server (measured against werkzeug's threaded server:
see bench/README.md), never Flask's debug server.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .config import DEFAULT_API_KEY, ServerConfig
from .storage.sqlite_schema import SYNCHRONOUS

DEFAULT_PORT = 8787


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="questline-mock", description="Questline reference server"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 picks a free one)")
    serve.add_argument(
        "--db", metavar="PATH", help="SQLite file for durable state (default: in memory)"
    )
    serve.add_argument(
        "--sync",
        choices=SYNCHRONOUS,
        default="normal",
        help="with --db: normal (default) keeps every acknowledged write through a kill of the"
        " process; full also through an OS crash or power loss (an fsync per write)",
    )
    serve.add_argument(
        "--seed", metavar="FILE", help="a sandbox config document (JSON or YAML) to load at start"
    )
    serve.add_argument(
        "--api-key",
        default=os.environ.get("QUESTLINE_API_KEY") or DEFAULT_API_KEY,
        help="the default project's key (default: $QUESTLINE_API_KEY or sk_test_questline)",
    )
    serve.add_argument(
        "--threads",
        type=int,
        default=16,
        help="worker threads (default 16); each open /v1/stream holds one, two stay free",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return serve(args)


def tune_gc() -> None:
    """Garbage-collector settings for a process that is a reference server.

    The in-memory store is a large heap of long-lived objects (about five tracked ones per
    stored event), which CPython's default thresholds (700, 10, 10) rescan again and
    again: measured at 50,000 stored events, collections took 80 us of every event's
    300 us, growing with the heap. Young objects are collected every 50,000 allocations
    instead, which makes full passes rare (cycles are few here: the server's records free
    themselves by reference counting), and what start-up built is frozen out of them.
    Only for the server's own process: the in-process test mode leaves the host's GC alone.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def serve(args: argparse.Namespace) -> int:
    from waitress.server import create_server

    from .app import create_app
    from .backend.config_io import SeedError

    config = ServerConfig(
        db_path=args.db,
        api_key=args.api_key,
        seed_path=args.seed,
        sqlite_synchronous=args.sync,
        max_streams=max(1, args.threads - 2),
    )
    try:
        app = create_app(config)
    except SeedError as exc:
        print(f"questline-mock: {exc}", file=sys.stderr)
        return 2
    tune_gc()
    server = create_server(
        app, host=args.host, port=args.port, threads=args.threads, ident="questline-mock"
    )
    port = server.effective_port  # type: ignore[union-attr]
    print(f"Questline reference server on http://{args.host}:{port}", flush=True)
    print(f"API key: {config.api_key}", flush=True)
    print(f"State: {'SQLite ' + args.db if args.db else 'in memory'}", flush=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        # Backend first: open streams see it closing and end, so waitress's close does not
        # wait on their threads.
        app.extensions["questline"].close()
        server.close()
        print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
