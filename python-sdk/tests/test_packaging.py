"""The package builds and installs from a clean checkout (issue 12, item 6): `python -m
build` (pinned) makes the sdist and the wheel; each installs into an empty virtualenv and
imports; the metadata carries the README as long description, the Apache-2.0 license and
the repository URL. Everything happens in a scratch folder; dependencies come from PyPI."""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from e2e_support import SPEC_VERSION

SDK = Path(__file__).resolve().parents[1]
REPO = SDK.parent
BUILD = "build==1.6.1"


def _run(cmd: list[str], cwd: Path) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False, text=True, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path / "bin" / "python"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and wheel of a copy of python-sdk/ holding only what git tracks there."""
    work = tmp_path_factory.mktemp("packaging")
    tracked = subprocess.run(["git", "ls-files", "-z", "."], cwd=SDK, capture_output=True, check=True).stdout
    source = work / "src"
    for rel in filter(None, tracked.decode().split("\0")):
        if not (SDK / rel).is_file():
            continue
        (source / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(SDK / rel, source / rel)
    builder = _venv(work / "build-venv")
    _run([str(builder), "-m", "pip", "install", "-q", BUILD], work)
    _run([str(builder), "-m", "build", "--outdir", str(work / "dist"), str(source)], work)
    return work / "dist"


def _metadata(dist: Path) -> email.message.Message:
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(z.read(name).decode())


def test_the_metadata(dist: Path) -> None:
    meta = _metadata(dist)
    assert meta["Name"] == "promptrails" and meta["License-Expression"] == "Apache-2.0"
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == (SDK / "README.md").read_text().strip()
    assert "Repository, https://github.com/promptrails/sdk-toolchain" in meta.get_all("Project-URL")
    assert set(meta.get_all("Requires-Dist")) == {"httpx<1,>=0.27", "httpx-sse<0.5,>=0.4"}


def test_the_wheel_and_the_sdist_hold_what_the_package_needs(dist: Path) -> None:
    wheel = next(dist.glob("*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    assert "promptrails/py.typed" in names and "promptrails/_core/_brand.py" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)
    sdist = next(dist.glob("*.tar.gz"))
    with tarfile.open(sdist) as t:
        members = {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name}
    assert {"README.md", "LICENSE", "pyproject.toml", "src/promptrails/__init__.py"} <= members
    assert (SDK / "LICENSE").read_text() == (REPO / "LICENSE").read_text()


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_installs_into_an_empty_venv_and_imports(dist: Path, tmp_path: Path, kind: str) -> None:
    artifact = next(dist.glob("*.whl" if kind == "wheel" else "*.tar.gz"))
    python = _venv(tmp_path / "venv")
    _run([str(python), "-m", "pip", "install", "-q", str(artifact)], tmp_path)
    probe = ("import promptrails, promptrails._core, importlib.metadata as m;"
             "print(promptrails.__version__, m.version('promptrails'), promptrails.PromptRails.__name__)")
    out = _run([str(python), "-c", probe], tmp_path)
    assert out.split() == [SPEC_VERSION, SPEC_VERSION, "PromptRails"], out
    assert not (tmp_path / "venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
                / "site-packages" / "tests").exists()
