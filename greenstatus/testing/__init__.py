"""Test doubles for code that uses greenstatus.

``FakeGreenAPI`` models GREEN-API's status methods in memory; plug it in as an
httpx transport (``fake.transport()``) or serve it on loopback (``fake.serve()``).
"""

from __future__ import annotations

from .. import _publish
from .._methods import DOCUMENTED_RATE_LIMITS
from ._clock import FakeClock
from ._fake import FakeGreenAPI
from ._fake_status import FakeStatus
from ._files import FakeFile
from ._notifications import FakeNotification
from ._replies import FakeReply, RecordedRequest
from ._webhooks import WebhookDelivery

# Tests and conversions see greenstatus's errors as greenstatus.<name>, as
# users do, even when nothing imported a public name yet.
_publish()

__all__ = [
    "DOCUMENTED_RATE_LIMITS",
    "FakeClock",
    "FakeFile",
    "FakeGreenAPI",
    "FakeNotification",
    "FakeReply",
    "FakeStatus",
    "RecordedRequest",
    "WebhookDelivery",
]

for _name in __all__:
    _obj = globals()[_name]
    if issubclass(type(_obj), type):
        _obj.__module__ = __name__
del _name, _obj
