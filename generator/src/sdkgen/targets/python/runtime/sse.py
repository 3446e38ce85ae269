"""A small push-style Server-Sent Events parser: feed bytes, get events.

Independent of the transport. It follows the WHATWG "event stream
interpretation" rules (docs/architecture.md, "Server-Sent Events"), quoted where they are applied. It yields
`Frame`s (what httpx-sse's `ServerSentEvent` holds), but does its own line splitting:
httpx-sse's `iter_sse` splits decoded text with `str.splitlines`, which also breaks lines
at characters the spec does not treat as line ends (U+2028, VT, FF, NEL...), and
works on text already decoded per chunk. Here lines are split on bytes, so a
CRLF or a UTF-8 sequence split across two chunks is handled, and the fields stay bytes
until an event is dispatched: its data is decoded once, by whoever reads it (CR and LF
never occur inside a multi-byte UTF-8 sequence, so decoding the joined lines gives what
decoding each line gives).

    parser = SSEParser()
    for chunk in chunks:
        for event in parser.feed(chunk):
            ...
    parser.close()      # an incomplete event at EOF is dropped
"""

from __future__ import annotations

import json
import re
from typing import Any

from httpx_sse import ServerSentEvent

from ._errors import StreamError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "Frame", "SSEParser", "ServerSentEvent", "Usual"]

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024  # bytes per event (RUNTIME.md)

_BOM = b"\xef\xbb\xbf"
_CR = 0x0D
_LF = 0x0A
_CR_BYTE = b"\r"
_EOL = re.compile(rb"\r\n?|\n")
# An event written the usual way: an optional id (without NUL), an optional event name, one
# data line, the blank line. (In a chunk without CR, between events.)
_FRAME = re.compile(rb"(?:id: ([^\n\0]*)\n)?(?:event: ([^\n]*)\n)?data: ([^\n]*)\n\n")
# From a position between events: every event written the usual way that follows, one tuple
# each (its `id: ` line, or b"" without one; the id; the event name; the data; b""), then, at
# the first other line, one tuple whose last item is all the rest (not empty). One pass: the
# rest is taken whole, so the search never restarts past it (linear, however long a line).
_FRAMES = re.compile(rb"(id: ([^\n\0]*+)\n)?(?:event: ([^\n]*+)\n)?data: ([^\n]*+)\n\n|([\s\S]+)").findall
# A chunk that is exactly one such event: `_FRAME` in full, in a chunk without CR (`_CR not in
# chunk`: one memchr, cheaper than excluding CR in the pattern's classes).
_ONE_FRAME = _FRAME.fullmatch


class Frame:
    """A dispatched event: `event`, `data`, `id` and `retry` as httpx-sse's
    `ServerSentEvent` has them. `id` is the last event ID (it persists across events, as the
    spec says); `own_id` tells whether this event's own lines set it. `raw` is the data as
    it came (UTF-8 bytes, the data lines joined with LF): `data` decodes it (invalid
    sequences replaced) when first read, so a reader that parses the bytes itself decodes
    them once."""

    __slots__ = ("_data", "event", "id", "own_id", "raw", "retry")

    def __init__(self, event: str, raw: bytes, id: str, retry: int | None, own_id: bool) -> None:
        self.event = event
        self.raw = raw
        self.id = id
        self.retry = retry
        self.own_id = own_id
        self._data: str | None = None

    @property
    def data(self) -> str:
        data = self._data
        if data is None:
            data = self._data = self.raw.decode("utf-8", errors="replace")
        return data

    def json(self) -> Any:
        return json.loads(self.data)

    def __repr__(self) -> str:
        return f"Frame(event={self.event!r}, data={self.data!r}, id={self.id!r}, retry={self.retry!r})"


