"""Compare two IRs, field by field, through one explicit classification table.

Every field of every IR class is named in `TABLE` with the rule that compares it:

    Key        the object's identity in its collection (a schema name, a wire name): two
               objects are compared when their keys match; a key that changed is a rename,
               found by pairing what was removed with what was added
    Prose      documentation: a change regenerates doc comments only (internal)
    Ignored    not part of what any SDK shows, with the reason
    Covered    compared by the rule of another field (named), with the reason
    Compare    a function that classifies the change

`compare_object` walks an object's fields through the table. A field the table does not
name is never skipped silently: when its values differ it is reported as a breaking
"unclassified" change, and tests/test_diff_table.py fails until the table names it. The
IR is extended in parallel with this module; that test is what keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from .. import ir as irmod
from ..ir import (
    IR,
    Body,
    Diagnostic,
    Enum,
    EnumValue,
    EventStream,
    EventType,
    Field,
    Model,
    Names,
    Operation,
    Pagination,
    Parameter,
    Resource,
    Result,
    SdkInfo,
    TypeRef,
)
from .locate import Locator
from .model import LANGS, Change, Impact, Severity
from .surface import Surface, const_name, declared_types, inputs, member, outputs, type_name, type_text

__all__ = [
    "TABLE",
    "Rule",
    "Key",
    "Prose",
    "Ignored",
    "Covered",
    "Compare",
    "compare_irs",
    "compare_object",
    "ir_classes",
    "rules_for",
]


# -- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    why: str = ""


@dataclass(frozen=True)
class Key(Rule):
    pass


@dataclass(frozen=True)
class Prose(Rule):
    pass


@dataclass(frozen=True)
class Ignored(Rule):
    pass


@dataclass(frozen=True)
class Covered(Rule):
    by: str = ""


@dataclass(frozen=True)
class Compare(Rule):
    fn: Callable[..., None] | None = None


# -- scopes: where a compared object sits, and how each language spells its members -------------


@dataclass
class Scope:
    """The container being compared: its subject (spec names), its pointers in each spec,
    the direction its values travel ("in": requests, "out": responses and events, "both",
    "none"), and how each language spells a member of it."""

    subject: str
    old_ptr: str
    new_ptr: str
    direction: str = "none"
    role: str = "out"  # type_text role for its values
    owner: dict[str, str] = field(default_factory=dict)
    style: str = "attr"  # attr: Owner.member; kwarg: python keywords, TS/Go params struct; arg: positional

    def ref(self, lang: str, names: Names) -> str:
        """How a user of `lang` writes this member, as Markdown code."""
        m = member(names, lang)
        if self.style == "arg":
            if lang == "go":
                m = names.go_private
            return f"`{self.owner[lang]}` argument `{m}`"
        if self.style == "kwarg" and lang == "python":
            call = self.owner[lang]
            return f"`{call[:-1]}{m}=…)`"
        return f"`{self.owner[lang]}.{m}`"


def _all(severity: Severity, text: str) -> dict[str, Impact]:
    return {lang: Impact(severity, text) for lang in LANGS}


def _per(fn: Callable[[str], tuple[Severity, str]]) -> dict[str, Impact]:
    return {lang: Impact(*fn(lang)) for lang in LANGS}


def _code(text: str) -> str:
    return f"`{text}`"


# -- the comparison context ---------------------------------------------------------------------


class Ctx:
    def __init__(self, old: IR, new: IR, old_loc: Locator, new_loc: Locator) -> None:
        self.old, self.new = old, new
        self.old_loc, self.new_loc = old_loc, new_loc
        self.old_s, self.new_s = Surface(old), Surface(new)
        self.changes: list[Change] = []
        self.inputs = inputs(old) | inputs(new)
        self.outputs = outputs(old) | outputs(new)
        self.declared_old = {lang: declared_types(old, lang) for lang in LANGS}
        self.declared_new = {lang: declared_types(new, lang) for lang in LANGS}
        self.model_renames: dict[str, str] = {}
        self.enum_renames: dict[str, str] = {}
        self.stream_renames: dict[str, str] = {}
        self.pairings: dict[str, Any] = {}

    def add(
        self,
        kind: str,
        subject: str,
        message: str,
        location: str,
        side: Literal["old", "new"],
        impacts: dict[str, Impact],
        wire: tuple[Severity, str],
    ) -> None:
        all_impacts = dict(impacts)
        all_impacts["wire"] = Impact(*wire)
        self.changes.append(
            Change(kind=kind, subject=subject, message=message, location=location, side=side, impacts=all_impacts)
        )  # type: ignore[arg-type]

    def direction(self, schema: str) -> str:
        i, o = schema in self.inputs, schema in self.outputs
        return "both" if i and o else "in" if i else "out" if o else "none"

    def norm(self, t: TypeRef | None) -> TypeRef | None:
        """An old TypeRef with renamed models/enums replaced by their new names."""
        if t is None:
            return None
        update: dict[str, Any] = {}
        if t.kind == "model" and t.ref in self.model_renames:
            update["ref"] = self.model_renames[t.ref]
        if t.kind == "enum" and t.ref in self.enum_renames:
            update["ref"] = self.enum_renames[t.ref]
        if t.items is not None:
            update["items"] = self.norm(t.items)
        if t.values is not None:
            update["values"] = self.norm(t.values)
        return t.model_copy(update=update) if update else t


# -- the generic walk ---------------------------------------------------------------------------


def compare_object(ctx: Ctx, scope: Scope, old: BaseModel, new: BaseModel, skip: Iterable[str] = ()) -> None:
    cls = type(old)
    table = rules_for(cls)
    for name in cls.model_fields:
        if name in skip:
            continue
        rule = table.get(name)
        a, b = getattr(old, name), getattr(new, name)
        if rule is None:
            if a != b:
                ctx.add(
                    "unclassified-ir-field",
                    f"{scope.subject} ({cls.__name__}.{name})",
                    f"{cls.__name__}.{name} changed, and sdkgen diff has no rule for that IR field "
                    f"(add one to sdkgen/diff/compare.py TABLE); reported as breaking until then",
                    scope.new_ptr,
                    "new",
                    _all("breaking", f"unclassified change of {cls.__name__}.{name}"),
                    ("breaking", "unclassified"),
                )
            continue
        if isinstance(rule, Prose):
            if a != b:
                ctx.add(
                    "docs-changed",
                    f"{scope.subject} {name}",
                    f"the {name} of {scope.subject} changed",
                    scope.new_ptr,
                    "new",
                    _all("internal", "doc comments change"),
                    ("internal", "prose only"),
                )
        elif isinstance(rule, Compare) and rule.fn is not None:
            rule.fn(ctx, scope, old, new)


def rules_for(cls: type[BaseModel]) -> dict[str, Rule]:
    """The table's rules for `cls` (a subclass of an IR class inherits its base's rules)."""
    for klass in cls.__mro__:
        if klass in TABLE:
            return TABLE[klass]
    return {}


def _match(
    old: Iterable[Any], new: Iterable[Any], key: Callable[[Any], Any]
) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    o = {key(x): x for x in old}
    n = {key(x): x for x in new}
    pairs = [(o[k], n[k]) for k in o if k in n]
    return pairs, [o[k] for k in o if k not in n], [n[k] for k in n if k not in o]


def _pair(
    removed: list[Any], added: list[Any], sig: Callable[[Any, bool], Any]
) -> tuple[list[tuple[Any, Any]], list[Any], list[Any]]:
    """Pair removed with added items whose signature (sig(item, is_old)) is equal and unique on
    both sides: those are renames."""

    def groups(items: list[Any], is_old: bool) -> dict[Any, list[Any]]:
        g: dict[Any, list[Any]] = {}
        for x in items:
            g.setdefault(sig(x, is_old), []).append(x)
        return g

    go, gn = groups(removed, True), groups(added, False)
    pairs = [(go[s][0], gn[s][0]) for s in go if len(go[s]) == 1 and len(gn.get(s, [])) == 1]
    paired_old = {id(a) for a, _ in pairs}
    paired_new = {id(b) for _, b in pairs}
    return pairs, [x for x in removed if id(x) not in paired_old], [x for x in added if id(x) not in paired_new]


def _names_change(old: Names, new: Names, spell: Callable[[Names, str], str], langs: Iterable[str] = LANGS) -> dict[str, Impact]:
    out = {}
    for lang in LANGS:
        a, b = spell(old, lang), spell(new, lang)
        if lang in langs and a != b:
            out[lang] = Impact("breaking", f"{_code(a)} is now {_code(b)}")
        else:
            out[lang] = Impact("internal", f"still {_code(b)}")
    return out


# -- the IR root ---------------------------------------------------------------------------------


def _ir_sdk(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    compare_object(ctx, Scope("SDK settings", ctx.old_loc.info("x-sdk"), ctx.new_loc.info("x-sdk")), old.sdk, new.sdk)


def _ir_resources(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added = _match(old.resources, new.resources, lambda r: r.tag)
    for r in removed:
        ctx.add(
            "resource-removed",
            r.tag,
            f"resource {r.tag!r} was removed (every operation tagged {r.tag!r} is gone)",
            "#/tags",
            "old",
            {lang: Impact("breaking", f"`client.{member(r.name, lang)}` is gone") for lang in LANGS},
            ("breaking", "its operations are gone"),
        )
    for r in added:
        ctx.add(
            "resource-added",
            r.tag,
            f"resource {r.tag!r} was added",
            "#/tags",
            "new",
            {lang: Impact("compatible", f"new `client.{member(r.name, lang)}`") for lang in LANGS},
            ("compatible", "new operations"),
        )
    for a, b in pairs:
        compare_object(ctx, Scope(f"resource {b.tag}", "#/tags", "#/tags"), a, b)
    _operations(ctx)


def _model_sig(ctx: Ctx, m: Model, is_old: bool) -> Any:
    norm = ctx.norm if is_old else (lambda t: t)
    return (tuple(sorted((f.wire_name, repr(norm(f.type)), f.required) for f in m.fields)), repr(norm(m.additional_properties)))


def _hidden_fields(m: Model) -> bool:
    """Models whose fields are compared where they surface: request bodies as method
    arguments, event data as event classes; envelopes and frames are never shown."""
    return m.is_envelope or m.is_request_body or m.is_event_data or m.is_event_frame


def _type_change_impacts(
    ctx: Ctx,
    lang_names: dict[str, tuple[Names, Names]],
    was: dict[str, set[str]],
    now: dict[str, set[str]],
    a: str,
    b: str,
    what: str,
) -> dict[str, Impact]:
    out = {}
    for lang in LANGS:
        on, nn = lang_names[lang]
        if a not in was[lang] and b not in now[lang]:
            out[lang] = Impact("internal", f"the {what} is not a public type here")
        elif a in was[lang] and b not in now[lang]:
            out[lang] = Impact("breaking", f"type {_code(type_name(on, lang))} is gone")
        elif a not in was[lang]:
            out[lang] = Impact("compatible", f"new type {_code(type_name(nn, lang))}")
        elif type_name(on, lang) != type_name(nn, lang):
            out[lang] = Impact("breaking", f"type {_code(type_name(on, lang))} is now {_code(type_name(nn, lang))}")
        else:
            out[lang] = Impact("internal", f"still {_code(type_name(nn, lang))}")
    return out


def _pair_models(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.models.values(), ctx.new.models.values(), lambda m: m.schema_name)
    renamed, removed, added = _pair(removed, added, lambda m, is_old: _model_sig(ctx, m, is_old))
    for a, b in renamed:
        ctx.model_renames[a.schema_name] = b.schema_name
    ctx.pairings["models"] = (pairs, removed, added, renamed)


def _ir_models(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added, renamed = ctx.pairings["models"]
    for m in removed:
        impacts = {
            lang: (
                Impact("breaking", f"type {_code(type_name(m.name, lang))} is gone")
                if m.schema_name in ctx.declared_old[lang]
                else Impact("internal", "was not a public type")
            )
            for lang in LANGS
        }
        ctx.add(
            "model-removed",
            m.schema_name,
            f"schema {m.schema_name} was removed",
            ctx.old_loc.schema(m.schema_name),
            "old",
            impacts,
            ("internal", "schemas are not on the wire; what used it is reported where it is used"),
        )
    for m in added:
        impacts = {
            lang: (
                Impact("compatible", f"new type {_code(type_name(m.name, lang))}")
                if m.schema_name in ctx.declared_new[lang]
                else Impact("internal", "not a public type")
            )
            for lang in LANGS
        }
        ctx.add(
            "model-added",
            m.schema_name,
            f"schema {m.schema_name} was added",
            ctx.new_loc.schema(m.schema_name),
            "new",
            impacts,
            ("internal", "schemas are not on the wire; what uses it is reported where it is used"),
        )
    for a, b in renamed:
        impacts = _type_change_impacts(
            ctx,
            {lang: (a.name, b.name) for lang in LANGS},
            ctx.declared_old,
            ctx.declared_new,
            a.schema_name,
            b.schema_name,
            "schema",
        )
        ctx.add(
            "model-renamed",
            f"{a.schema_name} -> {b.schema_name}",
            f"schema {a.schema_name} was renamed {b.schema_name} (same fields: the wire is unchanged)",
            ctx.new_loc.schema(b.schema_name),
            "new",
            impacts,
            ("internal", "same JSON on the wire"),
        )
    for a, b in pairs:
        _visibility(ctx, "model", a.schema_name, a.name, b.name)
    for a, b in pairs + renamed:
        _model(ctx, a, b)


def _visibility(ctx: Ctx, what: str, name: str, old_names: Names, new_names: Names) -> None:
    """A schema kept by name whose use changed (it became or stopped being a request body,
    event data, a frame, reachable...): the languages that now declare it, or no longer do."""
    was = {lang for lang in LANGS if name in ctx.declared_old[lang]}
    now = {lang for lang in LANGS if name in ctx.declared_new[lang]}
    if was == now:
        return
    impacts = {}
    for lang in LANGS:
        if lang in was and lang not in now:
            impacts[lang] = Impact("breaking", f"type {_code(type_name(old_names, lang))} is no longer declared")
        elif lang in now and lang not in was:
            impacts[lang] = Impact("compatible", f"new type {_code(type_name(new_names, lang))}")
        else:
            impacts[lang] = Impact("internal", "declared as before" if lang in now else "not a public type")
    gone = sorted(was - now)
    ctx.add(
        f"{what}-visibility-changed",
        name,
        f"{what} {name} is {'no longer ' if gone else 'now '}a public type in "
        f"{', '.join(sorted((was - now) or (now - was)))} (how the spec uses it changed)",
        ctx.new_loc.schema(name),
        "new",
        impacts,
        ("internal", "how the schema is used is reported where it is used"),
    )


def _model(ctx: Ctx, a: Model, b: Model) -> None:
    direction = worst_direction(ctx.direction(a.schema_name), ctx.direction(b.schema_name))
    unused = direction == "none"
    scope = Scope(
        b.schema_name,
        ctx.old_loc.schema(a.schema_name),
        ctx.new_loc.schema(b.schema_name),
        # A schema no operation or event uses is still a declared type where a target exports
        # it: its fields are judged as read (what a user does with such a type).
        direction="out" if unused else direction,
        role="in" if direction == "in" else "out",
        owner={lang: type_name(b.name, lang) for lang in LANGS},
    )
    skip = {"schema_name", "name"} if a.schema_name != b.schema_name else set()
    if _hidden_fields(a) or _hidden_fields(b):
        skip |= {"fields", "additional_properties"}
    if a.is_envelope or a.is_event_frame or b.is_envelope or b.is_event_frame:
        skip |= {"description"}  # never rendered
    first = len(ctx.changes)
    compare_object(ctx, scope, a, b, skip=skip)
    _only_where_declared(ctx, first, a.schema_name, b.schema_name, unused)


def _only_where_declared(ctx: Ctx, first: int, old_name: str, new_name: str, unused: bool) -> None:
    """Changes found inside a schema (from index `first` on) matter to the languages that
    declare it (before or after); where no operation or event uses it, nothing travels on
    the wire."""
    declared = {lang for lang in LANGS if old_name in ctx.declared_old[lang] or new_name in ctx.declared_new[lang]}
    for i in range(first, len(ctx.changes)):
        c = ctx.changes[i]
        impacts = dict(c.impacts)
        for lang in LANGS:
            if lang not in declared and impacts[lang].severity != "internal":
                impacts[lang] = Impact("internal", f"{new_name} is not a public type in this SDK")
        if unused and impacts["wire"].severity != "internal":
            impacts["wire"] = Impact("internal", "no operation or event uses this schema")
        if impacts != c.impacts:
            ctx.changes[i] = dataclasses.replace(c, impacts=impacts)


def worst_direction(a: str, b: str) -> str:
    s = {a, b} - {"none"}
    return "none" if not s else "both" if "both" in s or len(s) > 1 else s.pop()


def _pair_enums(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.enums.values(), ctx.new.enums.values(), lambda e: e.schema_name)
    renamed, removed, added = _pair(removed, added, lambda e, is_old: (e.kind, tuple(v.value for v in e.values)))
    for a, b in renamed:
        ctx.enum_renames[a.schema_name] = b.schema_name
    ctx.pairings["enums"] = (pairs, removed, added, renamed)


def _ir_enums(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added, renamed = ctx.pairings["enums"]
    for e in removed:
        impacts = {
            lang: (
                Impact("breaking", f"type {_code(type_name(e.name, lang))} is gone")
                if e.schema_name in ctx.declared_old[lang]
                else Impact("internal", "was not a public type")
            )
            for lang in LANGS
        }
        ctx.add(
            "enum-removed",
            e.schema_name,
            f"enum {e.schema_name} was removed",
            ctx.old_loc.schema(e.schema_name),
            "old",
            impacts,
            ("internal", "what used it is reported where it is used"),
        )
    for e in added:
        impacts = {
            lang: (
                Impact("compatible", f"new type {_code(type_name(e.name, lang))}")
                if e.schema_name in ctx.declared_new[lang]
                else Impact("internal", "not a public type")
            )
            for lang in LANGS
        }
        ctx.add(
            "enum-added",
            e.schema_name,
            f"enum {e.schema_name} was added",
            ctx.new_loc.schema(e.schema_name),
            "new",
            impacts,
            ("internal", "what uses it is reported where it is used"),
        )
    for a, b in renamed:
        impacts = _type_change_impacts(
            ctx,
            {lang: (a.name, b.name) for lang in LANGS},
            ctx.declared_old,
            ctx.declared_new,
            a.schema_name,
            b.schema_name,
            "enum",
        )
        ctx.add(
            "enum-renamed",
            f"{a.schema_name} -> {b.schema_name}",
            f"enum {a.schema_name} was renamed {b.schema_name} (same values: the wire is unchanged)",
            ctx.new_loc.schema(b.schema_name),
            "new",
            impacts,
            ("internal", "same values on the wire"),
        )
    for a, b in pairs:
        _visibility(ctx, "enum", a.schema_name, a.name, b.name)
    for a, b in pairs + renamed:
        direction = worst_direction(ctx.direction(a.schema_name), ctx.direction(b.schema_name))
        scope = Scope(b.schema_name, ctx.old_loc.schema(a.schema_name), ctx.new_loc.schema(b.schema_name), direction=direction)
        first = len(ctx.changes)
        compare_object(ctx, scope, a, b, skip={"schema_name", "name"} if a.schema_name != b.schema_name else ())
        _only_where_declared(ctx, first, a.schema_name, b.schema_name, direction == "none")


def _pair_streams(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.streams.values(), ctx.new.streams.values(), lambda s: s.schema_name)
    renamed, removed, added = _pair(removed, added, lambda s, is_old: tuple(e.event for e in s.events))
    for a, b in renamed:
        ctx.stream_renames[a.schema_name] = b.schema_name
    ctx.pairings["streams"] = (pairs, removed, added, renamed)


def _stream_type(n: Names, lang: str) -> str:
    """A stream's event union: Python `<Stream>Event`, TypeScript `<Stream>`; Go's streams
    are all `Stream`, their events `Event`."""
    return {"python": n.pascal + "Event", "typescript": n.pascal, "go": "Stream"}[lang]


def _ir_streams(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added, renamed = ctx.pairings["streams"]
    stream_langs = ("python", "typescript")
    spell = _stream_type

    for s in removed:
        ctx.add(
            "stream-removed",
            s.schema_name,
            f"event stream {s.schema_name} was removed",
            ctx.old_loc.schema(s.schema_name),
            "old",
            {lang: Impact("breaking", f"its event types are gone ({_code(spell(s.name, lang))})") for lang in LANGS},
            ("breaking", "no operation streams it any more"),
        )
    for s in added:
        ctx.add(
            "stream-added",
            s.schema_name,
            f"event stream {s.schema_name} was added",
            ctx.new_loc.schema(s.schema_name),
            "new",
            {lang: Impact("compatible", f"new event types ({_code(spell(s.name, lang))})") for lang in LANGS},
            ("compatible", "a new stream"),
        )
    for a, b in renamed:
        ctx.add(
            "stream-renamed",
            f"{a.schema_name} -> {b.schema_name}",
            f"event stream {a.schema_name} was renamed {b.schema_name} (same events)",
            ctx.new_loc.schema(b.schema_name),
            "new",
            _names_change(a.name, b.name, spell, stream_langs),
            ("internal", "same frames on the wire"),
        )
    for a, b in pairs + renamed:
        sc = Scope(b.schema_name, ctx.old_loc.schema(a.schema_name), ctx.new_loc.schema(b.schema_name), direction="out")
        compare_object(ctx, sc, a, b, skip={"schema_name", "name"} if a.schema_name != b.schema_name else ())


# -- SdkInfo --------------------------------------------------------------------------------------


def _sdk_leaf(
    key: str,
    kind: str,
    what: str,
    langs: tuple[str, ...],
    wire: Severity,
    spell: Callable[[Any, str], str] | None = None,
    ptr: str | None = None,
) -> Compare:
    def fn(ctx: Ctx, scope: Scope, old: SdkInfo, new: SdkInfo) -> None:
        a, b = getattr(old, key), getattr(new, key)
        if a == b:
            return

        def impact(lang: str) -> tuple[Severity, str]:
            if lang not in langs:
                return "internal", "not shown in this language"
            if spell is not None:
                sa, sb = spell(a, lang), spell(b, lang)
                if sa == sb:
                    return "internal", f"still {_code(sb)}"
                return "breaking", f"{_code(sa)} is now {_code(sb)}"
            return "breaking", f"{what}: {_code(a)} is now {_code(b)}"

        ctx.add(
            kind,
            f"info.x-sdk {key}",
            f"{what} changed from {a!r} to {b!r}",
            ptr or ctx.new_loc.info("x-sdk", key),
            "new",
            _per(impact),
            (wire, "" if wire == "internal" else f"{what} differs for older releases"),
        )

    return Compare(why=f"{what}: breaking in {', '.join(langs) or 'no language'}", fn=fn)


def _sdk_internal(key: str, kind: str, what: str, ptr: tuple[str, ...]) -> Compare:
    def fn(ctx: Ctx, scope: Scope, old: SdkInfo, new: SdkInfo) -> None:
        a, b = getattr(old, key), getattr(new, key)
        if a != b:
            ctx.add(
                kind,
                what,
                f"{what} changed from {a!r} to {b!r}",
                ctx.new_loc.info(*ptr),
                "new",
                _all("internal", f"{what} {b}"),
                ("internal", ""),
            )

    return Compare(why=f"{what}: internal (reported)", fn=fn)


def _sdk_prose(key: str, ptr: tuple[str, ...]) -> Compare:
    def fn(ctx: Ctx, scope: Scope, old: SdkInfo, new: SdkInfo) -> None:
        if getattr(old, key) != getattr(new, key):
            ctx.add(
                "docs-changed",
                f"info {ptr[-1]}",
                f"the API's {ptr[-1]} changed",
                ctx.new_loc.info(*ptr),
                "new",
                _all("internal", "doc comments change"),
                ("internal", "prose only"),
            )

    return Compare(why="doc comments (internal)", fn=fn)


def _auth(ctx: Ctx, scope: Scope, old: SdkInfo, new: SdkInfo) -> None:
    a, b = old.auth_header, new.auth_header
    if a == b:
        return
    if b is None:
        text = f"the SDK no longer sends the API key (it sent it in `{a}`)"
    elif a is None:
        text = f"the SDK now sends the API key in `{b}`"
    else:
        text = f"the SDK sends the API key in `{b}` instead of `{a}`"
    ctx.add(
        "auth-changed",
        "security scheme",
        f"authentication changed: {text}",
        "#/components/securitySchemes",
        "new",
        _all("breaking", text + "; credentials given as headers by hand break"),
        ("breaking", "older releases send credentials the server no longer reads"),
    )


def _client_name(n: Names, lang: str) -> str:
    return "Client" if lang == "go" else n.pascal


# -- resources and operations --------------------------------------------------------------------


def _norm_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _op_scope(ctx: Ctx, a: Operation, b: Operation) -> Scope:
    return Scope(f"{b.operation_id}", a.source, b.source, owner=ctx.new_s.calls(b))


def _operations(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.operations, ctx.new.operations, lambda o: o.operation_id)
    renamed, removed, added = _pair(removed, added, lambda o, is_old: (o.http_method, _norm_path(o.path)))
    for op in removed:
        ctx.add(
            "operation-removed",
            op.operation_id,
            f"operation {op.operation_id} ({op.http_method.upper()} {op.path}) was removed",
            op.source,
            "old",
            {lang: Impact("breaking", f"{_code(ctx.old_s.call(op, lang))} is gone") for lang in LANGS},
            ("breaking", "older releases call an operation the server no longer has"),
        )
    for op in added:
        ctx.add(
            "operation-added",
            op.operation_id,
            f"operation {op.operation_id} ({op.http_method.upper()} {op.path}) was added",
            op.source,
            "new",
            {lang: Impact("compatible", f"new {_code(ctx.new_s.call(op, lang))}") for lang in LANGS},
            ("compatible", "a new operation"),
        )
    for a, b in renamed:
        ctx.add(
            "operation-id-changed",
            f"{a.operation_id} -> {b.operation_id}",
            f"operationId {a.operation_id} is now {b.operation_id} ({b.http_method.upper()} {b.path})",
            b.source,
            "new",
            _all("internal", "the method name is compared on its own"),
            ("internal", "same request on the wire"),
        )
    for a, b in pairs + renamed:
        compare_object(ctx, _op_scope(ctx, a, b), a, b)


def _op_call(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    def impact(lang: str) -> tuple[Severity, str]:
        x, y = ctx.old_s.call(a, lang), ctx.new_s.call(b, lang)
        return ("internal", f"still {_code(y)}") if x == y else ("breaking", f"{_code(x)} is now {_code(y)}")

    impacts = _per(impact)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "operation-renamed",
            b.operation_id,
            f"the SDK method of {b.operation_id} was renamed or moved to another resource",
            b.source,
            "new",
            impacts,
            ("internal", "same request on the wire"),
        )


def _op_wire(key: str, what: str) -> Compare:
    def fn(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
        x, y = getattr(a, key), getattr(b, key)
        if key == "path":
            x, y = _norm_path(x), _norm_path(y)
        if x != y:
            ctx.add(
                f"operation-{key.replace('_', '-')}-changed",
                b.operation_id,
                f"the {what} of {b.operation_id} changed from {getattr(a, key)!r} to {getattr(b, key)!r}",
                b.source,
                "new",
                _all("internal", "same method; the SDK sends the new request"),
                ("breaking", "older releases send a request the server no longer answers"),
            )

    return Compare(why=f"{what}: wire breaking, the method stays", fn=fn)


def _op_deprecated(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    if a.deprecated != b.deprecated:
        state = "deprecated" if b.deprecated else "no longer deprecated"
        ctx.add(
            "operation-deprecated" if b.deprecated else "operation-undeprecated",
            b.operation_id,
            f"{b.operation_id} is {state}",
            b.source,
            "new",
            {lang: Impact("compatible", f"{_code(ctx.new_s.call(b, lang))} is {state}") for lang in LANGS},
            ("compatible", state),
        )


def _path_params(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    ps = Scope(f"{b.operation_id} path", a.source, b.source, direction="in", role="in", owner=scope.owner, style="arg")
    for i in range(max(len(a.path_params), len(b.path_params))):
        x = a.path_params[i] if i < len(a.path_params) else None
        y = b.path_params[i] if i < len(b.path_params) else None
        if x is None and y is not None:
            ctx.add(
                "path-param-added",
                f"{b.operation_id} path {y.wire_name}",
                f"{b.operation_id} takes a new path parameter {y.wire_name}",
                ctx.new_loc.parameter(b.source, "path", y.wire_name),
                "new",
                {lang: Impact("breaking", f"new required {ps.ref(lang, y.name)}") for lang in LANGS},
                ("breaking", "a different path"),
            )
        elif y is None and x is not None:
            ctx.add(
                "path-param-removed",
                f"{b.operation_id} path {x.wire_name}",
                f"{b.operation_id} lost its path parameter {x.wire_name}",
                ctx.old_loc.parameter(a.source, "path", x.wire_name),
                "old",
                {lang: Impact("breaking", f"{ps.ref(lang, x.name)} is gone") for lang in LANGS},
                ("breaking", "a different path"),
            )
        elif x is not None and y is not None:
            if x.wire_name != y.wire_name:

                def imp(lang: str, x: Parameter = x, y: Parameter = y) -> tuple[Severity, str]:
                    o, n = ps.ref(lang, x.name), ps.ref(lang, y.name)
                    if lang == "python" and x.name.python != y.name.python:
                        return "breaking", f"{o} is now {n} (calls passing it by keyword break)"
                    return "internal", f"positional: {n}"

                ctx.add(
                    "path-param-renamed",
                    f"{b.operation_id} path {x.wire_name} -> {y.wire_name}",
                    f"path parameter {x.wire_name} of {b.operation_id} was renamed {y.wire_name}",
                    ctx.new_loc.parameter(b.source, "path", y.wire_name),
                    "new",
                    _per(imp),
                    ("internal", "the same URL"),
                )
            sub = Scope(
                f"{b.operation_id} path {y.wire_name}",
                ctx.old_loc.parameter(a.source, "path", x.wire_name),
                ctx.new_loc.parameter(b.source, "path", y.wire_name),
                direction="in",
                role="in",
                owner=scope.owner,
                style="arg",
            )
            compare_object(ctx, sub, x, y, skip={"name", "wire_name"})


def _param_scope(ctx: Ctx, b: Operation) -> Scope:
    owner = {"python": ctx.new_s.call(b, "python"), "typescript": b.params_name.pascal, "go": b.params_name.go}
    return Scope(b.operation_id, b.source, b.source, direction="in", role="query", owner=owner, style="kwarg")


def _params(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    ps = _param_scope(ctx, b)
    old_ps = a.query_params + a.header_params
    new_ps = b.query_params + b.header_params
    pairs, removed, added = _match(old_ps, new_ps, lambda p: p.wire_name.lower() if p.location == "header" else p.wire_name)
    renamed, removed, added = _pair(
        removed, added, lambda p, is_old: (p.location, repr(ctx.norm(p.type) if is_old else p.type), p.required)
    )
    for p in removed:
        ctx.add(
            "param-removed",
            f"{b.operation_id} {p.location} {p.wire_name}",
            f"{p.location} parameter {p.wire_name} of {b.operation_id} was removed",
            ctx.old_loc.parameter(a.source, p.location, p.wire_name),
            "old",
            {lang: Impact("breaking", f"{ps.ref(lang, p.name)} is gone") for lang in LANGS},
            (
                "breaking" if p.required else "compatible",
                "older releases always send it" if p.required else "older releases send it only when given",
            ),
        )
    for p in added:
        sev: Severity = "breaking" if p.required else "compatible"
        ctx.add(
            "param-added",
            f"{b.operation_id} {p.location} {p.wire_name}",
            f"{'required' if p.required else 'optional'} {p.location} parameter {p.wire_name} of {b.operation_id} was added",
            ctx.new_loc.parameter(b.source, p.location, p.wire_name),
            "new",
            {lang: Impact(sev, f"new {'required' if p.required else 'optional'} {ps.ref(lang, p.name)}") for lang in LANGS},
            (sev, "older releases do not send it"),
        )
    for x, y in renamed:
        ctx.add(
            "param-renamed",
            f"{b.operation_id} {x.location} {x.wire_name} -> {y.wire_name}",
            f"{x.location} parameter {x.wire_name} of {b.operation_id} was renamed {y.wire_name}",
            ctx.new_loc.parameter(b.source, y.location, y.wire_name),
            "new",
            {
                lang: (
                    Impact("breaking", f"{ps.ref(lang, x.name)} is now {ps.ref(lang, y.name)}")
                    if member(x.name, lang) != member(y.name, lang)
                    else Impact("internal", f"still {ps.ref(lang, y.name)}")
                )
                for lang in LANGS
            },
            ("breaking", "older releases send the old name"),
        )
    for x, y in pairs + renamed:
        sub = Scope(
            f"{b.operation_id} {y.location} {y.wire_name}",
            ctx.old_loc.parameter(a.source, x.location, x.wire_name),
            ctx.new_loc.parameter(b.source, y.location, y.wire_name),
            direction="in",
            role="query",
            owner=ps.owner,
            style="kwarg",
        )
        compare_object(ctx, sub, x, y, skip={"name"} if x.wire_name != y.wire_name else ())


def _param_names(ctx: Ctx, scope: Scope, a: Parameter, b: Parameter) -> None:
    def imp(lang: str) -> tuple[Severity, str]:
        x, y = scope.ref(lang, a.name), scope.ref(lang, b.name)
        return ("internal", f"still {x}") if x == y else ("breaking", f"{x} is now {y}")

    impacts = _per(imp)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "param-name-changed",
            scope.subject,
            f"the SDK name of {scope.subject} changed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "same wire name"),
        )


def _param_location(ctx: Ctx, scope: Scope, a: Parameter, b: Parameter) -> None:
    if a.location != b.location:
        ctx.add(
            "param-location-changed",
            scope.subject,
            f"{scope.subject} moved from the {a.location} to the {b.location}",
            scope.new_ptr,
            "new",
            _all("internal", "the SDK sends it in the new place"),
            ("breaking", "older releases send it where the server no longer reads it"),
        )


def _param_role(ctx: Ctx, scope: Scope, a: Parameter, b: Parameter) -> None:
    if a.role != b.role:
        ctx.add(
            "param-role-changed",
            scope.subject,
            f"{scope.subject} changed from a {a.role!r} to a {b.role!r} parameter",
            scope.new_ptr,
            "new",
            _all("breaking", f"the runtime handles it as {b.role!r} (was {a.role!r}): how calls pass or page it changes"),
            ("internal", "same parameter on the wire"),
        )


def _body(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    empty = Body(schema_name="", required=False, fields=[])
    x, y = a.body or empty, b.body or empty
    sub = _param_scope(ctx, b)
    sub.subject = f"{b.operation_id} body"
    sub.old_ptr, sub.new_ptr = ctx.old_loc.request_body(a.source), ctx.new_loc.request_body(b.source)
    sub.role = "in"
    if a.body is None or b.body is None:
        if a.body is not b.body:
            kind = "request-body-added" if a.body is None else "request-body-removed"
            ctx.add(
                kind,
                f"{b.operation_id} body",
                f"{b.operation_id} {'now takes' if a.body is None else 'no longer takes'} a request body",
                sub.new_ptr if a.body is None else sub.old_ptr,
                "new" if a.body is None else "old",
                _all("internal", "its fields are reported one by one"),
                (
                    "breaking" if (b.body and b.body.required) or a.body is not None else "compatible",
                    "older releases send no body" if a.body is None else "older releases send a body",
                ),
            )
        sub.old_ptr = sub.new_ptr = ""
    compare_object(ctx, sub, x, y, skip=() if a.body and b.body else {"schema_name", "required", "content_type", "description"})


def _body_required(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    if a.required != b.required:
        ctx.add(
            "request-body-required-changed",
            scope.subject,
            f"the request body of {scope.subject} became {'required' if b.required else 'optional'}",
            scope.new_ptr,
            "new",
            _all("internal", "the SDK always sends the body it builds"),
            ("breaking" if b.required else "compatible", "older releases may send no body" if b.required else "looser"),
        )


def _body_content_type(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    if a.content_type != b.content_type:
        ctx.add(
            "request-content-type-changed",
            scope.subject,
            f"{scope.subject}: {a.content_type} is now {b.content_type}",
            scope.new_ptr,
            "new",
            _all("internal", "the SDK encodes the new way"),
            ("breaking", "older releases send the old content type"),
        )


def _body_schema(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    if a.schema_name != b.schema_name and ctx.model_renames.get(a.schema_name) != b.schema_name:
        ctx.add(
            "request-body-schema-changed",
            scope.subject,
            f"{scope.subject} is now schema {b.schema_name} (was {a.schema_name})",
            scope.new_ptr,
            "new",
            _all("internal", "its fields are compared one by one"),
            ("internal", ""),
        )


def _params_name(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    has = lambda o: bool(o.body or o.query_params or o.header_params)  # noqa: E731
    if not (has(a) and has(b)):
        return
    impacts = _names_change(a.params_name, b.params_name, type_name, ("typescript", "go"))
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "params-type-renamed",
            b.operation_id,
            f"the parameters type of {b.operation_id} was renamed {a.params_name.pascal} -> {b.params_name.pascal}",
            b.source,
            "new",
            impacts,
            ("internal", "not on the wire"),
        )


def _result(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    sub = Scope(
        f"{b.operation_id} result",
        ctx.old_loc.response(a.source, a.result.status),
        ctx.new_loc.response(b.source, b.result.status),
        direction="out",
        role="out",
        owner=scope.owner,
    )
    # When the kind of result changes, that one change says it: what it returns is another thing.
    skip = {"type", "unwrap", "meta_schema", "stream", "envelope"} if a.result.kind != b.result.kind else ()
    compare_object(ctx, sub, a.result, b.result, skip=skip)


def _result_kind(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    if a.kind != b.kind:
        what = {"model": "a value", "page": "a page of items", "none": "nothing", "stream": "an event stream"}
        ctx.add(
            "result-kind-changed",
            scope.subject,
            f"{scope.subject}: returns {what[b.kind]} instead of {what[a.kind]}",
            scope.new_ptr,
            "new",
            _all("breaking", f"returns {what[b.kind]} instead of {what[a.kind]}"),
            ("breaking", "older releases cannot read the new response"),
        )


def _result_unwrap(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    if a.kind == b.kind and a.unwrap != b.unwrap:
        ctx.add(
            "result-unwrap-changed",
            scope.subject,
            f"{scope.subject}: the SDK returns "
            f"{'the whole body' if b.unwrap is None else 'the body' + chr(39) + 's ' + repr(b.unwrap)} now",
            scope.new_ptr,
            "new",
            _all("breaking", "the returned value's shape changes"),
            ("breaking", "older releases unwrap the old envelope"),
        )


def _result_status(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    if a.status != b.status:
        ctx.add(
            "result-status-changed",
            scope.subject,
            f"{scope.subject}: success status {a.status} is now {b.status}",
            scope.new_ptr,
            "new",
            _all("internal", "every 2xx is a success"),
            ("compatible", "still a 2xx"),
        )


def _result_meta(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    x, y = a.meta_schema, b.meta_schema
    if x is not None and ctx.model_renames.get(x) is not None:
        x = ctx.model_renames[x]
    if a.kind == b.kind == "page" and x != y:
        ctx.add(
            "page-meta-changed",
            scope.subject,
            f"{scope.subject}: page metadata is now {y} (was {a.meta_schema})",
            scope.new_ptr,
            "new",
            {
                "python": Impact("internal", "pages keep their meta as read"),
                "go": Impact("internal", "PageInfo is fixed"),
                "typescript": Impact("breaking", f"`PagePromise<…, {a.meta_schema}>` is now `PagePromise<…, {y}>`"),
            },
            ("breaking", "older releases read the old metadata"),
        )


def _result_stream(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    x = ctx.stream_renames.get(a.stream or "", a.stream)
    if a.kind == b.kind == "stream" and x != b.stream:
        ctx.add(
            "result-stream-changed",
            scope.subject,
            f"{scope.subject}: streams {b.stream} instead of {a.stream}",
            scope.new_ptr,
            "new",
            _all("breaking", f"yields {b.stream} events instead of {a.stream} events"),
            ("breaking", "a different event union"),
        )


def _error_statuses(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    for code in sorted(set(b.error_statuses) - set(a.error_statuses)):
        ctx.add(
            "error-status-added",
            f"{b.operation_id} {code}",
            f"{b.operation_id} documents a new error response {code}",
            f"{b.source}/responses/{code}",
            "new",
            _all("compatible", f"may raise {_error_class(code)}"),
            ("compatible", "older releases raise their generic error for it"),
        )
    for code in sorted(set(a.error_statuses) - set(b.error_statuses)):
        ctx.add(
            "error-status-removed",
            f"{b.operation_id} {code}",
            f"{b.operation_id} no longer documents error response {code}",
            f"{a.source}/responses/{code}",
            "old",
            _all("internal", "doc comments change"),
            ("internal", ""),
        )


def _error_class(code: int) -> str:
    return {
        400: "BadRequestError",
        401: "AuthenticationError",
        402: "PaymentRequiredError",
        403: "PermissionDeniedError",
        404: "NotFoundError",
        409: "ConflictError",
        422: "UnprocessableEntityError",
        429: "RateLimitError",
    }.get(code, "InternalServerError" if code >= 500 else "APIStatusError")


def _pagination(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    if (a.pagination is None) != (b.pagination is None):
        added = b.pagination is not None
        ctx.add(
            "pagination-added" if added else "pagination-removed",
            b.operation_id,
            f"{b.operation_id} {'is now' if added else 'is no longer'} paginated",
            b.source,
            "new",
            _per(
                lambda lang: (
                    "breaking",
                    f"{_code(ctx.new_s.call(b, lang))} {'returns pages (auto-paging)' if added else 'no longer returns pages'}",
                )
            ),
            ("breaking", "a different response shape"),
        )
    elif a.pagination is not None and b.pagination is not None:
        compare_object(ctx, scope, a.pagination, b.pagination)


def _pagination_field(key: str) -> Compare:
    def fn(ctx: Ctx, scope: Scope, a: Pagination, b: Pagination) -> None:
        x, y = getattr(a, key), getattr(b, key)
        if x != y:
            ctx.add(
                "pagination-changed",
                scope.subject,
                f"{scope.subject}: pagination {key} {x!r} is now {y!r}",
                scope.new_ptr,
                "new",
                _all("internal", "the pager follows the new convention"),
                ("breaking", "older releases page the old way"),
            )

    return Compare(why="how the pager pages: wire breaking, the same pager in every SDK", fn=fn)


def _idempotent(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    if a.idempotent and not b.idempotent:
        ctx.add(
            "idempotency-removed",
            b.operation_id,
            f"{b.operation_id} no longer accepts Idempotency-Key",
            b.source,
            "new",
            {
                "python": Impact(
                    "breaking",
                    f"the `idempotency_key=` keyword of {_code(ctx.new_s.call(b, 'python'))} is gone; "
                    "retries may repeat the call",
                ),
                "typescript": Impact("breaking", "retries may repeat the call (no Idempotency-Key any more)"),
                "go": Impact("breaking", "retries may repeat the call (no Idempotency-Key any more)"),
            },
            ("breaking", "older releases send a header the server ignores; retries may duplicate"),
        )
    elif b.idempotent and not a.idempotent:
        ctx.add(
            "idempotency-added",
            b.operation_id,
            f"{b.operation_id} accepts Idempotency-Key",
            b.source,
            "new",
            _all("compatible", "retries are safe: the SDK sends an Idempotency-Key"),
            ("compatible", ""),
        )


# -- fields (of models, bodies and events) ----------------------------------------------------


def _field_sig(ctx: Ctx, f: Field, is_old: bool) -> Any:
    return (repr(ctx.norm(f.type) if is_old else f.type), f.required)


def fields_rule(owner_kind: str) -> Compare:
    def fn(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
        _fields(ctx, scope, a.fields, b.fields, owner_kind, a, b)

    return Compare(why=f"{owner_kind} fields, by wire name; a removed and an added field of the same type are a rename", fn=fn)


def _field_ptr(ctx: Ctx, owner_kind: str, side_obj: Any, wire: str, is_old: bool) -> str:
    loc = ctx.old_loc if is_old else ctx.new_loc
    if isinstance(side_obj, Model):
        return loc.property(side_obj.schema_name, wire)
    if isinstance(side_obj, Body):
        return loc.property(side_obj.schema_name, wire) if side_obj.schema_name else ""
    if isinstance(side_obj, EventType):
        return loc.property(side_obj.data_schema, wire)
    return ""


def _fields(ctx: Ctx, scope: Scope, old: list[Field], new: list[Field], owner_kind: str, a: Any, b: Any) -> None:
    pairs, removed, added = _match(old, new, lambda f: f.wire_name)
    renamed, removed, added = _pair(removed, added, lambda f, is_old: _field_sig(ctx, f, is_old))
    d = scope.direction
    for f in removed:
        ptr = _field_ptr(ctx, owner_kind, a, f.wire_name, True) or scope.old_ptr
        wire: tuple[Severity, str]
        if d == "in":
            wire = (
                ("breaking", "older releases always send it")
                if f.required
                else ("compatible", "older releases send it only when given")
            )
        else:
            wire = ("breaking", "older releases expect it")
        ctx.add(
            "field-removed",
            f"{scope.subject}.{f.wire_name}",
            f"field {f.wire_name} of {scope.subject} was removed",
            ptr,
            "old",
            {lang: Impact("breaking", f"{scope.ref(lang, f.name)} is gone") for lang in LANGS},
            wire,
        )
    for f in added:
        ptr = _field_ptr(ctx, owner_kind, b, f.wire_name, False) or scope.new_ptr
        req = "required" if f.required else "optional"
        if d in ("in", "both") and f.required:
            sev: Severity = "breaking"
            wire = ("breaking", "older releases do not send it")
        else:
            sev = "compatible"
            wire = (
                "compatible",
                "older releases ignore it (kept as an extra key)" if d != "in" else "older releases do not send it",
            )
        ctx.add(
            "field-added",
            f"{scope.subject}.{f.wire_name}",
            f"{req} field {f.wire_name} was added to {scope.subject}",
            ptr,
            "new",
            {lang: Impact(sev, f"new {req} {scope.ref(lang, f.name)}") for lang in LANGS},
            wire,
        )
    for x, y in renamed:
        ptr = _field_ptr(ctx, owner_kind, b, y.wire_name, False) or scope.new_ptr
        impacts = {
            lang: (
                Impact("breaking", f"{scope.ref(lang, x.name)} is now {scope.ref(lang, y.name)}")
                if scope.ref(lang, x.name) != scope.ref(lang, y.name)
                else Impact("internal", f"still {scope.ref(lang, y.name)}")
            )
            for lang in LANGS
        }
        ctx.add(
            "field-renamed",
            f"{scope.subject}.{x.wire_name} -> {y.wire_name}",
            f"field {x.wire_name} of {scope.subject} was renamed {y.wire_name}",
            ptr,
            "new",
            impacts,
            ("breaking", "older releases use the old key"),
        )
    for x, y in pairs + renamed:
        sub = Scope(
            f"{scope.subject}.{y.wire_name}",
            _field_ptr(ctx, owner_kind, a, x.wire_name, True) or scope.old_ptr,
            _field_ptr(ctx, owner_kind, b, y.wire_name, False) or scope.new_ptr,
            direction=d,
            role=scope.role,
            owner=scope.owner,
            style=scope.style,
        )
        compare_object(ctx, sub, x, y, skip={"name"} if x.wire_name != y.wire_name else ())


def _member_names(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    def imp(lang: str) -> tuple[Severity, str]:
        x, y = scope.ref(lang, a.name), scope.ref(lang, b.name)
        return ("internal", f"still {x}") if x == y else ("breaking", f"{x} is now {y}")

    impacts = _per(imp)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "member-name-changed",
            scope.subject,
            f"the SDK name of {scope.subject} changed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "same wire name"),
        )


# -- types, requiredness, defaults, constraints --------------------------------------------------

_WIDER, _NARROWER, _DIFFERENT = "wider", "narrower", "different"


def relation(a: TypeRef | None, b: TypeRef | None) -> str | None:
    """How the set of values of `b` relates to `a`'s: None (same), wider, narrower, different."""
    if a == b:
        return None
    if a is None or b is None:
        return _DIFFERENT
    rels: set[str] = set()
    if a.nullable != b.nullable:
        rels.add(_WIDER if b.nullable else _NARROWER)
    core_a = a.model_copy(update={"nullable": False})
    core_b = b.model_copy(update={"nullable": False})
    if core_a != core_b:
        if a.kind == "any" and b.kind != "any":
            rels.add(_NARROWER)
        elif b.kind == "any" and a.kind != "any":
            rels.add(_WIDER)
        elif {a.kind, b.kind} == {"integer", "number"} and a.const is None and b.const is None:
            rels.add(_WIDER if b.kind == "number" else _NARROWER)
        elif a.kind != b.kind:
            rels.add(_DIFFERENT)
        else:
            known = {"kind", "nullable", "format", "items", "values", "ref", "const"}
            extra = {k for k in type(a).model_fields if k not in known and getattr(a, k) != getattr(b, k)}
            if extra or a.ref != b.ref:
                rels.add(_DIFFERENT)
            if a.format != b.format:
                rels.add(_NARROWER if a.format is None else _WIDER if b.format is None else _DIFFERENT)
            if a.const != b.const:
                rels.add(_NARROWER if a.const is None else _WIDER if b.const is None else _DIFFERENT)
            for sub in ("items", "values"):
                r = relation(getattr(a, sub), getattr(b, sub))
                if r:
                    rels.add(r)
    if not rels:
        return None
    return rels.pop() if len(rels) == 1 else _DIFFERENT


