"""The `sdkgen diff`, `sdkgen release` and `sdkgen ci` subcommands, and the spec report
`sdkgen check` prints when the committed SDKs are stale."""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import TextIO

import yaml

from ..spec import Spec, SpecError, load_spec
from .git import GitError, spec_at
from .model import SEVERITIES
from .release import (
    ReleaseError,
    ReleasePlan,
    changelog_entry,
    changelog_path,
    plan_release,
    prepend_changelog,
    set_sdk_version,
    sync_lockfile,
    verify_release,
)
from .report import Report, diff_specs
from .version import Version, VersionError

__all__ = ["add_parsers", "run", "COMMANDS", "spec_change_report"]

COMMANDS = ("diff", "release", "ci")
DEFAULT_SPEC = Path("openapi.yaml")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser(
        "diff",
        help="what changed between two specs, for the users of each SDK (breaking / compatible / internal)",
        description="Compare two specs through the IR. `sdkgen diff OLD NEW`, or `sdkgen diff --base origin/main` "
        "(OLD is --spec as it is at that git revision). Exit 1 with --fail-on when a change is that bad.",
    )
    d.add_argument("old", nargs="?", type=Path, help="the old spec (omit with --base)")
    d.add_argument("new", nargs="?", type=Path, help="the new spec (default: --spec)")
    d.add_argument("--base", metavar="REF", help="take the old spec from git at this revision (e.g. origin/main)")
    d.add_argument("--spec", type=Path, default=None, help="the new spec (default: openapi.yaml)")
    d.add_argument("--format", choices=("markdown", "json", "text"), default="markdown", help="stdout format")
    d.add_argument("--markdown", type=Path, metavar="FILE", help="also write the Markdown report here")
    d.add_argument("--json", type=Path, metavar="FILE", help="also write the JSON report here")
    d.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 when any change is at least this severe")
    d.add_argument("--bump", action="store_true", help="print only the proposed next SDK version")

    r = sub.add_parser(
        "release",
        help="bump info.x-sdk.version from the diff report, regenerate every SDK, prepend changelog entries",
    )
    r.add_argument("--spec", type=Path, default=DEFAULT_SPEC, help="the spec to release (default: openapi.yaml)")
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--base", metavar="REF", help="the last release's spec: --spec at this git revision")
    g.add_argument("--old", type=Path, metavar="FILE", help="the last release's spec, as a file")
    g.add_argument(
        "--initial", action="store_true", help="the first release: record the current version, with everything in it as new"
    )
    r.add_argument("--root", type=Path, default=Path("."), help="repo root holding the SDK folders (default: .)")
    r.add_argument("--version", help="release this version (at least what the changes need)")
    r.add_argument("--no-generate", action="store_true", help="write the version and changelogs only")
    r.add_argument(
        "--no-api-version-check", action="store_true", help="allow wire-breaking changes under an unchanged info.version"
    )
    r.add_argument("--dry-run", action="store_true", help="print the plan and the entries; write nothing")

    c = sub.add_parser(
        "ci",
        help="the pull-request checks: diff report (Markdown + JSON), version and changelog, no drift",
    )
    c.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    c.add_argument("--base", metavar="REF", required=True, help="the target branch's revision (e.g. origin/main)")
    c.add_argument("--root", type=Path, default=Path("."))
    c.add_argument("--reports", type=Path, default=Path("reports"), help="where sdk-diff.md / sdk-diff.json go")
    c.add_argument("--no-check", action="store_true", help="skip the drift check (regenerating every SDK)")
    c.add_argument("--no-api-version-check", action="store_true")


def _err(msg: str) -> None:
    print(f"sdkgen: {msg}", file=sys.stderr)


def _load_pair(args: argparse.Namespace, tmp: Path) -> tuple[Spec, str, Spec, str]:
    if args.base:
        if args.old is not None and args.new is not None:
            raise SpecError("give either OLD NEW, or --base REF [NEW]")
        new_path: Path = args.old or args.spec or DEFAULT_SPEC  # with --base, one positional is the new spec
        old, old_label = spec_at(args.base, new_path, tmp)
    else:
        if args.old is None or (args.new is None and args.spec is None):
            raise SpecError("give OLD and NEW specs, or --base REF")
        new_path = args.new or args.spec
        old, old_label = load_spec(args.old), str(args.old)
    return old, old_label, load_spec(new_path), str(new_path)


def cmd_diff(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    with tempfile.TemporaryDirectory(prefix="sdkgen-diff-") as tmp:
        try:
            old, old_label, new, new_label = _load_pair(args, Path(tmp))
        except (OSError, SpecError, GitError) as exc:
            _err(str(exc))
            return 2
        report = diff_specs(old, new, old_label=old_label, new_label=new_label)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(report.markdown())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.json())
    if args.bump:
        proposed = report.proposed_version()
        out.write(f"{proposed or report.new.sdk_version}\n")
    else:
        out.write({"markdown": report.markdown, "json": report.json, "text": report.text}[args.format]())
    if args.fail_on and report.level is not None and SEVERITIES.index(report.level) <= SEVERITIES.index(args.fail_on):
        _err(f"{report.count('breaking')} breaking change(s) (--fail-on {args.fail_on})")
        return 1
    return 0


def _base_spec(args: argparse.Namespace, tmp: Path) -> tuple[Spec, str]:
    if args.base:
        return spec_at(args.base, args.spec, tmp)
    if args.initial:
        return _empty_like(args.spec, tmp), "nothing (the first release)"
    return load_spec(args.old), str(args.old)


