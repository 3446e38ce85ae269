"""Reading responses (RUNTIME.md "Reading responses"): tolerant by default, strict on request.

Every model and event class of the SDK is read here, from the contract's shape of its
JSON object (`ModelShape`, rendered by the generator from the IR into `_shapes.py`):

- the declared normalisations first: `flatten` (`x-sdk-flatten`: an object property whose
  keys fill in the keys the outer object lacks) and `aliases` (`x-sdk-aliases`: other wire
  names read when a field's own is absent);
- a declared field that is absent, or null where the contract allows no null, or of
  another JSON type, reads as None; its raw value (if any) stays in
  `additional_properties`, with the keys the contract does not name;
- an enum value the contract does not list is kept as its string;
- every departure from the contract (a missing required field, a wrong type, a null, an
  unknown enum value) is noted as a `Mismatch` with its JSON path. A tolerant read ignores
  them; a strict read (the client's `strict_response_validation=True`) raises
  `APIResponseValidationError` for the first one.

What is an error in both modes ("unusable"): data that must be an object and is not (an
envelope's `data`, a list item of model type, an event's data), a page without its list.

`dump` turns a model back into plain JSON data (`to_dict()`): the fields it holds under
their wire names, null only where the server sent null, and `additional_properties`.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import json.scanner
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Self, TypeVar, cast

__all__ = [
    "FieldShape",
    "Mismatch",
    "Model",
    "ModelShape",
    "Reader",
    "Unusable",
    "Value",
    "dump",
    "fast_reader",
    "shape_named",
    "quick_reader",
    "read_model",
    "register",
    "shape_of",
    "text_of",
    "value_at",
]

_M = TypeVar("_M")

# The C scanner `json.loads` uses: (text, index) -> (value, end). A document that is one value
# with nothing around it is read by one call of it (what `json.loads` returns for it, without
# the whitespace and encoding steps around); anything else is left to `json.loads`.
json_scan = cast(Callable[[str, int], tuple[Any, int]], json.scanner.make_scanner(cast(Any, json.JSONDecoder())))

_KINDS = frozenset({"any", "string", "integer", "number", "boolean", "model", "map", "array", "enum", "union"})


@dataclasses.dataclass(frozen=True)
class Value:
    """The contract's shape of one JSON value."""

    kind: str  # one of _KINDS
    nullable: bool = False
    format: str | None = None  # string: "date-time", "date", "uuid" are read into Python values
    model: str | None = None  # model: the ModelShape's name
    items: Value | None = None  # array
    values: Value | None = None  # map: the values' shape (None: any)
    enum: type[enum.Enum] | None = None  # enum: the generated enum class
    variants: tuple[Value, ...] = ()  # union: the alternatives, in order
    const: Any = None  # a `const` value the contract fixes (strict mode checks it)
    # union with a discriminator: the property naming the alternative, and which
    # alternative (an index into `variants`) each of its values selects
    discriminator: str | None = None
    tags: Mapping[str, int] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown value kind {self.kind!r}")


@dataclasses.dataclass(frozen=True)
class FieldShape:
    wire: str  # the JSON key
    attr: str  # the Python attribute
    required: bool
    value: Value
    aliases: tuple[str, ...] = ()  # x-sdk-aliases: read in order when `wire` is absent
    choices: tuple[Any, ...] = ()  # the values an inline `enum` lists (checked, never refused)


@dataclasses.dataclass(frozen=True)
class ModelShape:
    name: str
    cls: type
    fields: tuple[FieldShape, ...]
    extra: Value | None = None  # additionalProperties: the shape of values of unnamed keys (None: unchecked)
    flatten: str | None = None  # x-sdk-flatten: the property whose object fills in missing keys
    declared: frozenset[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "declared", frozenset(f.wire for f in self.fields))
        # Per field, what the reader reads (unpacked at once), with the JSON types whose values
        # read as they are (no format, const or null rule applies): those skip the general path.
        object.__setattr__(self, "_rows", tuple((f.wire, f.attr, f.aliases, f.required, f.choices, f.value,
                                                 _plain_types(f.value)) for f in self.fields))


