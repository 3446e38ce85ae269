"""The scenario format checks itself: the schema, its self-test files, every scenario, the skip list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from scenarios import (
    SCENARIOS_DIR,
    SCHEMA_PATH,
    load_scenarios,
    load_skips,
    read_yaml,
    schema_errors,
    semantic_problems,
)
import json

SELFTEST = SCHEMA_PATH.parent / "selftest"
VALID = sorted((SELFTEST / "valid").glob("*.yaml"))
INVALID = sorted((SELFTEST / "invalid").glob("*.yaml"))


def _header(path: Path, name: str) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(rf"^#\s*{name}:\s*(.+?)\s*$", line)
        if found:
            return found.group(1)
    raise AssertionError(f"{path.name}: no '# {name}:' line")


def _all_errors(document: object) -> list[tuple[str, str]]:
    """(path, message) of every schema error, including those inside anyOf/oneOf branches."""
    found = []
    stack = list(schema_errors(document))
    while stack:
        error = stack.pop()
        found.append(("/".join(str(p) for p in error.absolute_path), error.message))
        stack.extend(error.context or [])
    return found


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_there_are_self_test_files() -> None:
    assert len(VALID) >= 3 and len(INVALID) >= 8


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_self_test_file_is_accepted(path: Path) -> None:
    document = read_yaml(path)
    assert [m for _, m in _all_errors(document)] == []
    assert semantic_problems(document) == []


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_self_test_file_is_refused_for_its_stated_reason(path: Path) -> None:
    reason = _header(path, "reason")
    where = _header(path, "error-path")
    document = read_yaml(path)
    errors = _all_errors(document)
    problems = semantic_problems(document) if not errors else []
    assert errors or problems, f"{path.name} should be refused ({reason}) but is accepted"
    places = [p for p, _ in errors] + [p.split(":")[0] for p in problems]
    assert (where if where != "(root)" else "") in places, (
        f"{path.name} is refused, but not at {where} ({reason}): {errors or problems}"
    )


def test_every_scenario_is_valid_and_there_are_at_least_40() -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 40, f"only {len(scenarios)} scenarios"
    assert len({s.name for s in scenarios}) == len(scenarios)


def test_the_skip_list_names_existing_scenarios_with_reasons() -> None:
    names = {p.stem for p in SCENARIOS_DIR.glob("*.yaml")}
    for (scenario, _language), skip in load_skips().items():
        assert scenario in names, f"skips.yaml names an unknown scenario {scenario!r}"
        assert len(skip.reason) >= 10, f"skips.yaml: give {scenario} a real reason"
