"""Evidenced wire variants: the other shapes the real API (or its emulator) may answer in.

By default the mock answers in one shape per response, the one openapi.yaml
lists first. The real server is known to use others (docs/evidence.md); a
``variant`` fault (:mod:`promptrails_mock.faults`) makes the mock answer the
requests it matches in one or more of them, so conformance scenarios cover each:

JSON responses

``send_201``
    The non-streaming send answers 201 ``{data: {user_message, assistant_message}}``
    (the vendor emulator's shape) instead of 200 with the assistant message, its
    ``execution_id`` and ``user_message`` beside it.
``meta_pages_only`` / ``meta_total_pages_only``
    List ``meta`` carries only ``pages`` (API v2) / only ``total_pages`` (older).
``meta_no_page_count``
    List ``meta`` carries neither (outside the contract: tolerant reading only).
``error_string``
    Error bodies are ``{"error": "<message>"}`` instead of the envelope object.
``execution_unknown_status``
    Executions (get, list, cancel) carry the status ``execution_status`` (default
    ``paused``), one the contract does not list (outside the contract's enum:
    tolerant reading only).
``execution_sparse``
    Executions (get, list, cancel) carry only ``id`` and ``status``.

Stream frames (any event stream the request answers with)

``done_empty``
    ``done`` is ``{}``.
``done_output_string``
    ``done.output`` is the reply text itself, not ``{"content": ...}``.
``done_output_null``
    ``done.output`` is ``null`` (a server that sent only deltas).
``done_partial_usage``
    ``done.token_usage`` holds only ``total_tokens``, and ``time`` is absent.
``error_frame_error``
    ``error`` frames name their message ``error`` instead of ``message``.
``tool_end_no_summary``
    ``tool_end`` frames have no ``summary``.
``execution_frame_no_user_message_id``
    The ``execution`` frame has no ``user_message_id``.

Variants the contract describes are applied before the response is validated
(so the validator proves the contract covers them); the two outside it
(``meta_no_page_count``, ``execution_unknown_status``) after it, like injected
frames: deliberate, never counted as violations. Variants change what is sent,
never what is stored: a later request the fault does not match gets the default.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from promptrails_mock.jsonsafe import dumps

__all__ = [
    "FRAME_VARIANTS",
    "JSON_VARIANTS",
    "OUTSIDE_CONTRACT",
    "VARIANTS",
    "parse_variants",
    "reshape_frame",
    "reshape_json",
    "reshape_sse",
]

JSON_VARIANTS = (
    "send_201",
    "meta_pages_only",
    "meta_total_pages_only",
    "meta_no_page_count",
    "error_string",
    "execution_unknown_status",
    "execution_sparse",
)
FRAME_VARIANTS = (
    "done_empty",
    "done_output_string",
    "done_output_null",
    "done_partial_usage",
    "error_frame_error",
    "tool_end_no_summary",
    "execution_frame_no_user_message_id",
)
VARIANTS = JSON_VARIANTS + FRAME_VARIANTS
OUTSIDE_CONTRACT = frozenset({"meta_no_page_count", "execution_unknown_status"})

_EXCLUSIVE = (
    frozenset({"meta_pages_only", "meta_total_pages_only", "meta_no_page_count"}),
    frozenset({"done_empty", "done_output_string", "done_output_null"}),
    frozenset({"done_empty", "done_partial_usage"}),
    frozenset({"execution_unknown_status", "execution_sparse"}),
)
_EXECUTION_OPERATIONS = frozenset({"getExecution", "listExecutions", "cancelExecution"})


def parse_variants(value: Any) -> tuple[str, ...]:
    """The ``variants`` of a fault: one name or a list of names; ValueError explains what is wrong."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise ValueError(f"variants must name one or more of: {', '.join(VARIANTS)}")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variants {', '.join(unknown)}; known: {', '.join(VARIANTS)}")
    chosen = set(names)
    for group in _EXCLUSIVE:
        clash = sorted(chosen & group)
        if len(clash) > 1:
            raise ValueError(f"variants {' and '.join(clash)} cannot be combined")
    return tuple(dict.fromkeys(names))


