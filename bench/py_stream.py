"""Python stream worker: one interpreter times one or more sides on the same bytes.

    python bench/py_stream.py --input stream.sse --sides ours,httpx-sse --chunkings frame,64k --repeats 2

`bench/run.py` starts it once per virtualenv (ours and the plain peers in the repo's
`.venv`, the vendor SDK in `bench/.venvs/vendor`, openai-python in `bench/.venvs/openai`),
so every side reads the same input file and is measured in its own process. Prints one
JSON line per (side, chunking): the best and every time in seconds, after a first,
untimed run that checks the side delivered every event (the deltas it saw join to
`done.output.content`, see streams.py).

Sides (each a POST through the library's own client and an in-process mock transport
answering the chunks, so no socket is timed; the client is built once, outside the timing):

  ours             promptrails (this repo): `client.chat.send_message_stream(...)`, typed events
  httpx-sse        httpx `client.stream("POST")` + httpx-sse `EventSource.iter_sse()` + `json.loads`
  floor            httpx `client.stream("POST")` + `bytes.split` per frame + `json.loads`: the least
                   any httpx-based client can do
  vendor           the vendor's `promptrails` 0.9.2: `client.chat.send_message_stream(...)`
  openai           openai-python's `Stream` (`client.post(..., stream=True, stream_cls=Stream[Frame])`,
                   `Frame` a discriminated union of models per event, as openai types its own events)
  parse-ours       our `SSEParser.feed()` alone over the chunks (no HTTP, no JSON)
  parse-httpx-sse  httpx-sse `EventSource(response).iter_sse()` alone over the chunks
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import streams

URL = "http://bench.local/api/v1/chat/sessions/s_1/messages/stream"
PATH = "/api/v1/chat/sessions/s_1/messages/stream"
BODY = {"content": "Hello!"}
HEADERS = {"X-API-Key": "bench", "Accept": "text/event-stream"}

Runner = Callable[[], list[tuple[str, Any]]]  # -> [(event name, payload)] for checking; timed runs ignore it


def _check_module(name: str, where: str) -> None:
    """The side must import what it claims to: ours from python-sdk/, the vendor's from its venv."""
    mod = sys.modules[name]
    path = os.path.realpath(mod.__file__ or "")
    if where not in path:
        raise SystemExit(f"py_stream: {name} was imported from {path}, expected a path containing {where!r}")


# -- sides ------------------------------------------------------------------------------


def side_ours(chunks: list[bytes]) -> Callable[[bool], Any]:
    import httpx
    import promptrails

    _check_module("promptrails", os.path.join("python-sdk", "src"))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    client = promptrails.PromptRails(
        api_key="bench", base_url="http://bench.local", http_client=httpx.Client(transport=httpx.MockTransport(handler))
    )

    def run(collect: bool) -> Any:
        if not collect:
            n = 0
            for _event in client.chat.send_message_stream("s_1", content="Hello!"):
                n += 1
            return n
        out = []
        for event in client.chat.send_message_stream("s_1", content="Hello!"):
            name = getattr(event, "event", type(event).__name__)
            if name == "done":
                out.append((name, {"output": event.output}))
            else:
                out.append((name, {"content": getattr(event, "content", None)}))
        return out

    return run


def _httpx_client(chunks: list[bytes]) -> Any:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    return httpx.Client(transport=httpx.MockTransport(handler))


def side_httpx_sse(chunks: list[bytes]) -> Callable[[bool], Any]:
    from httpx_sse import EventSource

    http = _httpx_client(chunks)

    def run(collect: bool) -> Any:
        out: list[tuple[str, Any]] = []
        n = 0
        with http.stream("POST", URL, json=BODY, headers=HEADERS) as r:
            for sse in EventSource(r).iter_sse():
                data = json.loads(sse.data)
                n += 1
                if collect:
                    out.append((sse.event, data))
        return out if collect else n

    return run


def side_floor(chunks: list[bytes]) -> Callable[[bool], Any]:
    http = _httpx_client(chunks)

    def run(collect: bool) -> Any:
        out: list[tuple[str, Any]] = []
        n = 0
        rest = b""
        with http.stream("POST", URL, json=BODY, headers=HEADERS) as r:
            for chunk in r.iter_bytes():
                frames = (rest + chunk).split(b"\n\n")
                rest = frames.pop()
                for frame in frames:
                    event, _, data = frame.partition(b"\ndata: ")
                    payload = json.loads(data)
                    n += 1
                    if collect:
                        out.append((event.rpartition(b"event: ")[2].decode(), payload))
        return out if collect else n

    return run


