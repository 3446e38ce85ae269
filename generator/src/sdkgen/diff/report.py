"""A diff report: the changes between two specs, their summary, and its renderings
(Markdown for a pull-request comment, JSON for tools, plain text for a terminal)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..builder import build_ir
from ..spec import Spec
from .compare import compare_irs
from .locate import Locator
from .model import LANG_TITLES, LANGS, SEVERITIES, Change, Severity, worst
from .version import Version, VersionError, bump

__all__ = ["Report", "SpecInfo", "diff_specs"]


@dataclass(frozen=True)
class SpecInfo:
    label: str  # where it came from: a path, or "origin/main:openapi.yaml"
    sha256: str
    api_version: str
    sdk_version: str
    errors: int

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "sha256": self.sha256,
            "api_version": self.api_version,
            "sdk_version": self.sdk_version,
            "errors": self.errors,
        }


@dataclass
class Report:
    old: SpecInfo
    new: SpecInfo
    changes: list[Change] = field(default_factory=list)

    # -- summary -------------------------------------------------------------------------
    @property
    def level(self) -> Severity | None:
        """The worst change for SDK users; None when nothing changed at all."""
        return worst([c.severity for c in self.changes]) if self.changes else None

    @property
    def wire_level(self) -> Severity | None:
        return worst([c.wire for c in self.changes]) if self.changes else None

    def count(self, severity: Severity, lang: str | None = None) -> int:
        if lang is None:
            return sum(1 for c in self.changes if c.severity == severity)
        return sum(1 for c in self.changes if lang in c.impacts and c.impacts[lang].severity == severity)

    def by_severity(self, severity: Severity) -> list[Change]:
        return [c for c in self.changes if c.severity == severity]

    def proposed_version(self) -> Version | None:
        """The SDK version the new spec should carry: the old one bumped by `level`
        (None when the old version is not a semantic version, or nothing changed)."""
        if self.level is None:
            return None
        try:
            return bump(Version.parse(self.old.sdk_version), self.level)
        except VersionError:
            return None

    @property
    def api_version_unbumped(self) -> bool:
        """Wire-breaking changes, and the API's `info.version` did not change."""
        return self.wire_level == "breaking" and self.old.api_version == self.new.api_version

    # -- renderings --------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        proposed = self.proposed_version()
        return {
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "level": self.level,
            "wire_level": self.wire_level,
            "proposed_version": str(proposed) if proposed else None,
            "api_version_unbumped": self.api_version_unbumped,
            "summary": {lang: {s: self.count(s, lang) for s in SEVERITIES} for lang in (*LANGS, "wire")},
            "changes": [c.to_json() for c in self.changes],
        }

    def json(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n"

    def headline(self) -> str:
        if not self.changes:
            return "No changes an SDK user can see."
        parts = [f"{self.count(s)} {s}" for s in SEVERITIES if self.count(s)]
        return f"{'Breaking' if self.level == 'breaking' else 'No breaking'} changes for SDK users ({', '.join(parts)})."

    def version_line(self) -> str:
        proposed = self.proposed_version()
        if proposed is None:
            if self.level is None:
                return f"SDK version stays {self.new.sdk_version}."
            return f"SDK version {self.old.sdk_version!r} is not a semantic version: no bump proposed."
        rule = (
            "0.x: breaking -> minor, otherwise patch"
            if proposed.major == 0
            else "breaking -> major, compatible -> minor, internal -> patch"
        )
        line = f"SDK version: {self.old.sdk_version} -> **{proposed}** ({self.level}; {rule})."
        try:
            current = Version.parse(self.new.sdk_version)
        except VersionError:
            return line
        if current.key() == proposed.key() or proposed < current:
            line += f" The new spec already says {current}."
        else:
            line += f" The new spec still says {current}: run `sdkgen release`."
        return line

    def markdown(self, *, title: str = "SDK changes") -> str:
        out = [f"## {title}", ""]
        out.append(f"`{self.old.label}` ({self.old.sha256[:12]}) -> `{self.new.label}` ({self.new.sha256[:12]})")
        out.append("")
        out.append(f"**{self.headline()}**")
        out.append("")
        out.append(self.version_line())
        api = f"API version (`info.version`): {self.old.api_version} -> {self.new.api_version}."
        if self.api_line():
            api += f" **{self.api_line()}**"
        out += [api, ""]
        if self.new.errors:
            out += [
                f"**Warning: the new spec has {self.new.errors} error(s)** (`sdkgen lint`): the pieces it skips "
                "show up as removed.",
                "",
            ]
        if not self.changes:
            return "\n".join(out) + "\n"
        out.append("| | " + " | ".join(LANG_TITLES[x] for x in (*LANGS, "wire")) + " |")
        out.append("|---|" + "---|" * (len(LANGS) + 1))
        for s in SEVERITIES:
            out.append(
                f"| {s} | "
                + " | ".join(
                    str(self.count(s, x)) if x in LANGS else str(sum(1 for c in self.changes if c.wire == s))
                    for x in (*LANGS, "wire")
                )
                + " |"
            )
        out.append("")
        budget = MARKDOWN_LIMIT - sum(len(x) + 1 for x in out)
        left_out = 0
        groups: list[tuple[str, list[Change]]] = [(s, self.by_severity(s)) for s in SEVERITIES]
        wire_only = [c for c in self.by_severity("internal") if c.wire == "breaking"]
        groups.insert(2, ("wire", wire_only))
        groups[-1] = ("internal", [c for c in self.by_severity("internal") if c.wire != "breaking"])
        for group, items in groups:
            if not items:
                continue
            if group == "wire":
                out += [
                    f"### Same SDK API, breaking on the wire ({len(items)})",
                    "",
                    "_Nothing to change in code that uses the new SDKs; releases built from the old spec "
                    "stop working against a server that implements the new one._",
                    "",
                ]
            elif group == "internal":
                out += [f"<details><summary>{len(items)} internal change(s)</summary>", ""]
            else:
                out += [f"### {group.capitalize()} ({len(items)})", ""]
            for c in items:
                lines = _markdown_change(c) if group != "internal" else [_markdown_line(c)]
                size = sum(len(x) + 1 for x in lines)
                if size > budget:
                    left_out += 1
                    continue
                budget -= size
                out += lines
            out.append("")
            if group == "internal":
                out += ["</details>", ""]
        if left_out:
            out += [f"_{left_out} more change(s) did not fit in this comment: see the JSON report._", ""]
        return "\n".join(out).rstrip() + "\n"

    def api_line(self) -> str | None:
        if not self.api_version_unbumped:
            return None
        n = sum(1 for c in self.changes if c.wire == "breaking")
        return (
            f"Warning: {n} change(s) break the wire for SDK releases built from the old spec, and info.version "
            f"(the API's version) is still {self.new.api_version}."
        )

    def text(self) -> str:
        out = [self.headline(), self.version_line().replace("**", "")]
        if self.api_line():
            out.append(str(self.api_line()))
        if self.new.errors:
            out.append(
                f"Warning: the new spec has {self.new.errors} error(s) (sdkgen lint): the pieces it skips show up as removed."
            )
        for c in self.changes:
            if c.severity == "internal" and c.wire != "breaking":
                continue
            out.append(f"  {c.severity:<10} {c.message}  [{c.location}]")
            for lang in (*LANGS, "wire"):
                imp = c.impacts.get(lang)
                if imp and imp.severity != "internal":
                    out.append(f"    {LANG_TITLES[lang]:<11} {imp.severity}: {imp.text}")
        hidden = sum(1 for c in self.changes if c.severity == "internal" and c.wire != "breaking")
        if hidden:
            out.append(f"  ({hidden} internal change(s): `sdkgen diff` shows them)")
        return "\n".join(out) + "\n"


MARKDOWN_LIMIT = 60_000  # GitHub refuses comments over 65,536 characters


def _markdown_line(c: Change) -> str:
    where = f"`{c.location}`" + (" (old spec)" if c.side == "old" else "")
    return f"- {_md(c.message)} — {where} · `{c.kind}`"


def _markdown_change(c: Change) -> list[str]:
    where = f"`{c.location}`" + (" (old spec)" if c.side == "old" else "")
    lines = [f"- **{_md(c.message)}** — {where} · `{c.kind}`"]
    for lang in (*LANGS, "wire"):
        imp = c.impacts.get(lang)
        if imp is None:
            continue
        text = f": {imp.text}" if imp.text else ""
        lines.append(f"  - {LANG_TITLES[lang]}: {imp.severity}{_md_inline(text)}")
    return lines


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def _md_inline(text: str) -> str:
    # Code spans keep their content; only characters that would open HTML are escaped outside them.
    parts = text.split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def spec_info(spec: Spec, label: str, errors: int) -> SpecInfo:
    info = spec.raw.get("info") or {}
    x = info.get("x-sdk") or {}
    return SpecInfo(
        label=label,
        sha256=spec.sha256,
        api_version=str(info.get("version", "")),
        sdk_version=str(x.get("version", "0.1.0")),
        errors=errors,
    )


def diff_specs(old: Spec, new: Spec, *, old_label: str | None = None, new_label: str | None = None) -> Report:
    """Compare two loaded specs through their IRs."""
    old_ir, new_ir = build_ir(old), build_ir(new)
    changes = compare_irs(old_ir, new_ir, Locator(old), Locator(new))
    return Report(
        old=spec_info(old, old_label or str(old.path), len(old_ir.errors)),
        new=spec_info(new, new_label or str(new.path), len(new_ir.errors)),
        changes=changes,
    )
