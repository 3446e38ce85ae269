"""Schemathesis hooks for the mock (loaded through SCHEMATHESIS_HOOKS by schemathesis.sh).

openapi.yaml describes one Server-Sent Events frame as ``{event, id, data}``
with ``data`` the frame's *decoded* JSON payload (``ChatStreamFrame``), the
convention the SDK generator reads. Schemathesis 4 checks every event of a
``text/event-stream`` response against that schema but keeps ``data`` as the
raw string (the OpenAPI 3.2 convention, where ``data`` is a string with
``contentMediaType``/``contentSchema``). This deserializer parses the stream the
same way, then decodes each ``data`` as JSON, so schemathesis checks every frame
of every stream against ``ChatStreamFrame`` as the contract means it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import schemathesis

_LINES = re.compile(r"\r\n|\r|\n")


def parse_events(text: str) -> list[dict[str, Any]]:
    """WHATWG event-stream parsing: fields per line, events end at a blank line."""
    events: list[dict[str, Any]] = []
    event: dict[str, Any] = {}
    data: list[str] = []
    for line in _LINES.split(text.removeprefix("\ufeff")):
        if line == "":
            if data:
                events.append({**event, "data": "\n".join(data)})
            event, data = {}, []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name in ("event", "id"):
            event[name] = value
    return events  # an event without its blank line at the end of the stream is dropped, as the rules say


@schemathesis.deserializer("text/event-stream")
def sse_frames_with_json_data(ctx: Any, response: Any) -> list[dict[str, Any]]:
    frames = parse_events(response.content.decode("utf-8"))
    for index, frame in enumerate(frames):
        try:
            frame["data"] = json.loads(frame["data"])
        except ValueError as exc:
            raise ValueError(f"event #{index} ({frame.get('event')}): data is not JSON: {exc}") from None
    return frames
