"""One benchmark contender, run in a process of its own by ``run.py``.

    python benchmarks/contenders.py NAME URL IN_FLIGHT COUNT
    (NAME: greenstatus, greenstatus-plain-httpx[-uncapped],
    greenstatus-trio[-uncapped], httpx-loop, aiohttp, official-sdk)
    python benchmarks/contenders.py platform URL INSTANCES SECONDS

Sends COUNT sendVoiceStatus POSTs with IN_FLIGHT at once to URL and prints one
JSON line: wall seconds, CPU seconds of this process, and (for greenstatus and
raw aiohttp) the event loop's lag percentiles measured while the sends ran.
TLS trust comes from SSL_CERT_FILE, set by run.py to its throwaway CA. The
platform scenario sends for SECONDS as INSTANCES instances through one pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import httpx

ID_INSTANCE = "1101000001"
TOKEN = "benchmark-token-0123456789abcdef"
WARMUP = 200
PAYLOAD = {"urlFile": "https://example.com/horse.mp3", "fileName": "horse.mp3"}

Send = Callable[[], Awaitable[None]]


def cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def path() -> str:
    return f"/waInstance{ID_INSTANCE}/sendVoiceStatus/{TOKEN}"


async def pump(send: Send, count: int, in_flight: int) -> None:
    """COUNT sends, IN_FLIGHT at a time, by a fixed set of workers."""
    remaining = iter(range(count))

    async def worker() -> None:
        for _ in remaining:
            await send()

    await asyncio.gather(*(worker() for _ in range(in_flight)))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values) or [0.0]
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class LagMonitor:
    """How late the event loop wakes a task that asked to sleep 1 ms, and how
    long its longest callbacks ran (the time it was blocked at a stretch)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.callbacks: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._original_run = asyncio.events.Handle._run

    def _timed_run(self, handle: asyncio.Handle) -> None:
        start = time.perf_counter()
        self._original_run(handle)
        self.callbacks.append(time.perf_counter() - start)

    async def _run(self) -> None:
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            self.lags.append(time.perf_counter() - start - 0.001)

    def start(self) -> None:
        monitor = self

        def timed(handle: asyncio.Handle) -> None:
            monitor._timed_run(handle)

        asyncio.events.Handle._run = timed  # type: ignore[method-assign,assignment]
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> dict[str, float]:
        assert self._task is not None
        asyncio.events.Handle._run = self._original_run  # type: ignore[method-assign]
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return {
            "lag_p50_ms": 1000 * statistics.median(self.lags or [0.0]),
            "lag_p99_ms": 1000 * percentile(self.lags, 0.99),
            "callback_p99_ms": 1000 * percentile(self.callbacks, 0.99),
            "callback_max_ms": 1000 * max(self.callbacks or [0.0]),
        }


