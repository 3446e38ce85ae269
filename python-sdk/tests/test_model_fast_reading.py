"""The written-out model reader (`_reading.fast_reader`, issue 14: the usual reply without
the general reader's per-field work) gives exactly what the general reader gives, in both
modes, and leaves every other case to it: a differential test over many varied inputs."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from promptrails import APIResponseValidationError, ChatMessage, ChatReply
from promptrails._core import _reading
from promptrails._core._reading import Reader, Value, fast_reader, shape_named, shape_of
from promptrails._core._response import read_value

MESSAGE: dict[str, Any] = {
    "id": "m2",
    "session_id": "s1",
    "role": "assistant",
    "content": "You said: hi",
    "metadata": {},
    "model": "mock-echo-1",
    "cost": 2.1e-05,
    "token_count": 10,
    "prompt_tokens": 8,
    "completion_tokens": 10,
    "created_at": "2026-11-21T10:01:01Z",
}
USER = {**MESSAGE, "id": "m1", "role": "user", "content": "hi", "token_count": 8}
SHAPES = {  # the three shapes of the send response (RUNTIME.md "Reading responses")
    "message": {**MESSAGE, "execution_id": "e1", "user_message": USER},
    "pair": {"user_message": USER, "assistant_message": MESSAGE},
    "async": {"user_message": USER, "assistant_message": None, "execution_id": "e1"},
}
ODD_VALUES: list[Any] = [None, "x", "", 0, 7, -1, 2.5, 3.0, True, False, [], [1, "a"], {}, {"k": 1},
                         "2026-13-45", "2026-11-21", "assistant", "system", "narrator", float("inf")]


@pytest.fixture
def general_only() -> Iterator[None]:
    """Every shape read by the general reader while the fixture is active."""
    saved = {name: s.__dict__.get("_fast", _reading._MISSING) for name, s in _reading._BY_NAME.items()}
    for s in _reading._BY_NAME.values():
        object.__setattr__(s, "_fast", None)
    try:
        yield
    finally:
        for name, s in _reading._BY_NAME.items():
            if saved[name] is _reading._MISSING:
                s.__dict__.pop("_fast", None)
            else:
                object.__setattr__(s, "_fast", saved[name])


def same(a: Any, b: Any) -> None:
    assert type(a) is type(b)
    if not isinstance(a, _reading.Model):
        assert a == b
        return
    assert a == b
    assert a.additional_properties == b.additional_properties
    assert a._present == b._present
    assert a._request_id == b._request_id
    assert a.to_dict() == b.to_dict()
    for f in shape_of(type(a)).fields:
        same(getattr(a, f.attr), getattr(b, f.attr))


def mutate(rng: random.Random, data: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    out = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        keys = list(out)
        if op == 0 and keys:
            del out[rng.choice(keys)]
        elif op == 1 and keys:
            out[rng.choice(keys)] = rng.choice(ODD_VALUES)
        elif op == 2:
            out[rng.choice(["extra", "pages", "total_pages", "note"])] = rng.choice(ODD_VALUES)
        elif op == 3 and depth < 2:
            key = rng.choice(["user_message", "assistant_message"])
            inner = out.get(key)
            out[key] = mutate(rng, inner if isinstance(inner, dict) else MESSAGE, depth + 1)
        elif op == 4:
            out["role"] = rng.choice(["assistant", "user", "system", "tool", "narrator", 3])
        else:
            out[rng.choice(["token_count", "cost", "prompt_tokens"])] = rng.choice([1, 1.0, 1.5, True, None, "1"])
    return out


def cases() -> list[Any]:
    rng = random.Random(14)
    found: list[Any] = [*SHAPES.values(), MESSAGE, USER, {}, {"extra": 1}]
    for _ in range(1500):
        found.append(mutate(rng, SHAPES[rng.choice(list(SHAPES))]))
    return found


CASES = cases()


def read_both(shape_name: str, data: Any) -> tuple[Any, Any]:
    """(the value and mismatches, or the exception) read with the fast reader on, and off."""
    shape = shape_named(shape_name)

    def once() -> Any:
        reader = Reader()
        try:
            value = reader.model(shape, copy.deepcopy(data))
        except _reading.Unusable as exc:
            return ("unusable", str(exc))
        return (value, [tuple(m) for m in reader.mismatches])

    return once, shape


def test_the_fast_reader_is_written_for_the_reply_models() -> None:
    assert fast_reader(shape_of(ChatReply)) is not None
    assert fast_reader(shape_of(ChatMessage)) is not None
    reply = fast_reader(shape_of(ChatReply))
    assert reply is not None and reply(copy.deepcopy(SHAPES["pair"])) is not None  # the usual case is fast
    assert reply(["not", "an", "object"]) is None  # left to the general reader


@pytest.mark.parametrize("shape_name", ["ChatReply", "ChatMessage", "ChatReplyResponse"])
def test_fast_and_general_readers_agree(shape_name: str, request: pytest.FixtureRequest) -> None:
    inputs = CASES if shape_name != "ChatReplyResponse" else [{"data": c} for c in CASES[:400]]
    fast_results = []
    for data in inputs:
        once, _ = read_both(shape_name, data)
        fast_results.append(once())
    request.getfixturevalue("general_only")
    fast_hits = 0
    for data, got in zip(inputs, fast_results, strict=True):
        once, _ = read_both(shape_name, data)
        want = once()
        if want[0] == "unusable":
            assert got == want
            continue
        assert got[1] == want[1], data
        same(got[0], want[0])
        fast_hits += not want[1]
    assert fast_hits > 10  # the differential covers the fast path, not only the fallback


def response(body: Any) -> httpx.Response:
    return httpx.Response(200, content=json.dumps(body).encode(), request=httpx.Request("POST", "https://x/y"))


def read_send(body: Any, strict: bool) -> Any:
    try:
        return read_value(response(body), Value("model", model="ChatReply"), strict=strict,
                          envelope="ChatReplyResponse", unwrap="data")
    except APIResponseValidationError as exc:
        return ("invalid", exc.path, exc.reason, str(exc))
    except Exception as exc:  # noqa: BLE001 - compared as they are
        return ("error", type(exc).__name__, str(exc))


@pytest.mark.parametrize("strict", [False, True])
def test_send_response_reads_the_same_in_both_modes(strict: bool, request: pytest.FixtureRequest) -> None:
    bodies: list[Any] = [{"data": c} for c in CASES[:600]] + [{"data": c, "meta": 1} for c in CASES[:50]]
    bodies += [{"data": None}, {}, [], {"data": "x"}]
    fast = [read_send(b, strict) for b in bodies]
    request.getfixturevalue("general_only")
    kinds = set()
    for body, got in zip(bodies, fast, strict=True):
        want = read_send(body, strict)
        if isinstance(want, tuple):
            assert got == want, body
            kinds.add(want[0])
        else:
            same(got, want)
            kinds.add("value")
    assert "value" in kinds and (not strict or "invalid" in kinds)


def test_tolerant_reading_is_kept_on_the_fast_path() -> None:
    data = {**SHAPES["pair"], "extra": {"k": 1}}
    reply = Reader().model(shape_of(ChatReply), copy.deepcopy(data))
    assert reply.additional_properties["extra"] == {"k": 1}  # unknown keys kept
    assert reply.execution_id is None and "execution_id" not in reply._present  # absent -> None
    assert reply.content == MESSAGE["content"]  # flattened from assistant_message
    assert reply.created_at is not None and reply.created_at.year == 2026
    odd = Reader()
    value = odd.model(shape_of(ChatReply), {**SHAPES["message"], "role": "narrator"})
    assert value.role == "narrator" and odd.mismatches  # an unknown enum value kept, and noted


@dataclasses.dataclass(kw_only=True, slots=True)
class Node(_reading.Model):
    kind: Any = None
    pages: Any = None
    count: Any = None
    child: Any = None
    tags: Any = None
    additional_properties: dict[str, Any] = dataclasses.field(default_factory=dict, init=False)
    _present: frozenset[str] = dataclasses.field(default=frozenset(), init=False, compare=False)
    _request_id: str | None = dataclasses.field(default=None, init=False, compare=False)


NODE = _reading.ModelShape(
    name="_TestFastNode",
    cls=Node,
    fields=(
        _reading.FieldShape("kind", "kind", True, Value("string"), choices=("a", "b")),
        _reading.FieldShape("pages", "pages", False, Value("integer"), aliases=("total_pages", "page_count")),
        _reading.FieldShape("count", "count", True, Value("integer", nullable=True)),
        _reading.FieldShape("child", "child", False, Value("model", model="_TestFastNode", nullable=True)),
        _reading.FieldShape("tags", "tags", False, Value("array", items=Value("any"))),
    ),
)
_reading.register(NODE)


def node_cases() -> list[Any]:
    rng = random.Random(7)
    base = {"kind": "a", "pages": 2, "count": None, "child": {"kind": "b", "count": 1}, "tags": ["x"]}
    found: list[Any] = [base, {"kind": "a", "count": 1, "total_pages": 3},
                        {"kind": "b", "count": 1, "page_count": 4, "total_pages": "x"}]
    for _ in range(800):
        out = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            key = rng.choice(["kind", "pages", "total_pages", "page_count", "count", "child", "tags", "other"])
            if rng.random() < 0.25:
                out.pop(key, None)
            elif key == "child" and rng.random() < 0.5:
                out[key] = {"kind": rng.choice(["a", "c"]), "count": rng.choice([1, None, "1"])}
            else:
                out[key] = rng.choice([*ODD_VALUES, "a", "b", "c"])
        found.append(out)
    return found


def test_aliases_choices_and_a_model_that_holds_itself(request: pytest.FixtureRequest) -> None:
    assert fast_reader(NODE) is not None
    inputs = node_cases()
    fast = [read_both("_TestFastNode", d)[0]() for d in inputs]
    request.getfixturevalue("general_only")
    hits = 0
    for data, got in zip(inputs, fast, strict=True):
        want = read_both("_TestFastNode", data)[0]()
        if want[0] == "unusable":
            assert got == want
            continue
        assert got[1] == want[1], data
        same(got[0], want[0])
        hits += not want[1]
    assert hits > 10
