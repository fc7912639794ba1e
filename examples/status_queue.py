"""Statuses on a task queue: a web service enqueues them, workers send them.

The queue is arq, on the same Redis as the rate limiter: every worker process
sends through a RedisRateLimiter, so all of them together keep the instance
under GREEN-API's limits. Each job's result is recorded by arq: the
``idMessage``, or the greenstatus error, which crosses the queue intact (it
pickles with its fields).

    # a worker (run as many as you like, on as many machines):
    GREEN_API_ID_INSTANCE=... GREEN_API_TOKEN=... GREEN_API_URL=... \\
    REDIS_URL=redis://localhost:6379/0 arq status_queue.WorkerSettings

    # the whole round trip offline: a fake GREEN-API on loopback, a worker in
    # burst mode, three statuses (one refused by a link check):
    python examples/status_queue.py offline redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job
from arq.worker import Worker

from greenstatus import (
    AsyncStatusClient,
    GreenStatusError,
    MediaStatus,
    RedisRateLimiter,
    Status,
    TextStatus,
    VoiceStatus,
)

KINDS: dict[str, type[TextStatus] | type[VoiceStatus] | type[MediaStatus]] = {
    "text": TextStatus,
    "voice": VoiceStatus,
    "media": MediaStatus,
}


# -- the web service's side: enqueue ---------------------------------------------------


# --8<-- [start:enqueue]
async def enqueue(queue: ArqRedis, kind: str, **fields: Any) -> Job:
    """What a request handler does: validate now (a bad status is the caller's
    400, not a failed job), then hand the send to a worker."""
    KINDS[kind](**fields)  # raises InvalidStatusError naming the field
    job = await queue.enqueue_job("send_status", kind, fields)
    assert job is not None
    return job


# --8<-- [end:enqueue]


# -- the worker's side: send -----------------------------------------------------------


# --8<-- [start:worker]
async def startup(ctx: dict[str, Any]) -> None:
    ctx["limiter"] = RedisRateLimiter(os.environ["REDIS_URL"])
    ctx["client"] = AsyncStatusClient.from_env(rate_limiter=ctx["limiter"], check_links=True)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["client"].aclose()
    await ctx["limiter"].aclose()


async def send_status(ctx: dict[str, Any], kind: str, fields: dict[str, Any]) -> str:
    """One job: one status. A GreenStatusError fails the job and is its result."""
    status: Status = KINDS[kind](**fields)
    client: AsyncStatusClient = ctx["client"]
    sent = await client.send(status)
    return sent.id_message


class WorkerSettings:
    functions = [send_status]  # noqa: RUF012 - arq reads these class attributes
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 1  # greenstatus retries what is safe to retry; a job is never re-run
    redis_settings = RedisSettings.from_dsn(os.environ.get("REDIS_URL", "redis://localhost"))


# --8<-- [end:worker]


# -- the whole round trip, offline -----------------------------------------------------


async def offline(redis_url: str) -> None:
    from greenstatus.testing import FakeGreenAPI

    fake = FakeGreenAPI()
    async with fake.serve() as url:
        os.environ.update(
            REDIS_URL=redis_url,
            GREEN_API_ID_INSTANCE=fake.id_instance,
            GREEN_API_TOKEN=fake.token,
            GREEN_API_URL=url,
            GREEN_API_MEDIA_URL=url,
        )
        picture = fake.host_file("horse.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
        download = fake.host_file("horse.mp3", b"ID3", content_type="application/octet-stream")
        settings = RedisSettings.from_dsn(redis_url)
        queue = await create_pool(settings)
        jobs = [
            await enqueue(queue, "text", message="Hello from a worker", background_color="#228B22"),
            await enqueue(queue, "media", url_file=picture, file_name="horse.png"),
            await enqueue(queue, "voice", url_file=download, file_name="horse.mp3"),
        ]
        worker = Worker(
            functions=[send_status],
            on_startup=startup,
            on_shutdown=shutdown,
            redis_settings=settings,
            burst=True,  # stop once the queue is empty
            max_tries=1,
            handle_signals=False,
        )
        await worker.main()
        await worker.close()
        # --8<-- [start:results]
        for kind, job in zip(("text", "media", "voice"), jobs, strict=True):
            try:
                print(f"{kind}: sent {await job.result(timeout=10)}")
            except GreenStatusError as error:  # unpickled from the queue, fields and all
                fields = {
                    key: getattr(error, key)
                    for key in ("field", "reason", "content_type")
                    if hasattr(error, key)
                }
                print(f"{kind}: {type(error).__name__} {fields}")
        # --8<-- [end:results]
        await queue.aclose()
    print(f"GREEN-API queued {len(fake.statuses)} statuses")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "offline":
        sys.exit(__doc__)
    asyncio.run(offline(sys.argv[2]))
