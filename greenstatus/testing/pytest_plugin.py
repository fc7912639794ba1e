"""pytest fixtures for code that uses greenstatus, registered as a ``pytest11``
entry point: installed with greenstatus, they need no import or conftest.

- ``fake_greenapi``: a fresh [`FakeGreenAPI`][greenstatus.testing.FakeGreenAPI];
- ``status_client``: an [`AsyncStatusClient`][greenstatus.AsyncStatusClient] for the fake's
  instance, on the fake's in-process transport (``transport=``), with the
  client's default retries and rate limits, as your code would build it.

Both are plain (synchronous) fixtures: the client holds no connection and binds
to no event loop until it sends, so the same fixtures serve tests run by
pytest-asyncio (``@pytest.mark.asyncio``) and by anyio's plugin
(``@pytest.mark.anyio``, on asyncio or trio) alike. For example:

```python
import pytest

from greenstatus import AsyncStatusClient
from greenstatus.testing import FakeGreenAPI


async def post_morning_status(client: AsyncStatusClient) -> None:  # your bot's
    await client.send_text_status("Good morning", background_color="#228B22")


@pytest.mark.anyio
async def test_my_bot_posts_its_morning_status(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    await post_morning_status(status_client)
    [status] = fake_greenapi.statuses
    assert status.kind == "text"
```

Override either fixture in your own ``conftest.py`` to change how it is built.
"""

from __future__ import annotations

import pytest

from .._client import AsyncStatusClient
from ._fake import FakeGreenAPI

__all__ = ["fake_greenapi", "status_client"]


@pytest.fixture
def fake_greenapi() -> FakeGreenAPI:
    """A fresh in-memory GREEN-API for one test."""
    return FakeGreenAPI()


@pytest.fixture
def status_client(fake_greenapi: FakeGreenAPI) -> AsyncStatusClient:
    """An ``AsyncStatusClient`` for ``fake_greenapi``'s instance, on its transport."""
    return AsyncStatusClient(
        fake_greenapi.id_instance, fake_greenapi.token, transport=fake_greenapi.transport()
    )
