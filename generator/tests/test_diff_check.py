"""`sdkgen check` explains itself: why an SDK is stale (spec, generator, hand edits), which
files differ and by how many lines, and what the spec change does to the SDK's users,
read from the copy of the spec each SDK keeps (`.sdkgen-spec.yaml`)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from sdkgen.cli import main
from sdkgen.emit import MANIFEST, SPEC_COPY, drift, write_output

HERE = Path(__file__).resolve().parent
OLD = HERE / "diff_specs" / "ci_old.yaml"
NEW = HERE / "diff_specs" / "ci_new.yaml"


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A repo root whose TypeScript SDK was generated from ci_old.yaml (copied as openapi.yaml)."""
    shutil.copy(OLD, tmp_path / "openapi.yaml")
    assert main(["generate-all", "--spec", str(tmp_path / "openapi.yaml"), "--root", str(tmp_path), "--lang", "typescript"]) == 0
    return tmp_path


def _check(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["check", "--spec", str(root / "openapi.yaml"), "--root", str(root), "--lang", "typescript", *extra])
    return code, capsys.readouterr().out


def test_generation_keeps_the_exact_spec(root: Path) -> None:
    sdk = root / "typescript-sdk"
    manifest = json.loads((sdk / MANIFEST).read_text())
    assert manifest["spec_file"] == SPEC_COPY
    assert (sdk / SPEC_COPY).read_bytes() == OLD.read_bytes()
    assert hashlib.sha256((sdk / SPEC_COPY).read_bytes()).hexdigest() == manifest["spec_sha256"]


def test_up_to_date(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(root, capsys)
    assert code == 0 and "typescript-sdk is up to date" in out


def test_a_spec_change_is_explained(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(NEW, root / "openapi.yaml")
    code, out = _check(root, capsys)
    assert code == 1
    assert "cause: the spec changed since the SDK was generated" in out
    assert "the generator changed" not in out
    assert "src/models.ts" in out and "src/resources/notes.ts" in out and f"{SPEC_COPY}  " in out
    assert "regenerating adds" in out
    # ... and what that change does to TypeScript users, from the stored spec:
    assert f"`sdkgen diff {root / 'typescript-sdk' / SPEC_COPY} {root / 'openapi.yaml'}`" in out
    assert "TypeScript  breaking: `Note.title` is now `Note.heading`" in out
    assert "SDK version: 0.3.0 -> 0.4.0" in out


def test_hand_edits_are_named_as_the_cause(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = root / "typescript-sdk" / "src" / "models.ts"
    models.write_text(models.read_text() + "// mine\n")
    code, out = _check(root, capsys, "--diff")
    assert code == 1
    assert "generated files were edited by hand" in out
    assert "src/models.ts  differs" in out and "+0 -1" in out
    assert "-// mine" in out, "--diff prints the unified diff"
    assert "what " not in out.split("cause:")[1], "no spec report when the spec did not change"


def test_a_missing_spec_copy_is_said(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "typescript-sdk" / SPEC_COPY).unlink()
    shutil.copy(NEW, root / "openapi.yaml")
    code, out = _check(root, capsys)
    assert code == 1
    assert "keep no copy of the spec they were generated from" in out


def test_drift_counts_lines(tmp_path: Path) -> None:
    committed, fresh = tmp_path / "c", tmp_path / "f"
    write_output(
        committed,
        {"a.py": "1\n2\n3\n", "gone.py": "x\ny\n"},
        spec_sha256="s",
        generator_sha256="g",
        lang="python",
        spec=b"old spec\n",
    )
    write_output(
        fresh,
        {"a.py": "1\nTWO\n3\n4\n", "new.py": "n\n"},
        spec_sha256="s",
        generator_sha256="g",
        lang="python",
        spec=b"new spec\n",
    )
    got = {d.path: (d.status, d.added, d.removed) for d in drift(committed, fresh)}
    assert got == {
        "a.py": ("differs", 2, 1),
        "new.py": ("missing", 1, 0),
        "gone.py": ("no longer generated", 0, 2),
        SPEC_COPY: ("differs", 1, 1),
        MANIFEST: ("differs", got[MANIFEST][1], got[MANIFEST][2]),
    }
