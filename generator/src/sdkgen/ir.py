"""The intermediate representation every target renders from.

The IR is language-neutral in structure but carries every name each language
shows (`Names`), computed once by the builder. Templates only read these fields
(plus the documented filters of each target); they never look at the raw spec.

Shape:

    IR
    ├── sdk: SdkInfo                    package names, version, env prefix, auth header
    ├── resources: [Resource]           one per tag, in spec order
    │     └── operations: [Operation]   params, body, response, pagination, streaming
    ├── models: [Model]                 every object schema (allOf flattened)
    ├── enums: [Enum]
    ├── streams: [EventStream]          every text/event-stream union, with its EventTypes
    └── diagnostics: [Diagnostic]       problems found, each with severity and spec location
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field as PydField

from . import naming

__all__ = [
    "Names",
    "TypeRef",
    "Field",
    "Model",
    "EnumValue",
    "Enum",
    "Parameter",
    "Body",
    "Result",
    "Pagination",
    "Operation",
    "Resource",
    "EventType",
    "EventStream",
    "SdkInfo",
    "Diagnostic",
    "IR",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Frozen):
    """One identifier, spelled for every language.

    `python`, `typescript`, `go` are the identifiers to emit for members
    (methods, fields, parameters); `pascal`/`go_type` are for type names.
    """

    original: str
    snake: str
    camel: str
    pascal: str
    constant: str
    python: str
    typescript: str
    go: str
    go_private: str

    @classmethod
    def of(cls, original: str) -> Names:
        return cls(
            original=original,
            snake=naming.snake(original),
            camel=naming.camel(original),
            pascal=naming.pascal(original),
            constant=naming.constant(original),
            python=naming.python_ident(original),
            typescript=naming.ts_ident(original),
            go=naming.go_ident(original),
            go_private=naming.go_camel(original),
        )


TypeKind = Literal["string", "integer", "number", "boolean", "any", "array", "map", "model", "enum"]


class TypeRef(_Frozen):
    """A value's type. `model`/`enum` name a Model/Enum by `ref` (the schema name)."""

    kind: TypeKind
    nullable: bool = False
    format: str | None = None
    items: TypeRef | None = None  # kind == "array"
    values: TypeRef | None = None  # kind == "map": the additionalProperties type
    ref: str | None = None  # kind in ("model", "enum"): schema name, key into IR.models / IR.enums
    const: Any = None  # a `const` value, if the schema has one


class Field(_Frozen):
    """A property of a model, or a body field flattened into a method's arguments."""

    name: Names
    wire_name: str
    type: TypeRef
    required: bool
    description: str = ""
    default: Any = None
    has_default: bool = False
    constraints: dict[str, Any] = PydField(default_factory=dict)  # minLength, maximum, enum...
    # `x-sdk-aliases`: other wire names read, in order, when `wire_name` is absent.
    aliases: list[str] = PydField(default_factory=list)
    # `x-sdk-text`: on a value of any JSON type, the keys that may hold its text when it is
    # an object, tried in order (a string value is its own text). The SDKs add a
    # `<field>_text` convenience. Empty: no convenience.
    text_keys: list[str] = PydField(default_factory=list)


class Model(_Frozen):
    """An object schema. `fields` are flattened across allOf; `bases` names the allOf refs."""

    schema_name: str
    name: Names
    description: str = ""
    fields: list[Field]
    bases: list[str] = PydField(default_factory=list)
    additional_properties: TypeRef | None = None  # None: no extra keys modelled
    # `x-sdk-flatten`: a property (of model type) whose keys, when it is an object, fill in the
    # keys this object lacks before decoding: one model reads two wire shapes.
    flatten: str | None = None
    is_envelope: bool = False  # {data: X} or {data: [X], meta: ...} response wrapper
    is_request_body: bool = False
    is_event_data: bool = False
    is_event_frame: bool = False


class EnumValue(_Frozen):
    value: str | int
    name: Names


class Enum(_Frozen):
    schema_name: str
    name: Names
    description: str = ""
    kind: Literal["string", "integer"]
    values: list[EnumValue]


ParamRole = Literal["plain", "idempotency_key", "last_event_id", "page", "limit"]


