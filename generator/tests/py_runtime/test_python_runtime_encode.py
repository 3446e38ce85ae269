"""How arguments go on the wire (`_core/_encode.py`): OpenAPI's query styles, path
segments, headers, form and multipart bodies, and plain JSON of SDK values."""

from __future__ import annotations

import datetime
import enum
import io
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from notebook import InvalidArgumentError, Note, Priority
from notebook._core._types import NOT_GIVEN
from notebook._core._encode import (
    binary_content,
    form_fields,
    header_value,
    is_file,
    multipart_parts,
    path_segment,
    plain,
    query_pairs,
)


@pytest.mark.parametrize(
    ("value", "style", "explode", "pairs"),
    [
        (["a", "b"], None, None, [("k", "a"), ("k", "b")]),
        (["a", "b"], "form", False, [("k", "a,b")]),
        (["a", "b"], "spaceDelimited", False, [("k", "a b")]),
        (["a", "b"], "pipeDelimited", False, [("k", "a|b")]),
        ({"x": 1, "y": 2}, "form", True, [("x", "1"), ("y", "2")]),
        ({"x": 1, "y": 2}, "form", False, [("k", "x,1,y,2")]),
        ({"x": 1, "y": {"z": True}}, "deepObject", True, [("k[x]", "1"), ("k[y][z]", "true")]),
        (["a", "b"], "deepObject", True, [("k[]", "a"), ("k[]", "b")]),
        (True, None, None, [("k", "true")]),
        (None, None, None, []),
        (2.0, None, None, [("k", "2.0")]),
    ],
)
def test_query_styles(value: object, style: str | None, explode: bool | None, pairs: list[tuple[str, str]]) -> None:
    assert query_pairs("k", value, style, explode) == pairs


def test_path_segments_stay_one_segment() -> None:
    assert path_segment("a/b?c#d e") == "a%2Fb%3Fc%23d%20e"
    assert path_segment(7) == "7" and path_segment(False) == "false"


@pytest.mark.parametrize(
    "value",
    ["s_1", "2Qm8c8Jp1qMlK4tWcY6xS2uZ0fB", "a-b.c~d_e", "", "caf\u00e9", "x\n", "%41", "a+b", "\u0661", "a;b", "..",
     " ", "a/b", "\U0001f600"],
)
def test_path_segments_read_as_quote_reads_them(value: str) -> None:
    """An id made of unreserved characters is used as it is; everything else is what
    `urllib.parse.quote(..., safe="")` gives (the same result either way)."""
    assert path_segment(value) == quote(value, safe="")


def test_headers() -> None:
    assert header_value(["a", "b"]) == "a,b" and header_value(3) == "3" and header_value(True) == "true"


def test_plain_json_of_sdk_values() -> None:
    class Color(enum.Enum):
        RED = "red"

    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    value = {"c": Color.RED, "p": Priority.HIGH, "at": when, "d": datetime.date(2026, 1, 2),
             "u": uuid.UUID(int=1), "n": Note.from_dict({"id": "n1", "title": "T"}), "l": (1, 2)}
    assert plain(value) == {"c": "red", "p": "high", "at": "2026-01-02T03:04:05Z", "d": "2026-01-02",
                            "u": "00000000-0000-0000-0000-000000000001", "n": {"id": "n1", "title": "T"}, "l": [1, 2]}
    with pytest.raises(InvalidArgumentError):
        plain({"x": object()})


def test_plain_dicts_as_the_general_mapping_rule_reads_them() -> None:
    """A dict is walked as any mapping is: keys as text, NOT_GIVEN values dropped, scalars
    of exact JSON types kept, everything else (a str enum, a bool, nested values) through
    the same rules."""
    class Mode(str, enum.Enum):
        FAST = "fast"

    given = {"s": "x", 1: 2, "f": 1.5, "b": False, "none": None, "skip": NOT_GIVEN, "mode": Mode.FAST,
             "nested": {"k": NOT_GIVEN, "v": [Mode.FAST, {"t": True}]}}
    assert plain(given) == {"s": "x", "1": 2, "f": 1.5, "b": False, "none": None, "mode": "fast",
                            "nested": {"v": ["fast", {"t": True}]}}
    assert type(plain(given)["mode"]) is Mode  # a str subclass is kept as the str it is


def test_form_fields_nest_with_brackets() -> None:
    body = {"email": "a@b.c", "address": {"city": "Paris", "lines": ["1", "2"]}, "items": [{"id": 1}], "skip": None,
            "flag": False}
    assert form_fields(body) == [("email", "a@b.c"), ("address[city]", "Paris"), ("address[lines][]", "1"),
                                 ("address[lines][]", "2"), ("items[0][id]", "1"), ("flag", "false")]


def test_multipart_parts(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")
    data, files = multipart_parts({
        "file": path, "more": [b"a", ("b.txt", io.BytesIO(b"b"), "text/plain")], "purpose": "x", "meta": {"a": 1},
        "n": 2,
    })
    assert data == [("purpose", "x"), ("meta", '{"a": 1}'), ("n", "2")]
    assert files[0] == ("file", ("photo.png", b"\x89PNG", None))
    assert files[1] == ("more", ("upload", b"a", None)) and files[2][1][0] == "b.txt" and files[2][1][2] == "text/plain"


def test_binary_bodies(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"xyz")
    assert binary_content(path) == b"xyz" and binary_content(b"a") == b"a" and binary_content("t") == b"t"
    assert binary_content(("n", b"c")) == b"c" and is_file(io.BytesIO(b"")) and not is_file("text")
    with pytest.raises(InvalidArgumentError):
        binary_content(3)