def _fields_reader(shape: ModelShape) -> Callable[[Reader, Mapping[str, Any], str], tuple[Any, ...]]:
    """`Reader.model`'s reading of the declared fields, written out for one shape (as
    `dataclasses` writes an `__init__`): per field, in order, its key (else its aliases, in
    order), its value (as it is when of a plain JSON type, else `Reader.value`), the
    listed values it is checked against. The same steps as a loop over the fields would
    take, without the loop's per-field unpacking and tests of what the shape fixes. Returns
    `(attrs, extra, present, found)`: the attributes, the raw values kept aside, the wire
    names read, and how many declared keys the object holds."""
    names: dict[str, Any] = {"M": _MISSING, "INV": _INVALID, "_join": _join}
    lines = [
        "def read_fields(self, obj, path):",
        "    attrs = {}",
        "    extra = {}",
        "    present = set()",
        "    found = 0",
        "    get = obj.get",
    ]
    for i, (wire, attr, aliases, required, choices, v, plain) in enumerate(shape.__dict__["_rows"]):
        names[f"V{i}"] = v
        w, a = repr(wire), repr(attr)
        lines += [f"    raw = get({w}, M)", "    if raw is not M:", "        found += 1"]
        for alias in aliases:
            lines += [f"    elif {alias!r} in obj:", f"        raw = obj[{alias!r}]"]
        lines += ["    if raw is M:", f"        attrs[{a}] = None"]
        if required:
            lines.append(f"        self._note(_join(path, {w}), 'missing required field')")
        lines.append("    else:")
        at = f"(path + {('.' + wire)!r}) if path else {w}"
        if plain:
            names[f"P{i}"] = plain
            lines.append(f"        value = raw if type(raw) in P{i} else self.value(V{i}, raw, {at})")
        else:
            lines.append(f"        value = self.value(V{i}, raw, {at})")
        lines += [
            "        if value is INV:",
            f"            attrs[{a}] = None",
            f"            extra[{w}] = raw",
            "        else:",
            f"            attrs[{a}] = value",
            f"            present.add({w})",
        ]
        if choices:
            names[f"C{i}"] = choices
            listed = ", ".join(repr(x) for x in choices)
            lines += [
                f"            if value is not None and value not in C{i}:",
                f"                self._note(_join(path, {w}), f'{{value!r}} is not one of the values the contract lists ({{L{i}}})')",
            ]
            names[f"L{i}"] = listed
    lines.append("    return attrs, extra, present, found")
    exec("\n".join(lines), names)  # noqa: S102 - the source is made above from the shape's names
    read_fields: Callable[[Reader, Mapping[str, Any], str], tuple[Any, ...]] = names["read_fields"]
    object.__setattr__(shape, "_read_fields", read_fields)
    return read_fields


def _plain_types(v: Value) -> tuple[type, ...]:
    if v.const is not None or v.format is not None:
        return ()
    if v.kind == "any":
        return (str, int, float, bool, list, dict)
    return _QUICK_TYPES.get(v.kind, ())


_MISSING: Any = object()  # a key the JSON object does not hold

_BY_NAME: dict[str, ModelShape] = {}
_BY_CLASS: dict[type, ModelShape] = {}


def register(*shapes: ModelShape) -> None:
    """Make the shapes of a generated SDK known (its `_shapes.py` calls this on import)."""
    for shape in shapes:
        _BY_NAME[shape.name] = shape
        _BY_CLASS[shape.cls] = shape


def shape_named(name: str) -> ModelShape:
    return _BY_NAME[name]


def shape_of(cls: type) -> ModelShape:
    try:
        return _BY_CLASS[cls]
    except KeyError:
        raise TypeError(f"{cls.__name__} has no registered shape (is the SDK package imported?)") from None


