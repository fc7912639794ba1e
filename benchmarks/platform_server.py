"""The platform scenario's server: one FakeGreenAPI serving many instances,
enforcing GREEN-API's per-instance rate limits (429 past them), on loopback.

    python benchmarks/platform_server.py INSTANCES

Prints its base URL, serves until its standard input closes, then prints one
JSON line of what it saw: sends accepted, 429s answered, and the most sends of
one instance it accepted within any one second.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict

import anyio
import anyio.to_thread

from greenstatus.testing import DOCUMENTED_RATE_LIMITS, FakeGreenAPI

TOKEN = "benchmark-token-0123456789abcdef"


def platform_instance(index: int) -> str:
    return str(1101000000 + index)


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    most = start = 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


async def main(instances: int) -> None:
    fake = FakeGreenAPI(platform_instance(0), TOKEN, rate_limits=DOCUMENTED_RATE_LIMITS)
    for index in range(1, instances):
        fake.add_instance(platform_instance(index), TOKEN)
    async with fake.serve() as url:
        print(url, flush=True)
        await anyio.to_thread.run_sync(sys.stdin.read)
    accepted: defaultdict[str, list[float]] = defaultdict(list)
    rejected = 0
    by_id = {status.id_message for status in fake.statuses}
    for request in fake.requests:
        if request.api_method != "sendVoiceStatus" or request.id_instance is None:
            continue
        accepted[request.id_instance].append(request.received_at)
    rejected = len(fake.requests) - len(by_id)
    print(
        json.dumps(
            {
                "accepted": len(by_id),
                "rejected": rejected,
                # Over every request that arrived: accepted and refused alike.
                "most_arrivals_in_one_second": max(
                    (most_in_one_second(times) for times in accepted.values()), default=0
                ),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]))
