"""A small push-style Server-Sent Events parser: feed bytes, get events.

Independent of the transport. It follows the WHATWG "event stream
interpretation" rules (docs/architecture.md, "Server-Sent Events"), quoted where they are applied. It yields
httpx-sse's `ServerSentEvent`, but does its own line splitting: httpx-sse's
`iter_sse` splits decoded text with `str.splitlines`, which also breaks lines
at characters the spec does not treat as line ends (U+2028, VT, FF, NEL...), and
works on text already decoded per chunk. Here lines are split on bytes, so a
CRLF or a UTF-8 sequence split across two chunks is handled.

    parser = SSEParser()
    for chunk in chunks:
        for event in parser.feed(chunk):
            ...
    parser.close()      # an incomplete event at EOF is dropped
"""

from __future__ import annotations

import re

from httpx_sse import ServerSentEvent

from ._errors import StreamError

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "Frame", "SSEParser", "ServerSentEvent"]

DEFAULT_MAX_EVENT_SIZE = 16 * 1024 * 1024  # bytes per event (RUNTIME.md)

_BOM = b"\xef\xbb\xbf"
_CR = 0x0D
_LF = 0x0A
_CR_BYTE = b"\r"
_EOL = re.compile(rb"\r\n?|\n")


class Frame(ServerSentEvent):
    """A dispatched event. `id` is the last event ID (it persists across events, as the
    spec says); `own_id` tells whether this event's own lines set it."""

    def __init__(self, event: str, data: str, id: str, retry: int | None, own_id: bool) -> None:
        super().__init__(event=event, data=data, id=id, retry=retry)
        self.own_id = own_id


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
        self._event = ""
        self._data: list[str] = []
        self._data_size = 0
        self._own_id = False
        self._last_id = ""
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str:
        return self._last_id

    def feed(self, chunk: bytes) -> list[Frame]:
        events: list[Frame] = []
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
        if lines and self._pieces:
            # The first line ending here began in earlier chunks: join its pieces once.
            self._pieces.append(lines[0])
            lines[0] = b"".join(self._pieces)
            self._pieces = []
            self._pending = 0
        line = self._line
        for raw in lines:
            event = line(raw)
            if event is not None:
                events.append(event)
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
        self._event = ""
        self._data = []
        self._data_size = 0
        self._own_id = False

    def _overflow(self) -> None:
        size = self._pending + self._data_size
        self.close()
        raise StreamError(f"a server-sent event exceeded the size cap of {self.max_event_size} bytes (at least {size})")

    def _line(self, raw: bytes) -> Frame | None:
        if not raw:
            # "If the line is empty (a blank line): Dispatch the event."
            return self._dispatch()
        if raw[0] == 0x3A:
            return None  # "If the line starts with a U+003A COLON character (:): Ignore the line."
        name, sep, value = raw.decode("utf-8", errors="replace").partition(":")
        if sep and value[:1] == " ":
            value = value[1:]  # "If value starts with a U+0020 SPACE character, remove it from value."
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
            self._data_size += len(raw) + 1
            if self._data_size > self.max_event_size:
                self._overflow()
        elif name == "id":
            # "If the field value does not contain U+0000 NULL, then set the last event ID buffer
            # to the field value. Otherwise, ignore the field."
            if "\0" not in value:
                self._last_id = value
                self._own_id = True
        elif name == "retry" and value and all("0" <= c <= "9" for c in value):
            # "If the field value consists of only ASCII digits, then interpret the field value
            # as an integer in base ten [...] Otherwise, ignore the field."
            self._retry = int(value)
        # "Otherwise: The field is ignored."
        return None

    def _dispatch(self) -> Frame | None:
        data, event, own_id = self._data, self._event, self._own_id
        self._data, self._event, self._data_size, self._own_id = [], "", 0, False
        # "If the data buffer is an empty string, set the data buffer and the event type
        # buffer to the empty string and return." (no data line was seen)
        if not data:
            return None
        return Frame(event or "message", "\n".join(data), self._last_id, self._retry, own_id)
