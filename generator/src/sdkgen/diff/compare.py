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
    AuthScheme,
    Conversation,
    Body,
    BodySwitch,
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
    ResumeBinding,
    ResumeRoute,
    SdkInfo,
    TextDelta,
    TypeRef,
    Union,
    UnionVariant,
    ValuePath,
)
from .locate import Locator
from .model import LANGS, Change, Impact, Severity
from .surface import (
    Surface,
    const_name,
    declared_types,
    declared_unions,
    inputs,
    local,
    member,
    outputs,
    type_name,
    type_text,
)

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
                m = local(names)
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
        old_loc.know(old)
        new_loc.know(new)
        self.old_s, self.new_s = Surface(old), Surface(new)
        self.changes: list[Change] = []
        self.inputs = inputs(old) | inputs(new)
        self.outputs = outputs(old) | outputs(new)
        self.declared_old = {lang: declared_types(old, lang) for lang in LANGS}
        self.declared_new = {lang: declared_types(new, lang) for lang in LANGS}
        self.unions_old = {lang: declared_unions(old, lang) for lang in LANGS}
        self.unions_new = {lang: declared_unions(new, lang) for lang in LANGS}
        self.model_renames: dict[str, str] = {}
        self.enum_renames: dict[str, str] = {}
        self.union_renames: dict[str, str] = {}
        self.stream_renames: dict[str, str] = {}
        self.auth_renames: dict[str, str] = {}
        self.op_renames: dict[str, str] = {}  # old operation key -> new key
        # per stream (new schema name): old event name -> new event name, for kept and renamed events
        self.event_renames: dict[str, dict[str, str]] = {}
        self.pairings: dict[Any, Any] = {}
        # operation security changes, grouped (see _flush_security)
        self.security: list[tuple[Operation, Operation, frozenset[Any], frozenset[Any]]] = []

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
        )

    def direction(self, schema: str) -> str:
        i, o = schema in self.inputs, schema in self.outputs
        return "both" if i and o else "in" if i else "out" if o else "none"

    def ptr(self, side: str, *candidates: str | None) -> str:
        """The first candidate pointer that resolves in the old or new spec ("#" at worst)."""
        loc = self.old_loc if side == "old" else self.new_loc
        for c in candidates:
            if c and loc.exists(c):
                return c
        return "#"

    def text(self, t: TypeRef | None, lang: str, *, old: bool = False, **kw: Any) -> str:
        """A type spelled with the names of the old or the new IR."""
        return type_text(t, lang, ir=self.old if old else self.new, **kw)

    def norm(self, t: TypeRef | None) -> TypeRef | None:
        """An old TypeRef with renamed models/enums replaced by their new names."""
        if t is None:
            return None
        update: dict[str, Any] = {}
        if t.kind == "model" and t.ref in self.model_renames:
            update["ref"] = self.model_renames[t.ref]
        if t.kind == "enum" and t.ref in self.enum_renames:
            update["ref"] = self.enum_renames[t.ref]
        if t.union is not None and t.union in self.union_renames:
            update["union"] = self.union_renames[t.union]
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
            ctx.ptr("old", "#/tags", *(o.source for o in r.operations)),
            "old",
            {lang: Impact("breaking", f"`client.{member(r.name, lang)}` is gone") for lang in LANGS},
            ("breaking", "its operations are gone"),
        )
    for r in added:
        ctx.add(
            "resource-added",
            r.tag,
            f"resource {r.tag!r} was added",
            ctx.ptr("new", "#/tags", *(o.source for o in r.operations)),
            "new",
            {lang: Impact("compatible", f"new `client.{member(r.name, lang)}`") for lang in LANGS},
            ("compatible", "new operations"),
        )
    for a, b in pairs:
        old_ptr = ctx.ptr("old", "#/tags", *(o.source for o in a.operations))
        new_ptr = ctx.ptr("new", "#/tags", *(o.source for o in b.operations))
        compare_object(ctx, Scope(f"resource {b.tag}", old_ptr, new_ptr), a, b)
    _operations(ctx)


