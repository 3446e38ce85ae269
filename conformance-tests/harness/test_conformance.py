"""Every scenario in every language: one test per cell of the matrix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from drivers import Driver
from mock import MockControl
from runner import run_scenario
from scenarios import Scenario


def test_scenario(
    scenario: Scenario,
    language: str,
    drivers: dict[str, Driver],
    mock_server: Any,
    control_http: httpx.Client,
    skips: dict[Any, Any],
) -> None:
    skip = skips.get((scenario.name, language))
    if skip is not None:
        pytest.skip(skip.reason)
    run_scenario(scenario, drivers[language], lambda: MockControl(mock_server, control_http))
