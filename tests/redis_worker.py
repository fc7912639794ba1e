"""One process of the multi-process rate limit tests: run as a script.

python tests/redis_worker.py send REDIS_URL API_URL ID TOKEN COUNT
    sends COUNT text statuses through a RedisRateLimiter, one attempt each,
    and prints one JSON line: how many were sent and the errors' classes.
python tests/redis_worker.py hold REDIS_URL ID METHOD LIMIT HOLD
    takes LIMIT places and never gives them back: prints "held", then
    sleeps until it is killed.
python tests/redis_worker.py watch REDIS_URL API_URL ID TOKEN SECONDS ID_MESSAGE...
    watches each status's statistic (watch_statistic, one poll a fifth of a
    second asked) for SECONDS through a RedisRateLimiter, and prints one JSON
    line: the changes each watcher saw.
"""

from __future__ import annotations

import asyncio
import json
import sys

from greenstatus import AsyncStatusClient, NoRetry, RateRequest, RedisRateLimiter, TextStatus


async def send(redis_url: str, api_url: str, id_instance: str, token: str, count: int) -> None:
    limiter = RedisRateLimiter(redis_url)
    async with AsyncStatusClient(
        id_instance, token, api_url=api_url, retry=NoRetry(), rate_limiter=limiter
    ) as client:
        results = await client.send_all(
            [TextStatus(message=f"status {n}") for n in range(count)], max_concurrency=count
        )
    await limiter.aclose()
    errors = [type(result.error).__name__ for result in results if result.error is not None]
    print(json.dumps({"sent": sum(result.ok for result in results), "errors": errors}))


async def watch(
    redis_url: str, api_url: str, id_instance: str, token: str, seconds: float, ids: list[str]
) -> None:
    limiter = RedisRateLimiter(redis_url)
    seen: dict[str, int] = dict.fromkeys(ids, 0)
    async with AsyncStatusClient(
        id_instance, token, api_url=api_url, rate_limiter=limiter
    ) as client:

        async def one(id_message: str) -> None:
            async with client.watch_statistic(id_message, until=seconds, interval=0.2) as changes:
                async for _change in changes:
                    seen[id_message] += 1

        await asyncio.gather(*(one(id_message) for id_message in ids))
    await limiter.aclose()
    print(json.dumps(seen))


async def hold(redis_url: str, id_instance: str, method: str, limit: int, seconds: float) -> None:
    limiter = RedisRateLimiter(redis_url)
    for _ in range(limit):
        await limiter.acquire(RateRequest(id_instance, method, limit, hold=seconds))
    print("held", flush=True)
    await asyncio.sleep(600)  # until killed


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "send":
        asyncio.run(send(args[0], args[1], args[2], args[3], int(args[4])))
    elif mode == "watch":
        asyncio.run(watch(args[0], args[1], args[2], args[3], float(args[4]), args[5:]))
    else:
        asyncio.run(hold(args[0], args[1], args[2], int(args[3]), float(args[4])))
