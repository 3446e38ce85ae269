"""Identifier conversion and collision resolution for every target language.

All names an SDK shows are computed here, once, and stored on the IR (`Names`),
so templates never derive names themselves.

Three layers:

* spellings (`split_words`, `snake`, `camel`, `pascal`, `constant`, `go_pascal`): any
  text (snake, kebab, camel, spaced, punctuation, non-ASCII) to ASCII words. Words are
  runs of ASCII letters and digits; other letters are transliterated (NFKD, accents
  dropped) or, when nothing ASCII is left, spelled by code point (`u65e5`); a name made
  only of punctuation is spelled by the characters' names (`+` -> `plus`, `<=` ->
  `lt_eq`, `` (empty) -> `empty`). The result is never empty.
* identifiers per language (`python_ident`, `ts_ident`, `go_ident`, `go_camel`, and the
  type-name variants): a spelling made valid: a leading digit gets a prefix (`n`/`N`),
  a keyword or reserved word a trailing `_`.
* reserved names and collision resolution (`RUNTIME_NAMES`, `MEMBER_RESERVED`, `DERIVED`,
  `Namespace`): the names each language's runtime and templates already use, listed
  here once so the builder and the targets read the same list, and a namespace that hands
  out unique names deterministically (first claimant keeps its name; later ones get a
  kind word, then a number).
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = [
    "split_words",
    "snake",
    "camel",
    "pascal",
    "go_pascal",
    "go_camel",
    "go_local_ident",
    "ts_enum_key",
    "python_ident",
    "ts_ident",
    "go_ident",
    "python_type_ident",
    "ts_type_ident",
    "go_type_ident",
    "constant",
    "enum_member_python",
    "is_python_ident",
    "is_ts_ident",
    "is_go_ident",
    "PYTHON_KEYWORDS",
    "TS_RESERVED",
    "TS_TYPE_RESERVED",
    "GO_KEYWORDS",
    "GO_PREDECLARED",
    "RUNTIME_NAMES",
    "BRANDED_RUNTIME_NAMES",
    "MEMBER_RESERVED",
    "DERIVED",
    "derived_names",
    "Namespace",
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
# attributes but not as parameter names shadowing what the body uses. Soft keywords
# (`match`, `case`, `_`, `type`) are escaped too, except `type`, which is a common field.
PYTHON_KEYWORDS = frozenset(keyword.kwlist) | frozenset({"match", "case", "_"})

TS_RESERVED = frozenset(
    """break case catch class const continue debugger default delete do else enum export extends
    false finally for function if import in instanceof new null return super switch this throw true
    try typeof var void while with as implements interface let package private protected public
    static yield await""".split()
)
# Names TypeScript refuses for an interface or type alias (predefined types).
TS_TYPE_RESERVED = TS_RESERVED | frozenset(
    "any bigint boolean never number object string symbol undefined unknown void Array Record "
    "Promise Partial Readonly Required Pick Omit Map Set Date Error Object Function".split()
)

GO_KEYWORDS = frozenset(
    """break case chan const continue default defer else fallthrough for func go goto if import
    interface map package range return select struct switch type var""".split()
)
# Predeclared identifiers: legal to shadow, but a generated local named `len` or `error`
# breaks the code around it, so unexported names avoid them too.
GO_PREDECLARED = frozenset(
    """any append bool byte cap clear close comparable complex complex64 complex128 copy delete
    error false float32 float64 imag int int8 int16 int32 int64 iota len make max min new nil
    panic print println real recover rune string true uint uint8 uint16 uint32 uint64 uintptr""".split()
)

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+|[0-9]+")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")

# How a name made only of punctuation is spelled, one word per character.
SYMBOL_WORDS = {
    "+": "plus", "-": "minus", "*": "star", "/": "slash", "\\": "backslash", ".": "dot",
    ",": "comma", ":": "colon", ";": "semicolon", "!": "bang", "?": "question", "=": "eq",
    "<": "lt", ">": "gt", "&": "and", "|": "pipe", "%": "percent", "#": "hash", "@": "at",
    "$": "dollar", "^": "caret", "~": "tilde", "`": "backtick", "'": "quote", '"': "dquote",
    "(": "lparen", ")": "rparen", "[": "lbracket", "]": "rbracket", "{": "lbrace", "}": "rbrace",
    "_": "underscore", " ": "space",
}


def _ascii_fold(text: str) -> str:
    """Letters with accents lose them (`café` -> `cafe`); other non-ASCII characters stay."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_words(name: str) -> list[str]:
    """Split any text (snake, kebab, camel, Pascal, spaced, punctuation, non-ASCII) into
    lowercase ASCII words; never empty."""
    name = str(name)
    folded = _ascii_fold(name)
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", folded):
        words.extend(w.lower() for w in _WORD.findall(chunk))
    if words:
        return words
    # Nothing ASCII: spell non-ASCII letters by code point, punctuation by its name.
    letters = [c for c in folded if not c.isascii() and (c.isalnum() or unicodedata.category(c).startswith("L"))]
    if letters:
        return [f"u{ord(c):04x}" for c in letters]
    spelled = [SYMBOL_WORDS.get(c, f"u{ord(c):04x}") for c in name if not c.isspace() or c == " "]
    spelled = [w for w in spelled if w != "space"] or spelled
    return spelled or ["empty"]


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


