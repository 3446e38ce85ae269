"""Versions, changelogs and the maintainer's loop: `sdkgen release` and `sdkgen ci` on the
fixture pair diff_specs/ci_old.yaml -> ci_new.yaml, in a scratch git repository (the real
SDKs are never regenerated here: `--no-generate` / `--no-check`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sdkgen.diff import diff_specs
from sdkgen.diff.release import (
    ReleaseError,
    changelog_entry,
    has_entry,
    plan_release,
    prepend_changelog,
    set_sdk_version,
)
from sdkgen.diff.version import Version, VersionError, bump
from sdkgen.spec import load_spec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPECS = HERE / "diff_specs"
OLD, NEW = SPECS / "ci_old.yaml", SPECS / "ci_new.yaml"
SDK_DIRS = {"python": "python-sdk", "typescript": "typescript-sdk", "go": "go-sdk"}


# -- versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "level", "expected"),
    [
        ("0.4.0", "breaking", "0.5.0"),
        ("0.4.2", "compatible", "0.4.3"),
        ("0.4.2", "internal", "0.4.3"),
        ("1.2.3", "breaking", "2.0.0"),
        ("1.2.3", "compatible", "1.3.0"),
        ("1.2.3", "internal", "1.2.4"),
        ("1.0.0-rc.1", "breaking", "1.0.0"),
        ("0.9.9", "breaking", "0.10.0"),
    ],
)
def test_bump_rule(current: str, level: str, expected: str) -> None:
    assert str(bump(Version.parse(current), level)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["0.4", "v0.4.0", "01.2.3", "1.2.3.4", "", "latest"])
def test_versions_must_be_semantic(bad: str) -> None:
    with pytest.raises(VersionError, match="not a semantic version"):
        Version.parse(bad)


def test_prerelease_sorts_before_its_release() -> None:
    assert Version.parse("1.0.0-rc.1") < Version.parse("1.0.0") < Version.parse("1.0.1")


# -- writing the version into the spec --------------------------------------------------------------


@pytest.mark.parametrize("spec", [OLD, ROOT / "openapi.yaml"], ids=["fixture", "openapi"])
def test_set_sdk_version_changes_one_line(spec: Path) -> None:
    text = spec.read_text()
    new = set_sdk_version(text, "7.8.9")
    changed = [(a, b) for a, b in zip(text.splitlines(), new.splitlines(), strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].strip() == "version: 7.8.9", changed
    assert yaml.safe_load(new)["info"]["x-sdk"]["version"] == "7.8.9"


def test_set_sdk_version_inserts_what_is_missing() -> None:
    text = "openapi: 3.1.0\ninfo:\n  title: T\n  version: 1.0.0\npaths: {}\n"
    new = set_sdk_version(text, "0.1.0")
    assert yaml.safe_load(new)["info"] == {"x-sdk": {"version": "0.1.0"}, "title": "T", "version": "1.0.0"}
    text = "openapi: 3.1.0\ninfo:\n  title: T\n  x-sdk:\n    name: T\n  version: 1.0.0\npaths: {}\n"
    assert yaml.safe_load(set_sdk_version(text, "0.2.0"))["info"]["x-sdk"] == {"version": "0.2.0", "name": "T"}


def test_set_sdk_version_keeps_quotes_comments_and_crlf() -> None:
    text = 'info:\r\n  x-sdk:\r\n    version: "0.1.0"  # the packages\r\n  version: 1.0.0\r\n'
    assert set_sdk_version(text, "0.2.0") == 'info:\r\n  x-sdk:\r\n    version: "0.2.0"  # the packages\r\n  version: 1.0.0\r\n'


def test_set_sdk_version_json() -> None:
    text = json.dumps({"openapi": "3.1.0", "info": {"title": "T", "version": "1", "x-sdk": {"version": "0.1.0"}}})
    assert json.loads(set_sdk_version(text, "0.2.0"))["info"]["x-sdk"]["version"] == "0.2.0"


def test_set_sdk_version_refuses_what_it_cannot_edit_safely() -> None:
    with pytest.raises(ReleaseError, match="flow style"):
        set_sdk_version("info:\n  x-sdk: {version: 0.1.0}\n  version: 1\n", "0.2.0")
    with pytest.raises(ReleaseError, match="no block-style `info:`"):
        set_sdk_version("info: {title: T, version: 1}\n", "0.2.0")


# -- the plan ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    return diff_specs(load_spec(OLD), load_spec(NEW), old_label="v0.3.0:openapi.yaml", new_label="openapi.yaml")


def test_plan_follows_the_report(report) -> None:  # type: ignore[no-untyped-def]
    assert report.level == "breaking"
    plan = plan_release(report)
    assert (str(plan.current), str(plan.version), str(plan.required)) == ("0.3.0", "0.4.0", "0.4.0")
    assert str(plan_release(report, version="1.0.0").version) == "1.0.0"
    with pytest.raises(ReleaseError, match="too low"):
        plan_release(report, version="0.3.1")
    with pytest.raises(ReleaseError, match="--version"):
        plan_release(report, version="soon")


def test_api_version_rule(tmp_path: Path) -> None:
    """A wire-breaking change needs a new info.version; release refuses without one."""
    same_api = tmp_path / "same-api.yaml"
    same_api.write_text(NEW.read_text().replace("  version: 2.1.0\n", "  version: 2.0.0\n", 1))
    rep = diff_specs(load_spec(OLD), load_spec(same_api))
    assert rep.api_version_unbumped
    with pytest.raises(ReleaseError, match="info.version"):
        plan_release(rep)
    assert str(plan_release(rep, check_api_version=False).version) == "0.4.0"


def test_a_hand_picked_higher_version_is_kept(tmp_path: Path) -> None:
    higher = tmp_path / "higher.yaml"
    higher.write_text(set_sdk_version(NEW.read_text(), "1.0.0"))
    plan = plan_release(diff_specs(load_spec(OLD), load_spec(higher)))
    assert str(plan.version) == "1.0.0"


# -- changelogs ---------------------------------------------------------------------------------------


def test_changelog_entry_speaks_each_language(report) -> None:  # type: ignore[no-untyped-def]
    py = changelog_entry(report, "python", "0.4.0", package="notebook")
    go = changelog_entry(report, "go", "0.4.0", package="example.com/notebook-go")
    assert py.startswith("## 0.4.0 (API 2.1.0)\n")
    assert "### Breaking changes\n\n- `Note.title` is now `Note.heading`" in py
    assert "- new optional `client.notes.create_note(pinned=…)`" in py
    assert "- new `client.notes.restore_note()`" in py
    assert "- `Note.Title` is now `Note.Heading`" in go and "`CreateNoteParams.Pinned`" in go
    assert "### Compatibility with servers" in py and "field title of Note was renamed heading" in py


def test_prepend_changelog_creates_prepends_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    prepend_changelog(path, "## 0.1.0 (API 1)\n\nfirst\n", "0.1.0", title="All releases.")
    prepend_changelog(path, "## 0.2.0 (API 1)\n\nsecond\n", "0.2.0", title="All releases.")
    text = path.read_text()
    assert text == "# Changelog\n\nAll releases.\n\n## 0.2.0 (API 1)\n\nsecond\n\n## 0.1.0 (API 1)\n\nfirst\n"
    prepend_changelog(path, "## 0.2.0 (API 1)\n\nsecond, again\n", "0.2.0", title="ignored")
    assert path.read_text() == text.replace("second\n", "second, again\n")
    assert has_entry(path, "0.1.0") and has_entry(path, "0.2.0") and not has_entry(path, "0.2")


# -- the local CI target's commands, end to end ---------------------------------------------------------


def _sdkgen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sdkgen", *args], cwd=cwd, capture_output=True, text=True, check=False)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A scratch repository: release 0.3.0 of ci_old.yaml committed, ci_new.yaml in the work tree."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(tmp_path, "init", "-q", "-b", "main")
    shutil.copy(OLD, tmp_path / "openapi.yaml")
    for d in SDK_DIRS.values():
        (tmp_path / d).mkdir()
        (tmp_path / d / "README.md").write_text("hand-written\n")
    lock = {
        "name": "@notebook/sdk",
        "version": "0.3.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "@notebook/sdk", "version": "0.3.0"}},
    }
    (tmp_path / "typescript-sdk" / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "release 0.3.0")
    shutil.copy(NEW, tmp_path / "openapi.yaml")
    return tmp_path


def test_ci_then_release_then_ci(repo: Path) -> None:
    # 1. The pull request as first pushed: a breaking change, no release yet.
    first = _sdkgen("ci", "--spec", "openapi.yaml", "--base", "HEAD", "--no-check", cwd=repo)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "info.x-sdk.version is 0.3.0, and the changes are breaking: they need at least 0.4.0" in first.stdout
    assert "python-sdk/CHANGELOG.md: no entry for 0.3.0" in first.stdout
    md = (repo / "reports" / "sdk-diff.md").read_text()
    assert "**Breaking changes for SDK users (1 breaking, 2 compatible, 1 internal).**" in md
    assert "SDK version: 0.3.0 -> **0.4.0**" in md
    assert "  - Go: breaking: `Note.Title` is now `Note.Heading`" in md
    data = json.loads((repo / "reports" / "sdk-diff.json").read_text())
    assert (data["level"], data["proposed_version"], data["old"]["label"]) == ("breaking", "0.4.0", "HEAD:openapi.yaml")
    assert {c["kind"] for c in data["changes"]} == {"field-renamed", "field-added", "operation-added", "api-version-changed"}

    # 2. The maintainer releases (the SDKs are not regenerated in this test).
    rel = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", "--no-generate", cwd=repo)
    assert rel.returncode == 0, rel.stdout + rel.stderr
    assert "sdkgen release: 0.3.0 -> 0.4.0" in rel.stdout
    spec_text = (repo / "openapi.yaml").read_text()
    assert yaml.safe_load(spec_text)["info"]["x-sdk"]["version"] == "0.4.0"
    assert spec_text == set_sdk_version(NEW.read_text(), "0.4.0"), "only the version line changed"
    for _lang, d in SDK_DIRS.items():
        log = (repo / d / "CHANGELOG.md").read_text()
        assert log.startswith("# Changelog\n\nEvery release of `"), log
        assert "\n## 0.4.0 (API 2.1.0)\n" in log
        assert (repo / d / "README.md").read_text() == "hand-written\n"
    assert "- `Note.title` is now `Note.heading`" in (repo / "python-sdk" / "CHANGELOG.md").read_text()
    assert "- new `client.notes.restoreNote()`" in (repo / "typescript-sdk" / "CHANGELOG.md").read_text()
    assert "- `Note.Title` is now `Note.Heading`" in (repo / "go-sdk" / "CHANGELOG.md").read_text()
    lock = json.loads((repo / "typescript-sdk" / "package-lock.json").read_text())
    assert (lock["version"], lock["packages"][""]["version"]) == ("0.4.0", "0.4.0")

    # 3. Releasing again changes nothing; the pull request now passes.
    before = {d: (repo / d / "CHANGELOG.md").read_text() for d in SDK_DIRS.values()}
    again = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", "--no-generate", cwd=repo)
    assert again.returncode == 0, again.stderr
    assert {d: (repo / d / "CHANGELOG.md").read_text() for d in SDK_DIRS.values()} == before
    assert yaml.safe_load((repo / "openapi.yaml").read_text())["info"]["x-sdk"]["version"] == "0.4.0"
    second = _sdkgen("ci", "--spec", "openapi.yaml", "--base", "HEAD", "--no-check", cwd=repo)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "sdkgen ci: ok" in second.stdout


def test_release_refuses_an_unbumped_api_version(repo: Path) -> None:
    spec = repo / "openapi.yaml"
    spec.write_text(spec.read_text().replace("  version: 2.1.0\n", "  version: 2.0.0\n", 1))
    out = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", "--no-generate", cwd=repo)
    assert out.returncode == 1 and "info.version" in out.stderr
    assert not (repo / "python-sdk" / "CHANGELOG.md").exists()
    assert yaml.safe_load(spec.read_text())["info"]["x-sdk"]["version"] == "0.3.0", "nothing written"


def test_release_dry_run_writes_nothing(repo: Path) -> None:
    out = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", "--dry-run", cwd=repo)
    assert out.returncode == 0, out.stderr
    assert "--- python-sdk/CHANGELOG.md\n## 0.4.0 (API 2.1.0)" in out.stdout
    assert (repo / "openapi.yaml").read_text() == NEW.read_text()
    assert not (repo / "go-sdk" / "CHANGELOG.md").exists()


def test_internal_changes_need_no_release(repo: Path) -> None:
    (repo / "openapi.yaml").write_text(OLD.read_text().replace("description: The title.", "description: The heading."))
    ci = _sdkgen("ci", "--spec", "openapi.yaml", "--base", "HEAD", "--no-check", cwd=repo)
    assert ci.returncode == 0, ci.stdout
    assert "No breaking changes for SDK users (2 internal)." in ci.stdout  # two descriptions
    assert "0.3.0 -> 0.3.1" in ci.stdout, "release would still propose a patch"


def test_nothing_to_release(repo: Path) -> None:
    shutil.copy(OLD, repo / "openapi.yaml")
    out = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", "--no-generate", cwd=repo)
    assert out.returncode == 0 and "nothing changed" in out.stdout
    ci = _sdkgen("ci", "--spec", "openapi.yaml", "--base", "HEAD", "--no-check", cwd=repo)
    assert ci.returncode == 0, ci.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["diff", "--base", "no-such-ref"], "unknown git revision 'no-such-ref'"),
        (["diff", "--base", "HEAD", "missing.yaml"], "missing.yaml does not exist at 'HEAD'"),
        (["diff", "openapi.yaml"], "give OLD and NEW specs"),
        (["release", "--base", "HEAD~5", "--no-generate"], "unknown git revision"),
        (["ci", "--base", "HEAD", "--spec", "nope.yaml", "--no-check"], "nope.yaml"),
    ],
)
def test_bad_input_is_a_clear_error(repo: Path, args: list[str], message: str) -> None:
    out = _sdkgen(*args, cwd=repo)
    assert out.returncode == 2, out.stdout + out.stderr
    assert message in out.stderr


def test_diff_outside_git_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copy(NEW, tmp_path / "openapi.yaml")
    out = _sdkgen("diff", "--base", "main", cwd=tmp_path)
    if shutil.which("git") is None:
        assert "git is not installed" in out.stderr
    assert out.returncode == 2 and "git" in out.stderr


def test_diff_cli_formats_and_fail_on(repo: Path) -> None:
    out = _sdkgen("diff", "--base", "HEAD", "--format", "json", cwd=repo)
    assert out.returncode == 0 and json.loads(out.stdout)["level"] == "breaking"
    bump_ = _sdkgen("diff", "--base", "HEAD", "--bump", cwd=repo)
    assert bump_.stdout == "0.4.0\n"
    failing = _sdkgen("diff", str(OLD), str(NEW), "--format", "text", "--fail-on", "breaking", cwd=repo)
    assert failing.returncode == 1 and failing.stdout.startswith("Breaking changes for SDK users")
    quiet = _sdkgen("diff", str(OLD), str(OLD), "--fail-on", "internal", cwd=repo)
    assert quiet.returncode == 0 and "No changes an SDK user can see." in quiet.stdout


def test_release_regenerates_every_package_with_the_version(repo: Path) -> None:
    """Without --no-generate: the version reaches all three packages, and `sdkgen ci` (drift
    check included) passes on the result."""
    rel = _sdkgen("release", "--spec", "openapi.yaml", "--base", "HEAD", cwd=repo)
    assert rel.returncode == 0, rel.stdout + rel.stderr
    assert 'version = "0.4.0"' in (repo / "python-sdk" / "pyproject.toml").read_text()
    assert json.loads((repo / "typescript-sdk" / "package.json").read_text())["version"] == "0.4.0"
    assert 'const Version = "0.4.0"' in (repo / "go-sdk" / "client.go").read_text()
    for d in SDK_DIRS.values():
        assert (repo / d / ".sdkgen-spec.yaml").read_bytes() == (repo / "openapi.yaml").read_bytes()
    ci = _sdkgen("ci", "--spec", "openapi.yaml", "--base", "HEAD", cwd=repo)
    assert ci.returncode == 0, ci.stdout + ci.stderr
    assert "typescript-sdk is up to date" in ci.stdout and "sdkgen ci: ok" in ci.stdout


def test_initial_release_records_the_current_version(repo: Path) -> None:
    out = _sdkgen("release", "--initial", "--spec", "openapi.yaml", "--no-generate", cwd=repo)
    assert out.returncode == 0, out.stderr
    log = (repo / "go-sdk" / "CHANGELOG.md").read_text()
    assert "## 0.3.0 (API 2.1.0)\n\nThe first release of `example.com/notebook-go`" in log
    assert "- new `client.Notes.RestoreNote()`" in log and "### Breaking changes" not in log
    assert (repo / "openapi.yaml").read_text() == NEW.read_text(), "the version stays"
