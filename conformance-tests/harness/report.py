"""The conformance matrix (scenario x language) as Markdown and as an HTML page."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Cell", "write_reports"]


@dataclass
class Cell:
    outcome: str  # "passed" | "failed" | "skipped"
    reason: str = ""


_MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.strip().splitlines()[:1]) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _counts(cells: dict[tuple[str, str], Cell], languages: list[str]) -> dict[str, dict[str, int]]:
    counts = {language: {"passed": 0, "failed": 0, "skipped": 0} for language in languages}
    for (_, language), cell in cells.items():
        if language in counts:
            counts[language][cell.outcome] += 1
    return counts


def write_reports(
    directory: Path,
    scenarios: list[tuple[str, str]],
    languages: list[str],
    cells: dict[tuple[str, str], Cell],
) -> tuple[Path, Path]:
    """Write ``conformance.md`` and ``conformance.html``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = _counts(cells, languages)
    md = directory / "conformance.md"
    page = directory / "conformance.html"
    md.write_text(_markdown(stamp, scenarios, languages, cells, counts), encoding="utf-8")
    page.write_text(_html(stamp, scenarios, languages, cells, counts), encoding="utf-8")
    return md, page


def _markdown(stamp, scenarios, languages, cells, counts) -> str:
    lines = [
        "# SDK conformance matrix",
        "",
        f"Generated {stamp}. One row per scenario (conformance-tests/scenarios/), one column per SDK.",
        "",
        "| language | passed | failed | skipped |",
        "|---|---:|---:|---:|",
    ]
    for language in languages:
        c = counts[language]
        lines.append(f"| {language} | {c['passed']} | {c['failed']} | {c['skipped']} |")
    lines += ["", "| scenario | " + " | ".join(languages) + " |", "|---|" + "---|" * len(languages)]
    for name, _ in scenarios:
        row = [f"`{name}`"]
        for language in languages:
            cell = cells.get((name, language))
            row.append(_MARK[cell.outcome] if cell else "not run")
        lines.append("| " + " | ".join(row) + " |")
    details = [
        (name, language, cells[(name, language)])
        for name, _ in scenarios
        for language in languages
        if (name, language) in cells and cells[(name, language)].outcome != "passed"
    ]
    if details:
        lines += ["", "## Failures and skips", ""]
        for name, language, cell in details:
            lines.append(f"### {name} [{language}]: {_MARK[cell.outcome]}")
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
td.scn code{font-size:13px} td.desc{color:#5b6475;max-width:520px}
td.passed{background:#e6f6ea;color:#156c2f;text-align:center}
td.failed{background:#fde8e8;color:#a11b1b;text-align:center;font-weight:600}
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


def _html(stamp, scenarios, languages, cells, counts) -> str:
    esc = html.escape
    out = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width,initial-scale=1'>",
        "<title>SDK conformance matrix</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>SDK conformance matrix</h1>",
        f"<p class=sub>Generated {esc(stamp)} &middot; {len(scenarios)} scenarios &times; {len(languages)} SDKs</p>",
        "<table class=summary><tr><th>SDK</th><th>passed</th><th>failed</th><th>skipped</th></tr>",
    ]
    for language in languages:
        c = counts[language]
        out.append(
            f"<tr><td>{esc(language)}</td><td>{c['passed']}</td><td>{c['failed']}</td><td>{c['skipped']}</td></tr>"
        )
    out.append("</table>")
    out.append("<div class=filters><label><input type=checkbox id=only-problems> show only rows with failures or skips</label></div>")
    out.append("<table><tr><th>scenario</th><th>what it proves</th>" + "".join(f"<th>{esc(l)}</th>" for l in languages) + "</tr>")
    for name, description in scenarios:
        row_cells = []
        problem = False
        for language in languages:
            cell = cells.get((name, language))
            if cell is None:
                row_cells.append("<td class=missing>not run</td>")
                continue
            if cell.outcome == "passed":
                row_cells.append("<td class=passed>pass</td>")
            else:
                problem = True
                anchor = f"d-{name}-{language}"
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
    problems = [
        (name, language, cells[(name, language)])
        for name, _ in scenarios
        for language in languages
        if (name, language) in cells and cells[(name, language)].outcome != "passed"
    ]
    if problems:
        out.append("<h2>Failures and skips</h2>")
        for name, language, cell in problems:
            anchor = f"d-{name}-{language}"
            out.append(
                f"<details id='{esc(anchor)}' open><summary>{esc(name)} [{esc(language)}]: {_MARK[cell.outcome]}</summary>"
                f"<pre>{esc(cell.reason.strip() or '(no reason given)')}</pre></details>"
            )
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"
