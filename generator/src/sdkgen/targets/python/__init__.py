"""The Python target: openapi-python-client for models and endpoint functions, plus
sdkgen's runtime, resource layer, typed events and clients on top.

Steps of `render`:
  1. run openapi-python-client 0.29.1 on the spec (as `python -m openapi_python_client`,
     `--meta none`, no post hooks) and move its package to `src/<package>/_generated/`
     (its imports are relative, so it works there unchanged);
  2. copy `runtime/` unchanged to `src/<package>/_core/`;
  3. render `templates/` (Jinja2) from the IR: the resources, the stream events, the
     clients, `__init__.py`, `py.typed`, `pyproject.toml`;
  4. format the generated and rendered Python with ruff (the pinned version, isolated
     settings below), so the output is byte-for-byte deterministic.

Templates read only IR fields and these filters (besides render.py's common `wrap`,
`lines`, `json`):

    pytype(t, role="in")   the Python annotation of an IR TypeRef; role "in" for arguments
                           (maps as Mapping[str, Any], enums as Literal[...]), "out" for
                           values the SDK returns (generated model / enum classes)
    kind(t)                the runtime check kind of a TypeRef ("string", "integer", ...)
    choices(f)             a Python tuple literal of a field's/param's allowed enum values,
                           or "()"
    opc_class(name)        openapi-python-client's class name for a schema name
    opc_module(name)       openapi-python-client's module name for a schema or operationId
    opc_ident(name)        openapi-python-client's identifier for a property or parameter
    py(value)              a Python literal (repr) of a plain value
    docstring(text, indent) prose made safe for a triple-quoted docstring, wrapped
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from openapi_python_client.strings import ClassName, PythonIdentifier, snake_case

from ...builder import without_validation_compositions
from ...ir import IR, EventStream, EventType, Field, Operation, Parameter, TypeRef
from ...render import _wrap, make_env
from .. import RenderContext

__all__ = ["TARGET", "PythonTarget"]

HERE = Path(__file__).resolve().parent
RUFF_ARGS = ["--isolated", "--line-length", "110", "--target-version", "py311"]


def _opc_class(name: str) -> str:
    return str(ClassName(name, ""))


def _opc_module(name: str) -> str:
    return snake_case(name)


def _opc_ident(name: str) -> str:
    return str(PythonIdentifier(name, ""))


def _kind(t: TypeRef) -> str:
    return t.kind


def _pytype(t: TypeRef, role: str = "in") -> str:
    if t.kind == "string":
        base = "datetime.datetime" if (t.format == "date-time" and role == "out") else "str"
    elif t.kind == "integer":
        base = "int"
    elif t.kind == "number":
        base = "float"
    elif t.kind == "boolean":
        base = "bool"
    elif t.kind == "array":
        inner = _pytype(t.items, role) if t.items else "Any"
        base = f"Sequence[{inner}]" if role == "in" else f"list[{inner}]"
    elif t.kind == "map":
        base = "Mapping[str, Any]" if role == "in" else "dict[str, Any]"
    elif t.kind == "model":
        base = "Mapping[str, Any]" if role == "in" else _opc_class(t.ref or "")
    elif t.kind == "enum":
        base = "str" if role == "in" else _opc_class(t.ref or "")
    else:
        base = "Any"
    return f"{base} | None" if t.nullable and base != "Any" else base


def _choices(f: Field | Parameter) -> str:
    values = f.constraints.get("enum")
    if not values:
        return "()"
    return "(" + ", ".join(repr(v) for v in values) + ",)"


def _docstring(text: str, indent: str = "    ") -> str:
    return _wrap(str(text or "").replace("\\", "\\\\").replace('"""', '\\"\\"\\"'), 88, indent)


