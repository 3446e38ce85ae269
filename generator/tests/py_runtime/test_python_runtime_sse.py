"""The push-style SSE parser (`_core/sse.py`), one test per WHATWG rule (docs/architecture.md, "Server-Sent Events")."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from notebook import StreamError
from notebook._core.sse import Frame, SSEParser


def _read(chunks: list[bytes], items: bool, **kw: int) -> list[tuple[str, str, str, bool, int | None]]:
    """Every frame of the chunks, read with `feed`, or (`items`) as a typed stream's connection
    reads them: `feed_one`, else `feed_items`, each `Usual` made a `Frame` by `frame`."""
    p = SSEParser(**kw)
    frames: list[Frame] = []
    for c in chunks:
        if not items:
            frames.extend(p.feed(c))
            continue
        one = p.feed_one(c)
        got = [one] if one is not None else p.feed_items(c)
        frames.extend(p.frame(*x) if isinstance(x, tuple) else x for x in got)
    p.close()
    return [(f.event, f.data, f.id, f.own_id, f.retry) for f in frames]


def feed_all(chunks: list[bytes], **kw: int) -> list[tuple[str, str, str]]:
    """What `feed` reads (event, data, last id), checked to be what the typed stream's way of
    reading gives (the own-id flags and retry too), errors included."""
    results: list[object] = []
    for items in (False, True):
        try:
            results.append(_read(chunks, items, **kw))
        except StreamError as exc:
            results.append(exc)
    plain, typed = results
    if isinstance(plain, StreamError):
        assert isinstance(typed, StreamError), typed
        raise plain
    assert typed == plain
    assert isinstance(plain, list)
    return [(e, d, i) for e, d, i, _own, _retry in plain]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def test_lf_line_ends() -> None:
    assert feed_all([b"event: a\ndata: 1\n\n"]) == [("a", "1", "")]


def test_crlf_line_ends() -> None:
    assert feed_all([b"event: a\r\ndata: 1\r\n\r\nevent: b\r\ndata: 2\r\n\r\n"]) == [("a", "1", ""), ("b", "2", "")]


def test_cr_line_ends() -> None:
    assert feed_all([b"event: a\rdata: 1\r\rdata: 2\r\r"]) == [("a", "1", ""), ("message", "2", "")]


def test_crlf_split_across_chunks() -> None:
    # The CR ends one chunk, the LF opens the next: one line end, not two (no early dispatch).
    assert feed_all([b"data: 1\r", b"\ndata: 2\r", b"\n\r", b"\n"]) == [("message", "1\n2", "")]


def test_every_byte_its_own_chunk() -> None:
    stream = "\ufeffid: 7\r\nevent: é\r\ndata: ü€😀\r\n\r\n".encode()
    assert feed_all(bytewise(stream)) == [("é", "ü€😀", "7")]


def test_multi_line_data_joined_with_lf() -> None:
    assert feed_all([b"data: a\ndata: b\ndata:\ndata: c\n\n"]) == [("message", "a\nb\n\nc", "")]


def test_comments_ignored() -> None:
    assert feed_all([b": keep-alive\n:\ndata: x\n: mid\n\n"]) == [("message", "x", "")]


def test_bom_stripped_once() -> None:
    assert feed_all([b"\xef\xbb\xbfdata: x\n\n"]) == [("message", "x", "")]
    # Split over chunks, too.
    assert feed_all([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [("message", "x", "")]
    # A second BOM is not stripped: the line's field name is then "\ufeffdata", ignored.
    assert feed_all([b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\ndata: y\n\n"]) == [("message", "y", "")]


def test_utf8_split_across_chunks() -> None:
    raw = "data: 😀 ok\n\n".encode()
    cut = raw.index(b"\xf0") + 2  # in the middle of the 4-byte sequence
    assert feed_all([raw[:cut], raw[cut:]]) == [("message", "😀 ok", "")]


def test_unicode_line_separators_are_not_line_ends() -> None:
    # str.splitlines (httpx-sse) would split at U+2028, NEL, VT and FF; the SSE spec does not.
    text = "data: a\u2028b\x85c\x0bd\x0ce\n\n"
    assert feed_all([text.encode()]) == [("message", "a\u2028b\x85c\x0bd\x0ce", "")]


def test_one_leading_space_stripped() -> None:
    assert feed_all([b"data:  two\ndata:none\n\n"]) == [("message", " two\nnone", "")]


def test_field_without_colon() -> None:
    # "data" alone: the value is the empty string.
    assert feed_all([b"data\n\n"]) == [("message", "", "")]


def test_empty_data_frame_dispatches() -> None:
    assert feed_all([b"event: ping\ndata:\n\n"]) == [("ping", "", "")]


def test_blank_line_without_data_does_not_dispatch() -> None:
    assert feed_all([b"event: a\n\n\n\nid: 3\n\n"]) == []


def test_event_name_reset_after_dispatch() -> None:
    assert feed_all([b"event: a\ndata: 1\n\ndata: 2\n\n"]) == [("a", "1", ""), ("message", "2", "")]


def test_id_persists_and_id_with_nul_ignored() -> None:
    events = feed_all([b"id: 1\ndata: a\n\ndata: b\n\nid: 2\x00x\ndata: c\n\nid\ndata: d\n\n"])
    assert events == [("message", "a", "1"), ("message", "b", "1"), ("message", "c", "1"), ("message", "d", "")]


def test_retry_only_ascii_digits() -> None:
    p = SSEParser()
    (e,) = p.feed(b"retry: 1500\ndata: a\n\n")
    assert e.retry == 1500
    (e,) = p.feed(b"retry: 15x0\ndata: b\n\n")
    assert e.retry == 1500  # ignored: keeps the previous value
    p2 = SSEParser()
    (e,) = p2.feed(b"retry: -1\ndata: a\n\n")
    assert e.retry is None


def test_unknown_fields_ignored() -> None:
    assert feed_all([b"foo: bar\ndata: x\nbaz\n\n"]) == [("message", "x", "")]


def test_incomplete_event_at_eof_dropped() -> None:
    assert feed_all([b"data: a\n\ndata: b\n"]) == [("message", "a", "")]
    assert feed_all([b"data: a\n\ndata: b"]) == [("message", "a", "")]


def test_oversized_event_raises_stream_error() -> None:
    p = SSEParser(max_event_size=64)
    with pytest.raises(StreamError, match="size cap"):
        for _ in range(10):
            p.feed(b"data: " + b"x" * 20 + b"\n")


def test_oversized_line_without_end_raises_stream_error() -> None:
    p = SSEParser(max_event_size=64)
    with pytest.raises(StreamError, match="size cap"):
        p.feed(b"data: " + b"x" * 100)


def test_events_just_under_the_cap_pass() -> None:
    p = SSEParser(max_event_size=64)
    for _ in range(5):
        assert [e.data for e in p.feed(b"data: " + b"y" * 40 + b"\n\n")] == ["y" * 40]


def test_reset_forgets_partial_state() -> None:
    p = SSEParser()
    p.feed(b"id: 9\ndata: part")
    p.reset()
    assert [(e.data, e.id) for e in p.feed(b"data: new\n\n")] == [("new", "")]


def test_own_id_flag() -> None:
    p = SSEParser()
    a, b = p.feed(b"id: 5\ndata: a\n\ndata: b\n\n")
    assert (a.id, a.own_id) == ("5", True)
    assert (b.id, b.own_id) == ("5", False)


# -- any chunking gives what a whole-input reference reading gives -----------------------

_EOL_RE = re.compile(rb"\r\n|\r|\n")


def reference(data: bytes) -> list[tuple[str, str, str]]:
    """The WHATWG rules applied to the whole input at once (the oracle for chunked feeding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    parts = _EOL_RE.split(data)
    parts.pop()  # the unterminated last line (or b"" after a final line end) is not a line
    out: list[tuple[str, str, str]] = []
    event, buf, last_id = "", None, ""
    for raw in parts:
        line = raw.decode("utf-8", errors="replace")
        if not line:
            if buf is not None:
                out.append((event or "message", "\n".join(buf), last_id))
            event, buf = "", None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            buf = [*(buf or []), value]
        elif name == "id" and "\0" not in value:
            last_id = value
    return out


_TOKENS = [b"data: x", b"data:y", b"data", b"event: e", b"id: 7", b"id: 8\x00", b": c", b"\xc3\xa9", b"\xf0\x9f\x98\x80",
           b"retry: 5", b"\n", b"\r", b"\r\n", b"\n\n", b"\r\n\r\n", b"\xef\xbb\xbf", b"zz",
           b"id: 9\nevent: u\ndata: {}\n\n", b"data: w\n\n",  # usual events (the one-match path)
           b"id: \nevent: \ndata: \n\n", b"event: v\ndata: q\n\n", b"id: 1\x00\ndata: q\n\n"]  # and their edges


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.sampled_from(_TOKENS), max_size=40),
    bom=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_any_chunking_matches_the_reference(parts: list[bytes], bom: bool, cuts: list[int]) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(parts)
    points = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    chunks = [data[a:b] for a, b in zip(points, points[1:])]
    assert feed_all(chunks) == reference(data)
    assert feed_all(bytewise(data)) == reference(data)


