"""``promptrails-mock``: run the mock server.

Prints ``promptrails-mock listening on http://HOST:PORT`` once it accepts
connections (with the real port when ``--port 0`` asked for a free one), then
one ``promptrails-mock api key: KEY`` line per usable API key.

The control API (``/__mock/``: faults, the request log, resets) is off unless
``--control`` (or ``PROMPTRAILS_MOCK_CONTROL=1``) or ``--control-token`` (or
``PROMPTRAILS_MOCK_CONTROL_TOKEN``) is given: the test helpers turn it on,
``make serve`` leaves it off.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from promptrails_mock import __version__
from promptrails_mock.agents import AgentSettings
from promptrails_mock.app import (
    DEFAULT_API_KEY,
    MAX_BODY_BYTES,
    READ_TIMEOUT,
    REQUEST_LOG_BYTES,
    Settings,
    create_app,
)
from promptrails_mock.faults import RequestLog
from promptrails_mock.listener import Listener
from promptrails_mock.middleware import CONTROL_TOKEN_HEADER
from promptrails_mock.placeholders import PLACEHOLDER_AGENT, PLACEHOLDER_API_KEY, PLACEHOLDER_SESSION
from promptrails_mock.protocol import protocol_class

__all__ = ["build_parser", "find_spec", "main"]

SPEC_ENV = "PROMPTRAILS_MOCK_SPEC"
CONTROL_ENV = "PROMPTRAILS_MOCK_CONTROL"
CONTROL_TOKEN_ENV = "PROMPTRAILS_MOCK_CONTROL_TOKEN"
LISTENING_PREFIX = "promptrails-mock listening on "
API_KEY_PREFIX = "promptrails-mock api key: "
PLACEHOLDERS_PREFIX = "promptrails-mock docs placeholders: "


def find_spec(explicit: str | None = None) -> Path:
    """``--spec``, else ``$PROMPTRAILS_MOCK_SPEC``, else the first openapi.yaml above this package (or the cwd)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for directory in (start, *start.parents):
            candidate = directory / "openapi.yaml"
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(f"cannot find openapi.yaml: pass --spec or set {SPEC_ENV}")


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 3600")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promptrails-mock",
        description="Stateful mock of the PromptRails chat API, validated against openapi.yaml.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default: 8080)")
    parser.add_argument(
        "--db",
        default="promptrails-mock.db",
        help="SQLite database file, or :memory: (default: promptrails-mock.db)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"an accepted API key, each with its own workspace; repeatable (default: {DEFAULT_API_KEY})",
    )
    parser.add_argument("--spec", help=f"path to openapi.yaml (default: ${SPEC_ENV}, else the repository's)")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="answer 500 instead of any response that violates openapi.yaml (violations are always logged)",
    )
    parser.add_argument(
        "--frame-delay-ms",
        type=float,
        default=5.0,
        help="pause before each frame of every agent, in ms (default: 5)",
    )
    parser.add_argument(
        "--slow-delay-ms",
        type=float,
        default=1000.0,
        help="pause before each frame of the 'slow' agent, in ms (default: 1000)",
    )
    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=MAX_BODY_BYTES,
        help=f"largest accepted request body; larger ones get 413 (default: {MAX_BODY_BYTES})",
    )
    parser.add_argument(
        "--read-timeout",
        type=_positive_float,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help=f"time a request head, then its body, may take to arrive; then 408 and the connection closes "
        f"(default: {READ_TIMEOUT:g})",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        default=_env_flag(CONTROL_ENV),
        help=f"serve the control API under /__mock/ (faults, request log, resets: for tests only; "
        f"default: off, or ${CONTROL_ENV}=1)",
    )
    parser.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"serve the control API only to requests with this {CONTROL_TOKEN_HEADER} header "
        f"(implies --control; default: ${CONTROL_TOKEN_ENV})",
    )
    parser.add_argument(
        "--request-log-bytes",
        type=int,
        default=REQUEST_LOG_BYTES,
        metavar="BYTES",
        help=f"about how much the control API's request log may hold; the oldest entries go first "
        f"(default: {REQUEST_LOG_BYTES}, at least {RequestLog.MIN_BYTES})",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="log level (default: info)",
    )
    parser.add_argument("--version", action="version", version=f"promptrails-mock {__version__}")
    return parser


