"""The bytes every benchmark feeds the SDKs: a chat reply as the API sends it.

Standard library only, so the peer workers can import it from their own
virtualenvs (they put this folder on `sys.path` themselves; nothing here is
called `promptrails`).

`chat_stream()` follows `openapi.yaml` (`POST /api/v1/chat/sessions/{id}/messages/stream`):
every frame has an `id:`, `execution` first, a `thinking`, a `tool_start`/`tool_end`
round, then the `content` deltas (one word each, with the spaces, newlines, quotes and
non-ASCII text a model writes), then one `done` whose `output` is an object holding the
whole reply (`{"content": <the concatenated deltas>}`), its `token_usage` and `time`. JSON
is compact and UTF-8 (`ensure_ascii=False`), as servers write it. A checker can therefore
verify that a client delivered every event: the deltas it saw must join to
`done.output.content`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

CONTENT_EVENTS = 50_000
FIXED_EVENTS = 5  # execution, thinking, tool_start, tool_end, done

EXECUTION_ID = "2Qm8c7Zz9yXwV8uT7sR6qP5oN4m"
USER_MESSAGE_ID = "2Qm8c7Hn0pLkJ3sVbX5wR1tY9eA"

# Deltas cycle through these: plain words, punctuation, a paragraph break, quotes and
# backslashes (escaped in JSON), accented letters, CJK and an emoji (multi-byte UTF-8, so
# 64 KiB chunks split characters).
_WORDS = (
    "The",
    " reply",
    " streams",
    " one",
    " token",
    " at",
    " a",
    " time,",
    " like",
    " a",
    " model",
    " writes",
    " it:",
    ' "quoted"',
    " text,",
    " a",
    " back\\slash,",
    " naïve",
    " café",
    " prose",
    " —",
    " 日本語",
    " 🚀",
    " and",
    " numbers",
    " 3.14.",
    "\n\n",
)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _frame(frame_id: int, event: str, data: object) -> bytes:
    return f"id: {frame_id}\nevent: {event}\ndata: {_dumps(data)}\n\n".encode()


def deltas(count: int = CONTENT_EVENTS) -> list[str]:
    return [_WORDS[i % len(_WORDS)] for i in range(count)]


def chat_frames(contents: int = CONTENT_EVENTS) -> list[bytes]:
    """The reply, one `bytes` per frame."""
    words = deltas(contents)
    frames = [
        _frame(1, "execution", {"execution_id": EXECUTION_ID, "user_message_id": USER_MESSAGE_ID}),
        _frame(2, "thinking", {"content": "I should look this up first."}),
        _frame(3, "tool_start", {"id": "call_1", "name": "search"}),
        _frame(4, "tool_end", {"id": "call_1", "name": "search", "summary": "3 hits"}),
    ]
    frames.extend(_frame(5 + i, "content", {"content": w}) for i, w in enumerate(words))
    done = {
        "output": {"content": "".join(words)},
        "token_usage": {"prompt_tokens": 12, "completion_tokens": contents, "total_tokens": contents + 12},
        "time": 12.5,
    }
    frames.append(_frame(5 + contents, "done", done))
    return frames


def chat_stream(contents: int = CONTENT_EVENTS) -> bytes:
    return b"".join(chat_frames(contents))


def expected(contents: int = CONTENT_EVENTS) -> dict[str, object]:
    """What a client that delivered everything has seen: the check every side must pass."""
    text = "".join(deltas(contents))
    return {"events": contents + FIXED_EVENTS, "content_events": contents, "text_sha256": sha256(text)}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split_frames(data: bytes) -> list[bytes]:
    """One chunk per frame (what a server flushing every frame sends)."""
    parts = data.split(b"\n\n")
    out = [p + b"\n\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def split_fixed(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


CHUNKINGS = {"frame": "one chunk per frame", "64k": "64 KiB chunks"}


def chunks(data: bytes, chunking: str) -> list[bytes]:
    if chunking == "frame":
        return split_frames(data)
    if chunking == "64k":
        return split_fixed(data, 64 * 1024)
    raise ValueError(f"unknown chunking {chunking!r}")


# -- the 100 MB reply of the memory rows ---------------------------------------------------

BIG_BYTES = 100 * 1000 * 1000
BIG_DELTA = 100  # characters of text per content delta: ~780,000 events


class BigStream:
    """A reply of about `total` bytes, made as it is read (the generator holds one chunk):
    `execution`, content deltas of `delta` ASCII characters, then a `done` without `output`
    (the spec allows it: "absent when the server sent only deltas"; an output repeating
    100 MB of text would make every client hold it). Iterating yields `chunk`-sized pieces;
    `frames` counts the frames made so far (all of them once iteration ends)."""

    def __init__(self, total: int = BIG_BYTES, delta: int = BIG_DELTA, chunk: int = 64 * 1024) -> None:
        self.total, self.delta, self.chunk = total, delta, chunk
        self.frames = 0

    def __iter__(self) -> Iterator[bytes]:
        text = ("x" * (self.delta - 1)) + " "
        first = _frame(1, "execution", {"execution_id": EXECUTION_ID, "user_message_id": USER_MESSAGE_ID})
        pending, size, sent, frame_id = [first], len(first), 0, 2
        self.frames = 1
        while True:
            while size < self.chunk:
                if sent >= self.total:
                    usage = {"prompt_tokens": 1, "completion_tokens": frame_id, "total_tokens": frame_id + 1}
                    pending.append(_frame(frame_id, "done", {"token_usage": usage, "time": 1.0}))
                    self.frames += 1
                    data = b"".join(pending)
                    for i in range(0, len(data), self.chunk):
                        yield data[i : i + self.chunk]
                    return
                f = _frame(frame_id, "content", {"content": text})
                frame_id += 1
                self.frames += 1
                pending.append(f)
                size += len(f)
                sent += len(f)
            data = b"".join(pending)
            yield data[: self.chunk]
            rest = data[self.chunk :]
            pending, size = ([rest] if rest else []), len(rest)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Write the chat reply the benchmarks use (bench/run.py does it itself).")
    ap.add_argument("--write", metavar="FILE", help="write streams.chat_stream() to FILE")
    args = ap.parse_args()
    data = chat_stream()
    if args.write:
        with open(args.write, "wb") as f:
            f.write(data)
    print(f"{len(data)} bytes, {expected()}")