# An event written the usual way (see `_FRAME`), as `SSEParser.feed_one` and `feed_items` hand
# it out without making a `Frame`: its `event:` value (bytes; empty or None without that line,
# which both name the event "message"), its data (bytes), the last event ID after it, whether
# its own lines set that ID, and the reconnection time then. `SSEParser.frame(*usual)` makes
# the `Frame` `feed` returns for it.
Usual = tuple[bytes | None, bytes, str, bool, int | None]


class SSEParser:
    """Feed chunks of bytes; returns the events each chunk completes.

    Linear in the input: each chunk is scanned once for line ends, and the bytes of a line
    that spans chunks are kept as a list of pieces joined once, when the line ends (an 8 MiB
    line fed in 4 KiB chunks costs what the same bytes in short lines cost). Memory is
    bounded by the size cap: the pieces of an unfinished line count against it.
    """

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self.max_event_size = max_event_size
        self.reset()

    def reset(self) -> None:
        """Forget everything, as for a new connection (the last event id too)."""
        self._head = b""  # the first bytes, until it is known whether they open with a BOM
        self._started = False  # past the optional BOM
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
        self._pieces: list[bytes] = []  # the unfinished line, in pieces
        self._pending = 0  # their total length
        self._event = b""
        self._data: list[bytes] = []
        self._data_size = 0
        self._own_id = False
        self._last_id = ""
        self._retry: int | None = None
        self._idle = False  # between events, nothing pending (see `_settle`)

    @property
    def last_event_id(self) -> str:
        return self._last_id

    def _settle(self) -> None:
        """Note whether the parser is between events with nothing pending (past the BOM, no
        CR whose LF may follow, no unfinished line, no field of an event seen): the state in
        which a chunk that is exactly one usual event is read with one match. Called wherever
        that state may have changed: after the general path of `feed`, `close`, `reset`."""
        self._idle = (self._started and not self._skip_lf and not self._pieces and not self._data
                      and not self._event and not self._own_id)

    def feed(self, chunk: bytes) -> list[Frame]:
        if self._idle and type(chunk) is bytes:
            # Between events, a chunk that is one event written the usual way (as a server
            # that flushes every event sends it): one match, what `_frames` reads (`feed_one`
            # and `frame`, without their calls).
            m = _ONE_FRAME(chunk) if _CR not in chunk else None
            if m is not None:
                frame_id, event, data = m.groups()
                if len(data) + 7 <= self.max_event_size:
                    own_id = frame_id is not None
                    if own_id:
                        self._last_id = frame_id.decode("utf-8", "replace")
                    return [Frame((_NAMES.get(event) or _name(event)) if event else "message", data,
                                  self._last_id, self._retry, own_id)]
        try:
            return self._feed(chunk, False)  # type: ignore[return-value]
        finally:
            self._settle()

    def feed_one(self, chunk: bytes) -> Usual | None:
        """When the parser is between events and `chunk` is exactly one event written the
        usual way (as a server that flushes every event sends it): that event as `Usual`,
        read as `feed` reads it (its id recorded). Otherwise None, and nothing is read:
        `feed` or `feed_items` then reads the chunk."""
        if self._idle and type(chunk) is bytes:
            m = _ONE_FRAME(chunk) if _CR not in chunk else None
            if m is not None:
                frame_id, event, data = m.groups()
                if len(data) + 7 <= self.max_event_size:
                    if frame_id is None:
                        return event, data, self._last_id, False, self._retry
                    last_id = self._last_id = frame_id.decode("utf-8", "replace")
                    return event, data, last_id, True, self._retry
        return None

    def feed_items(self, chunk: bytes) -> list[Frame | Usual]:
        """What `feed` reads from `chunk`, with each event written the usual way handed out
        as `Usual` (`frame` makes it the `Frame` `feed` returns) and every other one as its
        `Frame`: a reader of the usual events' bytes makes no `Frame` for them."""
        try:
            return self._feed(chunk, True)
        finally:
            self._settle()

    @staticmethod
    def frame(event: bytes | None, data: bytes, last_id: str, own_id: bool, retry: int | None) -> Frame:
        """The `Frame` of an event `feed_one` or `feed_items` handed out as `Usual`."""
        return Frame((_NAMES.get(event) or _name(event)) if event else "message", data, last_id, retry, own_id)

    def _feed(self, chunk: bytes, usual: bool) -> list[Frame | Usual]:
        """The general path of `feed` (any chunk, any state); `usual`: events written the
        usual way as `Usual` (`feed_items`)."""
        events: list[Frame | Usual] = []
        if not chunk:
            return events
        if not isinstance(chunk, bytes):
            chunk = bytes(chunk)  # a bytearray or memoryview the caller may reuse
        if not self._started:
            # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
            chunk = self._head + chunk
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._head = chunk  # could still become a BOM: wait for more bytes
                return events
            self._head = b""
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
                if not chunk:
                    return events
        start = 0
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == _LF:
                start = 1
        # "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED
        # (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a single
        # U+000D CARRIAGE RETURN (CR) character." Only this chunk is scanned (in C: a split
        # when it has no CR, the common case, else a compiled pattern); CR and LF never occur
        # inside a multi-byte UTF-8 sequence, so splitting bytes before decoding is safe.
        n = len(chunk)
        lines: list[bytes]
        if chunk.find(_CR_BYTE, start) < 0:
            if start < n and (self._pieces or self._data or self._event or self._own_id):
                # Inside an event: read its lines up to the blank line that ends it.
                if not self._pieces and chunk[start] == _LF:
                    cut = start + 1
                else:
                    cut = chunk.find(b"\n\n", start)
                    cut = cut + 2 if cut >= 0 else -1
                if cut > 0:
                    lines = chunk[start:cut].split(b"\n")
                    lines.pop()  # b"": the segment ends with its last line's end
                    self._complete(lines, events)
                    start = cut
            if not self._pieces and not self._data and not self._event and not self._own_id:
                start = self._frames(chunk, start, events, usual)
                if start == n:
                    return events
            lines = chunk[start:].split(b"\n") if start else chunk.split(b"\n")
            tail = lines.pop()  # the unterminated rest of the chunk
            end = n - len(tail)
        else:
            lines = []
            end = start
            for match in _EOL.finditer(chunk, start):
                lines.append(chunk[end : match.start()])
                end = match.end()
            if end == n and chunk[n - 1] == _CR:
                self._skip_lf = True  # the LF of this CRLF may open the next chunk
        if lines:
            self._complete(lines, events)
        if end < n:
            rest = chunk[end:] if end else chunk
            self._pieces.append(rest)
            self._pending += len(rest)
            if self._pending + self._data_size > self.max_event_size:
                self._overflow()
        return events

    def close(self) -> None:
        """End of the stream: "If the file ends in the middle of an event, before the final
        empty line, the incomplete event is not dispatched." """
        self._pieces = []
        self._pending = 0
        self._event = b""
        self._data = []
        self._data_size = 0
        self._own_id = False
        self._settle()

    def _overflow(self) -> None:
        size = self._pending + self._data_size
        self.close()
        raise StreamError(f"a server-sent event exceeded the size cap of {self.max_event_size} bytes (at least {size})")

    def _complete(self, lines: list[bytes], events: list[Frame | Usual]) -> None:
        """Interpret the complete lines that end in this chunk (the first one may have begun
        in earlier chunks: its pieces are joined once)."""
        if self._pieces:
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            self._pieces = []
            self._pending = 0
        self._lines(lines, events)

    def _frames(self, chunk: bytes, pos: int, events: list[Frame | Usual], usual: bool) -> int:
        """Between events, in a chunk without CR: read the events written the usual way
        (`id: `, `event: `, one `data: ` line, a blank line), all of them with one call of a
        compiled pattern (as `Frame`s, or with `usual` as `Usual`s); returns where the
        first other line starts (read by `_lines`). What it reads is what `_lines` reads
        from the same lines."""
        cap = self.max_event_size
        append = events.append
        first = len(events)
        last_id = self._last_id
        end = len(chunk)
        retry = self._retry
        for id_line, frame_id, event, data, rest in _FRAMES(chunk, pos):
            if rest:
                end -= len(rest)  # where the first other line starts
                break
            if len(data) + 7 > cap:  # what `_lines` counts: the line and its end
                del events[first:]  # read them one by one: `_lines` raises at that event
                return self._frames_one_by_one(chunk, pos, events, usual)
            own_id = False
            if id_line:
                last_id = frame_id.decode("utf-8", "replace")
                own_id = True
            if usual:
                append((event, data, last_id, own_id, retry))
            else:
                append(Frame((_NAMES.get(event) or _name(event)) if event else "message", data, last_id, retry,
                             own_id))
        self._last_id = last_id
        return end

    def _frames_one_by_one(self, chunk: bytes, pos: int, events: list[Frame | Usual], usual: bool) -> int:
        """`_frames`, one match per event: it stops before an event over the size cap."""
        cap = self.max_event_size
        n = len(chunk)
        while pos < n:
            m = _FRAME.match(chunk, pos)
            if m is None:
                break
            frame_id, event, data = m.groups()
            if len(data) + 7 > cap:  # what `_lines` counts: the line and its end
                break  # `_lines` raises the size error
            own_id = frame_id is not None
            if own_id:
                self._last_id = frame_id.decode("utf-8", "replace")
            item: Usual = (event, data, self._last_id, own_id, self._retry)
            events.append(item if usual else self.frame(*item))
            pos = m.end()
        return pos

    def _lines(self, lines: list[bytes], events: list[Frame | Usual]) -> None:
        """Interpret complete lines (one loop, the fields as bytes: the per-line work is a
        C-level `partition` and comparisons)."""
        event, data, size, own_id = self._event, self._data, self._data_size, self._own_id
        cap = self.max_event_size
        for raw in lines:
            if not raw:
                # "If the line is empty (a blank line): Dispatch the event." "If the data
                # buffer is an empty string, set the data buffer and the event type buffer to
                # the empty string and return." (no data line was seen)
                if data:
                    events.append(Frame((_NAMES.get(event) or _name(event)) if event else "message",
                                        data[0] if len(data) == 1 else b"\n".join(data),
                                        self._last_id, self._retry, own_id))
                    data = []
                event, size, own_id = b"", 0, False
                continue
            name, sep, value = raw.partition(b":")
            if not name:
                continue  # "If the line starts with a U+003A COLON character (:): Ignore the line."
            if value[:1] == b" ":
                value = value[1:]  # "If value starts with a U+0020 SPACE character, remove it from value."
            if name == b"data":
                data.append(value)
                size += len(raw) + 1
                if size > cap:
                    self._event, self._data, self._data_size, self._own_id = event, data, size, own_id
                    self._overflow()
            elif name == b"event":
                event = value
            elif name == b"id":
                # "If the field value does not contain U+0000 NULL, then set the last event ID buffer
                # to the field value. Otherwise, ignore the field."
                if b"\0" not in value:
                    self._last_id = value.decode("utf-8", errors="replace")
                    own_id = True
            elif name == b"retry" and value and value.isdigit():
                # "If the field value consists of only ASCII digits, then interpret the field value
                # as an integer in base ten [...] Otherwise, ignore the field." (bytes.isdigit: ASCII only)
                self._retry = int(value)
            # "Otherwise: The field is ignored."
        self._event, self._data, self._data_size, self._own_id = event, data, size, own_id


_NAMES: dict[bytes, str] = {}


def _name(raw: bytes) -> str:
    """An event name as text (the few names a stream uses are decoded once)."""
    name = _NAMES.get(raw)
    if name is None:
        name = raw.decode("utf-8", errors="replace")
        if len(_NAMES) < 256:
            _NAMES[raw] = name
    return name
