"""Identifier conversion for every target language.

All names an SDK shows are computed here, once, and stored on the IR (`Names`),
so templates never derive names themselves.
"""

from __future__ import annotations

import keyword
import re

__all__ = [
    "split_words",
    "snake",
    "camel",
    "pascal",
    "go_pascal",
    "go_camel",
    "python_ident",
    "ts_ident",
    "go_ident",
    "constant",
]

# Go's lint convention: these words are written all-caps in identifiers.
GO_INITIALISMS = frozenset(
    {"ACL", "API", "ASCII", "CPU", "CSS", "DNS", "EOF", "GUID", "HTML", "HTTP", "HTTPS", "ID",
     "IP", "JSON", "KSUID", "LHS", "QPS", "RAM", "RHS", "RPC", "SLA", "SMTP", "SQL", "SSE", "SSH",
     "TCP", "TLS", "TTL", "UDP", "UI", "UID", "URI", "URL", "UTF8", "UUID", "VM", "XML", "XMPP"}
)

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(
    {"self", "cls", "type", "id", "format", "list", "dict", "str", "int", "float", "bool", "object"}
)
# Only true keywords need escaping in Python attribute names; builtins are fine as
# attributes but not as parameter names shadowing what the body uses.
PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset({"match", "case", "_"})

TS_RESERVED = frozenset(
    """break case catch class const continue debugger default delete do else enum export extends
    false finally for function if import in instanceof new null return super switch this throw true
    try typeof var void while with as implements interface let package private protected public
    static yield await""".split()
)

GO_KEYWORDS = frozenset(
    """break case chan const continue default defer else fallthrough for func go goto if import
    interface map package range return select struct switch type var""".split()
)

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")


def split_words(name: str) -> list[str]:
    """Split any identifier (snake, kebab, camel, Pascal, spaced) into lowercase words."""
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", name):
        words.extend(w.lower() for w in _WORD.findall(chunk))
    return words or ["x"]


def snake(name: str) -> str:
    return "_".join(split_words(name))


def constant(name: str) -> str:
    return snake(name).upper()


def camel(name: str) -> str:
    words = split_words(name)
    return words[0] + "".join(w.capitalize() for w in words[1:])


def pascal(name: str) -> str:
    return "".join(w.capitalize() for w in split_words(name))


def go_pascal(name: str) -> str:
    out = []
    for w in split_words(name):
        up = w.upper()
        out.append(up if up in GO_INITIALISMS else w.capitalize())
    return "".join(out)


def go_camel(name: str) -> str:
    words = split_words(name)
    first = words[0]
    rest = go_pascal("_".join(words[1:])) if len(words) > 1 else ""
    ident = first + rest
    return ident + "_" if ident in GO_KEYWORDS else ident


def _lead_digit(ident: str, prefix: str) -> str:
    return prefix + ident if ident[:1].isdigit() else ident


def python_ident(name: str) -> str:
    ident = _lead_digit(snake(name), "n")
    return ident + "_" if ident in PYTHON_KEYWORDS else ident


def ts_ident(name: str) -> str:
    ident = _lead_digit(camel(name), "n")
    return ident + "_" if ident in TS_RESERVED else ident


def go_ident(name: str) -> str:
    return _lead_digit(go_pascal(name), "N")
