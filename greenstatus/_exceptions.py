"""The errors greenstatus raises.

Every failure of a call ends as one of these; the tree is the whole error model:

```text
GreenStatusError
├── InvalidStatusError (also ValueError)   bad input, caught before anything is sent
│   ├── LinkCheckError   .url .reason       url_file would not show (check_links)
│   ├── AudienceError    .chat_id .reason   a participant the status would not reach
│   └── MediaError       .path              a file greenstatus.media cannot convert
├── APIConnectionError  .request_sent        no HTTP answer; was the request possibly delivered?
│   ├── APITimeoutError
│   └── ClientClosedError      the client or its pool was closed during the call
├── APIStatusError  .status_code .body .api_method .url (token masked)
│   ├── BadRequestError 400      .instance_not_ready
│   ├── AuthenticationError 401
│   ├── PermissionDeniedError 403   wrong idInstance, or no access to the beta methods
│   ├── NotFoundError 404
│   ├── RateLimitError 429       .retry_after
│   ├── QuotaExceededError 466   .invoke_status .correspondents_status
│   └── ServerError 5xx
├── RateLimiterUnavailableError  .api_method   the limiter's Redis cannot be used; nothing sent
├── ResponseValidationError     a 2xx answer that is not what the API documents
├── UnexpectedError             a failure greenstatus could not foresee (a bug), in send_all
├── NotificationError (also ValueError)  .field .problem   a notification body not as documented
└── WebhookAuthError  .reason   a webhook POST whose Authorization header is missing or wrong
```

No message, ``str()`` or ``repr()`` of these ever holds the API token: URLs are
carried with the token replaced by ``***``.
"""

from __future__ import annotations

from typing import Literal

import attrs
import httpx

from ._instance_state import InstanceState, not_ready_state
from ._numbers import whole_number

__all__ = [
    "AUDIENCE_REASONS",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AudienceError",
    "AudienceReason",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "GreenStatusError",
    "GreenStatusWarning",
    "InvalidStatusError",
    "LinkCheckError",
    "MediaError",
    "NotFoundError",
    "NotificationError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "QuotaStatus",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "ResponseValidationError",
    "ServerError",
    "UnexpectedError",
    "WebhookAuthError",
    "WebhookAuthReason",
]


class GreenStatusError(Exception):
    """Base class of every error greenstatus raises.

    An error of one call names the method as ``api_method``, a string such as
    ``"sendTextStatus"``: the ``.name`` of the request's ``api_method``, which on
    ``TextStatus`` and the other requests is the method itself, not its name.

    Every one survives ``pickle``, ``copy`` and ``deepcopy`` with its fields,
    so it can cross a process pool or a task queue (the chained ``__cause__``
    stays behind, as for any pickled exception).
    """

    def __reduce__(self) -> tuple[object, ...]:
        # Exception's own reduce calls cls(*args), which keyword-only
        # constructors refuse: rebuild from the arguments and fields instead.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class GreenStatusWarning(UserWarning):
    """A request GREEN-API accepts but whose status people will struggle to
    see, such as white text on a white background."""


