"""The HTTP core of the runtime (`_core/_http.py`, `_response.py`, `_logs.py`): credentials
of every security scheme kind and their redaction, the per-request escape hatch, derived
clients, raw and streamed responses with request ids, and logging (RUNTIME.md
"Configuration", "Raw responses and request ids", "Per-request options and the escape
hatch", "Logging")."""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
import uuid
from typing import Any

import httpx
import pytest
import respx
from notebook import (
    APIResponse,
    AsyncAPIResponse,
    AsyncNotebook,
    AuthenticationError,
    InvalidArgumentError,
    Note,
    Notebook,
    NotebookError,
    SyncPage,
)
from notebook._core import (
    AuthSpec,
    RequestOptions,
    SdkIdentity,
    SyncHTTPClient,
    read_value,
)
from notebook._core._logs import REDACTED, configure_from_env
from notebook._core._reading import Value
from notebook._core._types import new_idempotency_key

KEY = "nb-test-Sup3rSecret-0123456789"  # the mock router's base URL is conftest's https://api.notebook.test
NOTE = {"id": "n1", "title": "T", "tags": ["a"], "priority": "high", "archived": False,
        "created_at": "2026-01-01T00:00:00Z"}
SSE = (b'id: 1\nevent: started\ndata: {"note_id": "n1"}\n\nevent: delta\ndata: {"text": "Hi"}\n\n'
       b'event: finished\ndata: {"summary": "Hi", "usage": {"words": 1}}\n\n')
SSE_HEADERS = {"content-type": "text/event-stream", "x-request-id": "req-stream"}

SCHEMES = (
    AuthSpec(key="hdr", option="api_key", kind="api_key", location="header", param="X-Key", env=("T_API_KEY",)),
    AuthSpec(key="qry", option="query_key", kind="api_key", location="query", param="key", env=("T_QUERY_KEY",)),
    AuthSpec(key="ck", option="session", kind="api_key", location="cookie", param="sid", env=("T_SESSION",)),
    AuthSpec(key="bearer", option="token", kind="bearer", location="header", param="Authorization", prefix="Bearer ",
             env=("T_TOKEN",)),
    AuthSpec(key="basic", option="basic_auth", kind="basic", location="header", param="Authorization", prefix="Basic ",
             env=("T_USERNAME", "T_PASSWORD")),
    AuthSpec(key="mtls", option="mutual_tls", kind="mutual_tls", location="transport", param=""),
)


def _identity(required: bool = False) -> SdkIdentity:
    return SdkIdentity(name="T", package="tsdk", slug="t", version="1.2.3", env_prefix="T",
                       default_base_url="https://t.test", auth=SCHEMES, auth_required=required)


class Wire:
    """What the transport received (copied: the client redacts its request afterwards)."""

    def __init__(self, request: httpx.Request) -> None:
        self.url = httpx.URL(str(request.url))
        self.headers = httpx.Headers(dict(request.headers))
        self.content = request.read()


def _client(seen: list[Wire], **credentials: Any) -> SyncHTTPClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(Wire(request))
        return httpx.Response(200, json={"ok": True})

    return SyncHTTPClient(
        _identity(), credentials=credentials, base_url=None, timeout=5.0, max_retries=0, default_headers=None,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=None, clock=None, random=None,
    )


def _call(client: SyncHTTPClient, security: tuple[tuple[str, ...], ...]) -> httpx.Response:
    return client.send({"method": "get", "url": "/x"}, RequestOptions(), security=security)


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("T_API_KEY", "T_QUERY_KEY", "T_SESSION", "T_TOKEN", "T_USERNAME", "T_PASSWORD", "T_LOG",
                 "NOTEBOOK_API_KEY", "NOTEBOOK_LOG"):
        monkeypatch.delenv(name, raising=False)


