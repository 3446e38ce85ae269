"""`sdkgen release`: the next version from a diff report, written where the generator reads
it, the SDKs regenerated, and a changelog entry per SDK prepended from the report.

The version lives in one place, `info.x-sdk.version` of the spec; regenerating writes it
into all three packages at once (pyproject.toml and `__version__`, package.json, the Go
`Version` constant and every User-Agent). The rule relating it to the API's own
`info.version` is in version.py and docs/maintainers.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import LANG_TITLES, LANGS, Change
from .report import Report
from .version import Version, VersionError

__all__ = [
    "ReleaseError",
    "ReleasePlan",
    "plan_release",
    "set_sdk_version",
    "changelog_entry",
    "prepend_changelog",
    "verify_release",
    "changelog_path",
    "sync_lockfile",
]

CHANGELOG = "CHANGELOG.md"


class ReleaseError(Exception):
    """A release cannot be made as asked (the message says why and what to do)."""


@dataclass
class ReleasePlan:
    current: Version  # what the new spec says now
    version: Version  # what it will say
    required: Version | None  # the least the report allows (None: nothing changed)
    problems: list[str] = field(default_factory=list)


def _parse(text: str, what: str) -> Version:
    try:
        return Version.parse(text)
    except VersionError as exc:
        raise ReleaseError(f"{what}: {exc}") from exc


def plan_release(report: Report, *, version: str | None = None, check_api_version: bool = True) -> ReleasePlan:
    """Decide the version: `version` if given (it must be at least what the report needs),
    else what the new spec already says if that is enough, else the report's proposal."""
    current = _parse(report.new.sdk_version, "the new spec's info.x-sdk.version")
    required = report.proposed_version()
    if report.level is not None and required is None:
        _parse(report.old.sdk_version, "the old spec's info.x-sdk.version")  # raises with the reason
    if check_api_version and report.api_version_unbumped:
        n = sum(1 for c in report.changes if c.wire == "breaking")
        raise ReleaseError(
            f"{n} change(s) break the wire for SDK releases built from the old spec, and info.version "
            f"(the API's version) is still {report.new.api_version}: give the API a new info.version first "
            "(docs/maintainers.md, Versions), or pass --no-api-version-check if the old API is gone for good"
        )
    if version is not None:
        chosen = _parse(version, "--version")
        if required is not None and chosen < required:
            raise ReleaseError(f"--version {chosen} is too low: the changes are {report.level} and need at least {required}")
        return ReleasePlan(current=current, version=chosen, required=required)
    if required is None:
        return ReleasePlan(current=current, version=current, required=None)
    if required <= current and report.new.sdk_version != report.old.sdk_version:
        return ReleasePlan(current=current, version=current, required=required)
    return ReleasePlan(current=current, version=required, required=required)


# -- writing the version into the spec ----------------------------------------------------------

_KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_$.\"'-]+):(?P<rest>.*)$")


def set_sdk_version(text: str, version: str) -> str:
    """`text` (a YAML or JSON spec) with `info.x-sdk.version` set to `version`, and
    nothing else changed (checked by parsing both)."""
    if text.lstrip().startswith("{"):
        doc = json.loads(text)
        doc.setdefault("info", {}).setdefault("x-sdk", {})["version"] = version
        new_text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    else:
        new_text = _set_yaml_version(text, version)
    _check_only_version_changed(text, new_text, version)
    return new_text


