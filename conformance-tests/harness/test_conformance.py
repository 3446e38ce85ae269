"""Every scenario in every column (an SDK in one mode): one test per cell of the matrix.

A cell is, in this order:

* ``skipped``: listed in scenarios/skips.yaml (with its reason);
* ``unsupported`` (n/a): the scenario does not run in the column's mode, or the
  driver declares something the scenario does unsupported (capabilities.py),
  with the driver's reasons;
* run: ``passed`` or ``failed``; ``partial`` (pass*) when it passed with the
  checks the driver cannot observe taken out (listed); for a vendor column, a failure listed in its
  expected-failures.yaml with a matching symptom is ``xfailed`` (a known vendor
  defect), and a listed cell that passes or fails otherwise fails.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest

from capabilities import waive
from drivers import BuildError, Driver, DriverError
from expected import expected_failures_path, load_expected_failures
from mock import MockControl
from report import OUTCOME
from runner import ScenarioFailure, run_scenario
from scenarios import Column, Scenario


def _cell(request: pytest.FixtureRequest, outcome: str) -> None:
    request.node.user_properties.append((OUTCOME, outcome))


def test_scenario(
    scenario: Scenario,
    column: Column,
    drivers: dict[str, Driver],
    mock_server: Any,
    control_http: httpx.Client,
    skips: dict[Any, Any],
    request: pytest.FixtureRequest,
) -> None:
    skip = skips.get((scenario.name, column.language))
    if skip is not None:
        _cell(request, "skipped")
        pytest.skip(skip.reason)
    if column.mode not in scenario.modes:
        _cell(request, "unsupported")
        pytest.skip(f"the scenario runs in {' and '.join(scenario.modes)} mode only")
    driver = drivers[column.language]
    try:
        driver.ensure_built()
        description = driver.describe()
    except (BuildError, DriverError) as exc:
        pytest.fail(str(exc), pytrace=False)
    plan = waive(scenario.data, column.mode, description.unsupported)
    if plan.document is None:
        _cell(request, "unsupported")
        pytest.skip(
            f"{description.sdk} {description.version} cannot express: "
            + "; ".join(f"{name} ({reason})" for name, reason in plan.blocking)
        )
    not_checked = "; ".join(f"{name} ({reason})" for name, reason in plan.waived)
    expected = load_expected_failures(column.language).get(scenario.name)
    try:
        run_scenario(
            replace(scenario, data=plan.document), driver, lambda: MockControl(mock_server, control_http), column.mode
        )
    except ScenarioFailure as exc:
        if expected is None:
            raise
        if expected.explains(str(exc)):
            _cell(request, "xfailed")
            pytest.xfail(
                f"known vendor defect {expected.defect}: {expected.reason}\n--- the failure:\n{exc}"
                + (f"\n--- not checked: {not_checked}" if not_checked else "")
            )
        raise ScenarioFailure(
            f"listed as known vendor defect {expected.defect} ({expected_failures_path(column.language).name}), "
            f"but it fails otherwise (symptom /{expected.symptom}/ not found):\n{exc}"
        ) from exc
    if expected is not None:
        pytest.fail(
            f"listed as known vendor defect {expected.defect} ({expected_failures_path(column.language).name}), "
            "but it passes: take it off the list",
            pytrace=False,
        )
    if plan.waived:
        _cell(request, "partial")
        request.node.user_properties.append(("conformance-reason", f"passed without the checks {description.sdk} cannot observe: {not_checked}"))
