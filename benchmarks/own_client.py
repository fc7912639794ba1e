"""greenstatus on a user's own plain httpx.AsyncClient() against the official SDK.

    python benchmarks/own_client.py [--rounds 3] [--count 1000]

A plain ``httpx.AsyncClient()`` sends through httpx's own transport, whose
connection pool (httpcore's) serves fewer requests per second the more are in
flight; greenstatus caps its requests in flight through such a client
(``max_in_flight="auto"``). This starts nginx over TLS on loopback as
``run.py`` does and prints, from medians of interleaved rounds with each
contender in a process of its own:

- greenstatus's ``send_all`` on a plain client, and the official SDK under as
  many workers, at 1, 16, 64 and 256 in flight: requests per second, CPU per
  request, the ratio, and where greenstatus's cap ended;
- the scan: greenstatus on a plain client with no cap (``max_in_flight=None``)
  at 1 to 256 in flight, which shows where httpcore's pool peaks;
- greenstatus's own client on trio, which sends through httpx's own
  transport too, with its cap and without;
- greenstatus on a plain client, capped and not, and the official SDK
  against a server answering in 100 to 300 ms, as GREEN-API does across a
  network, where more in flight is what sends more.

It measures; it asserts nothing. ``main(argv)`` runs it from another script.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import trustme

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (run.py beside this file: nginx, its config, the contender runner)

PLAIN = "greenstatus-plain-httpx"
UNCAPPED = "greenstatus-plain-httpx-uncapped"
OFFICIAL = "official-sdk"
TRIO = "greenstatus-trio"
TRIO_UNCAPPED = "greenstatus-trio-uncapped"

Results = dict[tuple[str, str, int], list[dict[str, float]]]


@contextlib.contextmanager
def nginx(latency_ms: tuple[float, float]) -> Iterator[tuple[str, str, dict[str, str]]]:
    """nginx on loopback over TLS, as run.py starts it: the URL answering at
    once, the URL answering after ``latency_ms``, and the contenders'
    environment (trusting the throwaway CA)."""
    binary = run.ensure_nginx()
    with tempfile.TemporaryDirectory(prefix="greenstatus-own-client-") as root:
        ca = trustme.CA()
        server = ca.issue_cert("127.0.0.1", "localhost")
        server.cert_chain_pems[0].write_to_path(f"{root}/server.pem")
        server.private_key_pem.write_to_path(f"{root}/server.key")
        ca.cert_pem.write_to_path(f"{root}/ca.pem")
        port, slow_port = run.free_port(), run.free_port()
        Path(f"{root}/nginx.conf").write_text(
            run.NGINX_CONF.format(
                root=root,
                port=port,
                slow_port=slow_port,
                answer=run.ANSWER,
                echo_module=run.ECHO_MODULE,
                delays=run.delay_map(*latency_ms),
            )
        )
        process = subprocess.Popen([binary, "-c", f"{root}/nginx.conf", "-p", root])
        try:
            run.wait_for(port)
            env = {**os.environ, "SSL_CERT_FILE": f"{root}/ca.pem", "PYTHONHASHSEED": "0"}
            yield f"https://127.0.0.1:{port}", f"https://127.0.0.1:{slow_port}", env
        finally:
            process.terminate()
            process.wait(timeout=10)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=1000, help="requests per run")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--scan", type=int, nargs="*", default=[1, 2, 4, 8, 16, 64, 256])
    parser.add_argument(
        "--latency-in-flight",
        type=int,
        nargs="*",
        default=[64],
        help="in flight against the server answering in --latency-ms (none: skip)",
    )
    parser.add_argument("--latency-ms", type=float, nargs=2, default=[100.0, 300.0])
    parser.add_argument(
        "--trio-in-flight",
        type=int,
        nargs="*",
        default=[64],
        help="greenstatus's own client on trio (httpx's own transport), capped and not",
    )
    args = parser.parse_args(argv)

    # (scenario, contender, in flight) for every run of a round.
    plan = [("instant", name, n) for n in args.in_flight for name in (PLAIN, OFFICIAL)]
    plan += [("instant", UNCAPPED, n) for n in args.scan]
    plan += [
        ("latency", name, n) for n in args.latency_in_flight for name in (PLAIN, OFFICIAL, UNCAPPED)
    ]
    plan += [("instant", name, n) for n in args.trio_in_flight for name in (TRIO, TRIO_UNCAPPED)]
    results: Results = {}
    with nginx((args.latency_ms[0], args.latency_ms[1])) as (url, slow_url, env):
        for round_number in range(1, args.rounds + 1):
            # Reversed every other round: later runs in a round measure slower,
            # whoever they are.
            for scenario, name, in_flight in plan[:: 1 if round_number % 2 else -1]:
                target = url if scenario == "instant" else slow_url
                result = run.run_contender(name, target, in_flight, args.count, env)
                results.setdefault((scenario, name, in_flight), []).append(result)
                print(
                    f"round {round_number} {scenario:<8} {name:<33} {in_flight:>4} in flight "
                    f"{args.count / result['wall']:8.0f} req/s",
                    file=sys.stderr,
                )
    report(results, args)


def report(results: Results, args: argparse.Namespace) -> None:
    count = int(args.count)

    def median(scenario: str, name: str, in_flight: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(scenario, name, in_flight)])

    def rate(scenario: str, name: str, in_flight: int) -> float:
        return count / median(scenario, name, in_flight, "wall")

    def cpu_ms(scenario: str, name: str, in_flight: int) -> float:
        return 1000 * median(scenario, name, in_flight, "cpu") / count

    print(
        f"\ngreenstatus send_all on a plain httpx.AsyncClient() against the official SDK: "
        f"{count} sendVoiceStatus POSTs per run, nginx over TLS on loopback, "
        f"medians of {args.rounds} interleaved rounds\n"
    )
    print(
        "| in flight | greenstatus, plain httpx | CPU per request | official SDK "
        "| CPU per request | greenstatus / official SDK | greenstatus's cap at the end |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in args.in_flight:
        ours, theirs = rate("instant", PLAIN, n), rate("instant", OFFICIAL, n)
        cap = median("instant", PLAIN, n, "cap")
        print(
            f"| {n} | {ours:.0f} req/s | {cpu_ms('instant', PLAIN, n):.2f} ms "
            f"| {theirs:.0f} req/s | {cpu_ms('instant', OFFICIAL, n):.2f} ms "
            f"| {ours / theirs:.2f} | {cap:.0f} |"
        )

    if args.scan:
        print(
            "\nThe scan: greenstatus send_all on a plain httpx.AsyncClient() with no cap "
            "(max_in_flight=None), httpcore's pool at each number in flight\n"
        )
        print("| in flight | requests/s | CPU per request | vs the peak |")
        print("|---|---|---|---|")
        rates = {n: rate("instant", UNCAPPED, n) for n in args.scan}
        peak = max(rates, key=rates.__getitem__)
        for n in args.scan:
            mark = " (peak)" if n == peak else ""
            print(
                f"| {n}{mark} | {rates[n]:.0f} | {cpu_ms('instant', UNCAPPED, n):.2f} ms "
                f"| {rates[n] / rates[peak]:.2f} |"
            )

    if args.trio_in_flight:
        print(
            "\ngreenstatus's own client on trio, which sends through httpx's own "
            "transport (httpcore's pool)\n"
        )
        print("| in flight | capped (auto) | CPU per request | no cap | CPU per request | ratio |")
        print("|---|---|---|---|---|---|")
        for n in args.trio_in_flight:
            capped, uncapped = rate("instant", TRIO, n), rate("instant", TRIO_UNCAPPED, n)
            print(
                f"| {n} | {capped:.0f} req/s | {cpu_ms('instant', TRIO, n):.2f} ms "
                f"| {uncapped:.0f} req/s | {cpu_ms('instant', TRIO_UNCAPPED, n):.2f} ms "
                f"| {capped / uncapped:.2f} |"
            )

    if args.latency_in_flight:
        low, high = args.latency_ms
        print(f"\nAgainst a server answering in {low:.0f}-{high:.0f} ms\n")
        print("| contender | in flight | requests/s | CPU per request | vs official SDK |")
        print("|---|---|---|---|---|")
        labels = {
            PLAIN: "greenstatus, plain httpx (capped: auto)",
            UNCAPPED: "greenstatus, plain httpx, no cap",
            OFFICIAL: "official SDK",
        }
        for n in args.latency_in_flight:
            theirs = rate("latency", OFFICIAL, n)
            for name in (PLAIN, UNCAPPED, OFFICIAL):
                ours = rate("latency", name, n)
                print(
                    f"| {labels[name]} | {n} | {ours:.0f} | "
                    f"{cpu_ms('latency', name, n):.2f} ms | {ours / theirs:.2f} |"
                )


if __name__ == "__main__":
    main()
