"""The ``variant`` fault: the mock answers in each evidenced shape of the real wire format.

The server these tests run against is strict and checks every response against
openapi.yaml; the fixture asserts no violation was recorded, so each variant the
contract describes is proven to be inside it. The two outside it
(``meta_no_page_count``, ``execution_unknown_status``) are deliberate, like
injected frames, and never counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from helpers import API, REPO_ROOT, assert_error, parse_sse
from promptrails_mock.testing import MockServer, MockServerError
from promptrails_mock.variants import VARIANTS, reshape_frame

SEND = f"{API}/chat/sessions/*/messages"
STREAM = f"{API}/chat/sessions/*/messages/stream"


def stream(client: httpx.Client, session_id: str, content: str = "Hello!") -> list[dict[str, Any]]:
    response = client.post(f"{API}/chat/sessions/{session_id}/messages/stream", json={"content": content})
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


def frame(frames: list[dict[str, Any]], event: str) -> dict[str, Any]:
    return next(f["data"] for f in frames if f["event"] == event)


# -- JSON responses ------------------------------------------------------------------------


def test_send_201_is_the_emulators_shape(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=SEND, action="variant", variants="send_201")
    response = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "Hello!"})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"user_message", "assistant_message"}
    assert (data["user_message"]["role"], data["user_message"]["content"]) == ("user", "Hello!")
    assistant = data["assistant_message"]
    assert (assistant["role"], assistant["content"]) == ("assistant", "You said: Hello!")
    assert "execution_id" not in assistant and assistant["metadata"]["execution_id"]
    stored = client.get(f"{API}/chat/sessions/{session['id']}/messages").json()["data"]
    assert [m["id"] for m in stored] == [data["user_message"]["id"], assistant["id"]]
    default = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "again"})
    assert default.status_code == 200 and "execution_id" in default.json()["data"], "the fault was used up"
    entry = srv.requests(method="POST", path=SEND)[-2]
    assert (entry["status"], entry["handler_status"]) == (201, 200)


@pytest.mark.parametrize(
    ("variant", "keys"),
    [
        ("meta_pages_only", {"total", "page", "limit", "pages"}),
        ("meta_total_pages_only", {"total", "page", "limit", "total_pages"}),
        ("meta_no_page_count", {"total", "page", "limit"}),
    ],
)
def test_list_meta_variants(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]], variant: str, keys: set[str]
) -> None:
    session = make_session("echo")
    client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "hi"})
    for path in (f"{API}/chat/sessions", f"{API}/chat/sessions/{session['id']}/messages", f"{API}/executions"):
        srv.add_fault(method="GET", path=path, action="variant", variants=[variant])
        body = client.get(path).json()
        assert set(body["meta"]) == keys, path
        assert body["data"], "the items are untouched"
        assert set(client.get(path).json()["meta"]) == {"total", "page", "limit", "pages", "total_pages"}


def test_error_string_bodies(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(action="variant", variants=["error_string"], count=2)
    missing = client.get(f"{API}/chat/sessions/nope")
    assert missing.status_code == 404 and missing.json() == {"error": "Chat session not found."}
    invalid = client.post(f"{API}/chat/sessions", json={"agent_id": ""})
    assert invalid.status_code == 400 and invalid.json() == {"error": "agent_id: must not be empty"}
    assert_error(client.get(f"{API}/chat/sessions/nope"), 404, "not_found")


def test_error_string_leaves_successes_alone(srv: MockServer, client: httpx.Client) -> None:
    srv.add_fault(method="GET", path=f"{API}/chat/sessions", action="variant", variants=["error_string"])
    assert client.get(f"{API}/chat/sessions").json()["meta"]["total"] == 0


@pytest.mark.parametrize("status", [None, "waiting_approval", "some_status_from_the_future"])
def test_executions_with_another_status(
    srv: MockServer,
    client: httpx.Client,
    make_session: Callable[..., dict[str, Any]],
    status: str | None,
) -> None:
    session = make_session("echo")
    execution_id = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "hi"}).json()["data"][
        "execution_id"
    ]
    options = {} if status is None else {"execution_status": status}
    expected = status or "paused"
    srv.add_fault(
        path=f"{API}/executions/**", action="variant", variants="execution_unknown_status", count=2, **options
    )
    got = client.get(f"{API}/executions/{execution_id}").json()["data"]
    assert got["status"] == expected and got["output"] == {"content": "You said: hi"}
    assert client.post(f"{API}/executions/{execution_id}/cancel").json()["data"]["status"] == expected
    srv.add_fault(path=f"{API}/executions", action="variant", variants="execution_unknown_status", **options)
    assert [e["status"] for e in client.get(f"{API}/executions").json()["data"]] == [expected]
    assert client.get(f"{API}/executions/{execution_id}").json()["data"]["status"] == "completed"


def test_sparse_executions(srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]) -> None:
    session = make_session("echo")
    execution_id = client.post(f"{API}/chat/sessions/{session['id']}/messages", json={"content": "hi"}).json()["data"][
        "execution_id"
    ]
    srv.add_fault(path=f"{API}/executions**", action="variant", variants=["execution_sparse"], count=2)
    assert client.get(f"{API}/executions/{execution_id}").json()["data"] == {"id": execution_id, "status": "completed"}
    listed = client.get(f"{API}/executions").json()
    assert listed["data"] == [{"id": execution_id, "status": "completed"}] and listed["meta"]["total"] == 1


# -- stream frames -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("done_empty", {}),
        ("done_output_string", {"output": "You said: Hello!", "token_usage": ..., "time": ...}),
        ("done_output_null", {"output": None, "token_usage": ..., "time": ...}),
        ("done_partial_usage", {"output": {"content": "You said: Hello!"}, "token_usage": {"total_tokens": 4}}),
    ],
)
def test_done_variants(
    srv: MockServer,
    client: httpx.Client,
    make_session: Callable[..., dict[str, Any]],
    variant: str,
    expected: dict[str, Any],
) -> None:
    session = make_session("echo")
    srv.add_fault(method="POST", path=STREAM, action="variant", variants=variant)
    frames = stream(client, session["id"])
    done = frames[-1]
    assert done["event"] == "done" and done["id"] == "4"
    assert set(done["data"]) == set(expected)
    for key, value in expected.items():
        if value is not ...:
            assert done["data"][key] == value
    replay = parse_sse(client.get(f"{API}/executions/{frames[0]['data']['execution_id']}/stream").text)
    assert replay[-1]["data"]["output"] == {"content": "You said: Hello!"}, "what is stored is unchanged"


def test_error_frames_named_error(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("faulty")
    srv.add_fault(method="POST", path=STREAM, action="variant", variants=["error_frame_error"])
    assert stream(client, session["id"])[-1]["data"] == {
        "error": "Tool 'lookup_order' timed out.",
        "code": "agent_failed",
    }


def test_tool_end_without_summary_and_execution_without_user_message_id(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("thinker")
    srv.add_fault(
        method="POST",
        path=STREAM,
        action="variant",
        variants=["tool_end_no_summary", "execution_frame_no_user_message_id", "done_empty"],
    )
    frames = stream(client, session["id"])
    assert set(frame(frames, "execution")) == {"execution_id"}
    assert frame(frames, "tool_end") == {"id": "call_1", "name": "search"}
    assert frames[-1]["data"] == {}
    assert [f["id"] for f in frames] == [str(i) for i in range(1, len(frames) + 1)]


def test_frame_variants_on_a_replayed_stream(
    srv: MockServer, client: httpx.Client, make_session: Callable[..., dict[str, Any]]
) -> None:
    session = make_session("echo")
    execution_id = stream(client, session["id"])[0]["data"]["execution_id"]
    srv.add_fault(method="GET", path=f"{API}/executions/*/stream", action="variant", variants="done_output_string")
    assert parse_sse(client.get(f"{API}/executions/{execution_id}/stream").text)[-1]["data"]["output"] == (
        "You said: Hello!"
    )


# -- the fault itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "variants must name"),
        ({"variants": []}, "variants must name"),
        ({"variants": ["done_empty", 3]}, "variants must name"),
        ({"variants": ["nope"]}, "unknown variants nope"),
        ({"variants": ["meta_pages_only", "meta_total_pages_only"]}, "cannot be combined"),
        ({"variants": ["done_empty", "done_output_null"]}, "cannot be combined"),
        ({"variants": ["send_201"], "execution_status": "x"}, "goes with the execution_unknown_status variant"),
        ({"variants": ["execution_unknown_status"], "execution_status": ""}, "1 to 64 characters"),
        ({"variants": ["send_201"], "frames": ["x"]}, "unknown fields"),
    ],
)
def test_bad_variant_faults_are_400(srv: MockServer, spec: dict[str, Any], message: str) -> None:
    with pytest.raises(MockServerError, match="invalid_fault") as raised:
        srv.add_fault(action="variant", **spec)
    assert message in str(raised.value)
    assert srv.faults() == []


def test_the_fault_lists_its_variants(srv: MockServer) -> None:
    fault = srv.add_fault(action="variant", variants="execution_unknown_status", count=3)
    assert (fault["variants"], fault["execution_status"], fault["remaining"]) == (
        ["execution_unknown_status"],
        "paused",
        3,
    )


def test_every_variant_is_documented() -> None:
    readme = (REPO_ROOT / "conformance-tests" / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in VARIANTS)


def test_reshape_frame_leaves_other_frames_alone() -> None:
    content = {"content": "x"}
    assert reshape_frame(VARIANTS, "content", content) == content
    assert reshape_frame(["done_output_string"], "done", {"output": {"no": "content"}}) == {"output": {"no": "content"}}
