"""The memory of a 100 MB upload: greenstatus from a path against its peers.

    python benchmarks/upload_memory.py [--size-mib N]

Each contender uploads the same file, in a process of its own, to
``tests/upload_sink.py`` (an uploadFile stand-in on loopback, in another
process, that counts the bytes and keeps none of them). A contender prints the
growth of its peak resident memory (``ru_maxrss``) over the upload, and this
script prints them side by side with their ratio to greenstatus's default.

- greenstatus (asyncio, trio): ``upload_file(path)``, streamed from disk;
- greenstatus-bytes: ``upload_file(data)`` after reading the file whole, what a
  caller holding the bytes pays;
- official-sdk: ``greenAPI.sending.uploadFile(path)`` of whatsapp-api-client-python
  (in the bench extra), which reads the file whole.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINK = ROOT / "tests" / "upload_sink.py"
CONTENDERS = ("greenstatus", "greenstatus-trio", "greenstatus-bytes", "official-sdk")
ID_INSTANCE = "1101000001"
TOKEN = "benchmark-token-0123456789abcdef"
MIB = 1024 * 1024


def peak_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def contender(name: str, url: str, path: str) -> None:
    """Run in its own process: upload once, print the peak memory growth."""
    if name == "official-sdk":
        from whatsapp_api_client_python import API

        green = API.GreenApi(ID_INSTANCE, TOKEN, host=url, media=url)
        before = peak_mib()
        started = time.perf_counter()
        answer = green.sending.uploadFile(path)
        seconds = time.perf_counter() - started
        assert answer.code == 200, answer.error
        url_file = answer.data["urlFile"]
    else:
        import anyio

        from greenstatus import AsyncStatusClient

        async def upload() -> tuple[str, float, float]:
            async with AsyncStatusClient(ID_INSTANCE, TOKEN, api_url=url, media_url=url) as client:
                # The pool, the transport and the imports are in place first.
                await client.upload_file(b"warm-up", file_name="warm.mp3")
                before = peak_mib()
                started = time.perf_counter()
                if name == "greenstatus-bytes":
                    data = await anyio.Path(path).read_bytes()
                    uploaded = await client.upload_file(data, file_name="a.mp4")
                else:
                    uploaded = await client.upload_file(path)
                return uploaded.url_file, before, time.perf_counter() - started

        backend = "trio" if name == "greenstatus-trio" else "asyncio"
        url_file, before, seconds = anyio.run(upload, backend=backend)
    size = int(url_file.split("/files/")[1].split("/")[0])
    print(json.dumps({"growth_mib": peak_mib() - before, "seconds": seconds, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=100)
    args = parser.parse_args()
    size = args.size_mib * MIB
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "film.mp4"
        with path.open("wb") as handle:  # sparse: the page cache serves zeros
            handle.truncate(size)
        sink = subprocess.Popen(
            [sys.executable, str(SINK)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert sink.stdout is not None
            url = f"http://127.0.0.1:{int(sink.stdout.readline())}"
            results = {}
            for name in CONTENDERS:
                done = subprocess.run(
                    [sys.executable, __file__, "--contender", name, url, str(path)],
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=600,
                )
                if done.returncode != 0:
                    print(f"{name}: failed\n{done.stderr}", file=sys.stderr)
                    continue
                results[name] = json.loads(done.stdout.splitlines()[-1])
                assert results[name]["bytes"] == size, (name, results[name])
        finally:
            assert sink.stdin is not None
            sink.stdin.close()
            sink.wait(timeout=30)
    base = results["greenstatus"]["growth_mib"]
    print(f"upload of {args.size_mib} MiB to uploadFile on loopback; peak memory growth:")
    print(f"{'contender':<20}{'MiB':>8}{'seconds':>10}{'vs greenstatus':>17}")
    for name, result in results.items():
        ratio = result["growth_mib"] / base if base > 0 else float("inf")
        print(f"{name:<20}{result['growth_mib']:>8.1f}{result['seconds']:>10.2f}{ratio:>16.1f}x")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--contender":
        contender(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