def _lead_digit(ident: str, prefix: str) -> str:
    return prefix + ident if ident[:1].isdigit() else ident


def go_camel(name: str) -> str:
    """lowerCamel with Go initialisms, keywords escaped (Names.go_private, kept as it was)."""
    words = split_words(name)
    first = words[0]
    rest = go_pascal("_".join(words[1:])) if len(words) > 1 else ""
    ident = first + rest
    return ident + "_" if ident in GO_KEYWORDS else ident


def go_local_ident(name: str) -> str:
    """An unexported Go identifier (arguments, locals): not a keyword, not a predeclared
    identifier, not starting with a digit."""
    words = split_words(name)
    ident = _lead_digit(words[0] + (go_pascal("_".join(words[1:])) if len(words) > 1 else ""), "n")
    return ident + "_" if ident in GO_KEYWORDS or ident in GO_PREDECLARED else ident


def python_ident(name: str) -> str:
    ident = _lead_digit(snake(name), "n")
    return ident + "_" if ident in PYTHON_KEYWORDS else ident


def enum_member_python(name: str) -> str:
    """A Python enum member (UPPER_SNAKE)."""
    ident = _lead_digit(constant(name), "N")
    return ident + "_" if ident in PYTHON_KEYWORDS else ident


def ts_enum_key(name: str) -> str:
    """The key of an enum value in a TypeScript `as const` object (Pascal)."""
    return _lead_digit(pascal(name), "N")


def ts_ident(name: str) -> str:
    ident = _lead_digit(camel(name), "n")
    return ident + "_" if ident in TS_RESERVED else ident


def go_ident(name: str) -> str:
    return _lead_digit(go_pascal(name), "N")


def python_type_ident(name: str) -> str:
    """A Python class name's spelling (PascalCase, no leading digit). Whether it is free to
    use (not a keyword, not taken) is the resolver's job: it adds the kind's word."""
    return _lead_digit(pascal(name), "N")


def ts_type_ident(name: str) -> str:
    """A TypeScript type name's spelling (see python_type_ident)."""
    return _lead_digit(pascal(name), "N")


def go_type_ident(name: str) -> str:
    return go_ident(name)


# -- validity checks (each language's own rules) -----------------------------------------

_TS_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_GO_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # ASCII subset of Go's letter/digit rule


def is_python_ident(name: str) -> bool:
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def is_ts_ident(name: str, *, type_name: bool = False) -> bool:
    reserved = TS_TYPE_RESERVED if type_name else TS_RESERVED
    return bool(_TS_IDENT.match(name)) and name not in reserved


def is_go_ident(name: str, *, exported: bool = True) -> bool:
    if not _GO_IDENT.match(name) or name in GO_KEYWORDS or name == "_":
        return False
    return name[0].isupper() if exported else True


# -- reserved names -------------------------------------------------------------------------
# The public names each runtime (and the templates' fixed code) already defines, in the
# namespace generated types share. `{sdk}` stands for the SDK's own name (`PromptRails`).

