"""Running one scenario in one language, and checking every expectation.

All assertions of the suite live here (drivers only report outcomes). A run:

1. a fresh workspace on the mock server (its own API key, its own request log,
   its own faults), so languages and scenarios never see each other's state;
2. ``setup`` (agent aliases, sessions with chosen ids) and ``faults`` through
   the mock's control API;
3. ``configure``: a fresh client in the driver with the scenario's settings
   and the column's mode (``strict: true`` in strict mode);
4. the steps, in order; each outcome checked against ``expect`` (in strict
   mode ``expectStrict`` where a step has one) and saved;
5. ``expectServer``: the request log and the stored messages.

The first failing step ends the run; the failure says which step, what was
expected and what the driver reported.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from capabilities import effective_expect
from drivers import REPO, Driver, DriverError
from matchers import instant, match
from mock import MockControl
from refs import resolve
from scenarios import Scenario

__all__ = ["ScenarioFailure", "run_scenario", "output_text"]


class ScenarioFailure(AssertionError):
    """A scenario's expectation did not hold."""


def _dump(value: Any, limit: int = 1500) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=None, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _outcome_summary(answer: dict[str, Any]) -> str:
    parts = []
    if "error" in answer:
        parts.append(f"error={_dump(answer['error'], 600)}")
    if "events" in answer:
        events = answer["events"] or []
        parts.append(f"events({len(events)})={' '.join(str(e.get('type')) for e in events)}")
    if "result" in answer:
        parts.append(f"result={_dump(answer['result'], 900)}")
    return "; ".join(parts) or _dump(answer)


def _saved_value(answer: dict[str, Any]) -> Any:
    """What ``saveAs`` stores: the result; for a stream, its events plus handy derived fields."""
    if "events" in answer:
        events = answer.get("events") or []
        value: dict[str, Any] = {"events": events}
        for event in events:
            if event.get("type") == "execution" and isinstance(event.get("data"), dict):
                value["execution_id"] = event["data"].get("execution_id")
                value["user_message_id"] = event["data"].get("user_message_id")
                break
        if events:
            value["last_id"] = events[-1].get("id")
        for event in events:
            if event.get("type") == "done" and isinstance(event.get("data"), dict):
                value["output"] = event["data"].get("output")
        if "error" in answer:
            value["error"] = answer["error"]
        return value
    if "error" in answer:
        return {"error": answer["error"]}
    return answer.get("result")


def output_text(output: Any) -> Any:
    """The reply text of a done event's output: the string, or an object's string ``content``.

    The same rule as the SDKs' text convenience (RUNTIME.md, ``x-sdk-text``), so the
    harness can check a driver that has none (the vendor's) on the wire data alone.
    """
    if isinstance(output, str):
        return output
    if isinstance(output, dict) and isinstance(output.get("content"), str):
        return output["content"]
    return None