def test_long_line_in_small_chunks_is_one_event() -> None:
    payload = b"x" * 300_000
    data = b"id: 1\ndata: " + payload + b"\r\n\r\n"
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    assert feed_all(chunks) == [("message", payload.decode(), "1")]


def test_a_line_full_of_field_names_is_one_value() -> None:
    """Text that looks like fields inside a value is the value (the usual events' pattern
    is tried only where a line starts)."""
    fake = b"data: id: 1 event: x data: " * 3
    data = b"id: 1\ndata: ok\n\ndata: " + fake * 2000 + b"\n\nid: 2\nevent: e\ndata: {}\n\n"
    for chunks in ([data], [data[i : i + 4096] for i in range(0, len(data), 4096)]):
        assert feed_all(chunks) == [("message", "ok", "1"), ("message", (fake * 2000).decode(), "1"), ("e", "{}", "2")]


def test_long_line_over_the_cap_fails_before_its_end() -> None:
    p = SSEParser(max_event_size=10_000)
    with pytest.raises(StreamError, match="size cap"):
        for _ in range(100):
            p.feed(b"data: " + b"x" * 500)  # never a line end: the pieces alone pass the cap


@pytest.mark.parametrize("chunked", ["whole", "bytes", "events"])
def test_usual_events_count_against_the_cap_as_any_other(chunked: str) -> None:
    """Events written the usual way (`id:`, `event:`, one `data:` line) are read by one
    pattern match each: the size cap, ids and names are what the line-by-line reading gives."""
    frame = b'id: 7\nevent: content\ndata: {"a":1}\n\n'  # the data line and its end: 14 bytes
    data = frame * 3 + b"data: x\n\n"
    chunks = {"whole": [data], "bytes": bytewise(data), "events": [e + b"\n\n" for e in data.split(b"\n\n")[:-1]]}[chunked]
    assert feed_all(chunks, max_event_size=14) == [("content", '{"a":1}', "7")] * 3 + [("message", "x", "7")]
    with pytest.raises(StreamError, match="size cap"):
        feed_all(chunks, max_event_size=13)
    p = SSEParser()
    a, b = p.feed(frame + b"data: y\n\n")
    assert (a.own_id, b.own_id, b.id, b.event) == (True, False, "7", "message")


