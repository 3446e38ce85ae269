"""Layer 3: per-language targets.

A target is an object with:

    lang: str                 "python" | "typescript" | "go"
    default_out: str          where `generate-all` writes it, relative to the repo root
    def render(ir: IR, ctx: RenderContext) -> dict[str, str]
        every generated file, by path relative to the output folder, WITHOUT the
        generated header (the emitter adds it) and already formatted.
    def source_dirs() -> list[Path]
        the folders whose content defines this target (hashed into the stamp).

Each lives in `sdkgen/targets/<lang>/` with its `templates/` (Jinja2, reading only
IR fields and the target's documented filters) and `runtime/` (hand-written
files copied unchanged into every SDK).
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..ir import IR

__all__ = ["Target", "RenderContext", "LANGS", "get_target", "generator_sha256"]

LANGS = ("python", "typescript", "go")


@dataclass(frozen=True)
class RenderContext:
    spec_path: Path  # the spec file (the Python target hands it to openapi-python-client)
    spec_name: str  # as named in headers, e.g. "openapi.yaml"


class Target(Protocol):
    lang: str
    default_out: str

    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]: ...

    def source_dirs(self) -> list[Path]: ...


def get_target(lang: str) -> Target:
    if lang not in LANGS:
        raise KeyError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    module = importlib.import_module(f"{__name__}.{lang}")
    return module.TARGET  # type: ignore[no-any-return]


def generator_sha256(target: Target) -> str:
    """Hash of the generator core plus this target's own files (templates, runtime, code)."""
    core = Path(__file__).resolve().parent.parent
    paths = sorted(p for p in core.glob("*.py"))
    for d in target.source_dirs():
        paths.extend(sorted(p for p in d.rglob("*") if p.is_file() and "__pycache__" not in p.parts))
    h = hashlib.sha256()
    for p in paths:
        h.update(str(p.relative_to(core)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()
