"""Where a request to the fake's API goes: the instance, the method and the
token its path names, and the path as it is kept (the token masked).

GREEN-API serves every method at ``/waInstance{id}/{method}/{token}``, and
nowhere else, with one exception: deleteNotification takes the receiptId as
one more segment after the token. Only that method may have it.
"""

from __future__ import annotations

import re

import attrs

from .._redaction import MASK

__all__ = ["Route", "route"]

_PATH = re.compile(r"/waInstance(?P<id>[^/]*)/(?P<method>[^/]+)/(?P<token>[^/]+)/?")
_RECEIPT_PATH = re.compile(
    r"/waInstance(?P<id>[^/]*)/(?P<method>deleteNotification)/(?P<token>[^/]+)"
    r"/(?P<receipt>[^/]+)/?"
)


@attrs.frozen(kw_only=True)
class Route:
    """A path of the API's shape, taken apart."""

    id_instance: str
    method_name: str
    token: str
    masked_path: str
    """The path with the token segment replaced by ``***``."""
    receipt: str | None = None
    """deleteNotification's receiptId segment, as written (checked later)."""


def route(path: str) -> Route | None:
    """``path`` taken apart, or ``None`` when it is not the API's shape."""
    match = _RECEIPT_PATH.fullmatch(path) or _PATH.fullmatch(path)
    if match is None:
        return None
    groups = match.groupdict()
    return Route(
        id_instance=match["id"],
        method_name=match["method"],
        token=match["token"],
        masked_path=path[: match.start("token")] + MASK + path[match.end("token") :],
        receipt=groups.get("receipt"),
    )
