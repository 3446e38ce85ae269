"""The conformance matrix (scenario x column) as Markdown and as an HTML page.

A column is an SDK in one client mode (``python/strict``). A cell is ``pass``,
``pass*`` (passed, with the checks the SDK cannot observe taken out, listed), ``FAIL``, ``vendor-defect`` (an expected failure of the vendor's SDK, with the
defect), ``n/a`` (the SDK cannot express the scenario, or the scenario does not
run in that mode, with the reason) or ``skip`` (scenarios/skips.yaml).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Cell", "OUTCOMES", "OUTCOME", "write_reports"]

# The user property a test sets to say which outcome its skip or xfail stands for.
OUTCOME = "conformance-outcome"
OUTCOMES = ("passed", "partial", "failed", "xfailed", "unsupported", "skipped")


@dataclass
class Cell:
    outcome: str  # one of OUTCOMES
    reason: str = ""


_MARK = {"passed": "pass", "partial": "pass*", "failed": "FAIL", "xfailed": "vendor-defect", "unsupported": "n/a", "skipped": "skip"}
_HEAD = {"passed": "passed", "partial": "pass* (checks waived)", "failed": "failed", "xfailed": "vendor defect", "unsupported": "n/a", "skipped": "skipped"}


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.strip().splitlines()[:1]) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _counts(cells: dict[tuple[str, str], Cell], columns: list[str]) -> dict[str, dict[str, int]]:
    counts = {column: dict.fromkeys(OUTCOMES, 0) for column in columns}
    for (_, column), cell in cells.items():
        if column in counts:
            counts[column][cell.outcome] += 1
    return counts


def write_reports(
    directory: Path,
    scenarios: list[tuple[str, str]],
    columns: list[str],
    cells: dict[tuple[str, str], Cell],
) -> tuple[Path, Path]:
    """Write ``conformance.md`` and ``conformance.html``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = _counts(cells, columns)
    md = directory / "conformance.md"
    page = directory / "conformance.html"
    md.write_text(_markdown(stamp, scenarios, columns, cells, counts), encoding="utf-8")
    page.write_text(_html(stamp, scenarios, columns, cells, counts), encoding="utf-8")
    return md, page


def _details(scenarios, columns, cells, outcome):
    return [
        (name, column, cells[(name, column)])
        for name, _ in scenarios
        for column in columns
        if (name, column) in cells and cells[(name, column)].outcome == outcome
    ]


_SECTIONS = (
    ("failed", "Failures"),
    ("xfailed", "Known vendor defects (expected failures)"),
    ("partial", "Passed with checks the SDK cannot observe taken out (pass*)"),
    ("unsupported", "Not expressible (n/a)"),
    ("skipped", "Skips"),
)