def _resource_conversation(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    """x-sdk-conversation: the conversation object is SDK-only (nothing on the wire)."""
    x, y = a.conversation, b.conversation
    if x is None and y is None:
        return
    if x is None or y is None:
        gone = y is None
        conv = x if gone else y
        assert conv is not None
        ctx.add(
            "conversation-removed" if gone else "conversation-added",
            scope.subject,
            f"{scope.subject}: the conversation object was {'removed' if gone else 'added'}",
            scope.old_ptr if gone else scope.new_ptr,
            "old" if gone else "new",
            {lang: Impact("breaking" if gone else "compatible",
                          f"`client.{member(b.name, lang)}.{member(conv.open_method, lang)}()` "
                          f"{'is gone' if gone else 'is new'}") for lang in LANGS},
            ("internal", "an SDK-side helper"),
        )
        return
    for attr in ("open_method", "load_method"):
        old_name, new_name = getattr(x, attr), getattr(y, attr)
        if old_name.snake != new_name.snake:
            ctx.add(
                "conversation-method-renamed",
                scope.subject,
                f"{scope.subject}: conversation method {old_name.original!r} is now {new_name.original!r}",
                scope.new_ptr,
                "new",
                {lang: Impact("breaking", f"`{member(old_name, lang)}` is now `{member(new_name, lang)}`")
                 for lang in LANGS},
                ("internal", "an SDK-side helper"),
            )
    bound = [k for k in ("create", "send", "stream", "history", "get", "delete", "session_param",
                         "session_id_field", "text_field", "create_fields", "usage_fields", "cost_field")
             if getattr(x, k) != getattr(y, k)]
    if bound:
        lost = [k for k in ("stream", "get", "delete", "cost_field") if getattr(x, k) and not getattr(y, k)]
        sev: Severity = "breaking" if lost else "internal"
        what = (f"the conversation lost what {', '.join(lost)} gave it" if lost
                else f"the conversation drives other operations or fields ({', '.join(bound)}); its methods are unchanged")
        ctx.add(
            "conversation-binding-changed",
            scope.subject,
            f"{scope.subject}: {what}",
            scope.new_ptr,
            "new",
            {lang: Impact(sev, what) for lang in LANGS},
            ("internal", "an SDK-side helper"),
        )


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
    for a, b in pairs + renamed:
        _model(ctx, a, b)


def _visibility(
    ctx: Ctx,
    what: str,
    name: str,
    old_names: Names,
    new_names: Names,
    ir_change: tuple[str, str] | None = None,
) -> None:
    """A schema kept by name whose use changed (it became or stopped being a request body,
    event data, a frame, reachable...): the languages that now declare it, or no longer do.
    `ir_change` is the IR's own decision (Model.visibility) when it changed: reported even
    where no target declares the type differently (then as internal)."""
    was = {lang for lang in LANGS if name in ctx.declared_old[lang]}
    now = {lang for lang in LANGS if name in ctx.declared_new[lang]}
    if was == now:
        if ir_change is not None:
            x, y = ir_change
            ctx.add(
                f"{what}-visibility-changed",
                name,
                f"{what} {name} is now {y} (was {x}); every SDK declares it as before",
                ctx.new_loc.schema(name),
                "new",
                _all("internal", "declared as before" if was else "not a public type"),
                ("internal", "how the schema is used is reported where it is used"),
            )
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
    # a rename says the name and the languages that declare it (visibility included)
    skip = {"schema_name", "name", "visibility"} if a.schema_name != b.schema_name else set()
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
    # the events of each kept stream, paired once: the stream's decisions (success, failure,
    # text, output, usage, resume) name events, and a renamed event is followed there
    for a, b in pairs + renamed:
        ep, er, ea = _match(a.events, b.events, lambda e: e.event)
        erenamed, er, ea = _pair(er, ea, lambda e, is_old: _event_sig(ctx, e, is_old))
        ctx.pairings[("events", b.schema_name)] = (ep, er, ea, erenamed)
        ctx.event_renames[b.schema_name] = {x.event: y.event for x, y in ep + erenamed}


def _stream_type(n: Names, lang: str) -> str:
    """A stream's event union: Python `<Stream>Event`, TypeScript `<Stream>`; Go's streams
    are all `Stream`, their events `Event`."""
    return {"python": type_name(n, "python") + "Event", "typescript": type_name(n, "typescript"), "go": "Stream"}[lang]


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


def _client_name(n: Names, lang: str) -> str:
    return "Client" if lang == "go" else type_name(n, lang)


# -- resources and operations --------------------------------------------------------------------


def _norm_path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _op_scope(ctx: Ctx, a: Operation, b: Operation) -> Scope:
    return Scope(_opname(b), a.source, b.source, owner=ctx.new_s.calls(b))


def _opname(op: Operation) -> str:
    """An operation's identity: its key (the operationId, `:stream` for a stream variant)."""
    return op.key or op.operation_id


def _pair_operations(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.operations, ctx.new.operations, _opname)
    renamed, removed, added = _pair(removed, added, lambda o, is_old: (o.http_method, _norm_path(o.path), o.variant))
    for a, b in pairs + renamed:
        ctx.op_renames[_opname(a)] = _opname(b)
    ctx.pairings["operations"] = (pairs, removed, added, renamed)


def _operations(ctx: Ctx) -> None:
    pairs, removed, added, renamed = ctx.pairings["operations"]
    for op in removed:
        ctx.add(
            "operation-removed",
            _opname(op),
            f"{_op_what(op)} was removed",
            op.source,
            "old",
            {lang: Impact("breaking", f"{_code(ctx.old_s.call(op, lang))} is gone") for lang in LANGS},
            ("breaking", "older releases call an operation the server no longer has"),
        )
    for op in added:
        ctx.add(
            "operation-added",
            _opname(op),
            f"{_op_what(op)} was added",
            op.source,
            "new",
            {lang: Impact("compatible", f"new {_code(ctx.new_s.call(op, lang))}") for lang in LANGS},
            ("compatible", "a new operation" if op.variant != "stream" else _stream_twin_wire(op)),
        )
    for a, b in renamed:
        ctx.add(
            "operation-id-changed",
            f"{_opname(a)} -> {_opname(b)}",
            f"operationId {a.operation_id} is now {b.operation_id} ({b.http_method.upper()} {b.path})",
            b.source,
            "new",
            _all("internal", "the method name is compared on its own"),
            ("internal", "same request on the wire"),
        )
    for a, b in pairs + renamed:
        compare_object(ctx, _op_scope(ctx, a, b), a, b)
    _flush_security(ctx)


def _op_what(op: Operation) -> str:
    what = f"operation {op.operation_id} ({op.http_method.upper()} {op.path})"
    if op.variant == "stream":
        return f"the streaming variant of {what}"
    return what


def _stream_twin_wire(op: Operation) -> str:
    how = (
        f"`{op.body_switch.field}: {json_value(op.body_switch.value)}` in the body"
        if op.body_switch
        else f"`Accept: {op.accept or 'text/event-stream'}`"
    )
    return f"the operation also answers with Server-Sent Events when asked ({how}); older releases never ask"


def _op_call(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    def impact(lang: str) -> tuple[Severity, str]:
        x, y = ctx.old_s.call(a, lang), ctx.new_s.call(b, lang)
        return ("internal", f"still {_code(y)}") if x == y else ("breaking", f"{_code(x)} is now {_code(y)}")

    impacts = _per(impact)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "operation-renamed",
            _opname(b),
            f"the SDK method of {_opname(b)} was renamed or moved to another resource",
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
                _opname(b),
                f"the {what} of {_opname(b)} changed from {getattr(a, key)!r} to {getattr(b, key)!r}",
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
            _opname(b),
            f"{_opname(b)} is {state}",
            b.source,
            "new",
            {lang: Impact("compatible", f"{_code(ctx.new_s.call(b, lang))} is {state}") for lang in LANGS},
            ("compatible", state),
        )


def _path_params(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    ps = Scope(f"{_opname(b)} path", a.source, b.source, direction="in", role="in", owner=scope.owner, style="arg")
    for i in range(max(len(a.path_params), len(b.path_params))):
        x = a.path_params[i] if i < len(a.path_params) else None
        y = b.path_params[i] if i < len(b.path_params) else None
        if x is None and y is not None:
            ctx.add(
                "path-param-added",
                f"{_opname(b)} path {y.wire_name}",
                f"{_opname(b)} takes a new path parameter {y.wire_name}",
                ctx.new_loc.parameter(b.source, "path", y.wire_name),
                "new",
                {lang: Impact("breaking", f"new required {ps.ref(lang, y.name)}") for lang in LANGS},
                ("breaking", "a different path"),
            )
        elif y is None and x is not None:
            ctx.add(
                "path-param-removed",
                f"{_opname(b)} path {x.wire_name}",
                f"{_opname(b)} lost its path parameter {x.wire_name}",
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
                    f"{_opname(b)} path {x.wire_name} -> {y.wire_name}",
                    f"path parameter {x.wire_name} of {_opname(b)} was renamed {y.wire_name}",
                    ctx.new_loc.parameter(b.source, "path", y.wire_name),
                    "new",
                    _per(imp),
                    ("internal", "the same URL"),
                )
            sub = Scope(
                f"{_opname(b)} path {y.wire_name}",
                ctx.old_loc.parameter(a.source, "path", x.wire_name),
                ctx.new_loc.parameter(b.source, "path", y.wire_name),
                direction="in",
                role="in",
                owner=scope.owner,
                style="arg",
            )
            compare_object(ctx, sub, x, y, skip={"name", "wire_name"})


def _param_key(p: Parameter) -> str:
    """Query, header and cookie parameters share one params object: matched by wire name
    (header names without case), so a parameter that moves is one change."""
    return p.wire_name.lower() if p.location == "header" else p.wire_name


def _param_scope(ctx: Ctx, b: Operation) -> Scope:
    owner = {
        "python": ctx.new_s.call(b, "python"),
        "typescript": type_name(b.params_name, "typescript"),
        "go": type_name(b.params_name, "go"),
    }
    return Scope(_opname(b), b.source, b.source, direction="in", role="query", owner=owner, style="kwarg")


def _params(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    ps = _param_scope(ctx, b)
    old_ps = a.query_params + a.header_params + a.cookie_params
    new_ps = b.query_params + b.header_params + b.cookie_params
    pairs, removed, added = _match(old_ps, new_ps, _param_key)
    renamed, removed, added = _pair(
        removed, added, lambda p, is_old: (p.location, repr(ctx.norm(p.type) if is_old else p.type), p.required)
    )
    for p in removed:
        ctx.add(
            "param-removed",
            f"{_opname(b)} {p.location} {p.wire_name}",
            f"{p.location} parameter {p.wire_name} of {_opname(b)} was removed",
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
            f"{_opname(b)} {p.location} {p.wire_name}",
            f"{'required' if p.required else 'optional'} {p.location} parameter {p.wire_name} of {_opname(b)} was added",
            ctx.new_loc.parameter(b.source, p.location, p.wire_name),
            "new",
            {lang: Impact(sev, f"new {'required' if p.required else 'optional'} {ps.ref(lang, p.name)}") for lang in LANGS},
            (sev, "older releases do not send it"),
        )
    for x, y in renamed:
        ctx.add(
            "param-renamed",
            f"{_opname(b)} {x.location} {x.wire_name} -> {y.wire_name}",
            f"{x.location} parameter {x.wire_name} of {_opname(b)} was renamed {y.wire_name}",
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
            f"{_opname(b)} {y.location} {y.wire_name}",
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
    sub.subject = f"{_opname(b)} body"
    sub.old_ptr, sub.new_ptr = ctx.old_loc.request_body(a.source), ctx.new_loc.request_body(b.source)
    sub.role = "in"
    if a.body is None or b.body is None:
        if a.body is not b.body:
            kind = "request-body-added" if a.body is None else "request-body-removed"
            ctx.add(
                kind,
                f"{_opname(b)} body",
                f"{_opname(b)} {'now takes' if a.body is None else 'no longer takes'} a request body",
                sub.new_ptr if a.body is None else sub.old_ptr,
                "new" if a.body is None else "old",
                _all("internal", "its fields are reported one by one"),
                (
                    "breaking" if (b.body and b.body.required) or a.body is not None else "compatible",
                    "older releases send no body" if a.body is None else "older releases send a body",
                ),
            )
        sub.old_ptr = sub.new_ptr = ""
    skip = {"schema_name", "required", "content_type", "description", "kind", "content_types", "type"}
    compare_object(ctx, sub, x, y, skip=() if a.body and b.body else skip)


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
    if a.kind == b.kind and a.content_type != b.content_type:
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
    if a.schema_name != b.schema_name and ctx.model_renames.get(a.schema_name or "") != b.schema_name:
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
    def has(o: Operation) -> bool:
        return bool(o.body or o.query_params or o.header_params or o.cookie_params)

    if not (has(a) and has(b)):
        return
    impacts = _names_change(a.params_name, b.params_name, type_name, ("typescript", "go"))
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "params-type-renamed",
            _opname(b),
            f"the parameters type of {_opname(b)} was renamed "
            f"{type_name(a.params_name, 'typescript')} -> {type_name(b.params_name, 'typescript')}",
            b.source,
            "new",
            impacts,
            ("internal", "not on the wire"),
        )


def _result(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    sub = Scope(
        f"{_opname(b)} result",
        ctx.old_loc.response(a.source, a.result.status),
        ctx.new_loc.response(b.source, b.result.status),
        direction="out",
        role="out",
        owner=scope.owner,
    )
    # When the kind of result changes, that one change says it: what it returns is another thing.
    skip = (
        {"type", "unwrap", "meta_schema", "stream", "envelope", "wrapped", "content_type"}
        if a.result.kind != b.result.kind
        else ()
    )
    compare_object(ctx, sub, a.result, b.result, skip=skip)


def _result_kind(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    if a.kind != b.kind:
        what = {
            "model": "a value",
            "page": "a page of items",
            "none": "nothing",
            "stream": "an event stream",
            "binary": "raw bytes",
            "text": "text",
        }
        ctx.add(
            "result-kind-changed",
            scope.subject,
            f"{scope.subject}: returns {what[b.kind]} instead of {what[a.kind]}",
            scope.new_ptr,
            "new",
            {
                lang: Impact("breaking", f"`{scope.owner.get(lang, '?')}` returns {what[b.kind]} instead of {what[a.kind]}")
                for lang in LANGS
            },
            ("breaking", "older releases cannot read the new response"),
        )


def _result_wrapped(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    """The `{data}` envelope: the SDK unwraps it, so what a method returns is `type` either
    way (its change is the type rule's); the wire is what older releases read."""
    if a.kind != b.kind or (a.wrapped, a.unwrap) == (b.wrapped, b.unwrap):
        return
    if b.unwrap is not None:
        what = f"the response is now wrapped in `{{{b.unwrap}: …}}`, which the SDK unwraps"
        wire = f"older releases read the whole body, which is now the `{b.unwrap}` envelope"
    else:
        what = f"the response is no longer wrapped in `{{{a.unwrap}: …}}`: the SDK returns the whole body"
        wire = f"older releases look for `{a.unwrap}` in a body that has none"
    same = relation(ctx.norm(a.type), b.type) is None

    def imp(lang: str) -> tuple[Severity, str]:
        returns = ctx.text(b.type, lang)
        if same:
            return "internal", f"`{scope.owner.get(lang, '?')}` still returns `{returns}`"
        return "internal", "the returned type's change is reported on its own"

    ctx.add(
        "result-envelope-changed",
        scope.subject,
        f"{scope.subject}: {what}",
        scope.new_ptr,
        "new",
        _per(imp),
        ("breaking", wire),
    )


def _result_content_type(ctx: Ctx, scope: Scope, a: Result, b: Result) -> None:
    """The response's media type: JSON flavours and streams read the same; for bytes and
    text it is what the caller gets."""
    if a.kind != b.kind or a.content_type == b.content_type:
        return
    if b.kind in ("binary", "text"):
        what = "bytes" if b.kind == "binary" else "text"
        impacts = {
            lang: Impact("breaking", f"`{scope.owner.get(lang, '?')}` returns {b.content_type} {what} (was {a.content_type})")
            for lang in LANGS
        }
        wire: tuple[Severity, str] = ("breaking", f"older releases' callers expect {a.content_type}")
    else:
        impacts = _all("internal", f"the body is read the same way ({b.content_type})")
        wire = ("internal", "read the same way")
    ctx.add(
        "response-content-type-changed",
        scope.subject,
        f"{scope.subject}: the response's media type {a.content_type} is now {b.content_type}",
        scope.new_ptr,
        "new",
        impacts,
        wire,
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
            f"{_opname(b)} {code}",
            f"{_opname(b)} documents a new error response {code}",
            f"{b.source}/responses/{code}",
            "new",
            _all("compatible", f"may raise {_error_class(code)}"),
            ("compatible", "older releases raise their generic error for it"),
        )
    for code in sorted(set(a.error_statuses) - set(b.error_statuses)):
        ctx.add(
            "error-status-removed",
            f"{_opname(b)} {code}",
            f"{_opname(b)} no longer documents error response {code}",
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
            _opname(b),
            f"{_opname(b)} {'is now' if added else 'is no longer'} paginated",
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
            _opname(b),
            f"{_opname(b)} no longer accepts Idempotency-Key",
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
            _opname(b),
            f"{_opname(b)} accepts Idempotency-Key",
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
        return loc.property(side_obj.data_schema, wire) if side_obj.data_schema else ""
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


def _field_choices(x: Any) -> tuple[Any, ...]:
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
        x = ctx.text(a.type, lang, old=True, role=role, required=req, choices=_field_choices(a))
        y = ctx.text(b.type, lang, role=role, required=req, choices=_field_choices(b))
        x_n = ctx.text(ta, lang, role=role, required=req, choices=_field_choices(a))
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
        x = ctx.text(b.type, lang, role=scope.role, required=a.required, choices=_field_choices(b))
        y = ctx.text(b.type, lang, role=scope.role, required=b.required, choices=_field_choices(b))
        ref = scope.ref(lang, b.name)
        if d == "in":
            if b.required:
                return "breaking", f"{ref} must now be given"
            if lang == "go" and x != y:
                return "breaking", f"{ref} is now {_code(y)} (was {_code(x)})"
            return "compatible", f"{ref} may be left out"
        if d == "out":
            if not b.required:
                if x == y:  # absent reads as null did (Python None, a Go nil pointer): nothing to change
                    return "compatible", f"{ref} may be absent (read as before: {_code(y)})"
                return "breaking", f"{ref} may be absent: {_code(y)} (was {_code(x)})"
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


def _event_sig(ctx: Ctx, e: EventType, is_old: bool) -> Any:
    return (tuple(sorted((f.wire_name, repr(ctx.norm(f.type) if is_old else f.type), f.required) for f in e.fields)), e.terminal)


def _stream_events(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    pairs, removed, added, renamed = ctx.pairings[("events", b.schema_name)]
    for e in removed:
        ctx.add(
            "event-removed",
            f"{scope.subject} event {e.event}",
            f"event {e.event!r} of {scope.subject} was removed",
            ctx.old_loc.event(a, e),
            "old",
            {lang: Impact("breaking", f"event type {_code(type_name(e.name, lang))} is gone") for lang in LANGS},
            ("breaking", "older releases wait for it" if e.terminal else "older releases stop receiving it"),
        )
    for e in added:
        ctx.add(
            "event-added",
            f"{scope.subject} event {e.event}",
            f"{'terminal ' if e.terminal else ''}event {e.event!r} was added to {scope.subject}",
            ctx.new_loc.event(b, e),
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
            ctx.new_loc.event(b, y),
            "new",
            _names_change(x.name, y.name, type_name),
            ("breaking", "older releases see the new name as an unknown event"),
        )
    for x, y in pairs + renamed:
        sub = Scope(
            f"{scope.subject} event {y.event}",
            ctx.old_loc.event(a, x),
            ctx.new_loc.event(b, y),
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


# -- members: deprecation, read/write only ---------------------------------------------------------


def _deprecated_rule(ctx: Ctx, scope: Scope, a: Any, b: Any) -> None:
    if a.deprecated == b.deprecated:
        return
    state = "deprecated" if b.deprecated else "no longer deprecated"
    what = "param" if isinstance(b, Parameter) else "field"
    ctx.add(
        f"{what}-deprecated" if b.deprecated else f"{what}-undeprecated",
        scope.subject,
        f"{scope.subject} is {state}",
        scope.new_ptr,
        "new",
        {lang: Impact("compatible", f"{scope.ref(lang, b.name)} is {state}") for lang in LANGS},
        ("compatible", state),
    )


def _read_only_rule(ctx: Ctx, scope: Scope, a: Field, b: Field) -> None:
    """readOnly: the value is only in responses. It matters where the model is sent."""
    if a.read_only == b.read_only:
        return
    d = scope.direction
    state = "read-only" if b.read_only else "no longer read-only"
    wire: tuple[Severity, str]
    if d in ("in", "both"):
        if b.read_only:
            impacts = {
                lang: Impact("breaking", f"{scope.ref(lang, b.name)}: the server ignores it in requests") for lang in LANGS
            }
            wire = ("breaking", "older releases send it; the server ignores it")
        else:
            impacts = {lang: Impact("compatible", f"{scope.ref(lang, b.name)} can now be sent") for lang in LANGS}
            wire = ("compatible", "older releases do not send it")
    else:
        impacts = _all("internal", "responses carry it as before")
        wire = ("internal", "only read")
    ctx.add("field-read-only-changed", scope.subject, f"{scope.subject} is {state}", scope.new_ptr, "new", impacts, wire)


def _write_only_rule(ctx: Ctx, scope: Scope, a: Field, b: Field) -> None:
    """writeOnly: the value is only in requests. It matters where the model is read."""
    if a.write_only == b.write_only:
        return
    d = scope.direction
    state = "write-only" if b.write_only else "no longer write-only"
    wire: tuple[Severity, str]
    if d in ("out", "both", "none"):
        if b.write_only:
            impacts = {
                lang: Impact("breaking", f"{scope.ref(lang, b.name)}: responses no longer carry it") for lang in LANGS
            }
            wire = ("breaking", "older releases expect it in responses")
        else:
            impacts = {lang: Impact("compatible", f"{scope.ref(lang, b.name)}: responses now carry it") for lang in LANGS}
            wire = ("compatible", "older releases keep it as read")
    else:
        impacts = _all("internal", "requests send it as before")
        wire = ("internal", "only sent")
    ctx.add("field-write-only-changed", scope.subject, f"{scope.subject} is {state}", scope.new_ptr, "new", impacts, wire)


def _recursive_rule(ctx: Ctx, scope: Scope, a: Model, b: Model) -> None:
    """A model joins or leaves a reference cycle. Go declares a response model's field as
    a pointer when its model holds the owner by value, directly or not (a value type
    cannot contain itself); Python and TypeScript refer to types by name either way."""
    if a.recursive == b.recursive:
        return

    def on_cycle(ir: IR, owner: str, target: str) -> bool:
        seen: set[str] = set()
        todo = [target]
        while todo:
            name = todo.pop()
            if name == owner:
                return True
            if name not in seen:
                seen.add(name)
                m = ir.models.get(name)
                todo += [
                    f.type.ref
                    for f in (m.fields if m else [])
                    if f.type.kind == "model" and not f.type.nullable and f.type.ref
                ]
        return False

    def pointered(ir: IR, m: Model) -> set[str]:
        return {
            f.wire_name
            for f in m.fields
            if f.type.kind == "model" and not f.type.nullable and on_cycle(ir, m.schema_name, f.type.ref or "")
        }

    was, now = pointered(ctx.old, a), pointered(ctx.new, b)
    kept = {f.wire_name for f in a.fields} & {f.wire_name for f in b.fields}
    moved = sorted((was ^ now) & kept)
    state = "part of a reference cycle" if b.recursive else "no longer part of a reference cycle"
    go: Impact
    if moved and scope.direction != "in":
        fields = {f.wire_name: f for f in b.fields}
        names = ", ".join(_code(f"{scope.owner['go']}.{member(fields[w].name, 'go')}") for w in moved)
        go = Impact("breaking", f"{names} {'become pointers' if b.recursive else 'are no longer pointers'}")
    else:
        go = Impact("internal", "no field changes its Go type")
    same = Impact("internal", "types refer to each other by name")
    ctx.add(
        "model-recursion-changed",
        scope.subject,
        f"{scope.subject} is {state}",
        scope.new_ptr,
        "new",
        {"python": same, "typescript": same, "go": go},
        ("internal", "same JSON"),
    )


def _model_visibility(ctx: Ctx, scope: Scope, a: Model, b: Model) -> None:
    """The IR's decision which models are public, and what each target declares (mirrored
    in surface.declared_types): a type a language stops declaring breaks it, a new one is
    compatible; a decision no target shows yet is reported as internal."""
    ir_change = (a.visibility, b.visibility) if a.visibility != b.visibility else None
    _visibility(ctx, "model", b.schema_name, a.name, b.name, ir_change)


# -- parameters -------------------------------------------------------------------------------------

_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}
# styles that write one scalar value the same way (`x=1` / `1`): only arrays and objects differ
_SCALAR_SAME = {"form", "simple", "spaceDelimited", "pipeDelimited", "deepObject"}
_SCALAR_KINDS = ("string", "integer", "number", "boolean", "enum")


def _effective_style(p: Parameter) -> tuple[str, bool]:
    style = p.style or _DEFAULT_STYLE[p.location]
    return style, p.explode if p.explode is not None else style == "form"


def _param_style(ctx: Ctx, scope: Scope, a: Parameter, b: Parameter) -> None:
    """style/explode: how the SDK writes the value into the URL, header or cookie."""
    x, y = _effective_style(a), _effective_style(b)
    if x == y:
        return  # the default written out, or left out: the same serialization
    scalar = a.type.kind in _SCALAR_KINDS and b.type.kind in _SCALAR_KINDS
    if scalar and {x[0], y[0]} <= _SCALAR_SAME:
        wire: tuple[Severity, str] = ("internal", "a single value is written the same way in both styles")
    else:
        wire = ("breaking", f"older releases write it {x[0]}{' exploded' if x[1] else ''}")
    ctx.add(
        "param-style-changed",
        scope.subject,
        f"{scope.subject} is serialized {y[0]}{', exploded' if y[1] else ''} (was {x[0]}{', exploded' if x[1] else ''})",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK writes it the new way; the argument is the same"),
        wire,
    )


def _params_required(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    """Whether the method's params object must be given: TypeScript's `params` argument
    and Go's `*Params` (nil refused); Python's arguments are keywords, each reported."""
    if a.params_required == b.params_required:
        return
    call = ctx.new_s.calls(b)
    params = {lang: type_name(b.params_name, lang) for lang in LANGS}
    impacts: dict[str, Impact] = {
        "python": Impact("internal", "keyword arguments: each required one is reported on its own")
    }
    if b.params_required:
        impacts["typescript"] = Impact("breaking", f"`{call['typescript']}` needs its `{params['typescript']}` argument")
        impacts["go"] = Impact("breaking", f"`{call['go']}` refuses a nil `*{params['go']}`")
    else:
        impacts["typescript"] = Impact(
            "compatible", f"`{call['typescript']}` may be called without `{params['typescript']}`"
        )
        impacts["go"] = Impact("compatible", f"`{call['go']}` accepts a nil `*{params['go']}`")
    ctx.add(
        "params-became-required" if b.params_required else "params-became-optional",
        _opname(b),
        f"the arguments of {_opname(b)} {'must now be given' if b.params_required else 'may now be left out'}",
        b.source,
        "new",
        impacts,
        ("internal", "what must be sent is reported per parameter and field"),
    )


# -- operations: bodies, answers, security ------------------------------------------------------------

_BODY_KIND = {
    "json": "JSON",
    "multipart": "multipart/form-data",
    "form": "a URL-encoded form",
    "binary": "raw bytes",
    "text": "text",
}


def _body_kind(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    """How the body is encoded. Between the field encodings (JSON, multipart, form) the
    arguments stay, but what a value may be changes (files, nested values, null); to or
    from bytes or text, the method takes another thing."""
    if a.kind == b.kind:
        return
    fieldish = {"json", "multipart", "form"}
    if a.kind in fieldish and b.kind in fieldish:
        text = f"its arguments are sent as {_BODY_KIND[b.kind]} (was {_BODY_KIND[a.kind]}): " + (
            "`format: binary` fields are file uploads, nested values and null are encoded as form parts"
            if b.kind == "multipart"
            else "nested values and null are no longer sent as JSON"
            if b.kind == "form"
            else "values are sent as JSON, files as strings"
        )
    else:
        text = f"it takes its body as {_BODY_KIND[b.kind]} instead of {_BODY_KIND[a.kind]}"
    ctx.add(
        "request-body-kind-changed",
        scope.subject,
        f"{scope.subject} is {_media(b)} instead of {_media(a)}",
        scope.new_ptr,
        "new",
        {lang: Impact("breaking", f"{_body_call(ctx, scope, lang)}: {text}") for lang in LANGS},
        ("breaking", f"older releases send {_media(a)}"),
    )


def _media(body: Body) -> str:
    what = _BODY_KIND[body.kind]
    return what if what == body.content_type else f"{what} ({body.content_type})"


def _body_call(ctx: Ctx, scope: Scope, lang: str) -> str:
    """The method a body scope ("<operation> body") belongs to, as `lang` calls it."""
    key = scope.subject.rsplit(" ", 1)[0]
    op = next((o for o in ctx.new.operations if _opname(o) == key), None)
    return _code(ctx.new_s.call(op, lang)) if op else key


def _body_content_types(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    """The other media types the spec offers for the body: the SDK sends one
    (`content_type`, compared on its own), so the rest is documentation."""
    if a.kind != b.kind:
        return
    chosen = {a.content_type, b.content_type}
    x, y = set(a.content_types) - chosen, set(b.content_types) - chosen
    if x == y:
        return
    detail = "; ".join(
        p for p in (f"added {sorted(y - x)}" if y - x else "", f"removed {sorted(x - y)}" if x - y else "") if p
    )
    ctx.add(
        "request-media-types-changed",
        scope.subject,
        f"{scope.subject}: the media types the server accepts changed ({detail})",
        scope.new_ptr,
        "new",
        _all("internal", f"the SDK sends {b.content_type} as before"),
        ("internal", f"older releases send {a.content_type}, which the server still accepts"),
    )


def _body_type(ctx: Ctx, scope: Scope, a: Body, b: Body) -> None:
    """A body that is no model (an array, bytes, text, a union) is the argument itself; a
    model body is compared field by field (Body.fields)."""
    if a.kind != b.kind or (a.schema_name and b.schema_name):
        return
    ta, tb = ctx.norm(a.type), b.type
    if relation(ta, tb) is None:
        return
    if a.schema_name or b.schema_name:
        ctx.add(
            "request-body-type-changed",
            scope.subject,
            f"{scope.subject} is now {_describe(b.type)} (was {_describe(a.type)})",
            scope.new_ptr,
            "new",
            _all("breaking", f"the method takes {'its body fields' if b.schema_name else 'the body as one value'} instead"),
            ("breaking", "older releases send the old body"),
        )
        return
    holder = Field(name=Names.of("body"), wire_name="body", type=tb or TypeRef(kind="any"), required=True)
    old_holder = holder.model_copy(update={"type": a.type or TypeRef(kind="any")})
    _type_rule(ctx, scope, old_holder, holder)


def _body_switch(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    """The body property a JSON-or-SSE method sends itself (`stream: true`)."""
    x, y = a.body_switch, b.body_switch
    if x == y:
        return
    def spell(s: BodySwitch) -> str:
        return f"`{s.field}: {json_value(s.value)}`"

    wire: tuple[Severity, str]
    if x is not None and y is not None:
        text = f"the method sends {spell(y)} itself (was {spell(x)})"
        wire = ("breaking", f"older releases send {spell(x)}")
    elif y is not None:
        text = f"the method now sends {spell(y)} itself"
        wire = ("compatible", "older releases send what their caller gave")
    else:
        assert x is not None
        text = f"the method no longer sends {spell(x)}"
        wire = ("compatible", f"older releases send {spell(x)}, which the server reads as before")
    ctx.add("body-switch-changed", _opname(b), f"{_opname(b)}: {text}", b.source, "new", _all("internal", text), wire)


def json_value(v: Any) -> str:
    return "true" if v is True else "false" if v is False else "null" if v is None else repr(v)


def _accept(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    """The Accept header a method sends when the spec offers several media types."""
    if a.accept == b.accept:
        return
    text = f"the method sends `Accept: {b.accept}`" if b.accept else "the method no longer asks for a media type"
    twin = next((o for o in ctx.new.operations if b.pair and _opname(o) == b.pair), None)
    offered = {b.result.content_type} | ({twin.result.content_type} if twin else set())
    wire: tuple[Severity, str]
    if a.accept is None:
        wire = ("compatible", "older releases ask for nothing and read the server's default answer")
    elif a.accept in offered:
        wire = ("compatible", f"the server still answers {a.accept}")
    else:
        wire = ("breaking", f"older releases ask for {a.accept}, which the server no longer answers")
    ctx.add(
        "accept-changed",
        _opname(b),
        f"{_opname(b)}: {text} (was {a.accept or 'none'})",
        b.source,
        "new",
        _all("internal", text),
        wire,
    )


def _success_statuses(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    """The other 2xx responses the spec documents (the one the SDK reads is Result.status)."""
    chosen = {a.result.status, b.result.status}
    x, y = set(a.success_statuses) - chosen, set(b.success_statuses) - chosen
    if x == y:
        return
    ctx.add(
        "success-statuses-changed",
        _opname(b),
        f"{_opname(b)} documents success responses {sorted(set(b.success_statuses))} (was {sorted(set(a.success_statuses))})",
        b.source,
        "new",
        _all("internal", "every 2xx is a success"),
        ("compatible" if y - x else "internal", "older releases take any 2xx as a success"),
    )


def _error_bodies(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    """The JSON body of each documented error response. Every SDK raises by status and
    keeps the body as read (untyped); a new status is Operation.error_statuses' change."""
    moved = {str(c) for c in set(a.error_statuses) ^ set(b.error_statuses)}
    for key in sorted(set(a.error_bodies) | set(b.error_bodies)):
        if key in moved:
            continue
        x, y = ctx.norm(a.error_bodies.get(key)), b.error_bodies.get(key)
        if x == y:
            continue
        side: Literal["old", "new"] = "old" if y is None else "new"
        op = a if y is None else b
        kind = "error-body-added" if x is None else "error-body-removed" if y is None else "error-body-changed"
        ctx.add(
            kind,
            f"{_opname(b)} {key}",
            f"{_opname(b)}: the body of error response {key} is now {_describe(y)} (was {_describe(x)})",
            ctx.ptr(side, f"{op.source}/responses/{key}", op.source),
            side,
            _all("internal", "errors are raised by status; their body stays reachable as read"),
            ("internal", "older releases read error bodies untyped"),
        )


def _alternatives(ctx: Ctx, op: Operation, is_old: bool) -> frozenset[frozenset[str]]:
    if not op.security:
        return frozenset({frozenset()})
    rename = ctx.auth_renames if is_old else {}
    return frozenset(frozenset(rename.get(k, k) for k in alt) for alt in op.security)


def _op_security(ctx: Ctx, scope: Scope, a: Operation, b: Operation) -> None:
    x, y = _alternatives(ctx, a, True), _alternatives(ctx, b, False)
    if x != y:
        ctx.security.append((a, b, x, y))


def _spell_alts(alts: frozenset[frozenset[str]]) -> str:
    return " or ".join(sorted(" and ".join(sorted(alt)) if alt else "no credentials" for alt in alts))


def _flush_security(ctx: Ctx) -> None:
    """Security requirement changes, one per distinct change: operations that inherit the
    root `security` change together (one change at `#/security`); an operation's own
    `security` is its own change. A caller who met a requirement that is no longer
    accepted (and nothing weaker is) must supply other credentials: breaking."""
    groups: dict[tuple[Any, ...], list[tuple[Operation, Operation]]] = {}
    for a, b, x, y in ctx.security:
        own = ctx.new_loc.exists(f"{b.source}/security") or ctx.old_loc.exists(f"{a.source}/security")
        groups.setdefault((x, y, _opname(b) if own else ""), []).append((a, b))
    for (x, y, own), ops in groups.items():
        lost = [alt for alt in x if not any(n <= alt for n in y)]
        sev: Severity = "breaking" if lost else "compatible"
        names = ", ".join(_opname(b) for _, b in ops)
        if own:
            b = ops[0][1]
            loc = ctx.ptr("new", f"{b.source}/security", b.source)
        else:
            loc = ctx.ptr("new", "#/security", "#/components/securitySchemes", "#")
        what = f"calls need {_spell_alts(y)} (was {_spell_alts(x)})"
        first = {lang: ctx.new_s.call(ops[0][1], lang) for lang in LANGS}
        more = f" and {len(ops) - 1} more" if len(ops) > 1 else ""
        ctx.add(
            "operation-security-changed",
            own or f"root security ({len(ops)} operations)",
            f"the credentials {names} accept changed: {what}",
            loc,
            "new",
            {lang: Impact(sev, f"`{first[lang]}`{more}: {what}") for lang in LANGS},
            (
                sev,
                "older releases send credentials the server no longer accepts here"
                if lost
                else "older releases' credentials still work",
            ),
        )


# -- auth ------------------------------------------------------------------------------------------------


def _auth_option(ctx: Ctx, s: AuthScheme, lang: str) -> str:
    client = type_name(ctx.new.sdk.name, lang)
    m = member(s.name, lang)
    return {
        "python": f"`{client}({m}=…)`",
        "typescript": f"`new {client}({{ {m} }})`",
        "go": f"`NewClient(…)` credential `{m}`",
    }[lang]


def _auth_how(s: AuthScheme) -> str:
    if s.kind == "mutual_tls":
        return "a client certificate (configured on the HTTP client)"
    if s.kind == "basic":
        return f"HTTP basic credentials in `{s.param}`"
    what = {
        "api_key": "an API key",
        "bearer": "a bearer token",
        "oauth2": "an OAuth2 token",
        "openid": "an OpenID Connect token",
    }[s.kind]
    where = {"header": "header", "query": "query parameter", "cookie": "cookie", "transport": "transport"}[s.location]
    prefix = f" prefixed `{s.prefix.strip()}`" if s.prefix else ""
    return f"{what} in {where} `{s.param}`{prefix}"


def _auth_sig(s: AuthScheme) -> tuple[str, str, str, str]:
    return (s.kind, s.location, s.param, s.prefix)


def _pair_auth(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.auth, ctx.new.auth, lambda s: s.key)
    renamed, removed, added = _pair(removed, added, lambda s, is_old: _auth_sig(s))
    for a, b in renamed:
        ctx.auth_renames[a.key] = b.key
    ctx.pairings["auth"] = (pairs, removed, added, renamed)


def _ir_auth(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added, renamed = ctx.pairings["auth"]
    for s in removed:
        ctx.add(
            "auth-removed",
            s.key,
            f"security scheme {s.key} ({_auth_how(s)}) was removed",
            ctx.ptr("old", s.source, "#/components/securitySchemes"),
            "old",
            {lang: Impact("breaking", f"{_auth_option(ctx, s, lang)} is gone") for lang in LANGS},
            ("breaking", "older releases send credentials the server no longer reads"),
        )
    for s in added:
        ctx.add(
            "auth-added",
            s.key,
            f"security scheme {s.key} ({_auth_how(s)}) was added",
            ctx.ptr("new", s.source, "#/components/securitySchemes"),
            "new",
            {
                lang: Impact(
                    "compatible", f"new {_auth_option(ctx, s, lang)} ({', '.join(s.env) or 'no environment variable'})"
                )
                for lang in LANGS
            },
            ("compatible", "older releases do not send it; operations that require it are reported on their own"),
        )
    for a, b in renamed:
        ctx.add(
            "auth-key-changed",
            f"{a.key} -> {b.key}",
            f"security scheme {a.key} is now called {b.key} (sent the same way)",
            ctx.ptr("new", b.source, "#/components/securitySchemes"),
            "new",
            _all("internal", "the key is the spec's name for it"),
            ("internal", "the same credentials on the wire"),
        )
    for a, b in pairs + renamed:
        sc = Scope(b.key, a.source, ctx.ptr("new", b.source, "#/components/securitySchemes"))
        compare_object(ctx, sc, a, b, skip={"key"})


def _auth_sending(ctx: Ctx, scope: Scope, a: AuthScheme, b: AuthScheme) -> None:
    """kind, location, param and prefix together: how the credential is sent."""
    if _auth_sig(a) == _auth_sig(b):
        return
    x, y = _auth_how(a), _auth_how(b)
    text = f"the SDK sends {y} instead of {x}"
    if a.kind != b.kind:
        text += f"; a credential issued for the old scheme ({a.kind}) may not be accepted"
    ctx.add(
        "auth-changed",
        scope.subject,
        f"security scheme {scope.subject}: {text}",
        scope.new_ptr,
        "new",
        {
            lang: Impact("breaking", f"{_auth_option(ctx, b, lang)}: {text}; credentials set as headers by hand break")
            for lang in LANGS
        },
        ("breaking", f"older releases send {x}"),
    )


def _auth_names(ctx: Ctx, scope: Scope, a: AuthScheme, b: AuthScheme) -> None:
    impacts = {}
    for lang in LANGS:
        x, y = _auth_option(ctx, a, lang), _auth_option(ctx, b, lang)
        impacts[lang] = Impact("internal", f"still {y}") if x == y else Impact("breaking", f"{x} is now {y}")
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "auth-option-renamed",
            scope.subject,
            f"the client option of security scheme {scope.subject} was renamed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "names are not on the wire"),
        )


def _auth_env(ctx: Ctx, scope: Scope, a: AuthScheme, b: AuthScheme) -> None:
    """The environment variables the client reads; a change of the SDK's env prefix is
    reported once, by SdkInfo.env_prefix."""
    po, pn = ctx.old.sdk.env_prefix, ctx.new.sdk.env_prefix
    x = [pn + v[len(po) :] if v.startswith(po) else v for v in a.env]
    if x == b.env:
        return
    ctx.add(
        "auth-env-changed",
        scope.subject,
        f"security scheme {scope.subject} is read from {b.env or 'no environment variable'} (was {a.env or 'none'})",
        scope.new_ptr,
        "new",
        _all(
            "breaking",
            f"the client reads {', '.join(b.env) or 'no environment variable'} instead of {', '.join(a.env) or 'none'}",
        ),
        ("internal", "not on the wire"),
    )


# -- unions ------------------------------------------------------------------------------------------------


def _variant_key(ctx: Ctx, v: UnionVariant, is_old: bool) -> str:
    return repr(ctx.norm(v.type) if is_old else v.type)


def _pair_unions(ctx: Ctx) -> None:
    pairs, removed, added = _match(ctx.old.unions.values(), ctx.new.unions.values(), lambda u: u.schema_name)

    def sig(u: Union, is_old: bool) -> Any:
        return (u.keyword, u.discriminator, tuple(sorted(_variant_key(ctx, v, is_old) for v in u.variants)))

    renamed, removed, added = _pair(removed, added, sig)
    for a, b in renamed:
        ctx.union_renames[a.schema_name] = b.schema_name
    ctx.pairings["unions"] = (pairs, removed, added, renamed)


def _union_ptr(ctx: Ctx, u: Union, side: str) -> str:
    loc = ctx.old_loc if side == "old" else ctx.new_loc
    return ctx.ptr(side, u.source, loc.schema(u.schema_name))


def _ir_unions(ctx: Ctx, scope: Scope, old: IR, new: IR) -> None:
    pairs, removed, added, renamed = ctx.pairings["unions"]
    for u in removed:
        ctx.add(
            "union-removed",
            u.schema_name,
            f"union {u.schema_name} was removed",
            _union_ptr(ctx, u, "old"),
            "old",
            {
                lang: Impact("breaking", f"type {_code(type_name(u.name, lang))} is gone")
                if u.schema_name in ctx.unions_old[lang]
                else Impact("internal", "was not a public type")
                for lang in LANGS
            },
            ("internal", "schemas are not on the wire; what used it is reported where it is used"),
        )
    for u in added:
        ctx.add(
            "union-added",
            u.schema_name,
            f"union {u.schema_name} was added",
            _union_ptr(ctx, u, "new"),
            "new",
            {
                lang: Impact("compatible", f"new type {_code(type_name(u.name, lang))}")
                if u.schema_name in ctx.unions_new[lang]
                else Impact("internal", "not a public type")
                for lang in LANGS
            },
            ("internal", "schemas are not on the wire; what uses it is reported where it is used"),
        )
    for a, b in renamed:
        ctx.add(
            "union-renamed",
            f"{a.schema_name} -> {b.schema_name}",
            f"union {a.schema_name} was renamed {b.schema_name} (same variants: the wire is unchanged)",
            _union_ptr(ctx, b, "new"),
            "new",
            _type_change_impacts(
                ctx,
                {lang: (a.name, b.name) for lang in LANGS},
                ctx.unions_old,
                ctx.unions_new,
                a.schema_name,
                b.schema_name,
                "union",
            ),
            ("internal", "same values on the wire"),
        )
    for a, b in pairs + renamed:
        direction = worst_direction(ctx.direction(a.schema_name), ctx.direction(b.schema_name))
        sc = Scope(
            b.schema_name,
            _union_ptr(ctx, a, "old"),
            _union_ptr(ctx, b, "new"),
            direction="out" if direction == "none" else direction,
            role="in" if direction == "in" else "out",
            owner={lang: type_name(b.name, lang) for lang in LANGS},
        )
        first = len(ctx.changes)
        compare_object(ctx, sc, a, b, skip={"schema_name", "name"} if a.schema_name != b.schema_name else ())
        # only where the union is declared; nothing on the wire where nothing uses it
        declared = {lang for lang in LANGS if a.schema_name in ctx.unions_old[lang] or b.schema_name in ctx.unions_new[lang]}
        for i in range(first, len(ctx.changes)):
            c = ctx.changes[i]
            impacts = dict(c.impacts)
            for lang in LANGS:
                if lang not in declared and impacts[lang].severity != "internal":
                    impacts[lang] = Impact("internal", f"{b.schema_name} is not a public type in this SDK")
            if direction == "none" and impacts["wire"].severity != "internal":
                impacts["wire"] = Impact("internal", "no operation or event uses this union")
            if impacts != c.impacts:
                ctx.changes[i] = dataclasses.replace(c, impacts=impacts)


def _union_names(ctx: Ctx, scope: Scope, a: Union, b: Union) -> None:
    impacts = _names_change(a.name, b.name, type_name)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "union-type-renamed",
            scope.subject,
            f"the type name of union {scope.subject} changed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "names are not on the wire"),
        )


def _union_keyword(ctx: Ctx, scope: Scope, a: Union, b: Union) -> None:
    """oneOf (exactly one variant fits) or anyOf (any may): the SDKs decode the first that
    fits either way; a server validating requests refuses more under oneOf."""
    if a.keyword == b.keyword:
        return
    d = scope.direction
    if d in ("in", "both"):
        wire: tuple[Severity, str] = (
            ("breaking", "a value that fits several variants is now refused")
            if b.keyword == "oneOf"
            else ("compatible", "a value may fit several variants")
        )
    else:
        wire = ("compatible", "older releases read the first variant that fits")
    ctx.add(
        "union-keyword-changed",
        scope.subject,
        f"{scope.subject} is {_an(b.keyword)} (was {_an(a.keyword)})",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK decodes the first variant that fits, as before"),
        wire,
    )


def _an(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


def _union_discriminator(ctx: Ctx, scope: Scope, a: Union, b: Union) -> None:
    if a.discriminator == b.discriminator:
        return
    d = scope.direction
    wire: tuple[Severity, str]
    if a.discriminator and b.discriminator and d in ("out", "both"):
        wire = ("breaking", f"older releases pick the variant by `{a.discriminator}`")
    elif d in ("out", "both"):
        wire = ("compatible", "older releases still find a variant that fits")
    else:
        wire = ("internal", "the variants' fields are compared on their own")
    ctx.add(
        "union-discriminator-changed",
        scope.subject,
        f"{scope.subject} is told apart by {b.discriminator or 'trying each variant'} "
        f"(was {a.discriminator or 'trying each variant'})",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK picks the variant the new way"),
        wire,
    )


def _union_variants(ctx: Ctx, scope: Scope, a: Union, b: Union) -> None:
    """Variants match by their type (renamed schemas followed). Like enum values: a removed
    variant breaks the code that matches it; a new one is compatible for code, and on the
    wire a request may now carry more, a response may carry what older releases cannot
    place (the value then reads as absent, its raw JSON kept: RUNTIME.md)."""
    ok = {_variant_key(ctx, v, True): v for v in a.variants}
    nk = {_variant_key(ctx, v, False): v for v in b.variants}
    pairs = [(ok[k], nk[k]) for k in ok if k in nk]
    removed = [ok[k] for k in ok if k not in nk]
    added = [nk[k] for k in nk if k not in ok]
    d = scope.direction

    def ptr(u: Union, v: UnionVariant, side: str) -> str:
        loc = ctx.old_loc if side == "old" else ctx.new_loc
        ref = v.type.ref if v.type.kind in ("model", "enum") else None
        return loc.variant(_union_ptr(ctx, u, side), u.keyword, ref, u.variants.index(v))

    for v in removed:
        ctx.add(
            "union-variant-removed",
            f"{scope.subject} {v.name.original}",
            f"variant {v.name.original} of {scope.subject} was removed",
            ptr(a, v, "old"),
            "old",
            {
                lang: Impact(
                    "breaking", f"{_code(scope.owner[lang])} no longer holds {_code(_variant_text(ctx, v, lang, True))}"
                )
                for lang in LANGS
            },
            ("compatible", "older releases never receive it again")
            if d == "out"
            else ("breaking", "older releases may send it; the server refuses it"),
        )
    for v in added:
        ctx.add(
            "union-variant-added",
            f"{scope.subject} {v.name.original}",
            f"variant {v.name.original} was added to {scope.subject}",
            ptr(b, v, "new"),
            "new",
            {
                lang: Impact(
                    "compatible", f"{_code(scope.owner[lang])} may hold {_code(_variant_text(ctx, v, lang, False))}"
                )
                for lang in LANGS
            },
            ("compatible", "older releases never send it")
            if d == "in"
            else ("breaking", "older releases place no variant on it: the value reads as absent (raw JSON kept)"),
        )
    for x, y in pairs:
        sub = Scope(f"{scope.subject} {y.name.original}", ptr(a, x, "old"), ptr(b, y, "new"), direction=d, owner=scope.owner)
        compare_object(ctx, sub, x, y, skip={"type"})


def _variant_text(ctx: Ctx, v: UnionVariant, lang: str, old: bool) -> str:
    return ctx.text(v.type, lang, old=old)


def _variant_name(ctx: Ctx, scope: Scope, a: UnionVariant, b: UnionVariant) -> None:
    """The variant's own name (the Go accessor, the TS alias) for non-schema variants; a
    schema variant is named by its schema, whose rename is the model's change."""
    if a.type.kind in ("model", "enum"):
        return
    impacts = _names_change(a.name, b.name, type_name)
    if any(i.severity != "internal" for i in impacts.values()):
        ctx.add(
            "union-variant-renamed",
            scope.subject,
            f"variant {scope.subject} was renamed",
            scope.new_ptr,
            "new",
            impacts,
            ("internal", "names are not on the wire"),
        )


def _variant_tags(ctx: Ctx, scope: Scope, a: UnionVariant, b: UnionVariant) -> None:
    """The discriminator values selecting a variant: like enum values of that property."""
    d = scope.direction
    for t in [t for t in a.tags if t not in b.tags]:
        ctx.add(
            "union-tag-removed",
            f"{scope.subject} {t!r}",
            f"{t!r} no longer selects {scope.subject}",
            scope.old_ptr,
            "old",
            _all("breaking", f"code matching {t!r} sees it no more"),
            ("compatible", "older releases never receive it again")
            if d == "out"
            else ("breaking", "older releases may send it"),
        )
    for t in [t for t in b.tags if t not in a.tags]:
        ctx.add(
            "union-tag-added",
            f"{scope.subject} {t!r}",
            f"{t!r} now selects {scope.subject}",
            scope.new_ptr,
            "new",
            _all("compatible", f"values tagged {t!r} read as this variant"),
            ("compatible", "older releases never send it") if d == "in" else ("breaking", "older releases cannot place it"),
        )


# -- streams: how they end and what they mean --------------------------------------------------------------


def _stream_calls(ctx: Ctx, s: EventStream, lang: str) -> str:
    ops = [o for o in ctx.new.operations if _opname(o) in s.operations]
    if not ops:
        return _code(_stream_type(s.name, lang))
    return ", ".join(_code(ctx.new_s.call(o, lang)) for o in ops)


def _stream_ptr(ctx: Ctx, scope: Scope, s: EventStream) -> str:
    """Where the stream's decisions are written: `x-sdk-stream` on the schema or on the
    media type (whose `schema` the stream's source may be), else the stream itself."""
    media = s.source[: -len("/schema")] if s.source.endswith("/schema") else ""
    return ctx.ptr("new", f"{s.source}/x-sdk-stream", media and f"{media}/x-sdk-stream", s.source, scope.new_ptr)


def _ev(ctx: Ctx, b: EventStream, name: str | None) -> str | None:
    """An old event name, as the new stream calls it (renamed events followed)."""
    return ctx.event_renames.get(b.schema_name, {}).get(name, name) if name is not None else None


def _stream_change(
    ctx: Ctx, scope: Scope, b: EventStream, kind: str, message: str, langs: tuple[Severity, str], wire: tuple[Severity, str]
) -> None:
    ctx.add(
        kind,
        scope.subject,
        f"{scope.subject}: {message}",
        _stream_ptr(ctx, scope, b),
        "new",
        {lang: Impact(langs[0], f"streams of {_stream_calls(ctx, b, lang)}: {langs[1]}") for lang in LANGS},
        wire,
    )


def _stream_dispatch(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """How an event is recognised: by `event:`, by a property of the data, or every frame
    is the one event. The event types are compared one by one."""
    x, y = (a.dispatch, a.data_property), (b.dispatch, b.data_property)
    if x == y:
        return
    def spell(d: str, p: str | None) -> str:
        if d == "event":
            return "the SSE `event:` field"
        return f"the data's `{p}`" if d == "property" else "none: every frame is the one event"

    _stream_change(
        ctx,
        scope,
        b,
        "stream-dispatch-changed",
        f"events are told apart by {spell(*y)} (was {spell(*x)})",
        ("internal", "the SDK recognises events the new way"),
        ("breaking", f"older releases tell events apart by {spell(*x)}"),
    )


def _stream_sentinel(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """The data that ends a stream cleanly (`[DONE]`), not an event."""
    x, y = a.sentinel, b.sentinel
    if x == y:
        return
    if x is None:
        kind, msg = "stream-sentinel-added", f"the data `{y}` now ends the stream cleanly"
        langs: tuple[Severity, str] = ("compatible", f"end cleanly at `{y}` too")
        wire: tuple[Severity, str] = (
            "breaking",
            f"older releases read `{y}` as an event's data, which is not JSON: an error",
        )
    elif y is None:
        kind, msg = "stream-sentinel-removed", f"the data `{x}` no longer ends the stream"
        langs = ("breaking", f"no longer end at `{x}` (a `{x}` frame is now an error); they end {_ends(b)}")
        wire = ("breaking", f"older releases wait for `{x}`")
    else:
        kind, msg = "stream-sentinel-changed", f"the stream ends at the data `{y}` (was `{x}`)"
        langs = ("breaking", f"end at `{y}`, and a `{x}` frame is now an error")
        wire = ("breaking", f"older releases wait for `{x}` and fail on `{y}`")
    _stream_change(ctx, scope, b, kind, msg, langs, wire)


def _ends(s: EventStream) -> str:
    ways = []
    if s.terminal_events:
        ways.append("at " + " or ".join(f"`{e}`" for e in s.terminal_events))
    if s.sentinel is not None:
        ways.append(f"at `{s.sentinel}`")
    if s.eof_ends:
        ways.append("when the connection closes")
    return ", ".join(ways) or "never cleanly"


def _stream_eof(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """Whether the connection closing ends the stream cleanly (else: a StreamError)."""
    if a.eof_ends == b.eof_ends:
        return
    if b.eof_ends:
        _stream_change(
            ctx,
            scope,
            b,
            "stream-eof-ends-changed",
            "the connection closing now ends the stream cleanly",
            ("compatible", "a closed connection ends them cleanly instead of raising a stream error"),
            ("breaking", "older releases raise a stream error when the server closes without a terminal event"),
        )
    else:
        _stream_change(
            ctx,
            scope,
            b,
            "stream-eof-ends-changed",
            "the connection closing no longer ends the stream cleanly",
            ("breaking", f"a connection that closes before they end ({_ends(b)}) now raises a stream error"),
            ("compatible", "older releases end cleanly when the connection closes, as before"),
        )


def _stream_success(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """The terminal event of a successful end: what a finished stream's result is read from."""
    x, y = _ev(ctx, b, a.success_event), b.success_event
    if x == y:
        return
    if x is None:
        _stream_change(
            ctx,
            scope,
            b,
            "stream-success-changed",
            f"`{y}` now marks a successful end",
            ("compatible", f"a stream that ends at `{y}` is a success, and its result is read from it"),
            ("compatible", "older releases judge the end as before"),
        )
        return
    now = f"`{y}`" if y else "no event"
    _stream_change(
        ctx,
        scope,
        b,
        "stream-success-changed",
        f"{now} marks a successful end (was `{a.success_event}`)",
        ("breaking", f"succeed at {now} instead of `{x}`: what the finished stream returns changes"),
        ("breaking", f"older releases take `{a.success_event}` as the success"),
    )


def _stream_failure(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """Terminal events that end a stream in an error. An event that is new, gone, or became
    (non-)terminal is reported as such; here: kept terminal events that changed meaning."""
    old_events = {ctx.event_renames.get(b.schema_name, {}).get(e.event, e.event): e for e in a.events}
    new_events = {e.event: e for e in b.events}
    kept = {n for n in old_events if n in new_events and old_events[n].terminal == new_events[n].terminal}
    x = {n for n in (_ev(ctx, b, e) for e in a.failure_events) if n is not None} & kept
    y = set(b.failure_events) & kept
    if x == y:
        return
    parts = [f"`{e}` now ends it in an error" for e in sorted(y - x)] + [
        f"`{e}` no longer ends it in an error" for e in sorted(x - y)
    ]
    _stream_change(
        ctx,
        scope,
        b,
        "stream-failure-changed",
        "; ".join(parts),
        ("breaking", "; ".join(parts) + " (a stream error is raised, or no longer)"),
        ("breaking", "older releases judge those events the old way"),
    )


def _path_text(event: str | None, path: list[Any]) -> str:
    return f"`{event or ''}{''.join(f'[{p}]' if isinstance(p, int) else f'.{p}' for p in path)}`"


def _stream_text(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """Which event carries a piece of the text a finished stream collects (Python's
    `until_done().text`): the issue 13 example, a new event silently emptying it."""
    x = (_ev(ctx, b, a.text_delta.event), list(a.text_delta.path)) if a.text_delta else None
    y = (b.text_delta.event, list(b.text_delta.path)) if b.text_delta else None
    if x == y:
        return
    wire: tuple[Severity, str] = ("internal", "how the SDK collects text; the frames are the same")
    if x is None:
        assert y is not None
        _stream_change(
            ctx,
            scope,
            b,
            "text-delta-added",
            f"the text is collected from {_path_text(*y)}",
            ("compatible", f"the finished stream's text now collects {_path_text(*y)}"),
            wire,
        )
    elif y is None:
        _stream_change(
            ctx,
            scope,
            b,
            "text-delta-removed",
            f"no event carries the text any more (was {_path_text(*x)})",
            ("breaking", "the finished stream's text is now empty"),
            wire,
        )
    else:
        _stream_change(
            ctx,
            scope,
            b,
            "text-delta-changed",
            f"the text is collected from {_path_text(*y)} (was {_path_text(*x)})",
            ("breaking", f"the finished stream's text collects {_path_text(*y)} instead of {_path_text(*x)}"),
            wire,
        )


def _value_path(key: str) -> Compare:
    def fn(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
        va: ValuePath | None = getattr(a, key)
        vb: ValuePath | None = getattr(b, key)
        x = (_ev(ctx, b, va.event), list(va.path)) if va else None
        y = (vb.event, list(vb.path)) if vb else None
        keys_x, keys_y = (list(va.text_keys) if va else []), (list(vb.text_keys) if vb else [])
        if x == y and keys_x == keys_y:
            return
        wire: tuple[Severity, str] = ("internal", f"how the SDK reads the {key}; the frames are the same")
        if x is None:
            assert y is not None
            langs: tuple[Severity, str] = ("compatible", f"the finished stream's `{key}` is read from {_path_text(*y)}")
        elif y is None:
            langs = (
                "breaking",
                f"the finished stream no longer has {'an' if key[0] in 'aeiou' else 'a'} `{key}` (was {_path_text(*x)})",
            )
        elif x != y:
            langs = ("breaking", f"the finished stream's `{key}` is read from {_path_text(*y)} instead of {_path_text(*x)}")
        elif keys_y[: len(keys_x)] == keys_x:
            langs = ("compatible", f"the `{key}` text also reads keys {keys_y[len(keys_x) :]!r}")
        else:
            langs = ("breaking", f"the `{key}` text reads keys {keys_y!r} instead of {keys_x!r}")
        _stream_change(ctx, scope, b, f"stream-{key}-changed", langs[1], langs, wire)

    return Compare(
        why=f"what a finished stream's result exposes as `{key}`: gained compatible, lost or moved breaking", fn=fn
    )


def _stream_resume(ctx: Ctx, scope: Scope, a: EventStream, b: EventStream) -> None:
    """How a broken stream resumes (automatically, by the SDK). Gained: compatible; lost:
    breaking; a changed route is the SDK's business unless fewer events can start it."""
    x, y = a.resume, b.resume
    if x is None and y is None:
        return
    if x is None:
        assert y is not None
        _stream_change(
            ctx,
            scope,
            b,
            "stream-resume-added",
            f"a broken stream now resumes through {y.operation_id}",
            ("compatible", f"a broken connection now resumes through {y.operation_id} instead of raising"),
            ("internal", "older releases raise as before"),
        )
        return
    if y is None:
        _stream_change(
            ctx,
            scope,
            b,
            "stream-resume-removed",
            f"a broken stream no longer resumes (was through {x.operation_id})",
            ("breaking", "a broken connection now raises instead of resuming"),
            ("compatible", f"older releases resume through {x.operation_id} while the server serves it"),
        )
        return
    route_x = (ctx.op_renames.get(x.key, x.key), x.header.lower(), sorted((r.param, r.field) for r in x.bindings))
    route_y = (y.key, y.header.lower(), sorted((r.param, r.field) for r in y.bindings))
    carriers_x = {_ev(ctx, b, e) for e in x.carriers}
    lost = sorted(c for c in carriers_x - set(y.carriers) if c)
    if route_x == route_y and not lost and carriers_x == set(y.carriers):
        return
    langs: tuple[Severity, str] = (
        (
            "breaking",
            f"a stream broken before {' or '.join(f'`{c}`' for c in sorted(y.carriers)) or 'any event'} "
            "arrives no longer resumes",
        )
        if lost
        else ("internal", "resuming stays automatic")
    )
    wire: tuple[Severity, str] = (
        (
            "breaking",
            f"older releases resume through {x.operation_id} ({x.header}, {[(r.param, r.field) for r in x.bindings]})",
        )
        if route_x != route_y
        else ("internal", "the same route")
    )
    _stream_change(
        ctx,
        scope,
        b,
        "stream-resume-changed",
        f"a broken stream resumes through {y.operation_id} ({y.header}; from {sorted(y.carriers)})",
        langs,
        wire,
    )


# -- events: their data --------------------------------------------------------------------------------------


def _event_data_type(ctx: Ctx, scope: Scope, a: EventType, b: EventType) -> None:
    """What `data:` decodes to when it is no model (a string, an array...); a model's
    fields are EventType.fields."""
    if a.data_schema and b.data_schema:
        return
    ta, tb = ctx.norm(a.data_type), b.data_type
    if relation(ta, tb) is None:
        return
    holder = Field(name=Names.of("data"), wire_name="data", type=tb or TypeRef(kind="any"), required=True)
    old_holder = holder.model_copy(update={"type": a.data_type or TypeRef(kind="any")})
    _type_rule(ctx, scope, old_holder, holder)


def _event_data_format(ctx: Ctx, scope: Scope, a: EventType, b: EventType) -> None:
    if a.data_format == b.data_format:
        return
    spell = {"json": "JSON", "text": "plain text"}
    ctx.add(
        "event-data-format-changed",
        scope.subject,
        f"{scope.subject}: its data is {spell[b.data_format]} (was {spell[a.data_format]})",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK decodes the new way; the event's type is compared on its own"),
        ("breaking", f"older releases read its data as {spell[a.data_format]}"),
    )


def _event_sse_name(ctx: Ctx, scope: Scope, a: EventType, b: EventType) -> None:
    """The `event:` name a frame must carry, where it is not the event's own name (for
    event-dispatched streams it is, and a change is the event's rename)."""
    x = None if a.sse_event in (None, a.event) else a.sse_event
    y = None if b.sse_event in (None, b.event) else b.sse_event
    checked_x, checked_y = a.sse_event is not None, b.sse_event is not None
    if (x, checked_x) == (y, checked_y) or (a.event != b.event and x is None and y is None and checked_x == checked_y):
        return
    wire: tuple[Severity, str] = (
        ("breaking", f"older releases expect `event: {a.sse_event}`")
        if checked_x
        else ("compatible", "older releases do not check it")
    )
    ctx.add(
        "event-sse-name-changed",
        scope.subject,
        f"{scope.subject}: frames carry `event: {b.sse_event}` "
        f"(was {a.sse_event and f'`event: {a.sse_event}`' or 'not checked'})",
        scope.new_ptr,
        "new",
        _all("internal", "the SDK checks the new name"),
        wire,
    )


# -- settings -------------------------------------------------------------------------------------------------


def _sdk_openapi(ctx: Ctx, scope: Scope, old: SdkInfo, new: SdkInfo) -> None:
    if old.openapi != new.openapi:
        ctx.add(
            "openapi-version-changed",
            "openapi",
            f"the document is OpenAPI {new.openapi} (was {old.openapi})",
            ctx.ptr("new", "#/openapi", "#"),
            "new",
            _all("internal", "how the spec is read; what it describes is compared on its own"),
            ("internal", "the same HTTP API"),
        )


# -- the table --------------------------------------------------------------------------------------


TABLE: dict[type[BaseModel], dict[str, Rule]] = {
    IR: {
        "sdk": Compare(why="package names, settings: see SdkInfo", fn=_ir_sdk),
        "resources": Compare(why="by tag; their operations are matched across resources by key", fn=_ir_resources),
        "models": Compare(why="by schema name; an unmatched pair with the same fields is a rename", fn=_ir_models),
        "enums": Compare(why="by schema name; an unmatched pair with the same values is a rename", fn=_ir_enums),
        "streams": Compare(why="by schema name; an unmatched pair with the same events is a rename", fn=_ir_streams),
        "diagnostics": Ignored(
            why="lint output: the report counts the new spec's errors (every dropped piece is one) in its header"
        ),
        "spec_sha256": Ignored(why="changes with every edit; recorded in the report header"),
        "unions": Compare(
            why="by schema name (an unmatched pair with the same variants is a rename); variants like enum values",
            fn=_ir_unions,
        ),
        "auth": Compare(
            why="security schemes by key: new compatible, removed or sent another way breaking (wire too)", fn=_ir_auth
        ),
        "aliases": Covered(
            by="Field.type, Parameter.type",
            why="an alias is inlined where it is used (no SDK declares it): its change is reported at every use",
        ),
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
        "auth_header": Covered(by="IR.auth", why="deprecated: the first API-key header scheme, one of IR.auth's"),
        "python_package": _sdk_leaf("python_package", "package-renamed", "the Python package", ("python",), "internal"),
        "npm_package": _sdk_leaf("npm_package", "package-renamed", "the npm package", ("typescript",), "internal"),
        "go_module": _sdk_leaf("go_module", "package-renamed", "the Go module path", ("go",), "internal"),
        "go_package": _sdk_leaf("go_package", "package-renamed", "the Go package name", ("go",), "internal"),
        "license": _sdk_internal("license", "license-changed", "the packages' license", ("license",)),
        "repository": _sdk_internal("repository", "repository-changed", "the packages' repository URL",
                                    ("x-sdk", "repository")),
        "openapi": Compare(why="the document's OpenAPI version: how it is read, internal", fn=_sdk_openapi),
    },
    AuthScheme: {
        "key": Key(why="schemes match by their securitySchemes key; an unmatched pair sent the same way is a rename"),
        "name": Compare(why="the client option (Python keyword, TS option, Go credential): renamed breaks", fn=_auth_names),
        "kind": Compare(
            why="how the credential is sent (kind, location, param, prefix): breaking in every SDK and on the wire",
            fn=_auth_sending,
        ),
        "location": Covered(by="AuthScheme.kind", why="part of how the credential is sent, one change"),
        "param": Covered(by="AuthScheme.kind", why="part of how the credential is sent, one change"),
        "prefix": Covered(by="AuthScheme.kind", why="part of how the credential is sent, one change"),
        "bearer_format": Prose(why="a hint for documentation (`JWT`): doc comments"),
        "env": Compare(why="the environment variables the client reads (beyond the env prefix): breaking", fn=_auth_env),
        "description": Prose(why="doc comments"),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    Resource: {
        "tag": Key(why="resources match by tag"),
        "name": Covered(
            by="Operation.name", why="the accessor is part of each operation's call (client.<resource>.<method>)"
        ),
        "description": Prose(why="doc comments"),
        "operations": Covered(by="IR.resources", why="matched across resources by key, so a move is one change"),
        "conversation": Compare(why="x-sdk-conversation: the conversation helper's presence, methods and bindings",
                                fn=_resource_conversation),
    },
    Conversation: {
        **{k: Covered(by="Resource.conversation", why="compared as one helper")
           for k in ("open_method", "load_method", "create", "send", "stream", "history", "get", "delete",
                     "session_param", "session_id_field", "text_field", "create_fields", "usage_fields",
                     "cost_field")},
        "source": Ignored(why="a JSON pointer (bookkeeping)"),
    },
    Operation: {
        "operation_id": Covered(
            by="Operation.key", why="the key is the operationId (plus `:stream`); renames pair by method and path"
        ),
        "name": Compare(why="the method, spelled client.<resource>.<method>() per language", fn=_op_call),
        "tag": Covered(by="Operation.name", why="the resource is part of the call"),
        "http_method": _op_wire("http_method", "HTTP method"),
        "path": _op_wire("path", "path (placeholders aside)"),
        "summary": Prose(why="doc comments"),
        "description": Prose(why="doc comments"),
        "deprecated": Compare(why="compatible either way", fn=_op_deprecated),
        "path_params": Compare(why="positional arguments, compared by position", fn=_path_params),
        "query_params": Compare(
            why="query, header and cookie parameters together (one params object), by wire name", fn=_params
        ),
        "header_params": Covered(by="Operation.query_params", why="one params object"),
        "body": Compare(why="the body's fields are method arguments (Python keywords, TS/Go params fields)", fn=_body),
        "result": Compare(why="what the method returns", fn=_result),
        "error_statuses": Compare(why="new documented errors are compatible", fn=_error_statuses),
        "pagination": Compare(why="auto-paging appears or goes: breaking; its convention: wire", fn=_pagination),
        "idempotent": Compare(why="Idempotency-Key support: losing it is breaking", fn=_idempotent),
        "params_name": Compare(why="the TS interface / Go struct of the arguments", fn=_params_name),
        "source": Ignored(why="a JSON pointer, derived from path and method"),
        "key": Key(
            why="operations match by key (a JSON-or-SSE operation is two: `op` and `op:stream`); an unmatched pair "
            "with the same method, path and variant is a rename"
        ),
        "cookie_params": Covered(by="Operation.query_params", why="one params object"),
        "security": Compare(
            why="requirement alternatives: a requirement no longer met breaks, more ways or fewer credentials are compatible",
            fn=_op_security,
        ),
        "params_required": Compare(
            why="the params object must be given: breaking in TypeScript and Go (Python: keywords, each reported)",
            fn=_params_required,
        ),
        "variant": Covered(
            by="Operation.key",
            why="part of the key: a stream twin is a new method (operation-added), the plain one is compared "
            "with its former self",
        ),
        "pair": Covered(by="Operation.key", why="names the twin, which is matched by its own key"),
        "body_switch": Compare(
            why="the body flag the method sends itself: internal in code, wire breaking when changed", fn=_body_switch
        ),
        "accept": Compare(why="the Accept header the method sends: internal in code, wire", fn=_accept),
        "success_statuses": Compare(why="other documented 2xx: every 2xx is a success", fn=_success_statuses),
        "error_bodies": Compare(why="error bodies are read untyped: internal", fn=_error_bodies),
        "decisions": Ignored(
            why="how the builder decided (extension, rule, spec): bookkeeping; the decided values are compared"
        ),
    },
    BodySwitch: {
        "field": Covered(by="Operation.body_switch", why="compared as one"),
        "value": Covered(by="Operation.body_switch", why="compared as one"),
    },
    Parameter: {
        "name": Compare(why="the argument's name per language", fn=_param_names),
        "wire_name": Key(why="parameters match by wire name (path parameters by position)"),
        "location": Compare(why="path/query/header/cookie: wire breaking", fn=_param_location),
        "required": Compare(
            why="required in a request: breaking; optional: compatible (Go pointer changes aside)", fn=_required_rule
        ),
        "type": Compare(why="widened: compatible; narrowed or changed: breaking (sent by the SDK)", fn=_type_rule),
        "description": Prose(why="doc comments"),
        "default": Compare(why="a changed default changes what calls that omit it get", fn=_default_rule),
        "has_default": Covered(by="Parameter.default", why="compared with the default"),
        "role": Compare(why="which parameters the runtime manages", fn=_param_role),
        "constraints": Compare(why="tightened: breaking; loosened: compatible", fn=_constraints_rule),
        "style": Compare(
            why="how the value is serialized: wire breaking where the bytes differ (arrays, objects, matrix/label)",
            fn=_param_style,
        ),
        "explode": Covered(by="Parameter.style", why="compared with the style, defaults applied"),
        "deprecated": Compare(why="compatible either way", fn=_deprecated_rule),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    Body: {
        "schema_name": Compare(why="the request model's name (its fields are compared one by one)", fn=_body_schema),
        "required": Compare(why="the SDK always sends its body: wire only", fn=_body_required),
        "content_type": Compare(why="the media type sent, same encoding: wire only", fn=_body_content_type),
        "description": Prose(why="doc comments"),
        "fields": fields_rule("body"),
        "kind": Compare(
            why="json/multipart/form/binary/text: how the arguments are sent, breaking everywhere", fn=_body_kind
        ),
        "content_types": Compare(why="the other media types offered: the SDK sends one, internal", fn=_body_content_types),
        "type": Compare(why="a body that is no model is the argument itself: typed as a request value", fn=_body_type),
    },
    Result: {
        "kind": Compare(why="model/page/none/stream/binary/text: breaking", fn=_result_kind),
        "status": Compare(why="any 2xx is success", fn=_result_status),
        "description": Prose(why="doc comments"),
        "envelope": Ignored(why="no SDK shows the envelope; what it unwraps to is compared as `type`"),
        "unwrap": Covered(by="Result.wrapped", why="the key unwrapped, compared with the decision"),
        "type": Compare(why="the return type: narrowed compatible, widened or changed breaking", fn=_type_rule),
        "meta_schema": Compare(why="TypeScript's page type names its meta", fn=_result_meta),
        "stream": Compare(why="which event union a stream yields", fn=_result_stream),
        "wrapped": Compare(
            why="the {data} envelope: the SDK unwraps it, so code sees `type` (internal); wire breaking", fn=_result_wrapped
        ),
        "content_type": Compare(
            why="the response's media type: what bytes or text mean (breaking), JSON flavours read the same",
            fn=_result_content_type,
        ),
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
        "is_envelope": Covered(by="Model.visibility", why="deprecated usage flag: decides which languages declare the type"),
        "is_request_body": Covered(
            by="Model.visibility", why="deprecated usage flag: decides which languages declare the type"
        ),
        "is_event_data": Covered(
            by="Model.visibility", why="deprecated usage flag: decides which languages declare the type"
        ),
        "is_event_frame": Covered(
            by="Model.visibility", why="deprecated usage flag: decides which languages declare the type"
        ),
        "roles": Covered(by="Model.visibility", why="what the model is for decides which languages declare it"),
        "visibility": Compare(
            why="public/internal, and what each target declares: a type a language stops declaring breaks it, "
            "a new one is compatible",
            fn=_model_visibility,
        ),
        "recursive": Compare(why="on a reference cycle: Go spells required fields on it as pointers", fn=_recursive_rule),
        "inline": Covered(
            by="Model.name", why="where the schema is written; SDKs show its name (from its place when inline)"
        ),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    Field: {
        "name": Compare(why="the member's name per language", fn=_member_names),
        "wire_name": Key(why="fields match by wire name; an unmatched pair of the same type is a rename"),
        "type": Compare(why="by direction: requests accept wider, responses may return narrower", fn=_type_rule),
        "required": Compare(
            why="by direction: required in requests breaks, optional in responses breaks", fn=_required_rule
        ),
        "description": Prose(why="doc comments"),
        "default": Compare(why="request defaults: what omitted values become", fn=_default_rule),
        "has_default": Covered(by="Field.default", why="compared with the default"),
        "constraints": Compare(why="request values: tightened breaking; responses are not validated", fn=_constraints_rule),
        "aliases": Compare(why="x-sdk-aliases: wire names also read", fn=_aliases_rule),
        "text_keys": Compare(why="x-sdk-text: the <field>_text convenience", fn=_text_key_rule),
        "read_only": Compare(why="readOnly where the model is sent: the server ignores it (breaking)", fn=_read_only_rule),
        "write_only": Compare(why="writeOnly where the model is read: responses lack it (breaking)", fn=_write_only_rule),
        "deprecated": Compare(why="compatible either way", fn=_deprecated_rule),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    Enum: {
        "schema_name": Key(why="enums match by schema name; an unmatched pair with the same values is a rename"),
        "name": _type_names("enum-type-renamed", "type"),
        "description": Prose(why="doc comments"),
        "kind": Compare(why="string/integer: breaking", fn=_enum_kind),
        "values": Compare(why="removed values: breaking (their constants go); added: compatible", fn=_enum_values),
        "nullable": Covered(by="Field.type", why="null is a value of the fields that use the enum: their TypeRef.nullable"),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    EnumValue: {
        "value": Key(why="values match by value"),
        "name": Covered(by="Enum.values", why="the constant's name, compared with the values"),
    },
    Union: {
        "schema_name": Key(why="unions match by schema name; an unmatched pair with the same variants is a rename"),
        "name": Compare(why="the union's type name per language", fn=_union_names),
        "description": Prose(why="doc comments"),
        "keyword": Compare(why="oneOf/anyOf: decoded alike; a request server refuses more under oneOf", fn=_union_keyword),
        "variants": Compare(
            why="by type: removed breaking (wire: compatible in responses), added compatible (wire: breaking in responses)",
            fn=_union_variants,
        ),
        "discriminator": Compare(
            why="how a variant is picked: internal in code, wire breaking in responses", fn=_union_discriminator
        ),
        "nullable": Covered(
            by="Field.type, Parameter.type", why="null is on the TypeRef of every value that uses the union"
        ),
        "inline": Covered(by="Union.name", why="where the schema is written; SDKs show its name"),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    UnionVariant: {
        "type": Key(why="variants match by their type (renamed schemas followed)"),
        "name": Compare(why="a non-schema variant's own name (schema variants: the model's name)", fn=_variant_name),
        "tags": Compare(why="discriminator values: like enum values of that property", fn=_variant_tags),
    },
    EventStream: {
        "schema_name": Key(why="streams match by schema name"),
        "name": Compare(why="the event union's type (Python <Stream>Event, TypeScript <Stream>)", fn=_stream_names),
        "description": Prose(why="doc comments"),
        "discriminator": Covered(by="EventStream.dispatch", why="deprecated: the dispatch, spelled as one string"),
        "events": Compare(
            why="removed events: breaking; new ones: compatible (unknown events are tolerated)", fn=_stream_events
        ),
        "dispatch": Compare(why="how events are told apart: internal in code, wire breaking", fn=_stream_dispatch),
        "data_property": Covered(by="EventStream.dispatch", why="the property of property dispatch"),
        "sentinel": Compare(
            why="the data that ends a stream: added compatible, removed or changed breaking; wire breaking",
            fn=_stream_sentinel,
        ),
        "eof_ends": Compare(
            why="a closed connection ends cleanly: gained compatible (wire breaking), lost breaking", fn=_stream_eof
        ),
        "item_schema": Covered(
            by="EventStream.events", why="how the spec describes the frames (3.2 itemSchema); what it describes is compared"
        ),
        "success_event": Compare(
            why="the successful end: set compatible, changed or lost breaking (renamed events followed)", fn=_stream_success
        ),
        "failure_events": Compare(
            why="kept terminal events that start or stop meaning failure: breaking", fn=_stream_failure
        ),
        "text_delta": Compare(
            why="where the collected text comes from: gained compatible, lost or moved breaking", fn=_stream_text
        ),
        "output": _value_path("output"),
        "usage": _value_path("usage"),
        "resume": Compare(
            why="how a broken stream resumes: gained compatible, lost breaking, route wire", fn=_stream_resume
        ),
        "operations": Covered(by="Result.stream", why="which operations stream it is compared at each operation's result"),
        "decisions": Ignored(
            why="how the builder decided (extension, rule, spec): bookkeeping; the decided values are compared"
        ),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    EventType: {
        "event": Key(why="events match by wire name; an unmatched pair with the same fields is a rename"),
        "name": _type_names("event-type-renamed", "event class"),
        "frame_schema": Ignored(why="frames are decoded by the runtime, never shown"),
        "data_schema": Ignored(why="the data model's name: its TypeScript type is reported as a model; its fields here"),
        "fields": fields_rule("event"),
        "terminal": Compare(why="where streams end: breaking either way", fn=_event_terminal),
        "description": Prose(why="doc comments"),
        "data_type": Compare(why="data that is no model: typed as a response value", fn=_event_data_type),
        "data_format": Compare(
            why="JSON or plain text: decoded by the SDK (internal), wire breaking", fn=_event_data_format
        ),
        "sse_event": Compare(why="the `event:` name checked where it is not the event's own: wire", fn=_event_sse_name),
        "tag": Covered(
            by="EventType.event", why="the data property's value, which is the event's name under property dispatch"
        ),
        "success": Covered(by="EventStream.success_event", why="the same decision, per event"),
        "failure": Covered(by="EventStream.failure_events", why="the same decision, per event"),
        "source": Ignored(why="a JSON pointer (bookkeeping); changes are located by it"),
    },
    TextDelta: {
        "event": Covered(by="EventStream.text_delta", why="compared as one (renamed events followed)"),
        "path": Covered(by="EventStream.text_delta", why="compared as one"),
    },
    ValuePath: {
        "event": Covered(by="EventStream.output, EventStream.usage", why="compared as one (renamed events followed)"),
        "path": Covered(by="EventStream.output, EventStream.usage", why="compared as one"),
        "text_keys": Covered(by="EventStream.output, EventStream.usage", why="compared as one: keys added compatible"),
    },
    ResumeRoute: {
        "operation_id": Covered(by="EventStream.resume", why="compared as one route (renamed operations followed)"),
        "key": Covered(by="EventStream.resume", why="compared as one route (renamed operations followed)"),
        "tag": Covered(by="EventStream.resume", why="part of the operation's call, compared with it"),
        "path": Covered(by="EventStream.resume", why="the resume operation's path: Operation.path"),
        "header": Covered(by="EventStream.resume", why="compared as one route"),
        "bindings": Covered(by="EventStream.resume", why="compared as one route"),
        "carriers": Covered(by="EventStream.resume", why="fewer carriers: streams broken early no longer resume (breaking)"),
    },
    ResumeBinding: {
        "param": Covered(by="EventStream.resume", why="compared as one route"),
        "field": Covered(by="EventStream.resume", why="compared as one route"),
    },
    Names: {
        "original": Ignored(why="the spec's spelling; the per-language spellings below are compared"),
        "snake": Covered(by="python_member", why="a building block of the resolved spellings"),
        "camel": Covered(by="typescript_member", why="a building block of the resolved spellings"),
        "pascal": Covered(
            by="python_type, typescript_type", why="deprecated: equal to them unless a collision was resolved"
        ),
        "constant": Covered(by="python_member", why="deprecated: an enum value's UPPER_SNAKE member"),
        "python": Covered(by="python_member", why="deprecated: equal to it unless a collision was resolved"),
        "typescript": Covered(by="typescript_member", why="deprecated: equal to it unless a collision was resolved"),
        "go": Covered(by="go_member, go_type", why="deprecated: equal to them unless a collision was resolved"),
        "go_private": Covered(by="go_local", why="deprecated: Go argument names"),
        "python_member": Covered(
            by="member, method and enum constant rules",
            why="what Python code writes (surface.member): a rename breaks Python",
        ),
        "typescript_member": Covered(
            by="member, method and enum constant rules",
            why="what TypeScript code writes (surface.member): a rename breaks TS",
        ),
        "go_member": Covered(
            by="member, method and enum constant rules", why="what Go code writes (surface.member): a rename breaks Go"
        ),
        "go_local": Covered(by="Operation.path_params", why="Go argument names: positional, not part of any call"),
        "python_type": Covered(by="type name rules", why="the Python class (surface.type_name): a rename breaks Python"),
        "typescript_type": Covered(
            by="type name rules", why="the TypeScript type (surface.type_name): a rename breaks TypeScript"
        ),
        "go_type": Covered(by="type name rules", why="the Go type (surface.type_name): a rename breaks Go"),
        "module": Covered(
            by="type and member name rules",
            why="the file stem of a generated file: files are private (Python `_generated`, TS re-exported by index.ts, "
            "one Go package); it follows the entity's name",
        ),
    },
    TypeRef: {
        "kind": Covered(by="relation()", why="kind changes: different (integer->number widens)"),
        "nullable": Covered(by="relation()", why="null added widens"),
        "format": Covered(by="relation()", why="a format added narrows"),
        "items": Covered(by="relation()", why="compared recursively"),
        "values": Covered(by="relation()", why="compared recursively"),
        "ref": Covered(by="relation()", why="another model/enum (renames followed)"),
        "const": Covered(by="relation()", why="a const added narrows"),
        "union": Covered(
            by="relation()", why="a union added narrows `any`, removed widens it, another is different (renames followed)"
        ),
    },
    Diagnostic: {
        "severity": Ignored(why="lint output"),
        "message": Ignored(why="lint output"),
        "location": Ignored(why="lint output"),
        "dropped": Ignored(why="lint output: a dropped piece is an error, counted in the report header (it looks removed)"),
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
    _pair_unions(ctx)
    _pair_streams(ctx)
    _pair_auth(ctx)
    _pair_operations(ctx)
    compare_object(ctx, Scope("the API", "#", "#"), old, new)
    return sorted(ctx.changes, key=Change.sort_key)
