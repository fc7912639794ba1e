"""What greenstatus's rate limiters cost per send, at a high limit.

    python benchmarks/limiters.py [--rounds 5] [--count 3000] [--in-flight 64 [1 ...]]

Prints, and asserts nothing:

1. The in-process limiter alone: microseconds per acquire and release at
   limits of 10 to 3,000 per second, with the last window full of places (a
   virtual clock moves a little each place, so nothing waits). Flat is the
   goal: the work per place must not grow with the places in the window.
2. send_all's throughput against nginx over TLS on loopback (run.py's
   server, in a process of its own) with no limiter, with the in-process
   limiter, and with RedisRateLimiter on a redis-server this script starts
   (on a free loopback port, in a temporary directory, no persistence), at a
   limit no run reaches, so that nothing waits and what shows is each
   limiter's own cost: requests/s, the client's CPU per send, the ratio to no
   limiter, and for Redis the script calls (EVALSHA and EVAL, from INFO
   commandstats) and the redis-server CPU per send. Each contender runs in a
   process of its own, interleaved, for several rounds; the medians show.
   ``--in-flight 1`` is the sequential case, a platform's many instances at
   a few sends a second each: one send of an instance at a time, so every
   release rides with the next send's ask (about one script call per send).

``main(argv)`` runs it all; ``in_process_costs`` and ``throughput`` are the
two parts, for a combined benchmark to call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis.asyncio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as nginx_bench  # noqa: E402 - benchmarks/run.py: its nginx, conf and helpers

ID_INSTANCE = "1101000001"
TOKEN = "benchmark-token-0123456789abcdef"
WARMUP = 300
HIGH_LIMIT = 1_000_000
"""Requests per second: no run comes near it, so no send ever waits."""
CONTENDERS = ["no limiter", "in-process", "redis"]
LIMITS = [10, 100, 1000, 3000]


# -- 1. the in-process limiter alone -------------------------------------------------


class SteppingClock:
    """Virtual time that moves ``step`` seconds each time it is read."""

    def __init__(self, step: float) -> None:
        self.time = 1000.0
        self.step = step

    def now(self) -> float:
        self.time += self.step
        return self.time

    async def sleep(self, seconds: float) -> None:  # never called: nothing waits
        raise AssertionError(f"the limiter waited {seconds} s")


async def _in_process_cost(limit: int, places: int) -> float:
    from greenstatus import InProcessRateLimiter, RateRequest

    # A place every 1 / (0.85 * limit) s, the clock read twice per place
    # (acquire, release): about 0.86 * limit places in any window of 1.01 s,
    # so the window stays nearly full and none waits.
    clock = SteppingClock(1 / (0.85 * limit) / 2)
    limiter = InProcessRateLimiter(clock)
    request = RateRequest(ID_INSTANCE, "sendVoiceStatus", limit, hold=10.0)
    for _ in range(2 * limit):  # the window fills
        await (await limiter.acquire(request)).release()
    started = time.perf_counter()
    for _ in range(places):
        await (await limiter.acquire(request)).release()
    return (time.perf_counter() - started) / places


def in_process_costs(
    limits: Sequence[int] = LIMITS, places: int = 20_000, rounds: int = 5
) -> dict[int, float]:
    """Seconds per acquire and release at each limit: the median of ``rounds``
    interleaved rounds of ``places`` each, on asyncio."""
    runs: dict[int, list[float]] = {limit: [] for limit in limits}
    for round_number in range(rounds):
        order = list(limits) if round_number % 2 == 0 else list(limits)[::-1]
        for limit in order:
            runs[limit].append(asyncio.run(_in_process_cost(limit, places)))
    return {limit: statistics.median(costs) for limit, costs in runs.items()}


# -- 2. send_all with each limiter, in a process of its own --------------------------


async def _contender(
    name: str, url: str, redis_url: str, in_flight: int, count: int
) -> dict[str, float]:
    import redis.asyncio

    from greenstatus import (
        AsyncStatusClient,
        InProcessRateLimiter,
        NoRetry,
        RateLimiter,
        RedisRateLimiter,
        VoiceStatus,
    )

    status = VoiceStatus(url_file="https://example.com/horse.mp3", file_name="horse.mp3")
    limiter: RateLimiter | None = None
    redis_limiter: RedisRateLimiter | None = None
    if name == "in-process":
        limiter = InProcessRateLimiter()
    elif name == "redis":
        limiter = redis_limiter = RedisRateLimiter(redis_url)
    # With no limiter, as benchmarks/contenders.py measures the client itself:
    # rate_limits=None asks no limiter for a place.
    limits = None if limiter is None else {"sendVoiceStatus": HIGH_LIMIT}
    stats = redis.asyncio.Redis.from_url(redis_url)
    try:
        async with AsyncStatusClient(
            ID_INSTANCE,
            TOKEN,
            api_url=url,
            rate_limits=limits,
            rate_limiter=limiter,
            retry=NoRetry(),
            max_concurrency=in_flight,
        ) as client:
            results = await client.send_all([status] * WARMUP)
            assert all(result.ok for result in results), results[0].error
            calls_before, redis_cpu_before = await _redis_counters(stats)
            cpu_before, wall_before = _cpu(), time.perf_counter()
            results = await client.send_all([status] * count)
            wall, cpu = time.perf_counter() - wall_before, _cpu() - cpu_before
            assert all(result.ok for result in results), results[0].error
        if redis_limiter is not None:
            await redis_limiter.aclose()  # what it still had to say, said
        calls_after, redis_cpu_after = await _redis_counters(stats)
    finally:
        await stats.aclose()
    return {
        "wall": wall,
        "cpu": cpu,
        "script_calls": float(calls_after - calls_before),
        "redis_cpu": redis_cpu_after - redis_cpu_before,
    }


async def _redis_counters(stats: redis.asyncio.Redis) -> tuple[int, float]:
    """Script calls so far (EVALSHA and EVAL), and redis-server's CPU seconds."""
    commands = await stats.info("commandstats")
    cpu = await stats.info("cpu")
    calls = sum(
        int(commands.get(f"cmdstat_{name}", {}).get("calls", 0))
        for name in ("evalsha", "eval", "evalsha_ro", "eval_ro")
    )
    return calls, float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


