"""Webhooks: the queue's items POSTed to the instance's ``webhookUrl``, over
real HTTP (or a transport of the caller's), as GREEN-API sends them."""

from __future__ import annotations

import attrs
import httpx

from ._notifications import FakeNotification
from ._replies import json_bytes

__all__ = ["WebhookDelivery", "post_webhook"]


@attrs.frozen(kw_only=True)
class WebhookDelivery:
    """What became of one item ``send_webhooks`` POSTed: the answer's status
    code, or the error that stopped it (``"ConnectError: ..."``)."""

    notification: FakeNotification
    """The item sent; its ``body`` is what was POSTed."""
    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """Answered 2xx: the item left the queue. Anything else leaves it
        queued, for a later ``send_webhooks``."""
        return self.status_code is not None and 200 <= self.status_code < 300


async def post_webhook(
    http: httpx.AsyncClient, url: str, token: str, notification: FakeNotification
) -> WebhookDelivery:
    """POST ``notification``'s body to ``url``, with ``token`` (when set) as
    the ``Authorization`` header, exactly as configured."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    try:
        response = await http.post(url, content=json_bytes(notification.body), headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        return WebhookDelivery(notification=notification, error=f"{type(exc).__name__}: {exc}")
    return WebhookDelivery(notification=notification, status_code=response.status_code)
