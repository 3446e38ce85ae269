"""The contract's operations reach the route Starlette's router would pick (the first that matches path
and method, in order), though the mock looks the operation's own route up first."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from starlette.routing import Match

from promptrails_mock.app import Settings, _Operations, create_app
from promptrails_mock.middleware import OPERATION_KEY

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


@pytest.fixture(scope="module")
def operations() -> _Operations:
    app = create_app(Settings(spec_path=SPEC))
    inner = app.app  # type: ignore[attr-defined]
    assert isinstance(inner, _Operations)
    return inner


def _starlette_first(operations: _Operations, scope: dict[str, object]) -> object:
    for route in operations.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
    return None


SEGMENTS = ["x1", "stream", "messages", "feedback", "cancel", "%20", "a.b"]


def test_every_operation_and_path_reaches_starlettes_first_route(operations: _Operations) -> None:
    contract = create_app(Settings(spec_path=SPEC)).state.contract  # type: ignore[attr-defined]
    checked = 0
    for pattern, item in contract.document["paths"].items():
        names = [part for part in pattern.split("/") if part.startswith("{")]
        for values in itertools.product(SEGMENTS, repeat=len(names)):
            path = pattern
            for name, value in zip(names, values, strict=True):
                path = path.replace(name, value, 1)
            for method in ("GET", "POST", "PATCH", "DELETE", "PUT"):
                scope = {"type": "http", "method": method, "path": path, "root_path": ""}
                scope[OPERATION_KEY] = contract.match(method, path)
                route, child = operations.route_for(scope)
                expected = _starlette_first(operations, scope) if scope[OPERATION_KEY] else None
                assert route is expected, (method, path)
                if route is not None:
                    assert child["path_params"] == route.matches(scope)[1]["path_params"]
                    checked += 1
    assert checked > 20
