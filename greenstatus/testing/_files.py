"""The fake's file host: files served at ``/files/...`` for link checks, and
the files uploadFile keeps."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from urllib.parse import quote

import attrs

from .._file_names import CONTENT_TYPES
from ._replies import FakeReply, RecordedRequest

__all__ = ["FILES_PREFIX", "FakeFile", "FileHost"]

FILES_PREFIX = "/files/"


@attrs.frozen(kw_only=True)
class FakeFile:
    """A file the fake's file host serves at ``/files/...``."""

    content: bytes
    content_type: str | None
    """``Content-Type`` served; ``None`` serves none."""
    disposition: str | None = None
    """``Content-Disposition`` served, e.g. ``"attachment; filename=a.mp4"``."""
    status_code: int = 200
    head: bool = True
    """Answer HEAD; ``False`` answers it 405, as some hosts do."""
    ranges: bool = True
    """Answer ``Range: bytes=0-0`` with 206 and ``Content-Range``."""
    size: int | None = None
    """The size to declare instead of ``len(content)``: a huge file, unallocated."""
    redirect: str | None = None
    """Answer 302 to this URL instead."""
    headers: Mapping[str, str] = attrs.field(factory=dict)


class FileHost:
    """Serves ``files`` by path and records the requests it gets. Not
    thread-safe: ``FakeGreenAPI`` calls it under its lock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.files: dict[str, FakeFile] = {}
        self.requests: list[RecordedRequest] = []
        self.base_url = "http://files.fake-green-api.invalid"
        self._clock = clock

    def host(self, name: str, file: FakeFile) -> str:
        """Serve ``file`` as ``name`` at a path of its own; returns its URL."""
        path = f"{FILES_PREFIX}{uuid.uuid4().hex}/{name}"
        self.files[path] = file
        return self.base_url + path

    def keep_upload(self, id_instance: str, name: str, content: bytes) -> str:
        """Serve an uploaded file, typed by its extension as GREEN-API's host
        types it; returns its link."""
        path = f"{FILES_PREFIX}{id_instance}/{uuid.uuid4().hex}/{name}"
        extension = name.rpartition(".")[2].lower()
        self.files[path] = FakeFile(
            content=content, content_type=CONTENT_TYPES.get(extension, "application/octet-stream")
        )
        return self.base_url + quote(path)  # a link holds its name percent-encoded

    def serve(
        self, http_method: str, path: str, query: Mapping[str, str], headers: Mapping[str, str]
    ) -> FakeReply:
        """Answer one request to the host. ``headers`` keys are lower case."""
        self.requests.append(
            RecordedRequest(
                http_method=http_method,
                path=path,
                api_method=None,
                id_instance=None,
                token_ok=False,
                query=dict(query),
                headers=dict(headers),
                body=b"",
                received_at=self._clock(),
            )
        )
        file = self.files.get(path)
        if file is None:
            return FakeReply(404, {"Content-Type": "text/plain"}, b"not found")
        if file.redirect is not None:
            return FakeReply(302, {"Location": file.redirect})
        if http_method not in ("GET", "HEAD") or (http_method == "HEAD" and not file.head):
            return FakeReply(405, {"Allow": "GET" if not file.head else "GET, HEAD"})
        served = dict(file.headers)
        if file.content_type is not None:
            served["Content-Type"] = file.content_type
        if file.disposition is not None:
            served["Content-Disposition"] = file.disposition
        if file.status_code != 200:
            return FakeReply(file.status_code, served, b"no file for you")
        size = len(file.content) if file.size is None else file.size
        if http_method == "HEAD":
            # aiohttp keeps a declared Content-Length on a HEAD answer.
            return FakeReply(200, {**served, "Content-Length": str(size)}, b"")
        if file.ranges and headers.get("range") == "bytes=0-0" and size:
            served["Content-Range"] = f"bytes 0-0/{size}"
            return FakeReply(206, served, file.content[:1])
        return FakeReply(200, served, file.content)
