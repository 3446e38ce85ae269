"""Spec text never becomes TypeScript code.

adversarial.yaml carries code-injection payloads in every text field and name (closing comments,
quotes, backticks, `${}`, `//`, NUL, U+2028/U+2029, line breaks). The same spec with neutral text
(each of those characters replaced by `-`, which leaves every name the naming rules derive
unchanged) is generated beside it, and TypeScript's own scanner (`ts.createScanner`) tokenises
every generated file of both: outside string literals and comments, the two token streams must be
identical, and the scanner must report no error in either. The adversarial SDK must also
compile (`tsc --strict`), and its string literals must hold the spec's text exactly.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml

from ts_support import NODE, SPECS, generate_sdk, link_modules, node, node_modules, tsc

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

HERE = Path(__file__).resolve().parent
ADVERSARIAL = SPECS / "adversarial.yaml"
SCAN = HERE / "ts_scan.mjs"
DANGEROUS = set("*\"'`${}\\<>%#")


def neutral(text: str) -> str:
    """`text` with every payload character replaced by `-`. Text without a letter or digit (a
    name spelled by its punctuation, such as an enum value `+`) is kept: changing it would change
    the names derived from it."""
    if not any(c.isalnum() for c in text):
        return text
    return "".join("-" if c in DANGEROUS or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)


def neutralised(doc: Any, key: str | None = None) -> Any:
    """The spec with neutral text: every string and every name made neutral, except what is
    structure (path templates, `$`-keywords such as `$ref`, references, the OpenAPI version)."""
    if isinstance(doc, dict):
        out = {}
        for k, v in doc.items():
            keep = key == "paths" or not isinstance(k, str) or k.startswith("$")
            out[k if keep else neutral(k)] = neutralised(v, k)
        return out
    if isinstance(doc, list):
        return [neutralised(v, key) for v in doc]
    if isinstance(doc, str) and key not in ("$ref", "openapi") and not doc.startswith("#/"):
        return neutral(doc)
    return doc


def scan(files: list[Path]) -> dict[str, Any]:
    typescript = node_modules() / "typescript"
    result = node(str(SCAN), str(typescript), *map(str, files), cwd=HERE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("injection")
    doc = yaml.safe_load(ADVERSARIAL.read_text())
    calm = root / "neutral.yaml"
    calm.write_text(yaml.safe_dump(neutralised(doc), allow_unicode=True, sort_keys=False))
    adversarial_ir = generate_sdk(ADVERSARIAL, root / "adversarial")
    neutral_ir = generate_sdk(calm, root / "neutral")
    assert not adversarial_ir.dropped and not neutral_ir.dropped
    return {"adversarial": root / "adversarial", "neutral": root / "neutral"}


def test_the_neutral_spec_keeps_every_name() -> None:
    assert neutral("done */") == "done -/"
    assert neutral("+") == "+" and neutral('"""') == '"""'
    doc = yaml.safe_load(ADVERSARIAL.read_text())
    assert "${process.exit(1)}" in json.dumps(doc)
    assert "${process.exit(1)}" not in json.dumps(neutralised(doc))


def test_nothing_outside_strings_and_comments_differs(outputs: dict[str, Path]) -> None:
    adversarial, calm = outputs["adversarial"], outputs["neutral"]
    rels = sorted(str(p.relative_to(adversarial)) for p in adversarial.rglob("*.ts"))
    assert rels == sorted(str(p.relative_to(calm)) for p in calm.rglob("*.ts"))
    generated = [r for r in rels if not r.startswith("src/core/")]
    for rel in rels:
        if rel.startswith("src/core/"):  # the runtime, copied: the same bytes below the header
            assert (adversarial / rel).read_text().split("\n", 1)[1] == (calm / rel).read_text().split("\n", 1)[1]
    a = scan([adversarial / r for r in generated])
    b = scan([calm / r for r in generated])
    differing = 0
    for rel in generated:
        ta, tb = a[str(adversarial / rel)], b[str(calm / rel)]
        assert ta["errors"] == [] and tb["errors"] == [], (rel, ta["errors"], tb["errors"])
        if ta["tokens"] != tb["tokens"]:
            first = next(i for i, (x, y) in enumerate(zip(ta["tokens"], tb["tokens"])) if x != y)
            pytest.fail(f"{rel}: token {first} differs: {ta['tokens'][first]} vs {tb['tokens'][first]}")
        differing += (adversarial / rel).read_text() != (calm / rel).read_text()
    assert differing >= 5, "the payloads should reach the output (as strings and comments)"


def test_string_literals_hold_the_spec_text_exactly(outputs: dict[str, Path]) -> None:
    from sdkgen.builder import build_ir_from_path

    ir = build_ir_from_path(str(ADVERSARIAL))
    events = outputs["adversarial"] / "src" / "events.ts"
    strings = set(scan([events])[str(events)]["strings"])
    for stream in ir.streams.values():
        for ev in stream.events:
            assert ev.event in strings, repr(ev.event)
    client = outputs["adversarial"] / "src" / "client.ts"
    assert ir.auth[0].param in set(scan([client])[str(client)]["strings"])


def test_the_adversarial_package_compiles_strictly(outputs: dict[str, Path]) -> None:
    link_modules(outputs["adversarial"])
    result = tsc("-p", "tsconfig.json", "--noEmit", cwd=outputs["adversarial"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_index_ts_keeps_the_summary_inside_its_comment(outputs: dict[str, Path]) -> None:
    index = (outputs["adversarial"] / "src" / "index.ts").read_text()
    first = index.split("\n", 1)[1]
    assert first.startswith("/**")
    end = first.index("*/")
    assert "process.exit" in first[:end]
    assert re.match(r"\*/\nexport \{ ", first[end:])
