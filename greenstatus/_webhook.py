"""Reading a webhook POST from GREEN-API: its ``Authorization`` header checked
against the instance's ``webhookUrlToken``, then its body read for statuses.

A handler in any web framework passes the request's headers and raw body to
[`parse_webhook`][greenstatus.parse_webhook] and answers 200 once it returns
(GREEN-API sends an item again when no 200 comes within 180 seconds, so the
same body may arrive twice), or 401 on a
[`WebhookAuthError`][greenstatus.WebhookAuthError].
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Container, Mapping

from ._exceptions import NotificationError, WebhookAuthError
from ._notifications import StatusEvent, check_status_ids, describe, parse_notification
from ._redaction import Secret

__all__ = ["parse_webhook"]

_HEADER = "authorization"
_BEARER = "Bearer "


def parse_webhook(
    headers: Mapping[str, str],
    body: bytes | str | Mapping[str, object],
    *,
    token: str | None,
    status_ids: Container[str] = (),
) -> StatusEvent | None:
    """What one webhook POST from GREEN-API says about statuses, or ``None``.

    ``headers`` are the request's (any mapping; the name ``Authorization`` is
    looked up in any case). ``token`` is the instance's ``webhookUrlToken``
    setting, which GREEN-API sends in the ``Authorization`` header: the header
    is accepted when it is the token, ``Bearer`` and the token, or (a token set
    as ``Bearer x``) the token without ``Bearer``; it is compared in constant
    time, before anything of the body is read. ``token=None`` skips the check:
    only for an instance without a ``webhookUrlToken``, whose webhook URL anyone
    who knows it can post to.

    ``body`` is the raw body (bytes or text: UTF-8 JSON) or the JSON already
    decoded. ``status_ids`` is as for
    [`parse_notification`][greenstatus.parse_notification].

    Raises ``WebhookAuthError`` (``reason`` ``"missing"`` or ``"wrong"``) when
    the header does not match, ``NotificationError`` when the body is not a JSON
    object or is malformed about a status, and ``ValueError`` when ``token`` is
    an empty string. The token is in none of these errors.
    """
    try:
        check_status_ids(status_ids)
    except TypeError:
        del headers, token  # the frame an error tool records holds neither
        raise
    verdict: bool | None = True
    if not isinstance(headers, Mapping):
        kind = type(headers).__name__
        del headers, token  # the frame an error tool records holds neither
        raise TypeError(
            f"headers is {kind}, expected a mapping (request.headers in FastAPI and aiohttp)"
        )
    if token is not None:
        if not isinstance(token, str):
            kind = type(token).__name__
            del headers, token
            raise TypeError(f"token is {kind}, expected a string or None")
        if not token:
            del headers, token
            raise ValueError(
                "token is empty: pass the instance's webhookUrlToken, "
                "or None for an instance that has none"
            )
        if token != token.strip():
            del headers, token
            raise ValueError(
                "token has white space around it: pass the instance's webhookUrlToken as set"
            )
        # Held so that this frame's locals, which an error tool records, never
        # show it once the check below raises.
        secret = Secret(token)
        del token
        verdict = _authorized(headers, secret)
        del secret
    del headers  # its Authorization value is the token when it matched
    if verdict is None:
        raise WebhookAuthError(reason="missing")
    if not verdict:
        raise WebhookAuthError(reason="wrong")
    return parse_notification(_decoded(body), status_ids=status_ids)


def _authorized(headers: Mapping[str, str], secret: Secret[str]) -> bool | None:
    """Whether the ``Authorization`` header matches; ``None`` when there is none.

    Every candidate is compared, whatever the others gave, each through
    ``hmac.compare_digest`` on SHA-256 digests (equal lengths, so the time
    tells nothing of the token's length either).
    """
    values = [
        _text(value).strip() for name, value in headers.items() if _text(name).lower() == _HEADER
    ]
    values = [value for value in values if value]
    if not values:
        return None
    if len(values) > 1:
        return False  # two Authorization headers: not what GREEN-API sends
    # The scheme is case-insensitive and may be followed by any white space
    # (RFC 9110): "bearer  x" is "Bearer x".
    header = _as_bearer(values[0])
    given = _digest(header)
    results = [hmac.compare_digest(given, _digest(candidate)) for candidate in _candidates(secret)]
    return any(results)


def _candidates(secret: Secret[str]) -> list[str]:
    token = _as_bearer(secret.reveal())  # set as "bearer  x": the same as "Bearer x"
    candidates = [token, _BEARER + token]
    if token.startswith(_BEARER):
        candidates.append(token[len(_BEARER) :])
    return candidates


def _as_bearer(value: str) -> str:
    """``value`` with a ``Bearer`` scheme in any case, and any white space
    after it, written as ``Bearer x``; any other value as it is."""
    parts = value.split(None, 1)
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return _BEARER + parts[1].strip()
    return value


def _digest(text: str) -> bytes:
    # A header's value arrives as bytes; frameworks decode it as latin-1, a
    # token is text: both are compared as the UTF-8 bytes GREEN-API sent.
    try:
        raw = text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        raw = text
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).digest()


def _text(value: object) -> str:
    """A header name or value as text (some frameworks hand over bytes)."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else ""


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _decoded(body: object) -> Mapping[str, object]:
    """The body as a JSON object: bytes and text are read as UTF-8 JSON, a
    mapping is taken as it is."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            problem: str | None = "is not UTF-8"
        else:
            problem = None
        if problem is not None:  # raised here, not chained to the decoding error
            raise NotificationError("body", problem)
    if not isinstance(body, str):
        return _object(body)
    try:
        decoded = json.loads(body, parse_constant=_reject_constant)
    except ValueError as error:
        problem = f"is not JSON ({error})" if isinstance(error, json.JSONDecodeError) else None
        problem = problem or "is not JSON"
    except RecursionError:
        problem = "is not JSON this parser can read: it nests too deeply"
    else:
        problem = None
    if problem is not None:
        raise NotificationError("body", problem)
    return _object(decoded)


def _object(body: object) -> Mapping[str, object]:
    if not isinstance(body, Mapping):
        raise NotificationError("body", f"is {describe(body)}, expected an object")
    return body