def side_vendor(chunks: list[bytes]) -> Callable[[bool], Any]:
    from importlib.metadata import version

    import httpx
    import promptrails

    _check_module("promptrails", os.path.join(".venvs", "vendor"))
    if version("promptrails") != "0.9.2":
        raise SystemExit(f"py_stream: the vendor venv has promptrails {version('promptrails')}, not 0.9.2")
    client = promptrails.PromptRails(api_key="bench", base_url="http://bench.local")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    # The vendor's client takes no http_client: swap its httpx.Client for one with the
    # same base URL, headers and timeout, over the mock transport.
    http = client._http
    old = http._client
    http._client = httpx.Client(
        base_url=old.base_url, headers=old.headers, timeout=old.timeout, transport=httpx.MockTransport(handler)
    )
    old.close()
    names = {
        "ExecutionEvent": "execution",
        "ThinkingEvent": "thinking",
        "ToolStartEvent": "tool_start",
        "ToolEndEvent": "tool_end",
        "ContentEvent": "content",
        "DoneEvent": "done",
        "ErrorEvent": "error",
    }

    def run(collect: bool) -> Any:
        if not collect:
            n = 0
            for _event in client.chat.send_message_stream("s_1", content="Hello!"):
                n += 1
            return n
        out = []
        for event in client.chat.send_message_stream("s_1", content="Hello!"):
            name = names.get(type(event).__name__, type(event).__name__)
            if name == "done":
                out.append((name, {"output": event.output}))
            else:
                out.append((name, {"content": getattr(event, "content", None)}))
        return out

    return run


def side_openai(chunks: list[bytes]) -> Callable[[bool], Any]:
    from typing import Annotated, Literal

    import httpx2
    import openai
    from openai._base_client import make_request_options
    from openai._utils import PropertyInfo

    class ExecutionData(openai.BaseModel):
        execution_id: str
        user_message_id: str | None = None

    class TextData(openai.BaseModel):
        content: str

    class ToolData(openai.BaseModel):
        id: str
        name: str | None = None
        summary: str | None = None

    class TokenUsage(openai.BaseModel):
        prompt_tokens: int | None = None
        completion_tokens: int | None = None
        total_tokens: int | None = None

    class DoneData(openai.BaseModel):
        output: object | None = None
        token_usage: TokenUsage | None = None
        time: float | None = None

    class ExecutionFrame(openai.BaseModel):
        event: Literal["execution"]
        data: ExecutionData

    class ThinkingFrame(openai.BaseModel):
        event: Literal["thinking"]
        data: TextData

    class ToolStartFrame(openai.BaseModel):
        event: Literal["tool_start"]
        data: ToolData

    class ToolEndFrame(openai.BaseModel):
        event: Literal["tool_end"]
        data: ToolData

    class ContentFrame(openai.BaseModel):
        event: Literal["content"]
        data: TextData

    class DoneFrame(openai.BaseModel):
        event: Literal["done"]
        data: DoneData

    Frame = Annotated[
        ExecutionFrame | ThinkingFrame | ToolStartFrame | ToolEndFrame | ContentFrame | DoneFrame,
        PropertyInfo(discriminator="event"),
    ]

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))

    client = openai.OpenAI(
        api_key="bench",
        base_url="http://bench.local",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    options = make_request_options(synthesize_event_and_data=True)

    def run(collect: bool) -> Any:
        stream = client.post(
            PATH, body=BODY, cast_to=object, options=options, stream=True, stream_cls=openai.Stream[Frame]
        )
        if not collect:
            n = 0
            for _item in stream:
                n += 1
            return n
        out = []
        for item in stream:
            if not isinstance(item, openai.BaseModel):
                raise SystemExit(f"py_stream: openai yielded {type(item).__name__}, not a model")
            if item.event == "done":
                out.append(("done", {"output": item.data.output}))
            else:
                out.append((item.event, {"content": getattr(item.data, "content", None)}))
        return out

    return run


def side_parse_ours(chunks: list[bytes]) -> Callable[[bool], Any]:
    from promptrails._core.sse import SSEParser

    _check_module("promptrails", os.path.join("python-sdk", "src"))

    def run(collect: bool) -> Any:
        parser = SSEParser()
        events = []
        n = 0
        for c in chunks:
            got = parser.feed(c)
            n += len(got)
            if collect:
                events.extend(got)
        parser.close()
        if not collect:
            return n
        return [(e.event, json.loads(e.data)) for e in events]

    return run


def side_parse_httpx_sse(chunks: list[bytes]) -> Callable[[bool], Any]:
    import httpx
    from httpx_sse import EventSource

    def run(collect: bool) -> Any:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=iter(chunks))
        if not collect:
            return sum(1 for _ in EventSource(response).iter_sse())
        return [(e.event, json.loads(e.data)) for e in EventSource(response).iter_sse()]

    return run


