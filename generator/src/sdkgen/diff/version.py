"""Semantic versions of the SDK packages, and the rule that relates them to the API's.

The rule (docs/maintainers.md, "Versions"):

  * `info.x-sdk.version` is the version of all three packages at once; `sdkgen release`
    sets it from the `sdkgen diff` report against the last release:
        0.x.y   breaking -> 0.(x+1).0    compatible or internal -> 0.x.(y+1)
        >= 1    breaking -> (x+1).0.0    compatible -> x.(y+1).0    internal -> x.y.(z+1)
    (before 1.0, "minor" is where breaking changes go, as Cargo and npm's caret read it;
    a new feature is then a patch.)
  * `info.version` is the API's own version (what a server implements). The packages
    record it (their changelog entries, the Go package doc) but do not
    follow it: the report's **wire** column is what concerns it. A change that breaks
    the wire must come with a new `info.version`; `sdkgen release` refuses otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Severity

__all__ = ["Version", "VersionError", "bump", "BUMP_RULE"]

# semver.org's grammar, without build metadata (a package version never carries it here).
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$"
)

BUMP_RULE = "0.x: breaking -> minor, otherwise patch; >= 1.0: breaking -> major, compatible -> minor, internal -> patch"


class VersionError(ValueError):
    """A version string is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE])."""


@dataclass(frozen=True, order=False)
class Version:
    major: int
    minor: int
    patch: int
    pre: str | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _SEMVER.match(str(text).strip())
        if not m:
            raise VersionError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 0.4.0)")
        return cls(int(m[1]), int(m[2]), int(m[3]), m[4])

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}" + (f"-{self.pre}" if self.pre else "")

    def key(self) -> tuple[int, int, int, int, str]:
        # A pre-release sorts before its release (semver §11; numeric identifiers are not
        # compared numerically here, which no release of ours needs).
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, self.pre or "")

    def __lt__(self, other: Version) -> bool:
        return self.key() < other.key()

    def __le__(self, other: Version) -> bool:
        return self.key() <= other.key()


def bump(current: Version, level: Severity) -> Version:
    """The next version after `current` for a report whose worst change is `level`.

    A pre-release is finished rather than bumped past (1.0.0-rc.1 + anything -> 1.0.0).
    """
    if current.pre:
        return Version(current.major, current.minor, current.patch)
    if current.major == 0:
        if level == "breaking":
            return Version(0, current.minor + 1, 0)
        return Version(0, current.minor, current.patch + 1)
    if level == "breaking":
        return Version(current.major + 1, 0, 0)
    if level == "compatible":
        return Version(current.major, current.minor + 1, 0)
    return Version(current.major, current.minor, current.patch + 1)