def _sev_for(rel: str | None, direction: str) -> Severity:
    if rel is None:
        return "internal"
    if direction == "in":
        return "compatible" if rel == _WIDER else "breaking"
    if direction == "out":
        return "compatible" if rel == _NARROWER else "breaking"
    if direction == "none":
        return "internal"
    return "breaking"


def _lang_rel(old_text: str, new_text: str, lang: str) -> str:
    """How a declared type relates in a language that has subtyping (Python, TypeScript):
    "same", wider, narrower or different, comparing the members of a union."""

    def parts(t: str) -> set[str]:
        found = {p.strip() for p in t.split(" | ")}
        if lang == "python" and "float" in found:  # int is accepted where float is declared (PEP 484)
            found.add("int")
        return found

    pa, pb = parts(old_text), parts(new_text)
    if pa == pb:
        return "same"
    if pa < pb:
        return _WIDER
    if pb < pa:
        return _NARROWER
    return _DIFFERENT


def _field_choices(x: Any) -> tuple:
    vals = x.constraints.get("enum") if isinstance(getattr(x, "constraints", None), dict) else None
    return tuple(v for v in vals if v is not None) if isinstance(vals, list) else ()


def _type_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    ta, tb = ctx.norm(a.type), b.type
    rel = relation(ta, tb)
    if rel is None:
        return
    d = scope.direction
    wire_sev = _sev_for(rel, d)
    req = getattr(b, "required", True)
    role = scope.role

    def imp(lang: str) -> tuple[Severity, str]:
        x = type_text(a.type, lang, role=role, required=req, choices=_field_choices(a))
        y = type_text(b.type, lang, role=role, required=req, choices=_field_choices(b))
        x_n = type_text(ta, lang, role=role, required=req, choices=_field_choices(a))
        ref = _ref(scope, lang, b)
        if x_n == y:
            if d in ("in", "both") and wire_sev == "breaking":
                return "breaking", f"{ref} stays {_code(y)}; values it accepted may now be refused"
            return "internal", f"{ref} stays {_code(y)}"
        if lang == "go":
            return "breaking", f"{ref} is now {_code(y)} (was {_code(x)})"
        lr = _lang_rel(x_n, y, lang)
        sev = "internal" if lr == "same" else _sev_for(lr, d)
        return sev, f"{ref} is now {_code(y)} (was {_code(x)})"

    kind = {"wider": "type-widened", "narrower": "type-narrowed", "different": "type-changed"}[rel]
    ctx.add(
        kind,
        scope.subject,
        f"the type of {scope.subject} changed ({_describe(a.type)} -> {_describe(b.type)})",
        scope.new_ptr,
        "new",
        _per(imp),
        (wire_sev, f"{rel} values ({_dir_word(d)})"),
    )


