"""The intermediate representation every target renders from.

The IR is the only interpreter of the spec: every decision a target needs (names for every
language, which parameters are required, which models are public, how a stream is framed
and ends, which event carries the text, the resume route, whether a response is wrapped in
`{data}`) is made by the builder, once, and stored here. Templates only read these fields
(plus the documented filters of each target); they never look at the raw spec.

Shape:

    IR
    ├── sdk: SdkInfo                    package names, version, env prefix
    ├── auth: [AuthScheme]              every usable security scheme, and how to send it
    ├── resources: [Resource]           one per tag, in spec order
    │     └── operations: [Operation]   params, body, result, pagination, streaming, security
    ├── models: [Model]                 every object schema (allOf flattened), public or internal
    ├── enums: [Enum]
    ├── unions: [Union]                 every oneOf/anyOf of several types, with its variants
    ├── aliases: {name: TypeRef}        component schemas that are a primitive, array, map or wrapper
    ├── streams: [EventStream]          every text/event-stream response, with its EventTypes
    │                                   and its decisions (framing, end, text delta, resume)
    └── diagnostics: [Diagnostic]       problems and notes, each with severity and spec location

Names: every entity carries a `Names`. Which of its spellings a target emits:

    member names (methods, fields, params, enum members, resource attributes):
        Names.python_member / .typescript_member / .go_member   (.go_local: Go arguments)
    type names (models, enums, unions, events, streams, resources, params, the client):
        Names.python_type / .typescript_type / .go_type
        plus the names `naming.DERIVED` derives from them (`{}Spec`, `Async{}`, ...)
    file/module stems:  Names.module

All of these are keyword-safe and collision-free in their scope (resolved by the builder,
each rename reported as a `note`). `python`, `typescript`, `go`, `go_private` and the raw
spellings `snake`, `camel`, `pascal`, `constant` are what today's targets read; they are
never changed by the resolution, so new code should not emit them.

Compatibility: this round only ADDS to the IR; fields the targets read today keep their
meaning. Fields marked "deprecated" below are kept for them and will go once every target
reads the new ones.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydField

from . import naming

__all__ = [
    "Names",
    "TypeRef",
    "Field",
    "Model",
    "EnumValue",
    "Enum",
    "UnionVariant",
    "Union",
    "Parameter",
    "Body",
    "BodySwitch",
    "Result",
    "Pagination",
    "Operation",
    "Conversation",
    "Resource",
    "EventType",
    "TextDelta",
    "ValuePath",
    "ResumeBinding",
    "ResumeRoute",
    "EventStream",
    "AuthScheme",
    "SdkInfo",
    "Diagnostic",
    "IR",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Names(_Frozen):
    """One identifier, spelled for every language.

    Emit these (valid and collision-free in their scope, see the module docstring):
      members:  `python_member`, `typescript_member`, `go_member`, `go_local` (Go locals)
      types:    `python_type`, `typescript_type`, `go_type`
      files:    `module`
    Deprecated for emission (today's targets read them; never collision-resolved):
      `python`, `typescript`, `go`, `go_private`, and the raw spellings `snake`, `camel`,
      `pascal`, `constant`.
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
    python_member: str = ""
    typescript_member: str = ""
    go_member: str = ""
    go_local: str = ""
    python_type: str = ""
    typescript_type: str = ""
    go_type: str = ""
    module: str = ""

    @classmethod
    def of(cls, original: str) -> Names:
        python = naming.python_ident(original)
        typescript = naming.ts_ident(original)
        go = naming.go_ident(original)
        return cls(
            original=original,
            snake=naming.snake(original),
            camel=naming.camel(original),
            pascal=naming.pascal(original),
            constant=naming.constant(original),
            python=python,
            typescript=typescript,
            go=go,
            go_private=naming.go_camel(original),
            python_member=python,
            typescript_member=typescript,
            go_member=go,
            go_local=naming.go_local_ident(original),
            python_type=naming.python_type_ident(original),
            typescript_type=naming.ts_type_ident(original),
            go_type=naming.go_type_ident(original),
            module=python,
        )

    @classmethod
    def enum_member(cls, label: str) -> Names:
        """An enum value's names: `python_member` is the UPPER_SNAKE member,
        `typescript_member` the Pascal key of the value object, `go_member` the suffix of
        the Go constant (`<Enum.go_type><go_member>`)."""
        return cls.of(label).model_copy(update={
            "python_member": naming.enum_member_python(label),
            "typescript_member": naming.ts_enum_key(label),
        })


TypeKind = Literal["string", "integer", "number", "boolean", "any", "array", "map", "model", "enum"]


class TypeRef(_Frozen):
    """A value's type. `model`/`enum` name a Model/Enum by `ref` (the schema name).

    A union (oneOf/anyOf of several types) is `kind == "any"` with `union` naming an
    IR.unions entry: targets that do not render unions yet keep treating it as any.
    Binary data (an octet-stream body, a multipart file) is `kind == "string"`,
    `format == "binary"`, in every OpenAPI version's spelling.
    """

    kind: TypeKind
    nullable: bool = False
    format: str | None = None
    items: TypeRef | None = None  # kind == "array"
    values: TypeRef | None = None  # kind == "map": the additionalProperties type
    ref: str | None = None  # kind in ("model", "enum"): schema name, key into IR.models / IR.enums
    const: Any = None  # a `const` value, if the schema has one
    union: str | None = None  # kind == "any": key into IR.unions when the value is a typed union


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
    read_only: bool = False
    write_only: bool = False
    deprecated: bool = False
    source: str = ""  # JSON pointer of the property schema


ModelRole = Literal["model", "envelope", "request_body", "event_data", "event_frame"]


class Model(_Frozen):
    """An object schema. `fields` are flattened across allOf; `bases` names the allOf refs.

    `visibility` is the decision which models an SDK exposes: `internal` for envelopes,
    event frames, and request bodies / event data used nowhere else (their fields become
    method arguments / event types); `public` for the rest. `roles` says why.
    """

    schema_name: str
    name: Names
    description: str = ""
    fields: list[Field]
    bases: list[str] = PydField(default_factory=list)
    additional_properties: TypeRef | None = None  # None: no extra keys modelled
    # `x-sdk-flatten`: a property (of model type) whose keys, when it is an object, fill in the
    # keys this object lacks before decoding: one model reads two wire shapes.
    flatten: str | None = None
    is_envelope: bool = False  # deprecated: "envelope" in roles
    is_request_body: bool = False  # deprecated: "request_body" in roles
    is_event_data: bool = False  # deprecated: "event_data" in roles
    is_event_frame: bool = False  # deprecated: "event_frame" in roles
    roles: list[ModelRole] = PydField(default_factory=list)
    visibility: Literal["public", "internal"] = "public"
    recursive: bool = False  # part of a reference cycle: a field of its own type, directly or not
    inline: bool = False  # defined inline; `schema_name` was made from its place in the spec
    source: str = ""


class EnumValue(_Frozen):
    value: str | int
    name: Names  # Names.enum_member: *_member are UPPER_SNAKE (Python), Pascal key (TS), const suffix (Go)


class Enum(_Frozen):
    schema_name: str
    name: Names
    description: str = ""
    kind: Literal["string", "integer"]
    values: list[EnumValue]
    nullable: bool = False
    source: str = ""


class UnionVariant(_Frozen):
    """One alternative of a union. `tags` are the discriminator values that select it."""

    type: TypeRef
    name: Names  # the variant's name (its model's name, or its kind: "String", "StringList")
    tags: list[str] = PydField(default_factory=list)


class Union(_Frozen):
    """A oneOf/anyOf of several types (null aside, which makes it `nullable`).

    With `discriminator`, every variant is a model carrying that property, and `tags` map
    its values to variants (from the mapping, else the variant's `const`/one-value enum,
    else its schema name, as OpenAPI says). Without one, a value is the first variant it
    decodes as (anyOf: any that fit).
    """

    schema_name: str
    name: Names
    description: str = ""
    keyword: Literal["oneOf", "anyOf"]
    variants: list[UnionVariant]
    discriminator: str | None = None
    nullable: bool = False
    inline: bool = False
    source: str = ""


ParamRole = Literal["plain", "idempotency_key", "last_event_id", "page", "limit"]


class Parameter(_Frozen):
    """A path, query, header or cookie parameter. `role` marks those the runtime manages.

    `required` is the decision: path parameters are always required (OpenAPI says so; a
    spec that says otherwise gets a warning).
    """

    name: Names
    wire_name: str
    location: Literal["path", "query", "header", "cookie"]
    required: bool
    type: TypeRef
    description: str = ""
    default: Any = None
    has_default: bool = False
    role: ParamRole = "plain"
    constraints: dict[str, Any] = PydField(default_factory=dict)
    style: str | None = None  # serialization, as the spec says (form, simple, deepObject...)
    explode: bool | None = None
    deprecated: bool = False
    source: str = ""


BodyKind = Literal["json", "binary", "multipart", "form", "text"]


class Body(_Frozen):
    """A request body. `fields` are the body model's fields, in spec order.

    kind: "json" (application/json or +json), "multipart" (multipart/form-data: fields,
    `format: binary` ones are files), "form" (application/x-www-form-urlencoded: fields),
    "binary" (any other media type, e.g. application/octet-stream: the bytes themselves,
    `fields` empty), "text" (text/plain). `type` is the body's type (a model, an array, or
    binary/text string); `schema_name` names its model, None when it is not one.
    """

    schema_name: str | None  # the request model (key into IR.models), when the body is one
    required: bool
    content_type: str = "application/json"
    description: str = ""
    fields: list[Field]
    kind: BodyKind = "json"
    content_types: list[str] = PydField(default_factory=list)  # every media type the spec offers
    type: TypeRef | None = None


class BodySwitch(_Frozen):
    """A body property that selects how the server answers (`stream: true` -> SSE).

    The method sends `field = value` itself; the caller never passes it.
    """

    field: str  # wire name, e.g. "stream"
    value: Any  # True in the streaming method, False in the plain one


class Result(_Frozen):
    """What a successful call returns.

    kind:
      - "model":  a JSON body; the SDK returns `body.<unwrap>` (type `type`) when `unwrap`
                  is set, else the whole body (type `type`). `envelope` names the body's
                  schema when it is a named model (deprecated meaning: "the response schema").
      - "page":   a paginated list; `type` is the item type; items are `envelope.data`,
                  page info `envelope.meta` (model `meta_schema`).
      - "none":   no body (204, or a 2xx without content).
      - "stream": Server-Sent Events; `stream` names the EventStream.
      - "binary": the raw bytes (application/octet-stream, images, audio...).
      - "text":   a text body (text/plain...).
    `wrapped` is the decision whether the body is a `{data: ...}` envelope the SDK unwraps
    (see Operation.decisions["envelope"] for how it was made).
    """

    kind: Literal["model", "page", "none", "stream", "binary", "text"]
    status: int
    description: str = ""
    envelope: str | None = None
    unwrap: str | None = None
    type: TypeRef | None = None
    meta_schema: str | None = None
    stream: str | None = None
    wrapped: bool = False
    content_type: str | None = None


class Pagination(_Frozen):
    style: Literal["page"]
    page_param: str
    limit_param: str
    items_field: str = "data"
    meta_field: str = "meta"


class Operation(_Frozen):
    """One SDK method. An operation answering JSON or SSE by a body flag (`stream: true`)
    is two of them: `variant` "plain" and "stream", same `operation_id`, distinct `key`
    and `name`, each with its `body_switch`, and `pair` naming the other's key."""

    operation_id: str
    name: Names  # the SDK method name (x-sdk-method, else operationId)
    tag: str
    http_method: Literal["get", "post", "put", "patch", "delete", "head", "options", "trace", "query"]
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
    key: str = ""  # unique in the IR: operation_id, plus ":stream" for a stream variant
    cookie_params: list[Parameter] = PydField(default_factory=list)
    # Security requirement alternatives (names of IR.auth schemes); one empty alternative
    # means "no credentials needed"; [] means the operation needs none at all.
    security: list[list[str]] = PydField(default_factory=list)
    # Whether the method's params object (TS interface / Go struct / Python keywords) must be
    # given: a required query/header/cookie parameter, or a required body with a required field.
    params_required: bool = False
    variant: Literal["plain", "stream"] | None = None
    pair: str | None = None
    body_switch: BodySwitch | None = None
    accept: str | None = None  # the Accept header the method sends, when the spec offers several
    success_statuses: list[int] = PydField(default_factory=list)
    # The JSON body of each error response the spec describes ("404", "4XX", "default"...).
    error_bodies: dict[str, TypeRef] = PydField(default_factory=dict)
    # How each decision was made: "extension: x-...", "rule: ...", "spec".
    decisions: dict[str, str] = PydField(default_factory=dict)

    @property
    def is_stream(self) -> bool:
        return self.result.kind == "stream"


class Conversation(_Frozen):
    """`x-sdk-conversation` on a tag: a stateful conversation object over the resource's
    session operations (RUNTIME.md, "Conversations"). The runtime of each language holds the
    generic behaviour; the generated resource binds it to these operations and fields.

    Operation references are `Operation.key`s of the same resource. `open_method` and
    `load_method` are the resource's methods that open (or resume) and load a conversation.
    """

    open_method: Names  # client.chat.conversation(...)
    load_method: Names  # client.chat.load(path)
    create: str  # opens a session; its result is a model holding `session_id_field`
    send: str  # sends a message and returns the reply (JSON)
    stream: str | None = None  # sends a message and streams the reply
    history: str  # lists a session's messages, oldest first (a page)
    get: str | None = None  # reads a session (to resume one: its agent, title, metadata)
    delete: str | None = None  # deletes a session
    session_param: str  # the path parameter naming the session in send/stream/history/get/delete
    session_id_field: str = "id"  # the field of `create`'s result holding the session id
    text_field: str  # the body field of send/stream carrying the user's text
    create_fields: list[str] = PydField(default_factory=list)  # `create`'s body fields, kept for clear()
    # Token counters summed over the stored messages: counter name -> message field.
    usage_fields: dict[str, str] = PydField(default_factory=dict)
    cost_field: str | None = None  # the message field holding its cost
    source: str = ""


class Resource(_Frozen):
    tag: str
    name: Names  # chat -> client.chat / client.Chat ; class name from name.*_type
    description: str = ""
    operations: list[Operation]
    conversation: Conversation | None = None


class EventType(_Frozen):
    """One event of a stream: how it is recognised, its data and its class name.

    `event` is its name: the SSE `event:` name for event-dispatched streams, the value of
    the data property for property-dispatched ones, the stream's name for single-event
    streams. `sse_event` is the `event:` field value a frame carries when the spec says so
    (None: not checked). `tag` is the data property's value (property dispatch).
    """

    event: str  # e.g. "tool_start"
    name: Names  # class name: name.*_type == "ToolStartEvent"
    frame_schema: str | None  # the envelope schema, when frames are described as {event, id, data}
    data_schema: str | None  # key into IR.models, when the data is a model
    fields: list[Field]  # the data model's fields ([] when the data is not an object)
    terminal: bool
    description: str = ""
    data_type: TypeRef | None = None  # what `data:` decodes to
    data_format: Literal["json", "text"] = "json"  # text: the data is a plain string, not JSON
    sse_event: str | None = None
    tag: str | None = None
    success: bool = False  # the terminal event of a successful end
    failure: bool = False  # a terminal event that ends the stream in an error
    source: str = ""


class TextDelta(_Frozen):
    """Where an event carries a piece of the text: `path` into its data (keys and list
    indexes, e.g. ["choices", 0, "delta", "content"]); a string there is appended."""

    event: str
    path: list[str | int]


class ValuePath(_Frozen):
    """A value a stream's result exposes: the value at `path` in the data of the last
    `event` that carried one (a non-null value)."""

    event: str
    path: list[str | int]
    text_keys: list[str] = PydField(default_factory=list)  # x-sdk-text of the field found there, if any


class ResumeBinding(_Frozen):
    param: str  # the resume operation's path parameter (wire name)
    field: str  # the event data field that feeds it (wire name)


class ResumeRoute(_Frozen):
    """How a broken stream is resumed: call `operation_id` (path params from the events'
    fields, `header` set to the last delivered event id). `carriers` are the events holding
    every bound field; the SDK takes the values from the first of them it delivers."""

    operation_id: str
    key: str
    tag: str
    path: str
    header: str  # wire name of the Last-Event-ID header parameter
    bindings: list[ResumeBinding]
    carriers: list[str]


class EventStream(_Frozen):
    """A Server-Sent Events stream, modelled apart from any one convention.

    dispatch (how an event is recognised):
      - "event":    by the SSE `event:` field (frames `{event, id, data}`; ours; 3.2 itemSchema)
      - "property": by `data_property` inside the JSON data (`type`: Anthropic)
      - "single":   every frame is the one event (OpenAI chat completion chunks)
    end (how it ends cleanly): a terminal event (`EventType.terminal`), the `sentinel`
    data (`[DONE]`), or, with `eof_ends`, the connection closing. Anything else ending the
    stream is an error the caller sees.
    """

    schema_name: str  # the union (e.g. "ChatStreamFrame"), or a name made from its place
    name: Names
    description: str = ""
    discriminator: str  # deprecated: "event" for event dispatch, else the data property ("" single)
    events: list[EventType]
    dispatch: Literal["event", "property", "single"] = "event"
    data_property: str | None = None
    sentinel: str | None = None
    eof_ends: bool = False
    item_schema: bool = False  # described by OpenAPI 3.2 `itemSchema`
    success_event: str | None = None
    failure_events: list[str] = PydField(default_factory=list)
    text_delta: TextDelta | None = None
    output: ValuePath | None = None
    usage: ValuePath | None = None
    resume: ResumeRoute | None = None
    operations: list[str] = PydField(default_factory=list)  # keys of the operations streaming it
    decisions: dict[str, str] = PydField(default_factory=dict)
    source: str = ""

    @property
    def terminal_events(self) -> list[str]:
        return [e.event for e in self.events if e.terminal]


class AuthScheme(_Frozen):
    """A security scheme the SDKs can send: `param` in `location`, value `prefix + credential`.

    kind: "api_key" (as is), "bearer" (`Authorization: Bearer <token>`), "basic"
    (`Authorization: Basic base64(username:password)`), "oauth2"/"openid" (a bearer token
    the caller obtained), "mutual_tls" (a client certificate: location "transport", the
    caller configures the HTTP client; nothing is sent by the SDK). `env` are the
    environment variables the client reads (one, or username/password for basic).
    """

    key: str  # the securitySchemes key
    name: Names  # the client option's name (api_key for the first key-like scheme)
    kind: Literal["api_key", "bearer", "basic", "oauth2", "openid", "mutual_tls"]
    location: Literal["header", "query", "cookie", "transport"]
    param: str
    prefix: str = ""
    bearer_format: str | None = None
    env: list[str] = PydField(default_factory=list)
    description: str = ""
    source: str = ""


class SdkInfo(_Frozen):
    name: Names  # "PromptRails": client class name source
    title: str
    api_version: str
    version: str  # the SDKs' version
    slug: str  # "promptrails": the User-Agent prefix ({slug}-{lang}/{version}) in every language
    description: str = ""
    env_prefix: str  # PROMPTRAILS -> PROMPTRAILS_API_KEY, PROMPTRAILS_BASE_URL
    default_base_url: str
    auth_header: str | None  # deprecated: the first apiKey-in-header scheme; read IR.auth
    python_package: str
    npm_package: str
    go_module: str
    go_package: str
    openapi: str = "3.1.0"  # the document's OpenAPI version
    license: str | None = None  # SPDX identifier (info.license.identifier, else its name)
    repository: str | None = None  # x-sdk.repository: the source repository's URL


DropKind = Literal["operation", "parameter", "body", "field", "event", "schema", "stream", "auth", "conversation"]


class Diagnostic(_Frozen):
    """A problem or a note, at a spec location. `dropped` says what the SDKs will lack
    because of it (a run that drops anything fails unless partial output is allowed)."""

    severity: Literal["error", "warning", "note"]
    message: str
    location: str  # JSON pointer into the spec, e.g. "#/paths/~1api~1v1~1chat/get"
    dropped: DropKind | None = None

    def __str__(self) -> str:
        what = f" (dropped: {self.dropped})" if self.dropped else ""
        return f"{self.severity}: {self.location}: {self.message}{what}"


class IR(_Frozen):
    sdk: SdkInfo
    resources: list[Resource]
    models: dict[str, Model]  # by schema name, sorted
    enums: dict[str, Enum]
    streams: dict[str, EventStream]
    diagnostics: list[Diagnostic]
    spec_sha256: str
    unions: dict[str, Union] = PydField(default_factory=dict)
    auth: list[AuthScheme] = PydField(default_factory=list)
    # Component schemas that are no model, enum or union (a primitive, an array, a map, a
    # nullable or single-variant wrapper): the type each stands for, where it is used inline.
    aliases: dict[str, TypeRef] = PydField(default_factory=dict)

    @property
    def operations(self) -> list[Operation]:
        return [op for r in self.resources for op in r.operations]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def notes(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "note"]

    @property
    def dropped(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.dropped]

    @property
    def public_models(self) -> list[Model]:
        return [m for m in self.models.values() if m.visibility == "public"]