def _run_contender(
    name: str, url: str, redis_url: str, in_flight: int, count: int, env: dict[str, str]
) -> dict[str, float]:
    command = [sys.executable, __file__, "--contender", name, url, redis_url]
    done = subprocess.run(
        [*command, str(in_flight), str(count)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def _redis_server(root: str) -> Iterator[str]:
    """A redis-server of this benchmark's own, on a free loopback port."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:  # as run.py installs nginx: from the OS packages
        print("installing redis-server from the OS packages", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True, env=env)
        binary = shutil.which("redis-server") or "redis-server"
    port = nginx_bench.free_port()
    process = subprocess.Popen(
        [
            *(binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", root),
            *("--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        probe.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def _nginx(root: str) -> Iterator[tuple[str, dict[str, str]]]:
    """run.py's nginx over TLS, with a throwaway CA: its URL, and the
    environment that trusts it."""
    import trustme

    nginx = nginx_bench.ensure_nginx()
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(f"{root}/server.pem")
    server.private_key_pem.write_to_path(f"{root}/server.key")
    ca.cert_pem.write_to_path(f"{root}/ca.pem")
    port, slow_port = nginx_bench.free_port(), nginx_bench.free_port()
    Path(f"{root}/nginx.conf").write_text(
        nginx_bench.NGINX_CONF.format(
            root=root,
            port=port,
            slow_port=slow_port,
            answer=nginx_bench.ANSWER,
            echo_module=nginx_bench.ECHO_MODULE,
            delays=nginx_bench.delay_map(100, 300),
        )
    )
    process = subprocess.Popen([nginx, "-c", f"{root}/nginx.conf", "-p", root])
    try:
        nginx_bench.wait_for(port)
        env = {**os.environ, "SSL_CERT_FILE": f"{root}/ca.pem", "PYTHONHASHSEED": "0"}
        yield f"https://127.0.0.1:{port}", env
    finally:
        process.terminate()
        process.wait(timeout=10)


def throughput(
    rounds: int = 5, count: int = 3000, in_flights: Sequence[int] = (64,), *, log: bool = True
) -> dict[tuple[str, int], dict[str, float]]:
    """Each contender's medians at each number in flight, over ``rounds``
    interleaved rounds: wall and CPU seconds for ``count`` sends, script calls
    and redis-server CPU seconds."""
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="greenstatus-limiters-") as root,
        _nginx(root) as (url, env),
        _redis_server(root) as redis_url,
    ):
        for round_number in range(1, rounds + 1):
            # Later runs in a round measure slower, whoever they are.
            step = 1 if round_number % 2 else -1
            for in_flight in list(in_flights)[::step]:
                for name in CONTENDERS[::step]:
                    result = _run_contender(name, url, redis_url, in_flight, count, env)
                    runs.setdefault((name, in_flight), []).append(result)
                    if log:
                        print(
                            f"round {round_number} {name:<11} {in_flight:>3} in flight "
                            f"{count / result['wall']:7.0f} req/s",
                            file=sys.stderr,
                        )
    return {
        key: {field: statistics.median(run[field] for run in results) for field in results[0]}
        for key, results in runs.items()
    }


def report(
    costs: dict[int, float],
    medians: dict[tuple[str, int], dict[str, float]],
    args: argparse.Namespace,
) -> None:
    print("\nInProcessRateLimiter alone: one acquire and release, the last window full\n")
    print("| limit per second | places in the window | µs per acquire and release |")
    print("|---|---|---|")
    for limit, cost in costs.items():
        print(f"| {limit:,} | ~{int(0.86 * limit):,} | {1e6 * cost:.1f} |")
    print(
        f"\nsend_all of {args.count} sendVoiceStatus, nginx over TLS on loopback, limit "
        f"{HIGH_LIMIT:,}/s (nothing waits), medians of {args.rounds} interleaved rounds\n"
    )
    print(
        "| limiter | in flight | requests/s | client CPU per send | vs no limiter "
        "| script calls per send | redis-server CPU per send |"
    )
    print("|---|---|---|---|---|---|---|")
    for in_flight in args.in_flight:
        base = args.count / medians[("no limiter", in_flight)]["wall"]
        for name in CONTENDERS:
            result = medians[(name, in_flight)]
            rate = args.count / result["wall"]
            cpu_ms = 1000 * result["cpu"] / args.count
            calls = redis_cpu = "-"
            if name == "redis":
                calls = f"{result['script_calls'] / args.count:.2f}"
                redis_cpu = f"{1e6 * result['redis_cpu'] / args.count:.0f} µs"
            print(
                f"| {name} | {in_flight} | {rate:.0f} | {cpu_ms:.3f} ms | {rate / base:.2f} "
                f"| {calls} | {redis_cpu} |"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--count", type=int, default=3000, help="sends per run")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[64])
    parser.add_argument("--places", type=int, default=20_000, help="in-process places per run")
    parser.add_argument("--contender", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:  # one run, in a process of its own
        name, url, redis_url, in_flight, count = args.contender
        result = asyncio.run(_contender(name, url, redis_url, int(in_flight), int(count)))
        print(json.dumps(result))
        return
    costs = in_process_costs(LIMITS, args.places, args.rounds)
    medians = throughput(args.rounds, args.count, args.in_flight)
    report(costs, medians, args)


if __name__ == "__main__":
    main()