def reshape_json(
    variants: Sequence[str],
    operation_id: str | None,
    status: int,
    payload: Any,
    *,
    outside_contract: bool,
    execution_status: str = "paused",
) -> tuple[int, Any]:
    """Apply the JSON variants of one group (those the contract describes, or those outside it)."""
    chosen = [v for v in variants if (v in OUTSIDE_CONTRACT) == outside_contract]
    if not chosen or not isinstance(payload, dict):
        return status, payload
    payload = dict(payload)
    data = payload.get("data")
    if "send_201" in chosen and operation_id == "sendMessage" and status == 200 and isinstance(data, dict):
        assistant = {k: v for k, v in data.items() if k not in ("execution_id", "user_message")}
        status, payload = 201, {"data": {"user_message": data.get("user_message"), "assistant_message": assistant}}
    meta = payload.get("meta")
    if isinstance(meta, dict):
        meta = dict(meta)
        if "meta_pages_only" in chosen:
            meta.pop("total_pages", None)
        if "meta_total_pages_only" in chosen:
            meta.pop("pages", None)
        if "meta_no_page_count" in chosen:
            meta.pop("pages", None)
            meta.pop("total_pages", None)
        payload["meta"] = meta
    error = payload.get("error")
    if "error_string" in chosen and status >= 400 and isinstance(error, dict):
        payload = {"error": str(error.get("message") or error.get("code") or "error")}
    if operation_id in _EXECUTION_OPERATIONS and status == 200 and isinstance(data, (dict, list)):
        items = [data] if isinstance(data, dict) else data
        reshaped = [_execution(item, chosen, execution_status) for item in items]
        payload["data"] = reshaped[0] if isinstance(data, dict) else reshaped
    return status, payload


def _execution(item: Any, chosen: Sequence[str], execution_status: str) -> Any:
    if not isinstance(item, dict):
        return item
    if "execution_sparse" in chosen:
        item = {"id": item.get("id"), "status": item.get("status")}
    if "execution_unknown_status" in chosen:
        item = {**item, "status": execution_status}
    return item


def reshape_frame(variants: Sequence[str], event: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """One stream frame's data, as the chosen variants have it."""
    out = dict(data)
    if event == "done":
        if "done_empty" in variants:
            return {}
        output = out.get("output")
        if "done_output_string" in variants and isinstance(output, dict) and isinstance(output.get("content"), str):
            out["output"] = output["content"]
        if "done_output_null" in variants:
            out["output"] = None
        if "done_partial_usage" in variants:
            usage = out.get("token_usage")
            out.pop("time", None)
            if isinstance(usage, dict):
                out["token_usage"] = {k: v for k, v in usage.items() if k == "total_tokens"}
    elif event == "error" and "error_frame_error" in variants and "message" in out:
        out = {"error": out.pop("message"), **out}
    elif event == "tool_end" and "tool_end_no_summary" in variants:
        out.pop("summary", None)
    elif event == "execution" and "execution_frame_no_user_message_id" in variants:
        out.pop("user_message_id", None)
    return out


def reshape_sse(variants: Sequence[str], chunk: bytes) -> bytes:
    """The frames the app wrote in one chunk (each ``id``, ``event``, ``data`` lines, LF ends), each
    reshaped; anything else unchanged."""
    if not any(v in FRAME_VARIANTS for v in variants) or not chunk.endswith(b"\n\n"):
        return chunk
    return b"".join(_reshape_frame_text(variants, block + b"\n\n") for block in chunk[:-2].split(b"\n\n"))


def _reshape_frame_text(variants: Sequence[str], chunk: bytes) -> bytes:
    lines = chunk[:-2].split(b"\n")
    if len(lines) != 3 or not (
        lines[0].startswith(b"id: ") and lines[1].startswith(b"event: ") and lines[2].startswith(b"data: ")
    ):
        return chunk
    try:
        data = json.loads(lines[2][6:])
    except ValueError:
        return chunk
    if not isinstance(data, dict):
        return chunk
    event = lines[1][7:].decode("utf-8", "replace")
    return b"\n".join([lines[0], lines[1], b"data: " + dumps(reshape_frame(variants, event, data))]) + b"\n\n"
