"""The calibration server of the mock's capacity rows: a plain Starlette SSE endpoint.

    .venv/bin/python bench/calib_server.py --frames 85

`POST /stream` answers `--frames` frames like the mock's (an `execution`, one-word
`content` deltas, a `done`), yielding to the event loop after every frame, on the same
stack and settings as `promptrails-mock` (uvicorn's httptools protocol, uvloop, no access log,
a loopback socket; `--h11`: the h11 protocol and asyncio, the mock's stack before issue 14).
Unlike the mock, it accepts through uvloop's own server, one connection per loop turn: under
a burst of a thousand connections its time to first event swings from run to run.
No database, no validation: what the load generator (bench/load.py) and the stack can do,
so a mock figure far below it is the mock's, and a calibration figure near the mock's
says the generator is the limit. Prints `calibration listening on http://127.0.0.1:PORT`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route


def frames(count: int) -> list[bytes]:
    ids = {"execution_id": "2Qm8c7Zz9yXwV8uT7sR6qP5oN4m", "user_message_id": "2Qm8c7Hn0pLkJ3sVbX5wR1tY9eA"}
    out = [f"id: 1\nevent: execution\ndata: {json.dumps(ids)}\n\n".encode()]
    for i in range(2, count):
        out.append(f"id: {i}\nevent: content\ndata: {json.dumps({'content': f' word{i}'})}\n\n".encode())
    done = {
        "output": {"content": "..."},
        "token_usage": {"prompt_tokens": 6, "completion_tokens": count, "total_tokens": count + 6},
        "time": 0.01,
    }
    out.append(f"id: {count}\nevent: done\ndata: {json.dumps(done)}\n\n".encode())
    return out


def app(count: int) -> Starlette:
    body = frames(count)

    async def stream(request: Request) -> StreamingResponse:
        await request.body()

        async def gen():  # type: ignore[no-untyped-def]
            for frame in body:
                yield frame
                await asyncio.sleep(0)

        return StreamingResponse(gen(), media_type="text/event-stream")

    return Starlette(routes=[Route("/stream", stream, methods=["POST"])])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=85)
    ap.add_argument("--backlog", type=int, default=2048)
    ap.add_argument(
        "--h11", action="store_true", help="uvicorn's h11 protocol and asyncio instead of httptools and uvloop"
    )
    args = ap.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(args.backlog)
    sock.setblocking(False)

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):  # type: ignore[no-untyped-def]
            await super().startup(sockets=sockets)
            print(f"calibration listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)

    config = uvicorn.Config(
        app(args.frames),
        http="h11" if args.h11 else "httptools",
        loop="asyncio" if args.h11 else "uvloop",
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        backlog=args.backlog,
    )
    Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
