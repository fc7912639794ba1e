"""A cron job's cold start: how long a fresh process takes to import
greenstatus, to print its version, and to send one text status, side by side
with ``import httpx``, a one-shot ``httpx.post`` script and the official SDK's.

    python benchmarks/cold_start.py [--rounds 15]

Starts a loopback HTTP server (aiohttp.web, in a process of its own) that
answers sendTextStatus as GREEN-API does, then runs every command in a fresh
process, interleaved, for several rounds, and prints the medians of their wall
times and the ratios to ``import httpx`` and to the one-shot httpx script.
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ID_INSTANCE = "1101000001"
TOKEN = "benchmark-token-0123456789abcdef"
ANSWER = b'{"idMessage":"BAE5F4886F3DE9A1"}'

SERVER = f"""
import sys
from aiohttp import web

async def send(request):
    await request.read()
    return web.Response(body={ANSWER!r}, content_type="application/json")

app = web.Application()
app.router.add_post("/waInstance{{id}}/{{method}}/{{token}}", send)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""

HTTPX_SCRIPT = """
import os, httpx
url = os.environ["GREEN_API_URL"]
path = f"/waInstance{os.environ['GREEN_API_ID_INSTANCE']}/sendTextStatus/"
answer = httpx.post(url + path + os.environ["GREEN_API_TOKEN"], json={"message": "hello"})
answer.raise_for_status()
print("sent", answer.json()["idMessage"])
"""

SDK_SCRIPT = """
import os
from whatsapp_api_client_python import API
url = os.environ["GREEN_API_URL"]
api = API.GreenAPI(
    os.environ["GREEN_API_ID_INSTANCE"], os.environ["GREEN_API_TOKEN"], host=url, media=url
)
answer = api.statuses.sendTextStatus("hello")
assert answer.code == 200, answer.code
print("sent", answer.data["idMessage"])
"""


def commands(python: str) -> dict[str, list[str]]:
    """What is timed, each in a fresh process: the name it is reported under."""
    script = Path(python).with_name("greenstatus")
    cli = [str(script)] if script.exists() else [python, "-m", "greenstatus"]
    found = {
        "python -c pass": [python, "-c", "pass"],
        "import httpx": [python, "-c", "import httpx"],
        "import greenstatus": [python, "-c", "import greenstatus"],
        "greenstatus --version": [*cli, "--version"],
        "greenstatus --help": [*cli, "--help"],
        "greenstatus send-text": [*cli, "send-text", "hello"],
        "one-shot httpx.post script": [python, "-c", HTTPX_SCRIPT],
    }
    probe = subprocess.run(
        [python, "-c", "import whatsapp_api_client_python"], capture_output=True, check=False
    )
    if probe.returncode == 0:
        found["official SDK's sendTextStatus script"] = [python, "-c", SDK_SCRIPT]
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the server on port {port} did not start")


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False, timeout=60)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[-2:]} failed: {done.stderr.decode()[-400:]}")
    return took


def measure(rounds: int, python: str = sys.executable) -> dict[str, float]:
    """Median seconds of each command over ``rounds`` interleaved rounds
    (the order alternates, so neither end of a round is favoured)."""
    port = free_port()
    server = subprocess.Popen([python, "-c", SERVER, str(port)])
    try:
        wait_for(port)
        env = {
            # Bytecode is written on the warm-up runs and read after, as an
            # installed package's is: a cron job does not compile greenstatus.
            **{
                name: value
                for name, value in os.environ.items()
                if name != "PYTHONDONTWRITEBYTECODE"
            },
            "GREEN_API_URL": f"http://127.0.0.1:{port}",
            "GREEN_API_ID_INSTANCE": ID_INSTANCE,
            "GREEN_API_TOKEN": TOKEN,
        }
        found = commands(python)
        for command in found.values():  # warm the file cache and the bytecode
            timed(command, env)
        times: dict[str, list[float]] = {name: [] for name in found}
        for round_ in range(rounds):
            order = list(found) if round_ % 2 == 0 else list(reversed(found))
            for name in order:
                times[name].append(timed(found[name], env))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {name: statistics.median(values) for name, values in times.items()}


def report(medians: dict[str, float], rounds: int) -> None:
    httpx_import = medians["import httpx"]
    one_shot = medians["one-shot httpx.post script"]
    print(f"Cold start, medians of {rounds} interleaved runs, each in a fresh process")
    print()
    print("| command | wall time | vs import httpx | vs one-shot httpx script |")
    print("|---|---|---|---|")
    for name, seconds in medians.items():
        print(
            f"| {name} | {seconds * 1000:.0f} ms | {seconds / httpx_import:.2f} "
            f"| {seconds / one_shot:.2f} |"
        )
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    if (
        shutil.which("greenstatus") is None
        and not Path(sys.executable).with_name("greenstatus").exists()
    ):
        print("(greenstatus's command is not installed: timing python -m greenstatus)")
    report(measure(args.rounds), args.rounds)


if __name__ == "__main__":
    main()
