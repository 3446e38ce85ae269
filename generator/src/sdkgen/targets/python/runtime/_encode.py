"""How arguments go on the wire: path segments, query parameters (OpenAPI `style` and
`explode`), headers, cookies, and the bodies of each kind (JSON, form, multipart, binary,
text). The generated request builders (`_generated/api/*`) call these; every value passes
through `plain()` first, so enums, dates, UUIDs and models may be given as such.

Query parameters follow OpenAPI 3's serialisation rules:

    style            explode  array [a, b]            object {x: 1, y: 2}
    form (default)   true     k=a&k=b                 x=1&y=2
    form             false    k=a,b                   k=x,1,y,2
    spaceDelimited   false    k=a%20b                 -
    pipeDelimited    false    k=a|b                   -
    deepObject       true     k[]=a&k[]=b             k[x]=1&k[y]=2 (nested: k[x][z]=...)

Form bodies (`application/x-www-form-urlencoded`) encode nested objects with brackets
(`address[city]=Paris`) and lists as repeated keys (`tags[]=a`, objects in lists
`items[0][id]=1`): what form APIs such as Stripe's read. Multipart bodies send each file as a
file part and every other field as a text part (objects and lists as JSON).
"""

from __future__ import annotations

import datetime
import enum
import io
import json
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ._errors import InvalidArgumentError
from ._types import NotGiven

__all__ = [
    "binary_content",
    "form_fields",
    "header_value",
    "is_file",
    "multipart_parts",
    "path_segment",
    "plain",
    "query_pairs",
    "scalar",
]


def plain(value: Any) -> Any:
    """A value as plain JSON data: enums as their value, dates as ISO 8601 (UTC as `Z`),
    UUIDs as strings, models as their `to_dict()`, mappings and sequences walked."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        # The usual body (a dict the generated method built, of strings and numbers):
        # what the Mapping branch below makes, the scalar values taken without a call.
        out = {}
        for k, v in value.items():
            if type(v) in _SCALARS:
                out[k if type(k) is str else str(k)] = v
            elif not isinstance(v, NotGiven):
                out[k if type(k) is str else str(k)] = plain(v)
        return out
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, Mapping):
        return to_dict()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items() if not isinstance(v, NotGiven)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    raise InvalidArgumentError(f"a {type(value).__name__} cannot be sent as JSON")


# JSON scalars taken as they are (exact types: a subclass, such as an enum of str, goes the
# general way).
_SCALARS = frozenset({str, int, float, bool, type(None)})


def scalar(value: Any) -> str:
    """One primitive as text on the wire: booleans as `true`/`false`, null as empty."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def path_segment(value: Any) -> str:
    """A path parameter, percent-encoded so it stays one segment (`/` and `?` included)."""
    text = value if type(value) is str else scalar(value)
    if _UNRESERVED(text):
        return text  # what `quote` leaves as it is (the usual id): without its call
    return quote(text, safe="")


# The characters `quote(..., safe="")` never escapes (RFC 3986 unreserved), ASCII only.
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def header_value(value: Any) -> str:
    """A header parameter (style `simple`: lists comma-joined)."""
    value = plain(value)
    if isinstance(value, list):
        return ",".join(scalar(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{scalar(v)}" for k, v in value.items())
    return scalar(value)


def query_pairs(name: str, value: Any, style: str | None = None, explode: bool | None = None) -> list[tuple[str, str]]:
    """The `key=value` pairs of one query parameter (none when it is None)."""
    value = plain(value)
    if value is None:
        return []
    style = style or "form"
    if explode is None:
        explode = style == "form"  # OpenAPI: explode defaults to true for form only
    if style == "deepObject":
        return _bracketed(name, value)
    if isinstance(value, list):
        items = [scalar(v) for v in value]
        if explode:
            return [(name, v) for v in items]
        sep = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return [(name, sep.join(items))]
    if isinstance(value, dict):
        if explode:
            return [(str(k), scalar(v)) for k, v in value.items() if v is not None]
        return [(name, ",".join(f"{k},{scalar(v)}" for k, v in value.items()))]
    return [(name, scalar(value))]


def _bracketed(name: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for k, v in value.items():
            if v is not None:
                out.extend(_bracketed(f"{name}[{k}]", v))
        return out
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [(f"{name}[]", scalar(v)) for v in value]
        out = []
        for i, v in enumerate(value):
            out.extend(_bracketed(f"{name}[{i}]", v))
        return out
    return [(name, scalar(value))]


def form_fields(body: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An `application/x-www-form-urlencoded` body."""
    out: list[tuple[str, str]] = []
    for key, value in plain(dict(body)).items():
        if value is not None:
            out.extend(_bracketed(key, value))
    return out


def is_file(value: object) -> bool:
    """Whether a value is a file input (bytes, an open binary file, a path, or a tuple
    `(name, content[, content_type])`)."""
    if isinstance(value, bytes | bytearray | memoryview | io.IOBase | os.PathLike):
        return True
    return isinstance(value, tuple) and 2 <= len(value) <= 3 and is_file(value[1])


def _file_tuple(value: Any) -> tuple[str | None, Any, str | None]:
    name: str | None = None
    ctype: str | None = None
    content = value
    if isinstance(value, tuple):
        name, content = value[0], value[1]
        ctype = value[2] if len(value) == 3 else None
    if isinstance(content, os.PathLike):
        path = Path(content)
        name = name or path.name
        content = path.read_bytes()
    elif isinstance(content, bytearray | memoryview):
        content = bytes(content)
    if name is None:
        name = os.path.basename(str(getattr(content, "name", "") or "")) or "upload"
    return name, content, ctype


def multipart_parts(body: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, Any]]]:
    """A `multipart/form-data` body as httpx's `data` (text parts) and `files` (file parts)."""
    data: list[tuple[str, str]] = []
    files: list[tuple[str, Any]] = []
    for key, value in body.items():
        if isinstance(value, NotGiven) or value is None:
            continue
        if is_file(value):
            files.append((key, _file_tuple(value)))
        elif isinstance(value, list) and value and all(is_file(v) for v in value):
            files.extend((key, _file_tuple(v)) for v in value)
        else:
            value = plain(value)
            data.append((key, json.dumps(value) if isinstance(value, dict | list) else scalar(value)))
    return data, files


def binary_content(value: Any) -> Any:
    """A binary body: bytes, an open binary file (streamed), a path (read), or a file tuple."""
    if isinstance(value, tuple) and is_file(value):
        value = value[1]
    if isinstance(value, os.PathLike):
        return Path(value).read_bytes()
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, bytes | io.IOBase):
        return value
    if isinstance(value, str):
        return value.encode()
    raise InvalidArgumentError(f"a binary body must be bytes, a binary file or a path, not {type(value).__name__}")

