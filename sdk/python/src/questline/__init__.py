"""Questline Python SDK: typed sync and async clients for the Questline gamification API.

```python
from questline import Questline

client = Questline()  # QUESTLINE_API_KEY / QUESTLINE_BASE_URL from the environment
result = client.events.send(user_id="u1", type="lesson_completed")
```
"""

from __future__ import annotations

from . import types, webhooks
from ._client import AsyncQuestline, Questline
from ._constants import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    QuestlineError,
    RateLimitError,
    UnprocessableEntityError,
    ValidationError,
    WebhookVerificationError,
)
from ._logs import setup_logging as _setup_logging
from ._models import QuestlineModel
from ._response import APIResponse
from ._retry import Backoff
from ._streaming import AsyncStream, Stream
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .lib.batch import BatchItemResult, BatchReport
from .pagination import AsyncCursorPage, AsyncPaginator, SyncCursorPage

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncCursorPage",
    "AsyncPaginator",
    "AsyncQuestline",
    "AsyncStream",
    "AuthenticationError",
    "Backoff",
    "BadRequestError",
    "BatchItemResult",
    "BatchReport",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "Questline",
    "QuestlineError",
    "QuestlineModel",
    "RateLimitError",
    "Stream",
    "SyncCursorPage",
    "UnprocessableEntityError",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "types",
    "webhooks",
]

_setup_logging()