class PythonTarget:
    lang = "python"
    default_out = "python-sdk"

    def source_dirs(self) -> list[Path]:
        return [HERE]

    # -- IR-derived facts the templates use ---------------------------------------------
    @staticmethod
    def resume_route(ir: IR, stream: EventStream) -> Operation | None:
        """RUNTIME.md: the streaming operation whose path params are a subset of the first
        event's fields and which takes a `last_event_id` header parameter."""
        if not stream.events:
            return None
        first = {f.wire_name for f in stream.events[0].fields}
        for op in ir.operations:
            if op.result.kind != "stream" or op.result.stream != stream.schema_name:
                continue
            if not any(p.role == "last_event_id" for p in op.header_params):
                continue
            if op.path_params and {p.wire_name for p in op.path_params} <= first:
                return op
        return None

    @staticmethod
    def delta_event(stream: EventStream) -> tuple[EventType, Field] | None:
        """The text-delta event: the last non-terminal event whose data is one required string."""
        found = None
        for e in stream.events:
            if not e.terminal and len(e.fields) == 1 and e.fields[0].type.kind == "string" and e.fields[0].required:
                found = (e, e.fields[0])
        return found

    @staticmethod
    def success_event(stream: EventStream) -> EventType | None:
        """The terminal event meaning success: the first terminal event of the union."""
        return next((e for e in stream.events if e.terminal), None)

    def _context(self, ir: IR) -> dict[str, Any]:
        streams = []
        for s in ir.streams.values():
            success = self.success_event(s)
            output = usage = None
            if success:
                output = next((f for f in success.fields if f.type.kind == "string"), None)
                usage = next((f for f in success.fields if f.type.kind == "model"), None)
            streams.append(
                {
                    "s": s,
                    "resume": self.resume_route(ir, s),
                    "delta": self.delta_event(s),
                    "success": success,
                    "failure": [e for e in s.events if e.terminal and e is not success],
                    "output": output,
                    "usage": usage,
                    "result_class": s.name.pascal + "Result",
                    "union": s.name.pascal + "Event",
                    "spec_const": s.name.constant + "_SPEC",
                }
            )
        public_models = [
            m for m in ir.models.values()
            if not (m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame)
        ]
        return {"ir": ir, "sdk": ir.sdk, "streams": streams, "public_models": public_models}

    # -- rendering ------------------------------------------------------------------------
    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        pkg = ir.sdk.python_package
        root = f"src/{pkg}"
        files: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="sdkgen-python-") as tmp:
            work = Path(tmp)
            self._run_opc(ctx.spec_path, work)
            gen = work / "out"
            env = make_env(
                HERE / "templates",
                {
                    "pytype": _pytype,
                    "kind": _kind,
                    "choices": _choices,
                    "opc_class": _opc_class,
                    "opc_module": _opc_module,
                    "opc_ident": _opc_ident,
                    "py": repr,
                    "docstring": _docstring,
                },
            )
            c = self._context(ir)
            rendered: dict[str, str] = {
                "__init__.py": env.get_template("__init__.py.jinja").render(**c),
                "_client.py": env.get_template("_client.py.jinja").render(**c),
                "events.py": env.get_template("events.py.jinja").render(**c),
                "models.py": env.get_template("models.py.jinja").render(**c),
                "_version.py": env.get_template("_version.py.jinja").render(**c),
                "resources/__init__.py": env.get_template("resources/__init__.py.jinja").render(**c),
            }
            for r in ir.resources:
                rendered[f"resources/{r.name.python}.py"] = env.get_template("resources/resource.py.jinja").render(
                    resource=r, **c
                )
            # Stage everything to format in one ruff run.
            stage = work / "stage"
            for rel, text in rendered.items():
                p = stage / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            shutil.copytree(gen, stage / "_generated")
            self._ruff(stage)
            for p in sorted(stage.rglob("*")):
                if p.is_file() and "__pycache__" not in p.parts:
                    files[f"{root}/{p.relative_to(stage).as_posix()}"] = p.read_text()
        for p in sorted((HERE / "runtime").rglob("*.py")):
            files[f"{root}/_core/{p.relative_to(HERE / 'runtime').as_posix()}"] = p.read_text()
        files[f"{root}/py.typed"] = ""
        files["pyproject.toml"] = env.get_template("pyproject.toml.jinja").render(**c)
        return files

    @staticmethod
    def _run_opc(spec: Path, work: Path) -> None:
        # openapi-python-client reads an anyOf/oneOf beside an object's properties as a union;
        # the IR reads it as a validation-only constraint. Hand it the spec as the IR reads it.
        raw = yaml.safe_load(Path(spec).read_bytes())
        spec = work / f"spec{Path(spec).suffix or '.yaml'}"
        spec.write_text(yaml.safe_dump(without_validation_compositions(raw), sort_keys=False, allow_unicode=True))
        config = work / "opc.yaml"
        config.write_text("project_name_override: generated\npackage_name_override: _generated\npost_hooks: []\n")
        cmd = [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(Path(spec).resolve()), "--config", str(config),
            "--meta", "none", "--output-path", str(work / "out"), "--overwrite",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work, env={**os.environ, "NO_COLOR": "1"})
        if proc.returncode != 0 or not (work / "out" / "__init__.py").exists():
            raise RuntimeError(f"openapi-python-client failed:\n{proc.stdout}\n{proc.stderr}")

    @staticmethod
    def _ruff(folder: Path) -> None:
        base = [sys.executable, "-m", "ruff"]
        check = [*base, "check", *RUFF_ARGS, "--select", "I,F401", "--fix", "--quiet", "--exit-zero", str(folder)]
        fmt = [*base, "format", *RUFF_ARGS, "--quiet", str(folder)]
        for cmd in (check, fmt):
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                raise RuntimeError(f"ruff failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")


TARGET = PythonTarget()