def _markdown(stamp, scenarios, columns, cells, counts) -> str:
    lines = [
        "# SDK conformance matrix",
        "",
        f"Generated {stamp}. One row per scenario (conformance-tests/scenarios/), one column per SDK and",
        "client mode (`tolerant` is the SDK default, `strict` validates every response against the",
        "contract; `vendor-python` is the vendor's own PyPI SDK, which has no strict mode).",
        "",
        "| column | " + " | ".join(_HEAD[o] for o in OUTCOMES) + " |",
        "|---|" + "---:|" * len(OUTCOMES),
    ]
    for column in columns:
        c = counts[column]
        lines.append(f"| {column} | " + " | ".join(str(c[o]) for o in OUTCOMES) + " |")
    lines += ["", "| scenario | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, _ in scenarios:
        row = [f"`{name}`"]
        for column in columns:
            cell = cells.get((name, column))
            row.append(_MARK[cell.outcome] if cell else "not run")
        lines.append("| " + " | ".join(row) + " |")
    sections = _SECTIONS
    for outcome, title in sections:
        details = _details(scenarios, columns, cells, outcome)
        if not details:
            continue
        lines += ["", f"## {title}", ""]
        if outcome in ("unsupported", "partial"):
            for name, column, cell in details:
                lines.append(f"* `{name}` [{column}]: {_first_line(cell.reason, 600)}")
            continue
        for name, column, cell in details:
            lines.append(f"### {name} [{column}]: {_MARK[cell.outcome]}")
            lines.append("")
            lines.append("```")
            lines.append(cell.reason.strip() or "(no reason given)")
            lines.append("```")
            lines.append("")
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px;margin:0 0 4px} .sub{color:#5b6475;margin:0 0 16px}
table{border-collapse:collapse} th,td{border:1px solid #d9dde5;padding:4px 10px;vertical-align:top}
th{background:#f3f5f9;text-align:left;position:sticky;top:0}
td.scn code{font-size:13px} td.desc{color:#5b6475;max-width:420px}
td.passed{background:#e6f6ea;color:#156c2f;text-align:center}
td.failed{background:#fde8e8;color:#a11b1b;text-align:center;font-weight:600}
td.partial{background:#eef8e6;color:#3d6c15;text-align:center}
td.xfailed{background:#f3e8fd;color:#5b1ba1;text-align:center}
td.unsupported{background:#f1f1f1;color:#666;text-align:center}
td.skipped{background:#fff6dd;color:#7a5a00;text-align:center}
td.missing{background:#eee;color:#777;text-align:center}
td a{color:inherit} .summary td{text-align:right} .summary td:first-child{text-align:left}
details{margin:8px 0;border:1px solid #e1e4ea;border-radius:6px;padding:6px 10px}
summary{cursor:pointer;font-weight:600} pre{white-space:pre-wrap;font-size:12px;background:#f7f8fb;padding:8px;border-radius:4px}
.filters{margin:12px 0} .filters label{margin-right:12px}
"""

_JS = """
document.getElementById('only-problems').addEventListener('change', function (e) {
  document.querySelectorAll('tr.row').forEach(function (tr) {
    tr.style.display = e.target.checked && !tr.classList.contains('problem') ? 'none' : '';
  });
});
"""


def _html(stamp, scenarios, columns, cells, counts) -> str:
    esc = html.escape
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        "<title>SDK conformance matrix</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>SDK conformance matrix</h1>",
        f"<p class=sub>Generated {esc(stamp)} &middot; {len(scenarios)} scenarios &times; {len(columns)} columns "
        "(SDK/mode; vendor-python is the vendor's own SDK)</p>",
        "<table class=summary><tr><th>column</th>" + "".join(f"<th>{esc(_HEAD[o])}</th>" for o in OUTCOMES) + "</tr>",
    ]
    for column in columns:
        c = counts[column]
        out.append(f"<tr><td>{esc(column)}</td>" + "".join(f"<td>{c[o]}</td>" for o in OUTCOMES) + "</tr>")
    out.append("</table>")
    out.append("<div class=filters><label><input type=checkbox id=only-problems> show only rows with failures or vendor defects</label></div>")
    out.append("<table><tr><th>scenario</th><th>what it proves</th>" + "".join(f"<th>{esc(c)}</th>" for c in columns) + "</tr>")
    for name, description in scenarios:
        row_cells = []
        problem = False
        for column in columns:
            cell = cells.get((name, column))
            if cell is None:
                row_cells.append("<td class=missing>not run</td>")
                continue
            if cell.outcome == "passed":
                row_cells.append("<td class=passed>pass</td>")
                continue
            problem = problem or cell.outcome in ("failed", "xfailed")
            anchor = f"d-{name}-{column}"
            title = esc(_first_line(cell.reason, 300), quote=True)
            row_cells.append(
                f"<td class={cell.outcome} title=\"{title}\"><a href='#{esc(anchor)}'>{_MARK[cell.outcome]}</a></td>"
            )
        klass = "row problem" if problem else "row"
        out.append(
            f"<tr class='{klass}'><td class=scn><code>{esc(name)}</code></td><td class=desc>{esc(description)}</td>"
            + "".join(row_cells)
            + "</tr>"
        )
    out.append("</table>")
    for outcome, title in _SECTIONS:
        details = _details(scenarios, columns, cells, outcome)
        if not details:
            continue
        out.append(f"<h2>{esc(title)}</h2>")
        for name, column, cell in details:
            anchor = f"d-{name}-{column}"
            opened = " open" if outcome == "failed" else ""
            out.append(
                f"<details id='{esc(anchor)}'{opened}><summary>{esc(name)} [{esc(column)}]: {_MARK[cell.outcome]}</summary>"
                f"<pre>{esc(cell.reason.strip() or '(no reason given)')}</pre></details>"
            )
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"