class InvalidStatusError(GreenStatusError, ValueError):
    """A request field is invalid; raised before anything is sent.

    ``field`` names the offending field, e.g. ``"participants[1]"``.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class LinkCheckError(InvalidStatusError):
    """A ``url_file`` that GREEN-API would accept but whose status would never
    appear, found by a link check before anything went to GREEN-API.

    ``field`` is ``"url_file"``. ``reason`` says why, as one of
    ``"status"`` (the link did not answer 2xx), ``"unreachable"`` (no answer at
    all), ``"content_type"`` (``application/octet-stream``, none, or not the
    status's kind), ``"attachment"`` (served as a download), ``"too_large"``
    (over 100 MB), ``"not_public"`` (at some hop it leads off the public
    internet, where GREEN-API fetches files: to an internal address or a local
    name). ``status_code``, ``content_type`` and ``size`` are what the link's
    host answered, where it did.
    """

    def __init__(
        self,
        problem: str,
        *,
        url: str,
        reason: str,
        status_code: int | None = None,
        content_type: str | None = None,
        size: int | None = None,
    ) -> None:
        super().__init__("url_file", problem)
        self.url = url
        self.reason = reason
        self.status_code = status_code
        self.content_type = content_type
        self.size = size


AudienceReason = Literal["unnamed", "beyond_limit", "unknown", "groups"]
"""Why a status would not reach a participant: the ``Audience`` field it is in."""
AUDIENCE_REASONS: tuple[AudienceReason, ...] = ("unnamed", "beyond_limit", "unknown", "groups")


class AudienceError(InvalidStatusError):
    """A participant the status would not reach, found before anything was sent
    (``check_audience=True``, or a group chat id, which no status reaches).

    ``field`` is ``"participants[i]"`` (``i`` is the position in the list
    of participants as it was given), ``chat_id`` the participant as a chat
    id, and
    ``reason`` the ``Audience`` field it falls in: ``"unnamed"`` (a contact
    with no name in the phone book), ``"beyond_limit"`` (named, but past the
    first 1024 named contacts), ``"unknown"`` (not among the instance's
    contacts) or ``"groups"`` (a group chat).
    """

    def __init__(self, field: str, problem: str, *, chat_id: str, reason: AudienceReason) -> None:
        super().__init__(field, problem)
        self.chat_id = chat_id
        self.reason = reason


class MediaError(InvalidStatusError):
    """A file ``greenstatus.media`` cannot make into a status: corrupt, empty,
    not of the kind asked for, or too large even once converted. ``field`` is
    ``"path"`` and ``path`` the file; nothing was uploaded or sent."""

    def __init__(self, problem: str, *, path: str) -> None:
        super().__init__("path", problem)
        self.path = path


class APIConnectionError(GreenStatusError):
    """No HTTP answer came back.

    ``request_sent`` tells whether the request may have reached GREEN-API: ``False``
    means it certainly was not delivered (the connection was never made), ``True``
    means it possibly was (the answer was lost), so the status may have been queued.
    """

    def __init__(self, message: str, *, request_sent: bool, api_method: str, url: str) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.api_method = api_method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request timed out (connecting, waiting for a pooled connection, or reading)."""


class ClientClosedError(APIConnectionError):
    """The client (or the ``http_client`` under it) was closed while this call
    was under way: waiting for the rate limiter, a retry or a connection.

    ``request_sent`` is ``False`` when no attempt of the call can have reached
    GREEN-API. Retrying on the same client is no use: it is closed.
    """


class APIStatusError(GreenStatusError):
    """GREEN-API answered with a non-success HTTP status.

    ``body`` is the decoded JSON of the answer when it is JSON, else its text.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object,
        api_method: str,
        url: str,
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        self.api_method = api_method
        self.url = url
        self.headers = headers if headers is not None else httpx.Headers()


class BadRequestError(APIStatusError):
    """400: the request was refused.

    ``instance_not_ready`` is true when GREEN-API says the instance is starting or
    its account is not authorized: a state that passes, unlike a bad field.
    ``instance_state`` names that state (``STARTING`` or ``NOT_AUTHORIZED``).
    """

    @property
    def instance_state(self) -> InstanceState | None:
        return not_ready_state(self.body if isinstance(self.body, str) else repr(self.body))

    @property
    def instance_not_ready(self) -> bool:
        return self.instance_state is not None


class AuthenticationError(APIStatusError):
    """401: the apiTokenInstance is wrong."""


class PermissionDeniedError(APIStatusError):
    """403: wrong idInstance, or no access to the beta methods (deleteStatus
    and getIncomingStatuses are still marked beta; GREEN-API support grants it)."""


class NotFoundError(APIStatusError):
    """404: wrong HTTP method or path (often a wrong api_url)."""


class RateLimitError(APIStatusError):
    """429: over the instance's rate limit.

    ``retry_after`` is how many seconds the server asked to wait, when it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object,
        api_method: str,
        url: str,
        headers: httpx.Headers | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            status_code=status_code,
            body=body,
            api_method=api_method,
            url=url,
            headers=headers,
        )
        self.retry_after = retry_after


@attrs.frozen(kw_only=True)
class QuotaStatus:
    """One quota block of a 466 answer (``invokeStatus`` or ``correspondentsStatus``)."""

    method: str | None = None
    used: int | None = None
    total: int | None = None
    status: str | None = None
    description: str | None = None


