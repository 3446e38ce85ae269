"""The conformance harness: every scenario in every language, against one mock server.

* ``test_conformance.py::test_scenario[<scenario>-<language>]``: one test per
  cell of the matrix, so a failure names one scenario in one SDK.
* The mock server starts once per pytest process (``promptrails_mock.testing``);
  each language's driver starts once and serves every scenario.
* At the end, the matrix is written to ``reports/conformance.md`` and
  ``reports/conformance.html`` (the path is printed); ``CONFORMANCE_LANGUAGES``
  (comma-separated) limits the languages, ``CONFORMANCE_SCENARIOS`` (a regex)
  the scenarios, for local work.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from drivers import REPO, Driver, driver_specs  # noqa: E402
from report import Cell, write_reports  # noqa: E402
from scenarios import LANGUAGES, load_scenarios, load_skips  # noqa: E402

REPORTS = REPO / "reports"
_PROPERTY = "conformance-cell"
_REASON = "conformance-reason"


def _languages() -> list[str]:
    chosen = os.environ.get("CONFORMANCE_LANGUAGES")
    if not chosen:
        return list(LANGUAGES)
    wanted = [l.strip() for l in chosen.split(",") if l.strip()]
    unknown = set(wanted) - set(LANGUAGES)
    if unknown:
        raise pytest.UsageError(f"CONFORMANCE_LANGUAGES: unknown {sorted(unknown)}; known: {LANGUAGES}")
    return wanted


def _selected_scenarios() -> list[Any]:
    scenarios = load_scenarios()
    pattern = os.environ.get("CONFORMANCE_SCENARIOS")
    if pattern:
        scenarios = [s for s in scenarios if re.search(pattern, s.name)]
    return scenarios


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"scenario", "language"} <= set(metafunc.fixturenames):
        scenarios = _selected_scenarios()
        languages = _languages()
        metafunc.parametrize(
            ("scenario", "language"),
            [(s, l) for s in scenarios for l in languages],
            ids=[f"{s.name}-{l}" for s in scenarios for l in languages],
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "scenario" in callspec.params and "language" in callspec.params:
            item.user_properties.append((_PROPERTY, f"{callspec.params['scenario'].name}|{callspec.params['language']}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not any(name == _PROPERTY for name, _ in item.user_properties):
        return
    value = call.excinfo.value
    if call.excinfo.errisinstance(pytest.skip.Exception):
        reason = str(getattr(value, "msg", value))
    else:
        reason = f"{type(value).__name__}: {value}"
    report.user_properties.append((_REASON, reason))


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mock_server() -> Iterator[Any]:
    from promptrails_mock.testing import MockServer

    with MockServer() as server:
        yield server


@pytest.fixture(scope="session")
def control_http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def drivers() -> Iterator[dict[str, Driver]]:
    running = {name: Driver(spec) for name, spec in driver_specs().items()}
    yield running
    for driver in running.values():
        driver.close()


@pytest.fixture(scope="session")
def skips() -> dict[Any, Any]:
    return load_skips()


# -- the matrix ------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    config._conformance_cells = {}  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    key = props.get(_PROPERTY)
    if not key:
        return
    config = _CONFIG.get("config")
    if config is None:
        return
    scenario, language = key.split("|", 1)
    cells = config._conformance_cells
    reason = props.get(_REASON, "")
    if report.when == "setup" and report.outcome == "passed":
        return
    if report.when == "teardown" and report.outcome == "passed":
        return
    if report.outcome == "skipped":
        if not reason and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        cells[(scenario, language)] = Cell("skipped", reason)
    elif report.outcome == "failed":
        if not reason:
            reason = getattr(report, "longreprtext", "") or str(report.longrepr)
        if report.when != "call":
            reason = f"({report.when}) {reason}"
        previous = cells.get((scenario, language))
        if previous is None or previous.outcome != "failed":
            cells[(scenario, language)] = Cell("failed", reason)
    elif report.when == "call":
        cells.setdefault((scenario, language), Cell("passed"))


_CONFIG: dict[str, pytest.Config] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    _CONFIG["config"] = session.config


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        return  # an xdist worker: the controller writes the matrix
    cells = config._conformance_cells  # type: ignore[attr-defined]
    if not cells:
        return
    try:
        scenarios = [(s.name, s.description) for s in _selected_scenarios()]
    except ValueError:
        scenarios = sorted({(name, "") for name, _ in cells})
    languages = [l for l in _languages()]
    md, page = write_reports(REPORTS, scenarios, languages, cells)
    config._conformance_reports = (md, page)  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    paths = getattr(config, "_conformance_reports", None)
    if not paths:
        return
    cells = config._conformance_cells  # type: ignore[attr-defined]
    terminalreporter.section("conformance matrix")
    for language in _languages():
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for (_, lang), cell in cells.items():
            if lang == language:
                counts[cell.outcome] += 1
        terminalreporter.write_line(
            f"{language:<11} passed {counts['passed']:>3}  failed {counts['failed']:>3}  skipped {counts['skipped']:>3}"
        )
    for path in paths:
        terminalreporter.write_line(f"matrix: {path}")