class Mismatch(NamedTuple):
    """Where a value first departs from the contract, and how."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class Unusable(ValueError):
    """Data the SDK cannot read at all, in either mode."""


class _Invalid:
    """A value the field cannot hold: the field reads as None, the raw value is kept."""


_INVALID = _Invalid()


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _json_type(raw: object) -> str:
    if raw is None:
        return "null"
    if isinstance(raw, bool):
        return "a boolean"
    if isinstance(raw, int):
        return "an integer"
    if isinstance(raw, float):
        return "a number"
    if isinstance(raw, str):
        return "a string"
    if isinstance(raw, Mapping):
        return "an object"
    if isinstance(raw, list | tuple):
        return "an array"
    return type(raw).__name__


_KIND_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "model": "an object",
    "map": "an object",
    "array": "an array",
    "enum": "one of the listed values",
    "union": "one of the listed alternatives",
}


class Reader:
    """One read of one document; `mismatches` collects every departure from the contract."""

    def __init__(self) -> None:
        self.mismatches: list[Mismatch] = []

    def _note(self, path: str, reason: str) -> None:
        self.mismatches.append(Mismatch(path, reason))

    # -- objects ---------------------------------------------------------------------
    def model(self, shape: ModelShape, data: Mapping[str, Any], path: str = "", **init: Any) -> Any:
        """An instance of `shape.cls` read from the JSON object `data`; `init` adds
        constructor arguments that do not come from the data (an event's id)."""
        if not init:
            fast = shape.__dict__.get("_fast", _MISSING)
            if fast is _MISSING:
                fast = fast_reader(shape)
            if fast is not None and fast is not _BUILDING:
                instance = fast(data)
                if instance is not None:
                    return instance  # the usual case: read with no mismatch to note
        if type(data) is not dict and not isinstance(data, Mapping):
            raise Unusable(f"{path or 'the value'} is {_json_type(data)}, not an object")
        obj: Mapping[str, Any] = data
        if shape.flatten is not None:
            inner = data.get(shape.flatten)
            if isinstance(inner, Mapping):
                merged = dict(data)
                for key, inner_value in inner.items():
                    merged.setdefault(key, inner_value)
                obj = merged
        read_fields = shape.__dict__.get("_read_fields")
        if read_fields is None:
            read_fields = _fields_reader(shape)
        attrs, extra, present, found = read_fields(self, obj, path)
        if found < len(obj):  # keys the contract does not name (or aliases)
            declared = shape.declared
            for key, raw in obj.items():
                if key in declared:
                    continue
                if shape.extra is not None and shape.extra.kind != "any":
                    self.value(shape.extra, raw, _join(path, key))  # checked, kept raw
                extra[key] = raw
        instance = shape.cls(**attrs, **init)
        _set(instance, "additional_properties", extra)
        _set(instance, "_present", frozenset(present))
        return instance

    def top(self, v: Value, raw: Any, what: str = "the body") -> Any:
        """A whole document (a response body, the `data` of an envelope) of shape `v`; one
        that cannot be read as such at all is `Unusable`."""
        if v.kind == "model":
            if not isinstance(raw, Mapping):
                raise Unusable(f"{what} is {_json_type(raw)}, not an object")
            return self.model(_BY_NAME[v.model or ""], raw)
        value = self.value(v, raw, "")
        if value is _INVALID:
            raise Unusable(f"{what} is {_json_type(raw)}, not {_KIND_NAMES.get(v.kind, v.kind)}")
        return value

    # -- values ----------------------------------------------------------------------
    def value(self, v: Value, raw: Any, path: str) -> Any:
        if raw is None:
            if v.nullable or v.kind == "any":
                return None
            self._note(path, "is null, which the contract does not allow here")
            return _INVALID
        if v.const is not None and raw != v.const:
            self._note(path, f"is {raw!r}, the contract fixes it to {v.const!r}")
        kind = v.kind
        if kind == "any":
            return raw
        if kind == "string":
            if not isinstance(raw, str):
                return self._wrong(v, raw, path)
            return _string_format(v.format, raw)
        if kind == "integer":
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                return self._wrong(v, raw, path)
            if isinstance(raw, float):
                if not (math.isfinite(raw) and raw.is_integer()):
                    return self._wrong(v, raw, path)
                return int(raw)
            return raw
        if kind == "number":
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                return self._wrong(v, raw, path)
            return raw
        if kind == "boolean":
            return raw if isinstance(raw, bool) else self._wrong(v, raw, path)
        if kind == "enum":
            return self._enum(v, raw, path)
        if kind == "model":
            if type(raw) is not dict and not isinstance(raw, Mapping):
                return self._wrong(v, raw, path)
            return self.model(_BY_NAME[v.model or ""], raw, path)
        if kind == "map":
            if not isinstance(raw, Mapping):
                return self._wrong(v, raw, path)
            out = dict(raw)
            if v.values is not None and v.values.kind != "any":
                for key, item in raw.items():
                    value = self.value(v.values, item, _join(path, key))
                    out[key] = item if value is _INVALID else value
            return out
        if kind == "array":
            if not isinstance(raw, list | tuple):
                return self._wrong(v, raw, path)
            if v.items is None or v.items.kind == "any":
                return list(raw)
            items = []
            for i, item in enumerate(raw):
                value = self.value(v.items, item, f"{path}[{i}]")
                if value is _INVALID and v.items.kind == "model":
                    raise Unusable(f"{path}[{i}] is {_json_type(item)}, not an object")
                items.append(item if value is _INVALID else value)
            return items
        return self._union(v, raw, path)

    def _wrong(self, v: Value, raw: Any, path: str) -> _Invalid:
        self._note(path, f"is {_json_type(raw)}, not {_KIND_NAMES[v.kind]}")
        return _INVALID

    def _enum(self, v: Value, raw: Any, path: str) -> Any:
        cls = v.enum
        if cls is None:
            return raw
        member = _enum_members(cls).get(raw) if type(raw) is str or type(raw) is int else None
        if member is not None:
            return member  # a listed value (the common case)
        values = [m.value for m in cls]
        of_strings = all(isinstance(x, str) for x in values)
        if isinstance(raw, bool) or not isinstance(raw, str if of_strings else int):
            return self._wrong(v, raw, path)
        try:
            return cls(raw)
        except ValueError:
            listed = ", ".join(repr(x) for x in values)
            self._note(path, f"{raw!r} is not one of the values the contract lists ({listed})")
            return raw  # an open enum: kept as its string

    def _union(self, v: Value, raw: Any, path: str) -> Any:
        if v.discriminator is not None and isinstance(raw, Mapping):
            tag = raw.get(v.discriminator)
            index = v.tags.get(tag) if isinstance(tag, str) else None
            if index is not None:
                return self.value(v.variants[index], raw, path)
        for variant in v.variants:
            trial = Reader()
            try:
                value = trial.value(variant, raw, path)
            except Unusable:
                continue
            if value is not _INVALID and not trial.mismatches:
                return value
        self._note(path, f"is {_json_type(raw)}, which fits none of the alternatives the contract lists")
        return _INVALID


_MEMBERS: dict[type[enum.Enum], dict[Any, enum.Enum]] = {}


def _enum_members(cls: type[enum.Enum]) -> dict[Any, enum.Enum]:
    """An enum's members by value (what `cls(value)` returns for a listed value)."""
    members = _MEMBERS.get(cls)
    if members is None:
        members = _MEMBERS[cls] = {m.value: m for m in cls}
    return members


def _string_format(fmt: str | None, raw: str) -> Any:
    """A string in the Python type openapi-python-client gives its format; a string that
    does not parse stays a string (formats are not part of the checks)."""
    parse = _FORMAT_PARSERS.get(fmt) if fmt is not None else None
    if parse is None:
        return raw
    try:
        return parse(raw)
    except ValueError:
        return raw


# The formats `_string_format` reads into Python values, and how.
_FORMAT_PARSERS: dict[str, Callable[[str], Any]] = {
    "date-time": datetime.datetime.fromisoformat,
    "date": datetime.date.fromisoformat,
    "uuid": uuid.UUID,
}


def _set(instance: object, name: str, value: object) -> None:
    try:
        object.__setattr__(instance, name, value)
    except AttributeError:
        pass  # a class without that slot (no additional properties modelled)


_QUICK_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,)}


