"""greenstatus leaves output to the application: with no logging configured,
nothing of its own reaches stderr (its logger has a NullHandler), and an
application that configures logging sees its records."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent(
    """
    import logging, sys
    import anyio
    from greenstatus import AsyncStatusClient, ExponentialBackoff
    from greenstatus.testing import FakeClock, FakeGreenAPI

    if sys.argv[1] == "configured":
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    async def main() -> None:
        fake = FakeGreenAPI("1101000001", "abc")
        fake.fail_next(503, times=2)
        async with AsyncStatusClient(
            "1101000001", "abc", transport=fake.transport(),
            retry=ExponentialBackoff(uniform=lambda low, high: high), clock=FakeClock(),
        ) as client:
            print((await client.send_text_status("hi")).id_message)

    anyio.run(main)
    """
)


def run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROGRAM, mode],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_retries_print_nothing_when_the_application_configured_no_logging() -> None:
    done = run("unconfigured")
    assert done.stdout.strip().startswith("3EB")
    assert done.stderr == ""


def test_an_application_that_configures_logging_sees_each_retry_once() -> None:
    done = run("configured")
    assert done.stderr.splitlines() == [
        "WARNING sendTextStatus attempt 1 failed (ServerError 503); retrying in 0.50 s",
        "WARNING sendTextStatus attempt 2 failed (ServerError 503); retrying in 1.00 s",
    ]