async def measure(send: Send, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    await pump(send, WARMUP, in_flight)  # connections open, code paths warm
    monitor = LagMonitor() if lag else None
    if monitor:
        monitor.start()
    cpu_start, wall_start = cpu(), time.perf_counter()
    await pump(send, count, in_flight)
    result = {"wall": time.perf_counter() - wall_start, "cpu": cpu() - cpu_start}
    if monitor:
        result.update(await monitor.stop())
    return result


async def greenstatus_send_all(url: str, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    # The default client, as users make it.
    return await _send_all(url, count, in_flight, lag, http=None)


async def greenstatus_plain_httpx(
    url: str, count: int, in_flight: int, lag: bool
) -> dict[str, float]:
    """greenstatus on the user's own plain httpx.AsyncClient() (httpx's default
    transport, httpcore's pool), as a user who passes one makes it: its
    requests in flight capped by greenstatus (max_in_flight="auto")."""
    import httpx

    async with httpx.AsyncClient() as http:
        return await _send_all(url, count, in_flight, lag, http=http)


async def greenstatus_plain_httpx_uncapped(
    url: str, count: int, in_flight: int, lag: bool
) -> dict[str, float]:
    """The same with no cap (max_in_flight=None): httpcore's pool at IN_FLIGHT."""
    import httpx

    async with httpx.AsyncClient() as http:
        return await _send_all(url, count, in_flight, lag, http=http, max_in_flight=None)


async def greenstatus_trio(url: str, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    """greenstatus's own client on trio, where it sends through httpx's own
    transport (httpcore's pool), its requests in flight capped ("auto")."""
    return await _send_all(url, count, in_flight, False, http=None)


async def greenstatus_trio_uncapped(
    url: str, count: int, in_flight: int, lag: bool
) -> dict[str, float]:
    """The same with no cap (max_in_flight=None)."""
    return await _send_all(url, count, in_flight, False, http=None, max_in_flight=None)


async def _send_all(
    url: str,
    count: int,
    in_flight: int,
    lag: bool,
    *,
    http: httpx.AsyncClient | None,
    max_in_flight: int | Literal["auto"] | None = "auto",
) -> dict[str, float]:
    from greenstatus import AsyncStatusClient, NoRetry, VoiceStatus
    from greenstatus._methods import Host

    status = VoiceStatus(url_file=PAYLOAD["urlFile"], file_name=PAYLOAD["fileName"])
    # The rate limiter would hold a real instance to 5/s: switched off to
    # measure the client itself.
    async with AsyncStatusClient(
        ID_INSTANCE,
        TOKEN,
        api_url=url,
        http_client=http,
        rate_limits=None,
        retry=NoRetry(),
        max_concurrency=in_flight,
        max_in_flight=max_in_flight,
    ) as client:

        async def batch(size: int) -> None:
            results = await client.send_all([status] * size)
            assert all(result.ok for result in results)

        await batch(WARMUP)
        monitor = LagMonitor() if lag else None
        if monitor:
            monitor.start()
        cpu_start, wall_start = cpu(), time.perf_counter()
        await batch(count)
        result = {"wall": time.perf_counter() - wall_start, "cpu": cpu() - cpu_start}
        if monitor:
            result.update(await monitor.stop())
        # Where greenstatus's cap on the HTTP client's requests in flight ended
        # (0: no cap): a private look, for the report.
        gate = client._pool.gates.get(Host.API)
        result["cap"] = float(getattr(gate, "limit", 0))
        return result


async def httpx_loop(url: str, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    """A hand-written loop posting the same requests through an httpx.AsyncClient
    on the same transport: the client greenstatus creates for itself."""
    from greenstatus import create_http_client

    # One instance: no shares, as greenstatus's own pool has none.
    async with create_http_client(
        max_connections_per_host=None, max_requests_per_instance=None
    ) as http:
        target = url + path()

        async def send() -> None:
            response = await http.post(target, json=PAYLOAD)
            assert response.status_code == 200
            response.json()

        return await measure(send, count, in_flight, lag)


async def raw_aiohttp(url: str, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    import aiohttp

    context = ssl.create_default_context()
    connector = aiohttp.TCPConnector(limit=in_flight, ssl=context)
    async with aiohttp.ClientSession(connector=connector) as session:
        target = url + path()

        async def send() -> None:
            async with session.post(target, json=PAYLOAD) as response:
                assert response.status == 200
                await response.json()

        return await measure(send, count, in_flight, lag)


async def official_sdk(url: str, count: int, in_flight: int, lag: bool) -> dict[str, float]:
    import logging

    from whatsapp_api_client_python import API

    api = API.GreenAPI(ID_INSTANCE, TOKEN, host=url, media=url)
    logging.getLogger("whatsapp-api-client-python").setLevel(logging.CRITICAL)

    async def send() -> None:
        response = await api.statuses.sendVoiceStatusAsync(PAYLOAD["urlFile"], PAYLOAD["fileName"])
        assert response.code == 200, response.error

    return await measure(send, count, in_flight, lag)


async def platform(url: str, seconds: int, instances: int, lag: bool) -> dict[str, float]:
    """One create_http_client() shared by many AsyncStatusClients, one per
    instance, rate limiters on, each with more statuses than its limit lets
    through, against a server that answers 429 past each instance's limit."""
    from greenstatus import (
        AsyncStatusClient,
        NoRetry,
        RateLimitError,
        VoiceStatus,
        create_http_client,
    )

    status = VoiceStatus(url_file=PAYLOAD["urlFile"], file_name=PAYLOAD["fileName"])
    sent = [0] * instances
    rejected = [0] * instances
    failed = [0] * instances
    async with create_http_client(limits=httpx_limits(instances)) as http:
        clients = [
            # NoRetry, so that every 429 shows instead of being retried away.
            AsyncStatusClient(
                platform_instance(index), TOKEN, api_url=url, http_client=http, retry=NoRetry()
            )
            for index in range(instances)
        ]
        loop = asyncio.get_running_loop()
        monitor = LagMonitor() if lag else None
        if monitor:
            monitor.start()
        cpu_start, wall_start = cpu(), time.perf_counter()
        deadline = loop.time() + seconds

        async def worker(index: int) -> None:
            client = clients[index]
            while loop.time() < deadline:
                try:
                    await client.send(status)
                except RateLimitError:
                    rejected[index] += 1
                except Exception:
                    failed[index] += 1
                else:
                    sent[index] += 1

        # Five workers per instance: more statuses ready than 5 per second.
        await asyncio.gather(*(worker(i) for i in range(instances) for _ in range(5)))
        wall = time.perf_counter() - wall_start
        result = {"wall": wall, "cpu": cpu() - cpu_start}
        if monitor:
            result.update(await monitor.stop())
    rates = [count / wall for count in sent]
    result.update(
        sent=float(sum(sent)),
        rejected_429=float(sum(rejected)),
        failed=float(sum(failed)),
        rate_min=min(rates),
        rate_max=max(rates),
    )
    return result


def platform_instance(index: int) -> str:
    return str(1101000000 + index)


def httpx_limits(instances: int) -> object:
    import httpx

    # Enough connections for every instance's five sends at once.
    return httpx.Limits(max_connections=5 * instances, max_keepalive_connections=5 * instances)


CONTENDERS = {
    "greenstatus": greenstatus_send_all,
    "greenstatus-plain-httpx": greenstatus_plain_httpx,
    "greenstatus-plain-httpx-uncapped": greenstatus_plain_httpx_uncapped,
    "greenstatus-trio": greenstatus_trio,
    "greenstatus-trio-uncapped": greenstatus_trio_uncapped,
    "httpx-loop": httpx_loop,
    "aiohttp": raw_aiohttp,
    "official-sdk": official_sdk,
    "platform": platform,
}


def main() -> None:
    name, url, in_flight, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    lag = name in ("greenstatus", "aiohttp", "platform")
    if name.startswith("greenstatus-trio"):
        import trio

        result = trio.run(CONTENDERS[name], url, count, in_flight, False)
    else:
        result = asyncio.run(CONTENDERS[name](url, count, in_flight, lag))
    print(json.dumps({"name": name, "in_flight": in_flight, "count": count, **result}))


if __name__ == "__main__":
    main()