def quick_reader(shape: ModelShape, init: str | None = None) -> Callable[[dict[str, Any], Any], Any] | None:
    """A reader of `shape.cls` for the common case, or None where the shape has no common
    case. `read(data, arg)` returns the instance `Reader().model(shape, data, **{init: arg})`
    (`init`: a constructor argument that does not come from the data) returns when `data` holds no key the contract does not name and every declared key
    it holds has a value of its plain JSON type (strings without a format, numbers, booleans, any
    value; null where the contract allows it), with no required key missing; otherwise it returns
    None and the caller reads with `Reader` (which then notes what departs from the contract).
    Such a read has no mismatch, so it is the same in strict mode. The instance is filled
    without its `__init__` (a frozen dataclass with no `__post_init__` and no slots)."""
    cls = shape.cls
    if shape.flatten is not None or (shape.extra is not None and shape.extra.kind != "any"):
        return None
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    if any("__slots__" in vars(k) for k in cls.__mro__[:-1]):
        return None
    plan: list[tuple[str, str, bool, tuple[type, ...] | None]] = []
    for f in shape.fields:
        v = f.value
        if f.aliases or f.choices or v.const is not None or v.format is not None:
            return None
        if v.kind == "any":
            plan.append((f.wire, f.attr, f.required, None))
        elif v.kind in _QUICK_TYPES:
            plan.append((f.wire, f.attr, f.required, _QUICK_TYPES[v.kind] + ((type(None),) if v.nullable else ())))
        else:
            return None
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields) or {f.name for f in fields} != {a for _, a, _, _ in plan} | ({init} if init else set()):
        return None
    new = object.__new__
    # A class whose `additional_properties` is a shared empty read-only mapping (the events:
    # not a dataclass field) reads as that when nothing was left over: no dict per instance.
    default_extra = getattr(cls, "additional_properties", None)
    shared_extra = type(default_extra) is MappingProxyType and not default_extra
    presents: dict[tuple[str, ...], frozenset[str]] = {}
    every = frozenset(wire for wire, _, _, _ in plan)
    fields_count = len(plan)

    def general(data: dict[str, Any], arg: Any = None) -> Any:
        attrs = {init: arg} if init else {}
        present: list[str] = []
        for wire, attr, required, types in plan:
            if wire in data:
                raw = data[wire]
                if types is not None and type(raw) not in types:
                    return None
                attrs[attr] = raw
                present.append(wire)
            elif required:
                return None
            else:
                attrs[attr] = None
        found = len(present)
        if found != len(data):
            return None  # keys the contract does not name
        frozen: frozenset[str] | None = every  # every field present: the usual case
        if found != fields_count:
            key = tuple(present)
            frozen = presents.get(key)
            if frozen is None:
                frozen = presents[key] = frozenset(present)
        if not shared_extra:
            attrs["additional_properties"] = {}
        attrs["_present"] = frozen
        instance = new(cls)
        instance.__dict__.update(attrs)
        return instance

    return _every_present(cls, plan, init, every, general, shared_extra)


