"""The Python runtime's own tests (targets/python/runtime/) run against an SDK generated
from fixtures/notebook.yaml into a scratch folder, once per test process: the runtime is
only ever used inside a generated package (its `_core`), never on its own.

`notebook` is importable in these tests; `notebook._core` is the runtime under test.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import respx
from sdkgen.builder import build_ir
from sdkgen.cli import generate
from sdkgen.spec import load_spec

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "notebook.yaml"
BASE = "https://api.notebook.test"  # the fixture spec's server


def _generated() -> Path:
    out = Path(tempfile.mkdtemp(prefix="sdkgen-py-runtime-"))
    generate(build_ir(load_spec(FIXTURE)), FIXTURE, "python", out)
    return out / "src"


SRC = _generated()
sys.path.insert(0, str(SRC))


class Sleeps:
    """Records the delays asked for (no real sleeping)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router