class Parameter(_Frozen):
    """A path, query or header parameter. `role` marks those the runtime manages."""

    name: Names
    wire_name: str
    location: Literal["path", "query", "header"]
    required: bool
    type: TypeRef
    description: str = ""
    default: Any = None
    has_default: bool = False
    role: ParamRole = "plain"
    constraints: dict[str, Any] = PydField(default_factory=dict)


class Body(_Frozen):
    """A JSON request body. `fields` are the body model's fields, in spec order, required first."""

    schema_name: str  # the request model (key into IR.models)
    required: bool
    content_type: str = "application/json"
    description: str = ""
    fields: list[Field]


class Result(_Frozen):
    """What a successful call returns.

    kind:
      - "model":  the body is `envelope`; the SDK returns `envelope.<unwrap>` (type `type`),
                  or the whole body when `unwrap` is None.
      - "page":   a paginated list; `type` is the item type; items are `envelope.data`,
                  page info `envelope.meta` (model `meta_schema`).
      - "none":   no body (204).
      - "stream": Server-Sent Events; `stream` names the EventStream.
    """

    kind: Literal["model", "page", "none", "stream"]
    status: int
    description: str = ""
    envelope: str | None = None
    unwrap: str | None = None
    type: TypeRef | None = None
    meta_schema: str | None = None
    stream: str | None = None


class Pagination(_Frozen):
    style: Literal["page"]
    page_param: str
    limit_param: str
    items_field: str = "data"
    meta_field: str = "meta"


class Operation(_Frozen):
    operation_id: str
    name: Names  # the SDK method name (x-sdk-method, else operationId)
    tag: str
    http_method: Literal["get", "post", "put", "patch", "delete"]
    path: str  # as in the spec, with {param} placeholders
    summary: str = ""
    description: str = ""
    deprecated: bool = False
    path_params: list[Parameter]
    query_params: list[Parameter]
    header_params: list[Parameter]  # user-facing headers only; runtime-managed ones have a role
    body: Body | None = None
    result: Result
    error_statuses: list[int] = PydField(default_factory=list)
    pagination: Pagination | None = None
    idempotent: bool = False  # accepts Idempotency-Key: the runtime sends one per call
    params_name: Names  # type name for the non-path inputs (Go struct, TS interface)
    source: str  # JSON pointer of the operation in the spec

    @property
    def is_stream(self) -> bool:
        return self.result.kind == "stream"


class Resource(_Frozen):
    tag: str
    name: Names  # chat -> client.chat / client.Chat ; class name from name.pascal
    description: str = ""
    operations: list[Operation]


class EventType(_Frozen):
    """One event of a stream: the wire `event` name, its data model and class name."""

    event: str  # wire name, e.g. "tool_start"
    name: Names  # class name source: name.pascal == "ToolStartEvent"
    frame_schema: str
    data_schema: str  # key into IR.models
    fields: list[Field]  # the data model's fields
    terminal: bool
    description: str = ""


class EventStream(_Frozen):
    schema_name: str  # the oneOf union, e.g. "ChatStreamFrame"
    name: Names
    description: str = ""
    discriminator: str  # "event"
    events: list[EventType]

    @property
    def terminal_events(self) -> list[str]:
        return [e.event for e in self.events if e.terminal]


class SdkInfo(_Frozen):
    name: Names  # "PromptRails": client class name source
    title: str
    api_version: str
    version: str  # the SDKs' version
    slug: str  # "promptrails": the User-Agent prefix ({slug}-{lang}/{version}) in every language
    description: str = ""
    env_prefix: str  # PROMPTRAILS -> PROMPTRAILS_API_KEY, PROMPTRAILS_BASE_URL
    default_base_url: str
    auth_header: str | None  # X-API-Key
    python_package: str
    npm_package: str
    go_module: str
    go_package: str


class Diagnostic(_Frozen):
    severity: Literal["error", "warning"]
    message: str
    location: str  # JSON pointer into the spec, e.g. "#/paths/~1api~1v1~1chat/get"

    def __str__(self) -> str:
        return f"{self.severity}: {self.location}: {self.message}"


class IR(_Frozen):
    sdk: SdkInfo
    resources: list[Resource]
    models: dict[str, Model]  # by schema name, sorted
    enums: dict[str, Enum]
    streams: dict[str, EventStream]
    diagnostics: list[Diagnostic]
    spec_sha256: str

    @property
    def operations(self) -> list[Operation]:
        return [op for r in self.resources for op in r.operations]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]
