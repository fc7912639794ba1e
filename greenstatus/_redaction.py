"""Keeping the API token out of logs, messages and exception chains.

GREEN-API puts the token in the URL path (``/waInstance{id}/{method}/{token}``), so
every place a URL can surface is masked here, in one place.
"""

from __future__ import annotations

import logging
import re

__all__ = ["MASK", "install_log_filter", "mask_urls", "scrub", "scrub_exception"]

MASK = "***"

# The segment after ``/waInstance<id>/<method>/`` is the token, wherever such a
# path shows up: a full URL, a path alone, or inside a longer message.
_TOKEN_IN_PATH = re.compile(r"(/waInstance[^/\s]*/[^/?#\s]+/)[^/?#\s\"'<>]+")

# Exception chains are walked to this depth at most: real chains are 2 or 3 deep.
_MAX_CHAIN = 16


def mask_urls(text: str) -> str:
    """Replace the token segment of every GREEN-API path in ``text`` with ``***``."""
    return _TOKEN_IN_PATH.sub(rf"\g<1>{MASK}", text)


def scrub(text: str, secret: str) -> str:
    """Mask GREEN-API paths in ``text`` and any other literal occurrence of ``secret``."""
    masked = mask_urls(text)
    return masked.replace(secret, MASK) if secret else masked


class RedactedError(Exception):
    """Stands in a chain for an exception whose message could not be cleaned in place."""


def scrub_exception(exc: BaseException, secret: str) -> BaseException:
    """Return ``exc`` made safe to chain under a greenstatus error.

    String arguments are masked in place, and the exception's own cause and context
    likewise. An exception whose ``str``/``repr`` still shows the secret after that
    (its message is built from attributes) is replaced by a :class:`RedactedError`
    naming its type.
    """
    return _scrub_chain(exc, secret, _MAX_CHAIN)


def _scrub_chain(exc: BaseException, secret: str, depth: int) -> BaseException:
    exc.args = tuple(scrub(arg, secret) if isinstance(arg, str) else arg for arg in exc.args)
    cause, context = exc.__cause__, exc.__context__
    if depth <= 0:
        exc.__cause__ = None
        exc.__context__ = None
    else:
        exc.__cause__ = _scrub_chain(cause, secret, depth - 1) if cause is not None else None
        exc.__context__ = _scrub_chain(context, secret, depth - 1) if context is not None else None
    if _shows(exc, secret):
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        replacement = RedactedError(f"{kind}: {scrub(_safe_str(exc), secret)}")
        replacement.__cause__ = exc.__cause__
        replacement.__suppress_context__ = True
        return replacement
    return exc


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not hide the real error
        return "<unprintable>"


def _shows(exc: BaseException, secret: str) -> bool:
    try:
        texts = [_safe_str(exc), repr(exc)]
    except Exception:  # a broken __repr__: judge by the str alone
        texts = [_safe_str(exc)]
    return any((bool(secret) and secret in text) or mask_urls(text) != text for text in texts)


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
