"""Reading GREEN-API's answer to one attempt, within the bound of its method."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import cast

import httpx

__all__ = ["read_answer"]


async def read_answer(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the answer (decoded, so a compressed one counts
    as it expands), and whether that was all of it."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit and response.is_success:
        return b"", False  # not worth a byte of reading
    chunks: list[bytes] = []
    size = 0
    # httpx's aiter_bytes is an async generator (typed as an iterator).
    chunks_of = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
    async with contextlib.aclosing(chunks_of) as stream:
        async for chunk in stream:
            size += len(chunk)
            if size > limit:
                chunks.append(chunk[: limit - (size - len(chunk))])
                return b"".join(chunks), False
            chunks.append(chunk)
    return b"".join(chunks), True
