"""Shared pieces of the end-to-end tests: the mock server and clients pointed at it."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = REPO / "docs" / "sdk-calls.md"  # the documented call shapes, in the repository's own docs
README = HERE.parent / "README.md"


def python_blocks(text: str) -> list[str]:
    """The ```python code blocks of a Markdown document, in order."""
    return [m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL)]
