"""A small push-style Server-Sent Events parser: feed bytes, get events.

Independent of the transport. It follows the WHATWG "event stream
interpretation" rules (DESIGN.md §4), quoted where they are applied. It yields
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

__all__ = ["SSEParser", "ServerSentEvent", "Frame", "DEFAULT_MAX_EVENT_SIZE"]

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
    """Feed chunks of bytes; returns the events each chunk completes."""

    def __init__(self, *, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self.max_event_size = max_event_size
        self.reset()

    def reset(self) -> None:
        """Forget everything, as for a new connection (the last event id too)."""
        self._buf = bytearray()
        self._started = False  # past the optional BOM
        self._skip_lf = False  # the previous chunk ended with CR: a leading LF belongs to it
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
        buf = self._buf
        buf.extend(chunk)
        if not self._started:
            # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark (BOM), if any."
            if len(buf) < len(_BOM) and _BOM.startswith(bytes(buf)):
                return events  # could still become a BOM: wait for more bytes
            if buf.startswith(_BOM):
                del buf[: len(_BOM)]
            self._started = True
        start = 0
        if self._skip_lf and buf:
            if buf[0] == _LF:
                start = 1
            self._skip_lf = False
        # "Lines must be separated by either a U+000D CARRIAGE RETURN U+000A LINE FEED
        # (CRLF) character pair, a single U+000A LINE FEED (LF) character, or a single
        # U+000D CARRIAGE RETURN (CR) character." Searching with a compiled pattern keeps the
        # scan in C; CR and LF never occur inside a multi-byte UTF-8 sequence, so splitting
        # bytes before decoding is safe.
        # Lines are cut from an immutable snapshot (the size cap clears the bytearray, which
        # must not be exported to a running scan). LF-only streams, the common case, are
        # split in one C call; a CR anywhere falls back to the CRLF/CR/LF pattern.
        data = bytes(buf)
        n = len(data)
        if _CR_BYTE not in data:
            lines = data[start:].split(b"\n")
            start = n - len(lines.pop())  # the unterminated tail stays buffered
        else:
            lines = []
            for match in _EOL.finditer(data, start):
                lines.append(data[start : match.start()])
                start = match.end()
            if start == n and n and data[n - 1] == _CR:
                self._skip_lf = True  # the LF of this CRLF may open the next chunk
        line = self._line
        for raw in lines:
            event = line(raw)
            if event is not None:
                events.append(event)
        del buf[:start]
        if len(buf) + self._data_size > self.max_event_size:
            self._overflow()
        return events

    def close(self) -> None:
        """End of the stream: "If the file ends in the middle of an event, before the final
        empty line, the incomplete event is not dispatched." """
        self._buf.clear()
        self._event = ""
        self._data = []
        self._data_size = 0
        self._own_id = False

    def _overflow(self) -> None:
        size = len(self._buf) + self._data_size
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
        elif name == "retry":
            # "If the field value consists of only ASCII digits, then interpret the field value
            # as an integer in base ten [...] Otherwise, ignore the field."
            if value and all("0" <= c <= "9" for c in value):
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
