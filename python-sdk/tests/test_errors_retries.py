"""The error hierarchy, every status, the retry policy and the configuration (RUNTIME.md)."""

from __future__ import annotations

import email.utils
import logging

import httpx
import pytest
import respx

from conftest import BASE, KEY, REPLY, SESSION, Sleeps, error_body
from promptrails import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    PromptRails,
    PromptRailsError,
    RateLimitError,
    UnprocessableEntityError,
)
from promptrails._core import error_kind

STATUSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (402, PaymentRequiredError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
    (418, APIStatusError),
]


@pytest.mark.parametrize(("status", "cls"), STATUSES)
def test_every_status_maps_to_its_error(client: PromptRails, mock: respx.MockRouter, status: int, cls: type) -> None:
    mock.get("/api/v1/chat/sessions/s1").respond(
        status, json=error_body("some_code", "Chat session not found.", id="s1"), headers={"X-Request-ID": "req_1"}
    )
    with pytest.raises(cls) as info:
        client.chat.get_session("s1", max_retries=0)
    err = info.value
    assert type(err) is cls
    assert isinstance(err, APIStatusError) and isinstance(err, APIError) and isinstance(err, PromptRailsError)
    assert err.status_code == status
    assert err.code == "some_code"
    assert err.message == "Chat session not found."
    assert err.details == {"id": "s1"}
    assert err.request_id == "req_1"
    assert err.response.status_code == status
    assert str(err) == f"{status} some_code: Chat session not found. (request_id: req_1)"
    assert error_kind(err) == f"status:{status}"


def test_error_without_json_body(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/chat/sessions/s1").respond(502, content=b"Bad Gateway")
    with pytest.raises(InternalServerError) as info:
        client.chat.get_session("s1", max_retries=0)
    assert info.value.code is None and info.value.body == "Bad Gateway"


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retried_statuses(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps, status: int) -> None:
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [httpx.Response(status, json=error_body("x", "y")), httpx.Response(200, json={"data": SESSION})]
    assert client.chat.get_session("s1").id == "s1"
    assert route.call_count == 2
    assert sleeps.calls == [0.5]


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 422])
def test_not_retried_statuses(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps, status: int) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").respond(status, json=error_body("x", "y"))
    with pytest.raises(APIStatusError):
        client.chat.get_session("s1")
    assert route.call_count == 1 and sleeps.calls == []


def test_backoff_sequence_then_gives_up(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    client = PromptRails(KEY, max_retries=6, _sleep=sleeps, _random=lambda: 0.0)
    route = mock.get("/api/v1/chat/sessions/s1").respond(503, json=error_body("unavailable", "down"))
    with pytest.raises(InternalServerError):
        client.chat.get_session("s1")
    assert route.call_count == 7
    # min(0.5 * 2**n, 8) times the jitter factor (0.75 with random() == 0)
    assert sleeps.calls == [0.375, 0.75, 1.5, 3.0, 6.0, 6.0]


def test_jitter_stays_in_range(mock: respx.MockRouter, sleeps: Sleeps) -> None:
    client = PromptRails(KEY, max_retries=1, _sleep=sleeps, _random=lambda: 0.5)
    mock.get("/api/v1/chat/sessions/s1").respond(500)
    with pytest.raises(InternalServerError):
        client.chat.get_session("s1")
    assert sleeps.calls == [0.5 * 0.875]


def test_retry_after_seconds(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "2.5"}, json=error_body("rate_limited", "slow down")),
        httpx.Response(200, json={"data": SESSION}),
    ]
    client.chat.get_session("s1")
    assert sleeps.calls == [2.5]


def test_retry_after_ms_wins(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "9", "retry-after-ms": "1500"}),
        httpx.Response(200, json={"data": SESSION}),
    ]
    client.chat.get_session("s1")
    assert sleeps.calls == [1.5]