# -- credentials ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "given", "where", "sent"),
    [
        ("hdr", {"api_key": "k-header-123"}, "header", ("X-Key", "k-header-123")),
        ("qry", {"query_key": "k-query-123"}, "query", ("key", "k-query-123")),
        ("ck", {"session": "k-cookie-123"}, "header", ("cookie", "sid=k-cookie-123")),
        ("bearer", {"token": "k-token-123"}, "header", ("Authorization", "Bearer k-token-123")),
        ("basic", {"basic_auth": ("user", "pw-123")}, "header", ("Authorization", "Basic dXNlcjpwdy0xMjM=")),
    ],
)
def test_each_scheme_is_sent_where_the_spec_says_and_redacted_after(
    scheme: str, given: dict[str, Any], where: str, sent: tuple[str, str]
) -> None:
    seen: list[Wire] = []
    response = _call(_client(seen, **given), ((scheme,),))
    name, value = sent
    # What went on the wire ...
    wire = seen[0]
    assert (wire.url.params.get(name) if where == "query" else wire.headers.get(name)) == value
    # ... and what any caller can reach afterwards shows no credential.
    kept = response.request
    assert (kept.url.params.get(name) if where == "query" else kept.headers.get(name)) == REDACTED
    secret = value.rsplit(" ", 1)[-1].removeprefix("sid=")
    assert secret not in repr(kept.headers) + str(kept.url) + str(dict(kept.headers))


