"""The naming pass: every name an SDK emits made valid and unique, once, in the IR.

`resolve_names(ir, order)` returns the IR with its `Names` resolved and one `note` per
rename. Scopes and priorities (the first claimant of a name keeps it):

  type names, one namespace per language (naming.RUNTIME_NAMES reserved first):
      the client (sdk), public models/enums/unions (in spec order), events, streams,
      resources, params types, internal models/unions; every name `naming.DERIVED`
      derives from an entity is kept free with it; a collision adds the kind's word
      (`Pet` the resource -> `PetResource`), then a number.
      Go enum constants (`<Enum><Value>`) share the Go namespace.
  module names (files), case-insensitively: schemas, resources, operations per resource.
  member names: resources on the client; methods per resource; a method's parameters
      (path, body fields, query, header, cookie, and the fixed ones per language); fields
      per model; fields per event (beside the event class's own members); values per
      enum; variants per union. A collision adds a number (`get_item_2`, `getItem2`).
Keyword escapes (`class` -> `class_`) are made by `naming`'s identifier functions; they
are reported here as notes too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from . import naming
from .ir import IR, Diagnostic, Field, Names, Operation

__all__ = ["resolve_names", "LANGS"]

LANGS = ("python", "typescript", "go")
LANG_TITLE = {"python": "Python", "typescript": "TypeScript", "go": "Go"}
TYPE_ATTR = {"python": "python_type", "typescript": "typescript_type", "go": "go_type"}
MEMBER_ATTR = {"python": "python_member", "typescript": "typescript_member", "go": "go_member"}
MEMBER_SEP = {"python": "_", "typescript": "", "go": ""}
TYPE_VALID: dict[str, Callable[[str], bool]] = {
    "python": naming.is_python_ident,
    "typescript": lambda n: naming.is_ts_ident(n, type_name=True),
    "go": naming.is_go_ident,
}
MEMBER_VALID: dict[str, Callable[[str], bool]] = {
    "python": lambda n: naming.is_python_ident(n) and n not in naming.PYTHON_KEYWORDS,
    "typescript": lambda n: naming.is_ts_ident(n),
    "go": naming.is_go_ident,
}
RAW_MEMBER: dict[str, Callable[[str], str]] = {"python": naming.snake, "typescript": naming.camel, "go": naming.go_pascal}
ENUM_RAW: dict[str, Callable[[str], str]] = {"python": naming.constant, "typescript": naming.pascal, "go": naming.go_pascal}
RAW_TYPE: dict[str, Callable[[str], str]] = {"python": naming.pascal, "typescript": naming.pascal, "go": naming.go_pascal}


def _prefixed(prefix: str, base: str) -> list[str]:
    return [prefix + base]


def _why(clash: str | None) -> str:
    return f"collides with {clash}" if clash else "is a keyword or predefined name there"


class _Notes:
    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, message: str, location: str) -> None:
        if (message, location) not in self._seen:
            self._seen.add((message, location))
            self.items.append(Diagnostic(severity="note", message=message, location=location or "#/"))

    def escaped(self, what: str, original: str, ident: str, raw: str, lang: str, location: str) -> None:
        if ident == raw:
            return
        reason = "starts with a digit" if raw[:1].isdigit() else f"is a reserved word in {LANG_TITLE[lang]}"
        self.add(f"{what} is `{ident}` in {LANG_TITLE[lang]}: `{raw}` {reason}", location)


def _member_scope(lang: str, reserved: frozenset[str] | set[str] = frozenset(),
                  reserved_by: str = "a name the SDK already uses there") -> naming.Namespace:
    return naming.Namespace(reserved=reserved, sep=MEMBER_SEP[lang], reserved_by=reserved_by)


def _claim_member(ns: naming.Namespace, names: Names, lang: str, what: str, location: str, notes: _Notes,
                  attr: str | None = None) -> Names:
    attr = attr or MEMBER_ATTR[lang]
    wanted = getattr(names, attr)
    valid = MEMBER_VALID[lang] if attr != "go_local" else (
        lambda n: naming.is_go_ident(n, exported=False) and n not in naming.GO_PREDECLARED)
    chosen, clash = ns.claim(wanted, what, valid=valid)
    if chosen != wanted:
        notes.add(f"{what} is `{chosen}` in {LANG_TITLE[lang]}: `{wanted}` {_why(clash)}", location)
        return names.model_copy(update={attr: chosen})
    return names


def _resolve_members(items: list[tuple[Names, str, str]], lang_reserved: dict[str, frozenset[str] | set[str]],
                     notes: _Notes, raw: dict[str, Callable[[str], str]] | None = None,
                     langs: tuple[str, ...] = LANGS) -> list[Names]:
    """Resolve one member scope in `langs`; items are (names, what, location)."""
    raw = raw or RAW_MEMBER
    out = [n for n, _, _ in items]
    for lang in langs:
        ns = _member_scope(lang, lang_reserved.get(lang, frozenset()))
        for i, (_, what, loc) in enumerate(items):
            notes.escaped(what, out[i].original, getattr(out[i], MEMBER_ATTR[lang]), raw[lang](out[i].original), lang, loc)
            out[i] = _claim_member(ns, out[i], lang, what, loc, notes)
    return out


def _params_shape(op: Operation) -> str:
    def t(x: Any) -> str:
        return json.dumps(x.model_dump(exclude={"name", "description", "source"}), sort_keys=True, default=str)

    return json.dumps([
        [t(f) for f in (op.body.fields if op.body else [])],
        [t(p) for p in op.query_params + op.header_params + op.cookie_params],
    ])


def resolve_names(ir: IR, order: dict[str, int]) -> tuple[IR, list[Diagnostic]]:
    notes = _Notes()
    sdk_name = ir.sdk.name
    models = dict(ir.models)
    enums = dict(ir.enums)
    unions = dict(ir.unions)
    streams = dict(ir.streams)
    resources = list(ir.resources)

    # ---- type names -------------------------------------------------------------------------
    spaces = {lang: naming.Namespace(reserved=naming.RUNTIME_NAMES[lang]) for lang in LANGS}

    def claim_type(names: Names, kind: str, what: str, location: str) -> Names:
        update: dict[str, str] = {}
        for lang in LANGS:
            attr = TYPE_ATTR[lang]
            wanted = getattr(names, attr)
            notes.escaped(what, names.original, wanted, RAW_TYPE[lang](names.original), lang, location)
            if not naming.DERIVED[lang][kind]:
                continue
            chosen, clash = spaces[lang].claim(
                wanted, what, derive=partial(naming.derived_names, lang, kind),
                word=naming.KIND_WORDS[kind], valid=TYPE_VALID[lang])
            if chosen != wanted:
                notes.add(f"{what} is `{chosen}` in {LANG_TITLE[lang]}: `{wanted}` {_why(clash)}", location)
                update[attr] = chosen
        return names.model_copy(update=update) if update else names

    sdk_name = claim_type(sdk_name, "sdk", f"the client {sdk_name.original!r}", "#/info")
    for lang in LANGS:
        for name in naming.BRANDED_RUNTIME_NAMES[lang]:
            spaces[lang].taken.setdefault(name, "the runtime")

    def schema_entities(public: bool) -> list[tuple[int, str, str]]:
        out = [(order.get(name, 0), "model", name) for name, m in models.items() if (m.visibility == "public") == public]
        if public:
            out += [(order.get(name, 0), "enum", name) for name in enums]
            out += [(order.get(name, 0), "union", name) for name in unions if name not in streams]
        return sorted(out)

    for _, kind, name in schema_entities(public=True):
        if kind == "model":
            m = models[name]
            models[name] = m.model_copy(update={"name": claim_type(m.name, "model", f"model {name!r}", m.source)})
        elif kind == "enum":
            e = enums[name]
            enums[name] = e.model_copy(update={"name": claim_type(e.name, "enum", f"enum {name!r}", e.source)})
        else:
            u = unions[name]
            unions[name] = u.model_copy(update={"name": claim_type(u.name, "union", f"union {name!r}", u.source)})
    for sname, s in streams.items():
        events = [e.model_copy(update={"name": claim_type(e.name, "event", f"event {e.event!r} of {sname!r}", e.source)})
                  for e in s.events]
        streams[sname] = s.model_copy(update={"events": events})
    for sname, s in streams.items():
        streams[sname] = s.model_copy(update={"name": claim_type(s.name, "stream", f"stream {sname!r}", s.source)})
    for i, r in enumerate(resources):
        resources[i] = r.model_copy(update={"name": claim_type(r.name, "resource", f"resource {r.tag!r}", "#/tags")})
    # params types: operations with the same params name and the same inputs share one type
    shared: dict[tuple[str, str], Names] = {}
    for ri, r in enumerate(resources):
        ops = []
        for op in r.operations:
            key = (op.params_name.original, _params_shape(op))
            if key not in shared:
                shared[key] = claim_type(op.params_name, "params", f"the params of {op.key!r}", op.source)
            ops.append(op.model_copy(update={"params_name": shared[key]}))
        resources[ri] = r.model_copy(update={"operations": ops})
    for _, kind, name in schema_entities(public=False):
        m = models[name]
        models[name] = m.model_copy(update={"name": claim_type(m.name, "model", f"model {name!r}", m.source)})
    for name, u in unions.items():
        if name in streams:  # the stream's own union: named by the stream
            unions[name] = u.model_copy(update={"name": u.name.model_copy(update={
                TYPE_ATTR[lang]: getattr(streams[name].name, TYPE_ATTR[lang]) for lang in LANGS})})

    # ---- enum members, then Go's enum constants in the package namespace --------------------
    for name, e in enums.items():
        items = [(v.name, f"value {v.value!r} of enum {name!r}", e.source) for v in e.values]
        resolved = _resolve_members(items, {}, notes, raw=ENUM_RAW)
        values = []
        for v, n in zip(e.values, resolved):
            prefix = e.name.go_type
            chosen, clash = spaces["go"].claim(n.go_member, f"the Go constant of {name}.{v.value!r}",
                                               derive=partial(_prefixed, prefix), valid=naming.is_go_ident)
            if chosen != n.go_member:
                notes.add(f"value {v.value!r} of enum {name!r} is the Go constant `{prefix + chosen}`: "
                          f"`{prefix + n.go_member}` {_why(clash)}", e.source)
                n = n.model_copy(update={"go_member": chosen})
            values.append(v.model_copy(update={"name": n}))
        enums[name] = e.model_copy(update={"values": values})

    # ---- modules (file names, case-insensitively) --------------------------------------------
    schema_modules = naming.Namespace(reserved={"__init__"}, sep="_", fold=True)
    for _, kind, name in sorted([(order.get(n, 0), "m", n) for n in models] + [(order.get(n, 0), "e", n) for n in enums]
                                + [(order.get(n, 0), "u", n) for n in unions]):
        holder: Any = models.get(name) if kind == "m" else enums.get(name) if kind == "e" else unions.get(name)
        chosen, clash = schema_modules.claim(holder.name.module, f"schema {name!r}", valid=naming.is_python_ident)
        if chosen != holder.name.module:
            notes.add(f"schema {name!r} has the module `{chosen}`: `{holder.name.module}` {_why(clash)} "
                      "(file names are compared case-insensitively)", holder.source)
            new = holder.model_copy(update={"name": holder.name.model_copy(update={"module": chosen})})
            if kind == "m":
                models[name] = new
            elif kind == "e":
                enums[name] = new
            else:
                unions[name] = new
    resource_modules = naming.Namespace(reserved={"__init__"}, sep="_", fold=True)
    for ri, r in enumerate(resources):
        chosen, clash = resource_modules.claim(r.name.module, f"resource {r.tag!r}", valid=naming.is_python_ident)
        if chosen != r.name.module:
            notes.add(f"resource {r.tag!r} has the module `{chosen}`: `{r.name.module}` {_why(clash)}", "#/tags")
        op_modules = naming.Namespace(reserved={"__init__"}, sep="_", fold=True)
        ops = []
        for op in r.operations:
            mod, opclash = op_modules.claim(naming.python_ident(op.operation_id) if op.variant != "stream" else
                                            naming.python_ident(op.operation_id) + "_stream", f"operation {op.key!r}",
                                            valid=naming.is_python_ident)
            if opclash or not mod.startswith(naming.python_ident(op.operation_id)):
                notes.add(f"operation {op.key!r} has the module `{mod}`: its name {_why(opclash)}", op.source)
            ops.append(op.model_copy(update={"name": op.name.model_copy(update={"module": mod})}))
        resources[ri] = r.model_copy(update={"name": r.name.model_copy(update={"module": chosen}), "operations": ops})

    # ---- members --------------------------------------------------------------------------------
    reserved_of = {lang: naming.MEMBER_RESERVED[lang] for lang in LANGS}
    # resources on the client
    items = [(r.name, f"resource {r.tag!r}", "#/tags") for r in resources]
    resolved = _resolve_members(items, {lang: reserved_of[lang]["client"] for lang in LANGS}, notes)
    resources = [r.model_copy(update={"name": n}) for r, n in zip(resources, resolved)]
    # methods per resource, then each method's inputs
    for ri, r in enumerate(resources):
        items = [(op.name, f"method {op.key!r} of resource {r.tag!r}", op.source) for op in r.operations]
        resolved = _resolve_members(items, {lang: reserved_of[lang]["resource"] for lang in LANGS}, notes)
        ops = [_resolve_inputs(op.model_copy(update={"name": n}), notes) for op, n in zip(r.operations, resolved)]
        resources[ri] = r.model_copy(update={"operations": ops})
    # fields per model
    for name, m in models.items():
        models[name] = m.model_copy(update={"fields": _resolve_fields(m.fields, f"model {name!r}", {
            "python": reserved_of["python"]["model"],
            "typescript": reserved_of["typescript"]["model"],
            # Go models carry JSON metadata accessors; `Extra` holds typed additional properties.
            "go": reserved_of["go"]["model"] - (set() if m.additional_properties is not None else {"Extra"}),
        }, notes)})
    # fields per event
    for sname, s in streams.items():
        events = []
        reserved: dict[str, frozenset[str] | set[str]] = {lang: reserved_of[lang]["event"] for lang in LANGS}
        if s.data_property == "type":  # the data's own `type` is the TypeScript union's discriminant
            reserved["typescript"] = reserved["typescript"] - {"type"}
        for ev in s.events:
            fields = _resolve_fields(ev.fields, f"event {ev.event!r}", reserved, notes)
            events.append(ev.model_copy(update={"fields": fields}))
        streams[sname] = s.model_copy(update={"events": events})
    # variants per union
    for name, u in unions.items():
        items = [(v.name, f"variant {i} of union {name!r}", u.source) for i, v in enumerate(u.variants)]
        resolved = _resolve_members(items, {lang: reserved_of[lang]["union"] for lang in LANGS}, notes)
        unions[name] = u.model_copy(update={"variants": [v.model_copy(update={"name": n}) for v, n in zip(u.variants, resolved)]})
    # auth options
    items = [(a.name, f"the credential option of scheme {a.key!r}", a.source) for a in ir.auth]
    resolved = _resolve_members(items, {}, notes)
    auth = [a.model_copy(update={"name": n}) for a, n in zip(ir.auth, resolved)]

    return ir.model_copy(update={
        "sdk": ir.sdk.model_copy(update={"name": sdk_name}),
        "models": models, "enums": enums, "unions": unions, "streams": streams,
        "resources": resources, "auth": auth,
    }), notes.items


def _resolve_fields(fields: list[Field], owner: str, reserved: dict[str, frozenset[str] | set[str]],
                    notes: _Notes) -> list[Field]:
    items = [(f.name, f"field {f.wire_name!r} of {owner}", f.source) for f in fields]
    resolved = _resolve_members(items, reserved, notes)
    return [f.model_copy(update={"name": n}) for f, n in zip(fields, resolved)]


def _resolve_inputs(op: Operation, notes: _Notes) -> Operation:
    """A method's inputs, per language: Python keyword arguments (path, body, query,
    header, cookie and the fixed ones) share one scope; TypeScript params keys one, path
    arguments another; Go Params fields one, path arguments (unexported) another."""
    body_fields = list(op.body.fields) if op.body else []
    plain = op.query_params + op.header_params + op.cookie_params
    path_items = [(p.name, f"path parameter {p.wire_name!r} of {op.key!r}", p.source) for p in op.path_params]
    key_items = [(f.name, f"body field {f.wire_name!r} of {op.key!r}", f.source) for f in body_fields]
    key_items += [(p.name, f"{p.location} parameter {p.wire_name!r} of {op.key!r}", p.source) for p in plain]
    reserved = naming.MEMBER_RESERVED
    # Python: one scope for everything.
    both = _resolve_members(path_items + key_items, {"python": reserved["python"]["params"]}, notes, langs=("python",))
    path_names, key_names = both[:len(path_items)], both[len(path_items):]
    # TypeScript and Go: keys/fields, then path arguments.
    key_names = _resolve_members([(n, w, loc) for n, (_, w, loc) in zip(key_names, key_items)], {}, notes,
                                 langs=("typescript", "go"))
    path_names = _resolve_members([(n, w, loc) for n, (_, w, loc) in zip(path_names, path_items)],
                                  {"typescript": reserved["typescript"]["params"]}, notes, langs=("typescript",))
    go_args = _member_scope("go", reserved["go"]["params"])
    path_names = [_claim_member(go_args, n, "go", w, loc, notes, attr="go_local")
                  for n, (_, w, loc) in zip(path_names, path_items)]
    path_params = [p.model_copy(update={"name": n}) for p, n in zip(op.path_params, path_names)]
    fields = [f.model_copy(update={"name": n}) for f, n in zip(body_fields, key_names[:len(body_fields)])]
    renamed = [p.model_copy(update={"name": n}) for p, n in zip(plain, key_names[len(body_fields):])]
    nq, nh = len(op.query_params), len(op.header_params)
    update: dict[str, Any] = {
        "path_params": path_params,
        "query_params": renamed[:nq],
        "header_params": renamed[nq:nq + nh],
        "cookie_params": renamed[nq + nh:],
    }
    if op.body:
        update["body"] = op.body.model_copy(update={"fields": fields})
    return op.model_copy(update=update)