class QuotaExceededError(APIStatusError):
    """466: the plan's quota is used up.

    ``invoke_status`` and ``correspondents_status`` are the parsed quota blocks of
    the answer, or ``None`` when it had none.
    """

    @property
    def invoke_status(self) -> QuotaStatus | None:
        return _quota_status(self._blocks().get("invokeStatus"))

    @property
    def correspondents_status(self) -> QuotaStatus | None:
        return _quota_status(self._blocks().get("correspondentsStatus"))

    def _blocks(self) -> dict[str, object]:
        return self.body if isinstance(self.body, dict) else {}


class ServerError(APIStatusError):
    """5xx: GREEN-API failed to handle the request."""


class RateLimiterUnavailableError(GreenStatusError):
    """The rate limiter cannot be asked (its Redis is unreachable, or refused),
    so nothing was sent: greenstatus never sends unlimited instead.
    ``api_method`` is the method that was to be sent."""

    def __init__(self, message: str, *, api_method: str) -> None:
        super().__init__(message)
        self.api_method = api_method


class ResponseValidationError(GreenStatusError):
    """A success answer whose body is not what the API documents."""

    def __init__(
        self, message: str, *, api_method: str, url: str, status_code: int, body: object
    ) -> None:
        super().__init__(message)
        self.api_method = api_method
        self.url = url
        self.status_code = status_code
        self.body = body


class UnexpectedError(GreenStatusError):
    """A call failed in a way greenstatus does not foresee: an event hook or a
    transport of your ``http_client`` raised, or a bug in greenstatus or below
    it. The original exception is its ``__cause__``, cleaned of the token.

    The request may have reached GREEN-API, so a status may have been queued:
    it is never retried, and ``send_all`` records it as that status's result
    while the other sends go on.
    """

    def __init__(self, message: str, *, api_method: str) -> None:
        super().__init__(message)
        self.api_method = api_method


class NotificationError(GreenStatusError, ValueError):
    """A notification body (a webhook POST, or an item of receiveNotification)
    that is not what GREEN-API documents, about a status.

    ``field`` is the dotted path of the offending field, e.g.
    ``"senderData.chatId"`` (``"body"`` for the body itself, ``"body.idMessage"``
    inside a queue item); ``problem`` says what is off. Bodies of the types
    greenstatus does not read are never an error.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


WebhookAuthReason = Literal["missing", "wrong"]
"""Why a webhook POST was refused: no ``Authorization`` header, or one that does
not match the instance's ``webhookUrlToken``."""

_WEBHOOK_AUTH_MESSAGES: dict[str, str] = {
    "missing": (
        "the webhook came without an Authorization header: GREEN-API sends the "
        "instance's webhookUrlToken there once the setting is set"
    ),
    "wrong": "the webhook's Authorization header does not match the instance's webhookUrlToken",
}


class WebhookAuthError(GreenStatusError):
    """A webhook POST refused before its body was read: its ``Authorization``
    header is missing or does not match the instance's ``webhookUrlToken``.

    ``reason`` is ``"missing"`` or ``"wrong"``. Neither the token nor the
    header's value is in the message or anywhere in the error. Answer such a
    request with 401 (or 403): it did not come from GREEN-API.
    """

    def __init__(self, *, reason: WebhookAuthReason) -> None:
        super().__init__(_WEBHOOK_AUTH_MESSAGES.get(reason, "the webhook was refused"))
        self.reason = reason


def _rebuild(
    kind: type[GreenStatusError], args: tuple[object, ...], fields: dict[str, object]
) -> GreenStatusError:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(fields)
    return error


def _quota_status(block: object) -> QuotaStatus | None:
    if not isinstance(block, dict):
        return None

    def text(key: str) -> str | None:
        value = block.get(key)
        return value if isinstance(value, str) else None

    def number(key: str) -> int | None:
        # GREEN-API's tables type used/total as strings, its examples as numbers.
        return whole_number(block.get(key))

    return QuotaStatus(
        method=text("method"),
        used=number("used"),
        total=number("total"),
        status=text("status"),
        description=text("description"),
    )
