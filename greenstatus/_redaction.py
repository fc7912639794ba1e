"""Keeping the API token out of logs, messages and exception chains.

GREEN-API puts the token in the URL path (``/waInstance{id}/{method}/{token}``), so
every place a URL can surface is masked here, in one place.
"""

from __future__ import annotations

import contextlib
import logging
import re
import types
from types import TracebackType
from typing import Generic, NoReturn, TypeVar

import httpx

__all__ = [
    "MASK",
    "Secret",
    "forget_locals",
    "install_log_filter",
    "mask_urls",
    "safe_str",
    "scrub",
    "scrub_exception",
    "scrub_value",
]

T = TypeVar("T")

MASK = "***"

# The segment after ``/waInstance<id>/<method>/`` is the token, wherever such a
# path shows up: a full URL, a path alone, or inside a longer message. The id is
# digits: a gateway's own path segment such as ``/waInstanceGW/`` before it is
# not taken for the instance (api_url may not hold ``/waInstance<digits>``).
_TOKEN_IN_PATH = re.compile(r"(/waInstance[0-9]+/[^/?#\s]+/)[^/?#\s\"'<>]+", re.IGNORECASE)

# Exception chains are walked to this depth at most: real chains are 2 or 3 deep.
_MAX_CHAIN = 16

# What an exception whose __str__ raises says instead.
_UNPRINTABLE = "<unprintable>"


class Secret(Generic[T]):
    """Holds what must not be shown: its repr is a mask, and it refuses pickling,
    so ``vars()``, reprs and pickles of its holder never carry the value."""

    __slots__ = ("_shown", "_value")

    def __init__(self, value: T, shown: str = MASK) -> None:
        self._value = value
        self._shown = shown

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return self._shown

    def __reduce_ex__(self, protocol: object) -> NoReturn:
        raise TypeError("a greenstatus secret (the API token) is never pickled or copied")


def mask_urls(text: str) -> str:
    """Replace the token segment of every GREEN-API path in ``text`` with ``***``."""
    return _TOKEN_IN_PATH.sub(rf"\g<1>{MASK}", text)


def scrub(text: str, secret: str) -> str:
    """Mask every literal occurrence of ``secret`` in ``text``, then the token
    segment of any GREEN-API path (whatever token it holds)."""
    literal = text.replace(secret, MASK) if secret else text
    return mask_urls(literal)


def scrub_value(value: object, secret: str) -> object:
    """``scrub`` through a decoded JSON value: its strings, keys included."""
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, list):
        return [scrub_value(item, secret) for item in value]
    if isinstance(value, dict):
        return {scrub(str(key), secret): scrub_value(item, secret) for key, item in value.items()}
    return value


class RedactedError(Exception):
    """Stands in a chain for an exception whose message could not be cleaned in place."""


def scrub_exception(exc: BaseException, secret: str) -> BaseException:
    """Return ``exc`` made safe to chain under a greenstatus error.

    String arguments are masked in place, and the exception's own cause and
    context likewise. Each link loses its traceback: the frames of httpx, of a
    transport or of an event hook hold the request, URL and token, in their
    locals, and error tools (Sentry, ``capture_locals``) record those. An
    ``httpx.Request`` or ``httpx.Response`` it carries (httpx's errors do) is
    replaced by one whose URL is masked, so ``error.__cause__.request.url``
    still says where it went. An exception that still shows the secret after
    that, in its ``str``, ``repr`` or an attribute, is replaced by a
    ``RedactedError`` naming its type.
    """
    return _scrub_chain(exc, secret, _MAX_CHAIN)


def _scrub_chain(exc: BaseException, secret: str, depth: int) -> BaseException:
    exc.args = tuple(scrub(arg, secret) if isinstance(arg, str) else arg for arg in exc.args)
    exc.__traceback__ = None
    _scrub_attributes(exc, secret)
    cause, context = exc.__cause__, exc.__context__
    if depth <= 0:
        exc.__cause__ = None
        exc.__context__ = None
    else:
        exc.__cause__ = _scrub_chain(cause, secret, depth - 1) if cause is not None else None
        exc.__context__ = _scrub_chain(context, secret, depth - 1) if context is not None else None
    # An exception group's members are cleaned in place; one that had to be
    # replaced cannot be swapped inside the group, so the group goes instead.
    members = getattr(exc, "exceptions", None)
    kept = True
    if isinstance(members, tuple):
        for member in members:
            if isinstance(member, BaseException):
                kept &= _scrub_chain(member, secret, depth - 1) is member if depth > 0 else False
    if not kept or _shows(exc, secret):
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        replacement = RedactedError(f"{kind}: {scrub(safe_str(exc, _UNPRINTABLE), secret)}")
        replacement.__cause__ = exc.__cause__
        replacement.__suppress_context__ = True
        return replacement
    return exc


def forget_locals(tb: TracebackType | None) -> None:
    """Clear the locals of every finished frame of ``tb``.

    An error raised inside greenstatus passed through frames that held what was
    read from the wire (an answer may echo the token) and what was sent; error
    tools record the locals of every frame of a traceback. The frames still
    running (the caller's, and the one clearing) keep theirs.
    """
    while tb is not None:
        with contextlib.suppress(RuntimeError):  # a frame still running
            tb.tb_frame.clear()
        tb = tb.tb_next


