"""The conformance harness: every scenario in every column, against the mock server.

* A column is an SDK in one client mode (``python/tolerant``, ``python/strict``,
  ..., ``vendor-python/tolerant``: the vendor's SDK has no strict mode).
* ``test_conformance.py::test_scenario[<scenario>-<language>-<mode>]``: one test
  per cell of the matrix, so a failure names one scenario in one SDK and mode.
* The mock server starts once per pytest process (``promptrails_mock.testing``);
  each language's driver starts once per process and serves every scenario.
  ``make conformance`` runs the cells on two pytest-xdist workers, each with its
  own server and drivers; builds happen once per run (drivers.py).
* At the end, the matrix is written to ``reports/conformance.md`` and
  ``reports/conformance.html`` (the path is printed). For local work:
  ``CONFORMANCE_LANGUAGES`` (comma-separated) limits the languages,
  ``CONFORMANCE_MODES`` the modes, ``CONFORMANCE_SCENARIOS`` (a regex) the scenarios.
"""

from __future__ import annotations

import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from drivers import REPO, Driver, driver_specs  # noqa: E402
from report import OUTCOME, OUTCOMES, Cell, write_reports  # noqa: E402
from scenarios import COLUMNS, LANGUAGES, MODES, Column, load_scenarios, load_skips  # noqa: E402

REPORTS = REPO / "reports"
_PROPERTY = "conformance-cell"
_REASON = "conformance-reason"


def _chosen(variable: str, known: tuple[str, ...]) -> list[str]:
    chosen = os.environ.get(variable)
    if not chosen:
        return list(known)
    wanted = [value.strip() for value in chosen.split(",") if value.strip()]
    unknown = set(wanted) - set(known)
    if unknown:
        raise pytest.UsageError(f"{variable}: unknown {sorted(unknown)}; known: {list(known)}")
    return wanted


def _columns() -> list[Column]:
    languages = _chosen("CONFORMANCE_LANGUAGES", LANGUAGES)
    modes = _chosen("CONFORMANCE_MODES", MODES)
    return [c for c in COLUMNS if c.language in languages and c.mode in modes]


def _selected_scenarios() -> list[Any]:
    scenarios = load_scenarios()
    pattern = os.environ.get("CONFORMANCE_SCENARIOS")
    if pattern:
        scenarios = [s for s in scenarios if re.search(pattern, s.name)]
    return scenarios


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"scenario", "column"} <= set(metafunc.fixturenames):
        scenarios = _selected_scenarios()
        columns = _columns()
        metafunc.parametrize(
            ("scenario", "column"),
            [(s, c) for s in scenarios for c in columns],
            ids=[f"{s.name}-{c.test_id}" for s in scenarios for c in columns],
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "scenario" in callspec.params and "column" in callspec.params:
            item.user_properties.append((_PROPERTY, f"{callspec.params['scenario'].name}|{callspec.params['column'].name}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not any(name == _PROPERTY for name, _ in item.user_properties):
        return
    value = call.excinfo.value
    if call.excinfo.errisinstance((pytest.skip.Exception, pytest.xfail.Exception)):
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
    # One id per run, inherited by the xdist workers: they share one build per language.
    if not hasattr(config, "workerinput"):
        os.environ["CONFORMANCE_RUN_ID"] = uuid.uuid4().hex


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    props = dict(report.user_properties)
    key = props.get(_PROPERTY)
    if not key:
        return
    config = _CONFIG.get("config")
    if config is None:
        return
    scenario, column = key.split("|", 1)
    cells = config._conformance_cells
    reason = props.get(_REASON, "")
    if report.outcome == "passed" and report.when in ("setup", "teardown"):
        return
    if report.outcome == "skipped":
        if not reason and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if hasattr(report, "wasxfail"):
            reason = reason or str(report.wasxfail)
        cells[(scenario, column)] = Cell(props.get(OUTCOME, "skipped"), reason)
    elif report.outcome == "failed":
        if not reason:
            reason = getattr(report, "longreprtext", "") or str(report.longrepr)
        if report.when != "call":
            reason = f"({report.when}) {reason}"
        previous = cells.get((scenario, column))
        if previous is None or previous.outcome != "failed":
            cells[(scenario, column)] = Cell("failed", reason)
    elif report.when == "call":
        cells.setdefault((scenario, column), Cell(props.get(OUTCOME, "passed"), reason))


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
    md, page = write_reports(REPORTS, scenarios, [c.name for c in _columns()], cells)
    config._conformance_reports = (md, page)  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    paths = getattr(config, "_conformance_reports", None)
    if not paths:
        return
    cells = config._conformance_cells  # type: ignore[attr-defined]
    terminalreporter.section("conformance matrix")
    outcomes = OUTCOMES
    terminalreporter.write_line(
        f"{'column':<24}" + "".join(f"{name:>15}" for name in ("passed", "pass*", "failed", "vendor-defect", "n/a", "skipped"))
    )
    for column in _columns():
        counts = dict.fromkeys(outcomes, 0)
        for (_, name), cell in cells.items():
            if name == column.name:
                counts[cell.outcome] += 1
        terminalreporter.write_line(f"{column.name:<24}" + "".join(f"{counts[o]:>15}" for o in outcomes))
    for path in paths:
        terminalreporter.write_line(f"matrix: {path}")