def test_the_wire_carries_the_credentials() -> None:
    captured: list[tuple[str, dict[str, str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append((str(request.url), dict(request.headers)))
        return httpx.Response(200, json={})

    client = SyncHTTPClient(
        _identity(), credentials={"query_key": "q-secret-1", "session": "c-secret-1", "token": "t-secret-1"},
        base_url=None, timeout=5.0, max_retries=0, default_headers=None,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)), sleep=None, clock=None, random=None,
    )
    client.send({"method": "get", "url": "/x"}, RequestOptions(), security=(("qry", "ck", "bearer"),))
    url, headers = captured[0]
    assert "key=q-secret-1" in url and headers["cookie"] == "sid=c-secret-1"
    assert headers["authorization"] == "Bearer t-secret-1"


def test_the_first_satisfiable_alternative_is_sent() -> None:
    seen: list[Wire] = []
    client = _client(seen, token="tok-123456")
    _call(client, (("hdr",), ("bearer", "mtls")))  # no header key: the bearer alternative (mTLS is the transport's)
    assert "authorization" in seen[0].headers and "x-key" not in seen[0].headers
    _call(client, (("hdr",), ()))  # an anonymous alternative: nothing is sent
    assert "authorization" not in seen[1].headers
    _call(client, ())  # no security at all
    assert "authorization" not in seen[2].headers


def test_a_call_without_its_credentials_fails_before_sending() -> None:
    seen: list[Wire] = []
    with pytest.raises(InvalidArgumentError, match=r"api_key= or set the T_API_KEY environment variable"):
        _call(_client(seen), (("hdr",),))
    assert seen == []


def test_credentials_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_USERNAME", "envuser")
    monkeypatch.setenv("T_PASSWORD", "envpw")
    monkeypatch.setenv("T_QUERY_KEY", "env-query-key")
    seen: list[Wire] = []
    client = _client(seen)
    _call(client, (("basic",),))
    _call(client, (("qry",),))
    assert seen[0].headers["authorization"] == "Basic ZW52dXNlcjplbnZwdw=="
    assert seen[1].url.params["key"] == "env-query-key"


def test_a_client_that_must_have_credentials_is_refused_without_them() -> None:
    with pytest.raises(InvalidArgumentError, match="no credentials: pass api_key="):
        SyncHTTPClient(_identity(required=True), credentials={}, base_url=None, timeout=5.0, max_retries=0,
                       default_headers=None, http_client=None, sleep=None, clock=None, random=None)
    with pytest.raises(InvalidArgumentError, match="NOTEBOOK_API_KEY"):
        Notebook()


@pytest.mark.parametrize("bad", [("user:x", "pw"), ("user", "p\nw"), "not-a-tuple"])
def test_unusable_basic_credentials_are_refused(bad: Any) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        _client([], basic_auth=bad)
    assert "pw" not in str(info.value) or "p\nw" != bad


# -- the escape hatch -----------------------------------------------------------------------


def test_extra_headers_query_and_body_on_a_method(mock: respx.MockRouter) -> None:
    route = mock.post("/v1/notes").respond(201, json={"data": NOTE})
    with Notebook(KEY) as client:
        client.notes.create_note(
            title="T",
            extra_headers={"X-Trace": "t1", "User-Agent": None},
            extra_query={"dry_run": True, "tags": ["a", "b"]},
            extra_body={"color": "red", "title": "override"},
        )
    request = route.calls[0].request
    assert request.headers["x-trace"] == "t1" and not request.headers.get("user-agent", "").startswith("notebook")
    assert request.url.params.get_list("tags") == ["a", "b"] and request.url.params["dry_run"] == "true"
    assert json.loads(request.content) == {"title": "override", "color": "red"}


def test_extra_body_without_a_body_is_the_body_and_never_bypasses_checks(mock: respx.MockRouter) -> None:
    route = mock.get("/v1/notes/n1").respond(200, json={"data": NOTE})
    with Notebook(KEY) as client:
        client.notes.get_note("n1", extra_body={"x": 1})
        assert json.loads(route.calls[0].request.content) == {"x": 1}
        with pytest.raises(InvalidArgumentError):
            client.notes.get_note("", extra_query={"x": "1"})
    assert route.call_count == 1


def test_encoded_bodies_take_extra_fields() -> None:
    seen: list[Wire] = []
    client = _client(seen)
    form = {"method": "post", "url": "/f", "data": [("a", "1"), ("b[c]", "2")]}
    client.send(form, RequestOptions(extra_body={"b": {"c": 3}, "d": True}))
    assert urllib.parse.parse_qsl(seen[0].content.decode()) == [("a", "1"), ("b[c]", "3"), ("d", "true")]
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    multipart = {"method": "post", "url": "/m", "data": [("a", "1")], "files": [("f", ("x.bin", b"\x00\x01", None))]}
    client.send(multipart, RequestOptions(extra_body={"z": "9"}))
    body = seen[1].content
    assert b'name="a"' in body and b'name="z"' in body and b'filename="x.bin"' in body
    with pytest.raises(InvalidArgumentError, match="binary or text body"):
        client.send({"method": "put", "url": "/b", "content": b"raw"}, RequestOptions(extra_body={"x": 1}))


def test_with_options_shares_the_pool_and_changes_only_what_it_is_told(mock: respx.MockRouter) -> None:
    route = mock.get("/v1/notes/n1").respond(200, json={"data": NOTE})
    client = Notebook(KEY, max_retries=3, default_headers={"X-A": "1"})
    derived = client.with_options(timeout=7.0, default_headers={"X-B": "2"}, api_key="other-key-123")
    assert derived._client._http is client._client._http
    assert derived.max_retries == 3 and derived.timeout.read == 7.0 and client.timeout.read == 60.0
    derived.notes.get_note("n1")
    client.copy().notes.get_note("n1")
    first, second = route.calls[0].request.headers, route.calls[1].request.headers
    assert first["x-a"] == "1" and first["x-b"] == "2" and first["x-notebook-token"] == "other-key-123"
    assert "x-b" not in second and second["x-notebook-token"] == KEY
    derived.close()  # a derived client does not own the pool
    assert not client._client._http.is_closed
    client.close()
    assert client._client._http.is_closed


def test_a_derived_client_sends_its_own_credentials_after_the_parent_sent_its(mock: respx.MockRouter) -> None:
    """What a security requirement sends is made once per client: a client derived with
    another key after the parent's calls sends the new key, and the parent keeps its own;
    none of it shows in the clients' attributes."""
    route = mock.get("/v1/notes/n1").respond(200, json={"data": NOTE})
    client = Notebook(KEY)
    client.notes.get_note("n1")
    derived = client.with_options(api_key="other-key-123")
    derived.notes.get_note("n1")
    client.notes.get_note("n1")
    sent = [c.request.headers["x-notebook-token"] for c in route.calls]
    assert sent == [KEY, "other-key-123", KEY]
    for c in (client, derived):
        dump = repr(vars(c._client))
        assert KEY not in dump and "other-key-123" not in dump
    client.close()


def test_the_client_timeout_and_a_call_timeout_reach_the_transport(mock: respx.MockRouter) -> None:
    """The request's `timeout` extension: the client's (made once), or the call's own; a
    client whose timeout is set anew sends the new one."""
    route = mock.get("/v1/notes/n1").respond(200, json={"data": NOTE})
    client = Notebook(KEY, timeout=httpx.Timeout(7.0, connect=2.0))
    client.notes.get_note("n1")
    client.notes.get_note("n1", timeout=3.0)
    client._client.timeout = httpx.Timeout(9.0)
    client.notes.get_note("n1")
    got = [c.request.extensions["timeout"] for c in route.calls]
    assert got == [httpx.Timeout(7.0, connect=2.0).as_dict(), httpx.Timeout(3.0).as_dict(), httpx.Timeout(9.0).as_dict()]
    got[2]["read"] = 1.0  # one request's extension is its own
    client.notes.get_note("n1")
    assert route.calls[-1].request.extensions["timeout"] == httpx.Timeout(9.0).as_dict()
    client.close()


def test_idempotency_keys_are_random_uuid4_text() -> None:
    keys = {new_idempotency_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        parsed = uuid.UUID(key)
        assert str(parsed) == key and parsed.version == 4 and parsed.variant == uuid.RFC_4122


# -- raw responses and request ids ------------------------------------------------------------


def test_request_ids_on_models_pages_and_streams(mock: respx.MockRouter) -> None:
    mock.get("/v1/notes/n1").respond(200, json={"data": NOTE}, headers={"x-request-id": "req-1"})
    mock.get("/v1/notes").respond(200, json={"data": [NOTE], "meta": {"total": 1}}, headers={"x-request-id": "req-2"})
    mock.post("/v1/notes/n1/summarize").respond(200, content=SSE, headers=SSE_HEADERS)
    with Notebook(KEY) as client:
        note = client.notes.get_note("n1")
        assert note._request_id == "req-1" and "req-1" not in repr(note) and "_request_id" not in note.to_dict()
        assert client.notes.list_notes()._request_id == "req-2"
        with client.notes.summarize_note("n1") as stream:
            assert stream._request_id == "req-stream"


def test_with_raw_response(mock: respx.MockRouter) -> None:
    route = mock.get("/v1/notes/n1").respond(200, json={"data": NOTE}, headers={"x-request-id": "req-raw"})
    mock.post("/v1/notes/n1/summarize").respond(200, content=SSE, headers=SSE_HEADERS)
    mock.get("/v1/notes").respond(200, json={"data": [NOTE], "meta": {"total": 1}})
    with Notebook(KEY) as client:
        raw = client.notes.with_raw_response.get_note("n1", extra_headers={"X-T": "1"})
        assert isinstance(raw, APIResponse) and raw.status_code == 200 and raw.request_id == "req-raw"
        assert raw.headers["x-request-id"] == "req-raw" and route.calls[0].request.headers["x-t"] == "1"
        note = raw.parse()
        assert isinstance(note, Note) and note is raw.parse() and note._request_id == "req-raw"
        page = client.notes.with_raw_response.list_notes().parse()
        assert isinstance(page, SyncPage) and page.data[0].id == "n1"
        stream_raw = client.notes.with_raw_response.summarize_note("n1")
        assert stream_raw.request_id == "req-stream"
        assert stream_raw.parse().until_done().text == "Hi"
        # Plain calls after a raw one are plain again.
        assert isinstance(client.notes.get_note("n1"), Note)


def test_with_raw_response_keeps_typed_errors_and_retries(mock: respx.MockRouter) -> None:
    route = mock.get("/v1/notes/n1").mock(side_effect=[httpx.Response(503), httpx.Response(401, json={})])
    with Notebook(KEY, _sleep=lambda s: None) as client, pytest.raises(AuthenticationError) as info:
        client.notes.with_raw_response.get_note("n1")
    assert route.call_count == 2 and isinstance(info.value, NotebookError)


def test_with_streaming_response_reads_the_body_only_when_asked(mock: respx.MockRouter) -> None:
    reads: list[int] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            reads.append(1)
            yield json.dumps({"data": NOTE}).encode()

    mock.get("/v1/notes/n1").mock(return_value=httpx.Response(200, stream=Body()))
    with Notebook(KEY) as client:
        with client.notes.with_streaming_response.get_note("n1") as response:
            assert reads == [] and response.status_code == 200
            assert response.parse().id == "n1" and reads == [1]
        with client.notes.with_streaming_response.get_note("n1") as response:
            assert b"".join(response.iter_bytes()) == json.dumps({"data": NOTE}).encode()
        assert response.http_response.is_closed


def test_async_raw_and_streamed_responses(mock: respx.MockRouter) -> None:
    mock.get("/v1/notes/n1").respond(200, json={"data": NOTE}, headers={"x-request-id": "req-a"})
    mock.get("/v1/notes").respond(200, json={"data": [NOTE], "meta": {"total": 1}})

    async def run() -> None:
        async with AsyncNotebook(KEY) as client:
            raw = await client.notes.with_raw_response.get_note("n1")
            assert isinstance(raw, AsyncAPIResponse) and (await raw.parse())._request_id == "req-a"
            page = await (await client.notes.with_raw_response.list_notes()).parse()
            assert [n.id for n in page.data] == ["n1"]
            async with client.notes.with_streaming_response.get_note("n1") as response:
                assert (await response.parse()).title == "T"
            derived = client.with_options(max_retries=0)
            assert derived.max_retries == 0 and (await derived.notes.get_note("n1")).id == "n1"

    asyncio.run(run())


def test_unusable_bodies_are_api_errors_in_both_modes() -> None:
    request = httpx.Request("GET", "https://x.test/")
    for body in (b"[1]", b"not json", b'{"data": 3}'):
        response = httpx.Response(200, content=body, request=request)
        for strict in (False, True):
            with pytest.raises(Exception) as info:
                read_value(response, Value("model", model="Note"), strict=strict, envelope="NoteResponse", unwrap="data")
            assert type(info.value).__name__ == "APIError"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
@pytest.mark.parametrize("around", ["", " \n", "\t"])
def test_bodies_read_as_json_loads_reads_them(encoding: str, around: str) -> None:
    """A body is read as `response.json()` reads it: any encoding JSON may come in, whitespace
    around the value, non-ASCII text (the usual body, UTF-8 with nothing around it, is
    scanned at once)."""
    request = httpx.Request("GET", "https://x.test/")
    text = around + json.dumps({"data": {**NOTE, "title": "Caf\u00e9 \u2028 \U0001f600"}}, ensure_ascii=False) + around
    response = httpx.Response(200, content=text.encode(encoding), request=request)
    note = read_value(response, Value("model", model="Note"), strict=True, envelope="NoteResponse", unwrap="data")
    assert note == Note.from_dict(response.json()["data"]) and note.title == "Caf\u00e9 \u2028 \U0001f600"
    for bad in (text.encode(encoding)[:-3], b"\xff" + text.encode(), b'{"data": {"id": "n1"}} {}'):
        with pytest.raises(Exception) as info:
            read_value(httpx.Response(200, content=bad, request=request), Value("model", model="Note"), strict=False,
                       envelope="NoteResponse", unwrap="data")
        assert type(info.value).__name__ == "APIError" and "not valid JSON" in str(info.value)


# -- logging --------------------------------------------------------------------------------


def test_logging_is_off_unless_the_environment_asks(mock: respx.MockRouter, monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("notebook")
    before = list(logger.handlers)
    Notebook(KEY).close()
    assert logger.handlers == before
    monkeypatch.setenv("NOTEBOOK_LOG", "debug")
    Notebook(KEY).close()
    Notebook(KEY).close()
    added = [h for h in logger.handlers if h not in before]
    assert len(added) == 1 and logger.level == logging.DEBUG
    for h in added:
        logger.removeHandler(h)
    logger.setLevel(logging.NOTSET)


def test_log_lines_say_what_happened_and_never_the_key(mock: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    mock.get("/v1/notes/n1").mock(side_effect=[httpx.Response(503), httpx.Response(200, json={"data": NOTE},
                                                                                   headers={"x-request-id": "req-9"})])
    mock.post("/v1/notes/n1/summarize").respond(200, content=SSE, headers=SSE_HEADERS)
    caplog.set_level(logging.DEBUG, logger="notebook")
    with Notebook(KEY, _sleep=lambda s: None) as client:
        client.notes.get_note("n1", extra_headers={"X-Session-Token": "also-secret-456"})
        client.notes.summarize_note("n1").until_done()
    text = "\n".join(f"{r.name} {r.levelname} {r.getMessage()}" for r in caplog.records)
    assert "notebook.http INFO GET /v1/notes/n1 -> 503" in text
    assert "notebook.http INFO retrying GET /v1/notes/n1 (attempt 2)" in text
    assert "-> 200 in" in text and "request_id req-9" in text
    assert "notebook.stream DEBUG" in text and "event=delta" in text
    assert KEY not in text and "also-secret-456" not in text and REDACTED in text
    assert "'Idempotency-Key': '" not in text  # get_note declares none: none sent, none logged


def test_configure_from_env_ignores_other_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZZ_LOG", "verbose")
    configure_from_env("zz_pkg", "ZZ")
    assert logging.getLogger("zz_pkg").handlers == []