RUNTIME_NAMES: dict[str, frozenset[str]] = {
    "python": frozenset(
        """APIConnectionError APIError APIStatusError APITimeoutError AsyncHTTPClient AsyncPage
        AsyncPager AsyncStream AuthenticationError BadRequestError ConflictError
        InternalServerError InvalidArgumentError NotFoundError NotGiven NOT_GIVEN
        PaymentRequiredError PermissionDeniedError RateLimitError RequestOptions ResumeSpec
        SdkIdentity ServerSentEvent SSEParser Stream StreamError StreamResult StreamSpec SyncHTTPClient
        SyncPage TimeoutTypes UnknownEvent UnprocessableEntityError Any Awaitable Callable ClassVar
        Conversation AsyncConversation ConversationReply ConversationMessage APIResponse
        AsyncAPIResponse APIResponseValidationError
        Literal Mapping Sequence TracebackType""".split()
    ),
    "typescript": frozenset(
        """APIClient APIConnectionError APIError APIStatusError APITimeoutError
        AuthenticationError BadRequestError ClientOptions ConflictError Fetch
        InternalServerError InvalidArgumentError ModelShape NotFoundError Page PagePromise
        PaymentRequiredError PermissionDeniedError RateLimitError
        RequestOptions SDKError SSEDecoder ServerSentEvent Stream StreamError StreamSpec
        UnknownEvent UnprocessableEntityError M E Conversation ConversationReply
        ConversationMessage APIPromise APIResponseValidationError APIUserAbortError LogLevel
        Logger StreamResult Uploadable WithResponse""".split()
    ),
    "go": frozenset(
        """APIConnectionError APIError APIStatusError APITimeoutError AuthenticationError
        BadRequestError Bool Client ConflictError Error Event Float InternalServerError Int
        InvalidArgumentError NewClient NewNullable NotFoundError Null Nullable Option Page
        PageInfo Pager PaymentRequiredError PermissionDeniedError Ptr RateLimitError
        RequestOption Stream StreamError String UnknownEvent UnprocessableEntityError Version
        WithBaseURL WithHTTPClient WithHeader WithIdempotencyKey WithMaxRetries
        WithRequestHeader WithRequestMaxRetries WithRequestTimeout WithTimeout
        DefaultConnectTimeout DefaultMaxRetries DefaultTimeout JSONField StreamResult
        WithHeaderDel WithJSONSet WithLogger WithQuery WithResponseInto WithStrictValidation
        ErrAuthentication ErrBadRequest ErrConflict ErrConnection ErrInternalServer
        ErrInvalidArgument ErrNotFound ErrPaymentRequired ErrPermissionDenied ErrRateLimited
        ErrResponseValidation ErrStatus ErrStream ErrTimeout ErrUnprocessableEntity
        Conversation ConversationReply ConversationMessage ConversationOption
        WithMaxConcurrentInvocations WithDeleteOnClose WithoutHistory SaveOption""".split()
    ),
}

# Names of today's runtimes that carry a brand (the Python runtime's base error class).
# They are reserved after the client claims its names, so an SDK whose own name makes
# the same name (PromptRails -> PromptRailsError) keeps it.
BRANDED_RUNTIME_NAMES: dict[str, frozenset[str]] = {
    "python": frozenset({"PromptRailsError"}),
    "typescript": frozenset(),
    "go": frozenset(),
}

# Member names a container already uses, per language and container kind.
MEMBER_RESERVED: dict[str, dict[str, frozenset[str]]] = {
    "python": {
        # keyword arguments every method takes besides the operation's own
        "params": frozenset({"self", "idempotency_key", "extra_headers", "extra_query", "extra_body", "timeout",
                             "max_retries"}),
        "event": frozenset({"event", "event_id", "from_data", "to_dict", "to_json", "from_dict",
                            "additional_properties"}),
        "resource": frozenset({"_client", "with_raw_response", "with_streaming_response"}),
        "client": frozenset({"base_url", "max_retries", "timeout", "close", "api_key", "with_options", "copy",
                             "strict_response_validation"}),
        "model": frozenset({"additional_properties", "to_dict", "from_dict", "self", "to_json", "additional_keys"}),
        "union": frozenset(),
    },
    "typescript": {
        "params": frozenset({"params", "options"}),
        "event": frozenset({"type", "eventId"}),
        "resource": frozenset({"constructor"}),
        "client": frozenset(
            """authHeader baseUrl buildHeaders buildUrl constructor defaultBaseUrl envPrefix
            fetchWithRetries maxRetries method name openStream path request requestPage stream
            timeout toJSON toString userAgent withOptions logLevel strictResponseValidation
            redactError""".split()
        ),
        "model": frozenset(),
        "union": frozenset(),
    },
    "go": {
        "params": frozenset({"ctx", "params", "opts", "r", "path", "err", "out", "s", "body",
                             "context", "json", "io", "http", "time", "strings"}),
        "event": frozenset({"EventID", "EventType", "JSON", "RawJSON", "ExtraFields", "MarshalJSON",
                            "UnmarshalJSON"}),
        "resource": frozenset(),
        "client": frozenset({"String", "GoString", "WithOptions"}),
        "model": frozenset({"Extra", "JSON", "RawJSON", "ExtraFields", "MarshalJSON", "UnmarshalJSON"}),
        "union": frozenset({"RawJSON", "MarshalJSON", "UnmarshalJSON"}),
    },
}

