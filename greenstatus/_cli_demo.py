"""``demo``: send to an offline fake GREEN-API on loopback with the real client
(a local file uploaded, a download link refused, three kinds sent together) and
show what was sent."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._cli_output import EXIT_OK, Output
from ._client import AsyncStatusClient
from ._exceptions import LinkCheckError
from ._requests import MediaStatus, Status, TextStatus, VoiceStatus

__all__ = ["demo"]


async def demo(args: argparse.Namespace, out: Output) -> int:
    import tempfile

    from .testing import FakeGreenAPI

    fake = FakeGreenAPI(contacts=("79001234567@c.us", "447700900123@c.us", "15550109999@c.us"))
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="greenstatus-demo-") as folder:
        recording = Path(folder) / "horse.mp3"
        recording.write_bytes(_DEMO_MP3)
        async with (
            fake.serve() as url,
            AsyncStatusClient(
                fake.id_instance, fake.token, api_url=url, media_url=url, check_links=True
            ) as client,
        ):
            # A local file: uploaded, and its link is a direct one.
            uploaded = await client.upload_file(recording)
            notes.append(f"uploaded {recording.name} from a local file: {uploaded.url_file}")
            # A download link: GREEN-API would accept it, and no one would see it.
            download = fake.host_file(
                "horse-download.mp3", _DEMO_MP3, content_type="application/octet-stream"
            )
            try:
                await client.check_link(download, "voice")
            except LinkCheckError as refused:
                notes.append(f"refused a download link before sending it: {refused.problem}")
            picture = fake.host_file("horse.png", _DEMO_PNG, content_type="image/png")
            statuses: list[Status] = [
                TextStatus(
                    message="Hello from greenstatus", background_color="#228B22", font="SERIF"
                ),
                VoiceStatus(url_file=uploaded.url_file, file_name="horse.mp3"),
                MediaStatus(
                    url_file=picture,
                    file_name="horse.png",
                    caption="Little horse",
                    participants=["+7 900 123-45-67"],
                ),
            ]
            sources = ["text", "uploaded file", "checked link"]
            results = await client.send_all(statuses)
            outgoing = {s.id_message: s for s in await client.get_outgoing_statuses()}
            rows: list[dict[str, object]] = []
            for result, source in zip(results, sources, strict=True):
                if result.error is not None:
                    raise result.error
                assert result.id_message is not None
                recipients = await client.get_status_statistic(result.id_message)
                listed = outgoing.get(result.id_message)
                rows.append(
                    {
                        "kind": type(result.request).__name__,
                        "id_message": result.id_message,
                        "type_message": listed.type_message if listed else None,
                        "state": listed.status_message if listed else None,
                        "recipients": len(recipients),
                        "source": source,
                    }
                )
    if not out.as_json:
        print(
            f"greenstatus demo: a fake GREEN-API served on {url} (loopback only)", file=out.stdout
        )
        for note in notes:
            print(note, file=out.stdout)
        print(f"sent {len(results)} statuses concurrently, then read them back:\n", file=out.stdout)
    out.table(rows, ("kind", "id_message", "type_message", "state", "recipients", "source"))
    return EXIT_OK


# The first bytes of an MP3 and of a PNG file: the fake keeps bytes, it does
# not decode them.
_DEMO_MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(246)
_DEMO_PNG = b"\x89PNG\r\n\x1a\n" + bytes(56)