def _every_present(
    cls: type,
    plan: list[tuple[str, str, bool, tuple[type, ...] | None]],
    init: str | None,
    every: frozenset[str],
    general: Callable[[dict[str, Any], Any], Any],
    shared_extra: bool,
) -> Callable[[dict[str, Any], Any], Any]:
    """`general` with its usual case first, written out for this class (as `dataclasses`
    writes its `__init__`): data holding every declared key and nothing else, each value of
    its plain JSON type, is read with one key lookup and one type test per field and no
    loop. Anything else is `general`'s (same result: this is that case of it)."""
    names: dict[str, Any] = {"new": object.__new__, "cls": cls, "every": every, "general": general}
    reads: list[str] = []
    tests: list[str] = []
    items: list[str] = [f"d[{init!r}] = arg"] if init else []
    for i, (wire, attr, _required, types) in enumerate(plan):
        reads.append(f"v{i} = data[{wire!r}]")
        if types is not None:
            names[f"t{i}"] = types
            tests.append(f"type(v{i}) in t{i}")
        items.append(f"d[{attr!r}] = v{i}")
    items += [*([] if shared_extra else ["d['additional_properties'] = {}"]), "d['_present'] = every"]
    lines = [
        "def read(data, arg=None):",
        f"    if len(data) != {len(plan)}:",
        "        return general(data, arg)",
        "    try:",
        *(f"        {r}" for r in reads or ["pass"]),
        "    except KeyError:",
        "        return general(data, arg)",
        *([f"    if not ({' and '.join(tests)}):", "        return None"] if tests else []),
        "    instance = new(cls)",
        "    d = instance.__dict__",  # filled in place: the class's key-sharing dict
        *(f"    {item}" for item in items),
        "    return instance",
    ]
    exec("\n".join(lines), names)  # noqa: S102 - the source is made above from the shape's names
    read: Callable[[dict[str, Any], Any], Any] = names["read"]
    return read