def _set_yaml_version(text: str, version: str) -> str:
    lines = text.splitlines(keepends=True)
    nl = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    info = next((i for i, ln in enumerate(lines) if re.match(r"^info:\s*(#.*)?$", ln.rstrip("\r\n"))), None)
    if info is None:
        raise ReleaseError("the spec has no block-style `info:` mapping at the top level to write the version into")
    end = next((i for i in range(info + 1, len(lines)) if lines[i].strip() and not lines[i].startswith((" ", "#"))), len(lines))
    child_indent = None
    xsdk = None
    for i in range(info + 1, end):
        m = _KEY.match(lines[i].rstrip("\r\n"))
        if not m or lines[i].lstrip().startswith("#"):
            continue
        if child_indent is None:
            child_indent = len(m["indent"])
        if len(m["indent"]) == child_indent and m["key"].strip("\"'") == "x-sdk":
            if m["rest"].strip() and not m["rest"].strip().startswith("#"):
                raise ReleaseError("info.x-sdk is written in flow style ({...}); write it as a block mapping")
            xsdk = i
            break
    quoted = json.dumps(version)  # a quoted YAML scalar: 1.10 must not read as a number
    if child_indent is None:
        child_indent = 2
    if xsdk is None:
        pad = " " * child_indent
        lines[info + 1 : info + 1] = [f"{pad}x-sdk:{nl}", f"{pad}{pad}version: {quoted}{nl}"]
        return "".join(lines)
    x_end = next(
        (
            i
            for i in range(xsdk + 1, end)
            if lines[i].strip()
            and not lines[i].lstrip().startswith("#")
            and len(lines[i]) - len(lines[i].lstrip(" ")) <= child_indent
        ),
        end,
    )
    grand = None
    for i in range(xsdk + 1, x_end):
        m = _KEY.match(lines[i].rstrip("\r\n"))
        if not m:
            continue
        if grand is None:
            grand = len(m["indent"])
        if len(m["indent"]) == grand and m["key"].strip("\"'") == "version":
            comment = re.search(r"\s+#.*$", m["rest"])
            lines[i] = f"{m['indent']}version: {_yaml_scalar(version, m['rest'])}{comment.group(0) if comment else ''}{nl}"
            return "".join(lines)
    pad = " " * (grand if grand is not None else child_indent * 2)
    lines.insert(xsdk + 1, f"{pad}version: {quoted}{nl}")
    return "".join(lines)


def _yaml_scalar(version: str, previous: str) -> str:
    """Keep the old value's quoting style where it is safe."""
    old = previous.strip().split(" #")[0].strip()
    if old.startswith("'"):
        return f"'{version}'"
    if old.startswith('"') or re.fullmatch(r"\d+(\.\d+)?", version):
        return json.dumps(version)
    return version


def _check_only_version_changed(old_text: str, new_text: str, version: str) -> None:
    old_doc, new_doc = yaml.safe_load(old_text), yaml.safe_load(new_text)
    got = ((new_doc or {}).get("info") or {}).get("x-sdk", {}).get("version")
    if str(got) != version:
        raise ReleaseError(f"could not write info.x-sdk.version (read back {got!r}); edit the spec by hand")
    old_doc.setdefault("info", {}).setdefault("x-sdk", {})["version"] = version
    if old_doc != new_doc:
        raise ReleaseError("writing info.x-sdk.version would change more of the spec; edit it by hand")


def sync_lockfile(path: Path, version: str) -> bool:
    """Set the package's own version in an npm package-lock.json (kept by hand next to the
    generated package.json); True when it changed. npm writes the file as 2-space JSON, so a
    JSON round trip changes nothing else (checked)."""
    if not path.exists():
        return False
    text = path.read_text()
    doc = json.loads(text)
    if json.dumps(doc, indent=2, ensure_ascii=False) + "\n" != text:
        raise ReleaseError(f"{path} is not formatted as npm writes it: set its version to {version} by hand")
    doc["version"] = version
    if isinstance(doc.get("packages"), dict) and isinstance(doc["packages"].get(""), dict):
        doc["packages"][""]["version"] = version
    new = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if new == text:
        return False
    path.write_text(new)
    return True


# -- changelogs ----------------------------------------------------------------------------------


def changelog_path(root: Path, lang: str) -> Path:
    from ..targets import get_target

    return root / get_target(lang).default_out / CHANGELOG


def _entry_lines(changes: list[Change], lang: str, severity: str) -> list[str]:
    out = []
    for c in changes:
        imp = c.impacts.get(lang)
        if imp is None or imp.severity != severity:
            continue
        out.append(f"- {imp.text} ({c.message})")
    return out


