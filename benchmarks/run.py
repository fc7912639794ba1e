"""Benchmark greenstatus against its peers on a real nginx over TLS on loopback.

    python benchmarks/run.py [--rounds 3] [--count 3000] [--in-flight 64 256]

Starts nginx (installed from the OS packages when missing) on 127.0.0.1 with a
certificate from a throwaway CA (trustme), answering sendVoiceStatus as
GREEN-API does. Then runs every contender in a process of its own, interleaved,
for several rounds, and prints the medians of throughput and CPU per request,
the ratios to the hand-written httpx loop, to raw aiohttp and to the official
SDK, and the event loop's lag while greenstatus sends. Each round also runs the
platform scenario: one create_http_client() shared by many AsyncStatusClients,
rate limiters on, against a fake GREEN-API that answers 429 past each
instance's limit. It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme

HERE = Path(__file__).resolve().parent
ORDER = ["greenstatus", "httpx-loop", "aiohttp", "official-sdk"]
ANSWER = '{"idMessage":"3EB0C767D097B7C7C030"}'
ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so"

NGINX_CONF = """
load_module {echo_module};
daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {root}/server.pem;
        ssl_certificate_key {root}/server.key;
        ssl_session_cache shared:SSL:10m;
        location ~ ^/waInstance[0-9]+/sendVoiceStatus/[^/]+$ {{
            default_type application/json;
            return 200 '{answer}';
        }}
        location / {{ return 404; }}
    }}
    # The same answer after a delay, as from GREEN-API across a network: spread
    # evenly over a range by the request's random id, so that answers do not
    # all come back in the same instant (echo_sleep is the echo module's).
    map $request_id $delay {{
{delays}
    }}
    server {{
        listen 127.0.0.1:{slow_port} ssl;
        ssl_certificate {root}/server.pem;
        ssl_certificate_key {root}/server.key;
        location ~ ^/waInstance[0-9]+/sendVoiceStatus/[^/]+$ {{
            default_type application/json;
            echo_sleep $delay;
            echo '{answer}';
        }}
    }}
}}
"""


def ensure_nginx() -> str:
    """nginx and its echo module (for the delayed answers), from the OS packages."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if found and Path(ECHO_MODULE).exists():
        return found
    print("installing nginx and its echo module from the OS packages", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "nginx-light", "libnginx-mod-http-echo"],
        check=True,
        env=env,
    )
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin") or "nginx"