def _ref(scope: Scope, lang: str, obj: Any) -> str:
    names = getattr(obj, "name", None)
    if isinstance(names, Names):
        return scope.ref(lang, names)
    return f"{scope.owner.get(lang, scope.subject)} returns"


def _dir_word(d: str) -> str:
    return {"in": "sent by the SDK", "out": "read by the SDK", "both": "sent and read", "none": "unused"}[d]


def _describe(t: TypeRef | None) -> str:
    if t is None:
        return "nothing"
    base: str = t.kind
    if t.kind in ("model", "enum"):
        base = t.ref or t.kind
    elif t.kind == "array":
        base = f"array of {_describe(t.items)}"
    elif t.kind == "map":
        base = f"map of {_describe(t.values)}"
    if t.format:
        base += f" ({t.format})"
    if t.const is not None:
        base += f" = {t.const!r}"
    return base + (" or null" if t.nullable else "")


def _required_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    if a.required == b.required:
        return
    d = scope.direction
    now = "required" if b.required else "optional"

    def imp(lang: str) -> tuple[Severity, str]:
        x = type_text(b.type, lang, role=scope.role, required=a.required, choices=_field_choices(b))
        y = type_text(b.type, lang, role=scope.role, required=b.required, choices=_field_choices(b))
        ref = scope.ref(lang, b.name)
        if d == "in":
            if b.required:
                return "breaking", f"{ref} must now be given"
            if lang == "go" and x != y:
                return "breaking", f"{ref} is now {_code(y)} (was {_code(x)})"
            return "compatible", f"{ref} may be left out"
        if d == "out":
            if not b.required:
                return "breaking", f"{ref} may be absent" + (f": {_code(y)} (was {_code(x)})" if x != y else "")
            if lang == "go" and x != y:
                return "breaking", f"{ref} is now {_code(y)} (was {_code(x)})"
            return "compatible", f"{ref} is always present" + (f": {_code(y)}" if x != y else "")
        if d == "both":
            return "breaking", f"{ref} is now {now} in requests and responses"
        return "internal", "not used"

    wire: tuple[Severity, str]
    if d == "in":
        wire = ("breaking", "older releases may leave it out") if b.required else ("compatible", "")
    elif d == "out":
        wire = ("compatible", "") if b.required else ("breaking", "older releases expect it")
    elif d == "both":
        wire = ("breaking", "")
    else:
        wire = ("internal", "")
    ctx.add(
        "became-required" if b.required else "became-optional",
        scope.subject,
        f"{scope.subject} became {now}",
        scope.new_ptr,
        "new",
        _per(imp),
        wire,
    )