def _check_events(expected: dict[str, Any], events: list[dict[str, Any]], saved: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    types = [str(e.get("type")) for e in events]
    if "types" in expected and types != expected["types"]:
        problems.append(f"events: expected types {expected['types']}, got {types}")
    if "typesPattern" in expected and not re.fullmatch(expected["typesPattern"], " ".join(types)):
        problems.append(f"events: types {' '.join(types)!r} do not match /{expected['typesPattern']}/")
    if "match" in expected:
        wanted = resolve(expected["match"], saved)
        if len(wanted) != len(events):
            problems.append(f"events: expected {len(wanted)} events, got {len(events)}: {types}")
        else:
            for index, (matcher, event) in enumerate(zip(wanted, events)):
                problems += match(matcher, event, f"events[{index}]")
    if "contains" in expected:
        wanted = resolve(expected["contains"], saved)
        position = 0
        for matcher in wanted:
            while position < len(events) and match(matcher, events[position]):
                position += 1
            if position == len(events):
                problems.append(
                    f"events: no event matching {_dump(matcher, 300)} (in order) among {types}"
                )
                break
            position += 1
    ids = [e.get("id") for e in events]
    if expected.get("uniqueIds") and len(set(map(str, ids))) != len(ids):
        repeated = sorted({str(i) for i in ids if ids.count(i) > 1})
        problems.append(f"events: ids repeated: {repeated} in {ids}")
    if expected.get("consecutiveIds"):
        try:
            numbers = [int(str(i)) for i in ids]
        except ValueError:
            problems.append(f"events: ids are not integers: {ids}")
        else:
            if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
                problems.append(f"events: ids are not consecutive (something lost or repeated): {ids}")
    if "firstId" in expected:
        first = ids[0] if ids else None
        if first != expected["firstId"]:
            problems.append(f"events: expected the first id {expected['firstId']!r}, got {first!r}")
    if "sameAs" in expected:
        other = resolve(expected["sameAs"], saved)
        other_events = other.get("events") if isinstance(other, dict) else other
        if other_events != events:
            problems.append(
                f"events: not the same as {expected['sameAs']}:\n  expected {_dump(other_events, 1200)}\n  got      {_dump(events, 1200)}"
            )
    if expected.get("contentMatchesOutput"):
        joined = "".join(
            e["data"]["content"]
            for e in events
            if e.get("type") == "content" and isinstance(e.get("data"), dict) and isinstance(e["data"].get("content"), str)
        )
        done = [e for e in events if e.get("type") == "done"]
        output = done[-1]["data"].get("output") if done and isinstance(done[-1].get("data"), dict) else None
        if output_text(output) != joined:
            problems.append(f"events: content deltas joined {joined!r} != the text of done.output {output!r}")
        if done and "output_text" in done[-1] and done[-1]["output_text"] != joined:
            problems.append(
                f"events: content deltas joined {joined!r} != the SDK's done output_text {done[-1]['output_text']!r}"
            )
    return problems


def _check_step(
    step: dict[str, Any], answer: dict[str, Any], saved: dict[str, Any], api_key: str, mode: str
) -> list[str]:
    expect = effective_expect(step, mode)
    ok = bool(answer.get("ok"))
    error = answer.get("error")
    problems: list[str] = []
    if isinstance(error, dict) and error.get("kind") == "driver":
        return [f"the driver failed (not an SDK outcome): {error.get('message')}"]
    if isinstance(error, dict):
        # A policy check on every error: the API key never shows in an error's text.
        for field in ("message", "display"):
            text = error.get(field)
            if api_key and isinstance(text, str) and len(api_key) >= 8 and api_key in text:
                problems.append(f"error.{field} contains the API key: {text!r}")
    if expect is None:
        if not ok:
            problems.append(f"expected success, got {_outcome_summary(answer)}")
        return problems
    if "error" in expect:
        wanted = resolve(expect["error"], saved)
        if ok or not isinstance(error, dict):
            problems.append(f"expected an error {_dump(wanted)}, got success: {_outcome_summary(answer)}")
        else:
            problems += match(wanted, error, "error")
    elif not ok:
        problems.append(f"expected success, got {_outcome_summary(answer)}")
    if "result" in expect:
        if "events" in answer:
            problems.append(f"expected a result, got a stream: {_outcome_summary(answer)}")
        elif ok:
            problems += match(resolve(expect["result"], saved), answer.get("result"), "result")
    if "events" in expect:
        events = answer.get("events")
        if not isinstance(events, list):
            problems.append(f"expected stream events, got {_outcome_summary(answer)}")
        else:
            problems += _check_events(expect["events"], events, saved)
    return problems


def _check_server(expected: dict[str, Any], control: MockControl, saved: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    requests = control.requests()
    if "totalRequests" in expected and len(requests) != expected["totalRequests"]:
        seen = [f"{r['method']} {r['path']}" for r in requests]
        problems.append(f"server: expected {expected['totalRequests']} API requests, saw {len(requests)}: {seen}")
    for rule in expected.get("requests", []):
        rule = resolve(rule, saved)
        hits = [r for r in requests if r["method"] == rule["method"] and r["path"] == rule["path"]]
        label = f"server: {rule['method']} {rule['path']}"
        if "count" in rule and len(hits) != rule["count"]:
            problems.append(f"{label}: expected {rule['count']} attempts, saw {len(hits)}")
        keys = [r["headers"].get("idempotency-key") for r in hits]
        if rule.get("sameIdempotencyKey"):
            if not hits or any(not k for k in keys) or len(set(keys)) != 1:
                problems.append(f"{label}: expected the same Idempotency-Key on every attempt, saw {keys}")
        if rule.get("distinctIdempotencyKeys"):
            if any(not k for k in keys) or len(set(keys)) != len(keys):
                problems.append(f"{label}: expected a different Idempotency-Key on each attempt, saw {keys}")
        if "idempotencyKey" in rule and any(k != rule["idempotencyKey"] for k in keys):
            problems.append(f"{label}: expected Idempotency-Key {rule['idempotencyKey']!r} on every attempt, saw {keys}")
        if "lastEventIds" in rule:
            seen_ids = [r["headers"].get("last-event-id") for r in hits]
            if seen_ids != rule["lastEventIds"]:
                problems.append(f"{label}: expected Last-Event-ID values {rule['lastEventIds']}, saw {seen_ids}")
        if "queries" in rule:
            queries = [r.get("query", {}) for r in hits]
            problems += [f"{label}: {p}" for p in match(rule["queries"], queries, "queries")]
        if "headers" in rule:
            if not hits:
                problems.append(f"{label}: no request to check headers on")
            for index, hit in enumerate(hits):
                problems += [f"{label}: {p}" for p in match(rule["headers"], hit["headers"], f"attempt[{index}].headers")]
    for rule in expected.get("serialisedSends", []):
        problems += _check_serialised(resolve(rule, saved), requests, control)
    for rule in expected.get("messages", []):
        rule = resolve(rule, saved)
        count = control.message_count(rule["session_id"])
        if count != rule["count"]:
            problems.append(
                f"server: session {rule['session_id']} holds {count} messages, expected {rule['count']}"
            )
    return problems


def _check_serialised(rule: dict[str, Any], requests: list[dict[str, Any]], control: MockControl) -> list[str]:
    """Each send to the session reached the server only after the reply to the previous one was stored
    (``overlapped: true``: at least one did not).

    The mock runs the sends of one session one after the other whatever the client does, so
    the stored history cannot show a client that sends concurrently; the times can. A send
    (the request log's ``time``, when the request arrived) must come no earlier than the
    ``created_at`` of the assistant message answering the send before it.
    """
    label = f"server: sends to session {rule['session_id']}"
    path = f"/api/v1/chat/sessions/{rule['session_id']}/messages"
    paths = {path, path + "/stream"}
    sends = [r for r in requests if r["method"] == "POST" and r["path"] in paths]
    if len(sends) != rule["count"]:
        return [f"{label}: expected {rule['count']} sends, saw {len(sends)}"]
    stored = control.raw_get(f"{path}?limit=100").get("data") or []
    replies = sorted(_at(m.get("created_at")) for m in stored if m.get("role") == "assistant")
    if len(replies) < len(sends):
        return [f"{label}: {len(sends)} sends but {len(replies)} stored replies"]
    overlaps = []
    for index in range(1, len(sends)):
        if _at(sends[index]["time"]) < replies[index - 1]:
            overlaps.append(
                f"{label}: send {index + 1} arrived at {sends[index]['time']}, before the reply to send "
                f"{index} was stored ({replies[index - 1].isoformat()}): the sends overlapped"
            )
    if rule.get("overlapped"):
        return [] if overlaps else [f"{label}: expected sends that overlapped, but each waited for the previous reply"]
    return overlaps


def _at(text: Any) -> datetime:
    """The instant of a timestamp the server wrote (a request's arrival, a message's creation)."""
    at = instant(str(text))
    if at is None:
        raise ScenarioFailure(f"server: {text!r} is not an RFC 3339 timestamp")
    return at


@cache
def contract_values() -> dict[str, Any]:
    """``$contract``: what a scenario may read off openapi.yaml, such as the SDK version every
    generated SDK carries (``info.x-sdk.version``: its User-Agent's), so a release changes no scenario."""
    spec = yaml.safe_load((REPO / "openapi.yaml").read_text(encoding="utf-8"))
    return {"sdk_version": str(spec["info"]["x-sdk"]["version"])}


def run_scenario(scenario: Scenario, driver: Driver, control_factory: Any, mode: str = "tolerant") -> None:
    """Run ``scenario`` through ``driver`` in ``mode``; raise ScenarioFailure on the first broken expectation."""
    driver.ensure_built()
    control: MockControl = control_factory()
    try:
        _run(scenario, driver, control, mode)
    finally:
        control.finish()


def _run(scenario: Scenario, driver: Driver, control: MockControl, mode: str) -> None:
    doc = scenario.data
    saved: dict[str, Any] = {
        "workspace": {"api_key": control.api_key, "id": control.workspace_id},
        "driver": {"language": driver.language, "mode": mode},
        "contract": contract_values(),
    }
    setup = doc.get("setup") or {}
    for agent in setup.get("agents", []):
        control.add_agent(agent["id"], agent["like"])
    for session in setup.get("sessions", []):
        control.add_session(session)
    if doc.get("faults"):
        control.add_faults(resolve(doc["faults"], saved))
    client = resolve(dict(doc.get("client") or {}), saved)
    client.setdefault("api_key", control.api_key)
    client["base_url"] = control.base_url
    client["strict"] = mode == "strict"
    control.client_api_key = client["api_key"]
    answer = driver.request({"cmd": "configure", "client": client})
    if not answer.get("ok"):
        raise ScenarioFailure(f"configure: the driver could not build a client: {_outcome_summary(answer)}")
    for index, step in enumerate(doc["steps"]):
        op = step["op"]
        where = f"step {index + 1} ({op})"
        try:
            args = resolve(step.get("args") or {}, saved)
            options = resolve(step.get("options") or {}, saved)
        except LookupError as exc:
            raise ScenarioFailure(f"{where}: {exc}") from exc
        if op == "mock.add_faults":
            control.add_faults(args["faults"])
            continue
        if op == "mock.clear_faults":
            control.clear_faults()
            continue
        if op == "mock.raw_get":
            body = control.raw_get(args["path"])
            if "saveAs" in step:
                saved[step["saveAs"]] = body
            continue
        try:
            answer = driver.request({"cmd": "call", "op": op, "args": args, "options": options})
        except DriverError as exc:
            raise ScenarioFailure(f"{where}: {exc}") from exc
        try:
            problems = _check_step(step, answer, saved, control.api_key, mode)
        except LookupError as exc:
            problems = [str(exc)]
        if problems:
            raise ScenarioFailure(
                f"{where}: " + "\n  ".join(problems) + f"\n  (driver answered: {_outcome_summary(answer)})"
            )
        if "saveAs" in step:
            saved[step["saveAs"]] = _saved_value(answer)
    if doc.get("expectServer"):
        problems = _check_server(doc["expectServer"], control, saved)
        if problems:
            raise ScenarioFailure("\n".join(problems))