def _empty_like(path: Path, tmp: Path) -> Spec:
    """The spec with its API taken out (info, servers and security kept): what a first
    release is compared with, so that everything in it is new."""
    raw = yaml.safe_load(path.read_bytes())
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: not an OpenAPI document")
    schemes = (raw.get("components") or {}).get("securitySchemes")
    empty = {k: raw[k] for k in ("openapi", "info", "servers", "security") if k in raw}
    empty["paths"] = {}
    if schemes:
        empty["components"] = {"securitySchemes": schemes}
    target = tmp / f"empty-{path.name}"
    target.write_text(yaml.safe_dump(empty, sort_keys=False))
    return load_spec(target)


def cmd_release(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from ..targets import LANGS, get_target

    with tempfile.TemporaryDirectory(prefix="sdkgen-release-") as tmp:
        try:
            old, old_label = _base_spec(args, Path(tmp))
            new = load_spec(args.spec)
        except (OSError, SpecError, GitError) as exc:
            _err(str(exc))
            return 2
        report = diff_specs(old, new, old_label=old_label, new_label=str(args.spec))
    try:
        if args.initial:
            current = Version.parse(args.version or report.new.sdk_version)
            plan = ReleasePlan(current=current, version=current, required=None)
        else:
            plan = plan_release(report, version=args.version, check_api_version=not args.no_api_version_check)
    except (ReleaseError, VersionError) as exc:
        _err(f"release: {exc}")
        return 1
    if report.level is None and args.version is None and not args.initial:
        out.write(f"sdkgen release: nothing changed since {old_label}; {plan.current} stays.\n")
        return 0
    out.write(report.text())
    out.write(
        f"sdkgen release: {plan.current} -> {plan.version}"
        f"{f' (the changes need at least {plan.required})' if plan.required else ''}\n"
    )
    try:
        text = args.spec.read_bytes().decode("utf-8")
        new_text = set_sdk_version(text, str(plan.version))
    except (OSError, ReleaseError) as exc:
        _err(f"release: {exc}")
        return 1
    released_sha = hashlib.sha256(new_text.encode()).hexdigest()
    from ..builder import build_ir

    sdk = build_ir(new).sdk
    packages = {"python": sdk.python_package, "typescript": sdk.npm_package, "go": sdk.go_module}
    entries = {
        lang: (
            changelog_entry(report, lang, plan.version, package=packages[lang], spec_sha256=released_sha, initial=args.initial),
            packages[lang],
        )
        for lang in LANGS
    }
    if args.dry_run:
        for lang, (entry, _) in entries.items():
            out.write(f"\n--- {changelog_path(args.root, lang)}\n{entry}")
        return 0
    if new_text != text:
        args.spec.write_bytes(new_text.encode("utf-8"))
        out.write(f"sdkgen release: {args.spec}: info.x-sdk.version = {plan.version}\n")
    if not args.no_generate:
        from ..cli import generate

        ir = build_ir(load_spec(args.spec))
        for lang in LANGS:
            dest = args.root / get_target(lang).default_out
            files = generate(ir, args.spec, lang, dest)
            out.write(f"sdkgen release: {lang}: {len(files)} files in {dest}\n")
    lock = args.root / get_target("typescript").default_out / "package-lock.json"
    try:
        if sync_lockfile(lock, str(plan.version)):
            out.write(f"sdkgen release: {lock}: version {plan.version}\n")
    except ReleaseError as exc:
        _err(f"release: {exc}")
        return 1
    for lang, (entry, package) in entries.items():
        path = changelog_path(args.root, lang)
        title = f"Every release of `{package}`, generated by `sdkgen release` from the spec's diff report."
        prepend_changelog(path, entry, plan.version, title=title)
        out.write(f"sdkgen release: {path}: entry {plan.version}\n")
    return 0


def cmd_ci(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """The steps of .github/workflows/sdk.yml's pull-request job that sdkgen owns."""
    with tempfile.TemporaryDirectory(prefix="sdkgen-ci-") as tmp:
        try:
            old, old_label = spec_at(args.base, args.spec, Path(tmp))
            new = load_spec(args.spec)
        except (OSError, SpecError, GitError) as exc:
            _err(str(exc))
            return 2
        report = diff_specs(old, new, old_label=old_label, new_label=str(args.spec))
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "sdk-diff.md").write_text(report.markdown())
    (args.reports / "sdk-diff.json").write_text(report.json())
    out.write(report.text())
    out.write(f"sdkgen ci: report in {args.reports / 'sdk-diff.md'} and {args.reports / 'sdk-diff.json'}\n")
    problems = verify_release(report, args.root, check_api_version=not args.no_api_version_check)
    for p in problems:
        out.write(f"sdkgen ci: release: {p}\n")
    failed = bool(problems)
    if not args.no_check:
        from ..cli import main as cli_main

        failed = cli_main(["check", "--spec", str(args.spec), "--root", str(args.root)]) != 0 or failed
    out.write(f"sdkgen ci: {'FAILED' if failed else 'ok'}\n")
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    return {"diff": cmd_diff, "release": cmd_release, "ci": cmd_ci}[args.command](args)


def spec_change_report(stored: Path, current: Spec) -> Report | None:
    """The diff from the spec an SDK was generated from (its stored copy) to `current`."""
    try:
        old = load_spec(stored)
    except (OSError, SpecError):
        return None
    return diff_specs(old, current, old_label=str(stored), new_label=str(current.path))
