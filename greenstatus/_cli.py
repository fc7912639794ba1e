"""The ``greenstatus`` command line: send, delete and read statuses from a shell.

Exit codes, one per kind of failure and the same for every subcommand: 0
success, 1 GREEN-API or the network failed (or the instance cannot send), 2 bad
usage or invalid input, 3 a link check refused a link.
The API token comes from ``GREEN_API_TOKEN`` or ``--token-file``, never a flag,
and is never printed.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

import anyio

from ._cli_output import EXIT_BROKEN_PIPE, Output, UsageError, exit_code, hint_for
from ._cli_parser import build_parser
from ._exceptions import GreenStatusError
from ._tls_ahead import TlsContextAhead

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.network:
        # The TLS context is built while the command loads (see _tls_ahead.py).
        args.tls_context = TlsContextAhead()
    out = Output(as_json=args.json, stdout=sys.stdout, stderr=sys.stderr)
    # The command line is an application: it shows greenstatus's warnings (a
    # retry, a plain-http URL) on stderr, as the library leaves to applications.
    with _warnings_on(sys.stderr):
        return _run(args, out)


@contextlib.contextmanager
def _warnings_on(stream: TextIO) -> Iterator[None]:
    logger = logging.getLogger("greenstatus")
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _run(args: argparse.Namespace, out: Output) -> int:
    try:
        code: int = anyio.run(args.run, args, out)
        out.stdout.flush()
    except (UsageError, GreenStatusError) as error:
        out.error(error, hint=hint_for(error, args))
        return exit_code(error)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (greenstatus outgoing | head): end quietly, with
        # the status a shell gives a process ended by SIGPIPE. Python would try
        # to flush stdout again at exit, so it points at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code
