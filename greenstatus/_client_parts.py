"""The attributes every part of ``AsyncStatusClient`` reads: declared once,
set by its constructor (``_client.py``)."""

from __future__ import annotations

from ._instance import Instance
from ._options import ClientOptions
from ._pipeline import Pipeline
from ._pool import Pool, Session

__all__ = ["ClientParts"]


class ClientParts:
    """What a client is made of (each part of its methods reads these)."""

    _instance: Instance
    _options: ClientOptions
    _pool: Pool
    _session: Session
    _pipeline: Pipeline
