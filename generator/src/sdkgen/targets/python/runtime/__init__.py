"""The hand-written runtime every generated SDK carries unchanged (sdkgen's Python target).

HTTP core and retries (`_http`, `_retry`), errors (`_errors`), the SSE parser
(`sse`), typed streams with resume (`_streaming`), pages (`_pagination`) and
the argument checks generated methods call (`_args`). Generated code imports
from here; nothing here knows the API it serves.
"""

from __future__ import annotations

from ._args import build_body, check_arg, check_path, given, unset_to_none
from ._errors import *  # noqa: F403
from ._errors import __all__ as _errors_all
from ._http import AsyncHTTPClient, SyncHTTPClient
from ._pagination import AsyncPage, AsyncPager, SyncPage
from ._streaming import AsyncStream, ResumeSpec, Stream, StreamResult, StreamSpec, UnknownEvent
from ._types import NOT_GIVEN, NotGiven, RequestOptions, SdkIdentity, TimeoutTypes
from .sse import ServerSentEvent, SSEParser

__all__ = [
    *_errors_all,
    "build_body",
    "check_arg",
    "check_path",
    "given",
    "unset_to_none",
    "AsyncHTTPClient",
    "SyncHTTPClient",
    "AsyncPage",
    "AsyncPager",
    "SyncPage",
    "AsyncStream",
    "ResumeSpec",
    "Stream",
    "StreamResult",
    "StreamSpec",
    "UnknownEvent",
    "NOT_GIVEN",
    "NotGiven",
    "RequestOptions",
    "SdkIdentity",
    "TimeoutTypes",
    "ServerSentEvent",
    "SSEParser",
]
