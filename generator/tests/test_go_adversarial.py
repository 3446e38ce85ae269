"""No spec text ever becomes Go code.

generator/tests/specs/adversarial.yaml carries code-injection payloads in every text field
(closing comments, quotes, backticks, `${}`, `//`, NUL, U+2028/U+2029, newlines) and every
naming hazard. The Go SDK generated from it is compared, token by token with Go's own
tokenizer (go/scanner, through a small Go program this test builds), with the SDK generated
from the same spec whose prose (titles, summaries, descriptions, the version and the server
URL) is neutral text: outside string literals and comments nothing may differ. The
adversarial SDK must also build and vet, and the payloads must really reach it (escaped).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec

HERE = Path(__file__).resolve().parent
SPEC = HERE / "specs" / "adversarial.yaml"
GO = shutil.which("go")
ENV = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
PROSE = {"description", "summary", "title"}

pytestmark = pytest.mark.skipif(GO is None, reason="the Go toolchain is not installed")

TOKENIZER = r'''
package main

import (
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Prints the tokens of every .go file under a folder, one per line, string and char
// literals as their kind only; comments are skipped. Exits 1 on a tokenizer error.
func main() {
	root := os.Args[1]
	var files []string
	filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	failed := false
	for _, path := range files {
		src, _ := os.ReadFile(path)
		fset := token.NewFileSet()
		file := fset.AddFile(path, fset.Base(), len(src))
		var s scanner.Scanner
		s.Init(file, src, func(pos token.Position, msg string) {
			fmt.Fprintf(os.Stderr, "%s: %s\n", pos, msg)
			failed = true
		}, 0)
		rel, _ := filepath.Rel(root, path)
		fmt.Printf("FILE %s\n", rel)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			switch {
			case tok == token.STRING || tok == token.CHAR:
				fmt.Println(tok)
			case tok == token.SEMICOLON:
				fmt.Println(";")
			default:
				fmt.Println(tok, lit)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}
'''


def _neutral(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k in PROSE and isinstance(v, str):
                out[k] = "neutral text"
            else:
                out[k] = _neutral(v, str(k))
        return out
    if isinstance(node, list):
        return [_neutral(v) for v in node]
    return node


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("gotokens")
    (d / "go.mod").write_text("module gotokens\n\ngo 1.24\n")
    (d / "main.go").write_text(TOKENIZER)
    subprocess.run(["go", "build", "-o", "gotokens", "."], cwd=d, env=ENV, check=True, capture_output=True)
    return d / "gotokens"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("adversarial-go")
    raw = yaml.safe_load(SPEC.read_text())
    neutral = _neutral(raw)
    neutral["info"]["version"] = "1.0.0"
    neutral["info"]["x-sdk"]["version"] = "1.0.0"
    for server in neutral.get("servers", []):
        server["url"] = "https://api.example.test/v1"
    neutral_spec = tmp / "adversarial.yaml"
    neutral_spec.write_text(yaml.safe_dump(neutral, sort_keys=False, allow_unicode=True))
    bad, good = tmp / "payloads", tmp / "neutral"
    generate(build_ir(load_spec(SPEC)), SPEC, "go", bad)
    generate(build_ir(load_spec(neutral_spec)), neutral_spec, "go", good)
    return bad, good


def _tokens(tokenizer: Path, folder: Path) -> list[str]:
    proc = subprocess.run([str(tokenizer), str(folder)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"go/scanner refused the generated code:\n{proc.stderr}"
    return proc.stdout.splitlines()


def test_nothing_outside_strings_and_comments_changes(tokenizer: Path, outputs: tuple[Path, Path]) -> None:
    bad, good = outputs
    ours, theirs = _tokens(tokenizer, bad), _tokens(tokenizer, good)
    assert [t for t in ours if t.startswith("FILE ")] == [t for t in theirs if t.startswith("FILE ")]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a == b, f"token {i} differs: {a!r} (payloads) vs {b!r} (neutral):\n" + "\n".join(ours[max(0, i - 15):i + 3])
    assert len(ours) == len(theirs)


def test_payloads_reach_the_output_escaped(outputs: tuple[Path, Path]) -> None:
    bad, _ = outputs
    text = "".join(p.read_text() for p in bad.glob("*.go"))
    # In comments, as prose; in string literals, escaped.
    assert "// description get_item */" in text
    assert "process.exit(1)" in text
    assert '"*/ \\"\\"\\" \'\'\' ` ${process.exit(1)} // # \\\\ </script>' in text  # an event name, as a literal
    assert "\x00" not in text and "\u2028" not in text and "\ufeff" not in text
    # api.md: spec text is HTML-escaped prose, or inside a code span (literal in Markdown).
    api = (bad / "api.md").read_text().split("\n", 1)[1]
    assert "</script>" in api
    outside = re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", api)
    assert "<" not in outside and ">" not in outside, outside


def test_the_adversarial_sdk_builds(outputs: tuple[Path, Path]) -> None:
    bad, _ = outputs
    for cmd in (["go", "build", "./..."], ["go", "vet", "./..."]):
        proc = subprocess.run(cmd, cwd=bad, capture_output=True, text=True, env=ENV, check=False)
        assert proc.returncode == 0, f"{' '.join(cmd)}:\n{proc.stdout}\n{proc.stderr}"