def _default_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    if (a.has_default, a.default) == (b.has_default, b.default):
        return
    if scope.direction not in ("in", "both"):
        ctx.add(
            "default-changed",
            scope.subject,
            f"the documented default of {scope.subject} changed",
            scope.new_ptr,
            "new",
            _all("internal", "doc comments change"),
            ("internal", "a response value"),
        )
        return
    wire: tuple[Severity, str]
    if not a.has_default:
        msg, wire = f"{scope.subject} now defaults to {b.default!r}", ("compatible", "documents what the server does")
    elif not b.has_default:
        msg, wire = (
            f"{scope.subject} no longer defaults to {a.default!r}",
            ("breaking", "calls that leave it out may get a different result"),
        )
    else:
        msg, wire = (
            f"the default of {scope.subject} changed from {a.default!r} to {b.default!r}",
            ("breaking", "calls that leave it out get a different result, from every release"),
        )
    ctx.add(
        "default-changed",
        scope.subject,
        msg,
        scope.new_ptr,
        "new",
        {
            lang: Impact("compatible", f"{scope.ref(lang, b.name)}: the server applies the default; the SDK sends nothing")
            for lang in LANGS
        },
        wire,
    )


_LOWER = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_UPPER = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")


def _tighter(key: str, x: Any, y: Any) -> str:
    """ "tighter", "looser" or "different" for one validation keyword."""
    if key == "enum":
        xs, ys = set(map(repr, x or [])), set(map(repr, y or []))
        if x is None:
            return "tighter"
        if y is None:
            return "looser"
        return "tighter" if ys < xs else "looser" if xs < ys else "different"
    if key == "pattern":
        return "tighter" if x is None else "looser" if y is None else "different"
    if x is None:
        return "tighter"
    if y is None:
        return "looser"
    if key in _LOWER:
        return "tighter" if y > x else "looser"
    if key in _UPPER:
        return "tighter" if y < x else "looser"
    return "different"


