"""`sdkgen diff` and `sdkgen release`: what a spec change does to the users of each SDK,
the version that follows from it, and the changelog entries that record it.

    compare.py   the IR-to-IR comparison and its classification table (every IR field)
    surface.py   how each language spells what the IR describes
    locate.py    JSON pointers into the spec
    model.py     Change / Impact / severities
    report.py    the report: summary, Markdown, JSON
    version.py   semantic versions and the bump rule
    release.py   writing the version into the spec, regenerating, changelogs
    git.py       a spec as it was at a git revision
"""

from __future__ import annotations

from .model import LANGS, SEVERITIES, Change, Impact, Severity
from .report import Report, SpecInfo, diff_specs

__all__ = ["LANGS", "SEVERITIES", "Change", "Impact", "Severity", "Report", "SpecInfo", "diff_specs"]
