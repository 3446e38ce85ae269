"""The hand-written runtime every generated SDK carries unchanged (sdkgen's Python target).

HTTP core and retries (`_http`, `_retry`), errors (`_errors`), the SSE parser
(`sse`), typed streams with resume (`_streaming`), pages (`_pagination`) and
the argument checks generated methods call (`_args`). Generated code imports
from here; nothing here knows the API it serves.
"""

from __future__ import annotations

from ._args import build_body, check_arg, check_path, given
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
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
    PromptRailsError,
    RateLimitError,
    StreamError,
    UnprocessableEntityError,
    error_kind,
    status_error,
)
from ._http import AsyncHTTPClient, SyncHTTPClient
from ._pagination import AsyncPage, AsyncPager, SyncPage
from ._streaming import (
    AsyncStream,
    ResumeSpec,
    Stream,
    StreamResult,
    StreamSpec,
    UnknownEvent,
    ValuePath,
)
from ._types import NOT_GIVEN, NotGiven, RequestOptions, SdkIdentity, TimeoutTypes
from .sse import ServerSentEvent, SSEParser

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncHTTPClient",
    "AsyncPage",
    "AsyncPager",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotGiven",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PromptRailsError",
    "RateLimitError",
    "RequestOptions",
    "ResumeSpec",
    "SSEParser",
    "SdkIdentity",
    "ServerSentEvent",
    "Stream",
    "StreamError",
    "StreamResult",
    "StreamSpec",
    "SyncHTTPClient",
    "SyncPage",
    "TimeoutTypes",
    "UnknownEvent",
    "UnprocessableEntityError",
    "ValuePath",
    "build_body",
    "check_arg",
    "check_path",
    "error_kind",
    "given",
    "status_error",
]