def _constraints_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    ca, cb = a.constraints or {}, b.constraints or {}
    d = scope.direction
    for key in sorted(set(ca) | set(cb)):
        x, y = ca.get(key), cb.get(key)
        if x == y:
            continue
        how = _tighter(key, x, y)
        if key == "enum":
            gone = [v for v in (x or []) if v not in (y or [])]
            new = [v for v in (y or []) if v not in (x or [])]
            detail = "; ".join(p for p in (f"values {gone} removed" if gone else "", f"values {new} added" if new else "") if p)
            kind = "enum-narrowed" if how == "tighter" else "enum-widened" if how == "looser" else "enum-changed"
        else:
            detail = f"{key} {x!r} -> {y!r}"
            kind = f"constraint-{'tightened' if how == 'tighter' else 'loosened' if how == 'looser' else 'changed'}"
        if d in ("in", "both"):
            sev: Severity = "compatible" if how == "looser" and d == "in" else "breaking"
            wire: tuple[Severity, str] = (
                sev,
                "older releases may send values the server now refuses" if sev == "breaking" else "",
            )
            text = "values it accepted may now be refused" if sev == "breaking" else "accepts more values"
        else:
            sev = "internal"
            wire = ("compatible", "our SDKs read responses without validating them (strict mode aside)")
            text = "responses are read without validation"
        ctx.add(
            kind,
            scope.subject,
            f"{scope.subject}: {detail}",
            scope.new_ptr,
            "new",
            {lang: Impact(sev, f"{scope.ref(lang, b.name)}: {text}") for lang in LANGS},
            wire,
        )