def masked_request(request: httpx.Request, secret: str) -> httpx.Request:
    """A bodiless copy of ``request`` whose URL has the token masked."""
    return httpx.Request(request.method, scrub(str(request.url), secret))


def _scrub_attributes(exc: BaseException, secret: str) -> None:
    """Mask the requests and answers an exception carries (httpx keeps the
    request on every ``RequestError`` and both on ``HTTPStatusError``)."""
    fields = getattr(exc, "__dict__", None)
    if not isinstance(fields, dict):
        return
    for name, value in list(fields.items()):
        if isinstance(value, httpx.Request):
            fields[name] = masked_request(value, secret)
        elif isinstance(value, httpx.Response):
            fields[name] = httpx.Response(
                value.status_code,
                headers=[(key, scrub(item, secret)) for key, item in value.headers.items()],
                request=masked_request(value.request, secret) if _has_request(value) else None,
            )
        elif isinstance(value, (str, httpx.URL)):
            text = str(value)
            if scrub(text, secret) != text:
                fields[name] = scrub(text, secret)


def _has_request(response: httpx.Response) -> bool:
    try:
        response.request  # noqa: B018 - httpx raises when it has none
    except RuntimeError:
        return False
    return True


def safe_str(exc: BaseException, fallback: str) -> str:
    """``str(exc)``, or ``fallback`` when the exception's ``__str__`` raises:
    a broken ``__str__`` must not hide the real error."""
    try:
        return str(exc)
    except Exception:
        return fallback


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # a broken __repr__: nothing it could show
        return ""


def _shows(exc: BaseException, secret: str) -> bool:
    """Whether ``exc`` holds the secret (or any GREEN-API token path) in what it
    shows or anywhere in what it carries."""
    if any(_text_shows(text, secret) for text in (safe_str(exc, _UNPRINTABLE), _safe_repr(exc))):
        return True
    return _reaches(exc, secret)


def _text_shows(text: str, secret: str) -> bool:
    return (bool(secret) and secret in text) or mask_urls(text) != text


# How far into what an exception carries the check looks: its arguments and
# attributes (``__dict__`` and slots), their attributes, and the items of
# containers, this many levels deep and at most this many objects in all. A
# graph too large to walk is not proven clean: the exception is replaced.
_MAX_DEPTH = 6
_MAX_OBJECTS = 2000
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)


def _reaches(root: BaseException, secret: str) -> bool:
    seen: set[int] = set()
    budget = _MAX_OBJECTS

    def walk(value: object, depth: int) -> bool:
        nonlocal budget
        if isinstance(value, str):
            return _text_shows(value, secret)
        if isinstance(value, (bytes, bytearray)):
            return bool(secret) and secret.encode() in value
        if isinstance(value, httpx.URL):
            return _text_shows(str(value), secret)
        if value is None or isinstance(value, (bool, int, float, complex, *_OPAQUE)):
            return False
        if id(value) in seen:
            return False
        seen.add(id(value))
        budget -= 1
        if budget < 0:
            return True
        if depth > _MAX_DEPTH:
            return _text_shows(_safe_repr(value), secret)
        return any(walk(item, depth + 1) for item in _contents(value))

    return walk(root, 0)


def _contents(value: object) -> list[object]:
    """What ``value`` holds: a container's items, else its arguments (for an
    exception) and attributes, ``__dict__`` and slots alike."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    held: list[object] = list(value.args) if isinstance(value, BaseException) else []
    fields = getattr(value, "__dict__", None)
    if isinstance(fields, dict):
        held.extend(fields.values())
    for name in _slot_names(type(value)):
        try:
            held.append(object.__getattribute__(value, name))
        except AttributeError:  # a slot never set
            continue
    return held


def _slot_names(kind: type) -> list[str]:
    names: list[str] = []
    for klass in kind.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for slot in (slots,) if isinstance(slots, str) else slots:
            if slot in ("__dict__", "__weakref__"):
                continue
            private = slot.startswith("__") and not slot.endswith("__")
            names.append(f"_{klass.__name__.lstrip('_')}{slot}" if private else slot)
    return names


class _MaskingFilter(logging.Filter):
    """Masks GREEN-API tokens in a record's message and arguments.

    Installed on the ``httpx`` logger, which logs every request's full URL at INFO.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_urls(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_mask_arg(arg) for arg in args)
        elif isinstance(args, dict):
            record.args = {key: _mask_arg(value) for key, value in args.items()}
        return True


def _mask_arg(arg: object) -> object:
    if isinstance(arg, (int, float)) or arg is None:
        return arg
    text = str(arg)
    masked = mask_urls(text)
    return arg if masked == text else masked


_LOGGERS_WITH_URLS = ("httpx",)


def install_log_filter() -> None:
    """Put the masking filter on the loggers of libraries that log URLs (idempotent)."""
    for name in _LOGGERS_WITH_URLS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _MaskingFilter) for existing in logger.filters):
            logger.addFilter(_MaskingFilter())
