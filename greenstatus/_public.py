"""Whether a link's host is on the public internet, where GREEN-API fetches files.

GREEN-API downloads a ``url_file`` from its own servers, so a link that leads
to a loopback, private, link-local or otherwise non-public address can never
become a status, and a check that fetched it would only be a server-side
request to the checking process's own network.

Addresses are judged with the standard library's ``ipaddress``: its tables of
special-purpose ranges (RFC 6890 and successors) are maintained with Python,
and it decodes the IPv6 forms that embed an IPv4 address (mapped, 6to4,
Teredo), where a private IPv4 address can hide. Its verdicts are read as
properties (``is_loopback``, ``is_private``...) and every one of them must
be negative: ``is_global`` alone calls multicast and NAT64 addresses global.

Hosts are judged as the resolver would read them: ``getaddrinfo`` takes
``2130706433``, ``0x7f.1`` and ``127.1`` as 127.0.0.1 (the BSD ``inet_aton``
forms), so they are parsed here the same way.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote

__all__ = ["Address", "address_of", "why_not_public", "why_not_public_address"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names that are local by definition (RFC 6761, RFC 6762, RFC 8375, and the
# ".internal" TLD ICANN reserved for private use in 2024).
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are IPv4
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: local-use NAT64
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598: carrier-grade NAT
_NUMBER = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)


def why_not_public(host: str) -> str | None:
    """Why ``host`` (a URL's host: a name, an IPv4 address in any spelling a
    resolver takes, or an IPv6 address without brackets) is not on the public
    internet, as a few words; ``None`` when nothing says it is not.

    A public-looking name may still resolve to a private address: only the
    connection can tell (see ``why_not_public_address``).
    """
    name = host.strip().lower()
    # A percent-encoded host is decoded by some transports (yarl, for one).
    decoded = unquote(name)
    if decoded != name:
        return why_not_public(decoded) or _why_not_public_name(name)
    return _why_not_public_name(name)


def _why_not_public_name(name: str) -> str | None:
    address = address_of(name)
    if address is not None:
        return why_not_public_address(address)
    # A resolver ignores one trailing dot: "localhost." is localhost.
    bare = name[:-1] if name.endswith(".") else name
    if not bare or bare.startswith(".") or ".." in bare:
        return "a malformed host name"
    if bare == "localhost" or bare.endswith(_LOCAL_SUFFIXES):
        return "a local name"
    if "." not in bare:
        return "a single-label name, which only a local network resolves"
    if _NUMBER.fullmatch(bare.rpartition(".")[2]):
        # No top-level domain is a number: this is an address no parser here
        # takes, which some resolver may still read as one.
        return "an unusual spelling of an address"
    return None


def address_of(host: str) -> Address | None:
    """The address ``host`` spells, in any form ``getaddrinfo`` takes; else ``None``."""
    bare = host[:-1] if host.endswith(".") else host
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if ":" in bare:
        # An IPv6 address with a zone ("fe80::1%25eth0" in a URL).
        try:
            return ipaddress.ip_address(unquote(bare).partition("%")[0])
        except ValueError:
            return None
    return _inet_aton(bare)


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in the BSD forms: one to four numbers, each decimal,
    octal (a leading 0) or hex (0x); the last fills the bytes left."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.fullmatch(part) for part in parts):
        return None
    numbers: list[int] = []
    for part in parts:
        lowered = part.lower()
        if lowered.startswith("0x"):
            numbers.append(int(lowered[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *leading, last = numbers
    if any(number > 0xFF for number in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    value = last
    for index, number in enumerate(leading):
        value |= number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def why_not_public_address(address: Address) -> str | None:
    """Why ``address`` is not on the public internet; ``None`` when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = why_not_public_address(embedded)
            return f"{why}, written as IPv6" if why is not None else None
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "a non-global address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64, Teredo's
    client), whose own verdict is the one that counts."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None