def _aliases_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    x, y = list(getattr(a, "aliases", []) or []), list(getattr(b, "aliases", []) or [])
    if x == y:
        return
    lost = [n for n in x if n not in y]
    ctx.add(
        "aliases-changed",
        scope.subject,
        f"{scope.subject}: the wire names also read changed from {x} to {y}",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK reads the listed names"),
        ("breaking", f"{lost} no longer read") if lost else ("compatible", "more wire names are read"),
    )


def _text_key_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    x, y = list(getattr(a, "text_keys", [])), list(getattr(b, "text_keys", []))
    if x == y:
        return
    if not y:
        sev: Severity = "breaking"
        what = "its text convenience accessor is gone"
    elif not x:
        sev, what = "compatible", "a new text convenience accessor"
    elif y[: len(x)] == x:
        sev, what = "compatible", f"the text accessor also reads keys {y[len(x):]!r}"
    else:
        sev, what = "breaking", f"the text accessor reads keys {y!r} instead of {x!r}"
    ctx.add(
        "text-key-changed",
        scope.subject,
        f"{scope.subject}: {what}",
        scope.new_ptr,
        "new",
        {lang: Impact(sev, f"{scope.ref(lang, b.name)}: {what}") for lang in LANGS},
        ("internal", "SDK-side convenience"),
    )


