"""One GREEN-API instance: its id, its token and the URLs of its methods.

Everything here is checked when a client is made, and the token never leaves
a ``Secret``: not into a message, a repr, a pickle, nor a local of a frame that
an error tool could record.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import cast
from urllib.parse import unquote, urlsplit

import attrs
import httpx

from ._exceptions import GreenStatusWarning
from ._methods import ALL_METHODS, Host
from ._public import why_not_public
from ._redaction import MASK, Secret, scrub

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MEDIA_URL",
    "EnvironmentSettings",
    "Instance",
]

DEFAULT_API_URL = "https://api.green-api.com"
DEFAULT_MEDIA_URL = "https://media.green-api.com"

_ID_INSTANCE = re.compile(r"[0-9]{1,20}")  # ASCII digits: \d takes any script's
# GREEN-API's tokens are hex strings. greenstatus takes ASCII letters, digits,
# '-' and '_': a token is then always exactly one URL path segment (never '.'
# or '..', never escaped), and masking finds all of it.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BASE_URL_MAX = 2048


@attrs.frozen(eq=False)
class Instance:
    """An instance's id, token and method URLs, each built once."""

    id_instance: str
    token: Secret[str]
    api_url: str
    media_url: str
    urls: Secret[dict[str, httpx.URL]]
    """Each method's URL, token included: parsed once (httpx then only copies
    them), and hidden."""
    masked_urls: dict[str, str]
    """Each method's URL with the token as ``***``: built so, not by reading
    the URL back, as a gateway's api_url may hold anything in its path."""

    @classmethod
    def create(
        cls, id_instance: object, token: Secret[object], api_url: str, media_url: str
    ) -> Instance:
        checked_id = check_id_instance(id_instance)
        checked_token = _check_token(token)
        bases = {
            Host.API: _check_base_url("api_url", api_url, checked_token),
            Host.MEDIA: _check_base_url("media_url", media_url, checked_token),
        }
        paths = {
            method.name: f"{bases[method.host]}/waInstance{checked_id}/{method.name}/"
            for method in ALL_METHODS
        }
        return cls(
            id_instance=checked_id,
            token=checked_token,
            api_url=bases[Host.API],
            media_url=bases[Host.MEDIA],
            urls=Secret(
                {name: httpx.URL(path + checked_token.reveal()) for name, path in paths.items()},
                shown="{...: <URL ***>}",
            ),
            masked_urls={name: path + MASK for name, path in paths.items()},
        )


def check_id_instance(id_instance: object) -> str:
    text = (
        str(id_instance)
        if isinstance(id_instance, int) and not isinstance(id_instance, bool)
        else id_instance
    )
    if not isinstance(text, str) or not _ID_INSTANCE.fullmatch(text):
        raise ValueError(f"id_instance must be the instance's digits, got {id_instance!r}")
    return text


def _check_token(token: Secret[object]) -> Secret[str]:
    # The value never goes into a message, nor into a local of this frame: it
    # is the secret.
    if not isinstance(token.reveal(), str) or not token.reveal():
        raise ValueError("api_token_instance must be a non-empty str")
    if not _TOKEN.fullmatch(cast("str", token.reveal())):
        raise ValueError(
            "api_token_instance does not look like a GREEN-API token: it must be 1 to 256 "
            "ASCII letters, digits, '-' or '_' (copy apiTokenInstance from the console)"
        )
    return cast("Secret[str]", token)


@attrs.frozen
class EnvironmentSettings:
    """What ``from_env`` reads, the token held as a secret."""

    id_instance: str
    token: Secret[str]
    api_url: str
    media_url: str

    @classmethod
    def read(cls, env: Mapping[str, str]) -> EnvironmentSettings:
        missing = [
            name for name in ("GREEN_API_ID_INSTANCE", "GREEN_API_TOKEN") if not env.get(name)
        ]
        if len(missing) == 1:
            raise ValueError(f"environment variable {missing[0]} is not set")
        if missing:
            raise ValueError(f"environment variables {' and '.join(missing)} are not set")
        return cls(
            id_instance=env["GREEN_API_ID_INSTANCE"],
            token=Secret(env["GREEN_API_TOKEN"]),
            api_url=env.get("GREEN_API_URL") or DEFAULT_API_URL,
            media_url=env.get("GREEN_API_MEDIA_URL") or DEFAULT_MEDIA_URL,
        )


def _check_base_url(name: str, url: str, token: Secret[str]) -> str:
    """An ``api_url`` or ``media_url``: an absolute http(s) URL to which the
    method paths are appended. A message never echoes a password or the token."""
    if not isinstance(url, str):
        raise TypeError(f"{name} must be a str, got {type(url).__name__}")
    expected = _EXPECTED_FORM[name]
    if _USERINFO.search(_authority(url)):
        # Either credentials (greenstatus would send them to every request's
        # host) or a host hidden after them (api.green-api.com@evil.example).
        raise ValueError(
            f"{name} must not hold a user name or password (user:password@host): GREEN-API "
            f"authenticates by the token in the path. Expected the form {expected}"
        )
    # What a message may repeat of the URL: nothing where a password may hide
    # (an '@' in any spelling), the token masked elsewhere.
    shown = (
        "(not shown: it may hold a password)"
        if _USERINFO.search(url)
        else scrub(url, token.reveal())
    )
    if len(url) > _BASE_URL_MAX or not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError(
            f"{name} must be a URL of at most {_BASE_URL_MAX} printable characters "
            f"without white space, got {shown[:100]!r}"
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise ValueError(
            f"{name} is not a valid URL (its host or port cannot be read), got {shown!r}. "
            f"Expected the form {expected}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{name} must be an absolute http(s) URL, got {shown!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"{name} must not have a query or fragment, got {shown!r}")
    if _INSTANCE_SEGMENT.search(unquote(parts.path)):
        raise ValueError(
            f"{name} must be the instance's base URL, without /waInstance<id> (greenstatus "
            f"adds it, with the method and the token): expected the form {expected}, "
            f"got {shown!r}"
        )
    if parts.scheme == "http" and why_not_public(parts.hostname) is None:
        warnings.warn(
            f"{name} {shown!r} is plain http to a public host: the API token, in every "
            "request's path, would cross the network unencrypted. Use https://",
            GreenStatusWarning,
            stacklevel=4,
        )
    return url.rstrip("/")


# An '@' as browsers and NFKC normalisation read one, written plain, full
# width, small, or percent-encoded.
_USERINFO = re.compile(r"[@\uff20\ufe6b]|%40", re.IGNORECASE)


def _authority(url: str) -> str:
    """Where a user name and password would be: from ``//`` (or the start) to
    the path, query or fragment."""
    after = url.split("//", 1)[1] if "//" in url else url
    return re.split(r"[/?#\\]", after, maxsplit=1)[0]


# A method URL's instance segment, pasted as the base URL.
_INSTANCE_SEGMENT = re.compile(r"/waInstance[0-9]+(?:/|$)", re.IGNORECASE)
_EXPECTED_FORM = {
    "api_url": "https://1101.api.greenapi.com (the apiUrl of your console)",
    "media_url": "https://1101.media.greenapi.com (the mediaUrl of your console)",
}
