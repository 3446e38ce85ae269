"""Spec text never becomes Python code (issue 10, "injection-proof output").

`specs/adversarial.yaml` carries code-injection payloads for every language in each text
field (closing docstrings and comments, quotes, backslashes, NUL, U+2028/U+2029, newlines)
and every naming hazard in its names. The SDK generated from it must differ from the SDK
generated from the same spec with neutral prose only inside string literals (docstrings
included) and comments, token for token as Python's own `tokenize` reads them; and it must
import without running any of it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import tokenize
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec

HERE = Path(__file__).resolve().parent
ADVERSARIAL = HERE / "specs" / "adversarial.yaml"
PROSE = {"description", "summary", "title"}
IGNORED = {tokenize.STRING, tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}


def _neutral(node: Any) -> Any:
    """The same document with every piece of prose replaced by neutral text (names kept)."""
    if isinstance(node, dict):
        return {k: ("neutral text" if k in PROSE and isinstance(v, str) else _neutral(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_neutral(v) for v in node]
    return node


def _code_tokens(text: str) -> list[tuple[int, str]]:
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type not in IGNORED]


@pytest.fixture(scope="module")
def sdks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    raw = yaml.safe_load(ADVERSARIAL.read_text())
    neutral = _neutral(raw)
    neutral["info"]["version"] = "1.0.0"
    spec = tmp_path_factory.mktemp("neutral") / "adversarial.yaml"
    spec.write_text(yaml.safe_dump(neutral, allow_unicode=True, sort_keys=False))
    out: list[Path] = []
    for source in (ADVERSARIAL, spec):
        ir = build_ir(load_spec(source))
        dest = tmp_path_factory.mktemp("sdk")
        generate(ir, source, "python", dest)
        out.append(dest)
    return out[0], out[1]


def test_the_payloads_reach_the_sdk(sdks: tuple[Path, Path]) -> None:
    hostile, _ = sdks
    text = "".join(p.read_text() for p in hostile.rglob("*.py"))
    assert "process.exit(1)" in text and "</script>" in text  # the test compares something


def test_only_strings_and_comments_differ(sdks: tuple[Path, Path]) -> None:
    hostile, neutral = sdks
    files = sorted(p.relative_to(hostile).as_posix() for p in hostile.rglob("*.py"))
    assert files == sorted(p.relative_to(neutral).as_posix() for p in neutral.rglob("*.py"))
    assert len(files) > 40
    differing = 0
    for rel in files:
        a, b = (hostile / rel).read_text(), (neutral / rel).read_text()
        differing += a != b
        assert _code_tokens(a) == _code_tokens(b), f"{rel}: spec text changed code outside strings and comments"
        compile(a, rel, "exec")
    assert differing > 10  # the prose did reach many files, as strings


def test_pyproject_holds_the_spec_text_as_data(sdks: tuple[Path, Path]) -> None:
    hostile, neutral = sdks
    a = tomllib.loads((hostile / "pyproject.toml").read_text())
    b = tomllib.loads((neutral / "pyproject.toml").read_text())
    assert a.keys() == b.keys() and a["project"].keys() == b["project"].keys()
    assert a["project"]["name"] == b["project"]["name"] == build_ir(load_spec(ADVERSARIAL)).sdk.python_package
    assert "process.exit(1)" in a["project"]["description"]


def test_api_md_keeps_the_payloads_inert(sdks: tuple[Path, Path]) -> None:
    hostile, _ = sdks
    text = (hostile / "api.md").read_text()
    assert "</script>" not in text and "<!--" not in text.split("\n", 1)[1] and "\\</script\\>" in text


def test_the_package_imports_without_running_spec_text(sdks: tuple[Path, Path]) -> None:
    hostile, _ = sdks
    package = build_ir(load_spec(ADVERSARIAL)).sdk.python_package
    code = textwrap.dedent(
        f"""
        import sys
        seen = []
        def hook(event, args):
            if event in ("os.system", "subprocess.Popen", "os.exec", "os.posix_spawn", "os.kill", "os.remove",
                         "shutil.rmtree", "socket.connect"):
                seen.append(event)
        sys.addaudithook(hook)
        import {package}
        from {package} import events, models, resources
        print("imported", len({package}.__all__), seen)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(hostile / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.strip().endswith("[]"), proc.stdout
