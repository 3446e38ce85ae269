"""The Python target: openapi-python-client for models and endpoint functions, plus
sdkgen's runtime, resource layer, typed events and clients on top.

Steps of `render`:
  1. run openapi-python-client 0.29.1 on the spec (as `python -m openapi_python_client`,
     `--meta none`, no post hooks) with sdkgen's templates for it (`opc_templates/`, passed
     as `--custom-template-path`: models without `Unset` in their annotations that read and
     write JSON through the runtime, endpoint modules holding `_get_kwargs` only), and move
     its package to `src/<package>/_generated/` (its imports are relative, so it works there
     unchanged), keeping only the modules the SDK imports (no `client.py`/`errors.py`, no
     model the SDK never reaches);
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
    opc_attr(name)         openapi-python-client's attribute name for a model property
    shape(t)               the runtime's `Value(...)` expression of a TypeRef (`_shapes.py`)
    py(value)              a Python literal (repr) of a plain value
    docstring(text, indent) prose made safe for a triple-quoted docstring, wrapped
"""

from __future__ import annotations

import ast
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


def _opc_attr(name: str) -> str:
    # openapi-python-client's default `field_prefix` names model attributes.
    return str(PythonIdentifier(name, "field_"))


def _shape_value(ir: IR, t: TypeRef) -> str:
    """The `Value(...)` expression the runtime reads a value of type `t` with."""
    args: list[str] = []
    kind = t.kind
    if kind == "string" and t.format in ("date-time", "date", "uuid"):
        args.append(f"format={t.format!r}")
    elif kind == "model":
        args.append(f"model={t.ref!r}")
    elif kind == "enum":
        args.append(f"enum={_opc_class(t.ref or '')}")
    elif kind == "array" and t.items is not None:
        args.append(f"items={_shape_value(ir, t.items)}")
    elif kind == "map" and t.values is not None:
        args.append(f"values={_shape_value(ir, t.values)}")
    elif kind == "any" and t.union and t.union in ir.unions:
        kind = "union"
        variants = ", ".join(_shape_value(ir, v.type) for v in ir.unions[t.union].variants)
        args.append(f"variants=({variants},)")
    if t.nullable:
        args.append("nullable=True")
    if t.const is not None:
        args.append(f"const={t.const!r}")
    return f"_V({', '.join([repr(kind), *args])})"


def _field_choices(f: Field) -> str:
    values = f.constraints.get("enum")
    return "(" + ", ".join(repr(v) for v in values) + ",)" if values and f.type.kind != "enum" else "()"


def _kind(t: TypeRef) -> str:
    return t.kind


