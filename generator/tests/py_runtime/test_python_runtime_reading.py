"""The reader's field reading, written out per shape (`_reading._fields_reader`), on the
rules no shape of the fixture specs exercises all at once: listed values (`choices`),
aliases read in order, required fields, values of another type, unnamed keys, paths."""

from __future__ import annotations

import dataclasses
from typing import Any

from notebook._core._reading import FieldShape, ModelShape, Reader, Value


@dataclasses.dataclass
class Thing:
    kind: Any = None
    pages: Any = None
    count: Any = None
    when: Any = None
    additional_properties: dict[str, Any] = dataclasses.field(default_factory=dict)
    _present: frozenset[str] = frozenset()


SHAPE = ModelShape(
    name="Thing",
    cls=Thing,
    fields=(
        FieldShape("kind", "kind", True, Value("string"), choices=("a", "b")),
        FieldShape("pages", "pages", False, Value("integer"), aliases=("total_pages", "page_count")),
        FieldShape("count", "count", True, Value("integer", nullable=True)),
        FieldShape("when", "when", False, Value("string", format="date-time")),
    ),
)


def read(data: dict[str, Any], path: str = "") -> tuple[Thing, list[str]]:
    reader = Reader()
    thing = reader.model(SHAPE, data, path)
    return thing, [str(m) for m in reader.mismatches]


def test_the_usual_object() -> None:
    thing, notes = read({"kind": "a", "pages": 3, "count": None, "when": "2026-01-02T03:04:05Z"})
    assert (thing.kind, thing.pages, thing.count, thing.when.year) == ("a", 3, None, 2026)
    assert thing._present == {"kind", "pages", "count", "when"} and thing.additional_properties == {}
    assert notes == []


def test_listed_values_required_fields_and_paths() -> None:
    thing, notes = read({"kind": "c", "extra": 1}, "outer")
    assert thing.kind == "c"  # kept, never refused
    assert thing.additional_properties == {"extra": 1}
    assert notes == [
        "outer.kind: 'c' is not one of the values the contract lists ('a', 'b')",
        "outer.count: missing required field",
    ]
    _, notes = read({"kind": "b", "count": 1})
    assert notes == []


def test_aliases_in_order_and_unnamed_keys() -> None:
    thing, _ = read({"kind": "a", "count": 1, "page_count": 9, "total_pages": 7})
    assert thing.pages == 7  # the first alias present
    # An alias is not a declared key: it is also kept with the unnamed keys.
    assert thing.additional_properties == {"page_count": 9, "total_pages": 7}
    thing, _ = read({"kind": "a", "count": 1, "pages": 2, "total_pages": 7})
    assert thing.pages == 2 and thing.additional_properties == {"total_pages": 7}


def test_a_value_of_another_type_reads_as_absent_and_is_kept() -> None:
    thing, notes = read({"kind": 5, "count": "x", "pages": 1.0}, "o")
    assert (thing.kind, thing.count, thing.pages) == (None, None, 1)
    assert thing.additional_properties == {"kind": 5, "count": "x"}
    assert thing._present == {"pages"}
    assert [n.split(":")[0] for n in notes] == ["o.kind", "o.count"]