# Names a target derives from an entity's base type name (`{}`); the resolver keeps every
# one of them free, so a target can derive them without checking. `{CONST}` is the
# UPPER_SNAKE spelling of the base.
DERIVED: dict[str, dict[str, tuple[str, ...]]] = {
    "python": {
        "model": ("{}",), "enum": ("{}",), "union": ("{}",), "event": ("{}",),
        "stream": ("{}Event", "{}Result", "{CONST}_SPEC"), "resource": ("{}", "Async{}"),
        "params": (), "sdk": ("{}", "Async{}", "{}Error"),
    },
    "typescript": {
        "model": ("{}",), "enum": ("{}",), "union": ("{}",), "event": ("{}",),
        "stream": ("{}", "{}Spec", "{}Stream"), "resource": ("{}",), "params": ("{}",),
        "sdk": ("{}", "{}Error"),
    },
    "go": {
        "model": ("{}",), "enum": ("{}",), "union": ("{}",), "event": ("{}",),
        "stream": ("{}Spec", "{}Shapes", "decode{}"), "resource": ("{}Service",), "params": ("{}",),
        "sdk": ("{}Error",),
    },
}

# The word added to a type name that collides (before numbering): `Pet` the resource
# becomes `PetResource` when a model `Pet` exists.
KIND_WORDS = {
    "model": "Model", "enum": "Enum", "union": "Union", "event": "Event", "stream": "Stream",
    "resource": "Resource", "params": "Params", "sdk": "Client",
}


def derived_names(lang: str, kind: str, base: str) -> list[str]:
    return [p.replace("{CONST}", constant(base)).replace("{}", base) for p in DERIVED[lang][kind]]


@dataclass
class Namespace:
    """Hands out unique identifiers within one scope, deterministically.

    `claim(wanted, owner)` returns `wanted` when it (and every name derived from it) is
    free, else the first free candidate of: `wanted + word` (when a kind word is given
    and `wanted` does not already end with it), then `wanted + sep + 2`, `+ 3`, ...
    `fold=True` compares case-insensitively (file names on case-insensitive disks).
    """

    reserved: Iterable[str] = ()
    sep: str = ""
    fold: bool = False
    reserved_by: str = "the runtime"
    taken: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.reserved:
            self.taken.setdefault(self._key(name), self.reserved_by)

    def _key(self, name: str) -> str:
        return name.casefold() if self.fold else name

    def owner_of(self, name: str) -> str | None:
        return self.taken.get(self._key(name))

    def claim(
        self,
        wanted: str,
        owner: str,
        *,
        derive: Callable[[str], list[str]] | None = None,
        word: str = "",
        valid: Callable[[str], bool] | None = None,
    ) -> tuple[str, str | None]:
        """Claim a name; returns (name, the owner it collided with). The owner is None when
        the name is free, or when it was refused as invalid (a keyword, a predefined name)."""
        derive = derive or (lambda base: [base])

        def free(base: str) -> bool:
            names = derive(base)
            return all(self._key(n) not in self.taken for n in names) and len({self._key(n) for n in names}) == len(names) \
                and (valid is None or valid(base))

        clash = None
        if free(wanted):
            chosen = wanted
        else:
            clash = next((self.taken[self._key(n)] for n in derive(wanted) if self._key(n) in self.taken), None)
            candidates = []
            if word and not wanted.endswith(word):
                candidates.append(wanted + word)
            base = candidates[0] if candidates else wanted
            candidates.extend(f"{base}{self.sep}{n}" for n in range(2, 10_000))
            chosen = next(c for c in candidates if free(c))
        for n in derive(chosen):
            self.taken[self._key(n)] = owner
        return chosen, clash
