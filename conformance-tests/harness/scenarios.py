"""Loading scenarios and the skip list, and checking them against the JSON Schema.

Beyond the schema, :func:`semantic_problems` checks what a schema cannot: every
reference names something saved by an earlier step, names are saved once, and
the harness supports the file's major version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from refs import references_in

__all__ = [
    "SCENARIOS_DIR",
    "SCHEMA_PATH",
    "SUPPORTED_MAJOR",
    "Column",
    "COLUMNS",
    "LANGUAGES",
    "MODES",
    "Scenario",
    "Skip",
    "load_scenarios",
    "load_skips",
    "validator",
    "schema_errors",
    "semantic_problems",
    "read_yaml",
]

HERE = Path(__file__).resolve().parent
SCENARIOS_DIR = HERE.parent / "scenarios"
SCHEMA_PATH = SCENARIOS_DIR / "schema" / "scenario.schema.json"
SKIPS_PATH = SCENARIOS_DIR / "skips.yaml"
SUPPORTED_MAJOR = 1
LANGUAGES = ("python", "typescript", "go", "vendor-python")
MODES = ("tolerant", "strict")
# The modes each language runs in. Ours have a strict switch (RUNTIME.md, "Reading
# responses"); the vendor's SDK has none, so its column is tolerant only (its
# driver declares `mode:strict` unsupported, which is the reason strict-only
# scenarios show as not expressible there).
LANGUAGE_MODES = {
    "python": MODES,
    "typescript": MODES,
    "go": MODES,
    "vendor-python": ("tolerant",),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    data: dict[str, Any] = field(hash=False, compare=False)

    @property
    def description(self) -> str:
        return str(self.data.get("description", ""))

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes the scenario runs in (default: every mode)."""
        return tuple(self.data.get("modes") or MODES)


@dataclass(frozen=True)
class Column:
    """One column of the matrix: an SDK in one client mode."""

    language: str
    mode: str

    @property
    def name(self) -> str:
        return f"{self.language}/{self.mode}"

    @property
    def test_id(self) -> str:
        return f"{self.language}-{self.mode}"


COLUMNS = tuple(Column(language, mode) for language in LANGUAGES for mode in LANGUAGE_MODES[language])


@dataclass(frozen=True)
class Skip:
    scenario: str
    language: str
    reason: str


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 surprises: 'no', 'on', 'yes' stay strings."""


for _first in list(_Loader.yaml_implicit_resolvers):
    _Loader.yaml_implicit_resolvers[_first] = [
        (tag, regexp)
        for tag, regexp in _Loader.yaml_implicit_resolvers[_first]
        if tag != "tag:yaml.org,2002:bool"
    ]
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(document: Any) -> list[ValidationError]:
    """Every schema violation, deepest first within each branch."""
    return sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))


def _where(path: Any) -> str:
    return "/".join(str(p) for p in path) or "(root)"


def semantic_problems(document: Any) -> list[str]:
    """Problems the JSON Schema cannot see. Assumes the document is schema-valid."""
    problems: list[str] = []
    major = int(str(document["schemaVersion"]).split(".")[0])
    if major != SUPPORTED_MAJOR:
        problems.append(f"schemaVersion {document['schemaVersion']}: the harness runs {SUPPORTED_MAJOR}.x")
    saved = {"workspace", "driver", "contract"}
    modes = document.get("modes") or list(MODES)
    if "strict" not in modes:
        for index, step in enumerate(document["steps"]):
            if "expectStrict" in step:
                problems.append(f"steps/{index}/expectStrict: the scenario does not run in strict mode (modes: {modes})")
    for key in ("client", "setup", "faults"):
        for name in references_in(document.get(key)) - saved:
            problems.append(f"{key}: refers to ${name}, which no step saved before")
    for index, step in enumerate(document["steps"]):
        for part in ("args", "options", "expect", "expectStrict"):
            for name in references_in(step.get(part)) - saved:
                problems.append(f"steps/{index}/{part}: refers to ${name}, which no earlier step saved")
        name = step.get("saveAs")
        if name is not None:
            if name in saved:
                problems.append(f"steps/{index}/saveAs: {name!r} is already saved")
            saved.add(name)
    for name in references_in(document.get("expectServer")) - saved:
        problems.append(f"expectServer: refers to ${name}, which no step saved")
    return problems


def load_scenarios() -> list[Scenario]:
    """Every scenario file, sorted by name. Raises ValueError on an invalid one."""
    scenarios = []
    bad: list[str] = []
    for path in sorted(SCENARIOS_DIR.glob("*.yaml")):
        if path.name == SKIPS_PATH.name:
            continue
        document = read_yaml(path)
        errors = schema_errors(document)
        if errors:
            bad += [f"{path.name}: {_where(e.absolute_path)}: {e.message}" for e in errors[:5]]
            continue
        problems = semantic_problems(document)
        if problems:
            bad += [f"{path.name}: {p}" for p in problems]
            continue
        scenarios.append(Scenario(path.stem, path, document))
    if bad:
        raise ValueError("invalid scenarios:\n  " + "\n  ".join(bad))
    return scenarios


def load_skips() -> dict[tuple[str, str], Skip]:
    """The explicit skip list: (scenario, language) -> reason."""
    if not SKIPS_PATH.exists():
        return {}
    document = read_yaml(SKIPS_PATH) or {}
    skips: dict[tuple[str, str], Skip] = {}
    for entry in document.get("skips") or []:
        scenario, language, reason = entry.get("scenario"), entry.get("language"), entry.get("reason")
        if not scenario or language not in LANGUAGES or not (reason and str(reason).strip()):
            raise ValueError(f"skips.yaml: each skip needs scenario, language ({', '.join(LANGUAGES)}) and a reason: {entry}")
        skips[(scenario, language)] = Skip(scenario, language, str(reason).strip())
    return skips