SIDES: dict[str, Callable[[list[bytes]], Callable[[bool], Any]]] = {
    "ours": side_ours,
    "httpx-sse": side_httpx_sse,
    "floor": side_floor,
    "vendor": side_vendor,
    "openai": side_openai,
    "parse-ours": side_parse_ours,
    "parse-httpx-sse": side_parse_httpx_sse,
}


# -- checking and timing --------------------------------------------------------------


def check(side: str, seen: list[tuple[str, Any]], want: dict[str, Any]) -> None:
    """Every event, in order: the names, the deltas joined equal done.output.content."""
    names = [name for name, _ in seen]
    if len(seen) != want["events"]:
        raise SystemExit(f"py_stream: {side} delivered {len(seen)} events, want {want['events']}")
    if names[:4] != ["execution", "thinking", "tool_start", "tool_end"] or names[-1] != "done":
        raise SystemExit(f"py_stream: {side} delivered events in the wrong order: {names[:4]} ... {names[-1]}")
    deltas = [payload["content"] for name, payload in seen if name == "content"]
    if len(deltas) != want["content_events"]:
        raise SystemExit(f"py_stream: {side} delivered {len(deltas)} content events, want {want['content_events']}")
    text = "".join(deltas)
    output = seen[-1][1]["output"]
    if not isinstance(output, dict) or output.get("content") != text or streams.sha256(text) != want["text_sha256"]:
        raise SystemExit(f"py_stream: {side}: the deltas do not join to done.output.content (or differ from the input)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", required=True, help="the stream (bench/run.py writes streams.chat_stream())")
    ap.add_argument("--sides", required=True, help=f"comma-separated: {', '.join(SIDES)}")
    ap.add_argument("--chunkings", default="frame,64k", help="comma-separated: frame, 64k")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per side and chunking (after the checking run)")
    ap.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="instead of timing: one run of each side under cProfile, print its N costliest functions",
    )
    args = ap.parse_args()
    with open(args.input, "rb") as f:
        data = f.read()
    contents = data.count(b"event: content\n")
    want = streams.expected(contents)
    sides = [s for s in args.sides.split(",") if s]
    chunkings = [c for c in args.chunkings.split(",") if c]
    for chunking in chunkings:
        chunks = streams.chunks(data, chunking)
        runners = {}
        for side in sides:
            runners[side] = SIDES[side](chunks)
            check(side, runners[side](True), want)
        if args.profile:
            import cProfile
            import pstats

            for side in sides:
                prof = cProfile.Profile()
                prof.runcall(runners[side], False)
                print(f"== {side}, {streams.CHUNKINGS[chunking]}: the {args.profile} costliest functions (tottime)")
                pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
            continue
        best = {side: float("inf") for side in sides}
        times: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(args.repeats):
            for side in sides:  # alternate, so every side sees the same machine
                gc.collect()
                t0 = time.perf_counter()
                n = runners[side](False)
                dt = time.perf_counter() - t0
                if n != want["events"]:
                    raise SystemExit(f"py_stream: {side} delivered {n} events in a timed run, want {want['events']}")
                times[side].append(dt)
                best[side] = min(best[side], dt)
        for side in sides:
            row = {
                "side": side,
                "chunking": chunking,
                "best": best[side],
                "times": times[side],
                "events": want["events"],
                "bytes": len(data),
                "chunks": len(chunks),
                "python": sys.version.split()[0],
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
