"""Jinja2 environment shared by the targets.

Common filters (every target has them; targets add their own, documented in
their module docstring):

    wrap(text, width, indent)   re-flow prose to `width` columns, indenting continuation lines
    lines(text)                 split prose into lines (for comment blocks)
    json(value)                 a JSON literal (stable: sorted keys)
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Callable

import jinja2

__all__ = ["make_env"]


def _wrap(text: str, width: int = 88, indent: str = "") -> str:
    paragraphs = [" ".join(p.split()) for p in str(text or "").split("\n\n")]
    out = []
    for p in paragraphs:
        if p:
            out.append(textwrap.fill(p, width=width, subsequent_indent=indent, break_on_hyphens=False))
    return ("\n" + indent + "\n" + indent).join(out) if out else ""


def _lines(text: str, width: int = 88) -> list[str]:
    result: list[str] = []
    for p in str(text or "").split("\n\n"):
        p = " ".join(p.split())
        if not p:
            continue
        if result:
            result.append("")
        result.extend(textwrap.wrap(p, width=width, break_on_hyphens=False))
    return result


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja's own on-disk cache of compiled templates (a private folder of the user's in the
    temporary directory, entries keyed by template and checked against its source), so a run
    does not compile every template again; compiling was a third of `make generate`. The output
    is the same with or without it; without a usable folder, there is none."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (OSError, RuntimeError):
        return None


def make_env(template_dir: Path, filters: dict[str, Callable[..., Any]] | None = None) -> jinja2.Environment:
    env = jinja2.Environment(
        bytecode_cache=_bytecode_cache(),
        loader=jinja2.FileSystemLoader(str(template_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update({"wrap": _wrap, "lines": _lines, "json": _json})
    env.filters.update(filters or {})
    return env
