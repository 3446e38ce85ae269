"""sdkgen: generate client SDKs from an OpenAPI 3.1 document.

  sdkgen generate --spec openapi.yaml --lang python --out python-sdk
  sdkgen generate-all --spec openapi.yaml          # every language, to its usual folder
  sdkgen check --spec openapi.yaml                 # fail if committed SDKs differ from a fresh generation
                                                   #   (and say which files, and what the spec change does)
  sdkgen lint --spec openapi.yaml                  # print the spec's problems
  sdkgen ir --spec openapi.yaml                    # print the IR as JSON (what templates see)
  sdkgen diff --base origin/main                   # what a spec change does to each SDK's users
  sdkgen diff OLD.yaml NEW.yaml --format json      #   (Markdown by default, JSON, or text)
  sdkgen release --base v0.4.0                     # next version from that report, regenerate, changelogs
  sdkgen ci --base origin/main                     # the pull-request checks of .github/workflows/sdk.yml

Exit codes:
  0  done (warnings and notes are printed, they do not fail a run)
  1  the spec stops the run: it made the generator drop an operation, parameter, body,
     field, event, schema or scheme (unless --allow-partial), or it has errors and
     --strict was given; `lint` found errors; `check` found drift
  2  the generator could not run: the spec is unreadable or not OpenAPI 3, or an
     internal error (a short message; --debug or SDKGEN_DEBUG=1 shows the traceback)
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

from .builder import build_ir
from .diff import commands as diff_commands
from .emit import MANIFEST, SPEC_COPY, FileDrift, add_header, drift, read_manifest, write_output
from .ir import IR
from .spec import Spec, SpecError, load_spec
from .targets import LANGS, RenderContext, generator_sha256, get_target

__all__ = ["main", "generate"]


def _report(ir: IR, strict: bool, allow_partial: bool = False, quiet: bool = False) -> bool:
    """Print the diagnostics; False when they stop the run (exit 1)."""
    for d in ir.diagnostics:
        if quiet and d.severity == "note":
            continue
        print(f"sdkgen: {d}", file=sys.stderr)
    if ir.dropped:
        print(f"sdkgen: the SDKs would lack {len(ir.dropped)} piece(s) of the spec:", file=sys.stderr)
        for d in ir.dropped:
            print(f"sdkgen:   {d.dropped} at {d.location}: {d.message}", file=sys.stderr)
        if not allow_partial:
            print("sdkgen: refusing to generate a partial SDK (--allow-partial generates it anyway)", file=sys.stderr)
            return False
    if ir.errors and strict:
        print(f"sdkgen: {len(ir.errors)} error(s) in the spec; --strict refuses to generate", file=sys.stderr)
        return False
    return True


def _summary(ir: IR) -> str:
    return (f"{len(ir.errors)} error(s), {len(ir.warnings)} warning(s), {len(ir.notes)} note(s), "
            f"{len(ir.dropped)} dropped")


def generate(ir: IR, spec_path: Path, lang: str, out: Path) -> list[str]:
    """Render one language into `out`; returns the generated paths."""
    target = get_target(lang)
    ctx = RenderContext(spec_path=spec_path, spec_name=spec_path.name)
    files = {rel: add_header(rel, text, ctx.spec_name) for rel, text in target.render(ir, ctx).items()}
    spec_bytes = spec_path.read_bytes()
    removed = write_output(out, files, spec_sha256=ir.spec_sha256, generator_sha256=generator_sha256(target), lang=lang,
                           spec=spec_bytes if hashlib.sha256(spec_bytes).hexdigest() == ir.spec_sha256 else None)
    for rel in removed:
        print(f"sdkgen: removed {out / rel} (no longer generated)", file=sys.stderr)
    return sorted(files)


def _langs(arg: list[str] | None) -> list[str]:
    return list(arg) if arg else list(LANGS)


def main(argv: list[str] | None = None) -> int:
    """The command line; never lets a Python traceback reach the user (see the exit codes)."""
    debug = bool(os.environ.get("SDKGEN_DEBUG")) or "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("sdkgen: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 -- the edge: any failure becomes one short message
        if debug:
            traceback.print_exc()
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        first = lines[0] if lines else ""
        if first.endswith(":") and len(lines) > 1:  # "tool failed:" says nothing; its next line does
            first = f"{first} {lines[1]}"
        first = first[:300]
        where = "nested too deeply" if isinstance(exc, RecursionError) else f"{type(exc).__name__}: {first}"
        print(f"sdkgen: internal error: {where}" + ("" if debug else " (--debug shows the traceback)"), file=sys.stderr)
        return 2


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sdkgen", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--spec", required=True, type=Path, help="the OpenAPI 3.x document (YAML or JSON)")
        p.add_argument("--strict", action="store_true", help="refuse to generate when the spec has errors")
        p.add_argument("--allow-partial", action="store_true",
                       help="generate even when parts of the spec were dropped (they are listed)")
        p.add_argument("--quiet", action="store_true", help="do not print notes (renames, decisions made by rule)")
        p.add_argument("--debug", action="store_true", help="show the traceback of an internal error")

    g = sub.add_parser("generate", help="generate one language's SDK into a folder")
    common(g)
    g.add_argument("--lang", required=True, choices=LANGS)
    g.add_argument("--out", required=True, type=Path, help="output folder; files the generator did not write are kept")

    ga = sub.add_parser("generate-all", help="generate every language into its usual folder under --root")
    common(ga)
    ga.add_argument("--root", type=Path, default=Path("."), help="repo root (default: .)")
    ga.add_argument("--lang", action="append", choices=LANGS, help="only these languages (repeatable)")

    c = sub.add_parser("check", help="fail, listing files, when committed SDKs differ from a fresh generation")
    common(c)
    c.add_argument("--root", type=Path, default=Path("."), help="repo root (default: .)")
    c.add_argument("--lang", action="append", choices=LANGS, help="only these languages (repeatable)")
    c.add_argument("--diff", action="store_true", help="also print each differing file's unified diff")

    lint = sub.add_parser("lint", help="print the spec's problems; exit 1 on errors")
    common(lint)
    irp = sub.add_parser("ir", help="print the IR as JSON")
    common(irp)
    diff_commands.add_parsers(sub)

    args = parser.parse_args(argv)
    if args.command in diff_commands.COMMANDS:
        return diff_commands.run(args)
    try:
        spec = load_spec(args.spec)
    except (OSError, SpecError) as exc:
        print(f"sdkgen: {exc}", file=sys.stderr)
        return 2
    ir = build_ir(spec)

    if args.command == "ir":
        print(ir.model_dump_json(indent=2))
        return 0 if _report(ir, strict=False, allow_partial=args.allow_partial, quiet=args.quiet) else 1
    if args.command == "lint":
        _report(ir, strict=False, allow_partial=True, quiet=args.quiet)
        print(f"sdkgen: {_summary(ir)}", file=sys.stderr)
        return 1 if ir.errors else 0
    if not _report(ir, args.strict, allow_partial=args.allow_partial, quiet=args.quiet):
        return 1
    if args.command == "generate":
        files = generate(ir, args.spec, args.lang, args.out)
        print(f"sdkgen: {args.lang}: {len(files)} files in {args.out}")
        return 0
    if args.command == "generate-all":
        for lang in _langs(args.lang):
            out = args.root / get_target(lang).default_out
            files = generate(ir, args.spec, lang, out)
            print(f"sdkgen: {lang}: {len(files)} files in {out}")
        return 0
    return check(ir, spec, args.spec, args.root, _langs(args.lang), show_diff=args.diff)


CHECK_FILES_SHOWN = 12
CHECK_DIFF_LINES = 200


def check(ir: IR, spec: Spec, spec_path: Path, root: Path, langs: list[str], *, show_diff: bool = False) -> int:
    """Regenerate each language into a scratch folder and compare with the committed SDK. For
    each stale SDK say why (the spec, the generator, or hand edits), which files differ and by
    how many lines; then what the spec change since the last generation does to SDK users."""
    failed = False
    stored: dict[str, tuple[Path, list[str]]] = {}  # spec hash -> (its stored copy, languages)
    for lang in langs:
        target = get_target(lang)
        committed = root / target.default_out
        with tempfile.TemporaryDirectory(prefix=f"sdkgen-check-{lang}-") as tmp:
            generate(ir, spec_path, lang, Path(tmp))
            problems = drift(committed, Path(tmp))
            if problems:
                failed = True
                manifest = read_manifest(committed) or {}
                print(f"sdkgen check: {lang}: {committed} differs from a fresh generation (run `make generate`):")
                for cause in _causes(manifest, ir, generator_sha256(target)):
                    print(f"  cause: {cause}")
                _print_drift(problems, committed, Path(tmp), show_diff)
                old_hash = str(manifest.get("spec_sha256", ""))
                if old_hash and old_hash != ir.spec_sha256:
                    copy = committed / str(manifest.get("spec_file") or SPEC_COPY)
                    stored.setdefault(old_hash, (copy, []))[1].append(lang)
            else:
                print(f"sdkgen check: {lang}: {committed} is up to date")
    for old_hash, (copy, langs_of) in stored.items():
        which = ", ".join(langs_of)
        if not copy.exists() or hashlib.sha256(copy.read_bytes()).hexdigest() != old_hash:
            print(f"sdkgen check: the {which} SDK(s) keep no copy of the spec they were generated from "
                  f"(sha256 {old_hash[:12]}; {copy.name} is missing or differs): cannot say what the spec change does")
            continue
        report = diff_commands.spec_change_report(copy, spec)
        if report is None:
            print(f"sdkgen check: {copy} cannot be read: cannot say what the spec change does")
            continue
        print(f"sdkgen check: what {spec_path} changes for users of the {which} SDK(s), since they were generated "
              f"(`sdkgen diff {copy} {spec_path}`):")
        for line in report.text().splitlines():
            print(f"  {line}")
    return 1 if failed else 0


def _causes(manifest: dict[str, object], ir: IR, gen_hash: str) -> list[str]:
    if not manifest:
        return ["the SDK was never generated here (no manifest)"]
    causes = []
    if manifest.get("spec_sha256") != ir.spec_sha256:
        causes.append(f"the spec changed since the SDK was generated (sha256 {str(manifest.get('spec_sha256'))[:12]} "
                      f"-> {ir.spec_sha256[:12]})")
    if manifest.get("generator_sha256") != gen_hash:
        causes.append("the generator changed since (sdkgen itself, this language's templates or runtime)")
    if not causes:
        causes.append("same spec, same generator: generated files were edited by hand (never edit them)")
    return causes


def _print_drift(problems: list[FileDrift], committed: Path, fresh: Path, show_diff: bool) -> None:
    added = sum(p.added for p in problems)
    removed = sum(p.removed for p in problems)
    counts = {s: sum(1 for p in problems if p.status == s) for s in ("differs", "missing", "no longer generated")}
    print(f"  {len(problems)} file(s): {counts['differs']} differ, {counts['missing']} missing, "
          f"{counts['no longer generated']} no longer generated; regenerating adds {added} and removes {removed} line(s)")
    width = max(len(p.path) for p in problems[:CHECK_FILES_SHOWN])
    for p in problems[:CHECK_FILES_SHOWN]:
        print(f"    {p.path:<{width}}  {p.status:<20} +{p.added} -{p.removed}")
    if len(problems) > CHECK_FILES_SHOWN:
        print(f"    ... and {len(problems) - CHECK_FILES_SHOWN} more (sdkgen check --diff shows every change)")
    if not show_diff:
        return
    budget = CHECK_DIFF_LINES
    for p in problems:
        if p.path == MANIFEST or budget <= 0:
            continue
        old = (committed / p.path).read_text(errors="replace").splitlines() if (committed / p.path).exists() else []
        new = (fresh / p.path).read_text(errors="replace").splitlines() if (fresh / p.path).exists() else []
        for line in difflib.unified_diff(old, new, f"committed/{p.path}", f"fresh/{p.path}", lineterm=""):
            if budget <= 0:
                print("    ... (diff cut; run `make generate` and `git diff` for the rest)")
                break
            print(f"    {line}")
            budget -= 1


if __name__ == "__main__":
    sys.exit(main())
