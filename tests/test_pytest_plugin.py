"""The pytest plugin's fixtures under anyio's plugin, on asyncio and trio.

tests/test_pytest_plugin_asyncio.py runs them under pytest-asyncio.
"""

from __future__ import annotations

import pytest

from greenstatus import AsyncStatusClient
from greenstatus.testing import FakeGreenAPI

pytestmark = pytest.mark.anyio


async def test_status_client_is_wired_to_fake_greenapi(
    status_client: AsyncStatusClient, fake_greenapi: FakeGreenAPI
) -> None:
    sent = await status_client.send_voice_status("https://example.com/a.mp3", "a.mp3")
    [status] = fake_greenapi.statuses
    assert status.id_message == sent.id_message
    assert [request.api_method for request in fake_greenapi.requests] == ["sendVoiceStatus"]
    assert status_client.id_instance == fake_greenapi.id_instance


async def test_status_client_reads_back_what_it_sent(
    status_client: AsyncStatusClient,
) -> None:
    sent = await status_client.send_text_status("hello")
    [listed] = await status_client.get_outgoing_statuses()
    assert listed.id_message == sent.id_message
    assert listed.text_message == "hello"


def test_the_fixtures_come_from_the_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("greenstatus")
    assert plugin is not None
    assert plugin.__name__ == "greenstatus.testing.pytest_plugin"
