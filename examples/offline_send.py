"""Send a text, a voice and a media status concurrently, offline.

GREEN-API is stood in for by an in-process httpx transport that answers like the
real API, given to the client as ``transport=``: everything else is the client
as it runs in production, so this runs anywhere with no account and no network:

    python examples/offline_send.py
"""

from __future__ import annotations

import itertools
import json

import anyio
import httpx

from greenstatus import AsyncStatusClient, MediaStatus, Status, TextStatus, VoiceStatus

ids = (f"3EB0C767D097B7C7C{number:03d}" for number in itertools.count())


def green_api(request: httpx.Request) -> httpx.Response:
    """Answer a send with an idMessage, as GREEN-API does once it has queued it."""
    method = request.url.path.split("/")[2]
    print(f"  server got {request.method} {method} {json.loads(request.content)}")
    return httpx.Response(200, json={"idMessage": next(ids)})


async def main() -> None:
    async with AsyncStatusClient(
        "1101000001",
        "example-token-not-a-real-one",
        api_url="https://1101.api.greenapi.com",
        transport=httpx.MockTransport(green_api),
    ) as client:
        statuses: list[Status] = [
            TextStatus(message="Hello from greenstatus", background_color="#228B22"),
            VoiceStatus(url_file="https://example.com/horse.mp3", file_name="horse.mp3"),
            MediaStatus(
                url_file="https://example.com/horse.png",
                file_name="horse.png",
                caption="Little horse",
                participants=["+7 900 123-45-67"],
            ),
        ]
        results = await client.send_all(statuses)
    for result in results:
        kind = type(result.request).__name__
        print(f"{kind:<12} {'sent as ' + str(result.id_message) if result.ok else result.error}")


if __name__ == "__main__":
    anyio.run(main)
