"""One shared pool, 200 instances, 3 of them on a host that never answers.

    python benchmarks/stalled_pool.py [--seconds 20] [--warm-up 5] [--latency-ms 100]
                                      [--pool 64] [--stalled 3]

A server process answers sendTextStatus on 127.0.0.2 after ``--latency-ms``,
as GREEN-API does across a network, and accepts connections on 127.0.0.3
without ever answering. One ``greenstatus.create_http_client()`` (64
connections) is shared by 200 ``AsyncStatusClient``s, no retries: 197 good
instances send one status a second each (at random moments), 3 instances on
the dead host send at GREEN-API's 5 a second, and every send of theirs waits
for the 15 s read timeout. The benchmark paces each instance itself, with
greenstatus's rate limiter off: the limiter holds a method's requests in
flight to its rate, so with it on a stuck instance stops at 5 sends in flight,
but not when a platform makes a client per send (each with a limiter of its
own) or limits elsewhere. Three runs, one pool each:

- ``no stalled host``: the 197 good instances only, greenstatus's shares;
- ``stalled host``: all 200, greenstatus's shares (8 requests per instance,
  48 connections per host);
- ``stalled host, no shares``: all 200, one instance or host may hold the
  whole pool (as before the shares).

It prints the good instances' p50 and p99 (sends begun after ``--warm-up``,
when the dead host holds all it can), their ratios to the run without the
stalled host, failed good sends, and the connections the dead host saw. It
measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from aiohttp import web

from greenstatus import AsyncStatusClient, GreenStatusError, NoRetry, create_http_client

TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd4123"
GOOD_HOST = "127.0.0.2"
DEAD_HOST = "127.0.0.3"
INSTANCES = 200


# -- the server process ----------------------------------------------------------


class _Deaf(asyncio.Protocol):
    """Accepts, reads, never answers; counts the connections open at once."""

    open = 0
    most_open = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _Deaf.open += 1
        _Deaf.most_open = max(_Deaf.most_open, _Deaf.open)

    def connection_lost(self, exc: Exception | None) -> None:
        _Deaf.open -= 1

    def data_received(self, data: bytes) -> None:
        pass


async def _serve(latency: float) -> None:
    async def send(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(latency)
        return web.json_response({"idMessage": "3EB0C767D097B7C7C030"})

    async def stats(request: web.Request) -> web.Response:
        most, _Deaf.most_open = _Deaf.most_open, _Deaf.open
        return web.json_response({"most_open": most})

    app = web.Application()
    app.router.add_post("/waInstance{id}/sendTextStatus/{token}", send)
    app.router.add_get("/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, GOOD_HOST, 0, backlog=1024)
    await site.start()
    dead = await asyncio.get_running_loop().create_server(_Deaf, DEAD_HOST, 0, backlog=1024)
    good_port = runner.addresses[0][1]
    dead_port = dead.sockets[0].getsockname()[1]
    print(json.dumps({"good": good_port, "dead": dead_port}), flush=True)
    await asyncio.Event().wait()


# -- the clients -----------------------------------------------------------------


async def _run(
    urls: dict[str, str], args: argparse.Namespace, *, stalled: bool, shares: bool
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=args.pool, max_keepalive_connections=args.pool)
    http = (
        create_http_client(limits=limits)
        if shares
        else create_http_client(
            limits=limits, max_requests_per_instance=None, max_connections_per_host=None
        )
    )
    latencies: list[float] = []
    failed = 0
    start = time.perf_counter()
    stop = start + args.seconds

    async def timed(send: Callable[[], Awaitable[object]], *, good: bool) -> None:
        nonlocal failed
        began = time.perf_counter()
        try:
            await send()
        except GreenStatusError:
            if good:
                failed += 1
        if good and began - start >= args.warm_up:
            latencies.append(time.perf_counter() - began)

    async def instance(id_instance: str, url: str, rate: float, *, good: bool) -> None:
        client = AsyncStatusClient(
            id_instance, TOKEN, api_url=url, http_client=http, retry=NoRetry(), rate_limits=None
        )
        sends = []
        await asyncio.sleep(random.uniform(0, 1 / rate))  # noqa: S311 - spreads load
        while time.perf_counter() < stop:
            send = timed(lambda: client.send_text_status("hi"), good=good)
            sends.append(asyncio.ensure_future(send))
            await asyncio.sleep(random.expovariate(rate))
        if not good:  # their answers never come: not measured, not waited for
            for task in sends:
                task.cancel()
        await asyncio.gather(*sends, return_exceptions=True)

    async with http:
        tasks = []
        for number in range(INSTANCES):
            id_instance = f"1101{number:06d}"
            if number < args.stalled:
                if stalled:
                    tasks.append(instance(id_instance, urls["dead"], 5.0, good=False))
            else:
                tasks.append(instance(id_instance, urls["good"], 1.0, good=True))
        await asyncio.gather(*tasks)
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[int(len(ordered) * 0.99)] * 1000,
        "sends": len(ordered),
        "failed": failed,
    }


async def _measure(args: argparse.Namespace, ports: dict[str, int]) -> None:
    urls = {
        "good": f"http://{GOOD_HOST}:{ports['good']}",
        "dead": f"http://{DEAD_HOST}:{ports['dead']}",
    }
    runs = [
        ("no stalled host", False, True),
        ("stalled host", True, True),
        ("stalled host, no shares", True, False),
    ]
    rows = []
    async with httpx.AsyncClient() as stats:
        for name, stalled, shares in runs:
            await stats.get(f"{urls['good']}/stats")  # starts the count afresh
            result = await _run(urls, args, stalled=stalled, shares=shares)
            most_open = (await stats.get(f"{urls['good']}/stats")).json()["most_open"]
            result["dead_connections"] = most_open
            rows.append((name, result))
            print(f"{name}: {result}", file=sys.stderr, flush=True)
    base = rows[0][1]
    print(
        f"\n{INSTANCES} instances on one create_http_client() pool ({args.pool} connections), "
        f"{args.stalled} on a host that never answers; good instances send 1/s, answered in "
        f"{args.latency_ms} ms; sends begun after {args.warm_up:g} s of {args.seconds:g} s\n"
    )
    print(
        "| run | good sends | p50 | p99 | p50 ratio | p99 ratio | good failed "
        "| dead host's connections at once |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r['sends']:.0f} | {r['p50']:.0f} ms | {r['p99']:.0f} ms "
            f"| {r['p50'] / base['p50']:.2f} | {r['p99'] / base['p99']:.2f} "
            f"| {r['failed']:.0f} | {r['dead_connections']:.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warm-up", type=float, default=5.0)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--pool", type=int, default=64, help="the pool's max_connections")
    parser.add_argument("--stalled", type=int, default=3, help="instances on the dead host")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.latency_ms / 1000))
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency-ms", str(args.latency_ms)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ports = json.loads(server.stdout.readline())
        asyncio.run(_measure(args, ports))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
