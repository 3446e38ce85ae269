"""Event streams in the IR: each style, what `x-sdk-stream` says, the documented rules where it
says nothing, and the errors a wrong extension gets (with a location, never a guess)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from sdkgen.builder import build_ir
from sdkgen.ir import IR, EventStream
from sdkgen.spec import load_spec

HERE = Path(__file__).parent
NOTEBOOK = HERE / "fixtures" / "notebook.yaml"


def build(tmp_path: Path, doc: dict[str, Any], name: str = "spec.yaml") -> IR:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return build_ir(load_spec(path))


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(props), "properties": props}


def sse_api(media: dict[str, Any], schemas: dict[str, Any], *, extra_ops: dict[str, Any] | None = None,
            path_params: bool = False) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/run": {"post": {"operationId": "run", "tags": ["runs"],
                          "responses": {"200": {"description": "events", "content": {"text/event-stream": media}}}}},
    }
    paths.update(extra_ops or {})
    return {
        "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
        "components": {"securitySchemes": {"k": {"type": "apiKey", "in": "header", "name": "K"}}, "schemas": schemas},
        "security": [{"k": []}], "paths": paths,
    }


def frames(events: dict[str, dict[str, Any]], ext: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    schemas: dict[str, Any] = {}
    union: dict[str, Any] = {"oneOf": [], "discriminator": {"propertyName": "event"}}
    for name, data in events.items():
        frame = f"{name.title().replace('_', '')}Frame"
        schemas[frame] = obj(event={"const": name}, id={"type": "string"},
                             data={"$ref": f"#/components/schemas/{frame}Data"})
        schemas[f"{frame}Data"] = data
        union["oneOf"].append({"$ref": f"#/components/schemas/{frame}"})
    if ext:
        union["x-sdk-stream"] = ext
    schemas["Frames"] = union
    return {"schema": {"$ref": "#/components/schemas/Frames"}}, schemas


def only_stream(ir: IR) -> EventStream:
    assert len(ir.streams) == 1
    return next(iter(ir.streams.values()))


def has(ir: IR, severity: str, text: str) -> bool:
    return any(d.severity == severity and text in d.message for d in ir.diagnostics)


# -- styles ----------------------------------------------------------------------------------


def test_event_named_frames(tmp_path: Path) -> None:
    media, schemas = frames({"delta": obj(text={"type": "string"}), "done": {"type": "object", "properties": {}}},
                            {"terminal": ["done"]})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert (s.dispatch, s.data_property, s.sentinel) == ("event", None, None)
    assert [(e.event, e.sse_event, e.frame_schema, e.data_schema, e.terminal) for e in s.events] == [
        ("delta", "delta", "DeltaFrame", "DeltaFrameData", False), ("done", "done", "DoneFrame", "DoneFrameData", True)]


def test_data_only_frames_with_a_sentinel(tmp_path: Path) -> None:
    media = {"schema": {"$ref": "#/components/schemas/Chunk"},
             "x-sdk-stream": {"sentinel": "[DONE]", "text": {"path": ["choices", 0, "delta", "content"]}}}
    schemas = {"Chunk": obj(choices={"type": "array", "items": obj(delta=obj(content={"type": ["string", "null"]}))})}
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert (s.schema_name, s.dispatch, s.sentinel, s.terminal_events) == ("RunStream", "single", "[DONE]", [])
    assert [(e.event, e.sse_event, e.data_schema) for e in s.events] == [("message", None, "Chunk")]
    assert s.text_delta is not None and s.text_delta.path == ["choices", 0, "delta", "content"]


def test_events_told_apart_by_a_property_of_the_data(tmp_path: Path) -> None:
    schemas = {
        "Ev": {"oneOf": [{"$ref": "#/components/schemas/Start"}, {"$ref": "#/components/schemas/Stop"}],
               "discriminator": {"propertyName": "type", "mapping": {"start": "#/components/schemas/Start",
                                                                      "stop": "#/components/schemas/Stop"}}},
        "Start": obj(type={"type": "string", "const": "start"}, id={"type": "string"}),
        "Stop": obj(type={"type": "string", "enum": ["stop"]}),
    }
    media = {"schema": {"$ref": "#/components/schemas/Ev"}, "x-sdk-stream": {"terminal": ["stop"], "event_names": True}}
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert (s.schema_name, s.dispatch, s.data_property) == ("Ev", "property", "type")
    assert [(e.event, e.tag, e.sse_event, e.terminal) for e in s.events] == [
        ("start", "start", "start", False), ("stop", "stop", "stop", True)]


def test_a_union_without_discriminator_uses_the_one_constant_property(tmp_path: Path) -> None:
    schemas = {"Ev": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/B"}]},
               "A": obj(kind={"const": "a"}, n={"type": "integer"}), "B": obj(kind={"const": "b"})}
    media = {"schema": {"$ref": "#/components/schemas/Ev"}, "x-sdk-stream": {"eof_ends": True}}
    ir = build(tmp_path, sse_api(media, schemas))
    s = only_stream(ir)
    assert (s.dispatch, s.data_property, [e.event for e in s.events]) == ("property", "kind", ["a", "b"])
    assert has(ir, "note", "told apart by the data property 'kind'")


def test_openapi_32_item_schema_with_text_and_json_data(tmp_path: Path) -> None:
    media = {"itemSchema": {
        "type": "object", "required": ["event", "data"],
        "properties": {"event": {"type": "string"}, "data": {"type": "string"}, "id": {"type": "string"}},
        "oneOf": [
            {"properties": {"event": {"const": "note"}}},
            {"properties": {"event": {"const": "json"},
                            "data": {"contentMediaType": "application/json", "contentSchema": obj(x={"type": "integer"})}}},
            {"properties": {"event": {"const": "end"}}},
        ]}, "x-sdk-stream": {"terminal": ["end"]}}
    doc = sse_api(media, {})
    doc["openapi"] = "3.2.0"
    ir = build(tmp_path, doc)
    assert ir.errors == [], ir.errors
    s = only_stream(ir)
    assert s.item_schema and s.dispatch == "event"
    assert [(e.event, e.data_format) for e in s.events] == [("note", "text"), ("json", "json"), ("end", "text")]
    assert [f.wire_name for f in s.events[1].fields] == ["x"] and s.events[1].data_schema == "RunStreamJsonData"


# -- ending ------------------------------------------------------------------------------------


def test_a_stream_that_cannot_end_cleanly_is_a_warning(tmp_path: Path) -> None:
    media, schemas = frames({"tick": obj(n={"type": "integer"})})
    ir = build(tmp_path, sse_api(media, schemas))
    assert has(ir, "warning", "can never be seen to end cleanly")
    media, schemas = frames({"tick": obj(n={"type": "integer"})}, {"eof_ends": True})
    ir = build(tmp_path, sse_api(media, schemas))
    assert not has(ir, "warning", "end cleanly") and only_stream(ir).eof_ends


def test_terminal_events_must_exist(tmp_path: Path) -> None:
    media, schemas = frames({"tick": obj(n={"type": "integer"})}, {"terminal": ["finished"]})
    ir = build(tmp_path, sse_api(media, schemas))
    assert has(ir, "error", "names 'finished', which is not an event of the stream")


# -- success / failure ---------------------------------------------------------------------------


def test_success_by_rule_is_the_first_terminal_event_and_a_note(tmp_path: Path) -> None:
    media, schemas = frames({"ok": obj(), "bad": obj(message={"type": "string"})}, {"terminal": ["ok", "bad"]})
    ir = build(tmp_path, sse_api(media, schemas))
    s = only_stream(ir)
    assert (s.success_event, s.failure_events) == ("ok", ["bad"])
    assert [(e.event, e.success, e.failure) for e in s.events] == [("ok", True, False), ("bad", False, True)]
    assert s.decisions["success"] == "rule: the first terminal event"
    assert has(ir, "note", "success event by rule: 'ok'")


def test_success_from_the_extension(tmp_path: Path) -> None:
    media, schemas = frames({"bad": obj(), "ok": obj()}, {"terminal": ["bad", "ok"], "success": "ok"})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert (s.success_event, s.failure_events, s.decisions["success"]) == ("ok", ["bad"], "extension: x-sdk-stream.success")


def test_success_must_be_terminal(tmp_path: Path) -> None:
    media, schemas = frames({"ok": obj(), "x": obj()}, {"terminal": ["ok"], "success": "x"})
    assert has(build(tmp_path, sse_api(media, schemas)), "error", "x-sdk-stream.success 'x' is not a terminal event")


# -- text delta --------------------------------------------------------------------------------


def notebook_with(tmp_path: Path, change: Any) -> IR:
    doc = yaml.safe_load(NOTEBOOK.read_text())
    change(doc)
    return build(tmp_path, doc)


def test_notebook_text_delta_by_rule(tmp_path: Path) -> None:
    s = notebook_with(tmp_path, lambda d: None).streams["SummaryFrame"]
    assert s.text_delta is not None and (s.text_delta.event, s.text_delta.path) == ("delta", ["text"])
    assert s.decisions["text"].startswith("rule:")


def test_a_new_one_string_event_does_not_silently_move_the_text(tmp_path: Path) -> None:
    """The old guess ("the last non-terminal event whose data is one required string") made an
    added `citation {url}` event the text. Now the named `delta` keeps it."""

    def add_citation(doc: dict[str, Any]) -> None:
        schemas = doc["components"]["schemas"]
        schemas["UrlFrame"] = obj(event={"const": "url"}, id={"type": "string"},
                                  data={"$ref": "#/components/schemas/UrlData"})
        schemas["UrlData"] = obj(url={"type": "string"})
        schemas["SummaryFrame"]["oneOf"].insert(3, {"$ref": "#/components/schemas/UrlFrame"})

    s = notebook_with(tmp_path, add_citation).streams["SummaryFrame"]
    assert s.text_delta is not None and s.text_delta.event == "delta"


def test_ambiguous_text_without_the_extension_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    media, schemas = frames({"a": obj(s={"type": "string"}), "b": obj(s={"type": "string"}), "end": obj()},
                            {"terminal": ["end"]})
    ir = build(tmp_path, sse_api(media, schemas))
    assert only_stream(ir).text_delta is None
    assert has(ir, "warning", "several events could carry the text ('a', 'b')")


def test_a_lone_string_event_is_text_only_when_its_field_says_so(tmp_path: Path) -> None:
    media, schemas = frames({"audio": obj(chunk={"type": "string"}), "end": obj()}, {"terminal": ["end"]})
    assert only_stream(build(tmp_path, sse_api(media, schemas))).text_delta is None
    media, schemas = frames({"piece": obj(text={"type": "string"}), "end": obj()}, {"terminal": ["end"]})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert s.text_delta is not None and s.text_delta.event == "piece"


def test_text_from_the_extension_and_its_errors(tmp_path: Path) -> None:
    events = {"a": obj(s={"type": "string"}), "b": obj(t=obj(u={"type": "string"})), "end": obj()}
    media, schemas = frames(events, {"terminal": ["end"], "text": {"event": "b", "path": ["t", "u"]}})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert s.text_delta is not None and (s.text_delta.event, s.text_delta.path) == ("b", ["t", "u"])
    media, schemas = frames(events, {"terminal": ["end"], "text": {"event": "b", "path": ["nope"]}})
    ir = build(tmp_path, sse_api(media, schemas))
    assert only_stream(ir).text_delta is None and has(ir, "error", "path ['nope'] is not in the data of event 'b'")
    media, schemas = frames(events, {"terminal": ["end"], "text": {"event": "zzz", "path": ["s"]}})
    assert has(build(tmp_path, sse_api(media, schemas)), "error", "x-sdk-stream.text.event 'zzz' is not an event")
    media, schemas = frames(events, {"terminal": ["end"], "text": False})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert s.text_delta is None and "false" in s.decisions["text"]


def test_unknown_stream_keys_are_warnings(tmp_path: Path) -> None:
    media, schemas = frames({"end": obj()}, {"terminal": ["end"], "sentinal": "[DONE]"})
    assert has(build(tmp_path, sse_api(media, schemas)), "warning", "x-sdk-stream has no key 'sentinal'")


# -- output / usage ----------------------------------------------------------------------------------


def test_output_and_usage_by_rule_and_by_extension(tmp_path: Path) -> None:
    done = obj(summary={"type": "string"}, usage=obj(n={"type": "integer"}))
    media, schemas = frames({"done": done}, {"terminal": ["done"]})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert (s.output.path, s.usage.path) == (["summary"], ["usage"])  # type: ignore[union-attr]
    media, schemas = frames({"done": done}, {"terminal": ["done"], "output": {"event": "done", "path": ["usage", "n"]}})
    s = only_stream(build(tmp_path, sse_api(media, schemas)))
    assert s.output is not None and s.output.path == ["usage", "n"] and s.decisions["output"].startswith("extension")


# -- resume route ------------------------------------------------------------------------------


def resumable(ext: dict[str, Any] | None = None, first: dict[str, Any] | None = None) -> dict[str, Any]:
    media, schemas = frames({"started": first or obj(run_id={"type": "string"}), "end": obj()},
                            {"terminal": ["end"], **(ext or {})})
    resume_op = {"/runs/{run_id}/events": {"get": {
        "operationId": "resumeRun", "tags": ["runs"],
        "parameters": [{"name": "run_id", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "events", "content": {"text/event-stream": copy.deepcopy(media)}}}}}}
    return sse_api(media, schemas, extra_ops=resume_op)


def test_resume_route_by_rule(tmp_path: Path) -> None:
    ir = build(tmp_path, resumable())
    s = only_stream(ir)
    assert s.resume is not None
    assert (s.resume.operation_id, s.resume.header, s.resume.path) == ("resumeRun", "Last-Event-ID", "/runs/{run_id}/events")
    assert [(b.param, b.field) for b in s.resume.bindings] == [("run_id", "run_id")] and s.resume.carriers == ["started"]
    assert has(ir, "note", "resume route by rule: 'resumeRun'")
    assert s.operations == ["run", "resumeRun"]


def test_no_resume_when_the_first_event_does_not_carry_the_id(tmp_path: Path) -> None:
    first = {"type": "object", "properties": {"run_id": {"type": "string"}}}  # optional: cannot be relied on
    assert only_stream(build(tmp_path, resumable(first=first))).resume is None


def test_resume_from_the_extension_maps_fields_to_parameters(tmp_path: Path) -> None:
    ext = {"resume": {"operation": "resumeRun", "params": {"run_id": "id"}}}
    s = only_stream(build(tmp_path, resumable(ext, first=obj(id={"type": "string"}))))
    assert s.resume is not None and [(b.param, b.field) for b in s.resume.bindings] == [("run_id", "id")]
    assert s.decisions["resume"] == "extension: x-sdk-stream.resume"
    s = only_stream(build(tmp_path, resumable({"resume": False})))
    assert s.resume is None and "false" in s.decisions["resume"]


@pytest.mark.parametrize(("resume", "message"), [
    ({"operation": "nope"}, "is no operation"),
    ({"operation": "run"}, "takes no Last-Event-ID header"),
    ({"operation": "resumeRun", "params": {"run_id": "missing"}}, "no event carries every field"),
    ("resumeRun", "must be false or an object"),
])
def test_resume_extension_errors(tmp_path: Path, resume: Any, message: str) -> None:
    assert has(build(tmp_path, resumable({"resume": resume})), "error", message)


# -- JSON or SSE by a body flag -------------------------------------------------------------


def both(flag: Any = None, prop: dict[str, Any] | None = None) -> dict[str, Any]:
    media = {"schema": {"$ref": "#/components/schemas/Chunk"}, "x-sdk-stream": {"sentinel": "[DONE]"}}
    schemas = {"Chunk": obj(x={"type": "string"}), "Reply": obj(x={"type": "string"}),
               "Req": {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}, **(prop or {})}}}
    doc = sse_api(media, schemas)
    op = doc["paths"]["/run"]["post"]
    op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}}
    op["responses"]["200"]["content"]["application/json"] = {"schema": {"$ref": "#/components/schemas/Reply"}}
    if flag is not None:
        op["x-sdk-stream-flag"] = flag
    return doc


def test_a_body_flag_makes_two_methods(tmp_path: Path) -> None:
    ir = build(tmp_path, both(prop={"stream": {"type": "boolean"}}))
    plain, streaming = ir.operations
    assert (plain.key, streaming.key) == ("run", "run:stream")
    assert (plain.name.python_member, streaming.name.python_member) == ("run", "run_stream")
    assert (plain.result.kind, streaming.result.kind) == ("model", "stream")
    assert (plain.body_switch.value, streaming.body_switch.value) == (False, True)  # type: ignore[union-attr]
    assert [f.wire_name for f in plain.body.fields] == ["q"]  # type: ignore[union-attr]
    assert plain.decisions["stream_switch"].startswith("rule") and has(ir, "note", "by the body's boolean `stream`")


def test_the_flag_extension_names_any_property_and_values(tmp_path: Path) -> None:
    ir = build(tmp_path, both({"property": "mode", "stream": "sse", "plain": "json"}, {"mode": {"type": "string"}}))
    plain, streaming = ir.operations
    assert (plain.body_switch.field, plain.body_switch.value, streaming.body_switch.value) == ("mode", "json", "sse")  # type: ignore[union-attr]


def test_without_a_flag_the_streaming_method_asks_for_events(tmp_path: Path) -> None:
    ir = build(tmp_path, both())
    plain, streaming = ir.operations
    assert (plain.body_switch, streaming.body_switch, streaming.accept, plain.accept) == (
        None, None, "text/event-stream", "application/json")
    assert has(ir, "note", "sends `Accept: text/event-stream`")


def test_a_wrong_flag_is_an_error(tmp_path: Path) -> None:
    assert has(build(tmp_path, both("nope")), "error", "x-sdk-stream-flag must name a boolean property")


def test_a_broken_stream_drops_only_the_streaming_method(tmp_path: Path) -> None:
    doc = both()
    doc["paths"]["/run"]["post"]["responses"]["200"]["content"]["text/event-stream"] = {"schema": {"$ref": "#/nope"}}
    ir = build(tmp_path, doc)
    assert [o.key for o in ir.operations] == ["run"]
    assert [d.dropped for d in ir.dropped] == ["operation"]
    assert "the streaming method is left out" in ir.dropped[0].message


# -- what may not be dropped silently ---------------------------------------------------------------


def test_a_bad_frame_drops_one_event_with_its_location(tmp_path: Path) -> None:
    media, schemas = frames({"ok": obj(), "end": obj()}, {"terminal": ["end"]})
    schemas["Frames"]["oneOf"].append({"$ref": "#/components/schemas/Bad"})
    schemas["Bad"] = obj(event={"type": "string"}, data=obj())
    ir = build(tmp_path, sse_api(media, schemas))
    assert [e.event for e in only_stream(ir).events] == ["ok", "end"]
    assert [(d.dropped, d.location) for d in ir.dropped] == [("event", "#/components/schemas/Bad")]