def test_retry_after_http_date(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    date = email.utils.formatdate(1_000_000.0 + 7, usegmt=True)  # the client's clock says 1_000_000
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [httpx.Response(503, headers={"Retry-After": date}), httpx.Response(200, json={"data": SESSION})]
    client.chat.get_session("s1")
    assert sleeps.calls == [7.0]


def test_retry_after_out_of_range_uses_backoff(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(429, headers={"Retry-After": "soon"}),
        httpx.Response(200, json={"data": SESSION}),
    ]
    client.chat.get_session("s1")
    assert sleeps.calls == [0.5, 1.0]


def test_x_should_retry_overrides(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/v1/chat/sessions/s1")
    route.side_effect = [httpx.Response(400, headers={"x-should-retry": "true"}), httpx.Response(200, json={"data": SESSION})]
    client.chat.get_session("s1")
    assert route.call_count == 2
    route2 = mock.get("/api/v1/chat/sessions/s2").respond(503, headers={"x-should-retry": "false"})
    with pytest.raises(InternalServerError):
        client.chat.get_session("s2")
    assert route2.call_count == 1


def test_connection_error_retried_then_raised(client: PromptRails, mock: respx.MockRouter, sleeps: Sleeps) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as info:
        client.chat.get_session("s1")
    assert not isinstance(info.value, APITimeoutError)
    assert error_kind(info.value) == "connection"
    assert route.call_count == 3 and len(sleeps.calls) == 2


def test_timeout_error(client: PromptRails, mock: respx.MockRouter) -> None:
    mock.get("/api/v1/chat/sessions/s1").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as info:
        client.chat.get_session("s1", max_retries=0)
    assert isinstance(info.value, APIConnectionError)
    assert error_kind(info.value) == "timeout"


def test_post_retries_reuse_the_idempotency_key(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/chat/sessions/s1/messages")
    route.side_effect = [
        httpx.RemoteProtocolError("server disconnected"),
        httpx.Response(503),
        httpx.Response(200, json={"data": REPLY}),
    ]
    assert client.chat.send_message("s1", content="Hi").content == "You said: Hi"
    keys = [c.request.headers["idempotency-key"] for c in route.calls]
    assert len(keys) == 3 and len(set(keys)) == 1
    assert all(c.request.content == b'{"content":"Hi"}' for c in route.calls)
    assert all(c.request.headers["x-api-key"] == KEY for c in route.calls)


def test_per_call_max_retries(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").respond(500)
    with pytest.raises(InternalServerError):
        client.chat.get_session("s1", max_retries=4)
    assert route.call_count == 5


def test_per_call_timeout(client: PromptRails, mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
    client.chat.get_session("s1", timeout=3.0)
    assert route.calls[0].request.extensions["timeout"] == httpx.Timeout(3.0).as_dict()
    client.chat.get_session("s1")
    assert route.calls[1].request.extensions["timeout"] == httpx.Timeout(60.0, connect=5.0).as_dict()


# -- configuration -------------------------------------------------------------------------


def test_env_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTRAILS_API_KEY", "env-key")
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", "http://localhost:9999/")
    c = PromptRails()
    assert c.base_url == "http://localhost:9999"
    with respx.mock(base_url="http://localhost:9999") as m:
        route = m.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
        c.chat.get_session("s1")
        assert route.calls[0].request.headers["x-api-key"] == "env-key"


def test_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROMPTRAILS_API_KEY", "env-key")
    monkeypatch.setenv("PROMPTRAILS_BASE_URL", "http://env")
    c = PromptRails("arg-key", base_url="http://arg")
    assert c.base_url == "http://arg" and c._client.api_key == "arg-key"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMPTRAILS_BASE_URL", raising=False)
    c = PromptRails("k")
    assert c.base_url == BASE
    assert c.max_retries == 2
    assert c.timeout == httpx.Timeout(60.0, connect=5.0)


def test_missing_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMPTRAILS_API_KEY", raising=False)
    with pytest.raises(InvalidArgumentError, match="PROMPTRAILS_API_KEY"):
        PromptRails()


def test_default_headers_and_injected_http_client(mock: respx.MockRouter) -> None:
    http = httpx.Client(headers={"X-From-Http-Client": "1"})
    with PromptRails(KEY, http_client=http, default_headers={"X-Team": "core"}) as c:
        route = mock.get("/api/v1/chat/sessions/s1").respond(200, json={"data": SESSION})
        c.chat.get_session("s1")
    req = route.calls[0].request
    assert req.headers["x-team"] == "core" and req.headers["x-from-http-client"] == "1"
    assert not http.is_closed  # the caller's client is the caller's to close
    http.close()


# -- the key never leaks ---------------------------------------------------------------


def test_api_key_never_in_reprs_errors_or_logs(mock: respx.MockRouter, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sleeps = Sleeps()
    client = PromptRails(KEY, _sleep=sleeps)
    assert KEY not in repr(client) and KEY not in repr(client._client) and KEY not in str(vars(client))
    mock.get("/api/v1/chat/sessions/s1").respond(401, json=error_body("unauthorized", "Missing or invalid API key."))
    mock.get("/api/v1/chat/sessions/s2").respond(500)
    mock.get("/api/v1/chat/sessions/s3").mock(side_effect=httpx.ConnectError("refused"))
    errors: list[Exception] = []
    for sid in ("s1", "s2", "s3"):
        with pytest.raises(APIError) as info:
            client.chat.get_session(sid)
        errors.append(info.value)
    for err in errors:
        assert KEY not in str(err) and KEY not in repr(err)
        assert err.request is not None and KEY not in str(err.request.headers)
        if isinstance(err, APIStatusError):
            assert KEY not in str(err.response.request.headers)
    assert caplog.records  # retries were logged...
    assert KEY not in caplog.text  # ...without the key


def test_context_manager_closes_owned_client() -> None:
    with PromptRails(KEY) as c:
        pass
    assert c._client._http.is_closed
