"""Speed at the edges, in one run: a cron job's cold start, greenstatus on a
user's own plain ``httpx.AsyncClient`` against the official SDK, and the rate
limiters' cost at a high limit.

    python benchmarks/edges.py [--quick]

Each part is a benchmark of its own, runnable alone with its own options:
``cold_start.py``, ``own_client.py`` and ``limiters.py``. Each prints its
tables with ratios against its peers; none asserts anything. ``--quick``
runs fewer rounds, for a first look.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cold_start  # the benchmarks' own folder, put on the path above
import limiters
import own_client


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args(argv)
    rounds = ["--rounds", "3"] if args.quick else []
    print("## Cold start\n", flush=True)
    cold_start.main(["--rounds", "7"] if args.quick else [])
    print("## greenstatus on a plain httpx.AsyncClient vs the official SDK\n", flush=True)
    own_client.main(rounds)
    print("## Rate limiters\n", flush=True)
    limiters.main(rounds)


if __name__ == "__main__":
    main()
