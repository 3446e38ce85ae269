"""What a scenario needs (capabilities.py), the vendor's declarations, and its expected-failure list."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from capabilities import missing, pattern_matches, requirements, waivable, waive
from drivers import DRIVERS
from expected import VENDOR_LANGUAGES, load_expected_failures
from scenarios import LANGUAGES

STREAM = {
    "op": "chat.send_message_stream",
    "args": {"session_id": "$s.id", "content": "hi"},
    "saveAs": "stream",
}
SESSION = {"op": "chat.create_session", "args": {"agent_id": "echo"}, "saveAs": "s"}


def doc(*steps, **top):
    return {
        "schemaVersion": "1.0",
        "description": "a test document",
        "steps": list(steps),
        **top,
    }


def test_patterns_match_whole_names_and_only_star_is_special() -> None:
    assert pattern_matches("op:*.all", "op:chat.list_sessions.all")
    assert not pattern_matches("op:*.all", "op:chat.list_sessions")
    assert pattern_matches(
        "result:executions.list:data[].x", "result:executions.list:data[].x"
    )
    assert not pattern_matches(
        "result:executions.list:data[].x", "result:executions.list:datad.x"
    )
    assert not pattern_matches("event:id", "event:idx")


def test_what_a_scenario_does_and_observes() -> None:
    needed = requirements(
        doc(
            SESSION,
            {
                **STREAM,
                "options": {"idempotency_key": "k"},
                "expect": {
                    "events": {
                        "firstId": "1",
                        "match": [
                            {"type": "done", "data": {"time": 1}, "output_text": "x"}
                        ],
                    }
                },
            },
            {
                "op": "executions.get",
                "args": {"execution_id": "$stream.execution_id"},
                "expect": {"result": {"id": "x", "token_usage": {"total_tokens": 1}}},
            },
            {
                "op": "chat.create_session",
                "args": {"agent_id": "echo", "title": None},
                "expect": {"error": {"kind": "status:404", "request_id": "r"}},
            },
            client={"max_retries": 1},
            expectServer={
                "requests": [
                    {
                        "method": "POST",
                        "path": "/x",
                        "sameIdempotencyKey": True,
                        "lastEventIds": [None, "2"],
                        "headers": {
                            "user-agent": "x",
                            "idempotency-key": {"$$exists": False},
                        },
                    }
                ]
            },
        ),
        "strict",
    )
    assert {
        "mode:strict",
        "client:max_retries",
        "op:chat.send_message_stream",
        "arg:chat.create_session.title",
        "arg:chat.create_session.title=null",
        "option:idempotency_key",
        "event:id",
        "event:done:time",
        "event:done:output_text",
        "result:executions.get:id",
        "result:executions.get:token_usage.total_tokens",
        "error:kind=status:404",
        "error:request_id",
        "server:idempotency_key",
        "server:last_event_id",
        "server:header:user-agent",
    } <= needed
    # A header expected absent needs nothing from the SDK.
    assert "server:header:idempotency-key" not in needed


def test_references_to_saved_values_are_requirements_too() -> None:
    needed = requirements(
        doc(
            SESSION,
            {
                "op": "chat.send_message",
                "args": {"session_id": "$s.id", "content": "hi"},
                "saveAs": "reply",
            },
            STREAM,
            {
                "op": "executions.stream",
                "args": {
                    "execution_id": "$reply.execution_id",
                    "last_event_id": "$stream.last_id",
                },
            },
        ),
        "tolerant",
    )
    assert {
        "result:chat.send_message:execution_id",
        "event:id",
        "result:chat.create_session:id",
    } <= needed
    assert "mode:strict" not in needed


def test_strict_expectations_count_only_in_strict_mode() -> None:
    step = {
        **STREAM,
        "expect": {"events": {"types": ["done"]}},
        "expectStrict": {"error": {"kind": "response_validation"}},
    }
    assert "error:kind=response_validation" in requirements(
        doc(SESSION, step), "strict"
    )
    assert "error:kind=response_validation" not in requirements(
        doc(SESSION, step), "tolerant"
    )


UNSUPPORTED = {
    "event:id": "no ids",
    "error:request_id": "no request id",
    "result:chat.send_message:execution_id": "no field",
    "server:idempotency_key": "no keys",
    "option:idempotency_key": "no keys",
    "error:kind=response_validation": "no validation",
}


def test_an_unsupported_action_makes_the_cell_not_expressible() -> None:
    plan = waive(
        doc(SESSION, {**STREAM, "options": {"idempotency_key": "k"}}),
        "tolerant",
        UNSUPPORTED,
    )
    assert plan.document is None and plan.blocking == [
        ("option:idempotency_key", "no keys")
    ]
    plan = waive(
        doc(SESSION, {**STREAM, "expect": {"error": {"kind": "response_validation"}}}),
        "tolerant",
        UNSUPPORTED,
    )
    assert plan.document is None and not waivable("error:kind=response_validation")


def test_an_unsupported_observation_is_taken_out_and_listed() -> None:
    original = doc(
        SESSION,
        {
            **STREAM,
            "expect": {
                "events": {
                    "firstId": "1",
                    "consecutiveIds": True,
                    "types": ["execution", "done"],
                    "match": [
                        {"type": "execution", "id": "1"},
                        {"type": "done", "id": "2", "data": {"output": "x"}},
                    ],
                }
            },
        },
        {
            "op": "chat.get_session",
            "args": {"session_id": "nope"},
            "expect": {
                "error": {"kind": "status:404", "request_id": "r", "code": "not_found"}
            },
        },
        expectServer={
            "requests": [
                {
                    "method": "POST",
                    "path": "/x",
                    "count": 1,
                    "sameIdempotencyKey": True,
                    "headers": {"idempotency-key": {"$$exists": True}, "accept": "a"},
                }
            ]
        },
    )
    plan = waive(original, "tolerant", UNSUPPORTED)
    assert plan.document is not None and plan.blocking == []
    assert [name for name, _ in plan.waived] == [
        "error:request_id",
        "event:id",
        "server:idempotency_key",
    ]
    events = plan.document["steps"][1]["expect"]["events"]
    assert events == {
        "types": ["execution", "done"],
        "match": [{"type": "execution"}, {"type": "done", "data": {"output": "x"}}],
    }
    assert plan.document["steps"][2]["expect"]["error"] == {
        "kind": "status:404",
        "code": "not_found",
    }
    assert plan.document["expectServer"]["requests"] == [
        {"method": "POST", "path": "/x", "count": 1, "headers": {"accept": "a"}}
    ]
    # The scenario itself is left alone.
    assert original["steps"][1]["expect"]["events"]["firstId"] == "1"


def test_an_observation_used_as_an_argument_cannot_be_taken_out() -> None:
    plan = waive(
        doc(
            SESSION,
            {
                "op": "chat.send_message",
                "args": {"session_id": "$s.id", "content": "hi"},
                "saveAs": "reply",
                "expect": {"result": {"execution_id": {"$$anyId": True}}},
            },
            {"op": "executions.get", "args": {"execution_id": "$reply.execution_id"}},
        ),
        "tolerant",
        UNSUPPORTED,
    )
    assert plan.document is None
    assert plan.blocking == [("result:chat.send_message:execution_id", "no field")]


def test_an_expectation_built_on_a_waived_value_goes_with_it() -> None:
    plan = waive(
        doc(
            SESSION,
            STREAM,
            {
                "op": "executions.get",
                "args": {"execution_id": "$stream.execution_id"},
                "expect": {
                    "result": {
                        "last_event_id": "$stream.last_id",
                        "status": "completed",
                    }
                },
            },
        ),
        "tolerant",
        UNSUPPORTED,
    )
    assert plan.document is not None
    assert plan.document["steps"][2]["expect"]["result"] == {"status": "completed"}


def test_nothing_unsupported_runs_the_scenario_as_written() -> None:
    original = doc(SESSION, {**STREAM, "expect": {"events": {"firstId": "1"}}})
    plan = waive(original, "strict", {})
    assert plan.document is original and plan.waived == [] and plan.blocking == []
    assert missing({"event:id"}, {}) == []


def _vendor_unsupported() -> dict[str, str]:
    tree = ast.parse(
        (DRIVERS / "vendor-python" / "driver.py").read_text(encoding="utf-8")
    )
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and getattr(node.target, "id", None) == "UNSUPPORTED"
        ):
            names = {"_FIELD_MISSING": "its model has no such field"}
            source = ast.unparse(node.value)
            return eval(source, {}, names)
    raise AssertionError("drivers/vendor-python/driver.py has no UNSUPPORTED")


KINDS = (
    "mode:",
    "client:",
    "op:",
    "arg:",
    "option:",
    "result:",
    "event:",
    "error:",
    "server:",
)


def test_the_vendor_driver_declares_requirements_of_known_kinds_with_reasons() -> None:
    declared = _vendor_unsupported()
    assert "mode:strict" in declared
    for pattern, reason in declared.items():
        assert pattern.startswith(KINDS), (
            f"{pattern!r} is no requirement kind of capabilities.py"
        )
        assert len(reason) >= 10, f"{pattern!r}: give a real reason"


@pytest.mark.parametrize("language", LANGUAGES)
def test_only_a_vendor_sdk_has_expected_failures_and_the_list_is_valid(
    language: str,
) -> None:
    listed = load_expected_failures(language)
    if language not in VENDOR_LANGUAGES:
        assert listed == {}
        assert not Path(DRIVERS / language / "expected-failures.yaml").exists()
    for scenario, failure in listed.items():
        assert failure.scenario == scenario and failure.reason and failure.symptom
