"""sdkgen diff's corpus: every case of diff_specs/cases.yaml, in both directions, must be
reported exactly as listed, with the listed severity per language and on the wire.

To see what the differ reports for the cases (when adding one):
    .venv/bin/python generator/tests/test_diff_corpus.py [case-name ...]
"""

from __future__ import annotations

import copy
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from sdkgen.diff import Change, Report, diff_specs
from sdkgen.spec import Spec, load_spec

HERE = Path(__file__).resolve().parent
SPECS = HERE / "diff_specs"
BASE = SPECS / "base.yaml"
CASES = yaml.safe_load((SPECS / "cases.yaml").read_text())["cases"]
LETTER = {"breaking": "B", "compatible": "C", "internal": "I"}


# -- a minimal RFC 6902 applier (add, remove, replace, move), enough for the corpus ------------


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _walk(doc: Any, pointer: str) -> tuple[Any, str]:
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    tokens = [_unescape(t) for t in pointer[1:].split("/")]
    node = doc
    for t in tokens[:-1]:
        node = node[int(t)] if isinstance(node, list) else node[t]
    return node, tokens[-1]


def _get(doc: Any, pointer: str) -> Any:
    parent, last = _walk(doc, pointer)
    return parent[int(last)] if isinstance(parent, list) else parent[last]


def _remove(doc: Any, pointer: str) -> Any:
    parent, last = _walk(doc, pointer)
    return parent.pop(int(last)) if isinstance(parent, list) else parent.pop(last)


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, last = _walk(doc, pointer)
    if isinstance(parent, list):
        parent.append(value) if last == "-" else parent.insert(int(last), value)
    else:
        parent[last] = value


def apply_patch(doc: Any, ops: list[dict[str, Any]]) -> Any:
    doc = copy.deepcopy(doc)
    for op in ops:
        kind = op["op"]
        if kind == "add":
            _add(doc, op["path"], copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, op["path"])
        elif kind == "replace":
            _get(doc, op["path"])  # must exist
            parent, last = _walk(doc, op["path"])
            parent[int(last) if isinstance(parent, list) else last] = copy.deepcopy(op["value"])
        elif kind == "move":
            _add(doc, op["path"], _remove(doc, op["from"]))
        else:
            raise ValueError(f"unsupported patch op {kind!r}")
    return doc


def write_spec(doc: Any, path: Path) -> Spec:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load_spec(path)


def case_specs(case: dict[str, Any], tmp: Path) -> tuple[Spec, Spec]:
    base_doc = yaml.safe_load(BASE.read_text())
    base = write_spec(base_doc, tmp / "base.yaml")
    patched = write_spec(apply_patch(base_doc, case["patch"]), tmp / f"{case['name']}.yaml")
    return base, patched


def code(c: Change) -> list[str]:
    langs = "".join(LETTER[c.impacts[lang].severity] for lang in ("python", "typescript", "go"))
    return [c.kind, c.subject, f"{langs}/{LETTER[c.wire]}"]


def _resolve(raw: Any, pointer: str) -> Any:
    assert pointer.startswith("#/"), pointer
    node = raw
    for part in pointer[2:].split("/"):
        if not part:
            continue
        part = _unescape(part)
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# -- the tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], tuple[Report, Spec, Spec]]:
    out = {}
    for case in CASES:
        tmp = tmp_path_factory.mktemp(case["name"])
        base, patched = case_specs(case, tmp)
        assert not [d for d in load_spec(patched.path).diagnostics], f"{case['name']}: the patched spec is invalid"
        out[(case["name"], "forward")] = (diff_specs(base, patched), base, patched)
        out[(case["name"], "reverse")] = (diff_specs(patched, base), patched, base)
    return out


