"""The hand-written runtime every generated SDK carries unchanged (sdkgen's Python target).

HTTP core, credentials, retries and logging (`_http`, `_retry`, `_logs`), errors
(`_errors`, on the base class `_brand.py` names after the SDK), the SSE parser (`sse`),
typed streams with resume (`_streaming`), conversations over a chat API's sessions
(`_conversation`), pages (`_pagination`), reading responses
(`_reading`, `_response`), the wire encodings (`_encode`) and the argument checks
generated methods call (`_args`). Generated code imports from here; nothing here knows
the API it serves: every name and every fact about the API comes from the generated
modules (`SdkIdentity`, `StreamSpec`, the shapes of `_shapes.py`).
"""

from __future__ import annotations

from ._args import body_of, check_arg, check_path
from ._brand import BaseError
from ._conversation import (
    AsyncConversation,
    AsyncConversationStream,
    Conversation,
    ConversationBinding,
    ConversationReply,
    ConversationStream,
)
from ._encode import binary_content, form_fields, header_value, multipart_parts, path_segment, plain, query_pairs
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
    RateLimitError,
    StreamError,
    UnprocessableEntityError,
    error_kind,
    status_error,
)
from ._http import AsyncHTTPClient, Security, SyncHTTPClient
from ._pagination import AsyncPage, AsyncPager, SyncPage
from ._response import (
    APIResponse,
    AsyncAPIResponse,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    read_bytes,
    read_none,
    read_page,
    read_text,
    read_value,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from ._streaming import (
    AsyncStream,
    ResumeSpec,
    Stream,
    StreamResult,
    StreamSpec,
    UnknownEvent,
    ValuePath,
)
from ._types import (
    NOT_GIVEN,
    AuthSpec,
    FileTypes,
    NotGiven,
    RequestOptions,
    SdkIdentity,
    TimeoutTypes,
    request_options,
)
from .sse import ServerSentEvent, SSEParser

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncConversation",
    "AsyncConversationStream",
    "AsyncHTTPClient",
    "AsyncPage",
    "AsyncPager",
    "AsyncStream",
    "AuthSpec",
    "AuthenticationError",
    "BadRequestError",
    "BaseError",
    "ConflictError",
    "Conversation",
    "ConversationBinding",
    "ConversationReply",
    "ConversationStream",
    "FileTypes",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "NotGiven",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "ResumeSpec",
    "SSEParser",
    "SdkIdentity",
    "Security",
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
    "async_to_raw_response_wrapper",
    "async_to_streamed_response_wrapper",
    "binary_content",
    "body_of",
    "check_arg",
    "check_path",
    "error_kind",
    "form_fields",
    "header_value",
    "multipart_parts",
    "path_segment",
    "plain",
    "query_pairs",
    "read_bytes",
    "read_none",
    "read_page",
    "read_text",
    "read_value",
    "request_options",
    "status_error",
    "to_raw_response_wrapper",
    "to_streamed_response_wrapper",
]
