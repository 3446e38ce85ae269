"""What `sdkgen diff` reports: changes, each with a severity per language and on the wire.

Severities, from worst to least:

    breaking     a user's code stops compiling or type-checking, or keeps compiling and
                 behaves differently (a removed method, a renamed field, a narrowed value)
    compatible   visible to users, and nothing they wrote breaks (a new method, a new
                 optional argument, a new event that older releases already tolerate)
    internal     no user-visible surface changes (prose, spec pointers, wire details the
                 SDK hides)

Each change carries one `Impact` per SDK language and one for the wire: the wire impact
says what releases of the SDKs built from the OLD spec see against a server that
implements the NEW one (an HTTP-API view, as oasdiff takes, but reading the way our SDKs
read: tolerantly, see RUNTIME.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Severity", "SEVERITIES", "LANGS", "Impact", "Change", "worst"]

Severity = Literal["breaking", "compatible", "internal"]
SEVERITIES: tuple[Severity, ...] = ("breaking", "compatible", "internal")
LANGS: tuple[str, ...] = ("python", "typescript", "go")
LANG_TITLES = {"python": "Python", "typescript": "TypeScript", "go": "Go", "wire": "Wire"}

_RANK = {s: i for i, s in enumerate(SEVERITIES)}


def worst(severities: list[Severity] | tuple[Severity, ...]) -> Severity:
    """The worst of some severities ("internal" for none)."""
    return min(severities, key=_RANK.__getitem__, default="internal")


@dataclass(frozen=True)
class Impact:
    """One language's (or the wire's) consequence of a change."""

    severity: Severity
    text: str

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "text": self.text}


@dataclass(frozen=True)
class Change:
    """One change a user of the SDKs can see (or, for `internal`, that regeneration makes).

    kind      a stable identifier of the rule that found it ("field-removed", ...)
    subject   what changed, in the spec's own names ("ChatSession.agent_id")
    message   one sentence, language-neutral
    location  a JSON pointer into the spec named by `side` ("old" for what was removed)
    impacts   "python", "typescript", "go" and "wire" -> Impact
    """

    kind: str
    subject: str
    message: str
    location: str
    side: Literal["old", "new"]
    impacts: dict[str, Impact] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        """The worst impact on any SDK language (the wire is reported, not counted: see model docs)."""
        return worst([self.impacts[lang].severity for lang in LANGS if lang in self.impacts])

    @property
    def wire(self) -> Severity:
        return self.impacts["wire"].severity if "wire" in self.impacts else "internal"

    def sort_key(self) -> tuple[Any, ...]:
        return (_RANK[self.severity], self.location, self.kind, self.subject)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "location": self.location,
            "side": self.side,
            "impacts": {k: v.to_json() for k, v in self.impacts.items()},
        }