def test_usual_event_chunks_after_every_kind_of_pending_state() -> None:
    """A chunk that is exactly one usual event is read with one match only between events;
    after a chunk that leaves something pending (a BOM not yet known, a CR whose LF may
    follow, an unfinished line, a field of an unfinished event, an incomplete event dropped
    by close(), an oversized event) it is read by the general path, as the rules say."""
    usual = b"id: 5\nevent: u\ndata: {}\n\n"
    for before in ([b"\xef\xbb"], [b"data: a\r"], [b"data: a"], [b"data: a\n"], [b"event: e\n"], [b"id: 3\n"],
                   [b"data: a\r\n\r"], [b"\xef\xbb\xbfdata: a\n\n"]):
        chunks = [*before, usual, usual]
        data = b"".join(chunks)
        assert feed_all(chunks) == reference(data), before
    parser = SSEParser()
    assert parser.feed(b"data: pending\n") == []
    parser.close()  # the incomplete event is dropped: the next usual event stands alone
    (frame,) = parser.feed(usual)
    assert (frame.event, frame.data, frame.id, frame.own_id) == ("u", "{}", "5", True)
    small = SSEParser(max_event_size=12)
    with pytest.raises(StreamError):
        small.feed(b"data: 0123456789\n")
    (frame,) = small.feed(b"data: ok\n\n")  # after the error: a fresh event
    assert frame.data == "ok"