def read_model(cls: type[_M], data: Mapping[str, Any], **init: Any) -> _M:
    """`cls` read tolerantly from JSON data (what a generated `from_dict` does)."""
    result: _M = Reader().model(shape_of(cls), data, **init)
    return result


class Model:
    """What every model and event class of the SDK has besides its fields: `to_dict()` and
    `to_json()` (plain JSON data), `from_dict()` (a tolerant read), and the fields the
    contract does not name (or that came in another JSON type) in `additional_properties`,
    reachable as `model["key"]` as every declared field is (by its wire name)."""

    __slots__ = ()

    additional_properties: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """This object as plain JSON data (`json.dumps` takes it as it is): its fields under
        their wire names (null only where the server sent null) and `additional_properties`."""
        return dump(self)

    def to_json(self, **kwargs: Any) -> str:
        """`json.dumps(self.to_dict(), **kwargs)`."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """Read JSON data tolerantly (RUNTIME.md "Reading responses")."""
        return read_model(cls, src_dict)

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties)

    def __getitem__(self, key: str) -> Any:
        """A value by its wire name: a field the contract declares (as its attribute holds
        it; a raw value the field could not hold wins), else one the contract does not name
        (`additional_properties`). KeyError when neither has it."""
        extra = self.additional_properties
        if key in extra:
            return extra[key]
        shape = _BY_CLASS.get(type(self))
        if shape is not None and key in shape.declared:
            for f in shape.fields:
                if f.wire == key:
                    return getattr(self, f.attr)
        raise KeyError(key)

    def __contains__(self, key: str) -> bool:
        if key in self.additional_properties:
            return True
        shape = _BY_CLASS.get(type(self))
        return shape is not None and key in shape.declared and key in getattr(self, "_present", frozenset())


# -- values inside a read object ----------------------------------------------------------


def value_at(value: Any, path: Sequence[str | int]) -> Any:
    """The value at `path` (wire keys and list indexes) in a read object, None when absent."""
    for key in path:
        if value is None:
            return None
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
            continue
        shape = _BY_CLASS.get(type(value))
        if shape is not None:
            attr = next((f.attr for f in shape.fields if f.wire == key), None)
            if attr is not None:
                value = getattr(value, attr, None)
            else:
                value = (getattr(value, "additional_properties", None) or {}).get(key)
        elif isinstance(value, Mapping):
            value = value.get(key)
        else:
            return None
    return value


def text_of(value: Any, keys: Sequence[str]) -> str | None:
    """The text of a JSON value (`x-sdk-text`): the value itself when it is a string, else
    the first of `keys` that holds a string when it is an object, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        for key in keys:
            text = value.get(key)
            if isinstance(text, str):
                return text
    return None