GC_THRESHOLDS = (50_000, 20, 10)


def _tune_gc() -> None:
    """Keep the cyclic garbage collector from taking a third of a busy server's time.

    What start-up loaded (the contract, openapi-core's structures) is moved out of the collector's
    sight (``gc.freeze``), and a collection of the youngest objects waits for 50,000 allocations
    instead of 700: streaming a frame allocates dozens of objects, and with a thousand streams the
    default made the collector run after every few frames, each time walking every live stream.
    Older generations still get collected (every 20 and 200 young collections).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # uvicorn's own default backlog: a thousand clients connecting at once must not overflow the accept
    # queue (a dropped SYN is retried after a second, which would show as a second of latency).
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Server(uvicorn.Server):
    """uvicorn, listening through a :class:`Listener` (every pending connection accepted at once);
    announces the listening URL and keys once it accepts connections."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, announcement: list[str]) -> None:
        super().__init__(config)
        self._sock = sock
        self._announcement = announcement

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the lifespan and uvicorn's state, without a server of the loop's
        if not self.started:
            return
        config, loop = self.config, asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            http: Callable[..., asyncio.Protocol] = config.http_protocol_class
            return http(config=config, server_state=self.server_state, app_state=self.lifespan.state, _loop=loop)

        try:
            listener: Any = Listener(loop, self._sock, protocol)
        except NotImplementedError:  # a loop that cannot watch a socket (Windows' proactor): the loop's own server
            listener = await loop.create_server(protocol, sock=self._sock, backlog=config.backlog)
        self.servers = [listener]
        print("\n".join(self._announcement), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        spec = find_spec(args.spec)
    except FileNotFoundError as exc:
        print(f"promptrails-mock: {exc}", file=sys.stderr)
        return 2
    if not spec.is_file():
        print(f"promptrails-mock: {spec} is not a file", file=sys.stderr)
        return 2
    if args.request_log_bytes < RequestLog.MIN_BYTES:
        print(f"promptrails-mock: --request-log-bytes must be at least {RequestLog.MIN_BYTES}", file=sys.stderr)
        return 2
    keys = tuple(dict.fromkeys(args.api_keys or [DEFAULT_API_KEY]))
    settings = Settings(
        spec_path=spec,
        db_path=args.db,
        api_keys=keys,
        strict=args.strict,
        max_body_bytes=args.max_body_bytes,
        agents=AgentSettings(frame_delay=args.frame_delay_ms / 1000.0, slow_delay=args.slow_delay_ms / 1000.0),
        control=args.control or args.control_token is not None,
        control_token=args.control_token,
        read_timeout=args.read_timeout,
        request_log_bytes=args.request_log_bytes,
    )
    app = create_app(settings)
    _tune_gc()
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"promptrails-mock: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    announcement = [f"{LISTENING_PREFIX}http://{host}:{port}", *(f"{API_KEY_PREFIX}{key}" for key in keys)]
    announcement.append(
        f"{PLACEHOLDERS_PREFIX}the key {PLACEHOLDER_API_KEY}, the agent {PLACEHOLDER_AGENT} and the session "
        f"{PLACEHOLDER_SESSION} work in the workspace of {keys[0]}"
    )
    config = uvicorn.Config(
        app,
        http=protocol_class(args.read_timeout),  # httptools, with the mock's head rules, envelopes and head timeout
        loop="auto",  # uvloop (a dependency wherever it builds; asyncio on Windows)
        ws="none",
        lifespan="on",
        proxy_headers=False,  # nothing in the mock reads the client's address (X-Forwarded-For is not trusted)
        log_level=args.log_level,
        log_config=None,  # uvicorn logs go through the root logger to stderr; stdout stays for the announcement
        access_log=args.log_level in ("info", "debug"),
        timeout_graceful_shutdown=3,
    )
    try:
        _Server(config, sock, announcement).run(sockets=[sock])
    except KeyboardInterrupt:
        # Ctrl-C (make serve): uvicorn has shut down cleanly, then re-raises the signal it caught.
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
