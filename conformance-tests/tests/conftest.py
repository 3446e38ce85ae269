"""Fixtures: one strict mock server per xdist worker, a fresh workspace per test.

Every test that uses the server ends by asserting the server sent no response
violating openapi.yaml, and by clearing the faults it programmed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from helpers import API, SPEC_PATH, wait_until
from promptrails_mock.testing import MockServer


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    with MockServer(spec=SPEC_PATH, strict=True, frame_delay_ms=1, slow_delay_ms=1000) as srv:
        yield srv
        # Runs still going when their test ended are checked here, once they are done.
        wait_until(lambda: srv.health()["running_executions"] == 0)
        assert srv.violations() == [], f"the mock sent responses that violate openapi.yaml: {srv.violations()}"


@pytest.fixture
def srv(server: MockServer) -> Iterator[MockServer]:
    """The worker's server, checked for contract violations after the test."""
    server.clear_faults()
    yield server
    server.clear_faults()
    violations = server.violations()
    assert violations == [], f"the mock sent responses that violate openapi.yaml: {violations}"


@pytest.fixture
def api_key(srv: MockServer) -> str:
    return srv.new_workspace()


@pytest.fixture
def client(srv: MockServer, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=srv.base_url, headers={"X-API-Key": api_key}, timeout=30.0) as c:
        yield c


@pytest.fixture
def make_session(client: httpx.Client) -> Callable[..., dict[str, Any]]:
    def make(agent_id: str = "echo", **fields: Any) -> dict[str, Any]:
        response = client.post(f"{API}/chat/sessions", json={"agent_id": agent_id, **fields})
        assert response.status_code == 201, response.text
        return dict(response.json()["data"])

    return make