@pytest.mark.parametrize("direction", ["forward", "reverse"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict[str, Any], direction: str, reports: dict[Any, Any]) -> None:
    report, _old, _new = reports[(case["name"], direction)]
    got = Counter(tuple(code(c)) for c in report.changes)
    want = Counter(tuple(x) for x in case[direction])
    missing, unexpected = sorted((want - got).elements()), sorted((got - want).elements())
    assert got == want, f"{case['name']} {direction}:\n  missing: {missing}\n  unexpected: {unexpected}"


def test_corpus_size() -> None:
    """The issue's bar: at least 25 changes, each kind in each direction."""
    changes = sum(len(c["forward"]) + len(c["reverse"]) for c in CASES)
    kinds = {x[0] for c in CASES for d in ("forward", "reverse") for x in c[d]}
    assert changes >= 50 and len(CASES) >= 25 and len(kinds) >= 40, (changes, len(CASES), len(kinds))


def test_every_location_resolves(reports: dict[Any, Any]) -> None:
    """Each change's JSON pointer names a node of the spec it says (old or new)."""
    for (name, direction), (report, old, new) in reports.items():
        for c in report.changes:
            spec = old if c.side == "old" else new
            try:
                _resolve(spec.raw, c.location)
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                pytest.fail(f"{name} {direction}: {c.kind} {c.subject}: {c.location} does not resolve ({exc!r})")


def _only(report: Report, kind: str) -> Change:
    hits = [c for c in report.changes if c.kind == kind]
    assert len(hits) == 1, [code(c) for c in report.changes]
    return hits[0]


def test_issue_examples(reports: dict[Any, Any]) -> None:
    """The issue's own examples, spelled out."""
    rename = _only(reports[("required-response-field-renamed", "forward")][0], "field-renamed")
    assert rename.severity == "breaking"
    assert rename.impacts["python"].text == "`Note.title` is now `Note.heading`"
    assert rename.impacts["typescript"].text == "`Note.title` is now `Note.heading`"
    assert rename.impacts["go"].text == "`Note.Title` is now `Note.Heading`"
    assert rename.location == "#/components/schemas/Note/properties/heading"

    removed = _only(reports[("event-removed", "forward")][0], "event-removed")
    assert removed.severity == "breaking" and removed.side == "old"
    assert removed.location == "#/components/schemas/SummaryFrame/oneOf/2"
    assert removed.impacts["go"].text == "event type `CitationEvent` is gone"

    narrowed = _only(reports[("enum-narrowed", "forward")][0], "enum-value-removed")
    assert narrowed.severity == "breaking"
    assert narrowed.impacts["python"].text == "`Priority.HIGH` is gone"
    assert narrowed.impacts["typescript"].text == "`Priority.High` is gone"
    assert narrowed.impacts["go"].text == "`PriorityHigh` is gone"

    for name, kind in (
        ("optional-request-field", "field-added"),
        ("operation-added", "operation-added"),
        ("event-removed", "event-added"),
    ):
        direction = "reverse" if name == "event-removed" else "forward"
        report = reports[(name, direction)][0]
        assert _only(report, kind).severity == "compatible"
        assert report.level == "compatible"

    added = _only(reports[("optional-request-field", "forward")][0], "field-added")
    assert added.impacts["python"].text == "new optional `client.notes.create_note(pinned=…)`"
    assert added.impacts["typescript"].text == "new optional `CreateNoteParams.pinned`"
    assert added.impacts["go"].text == "new optional `CreateNoteParams.Pinned`"


def test_no_change(tmp_path: Path) -> None:
    base = load_spec(BASE)
    report = diff_specs(base, base)
    assert report.changes == [] and report.level is None and report.proposed_version() is None


if __name__ == "__main__":  # print what the differ reports, in cases.yaml's notation
    import tempfile

    wanted = set(sys.argv[1:])
    with tempfile.TemporaryDirectory() as d:
        for case in CASES:
            if wanted and case["name"] not in wanted:
                continue
            base, patched = case_specs(case, Path(d))
            print(f"  - name: {case['name']}")
            for direction, (a, b) in (("forward", (base, patched)), ("reverse", (patched, base))):
                print(f"    {direction}:")
                for c in diff_specs(a, b).changes:
                    print(f"      - [{', '.join(code(c))}]")
