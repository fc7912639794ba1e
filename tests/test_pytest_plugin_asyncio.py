"""The pytest plugin's fixtures under pytest-asyncio, as most asyncio bot authors test.

This module is run by pytest-asyncio (``@pytest.mark.asyncio``), not by anyio's
plugin; tests/test_pytest_plugin.py runs the same fixtures on anyio's plugin.
No import brings the fixtures in: the ``pytest11`` entry point does.
"""

from __future__ import annotations

import asyncio

import pytest

from greenstatus import AsyncStatusClient, MediaStatus, TextStatus, VoiceStatus
from greenstatus.testing import FakeGreenAPI

pytestmark = pytest.mark.asyncio


async def test_status_client_sends_to_fake_greenapi(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    asyncio.get_running_loop()  # pytest-asyncio's loop, not anyio's runner
    sent = await status_client.send_text_status("from pytest-asyncio")
    [status] = fake_greenapi.statuses
    assert status.id_message == sent.id_message
    assert status.payload == {"message": "from pytest-asyncio"}


async def test_both_status_types_go_concurrently(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    results = await status_client.send_all(
        [
            VoiceStatus(url_file="https://example.com/a.mp3", file_name="a.mp3"),
            MediaStatus(url_file="https://example.com/b.jpg", file_name="b.jpg"),
        ]
    )
    assert [result.ok for result in results] == [True, True]
    assert sorted(status.kind for status in fake_greenapi.statuses) == ["media", "voice"]


async def test_each_test_gets_a_fresh_fake(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    assert fake_greenapi.statuses == []
    await status_client.send(TextStatus(message="only this one"))
    assert len(fake_greenapi.requests) == 1


async def test_faults_injected_in_the_fake_reach_the_client(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    from greenstatus import AuthenticationError

    fake_greenapi.fail_next(401)
    with pytest.raises(AuthenticationError):
        await status_client.send_text_status("refused")
    assert fake_greenapi.statuses == []


async def test_the_client_can_be_entered_and_closed_in_the_test(
    status_client: AsyncStatusClient,
) -> None:
    async with status_client:
        await status_client.send_text_status("hi")
    assert status_client.is_closed
