"""Known defects of the vendor's SDK: the one place that says which of its cells fail, and why.

Only a vendor column may have expected failures (our SDKs must pass every
scenario they run: a failure there is a bug). The list lives next to the vendor
driver, ``drivers/<language>/expected-failures.yaml``::

    defects:
      - id: crlf-never-dispatches
        reason: Its parser splits lines on LF only, so a CRLF blank line never ends an event.
        symptom: "events: expected types"     # a regex the failure text must contain
        scenarios: [stream-crlf-line-endings]

A listed cell that fails with its symptom is shown as an expected vendor failure
with the reason; one that fails otherwise, or passes, fails the run (the list
must stay true).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from drivers import DRIVERS
from scenarios import LANGUAGES, SCENARIOS_DIR, read_yaml

__all__ = [
    "VENDOR_LANGUAGES",
    "ExpectedFailure",
    "expected_failures_path",
    "load_expected_failures",
]

VENDOR_LANGUAGES = ("vendor-python",)


@dataclass(frozen=True)
class ExpectedFailure:
    defect: str
    reason: str
    symptom: str
    scenario: str

    def explains(self, failure: str) -> bool:
        return re.search(self.symptom, failure, re.DOTALL) is not None


def expected_failures_path(language: str) -> Path:
    return DRIVERS / language / "expected-failures.yaml"


@cache
def load_expected_failures(language: str) -> dict[str, ExpectedFailure]:
    """scenario name -> its expected failure, for ``language``. Raises ValueError on a bad list."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    path = expected_failures_path(language)
    if not path.exists():
        return {}
    if language not in VENDOR_LANGUAGES:
        raise ValueError(
            f"{path}: only a vendor SDK may have expected failures; ours must pass"
        )
    document = read_yaml(path) or {}
    names = {p.stem for p in SCENARIOS_DIR.glob("*.yaml")} - {"skips"}
    out: dict[str, ExpectedFailure] = {}
    seen: set[str] = set()
    for entry in document.get("defects") or []:
        defect, reason, symptom = (
            entry.get("id"),
            entry.get("reason"),
            entry.get("symptom"),
        )
        scenarios = entry.get("scenarios") or []
        if (
            not defect
            or defect in seen
            or not (isinstance(reason, str) and len(reason.strip()) >= 20)
        ):
            raise ValueError(
                f"{path}: each defect needs a unique id and a reason: {entry}"
            )
        seen.add(defect)
        if not (isinstance(symptom, str) and symptom):
            raise ValueError(
                f"{path}: defect {defect} needs a symptom (a regex its failures contain)"
            )
        try:
            re.compile(symptom)
        except re.error as exc:
            raise ValueError(
                f"{path}: defect {defect}: bad symptom regex: {exc}"
            ) from exc
        if not scenarios:
            raise ValueError(f"{path}: defect {defect} names no scenario")
        for scenario in scenarios:
            if scenario not in names:
                raise ValueError(
                    f"{path}: defect {defect} names an unknown scenario {scenario!r}"
                )
            if scenario in out:
                raise ValueError(
                    f"{path}: {scenario} is listed under two defects ({out[scenario].defect}, {defect})"
                )
            out[scenario] = ExpectedFailure(
                defect, " ".join(reason.split()), symptom, scenario
            )
    return out