def _flatten_rule(ctx: Ctx, scope: Scope, a: Model, b: Model) -> None:
    x, y = getattr(a, "flatten", None), getattr(b, "flatten", None)
    if x != y:
        ctx.add(
            "flatten-changed",
            scope.subject,
            f"{scope.subject}: x-sdk-flatten {x!r} -> {y!r}",
            scope.new_ptr,
            "new",
            _all("internal", "how the SDK reads a second wire shape"),
            ("breaking", "older shape no longer read") if x and not y else ("compatible", "one more wire shape read"),
        )


def _additional_rule(ctx: Ctx, scope: Scope, a: Model, b: Model) -> None:
    x, y = ctx.norm(a.additional_properties), b.additional_properties
    if x == y:
        return
    if x is None or y is None:
        added = y is not None
        ctx.add(
            "additional-properties-added" if added else "additional-properties-removed",
            scope.subject,
            f"{scope.subject} {'now' if added else 'no longer'} models extra keys",
            scope.new_ptr,
            "new",
            _all("compatible" if added else "breaking", "extra keys are typed" if added else "extra keys are no longer typed"),
            ("compatible", "tolerant reading keeps extra keys either way"),
        )
        return
    holder = Field(name=Names.of("additional_properties"), wire_name="*", type=y, required=True)
    old_holder = holder.model_copy(update={"type": a.additional_properties})
    sub = Scope(
        f"{scope.subject}[*]",
        scope.old_ptr,
        scope.new_ptr,
        direction=scope.direction,
        role=scope.role,
        owner=scope.owner,
        style=scope.style,
    )
    _type_rule(ctx, sub, old_holder, holder)


# -- enums and events ---------------------------------------------------------------------------


def _enum_kind(ctx: Ctx, scope: Scope, a: Enum, b: Enum) -> None:
    if a.kind != b.kind:
        ctx.add(
            "enum-kind-changed",
            scope.subject,
            f"{scope.subject} changed from {a.kind} to {b.kind} values",
            scope.new_ptr,
            "new",
            _all("breaking", "its constants change type"),
            ("breaking", "different JSON values"),
        )


def _enum_values(ctx: Ctx, scope: Scope, a: Enum, b: Enum) -> None:
    pairs, removed, added = _match(a.values, b.values, lambda v: v.value)
    d = scope.direction
    for v in removed:
        ctx.add(
            "enum-value-removed",
            f"{scope.subject} {v.value!r}",
            f"value {v.value!r} of {scope.subject} was removed",
            ctx.old_loc.enum_value(a.schema_name, v.value),
            "old",
            {lang: Impact("breaking", f"{_code(const_name(a.name, v.name, lang))} is gone") for lang in LANGS},
            ("compatible", "older releases never see it again")
            if d == "out"
            else ("breaking", "older releases may send it; the server refuses it"),
        )
    for v in added:
        ctx.add(
            "enum-value-added",
            f"{scope.subject} {v.value!r}",
            f"value {v.value!r} was added to {scope.subject}",
            ctx.new_loc.enum_value(b.schema_name, v.value),
            "new",
            {lang: Impact("compatible", f"new {_code(const_name(b.name, v.name, lang))}") for lang in LANGS},
            ("compatible", "older releases keep an unknown value as its string (RUNTIME.md)")
            if d != "in"
            else ("compatible", "older releases never send it"),
        )
    for x, y in pairs:
        sub = Scope(
            f"{scope.subject} {y.value!r}",
            scope.old_ptr,
            ctx.new_loc.enum_value(b.schema_name, y.value),
            owner={lang: type_name(b.name, lang) for lang in LANGS},
        )
        compare_object(ctx, sub, x, y, skip={"value"})
        if x.name != y.name:
            impacts = {
                lang: (
                    Impact(
                        "breaking", f"{_code(const_name(a.name, x.name, lang))} is now {_code(const_name(b.name, y.name, lang))}"
                    )
                    if const_name(a.name, x.name, lang) != const_name(b.name, y.name, lang)
                    else Impact("internal", "same constant")
                )
                for lang in LANGS
            }
            if any(i.severity != "internal" for i in impacts.values()):
                ctx.add(
                    "enum-constant-renamed",
                    sub.subject,
                    f"the constant of {sub.subject} was renamed",
                    sub.new_ptr,
                    "new",
                    impacts,
                    ("internal", "same value"),
                )


