"""Keeping the API token out of what tracing and error tools record.

GREEN-API puts the token in the URL path, and OpenTelemetry's HTTP
instrumentors and Sentry record URLs (span names and attributes, breadcrumbs,
exception messages, frame locals). These hooks mask it in what those tools
keep, with the same mask as greenstatus's logs. They import nothing from
OpenTelemetry or Sentry: greenstatus depends on neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar, cast

from ._redaction import MASK, mask_urls

__all__ = [
    "otel_aiohttp_request_hook",
    "otel_request_hook",
    "scrub_sentry_breadcrumb",
    "scrub_sentry_event",
]

E = TypeVar("E", bound=Mapping[str, object])

# Sentry's events nest a dozen levels at most (a frame's vars inside a frame
# inside an exception); anything deeper is masked whole rather than left unread.
_MAX_DEPTH = 32

# The span methods an instrumentor calls after the request hook: on the answer
# (status, headers), on a failure (the error's type, message and traceback).
_SETTERS = ("set_attribute", "set_attributes", "add_event", "update_name", "set_status")


async def otel_request_hook(span: object, request: object) -> None:
    """Mask the token in an OpenTelemetry span of an httpx request.

    The hook for OpenTelemetry's httpx instrumentor, which takes a coroutine
    function for an ``httpx.AsyncClient``: its ``async_request_hook`` in
    ``HTTPXClientInstrumentor().instrument()``, or the ``request_hook`` of
    ``HTTPXClientInstrumentor.instrument_client(client.http_client)``.

    The span's name and attributes are masked now, and so is what the
    instrumentor adds to this span later (the answer's attributes, a failure's
    message and traceback). A request that is not to GREEN-API is left as is.
    """
    _mask_span(span, request)


def otel_aiohttp_request_hook(span: object, request: object) -> None:
    """Mask the token in an OpenTelemetry span of an aiohttp request.

    The ``request_hook`` of ``AioHttpClientInstrumentor().instrument()``, which
    sees greenstatus's own client on asyncio and calls its hook synchronously.
    It masks as ``otel_request_hook`` does.
    """
    _mask_span(span, request)


def scrub_sentry_event(event: E, hint: object) -> E:
    """A copy of a Sentry event with every GREEN-API token masked.

    For ``before_send``, ``before_send_span`` (sentry-sdk 3) and
    ``before_send_transaction`` (sentry-sdk 2). Every string of the event, at
    any depth, has the token segment of each GREEN-API path masked, and every
    string value under a key whose name holds ``token`` is masked whole (a
    frame's ``api_token_instance``, a ``GREEN_API_TOKEN`` in ``extra``).
    """
    return cast("E", _scrub(event, _MAX_DEPTH))


def scrub_sentry_breadcrumb(crumb: E, hint: object) -> E:
    """A copy of a Sentry breadcrumb with every GREEN-API token masked, as
    ``scrub_sentry_event`` masks an event; for ``before_breadcrumb``."""
    return cast("E", _scrub(crumb, _MAX_DEPTH))


def _scrub(value: object, depth: int) -> object:
    if isinstance(value, str):
        return mask_urls(value)
    if isinstance(value, (Mapping, list, tuple)) and depth <= 0:
        return MASK
    if isinstance(value, Mapping):
        return {
            _scrub(key, depth): _scrub_item(key, item, depth - 1) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, depth - 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, depth - 1) for item in value)
    return value


def _scrub_item(key: object, item: object, depth: int) -> object:
    # The hooks do not know the token, so a token held alone (a frame's local,
    # a setting) is known by its name; Sentry's own scrubber misses
    # GREEN-API's ``api_token_instance`` in frame locals.
    if isinstance(key, str) and "token" in key.lower() and isinstance(item, str):
        return MASK
    return _scrub(item, depth)


def _mask_span(span: object, request: object) -> None:
    is_recording = getattr(span, "is_recording", None)
    if not callable(is_recording) or not is_recording():
        return
    if mask_urls(_url_of(request)) == _url_of(request):
        return  # not a GREEN-API request: nothing of it to mask
    name = getattr(span, "name", None)
    update_name = getattr(span, "update_name", None)
    if isinstance(name, str) and callable(update_name):
        update_name(mask_urls(name))
    set_attribute = getattr(span, "set_attribute", None)
    attributes = getattr(span, "attributes", None)
    if callable(set_attribute) and isinstance(attributes, Mapping):
        for key, value in list(attributes.items()):
            masked = _mask_attribute(value)
            if masked != value:
                set_attribute(key, masked)
    _keep_masking(span)


def _url_of(request: object) -> str:
    url = getattr(request, "url", None)
    if isinstance(url, tuple):  # httpx's raw form: (scheme, host, port, path)
        return "".join(part.decode() if isinstance(part, bytes) else str(part) for part in url)
    return str(url)


def _keep_masking(span: object) -> None:
    """Make this span mask what it is given from now on.

    The instrumentors set attributes, statuses and exception events after the
    request hook, and OpenTelemetry lets nothing change a span once it has
    ended: an error's message (aiohttp's "Connection timeout to host <url>")
    would reach the exporter unmasked. So this one span's setters are wrapped.
    """
    for setter in _SETTERS:
        original = getattr(span, setter, None)
        if not callable(original):
            continue
        try:
            setattr(span, setter, _masking(original))
        except (AttributeError, TypeError):  # a span without __dict__: left as it is
            return


def _masking(original: Callable[..., object]) -> Callable[..., object]:
    def masked(*args: object, **kwargs: object) -> object:
        return original(
            *(_mask_argument(arg) for arg in args),
            **{key: _mask_argument(value) for key, value in kwargs.items()},
        )

    return masked


def _mask_argument(value: object) -> object:
    if isinstance(value, Mapping):  # attributes
        return {key: _mask_attribute(item) for key, item in value.items()}
    description = getattr(value, "description", None)
    if isinstance(description, str) and mask_urls(description) != description:
        # An OpenTelemetry Status: rebuilt with the same code, the text masked.
        status = cast("Callable[[object, str], object]", type(value))
        return status(getattr(value, "status_code", None), mask_urls(description))
    return _mask_attribute(value)


def _mask_attribute(value: object) -> object:
    if isinstance(value, str):
        return mask_urls(value)
    if isinstance(value, (list, tuple)):
        return type(value)(mask_urls(item) if isinstance(item, str) else item for item in value)
    return value