# -- back to plain data ---------------------------------------------------------------


def dump(instance: object) -> dict[str, Any]:
    """A model as plain JSON data: `json.dumps` takes the result as it is."""
    shape = shape_of(type(instance))
    present: frozenset[str] = getattr(instance, "_present", frozenset())
    extra: Mapping[str, Any] = getattr(instance, "additional_properties", None) or {}
    out: dict[str, Any] = {}
    for f in shape.fields:
        value = getattr(instance, f.attr, None)
        if value is None:
            if f.wire in extra:
                out[f.wire] = _plain(extra[f.wire])  # what the server sent that the field could not hold
            elif f.wire in present:
                out[f.wire] = None
            continue
        out[f.wire] = _plain(value)
    for key, value in extra.items():
        out.setdefault(key, _plain(value))
    return out


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime):
        text = value.isoformat()
        return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if type(value) in _BY_CLASS:
        return dump(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_plain(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON data")


# -- the written-out model reader ------------------------------------------------------

_BUILDING: Any = object()  # a shape whose fast reader is being written (a model that holds itself)


def fast_reader(shape: ModelShape) -> Callable[[Any], Any] | None:
    """`Reader.model(shape, data)` for the usual case, written out once per shape (as
    `dataclasses` writes an `__init__`), or None where the shape has no such case.
    `read(data)` returns the instance the general reader would, when reading `data` notes
    no mismatch: every declared key it holds (after `flatten`, else its first alias present)
    has a value of its JSON type (a listed enum value, a listed choice, null only where the
    contract allows it, a nested object that reads so in turn), no required key is missing.
    Keys the contract does not name are kept in `additional_properties` as the general
    reader keeps them. Anything else returns None and the caller reads with `Reader` (which
    then notes what departs from the contract), so strict mode is unchanged. The instance is
    filled without its `__init__` (a dataclass that is not frozen, with no `__post_init__`)."""
    known = shape.__dict__.get("_fast", _MISSING)
    if known is not _MISSING:
        if known is _BUILDING:  # a cycle: look the reader up when it is called
            return lambda data: (shape.__dict__.get("_fast") or _no_fast)(data)
        return known  # type: ignore[no-any-return]
    object.__setattr__(shape, "_fast", _BUILDING)
    read: Callable[[Any], Any] | None = None
    try:
        read = _write_fast(shape)
    finally:
        object.__setattr__(shape, "_fast", read)
    return read


def _no_fast(data: Any) -> None:
    return None


def _write_fast(shape: ModelShape) -> Callable[[Any], Any] | None:
    cls = shape.cls
    if shape.extra is not None and shape.extra.kind != "any":
        return None
    if not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return None
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or params.frozen:
        return None
    attrs = {f.attr for f in shape.fields}
    defaults: list[tuple[str, Any]] = []
    for df in dataclasses.fields(cls):
        if df.init:
            if df.name not in attrs:
                return None
        elif df.name not in ("additional_properties", "_present"):
            if df.default is dataclasses.MISSING:
                return None
            defaults.append((df.name, df.default))
    if {f.name for f in dataclasses.fields(cls) if f.init} != attrs:
        return None
    names: dict[str, Any] = {"M": _MISSING, "new": object.__new__, "cls": cls, "dict": dict, "str": str,
                             "int": int, "float": float, "bool": bool, "list": list,
                             "frozenset": frozenset, "declared": shape.declared}
    lines = ["def read(data):", "    if type(data) is not dict:", "        return None"]
    if shape.flatten is not None:
        lines += [
            f"    inner = data.get({shape.flatten!r})",
            "    if type(inner) is dict:",
            "        obj = dict(data)",
            "        for key, inner_value in inner.items():",
            "            obj.setdefault(key, inner_value)",
            "    elif inner is None or type(inner) in (str, int, float, bool, list):",
            "        obj = data",
            "    else:",
            "        return None",
        ]
    else:
        lines.append("    obj = data")
    lines += ["    get = obj.get", "    found = 0", "    present = []"]
    sets: list[str] = []
    for i, f in enumerate(shape.fields):
        v = f.value
        if v.const is not None:
            return None
        w = repr(f.wire)
        lines += [f"    raw = get({w}, M)", "    if raw is not M:", "        found += 1"]
        for alias in f.aliases:
            lines += [f"    elif {alias!r} in obj:", f"        raw = obj[{alias!r}]"]
        lines += ["    if raw is M:"]
        lines.append("        return None" if f.required else f"        a{i} = None")
        lines.append("    else:")
        conv = _fast_value(v, i, names)
        if conv is None:
            return None
        lines += [f"        {line}" for line in conv]
        if f.choices:
            names[f"C{i}"] = f.choices
            lines += [f"        if a{i} is not None and a{i} not in C{i}:", "            return None"]
        lines.append(f"        present.append({w})")
        sets.append(f"    o.{f.attr} = a{i}")
    lines += [
        "    if found < len(obj):",
        "        extra = {key: raw for key, raw in obj.items() if key not in declared}",
        "    else:",
        "        extra = {}",
        "    o = new(cls)",
        *sets,
        "    o.additional_properties = extra",
        "    o._present = frozenset(present)",
    ]
    for j, (name, default) in enumerate(defaults):
        names[f"D{j}"] = default
        lines.append(f"    o.{name} = D{j}")
    lines.append("    return o")
    exec("\n".join(lines), names)  # noqa: S102 - the source is made above from the shape's names
    read: Callable[[Any], Any] = names["read"]
    return read


def _fast_value(v: Value, i: int, names: dict[str, Any]) -> list[str] | None:
    """Lines that set `a{i}` from `raw` (not missing) as `Reader.value` would with no
    mismatch, or `return None` where it would note one; None: a shape not written out."""
    a = f"a{i}"
    head: list[str]
    if v.nullable or v.kind == "any":
        head = ["if raw is None:", f"    {a} = None", "el"]
    else:
        head = [""]
    kind = v.kind
    if kind == "any":
        return [f"{a} = raw"]
    if kind == "string":
        parse = _FORMAT_PARSERS.get(v.format or "")
        if parse is None:  # no format, or one read as the string itself
            body = ["if type(raw) is str:", f"    {a} = raw"]
        else:  # `_string_format`, written out: a string that does not parse stays a string
            names[f"F{i}"] = parse
            body = ["if type(raw) is str:", "    try:", f"        {a} = F{i}(raw)", "    except ValueError:",
                    f"        {a} = raw"]
    elif kind == "integer":
        body = ["if type(raw) is int:", f"    {a} = raw"]
    elif kind == "number":
        body = ["if type(raw) is int or type(raw) is float:", f"    {a} = raw"]
    elif kind == "boolean":
        body = ["if type(raw) is bool:", f"    {a} = raw"]
    elif kind == "enum":
        if v.enum is None:
            return None
        names[f"E{i}"] = _enum_members(v.enum)
        body = ["if type(raw) is str or type(raw) is int:", f"    {a} = E{i}.get(raw)", f"    if {a} is None:",
                "        return None"]
    elif kind == "map" and (v.values is None or v.values.kind == "any"):
        body = ["if type(raw) is dict:", f"    {a} = dict(raw)"]
    elif kind == "array" and (v.items is None or v.items.kind == "any"):
        body = ["if type(raw) is list:", f"    {a} = list(raw)"]
    elif kind == "model":
        nested = fast_reader(_BY_NAME[v.model or ""])
        if nested is None:
            return None
        names[f"R{i}"] = nested
        body = ["if type(raw) is dict:", f"    {a} = R{i}(raw)", f"    if {a} is None:", "        return None"]
    else:
        return None
    lines = head[:-1] + [head[-1] + body[0]] + body[1:] + ["else:", "    return None"]
    return lines