def _type_names(kind: str, what: str, langs: tuple[str, ...] = LANGS) -> Compare:
    def fn(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
        impacts = _names_change(a.name, b.name, type_name, langs)
        if any(i.severity != "internal" for i in impacts.values()):
            ctx.add(
                kind,
                scope.subject,
                f"the {what} name of {scope.subject} changed",
                scope.new_ptr,
                "new",
                impacts,
                ("internal", "names are not on the wire"),
            )

    return Compare(why=f"the {what} name: breaking where the spelled name differs ({', '.join(langs)})", fn=fn)


def _stream_names(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    impacts = _names_change(a.name, b.name, _stream_type, ("python", "typescript"))
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "stream-type-renamed",
            scope.subject,
            f"the event union type of {scope.subject} changed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "names are not on the wire"),
        )


def _stream_discriminator(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    if a.discriminator != b.discriminator:
        ctx.add(
            "stream-discriminator-changed",
            scope.subject,
            f"{scope.subject} is discriminated by {b.discriminator!r} (was {a.discriminator!r})",
            scope.new_ptr,
            "new",
            _all("internal", "the SDK decodes the new way"),
            ("breaking", "older releases cannot tell events apart"),
        )


def _event_sig(ctx: Ctx, e: EventType, is_old: bool) -> Any:
    return (tuple(sorted((f.wire_name, repr(ctx.norm(f.type) if is_old else f.type), f.required) for f in e.fields)), e.terminal)


def _stream_events(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    pairs, removed, added = _match(a.events, b.events, lambda e: e.event)
    renamed, removed, added = _pair(removed, added, lambda e, is_old: _event_sig(ctx, e, is_old))
    for e in removed:
        ctx.add(
            "event-removed",
            f"{scope.subject} event {e.event}",
            f"event {e.event!r} of {scope.subject} was removed",
            ctx.old_loc.event(a.schema_name, e.event, e.frame_schema),
            "old",
            {lang: Impact("breaking", f"event type {_code(type_name(e.name, lang))} is gone") for lang in LANGS},
            ("breaking", "older releases wait for it" if e.terminal else "older releases stop receiving it"),
        )
    for e in added:
        ctx.add(
            "event-added",
            f"{scope.subject} event {e.event}",
            f"{'terminal ' if e.terminal else ''}event {e.event!r} was added to {scope.subject}",
            ctx.new_loc.event(b.schema_name, e.event, e.frame_schema),
            "new",
            {lang: Impact("compatible", f"new event type {_code(type_name(e.name, lang))}") for lang in LANGS},
            ("breaking", "older releases see an unknown event, then a stream that ends without a terminal event")
            if e.terminal
            else ("compatible", "older releases deliver it as an unknown event (RUNTIME.md)"),
        )
    for x, y in renamed:
        ctx.add(
            "event-renamed",
            f"{scope.subject} event {x.event} -> {y.event}",
            f"event {x.event!r} of {scope.subject} was renamed {y.event!r}",
            ctx.new_loc.event(b.schema_name, y.event, y.frame_schema),
            "new",
            _names_change(x.name, y.name, type_name),
            ("breaking", "older releases see the new name as an unknown event"),
        )
    for x, y in pairs + renamed:
        sub = Scope(
            f"{scope.subject} event {y.event}",
            ctx.old_loc.event(a.schema_name, x.event, x.frame_schema),
            ctx.new_loc.event(b.schema_name, y.event, y.frame_schema),
            direction="out",
            role="out",
            owner={lang: type_name(y.name, lang) for lang in LANGS},
        )
        compare_object(ctx, sub, x, y, skip={"name"} if x.event != y.event else ())


def _event_terminal(ctx: Ctx, scope: Scope, a: EventType, b: EventType) -> None:
    if a.terminal != b.terminal:
        state = "terminal" if b.terminal else "no longer terminal"
        ctx.add(
            "event-terminal-changed",
            scope.subject,
            f"{scope.subject} is {state}",
            scope.new_ptr,
            "new",
            _all(
                "breaking",
                f"streams {'end' if b.terminal else 'no longer end'} at this event: "
                "consumers that wait for the end change behaviour",
            ),
            ("breaking", "older releases judge the end of a stream by the old terminal events"),
        )


# -- the table --------------------------------------------------------------------------------------


def _internal_names(why: str) -> Ignored:
    return Ignored(why=why)


TABLE: dict[type[BaseModel], dict[str, Rule]] = {
    IR: {
        "sdk": Compare(why="package names, settings, auth: see SdkInfo", fn=_ir_sdk),
        "resources": Compare(why="by tag; their operations are matched across resources by operationId", fn=_ir_resources),
        "models": Compare(why="by schema name; an unmatched pair with the same fields is a rename", fn=_ir_models),
        "enums": Compare(why="by schema name; an unmatched pair with the same values is a rename", fn=_ir_enums),
        "streams": Compare(why="by schema name; an unmatched pair with the same events is a rename", fn=_ir_streams),
        "diagnostics": Ignored(why="lint output: the report counts the new spec's errors in its header"),
        "spec_sha256": Ignored(why="changes with every edit; recorded in the report header"),
    },
    SdkInfo: {
        "name": _sdk_leaf("name", "client-renamed", "the client class", ("python", "typescript"), "internal", _client_name),
        "title": _sdk_prose("title", ("title",)),
        "api_version": _sdk_internal("api_version", "api-version-changed", "API version", ("version",)),
        "version": Ignored(why="the release's own output (sdkgen release writes it); the report's header shows it"),
        "slug": _sdk_leaf("slug", "user-agent-changed", "the User-Agent prefix", (), "internal"),
        "description": _sdk_prose("description", ("description",)),
        "env_prefix": _sdk_leaf(
            "env_prefix",
            "env-prefix-changed",
            "the environment variable prefix",
            ("python", "typescript", "go"),
            "internal",
            lambda v, lang: f"{v}_API_KEY / {v}_BASE_URL",
        ),
        "default_base_url": _sdk_leaf(
            "default_base_url", "base-url-changed", "the default base URL", ("python", "typescript", "go"), "internal"
        ),
        "auth_header": Compare(why="the credential header: breaking everywhere", fn=_auth),
        "python_package": _sdk_leaf("python_package", "package-renamed", "the Python package", ("python",), "internal"),
        "npm_package": _sdk_leaf("npm_package", "package-renamed", "the npm package", ("typescript",), "internal"),
        "go_module": _sdk_leaf("go_module", "package-renamed", "the Go module path", ("go",), "internal"),
        "go_package": _sdk_leaf("go_package", "package-renamed", "the Go package name", ("go",), "internal"),
    },
    Resource: {
        "tag": Key(why="resources match by tag"),
        "name": Covered(by="Operation.name", why="the accessor is part of each operation's call (client.<resource>.<method>)"),
        "description": Prose(why="doc comments"),
        "operations": Covered(by="IR.resources", why="matched across resources by operationId, so a move is one change"),
    },
    Operation: {
        "operation_id": Key(why="operations match by operationId; an unmatched pair with the same method and path is a rename"),
        "name": Compare(why="the method, spelled client.<resource>.<method>() per language", fn=_op_call),
        "tag": Covered(by="Operation.name", why="the resource is part of the call"),
        "http_method": _op_wire("http_method", "HTTP method"),
        "path": _op_wire("path", "path (placeholders aside)"),
        "summary": Prose(why="doc comments"),
        "description": Prose(why="doc comments"),
        "deprecated": Compare(why="compatible either way", fn=_op_deprecated),
        "path_params": Compare(why="positional arguments, compared by position", fn=_path_params),
        "query_params": Compare(why="query and header parameters together (one params object), by wire name", fn=_params),
        "header_params": Covered(by="Operation.query_params", why="one params object"),
        "body": Compare(why="the body's fields are method arguments (Python keywords, TS/Go params fields)", fn=_body),
        "result": Compare(why="what the method returns", fn=_result),
        "error_statuses": Compare(why="new documented errors are compatible", fn=_error_statuses),
        "pagination": Compare(why="auto-paging appears or goes: breaking; its convention: wire", fn=_pagination),
        "idempotent": Compare(why="Idempotency-Key support: losing it is breaking", fn=_idempotent),
        "params_name": Compare(why="the TS interface / Go struct of the arguments", fn=_params_name),
        "source": Ignored(why="a JSON pointer, derived from path and method"),
    },
    Parameter: {
        "name": Compare(why="the argument's name per language", fn=_param_names),
        "wire_name": Key(why="parameters match by wire name (path parameters by position)"),
        "location": Compare(why="path/query/header: wire breaking", fn=_param_location),
        "required": Compare(
            why="required in a request: breaking; optional: compatible (Go pointer changes aside)", fn=_required_rule
        ),
        "type": Compare(why="widened: compatible; narrowed or changed: breaking (sent by the SDK)", fn=_type_rule),
        "description": Prose(why="doc comments"),
        "default": Compare(why="a changed default changes what calls that omit it get", fn=_default_rule),
        "has_default": Covered(by="Parameter.default", why="compared with the default"),
        "role": Compare(why="which parameters the runtime manages", fn=_param_role),
        "constraints": Compare(why="tightened: breaking; loosened: compatible", fn=_constraints_rule),
    },
    Body: {
        "schema_name": Compare(why="the request model's name (its fields are compared one by one)", fn=_body_schema),
        "required": Compare(why="the SDK always sends its body: wire only", fn=_body_required),
        "content_type": Compare(why="wire only", fn=_body_content_type),
        "description": Prose(why="doc comments"),
        "fields": fields_rule("body"),
    },
    Result: {
        "kind": Compare(why="model/page/none/stream: breaking", fn=_result_kind),
        "status": Compare(why="any 2xx is success", fn=_result_status),
        "description": Prose(why="doc comments"),
        "envelope": Ignored(why="no SDK shows the envelope; what it unwraps to is compared as `type`"),
        "unwrap": Compare(why="what the method returns from the body", fn=_result_unwrap),
        "type": Compare(why="the return type: narrowed compatible, widened or changed breaking", fn=_type_rule),
        "meta_schema": Compare(why="TypeScript's page type names its meta", fn=_result_meta),
        "stream": Compare(why="which event union a stream yields", fn=_result_stream),
    },
    Pagination: {
        "style": _pagination_field("style"),
        "page_param": _pagination_field("page_param"),
        "limit_param": _pagination_field("limit_param"),
        "items_field": _pagination_field("items_field"),
        "meta_field": _pagination_field("meta_field"),
    },
    Model: {
        "schema_name": Key(why="models match by schema name; an unmatched pair with the same fields is a rename"),
        "name": _type_names("model-type-renamed", "type"),
        "description": Prose(why="doc comments"),
        "fields": fields_rule("model"),
        "bases": Ignored(why="allOf is flattened into `fields`, which are compared; no target declares inheritance"),
        "additional_properties": Compare(why="extra keys typed or not", fn=_additional_rule),
        "flatten": Compare(why="x-sdk-flatten: how a second wire shape is read", fn=_flatten_rule),
        "is_envelope": Ignored(why="usage flag: decides visibility, reported as types appearing or going"),
        "is_request_body": Ignored(why="usage flag: decides visibility, reported as types appearing or going"),
        "is_event_data": Ignored(why="usage flag: decides visibility, reported as types appearing or going"),
        "is_event_frame": Ignored(why="usage flag: decides visibility, reported as types appearing or going"),
    },
    Field: {
        "name": Compare(why="the member's name per language", fn=_member_names),
        "wire_name": Key(why="fields match by wire name; an unmatched pair of the same type is a rename"),
        "type": Compare(why="by direction: requests accept wider, responses may return narrower", fn=_type_rule),
        "required": Compare(why="by direction: required in requests breaks, optional in responses breaks", fn=_required_rule),
        "description": Prose(why="doc comments"),
        "default": Compare(why="request defaults: what omitted values become", fn=_default_rule),
        "has_default": Covered(by="Field.default", why="compared with the default"),
        "constraints": Compare(why="request values: tightened breaking; responses are not validated", fn=_constraints_rule),
        "aliases": Compare(why="x-sdk-aliases: wire names also read", fn=_aliases_rule),
        "text_keys": Compare(why="x-sdk-text: the <field>_text convenience", fn=_text_key_rule),
    },
    Enum: {
        "schema_name": Key(why="enums match by schema name; an unmatched pair with the same values is a rename"),
        "name": _type_names("enum-type-renamed", "type"),
        "description": Prose(why="doc comments"),
        "kind": Compare(why="string/integer: breaking", fn=_enum_kind),
        "values": Compare(why="removed values: breaking (their constants go); added: compatible", fn=_enum_values),
    },
    EnumValue: {
        "value": Key(why="values match by value"),
        "name": Covered(by="Enum.values", why="the constant's name, compared with the values"),
    },
    EventStream: {
        "schema_name": Key(why="streams match by schema name"),
        "name": Compare(why="the event union's type (Python <Stream>Event, TypeScript <Stream>)", fn=_stream_names),
        "description": Prose(why="doc comments"),
        "discriminator": Compare(why="wire only", fn=_stream_discriminator),
        "events": Compare(why="removed events: breaking; new ones: compatible (unknown events are tolerated)", fn=_stream_events),
    },
    EventType: {
        "event": Key(why="events match by wire name; an unmatched pair with the same fields is a rename"),
        "name": _type_names("event-type-renamed", "event class"),
        "frame_schema": Ignored(why="frames are decoded by the runtime, never shown"),
        "data_schema": Ignored(why="the data model's name: its TypeScript type is reported as a model; its fields here"),
        "fields": fields_rule("event"),
        "terminal": Compare(why="where streams end: breaking either way", fn=_event_terminal),
        "description": Prose(why="doc comments"),
    },
    Names: {
        "original": Ignored(why="the spec's spelling; the per-language spellings below are compared"),
        "snake": Ignored(why="a building block; `python` is what Python shows"),
        "camel": Ignored(why="a building block; `typescript` is what TypeScript shows"),
        "pascal": Covered(by="type names", why="Python and TypeScript type names"),
        "constant": Covered(by="Enum.values", why="Python enum constants"),
        "python": Covered(by="member names", why="Python members"),
        "typescript": Covered(by="member names", why="TypeScript members"),
        "go": Covered(by="member and type names", why="Go members and types"),
        "go_private": Covered(by="Operation.path_params", why="Go positional argument names (not API: positional)"),
    },
    TypeRef: {
        "kind": Covered(by="relation()", why="kind changes: different (integer->number widens)"),
        "nullable": Covered(by="relation()", why="null added widens"),
        "format": Covered(by="relation()", why="a format added narrows"),
        "items": Covered(by="relation()", why="compared recursively"),
        "values": Covered(by="relation()", why="compared recursively"),
        "ref": Covered(by="relation()", why="another model/enum (renames followed)"),
        "const": Covered(by="relation()", why="a const added narrows"),
    },
    Diagnostic: {
        "severity": Ignored(why="lint output"),
        "message": Ignored(why="lint output"),
        "location": Ignored(why="lint output"),
    },
}


def ir_classes() -> list[type[BaseModel]]:
    """Every pydantic model the IR module defines (what the table must cover)."""
    return [
        obj
        for obj in vars(irmod).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == irmod.__name__
        and not obj.__name__.startswith("_")
    ]


def compare_irs(old: IR, new: IR, old_loc: Locator, new_loc: Locator) -> list[Change]:
    ctx = Ctx(old, new, old_loc, new_loc)
    # Renames first (enums, then the models that may use them, then streams): every
    # comparison below follows them, so a renamed schema is one change, not one per use.
    _pair_enums(ctx)
    _pair_models(ctx)
    _pair_streams(ctx)
    compare_object(ctx, Scope("the API", "#", "#"), old, new)
    return sorted(ctx.changes, key=Change.sort_key)