def changelog_entry(
    report: Report, lang: str, version: Version | str, *, package: str, spec_sha256: str | None = None, initial: bool = False
) -> str:
    """A changelog entry for one SDK, from the report, in that language's names. `spec_sha256`
    is the released spec's hash (the new spec with its version written in); `initial`: the
    first release recorded (the report compares with an empty API)."""
    lines = [f"## {version} (API {report.new.api_version})", ""]
    sha = spec_sha256 or report.new.sha256
    if initial:
        lines.append(
            f"The first release of `{package}` recorded by `sdkgen release`, generated from "
            f"`{report.new.label}` (sha256 {sha[:12]}): everything in it is listed as new."
        )
    else:
        lines.append(
            f"Generated by `sdkgen release` from `{report.new.label}` (sha256 {sha[:12]}), "
            f"compared with `{report.old.label}` (sha256 {report.old.sha256[:12]}, {package} {report.old.sdk_version})."
        )
    lines.append("")
    sections = (("breaking", "Breaking changes"), ("compatible", "Compatible changes"))
    for severity, title in sections:
        items = _entry_lines(report.changes, lang, severity)
        if items:
            lines += [f"### {title}", "", *items, ""]
    internal = sum(1 for c in report.changes if c.impacts.get(lang) and c.impacts[lang].severity == "internal")
    if internal and not initial:
        lines += [
            f"{internal} change(s) of the spec leave the {LANG_TITLES[lang]} SDK's API as it was "
            "(documentation, wire details): `sdkgen diff` lists them.",
            "",
        ]
    wire = [c for c in report.changes if c.wire == "breaking"]
    if wire and not initial:
        lines += [
            "### Compatibility with servers",
            "",
            f"Releases before {version} do not work as before against a server that implements API {report.new.api_version}:",
            "",
        ]
        lines += [f"- {c.message} ({c.impacts['wire'].text})" for c in wire]
        lines.append("")
    if not report.changes:
        lines += ["No change to the API: regenerated.", ""]
    return "\n".join(lines).rstrip() + "\n"


def prepend_changelog(path: Path, entry: str, version: Version | str, *, title: str) -> None:
    """Put `entry` first in the changelog at `path` (created if absent); an existing entry
    for the same version is replaced, so releasing twice changes nothing."""
    heading = f"## {version} "
    if path.exists():
        text = path.read_text()
    else:
        text = f"# Changelog\n\n{title}\n\n"
    starts = [m.start() for m in re.finditer(r"^## ", text, flags=re.M)]
    head = text[: starts[0]] if starts else text.rstrip() + "\n\n"
    entries = [text[s:e] for s, e in zip(starts, [*starts[1:], len(text)], strict=False)] if starts else []
    kept = [e for e in entries if not e.startswith(heading) and e.strip() != f"## {version}"]
    body = entry.rstrip() + "\n\n" + "".join(e.rstrip() + "\n\n" for e in kept)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + body.rstrip() + "\n")


def has_entry(path: Path, version: Version | str) -> bool:
    return path.exists() and re.search(rf"^## {re.escape(str(version))}(\s|$)", path.read_text(), flags=re.M) is not None


def verify_release(report: Report, root: Path, *, check_api_version: bool = True) -> list[str]:
    """What keeps the new spec from being a release of its changes: a version too low for
    them, a missing changelog entry, wire-breaking changes under an unchanged API version.
    Changes no SDK user can see (documentation, wire details the SDKs hide) need no release."""
    problems: list[str] = []
    if report.level in (None, "internal") and not report.api_version_unbumped:
        return problems  # nothing users can see: releasing (a patch) is up to you
    required = report.proposed_version()
    try:
        current = Version.parse(report.new.sdk_version)
    except VersionError as exc:
        return [f"info.x-sdk.version: {exc}"]
    if required is None:
        problems.append(f"the base's info.x-sdk.version {report.old.sdk_version!r} is not a semantic version")
    elif current < required:
        problems.append(
            f"info.x-sdk.version is {current}, and the changes are {report.level}: "
            f"they need at least {required} (run `sdkgen release`)"
        )
    elif report.new.sdk_version == report.old.sdk_version:
        problems.append(f"info.x-sdk.version is still {current}: the changes need a new version (run `sdkgen release`)")
    for lang in LANGS:
        path = changelog_path(root, lang)
        if not has_entry(path, current):
            problems.append(f"{path}: no entry for {current} (run `sdkgen release`)")
    if check_api_version and report.api_version_unbumped:
        problems.append(f"changes break the wire for older SDK releases and info.version is still {report.new.api_version}")
    return problems
