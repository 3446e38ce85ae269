"""The errors every SDK call can raise.

The hierarchy (RUNTIME.md "Errors"); its root is the SDK's own base class, named after
the client (`<Name>Error`, rendered by the generator into `_brand.py`):

    <Name>Error                           base of everything the SDK raises
    ├── APIError                          the server or the network failed the request
    │   ├── APIConnectionError            no HTTP answer (refused, reset, DNS, TLS)
    │   │   └── APITimeoutError           connect/read timeout, or a stream idle timeout
    │   ├── APIResponseValidationError    strict mode only: a response or event data does
    │   │                                 not match the contract
    │   ├── APIStatusError                an HTTP answer with status >= 400
    │   │   ├── BadRequestError           400
    │   │   ├── AuthenticationError       401
    │   │   ├── PaymentRequiredError      402
    │   │   ├── PermissionDeniedError     403
    │   │   ├── NotFoundError             404
    │   │   ├── ConflictError             409
    │   │   ├── UnprocessableEntityError  422
    │   │   ├── RateLimitError            429
    │   │   └── InternalServerError       >= 500
    │   └── StreamError                   the stream broke its contract: malformed JSON in a
    │                                     known event, an event over the size cap, or no
    │                                     end even after resuming
    └── InvalidArgumentError              a bad argument, raised before any request is sent
                                          (also a ValueError)

No error message, `str()` or `repr()` ever contains a credential: requests kept on errors
have their credentials redacted.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from ._brand import BaseError

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "BaseError",
    "RateLimitError",
    "StreamError",
    "UnprocessableEntityError",
    "error_kind",
    "status_error",
]


class APIError(BaseError):
    """The server or the network failed the request."""

    request: httpx.Request | None

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class APIConnectionError(APIError):
    """No HTTP answer: refused, reset, closed early, DNS or TLS failure."""

    def __init__(self, message: str = "Connection error.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """A connect or read timeout, or a stream that stayed silent too long."""

    def __init__(self, message: str = "Request timed out.", *, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)


class APIStatusError(APIError):
    """An HTTP answer with a status >= 400; carries what the error body said."""

    response: httpx.Response
    status_code: int
    code: str | None
    details: dict[str, Any]
    request_id: str | None
    body: object

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        code: str | None,
        details: dict[str, Any],
        body: object,
    ) -> None:
        self.status_code = response.status_code
        self.code = code
        self.details = details
        self.body = body
        self.request_id = response.headers.get("x-request-id")
        self.response = response
        text = f"{self.status_code} {code or 'error'}: {message}"
        if self.request_id:
            text += f" (request_id: {self.request_id})"
        super().__init__(text, request=response.request)
        # `message` is the server's own sentence; str(err) is the full line.
        self.message = message


class BadRequestError(APIStatusError):
    """400: the request is malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or unknown."""


class PaymentRequiredError(APIStatusError):
    """402: a quota is exceeded."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: the resource does not exist."""


class ConflictError(APIStatusError):
    """409: the request conflicts with an earlier one."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed but cannot be carried out."""


class RateLimitError(APIStatusError):
    """429: too many requests."""


class InternalServerError(APIStatusError):
    """>= 500: the server failed."""


class StreamError(APIError):
    """The stream broke its contract.

    `data` is the raw data of the offending frame, if there was one; `event` is the
    typed error event when a helper that aggregates a stream met an error event.
    """

    data: str | None
    event: object | None

    def __init__(
        self,
        message: str,
        *,
        data: str | None = None,
        event: object | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.data = data
        self.event = event


class APIResponseValidationError(APIError):
    """Strict mode only (`strict_response_validation=True`): a response, or an event's data,
    does not match the contract. `path` is where the first mismatch is (`data.status`,
    `data[2].role`; "" for the value itself), `reason` what is wrong there; `response` is
    the raw response (its request redacted), `body` its parsed body or the event's data."""

    status_code: int | None
    path: str
    reason: str
    response: httpx.Response | None
    body: object

    def __init__(
        self,
        *,
        path: str,
        reason: str,
        response: httpx.Response | None,
        body: object = None,
    ) -> None:
        self.status_code = response.status_code if response is not None else None
        self.path = path
        self.reason = reason
        self.response = response
        self.body = body
        where = f" at {path}" if path else ""
        status = f"the {self.status_code} response" if self.status_code is not None else "the response"
        super().__init__(
            f"{status} does not match the API contract{where}: {reason}",
            request=response.request if response is not None else None,
        )


class InvalidArgumentError(BaseError, ValueError):
    """A bad argument, raised before any request is sent."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx.Response) -> APIStatusError:
    """The typed error for an error response (its body must have been read)."""
    body: object = None
    code: str | None = None
    message = response.reason_phrase or "HTTP error"
    details: dict[str, Any] = {}
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        body = response.text or None
    if isinstance(body, dict):
        # The shapes the evidence shows: {"error": {code, message, details}}, {"error": "text"}
        # and the HTTP framework's {"message": "text"}; anything else keeps the status line.
        err = body.get("error")
        if isinstance(err, dict):
            if isinstance(err.get("code"), str):
                code = err["code"]
            if isinstance(err.get("message"), str):
                message = err["message"]
            if isinstance(err.get("details"), dict):
                details = err["details"]
        elif isinstance(err, str) and err:
            message = err
        elif isinstance(body.get("message"), str) and body["message"]:
            message = body["message"]
    status = response.status_code
    cls = _BY_STATUS.get(status, InternalServerError if status >= 500 else APIStatusError)
    return cls(message, response=response, code=code, details=details, body=body)


def error_kind(err: BaseException) -> str:
    """The conformance error kind of an error (RUNTIME.md "Conformance error kinds")."""
    if isinstance(err, InvalidArgumentError):
        return "invalid_argument"
    if isinstance(err, APITimeoutError):
        return "timeout"
    if isinstance(err, APIConnectionError):
        return "connection"
    if isinstance(err, APIStatusError):
        return f"status:{err.status_code}"
    if isinstance(err, APIResponseValidationError):
        return "response_validation"
    if isinstance(err, StreamError):
        if isinstance(err.__cause__, APIResponseValidationError):
            return "response_validation"
        return "stream"
    return "unknown"