def delay_map(low_ms: float, high_ms: float) -> str:
    """nginx map lines: the first hex digit of $request_id picks one of 16 delays."""
    step = (high_ms - low_ms) / 15
    return "\n".join(
        f"        ~^{digit:x} {(low_ms + digit * step) / 1000:.3f};" for digit in range(16)
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not start listening")


def run_contender(
    name: str, url: str, in_flight: int, count: int, env: dict[str, str]
) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(HERE / "contenders.py"), name, url, str(in_flight), str(count)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run_platform(instances: int, seconds: int, env: dict[str, str]) -> dict[str, float]:
    """The platform scenario: the fake GREEN-API in a process of its own, the
    clients in another."""
    server = subprocess.Popen(
        [sys.executable, str(HERE / "platform_server.py"), str(instances)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdin is not None
        url = server.stdout.readline().strip()
        result = run_contender("platform", url, instances, seconds, env)
        server.stdin.close()
        seen = json.loads(server.stdout.readline())
        server.wait(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
    result.update({f"server_{key}": float(value) for key, value in seen.items()})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--only", nargs="+", choices=ORDER, default=ORDER)
    parser.add_argument("--instances", type=int, default=100, help="platform scenario")
    parser.add_argument("--seconds", type=int, default=12, help="platform scenario")
    parser.add_argument(
        "--latency-ms",
        type=float,
        nargs=2,
        default=[100.0, 300.0],
        metavar=("MIN", "MAX"),
        help="the delayed server's answer times, for the lag measured with latency",
    )
    args = parser.parse_args()

    nginx = ensure_nginx()
    with tempfile.TemporaryDirectory(prefix="greenstatus-bench-") as root:
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        server.cert_chain_pems[0].write_to_path(f"{root}/server.pem")
        server.private_key_pem.write_to_path(f"{root}/server.key")
        ca.cert_pem.write_to_path(f"{root}/ca.pem")
        port, slow_port = free_port(), free_port()
        Path(f"{root}/nginx.conf").write_text(
            NGINX_CONF.format(
                root=root,
                port=port,
                slow_port=slow_port,
                answer=ANSWER,
                echo_module=ECHO_MODULE,
                delays=delay_map(*args.latency_ms),
            )
        )
        proc = subprocess.Popen([nginx, "-c", f"{root}/nginx.conf", "-p", root])
        try:
            wait_for(port)
            url = f"https://127.0.0.1:{port}"
            env = {**os.environ, "SSL_CERT_FILE": f"{root}/ca.pem", "PYTHONHASHSEED": "0"}
            results: dict[tuple[str, int], list[dict[str, float]]] = {}
            for round_number in range(1, args.rounds + 1):
                # Every contender each round, in reversed order every other round:
                # later runs in a round measure slower, whoever they are.
                step = 1 if round_number % 2 else -1
                for in_flight in args.in_flight[::step]:
                    for name in args.only[::step]:
                        result = run_contender(name, url, in_flight, args.count, env)
                        results.setdefault((name, in_flight), []).append(result)
                        rate = args.count / result["wall"]
                        print(
                            f"round {round_number} {name:<21} {in_flight:>4} in flight "
                            f"{rate:8.0f} req/s",
                            file=sys.stderr,
                        )
                if "greenstatus" in args.only:
                    slow = run_contender(
                        "greenstatus",
                        f"https://127.0.0.1:{slow_port}",
                        args.in_flight[0],
                        args.count,
                        env,
                    )
                    results.setdefault(("greenstatus-latency", args.in_flight[0]), []).append(slow)
                platform = run_platform(args.instances, args.seconds, env)
                results.setdefault(("platform", args.instances), []).append(platform)
                print(
                    f"round {round_number} platform: {platform['sent'] / platform['wall']:.0f} "
                    f"req/s, 429s {platform['rejected_429']:.0f}",
                    file=sys.stderr,
                )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    report(results, args.count, args.in_flight, args.only, args.latency_ms)
    report_platform(results[("platform", args.instances)], args.instances)


def report(
    results: dict[tuple[str, int], list[dict[str, float]]],
    count: int,
    in_flights: list[int],
    names: list[str],
    latency_ms: list[float],
) -> None:
    def median(name: str, in_flight: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(name, in_flight)])

    rounds = len(results[(names[0], in_flights[0])])
    print(
        f"\n{count} sendVoiceStatus POSTs per run, nginx over TLS on loopback, "
        f"medians of {rounds} interleaved rounds\n"
    )
    print(
        "| client | in flight | requests/s | CPU per request | vs httpx loop "
        "| vs raw aiohttp | vs official SDK |"
    )
    print("|---|---|---|---|---|---|---|")
    for in_flight in in_flights:
        rates = {name: count / median(name, in_flight, "wall") for name in names}

        def ratio(name: str, base: str, rates: dict[str, float] = rates) -> str:
            return f"{rates[name] / rates[base]:.2f}" if base in rates else "-"

        for name in names:
            cpu_ms = 1000 * median(name, in_flight, "cpu") / count
            print(
                f"| {name} | {in_flight} | {rates[name]:.0f} | {cpu_ms:.2f} ms | "
                f"{ratio(name, 'httpx-loop')} | {ratio(name, 'aiohttp')} | "
                f"{ratio(name, 'official-sdk')} |"
            )
    if "greenstatus" not in names:
        return

    low = in_flights[0]
    latency = f"{latency_ms[0]:.0f}-{latency_ms[1]:.0f} ms"
    slow_rate = count / median("greenstatus-latency", low, "wall")
    slow_cpu = 1000 * median("greenstatus-latency", low, "cpu") / count
    print(
        f"\ngreenstatus against a server answering in {latency}, {low} in flight: "
        f"{slow_rate:.0f} requests/s, {slow_cpu:.2f} ms CPU per request"
    )
    if len(in_flights) > 1:
        high = in_flights[-1]
        keep = median("greenstatus", low, "wall") / median("greenstatus", high, "wall")
        print(
            f"greenstatus at {high} in flight keeps {100 * keep:.0f} % of its "
            f"{low}-in-flight throughput"
        )

    print(
        "\n| event loop during the run | in flight | lag p50 | lag p99 | callbacks p99 |"
        " longest callback |"
    )
    print("|---|---|---|---|---|---|")
    rows = [("greenstatus", "greenstatus, instant server (saturated)", n) for n in in_flights]
    if "aiohttp" in names:
        rows += [("aiohttp", "raw aiohttp, instant server (saturated)", n) for n in in_flights]
    rows.append(("greenstatus-latency", f"greenstatus, server answering in {latency}", low))
    for name, label, in_flight in rows:
        print(
            f"| {label} | {in_flight} | {median(name, in_flight, 'lag_p50_ms'):.2f} ms | "
            f"{median(name, in_flight, 'lag_p99_ms'):.2f} ms | "
            f"{median(name, in_flight, 'callback_p99_ms'):.3f} ms | "
            f"{median(name, in_flight, 'callback_max_ms'):.2f} ms |"
        )


def report_platform(runs: list[dict[str, float]], instances: int) -> None:
    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    wall = median("wall")
    print(
        f"\nPlatform: one create_http_client() shared by {instances} AsyncStatusClients "
        f"(rate limiters on) for {wall:.0f} s, medians of {len(runs)} rounds\n"
    )
    print(
        "| requests/s | CPU per request | per-instance rate (min-max) | lag p99 "
        "| 429s (client) | 429s (server) | most sends of one instance in 1 s |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {median('sent') / wall:.0f} | {1000 * median('cpu') / median('sent'):.2f} ms "
        f"| {median('rate_min'):.2f}-{median('rate_max'):.2f} /s "
        f"| {median('lag_p99_ms'):.2f} ms | {max(run['rejected_429'] for run in runs):.0f} "
        f"| {max(run['server_rejected'] for run in runs):.0f} "
        f"| {max(run['server_most_arrivals_in_one_second'] for run in runs):.0f} |"
    )


if __name__ == "__main__":
    main()
