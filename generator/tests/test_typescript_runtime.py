"""The TypeScript runtime's own tests, run against SDKs generated from the corpus.

Every spec of the corpus (generator/tests/specs/, openapi.yaml and the notebook fixture), and
the runtime tests' own specs (ts_runtime/specs/: what the corpus does not exercise), is generated
into a temporary folder (`sdks/<spec name>/`), compiled alone with its own
tsconfig.json (`tsc --strict`, no Node types: the package must build for any runtime), and then
compiled together with generator/tests/ts_runtime/*.test.ts, which `node --test` runs one file per
test here. Those tests exercise the hand-written runtime (targets/typescript/runtime/) through
the generated code: each stream style in its owners' own framing (OpenAI's `data:` chunks ended by
`[DONE]`, Anthropic's named events with `type` in the data, OpenAPI 3.2 `itemSchema` streams that
end with the connection, our event-named frames with resume), bodies and parameters of every kind,
credentials, unions, raw responses, per-request options, logging and cancellation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sdkgen.ir import IR

from ts_support import CORPUS, NODE, TS_RUNTIME_TESTS, generate_sdk, link_modules, node, tsc

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

RUNTIME_TESTS = sorted(p.name for p in TS_RUNTIME_TESTS.glob("*.test.ts"))
SPECS = CORPUS + sorted((TS_RUNTIME_TESTS / "specs").glob("*.yaml"))

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "lib": ["ES2022", "ESNext.Disposable", "DOM"],
        "types": ["node"],
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "strict": True,
        "noUncheckedIndexedAccess": True,
        "noImplicitOverride": True,
        "noUnusedLocals": True,
        "noUnusedParameters": True,
        "skipLibCheck": True,
        "declaration": False,
        "sourceMap": False,
        "rootDir": ".",
        "outDir": "build",
    },
    "include": ["sdks/*/src", "test"],
}


class Workspace:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.irs: dict[str, IR] = {}
        self.compiled: str | None = None  # tsc's complaints about the combined program


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("ts-runtime")
    ws = Workspace(root)
    link_modules(root)
    for spec in SPECS:
        ws.irs[spec.stem] = generate_sdk(spec, root / "sdks" / spec.stem)
    shutil.copytree(TS_RUNTIME_TESTS, root / "test", ignore=shutil.ignore_patterns("specs"))
    (root / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    result = tsc("-p", "tsconfig.json", cwd=root)
    ws.compiled = (result.stdout + result.stderr).strip() if result.returncode else None
    return ws


@pytest.mark.parametrize("spec", [p.stem for p in SPECS])
def test_every_corpus_spec_compiles_strictly_with_no_operation_dropped(workspace: Workspace, spec: str) -> None:
    ir = workspace.irs[spec]
    assert not ir.dropped, [str(d) for d in ir.dropped]
    folder = workspace.root / "sdks" / spec
    for resource in ir.resources:
        module = (folder / "src" / "resources" / f"{resource.name.module}.ts").read_text()
        for op in resource.operations:
            assert f"\n  {op.name.typescript_member}(" in module, f"{op.key}: no method `{op.name.typescript_member}`"
    result = tsc("-p", "tsconfig.json", "--noEmit", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (folder / "api.md").exists()


@pytest.mark.parametrize("name", RUNTIME_TESTS)
def test_runtime(workspace: Workspace, name: str) -> None:
    assert workspace.compiled is None, f"the runtime tests do not compile:\n{workspace.compiled}"
    result = node("--test", "--test-reporter=spec", f"build/test/{name.removesuffix('.ts')}.js", cwd=workspace.root)
    assert result.returncode == 0, (result.stdout + result.stderr)[-20000:]


def test_the_runtime_tests_cover_every_streaming_spec() -> None:
    """A smoke test per streaming spec: each corpus spec with a stream is imported by a test."""
    sources = "\n".join((TS_RUNTIME_TESTS / n).read_text() for n in RUNTIME_TESTS)
    from sdkgen.builder import build_ir_from_path

    for spec in CORPUS:
        if build_ir_from_path(str(spec)).streams:
            assert f"'../sdks/{spec.stem}/src/index.js'" in sources, f"no runtime test streams {spec.name}"
