"""Links that are web pages by construction (a Google Drive viewer, a Dropbox
preview...): whatever their host answers, no phone shows a status from them.

GREEN-API answers such a link with an idMessage and the status never appears,
since it needs a direct link serving the file itself with its real type. Each
rule is a host (matched exactly, after ``www.`` and a trailing dot are
dropped, or with its subdomains where the service uses them), a predicate on
the path, query and fragment, and the message; ``_RULES`` is the one table.
Only shapes certain to fail are refused: anything else may be a direct link,
which ``check_links=True`` checks over the network. docs/requests.md says why
for each."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

__all__ = ["page_link_problem"]


class _Link(NamedTuple):
    host: str  # lower case, without a trailing dot or a leading "www."
    segments: tuple[str, ...]  # the path's non-empty segments
    query: dict[str, list[str]]
    fragment: str

    def has(self, name: str, *values: str) -> bool:
        """Whether the query holds ``name`` (with one of ``values``, if given)."""
        found = self.query.get(name)
        return found is not None and (not values or any(v in values for v in found))


class _Rule(NamedTuple):
    hosts: frozenset[str]
    subdomains: bool  # whether a subdomain of one of ``hosts`` matches too
    is_page: Callable[[_Link], bool]
    message: str

    def matches(self, host: str) -> bool:
        return host in self.hosts or (
            self.subdomains and any(host.endswith(f".{name}") for name in self.hosts)
        )


_UPLOAD = "or upload it with client.upload_file()"
_ELSEWHERE = f"host the file where it is served directly, {_UPLOAD}"

# Yandex's own country domains, where Yandex Disk answers too.
_YANDEX_TLDS = frozenset(
    {"ru", "com", "kz", "by", "ua", "uz", "az", "kg", "tj", "tm", "md", "lt", "lv", "ee"}
    | {"com.tr", "com.am", "com.ge", "co.il"}
)
_YANDEX_DISK = frozenset(
    f"{name}.{tld}" for name in ("disk.yandex", "disk.360.yandex") for tld in _YANDEX_TLDS
)


def _google(link: _Link) -> tuple[str, ...]:
    """The path without Google's account switch, ``u/<n>`` (``/u/0/uc?...``)."""
    segments = list(link.segments)
    for index in range(len(segments) - 1):
        if segments[index] == "u" and segments[index + 1].isdigit():
            del segments[index : index + 2]
            break
    return tuple(segments)


def _drive_page(link: _Link) -> bool:
    path = _google(link)
    if path[:2] == ("file", "d") and len(path) in (3, 4):
        return len(path) == 3 or path[3] in ("view", "edit", "preview")
    if path[:2] == ("drive", "folders"):
        return True
    return path == ("open",) and link.has("id")


def _drive_download(link: _Link) -> bool:
    # uc and drive.usercontent's download with no export, or export=download:
    # an attachment, or an HTML warning page; export=view may serve it inline.
    path = _google(link)
    wanted = {("uc",)} if link.host != "drive.usercontent.google.com" else {("download",), ("uc",)}
    return path in wanted and not link.has("export", "view")


def _dropbox(link: _Link) -> bool:
    shared = link.segments[:1] in (("s",), ("sh",)) or link.segments[:2] in (
        ("scl", "fi"),
        ("scl", "fo"),
    )
    return shared and not (link.has("dl", "1") or link.has("raw", "1"))


def _onedrive(link: _Link) -> bool:
    # Its root is the web app; redir and view.aspx lead to it. download passes.
    return link.segments in ((), ("redir",), ("view.aspx",))


def _github(link: _Link) -> bool:
    return (
        len(link.segments) > 3 and link.segments[2] == "blob" and not link.has("raw", "true", "1")
    )


def _mega(link: _Link) -> bool:
    return link.segments[:1] in (("file",), ("folder",), ("embed",)) or (
        not link.segments and link.fragment.startswith(("!", "F!"))
    )


_RULES: tuple[_Rule, ...] = (
    _Rule(
        frozenset({"drive.google.com", "docs.google.com"}),
        False,
        _drive_page,
        "a Google Drive viewer page, not the file: GREEN-API needs a direct link "
        f"serving the file itself; {_ELSEWHERE}",
    ),
    _Rule(
        frozenset({"drive.google.com", "docs.google.com", "drive.usercontent.google.com"}),
        False,
        _drive_download,
        "a Google Drive download, served as an attachment or an HTML warning page, "
        f"never as the file with the real type GREEN-API needs; {_ELSEWHERE}",
    ),
    _Rule(
        frozenset({"dropbox.com"}),
        False,
        _dropbox,
        "a Dropbox preview page, not the file: set raw=1 in the link (in place of dl=0) "
        f"to have Dropbox serve the file itself, {_UPLOAD}",
    ),
    _Rule(
        frozenset({"1drv.ms"}),
        False,
        lambda link: True,
        "a OneDrive share link, which opens a page, not the file: use the file's "
        f"download link (onedrive.live.com/download?...), {_UPLOAD}",
    ),
    _Rule(
        frozenset({"onedrive.live.com"}),
        False,
        _onedrive,
        "a OneDrive page, not the file: use the file's download link "
        f"(onedrive.live.com/download?...), {_UPLOAD}",
    ),
    _Rule(
        _YANDEX_DISK | {"yadi.sk"},
        False,
        lambda link: len(link.segments) > 1 and link.segments[0] in ("d", "i"),
        "a Yandex Disk public page, not the file, and Yandex Disk gives no lasting "
        f"direct link; {_ELSEWHERE}",
    ),
    _Rule(
        frozenset({"github.com"}),
        False,
        _github,
        "a GitHub file page, not the file: use its raw.githubusercontent.com link "
        f"(the page's Raw button), {_UPLOAD}",
    ),
    _Rule(
        frozenset({"wetransfer.com"}),
        True,
        lambda link: link.segments[:1] == ("downloads",),
        "a WeTransfer download page, not the file, which WeTransfer serves only from there; "
        f"{_ELSEWHERE}",
    ),
    _Rule(
        frozenset({"we.tl"}),
        False,
        lambda link: True,
        f"a WeTransfer short link to a download page, not the file; {_ELSEWHERE}",
    ),
    _Rule(
        frozenset({"mega.nz", "mega.co.nz"}),
        False,
        _mega,
        "a MEGA page, not the file: MEGA files are decrypted in the browser, so no MEGA "
        f"link is direct; {_ELSEWHERE}",
    ),
)


def _parse(url: str) -> _Link | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - as check_url_file, which refuses what raises here
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return None
    try:  # as a resolver reads it: "drive" in fullwidth letters is drive
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    host = host.removeprefix("www.")
    segments = tuple(segment for segment in parts.path.split("/") if segment)
    query = parse_qs(parts.query, keep_blank_values=True)
    return _Link(host, segments, query, parts.fragment)


def page_link_problem(url: str) -> str | None:
    """What is wrong with ``url`` as a status's file, if its shape alone says
    it is a web page; ``None`` when it may be a direct link."""
    link = _parse(url)
    if link is None:
        return None
    for rule in _RULES:
        if rule.matches(link.host) and rule.is_page(link):
            return rule.message
    return None
