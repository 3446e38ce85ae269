"""Shared pieces of the end-to-end tests: the mock server and clients pointed at it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = REPO / "docs" / "sdk-calls.md"  # the documented call shapes, in the repository's own docs
README = HERE.parent / "README.md"
ROOT_README = REPO / "README.md"  # the repository's "A first look"
# The SDK version the spec releases (info.x-sdk.version): the package's, and its User-Agent's.
SPEC_VERSION = str(yaml.safe_load((REPO / "openapi.yaml").read_text(encoding="utf-8"))["info"]["x-sdk"]["version"])


def python_blocks(text: str) -> list[str]:
    """The ```python code blocks of a Markdown document, in order."""
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL)]
