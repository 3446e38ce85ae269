"""The matcher engine and references, which every scenario's verdict relies on."""

from __future__ import annotations

import pytest

from matchers import match
from refs import ReferenceError_, references_in, resolve


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"a": 1}, {"a": 1, "extra": True}),
        ({"a": None}, {"a": None}),
        ([1, {"b": "x"}], [1, {"b": "x", "c": 2}]),
        ({"$$type": "string"}, "s"),
        ({"$$type": ["integer", "null"]}, None),
        ({"$$type": "number"}, 3),
        ({"$$matches": "^You said"}, "You said: hi"),
        ({"a": {"$$exists": False}}, {"b": 1}),
        ({"a": {"$$exists": True}}, {"a": None}),
        ({"a": {"$$unsetOrMatches": 1}}, {}),
        ({"$$anyId": True}, "2Qm8b1Yt4rXvQe7pLwK9zN3aF0c"),
        ({"$$timestamp": True}, "2026-11-21T10:00:00.123456Z"),
        ({"$$length": 2}, [1, 2]),
        ({"$$notContains": "secret"}, "no key here"),
        ({"$$eq": {"$$type": "x"}}, {"$$type": "x"}),
        ({"$$sumOf": {"items": [{"c": 0.1}, {"c": 0.2}, {"c": None}, {}], "field": "c"}}, 0.30000000000000004),
        ({"$$sumOf": {"items": [{"c": 0.1}, {"c": 0.2}], "field": "c"}}, 0.3),
        ({"$$sumOf": {"items": [], "field": "c"}}, 0),
        (1, 1.0),
        ("2026-11-21T10:00:00.5Z", "2026-11-21T10:00:00.500000+00:00"),
    ],
)
def test_matches(expected: object, actual: object) -> None:
    assert match(expected, actual) == []


@pytest.mark.parametrize(
    ("expected", "actual", "fragment"),
    [
        ({"a": 1}, {"a": 2}, "$.a: expected 1, got 2"),
        ({"$$sumOf": {"items": [{"n": 2}, {"n": 3}], "field": "n"}}, 4, "expected the sum of n over 2 items, 5"),
        ({"$$sumOf": {"items": [{"n": "2"}], "field": "n"}}, 2, "is not a number"),
        ({"$$sumOf": {"items": [{"n": 2}], "field": "n"}}, "2", "expected a number"),
        ({"a": None}, {}, "absent"),
        ([1, 2], [1], "expected 2 items"),
        ({"$$type": "integer"}, "1", "expected type integer"),
        ({"$$matches": "^x$"}, "y", "matching"),
        ({"a": {"$$exists": True}}, {}, "present"),
        ({"$$anyId": True}, "", "an id"),
        ({"$$timestamp": True}, "yesterday", "timestamp"),
        (True, 1, "expected true, got 1"),
        ("1", 1, "expected \"1\", got 1"),
        ({"$$length": 1}, [], "length 1"),
        ({"a": {"$$unsetOrMatches": 1}}, {"a": 2}, "expected 1, got 2"),
        ("2026-11-21T10:00:00Z", "2026-11-21T10:00:01Z", "expected"),
    ],
)
def test_mismatches(expected: object, actual: object, fragment: str) -> None:
    problems = match(expected, actual)
    assert problems and fragment in problems[0], problems


def test_references_resolve_whole_and_embedded() -> None:
    saved = {"session": {"id": "s1", "n": 3}, "stream": {"events": [{"id": "1"}, {"id": "2"}]}}
    assert resolve("$session.n", saved) == 3
    assert resolve("/x/${session.id}/y", saved) == "/x/s1/y"
    assert resolve({"k": ["$stream.events.1.id"]}, saved) == {"k": ["2"]}
    assert resolve({"$$type": "string"}, saved) == {"$$type": "string"}
    assert references_in({"a": "$session.id", "b": "p/${stream.x}"}) == {"session", "stream"}
    with pytest.raises(ReferenceError_):
        resolve("$nothing.id", saved)
    with pytest.raises(ReferenceError_):
        resolve("$session.missing", saved)
