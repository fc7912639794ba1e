"""The file methods of ``AsyncStatusClient``: checking a link, uploading a
file, and sending a local file as a status."""

from __future__ import annotations

import os
from collections.abc import Iterable

import attrs

from ._audience_step import prepare
from ._convert import Convert
from ._exceptions import InvalidStatusError
from ._file_names import checked_path, file_name_of
from ._links import CheckedLink, LinkKind
from ._methods import UPLOAD_FILE
from ._participants import AllContacts
from ._requests import MediaStatus, VoiceStatus
from ._results import SentStatus
from ._retry import RetryPolicy
from ._status_methods import StatusMethods
from ._upload import (
    UPLOAD_PLACEHOLDER,
    FileSource,
    UploadedFile,
    parse_upload,
    prepare_upload,
)

__all__ = ["FileMethods"]


class FileMethods(StatusMethods):
    async def check_link(self, url_file: str, kind: LinkKind) -> CheckedLink:
        """Check that a ``kind`` ("voice" or "media") status from ``url_file``
        will show, by asking the link's host what it serves.

        A HEAD request goes to the link (a one-byte ranged GET where HEAD is not
        answered 2xx), through the transports and event hooks of this client's
        ``httpx.AsyncClient`` but with none of its headers, cookies or auth,
        following the host's redirects hop by hop; GREEN-API's token never goes
        there. A link that leads off the public internet (an internal address,
        a local name) is refused before that address is asked, unless
        ``api_url`` is off it too. The link is
        refused with [`LinkCheckError`][greenstatus.LinkCheckError] when it does not answer 2xx, is
        served as ``application/octet-stream``, with no type, or with a type
        that does not fit the kind (audio for voice; image or video for media),
        as an attachment, or is over 100 MB. Nothing goes to GREEN-API.

        Each link is asked once per client: the answer is remembered (save a
        failure to reach the host, a 429 or a 5xx, which are asked again).
        """
        return await self._pipeline.check_link(url_file, kind)

    async def upload_file(
        self,
        file: FileSource,
        *,
        file_name: str | None = None,
        content_type: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> UploadedFile:
        """Upload a file to GREEN-API's file host; its ``url_file`` is a direct
        link (kept 15 days) for
        [`send_voice_status`][greenstatus.AsyncStatusClient.send_voice_status] or
        [`send_media_status`][greenstatus.AsyncStatusClient.send_media_status].

        ``file`` is a path (streamed from disk, never read whole), ``bytes``,
        or an async iterable of bytes. The raw file is the body of a POST to
        ``{media_url}/waInstance{id}/uploadFile/{token}``, with ``Content-Type``
        from the name's extension unless ``content_type`` is given, and the name
        (a path's own name unless ``file_name`` is given) in ``GA-Filename``.

        A file over 100 MB, empty, missing or unreadable is an
        [`InvalidStatusError`][greenstatus.InvalidStatusError] naming ``file``, before a
        byte is sent.
        An upload from a path or bytes is retried as the retry policy says,
        even after an ambiguous failure: a second upload only makes a second
        link. An upload from an iterable is never retried. A file whose size,
        modification time or identity changes while it is read is refused
        (an ``InvalidStatusError`` naming ``file``) before its last bytes go
        out, so no link is made of it.
        """
        self._session.check_open()
        upload = await prepare_upload(file, file_name, content_type)
        url_file = await self._pipeline.call(UPLOAD_FILE, parse_upload, retry, upload=upload)
        self._pool.links.uploaded(url_file)
        return UploadedFile(
            url_file=url_file,
            file_name=upload.file_name,
            content_type=upload.content_type,
            size=upload.sent if upload.size is None else upload.size,
        )

    async def send_voice_file(
        self,
        path: str | os.PathLike[str],
        *,
        background_color: str | None = None,
        participants: Iterable[str] | AllContacts = (),
        file_name: str | None = None,
        retry: RetryPolicy | None = None,
        prepare: bool = False,
    ) -> SentStatus:
        """Upload a local .mp3 or .wav file, then send it as a voice status.

        Everything is checked first, as [`VoiceStatus`][greenstatus.VoiceStatus] checks it (the
        file's extension, ``background_color``, ``participants``), and the file
        itself (it exists, is readable, is at most 100 MB): a bad argument
        uploads nothing, and a problem of the file names ``path``. A file that
        changes while it is uploaded is refused, and no status is sent.
        ``file_name`` is the name sent, the path's own by default.

        With ``prepare=True`` (the ``media`` extra) any audio is made an MP3
        first ([`prepare_voice`][greenstatus.media.prepare_voice]), sent under
        the name's stem with ``.mp3``; the converted file is removed whatever
        happens.
        """
        status = VoiceStatus(
            url_file=UPLOAD_PLACEHOLDER,
            file_name=_name_for(path, file_name, ".mp3" if prepare else None),
            background_color=background_color,
            participants=participants,
        )
        convert = Convert("voice", named=file_name is not None) if prepare else None
        return await self._send_uploaded(status, path, retry, convert)

    async def send_media_file(
        self,
        path: str | os.PathLike[str],
        *,
        caption: str | None = None,
        participants: Iterable[str] | AllContacts = (),
        file_name: str | None = None,
        retry: RetryPolicy | None = None,
        prepare: bool = False,
        fit: str | None = None,
    ) -> SentStatus:
        """Upload a local picture or video, then send it as a media status.

        Checked first as [`MediaStatus`][greenstatus.MediaStatus] checks it (extension, caption,
        participants), and the file itself: a bad argument uploads nothing,
        and a problem of the file names ``path``. A file that changes while it
        is uploaded is refused, and no status is sent. ``file_name`` is the
        name sent, the path's own by default.

        With ``prepare=True`` (the ``media`` extra) the file is made a JPEG or
        an H.264 MP4 first ([`prepare_media`][greenstatus.media.prepare_media],
        with its ``fit``), sent under the name's stem with the prepared file's
        extension; the converted file is removed whatever happens.
        """
        if fit is not None and not prepare:
            raise ValueError("fit is for prepare=True: a file sent as it is is not changed")
        status = MediaStatus(
            url_file=UPLOAD_PLACEHOLDER,
            # Checked now with a picture's name; the prepared file names itself.
            file_name=_name_for(path, file_name, ".jpg" if prepare else None),
            caption=caption,
            participants=participants,
        )
        convert = Convert("media", named=file_name is not None, fit=fit) if prepare else None
        return await self._send_uploaded(status, path, retry, convert)

    async def _send_uploaded(
        self,
        status: VoiceStatus | MediaStatus,
        path: str | os.PathLike[str],
        retry: RetryPolicy | None,
        convert: Convert | None = None,
    ) -> SentStatus:
        """Upload ``path`` under the checked status's file name, then send the link.

        A problem of the file itself (missing, unreadable, too large, changed
        while it was read) names ``path``, the argument the caller passed."""
        checked = checked_path(path, "path")  # a bytes path is never taken for bytes
        status = await prepare(self._pipeline, status)  # nothing uploaded for no one
        converted = None if convert is None else await convert.run(checked)
        try:
            source = checked
            if converted is not None:
                source = str(converted.path)
                # The prepared file's type is what it is: a name given keeps
                # its stem and takes the prepared file's extension.
                name = converted.file_name
                if convert is not None and convert.named:
                    extension = converted.file_name.rpartition(".")[2]
                    name = f"{status.file_name.rpartition('.')[0] or status.file_name}.{extension}"
                status = attrs.evolve(status, file_name=name)
            try:
                uploaded = await self.upload_file(source, file_name=status.file_name, retry=retry)
            except InvalidStatusError as error:
                if type(error) is InvalidStatusError and error.field == "file":
                    error.field = "path"
                    error.args = (f"path: {error.problem}",)
                raise
            return await self.send(attrs.evolve(status, url_file=uploaded.url_file), retry=retry)
        finally:
            if converted is not None:
                converted.remove()


def _name_for(path: str | os.PathLike[str], given: str | None, extension: str | None) -> str:
    """The name a file is sent under: the one given, else the path's own; a
    file converted first keeps that name's stem and takes the prepared file's
    ``extension`` (here the likely one, checked now; the real one once made)."""
    name = given if given is not None else file_name_of(path)
    if extension is None:
        return name
    stem = name.rpartition(".")[0] or name
    return stem + extension
