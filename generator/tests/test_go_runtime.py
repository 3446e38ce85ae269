"""The Go runtime's own tests, run where they live: targets/go/runtime_tests/ holds Go tests of
the runtime alone (hand-made settings, shapes and stream specs: no API's types), stored, like
the runtime, without a package clause. This test generates an SDK from the notebook fixture,
copies them in with its package clause, and runs them (plus the SSE parser's tests in
internal/sse). The runtime is brand-neutral: no file names an API, and none uses the
prefixes the templates give generated unexported names.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec
from sdkgen.targets.go import GENERATED_PREFIXES, RUNTIME, runtime_files

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TESTS = RUNTIME.parent / "runtime_tests"
FIXTURE = HERE / "fixtures" / "notebook.yaml"
GO = shutil.which("go")
ENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


@pytest.mark.skipif(GO is None, reason="the Go toolchain is not installed")
def test_runtime_tests_pass_in_a_generated_sdk(tmp_path: Path) -> None:
    out = tmp_path / "sdk"
    generate(build_ir(load_spec(FIXTURE)), FIXTURE, "go", out)
    copied = 0
    for src in sorted(TESTS.rglob("*_test.go")):
        rel = src.relative_to(TESTS).as_posix()
        text = src.read_text()
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text if "/" in rel else "package notebook\n\n" + text)
        copied += 1
    assert copied >= 3
    for cmd in (["go", "vet", "./..."], ["go", "test", "-count=1", "./..."]):
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=ENV, check=False, timeout=600)
        assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"


def test_runtime_is_brand_neutral() -> None:
    for rel, text in runtime_files().items():
        assert not re.search(r"promptrails|prompt rails|x-api-key|/api/v1", text, re.IGNORECASE), rel
        if "/" not in rel:
            assert not text.lstrip().startswith("package "), f"{rel}: the target writes the package clause"
            assert not re.search(r'^\s*"[\w.-]+\.[a-z]+/', text, re.MULTILINE), f"{rel} imports a module path"
        for prefix in GENERATED_PREFIXES:
            assert not re.search(rf"\b{prefix}[A-Z]", text), f"{rel} uses the generated prefix {prefix}"


def test_the_sdk_keeps_the_parser_tests_in_step() -> None:
    """go-sdk/internal/sse keeps a copy of the parser's tests (make test-go fuzzes it there);
    it must be the runtime's own."""
    ours = (TESTS / "internal" / "sse" / "parser_test.go").read_text()
    assert (ROOT / "go-sdk" / "internal" / "sse" / "parser_test.go").read_text() == ours