def _pytype(t: TypeRef, role: str = "in") -> str:
    if t.kind == "string":
        out_formats = {"date-time": "datetime.datetime", "date": "datetime.date", "uuid": "uuid.UUID"}
        base = out_formats.get(t.format or "", "str") if role == "out" else "str"
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
        # Every enum is open on read: a value the contract does not list stays a string.
        base = "str" if role == "in" else f"{_opc_class(t.ref or '')} | str"
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
    def _context(self, ir: IR) -> dict[str, Any]:
        streams = []
        ops = {op.key or op.operation_id: op for op in ir.operations}
        for s in ir.streams.values():
            by_event = {e.event: e for e in s.events}
            resume = ops.get(s.resume.key) if s.resume else None
            # (the resume operation's path parameter, the event attribute that feeds it)
            resume_args: list[tuple[Parameter, str]] = []
            if resume is not None and s.resume is not None:
                carriers = [by_event[c] for c in s.resume.carriers if c in by_event]
                for p in resume.path_params:
                    wire = next((b.field for b in s.resume.bindings if b.param == p.wire_name), p.wire_name)
                    attr = next((f.name.python for e in carriers for f in e.fields if f.wire_name == wire), wire)
                    resume_args.append((p, attr))
            streams.append(
                {
                    "s": s,
                    "resume": resume,
                    "resume_route": s.resume if resume else None,
                    "resume_args": resume_args,
                    "output_type": self._value_type(s, s.output),
                    "usage_type": self._value_type(s, s.usage),
                    "success": by_event.get(s.success_event or ""),
                    "failure": [by_event[n] for n in s.failure_events if n in by_event],
                    "result_class": s.name.pascal + "Result",
                    "union": s.name.pascal + "Event",
                    "spec_const": s.name.constant + "_SPEC",
                }
            )
        public_models = [m for m in ir.models.values() if m.visibility == "public"]
        # Every model read or written through the runtime (not a stream's frame or event
        # data: events are classes of their own, read from the same shapes).
        shaped_models = [
            m for m in ir.models.values() if not set(m.roles) or not set(m.roles) <= {"event_data", "event_frame"}
        ]
        return {
            "ir": ir,
            "sdk": ir.sdk,
            "streams": streams,
            "public_models": public_models,
            "shaped_models": shaped_models,
            "enums_used": sorted(self._enums_of(ir, shaped_models, streams)),
        }

    @staticmethod
    def _value_type(s: EventStream, vp: Any) -> str:
        """The annotation of a stream result's value (`output`, `usage`): the type of the
        event field its path names, `Any` when the path goes deeper."""
        if vp is None:
            return "Any"
        event = next((e for e in s.events if e.event == vp.event), None)
        if event is None or len(vp.path) != 1:
            return "Any"
        f = next((f for f in event.fields if f.wire_name == vp.path[0]), None)
        if f is None or f.type.kind == "any":
            return "Any"
        t = _pytype(f.type, "out")
        return t if t.endswith("| None") else f"{t} | None"

    @staticmethod
    def _enums_of(ir: IR, models: list[Any], streams: list[dict[str, Any]]) -> set[str]:
        found: set[str] = set()

        def walk(t: TypeRef | None) -> None:
            if t is None:
                return
            if t.kind == "enum" and t.ref:
                found.add(t.ref)
            walk(t.items)
            walk(t.values)
            if t.union and t.union in ir.unions:
                for v in ir.unions[t.union].variants:
                    walk(v.type)

        for m in models:
            for f in m.fields:
                walk(f.type)
            walk(m.additional_properties)
        for st in streams:
            for e in st["s"].events:
                for f in e.fields:
                    walk(f.type)
        return found

    # -- rendering ------------------------------------------------------------------------
    def render(self, ir: IR, ctx: RenderContext) -> dict[str, str]:
        pkg = ir.sdk.python_package
        root = f"src/{pkg}"
        files: dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="sdkgen-python-") as tmp:
            work = Path(tmp)
            self._run_opc(ctx.spec_path, work, ir)
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
                    "opc_attr": _opc_attr,
                    "py": repr,
                    "docstring": _docstring,
                    "shape": lambda t: _shape_value(ir, t),
                    "field_choices": _field_choices,
                },
            )
            c = self._context(ir)
            rendered: dict[str, str] = {
                "__init__.py": env.get_template("__init__.py.jinja").render(**c),
                "_client.py": env.get_template("_client.py.jinja").render(**c),
                "events.py": env.get_template("events.py.jinja").render(**c),
                "models.py": env.get_template("models.py.jinja").render(**c),
                "_shapes.py": env.get_template("_shapes.py.jinja").render(**c),
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
            used = self._reachable(stage)
            for p in sorted(stage.rglob("*.py")):
                rel = p.relative_to(stage).as_posix()
                if "__pycache__" not in p.parts and (rel.split("/")[0] != "_generated" or rel in used):
                    files[f"{root}/{rel}"] = p.read_text()
        for p in sorted((HERE / "runtime").rglob("*.py")):
            files[f"{root}/_core/{p.relative_to(HERE / 'runtime').as_posix()}"] = p.read_text()
        files[f"{root}/py.typed"] = ""
        files["pyproject.toml"] = env.get_template("pyproject.toml.jinja").render(**c)
        return files

    @staticmethod
    def _reachable(stage: Path) -> set[str]:
        """The files of `_generated/` the SDK imports, directly or not (with the package
        `__init__.py` files on their way): openapi-python-client also writes a client, an
        errors module and a model per inline schema that the SDK never uses; none of them
        ships."""
        files = {p.relative_to(stage).as_posix(): p for p in stage.rglob("*.py")}

        def module_file(parts: list[str]) -> str | None:
            for rel in ("/".join(parts) + ".py", "/".join([*parts, "__init__.py"])):
                if rel in files:
                    return rel
            return None

        seen: set[str] = set()
        todo = [rel for rel in files if not rel.startswith("_generated/")]
        while todo:
            rel = todo.pop()
            if rel in seen:
                continue
            seen.add(rel)
            parts = rel[: -len(".py")].split("/")
            package = parts[:-1]  # the package a relative import starts from
            for i in range(1, len(package) + 1):  # the packages on the way to it
                init = "/".join([*package[:i], "__init__.py"])
                if init in files:
                    todo.append(init)
            for node in ast.walk(ast.parse(files[rel].read_text())):
                if not isinstance(node, ast.ImportFrom):
                    continue
                base = package[: len(package) - node.level + 1] if node.level else []
                target = [*base, *(node.module or "").split(".")] if node.module else base
                found = module_file(target)
                if found:
                    todo.append(found)
                for alias in node.names:
                    sub = module_file([*target, alias.name])
                    if sub:
                        todo.append(sub)
        return seen

    @staticmethod
    def _for_opc(raw: dict[str, Any], ir: IR) -> dict[str, Any]:
        """The spec as openapi-python-client is given it. An anyOf/oneOf beside an object's
        properties is a union to it and a validation-only constraint to the IR: it gets the
        spec as the IR reads it. And the IR's decisions its templates need are written where
        they apply, under sdkgen's own key: `x-sdkgen-python-text` on a property with text
        keys (the model template adds the `<field>_text` convenience)."""
        doc = without_validation_compositions(raw)
        for model in ir.models.values():
            for f in model.fields:
                if not f.text_keys or not f.source.startswith("#/"):
                    continue
                node: Any = doc
                for part in f.source[2:].split("/"):
                    key = part.replace("~1", "/").replace("~0", "~")
                    node = node.get(key) if isinstance(node, dict) else None
                if isinstance(node, dict):
                    node["x-sdkgen-python-text"] = list(f.text_keys)
        return doc

    @classmethod
    def _run_opc(cls, spec: Path, work: Path, ir: IR) -> None:
        raw = yaml.safe_load(Path(spec).read_bytes())
        spec = work / f"spec{Path(spec).suffix or '.yaml'}"
        spec.write_text(yaml.safe_dump(cls._for_opc(raw, ir), sort_keys=False, allow_unicode=True))
        config = work / "opc.yaml"
        config.write_text("project_name_override: generated\npackage_name_override: _generated\npost_hooks: []\n")
        cmd = [
            sys.executable, "-m", "openapi_python_client", "generate",
            "--path", str(Path(spec).resolve()), "--config", str(config),
            "--meta", "none", "--output-path", str(work / "out"), "--overwrite",
            "--custom-template-path", str(HERE / "opc_templates"),
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
