"""Which link hosts are off the public internet: every spelling of an address
gets its address's verdict, and names local by definition are refused.

Hosts are given as httpx hands them over (``httpx.URL(url).host``), since that
is what a check judges.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from greenstatus._public import address_of, why_not_public, why_not_public_address


def host_of(url: str) -> str:
    """The host as httpx hands it over; for a spelling httpx refuses as a URL
    (four dotted numbers with leading zeros), as the standard library reads it:
    it is never asked, and is refused all the same."""
    try:
        return httpx.URL(url).host
    except httpx.InvalidURL:
        return urlsplit(url).hostname or ""


# What RFC 6890's registries (and RFC 6598, 5771) say is not globally
# reachable: written out here, not read from ipaddress, as the oracle.
NON_PUBLIC_V4 = [
    ipaddress.IPv4Network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/29",
        "192.0.0.170/31",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
# Python versions differ on single addresses of 192.0.0.0/24; no verdict there.
_UNSETTLED = ipaddress.IPv4Network("192.0.0.0/24")

RED_TEAM = [
    # (a link, what the refusal calls it)
    ("http://127.0.0.2/secret-admin", "a loopback address"),
    ("http://2130706433/", "a loopback address"),
    ("http://017700000001/", "a loopback address"),
    ("http://0x7f000001/", "a loopback address"),
    ("http://0x7f.1/", "a loopback address"),
    ("http://0x7f.0.0.1/", "a loopback address"),
    ("http://0177.0.0.1/", "a loopback address"),
    ("http://127.000.000.001/", "a loopback address"),
    ("http://127.1/", "a loopback address"),
    ("http://127.0.1/", "a loopback address"),
    ("http://127.0.0.1./", "a loopback address"),
    ("http://%31%32%37.0.0.1/", "a loopback address"),
    ("http://[::1]/", "a loopback address"),
    ("http://[0:0:0:0:0:0:0:1]/", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "a loopback address, written as IPv6"),
    ("http://[::ffff:7f00:1]/", "a loopback address, written as IPv6"),
    ("http://[0:0:0:0:0:ffff:7f00:0001]/", "a loopback address, written as IPv6"),
    ("http://[64:ff9b::7f00:1]/", "a loopback address, written as IPv6"),
    ("http://[2002:7f00:1::]/", "a loopback address, written as IPv6"),
    ("http://[2002:a00:5::1]/", "a private address, written as IPv6"),
    ("http://[64:ff9b::a00:5]/", "a private address, written as IPv6"),
    ("http://[64:ff9b:1::a00:5]/", "a local-use NAT64 address"),
    ("http://[::7f00:1]/", "a reserved address"),
    ("http://0.0.0.0/", "the unspecified address"),
    ("http://0/", "the unspecified address"),
    ("http://[::]/", "the unspecified address"),
    ("http://169.254.169.254/", "a link-local address"),
    ("http://2852039166/", "a link-local address"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://[fe80::1%25eth0]/", "a link-local address"),
    ("http://[::ffff:169.254.169.254]/", "a link-local address, written as IPv6"),
    ("http://10.0.0.5/", "a private address"),
    ("http://012.0.0.5/", "a private address"),
    ("http://172.16.0.1/", "a private address"),
    ("http://192.168.1.1/", "a private address"),
    ("http://[fd00::1]/", "a private address"),
    ("http://[fc00::1]/", "a private address"),
    ("http://100.64.0.1/", "a shared (carrier-grade NAT) address"),
    ("http://224.0.0.1/", "a multicast address"),
    ("http://[ff02::1]/", "a multicast address"),
    ("http://240.0.0.1/", "a reserved address"),
    ("http://255.255.255.255/", "a reserved address"),
    ("http://localhost/", "a local name"),
    ("http://LOCALHOST./", "a local name"),
    ("http://admin.localhost/", "a local name"),
    ("http://printer.local/", "a local name"),
    ("http://metadata.google.internal/", "a local name"),
    ("http://nas.home.arpa/", "a local name"),
    ("http://nas.home.arpa./", "a local name"),
    ("http://router/", "a single-label name, which only a local network resolves"),
    ("http://router./", "a single-label name, which only a local network resolves"),
    ("http://1.2.3.4.5/", "an unusual spelling of an address"),
    ("http://256.0.0.1/", "an unusual spelling of an address"),
    ("http://08.0.0.1/", "an unusual spelling of an address"),
]


@pytest.mark.parametrize(("url", "why"), RED_TEAM, ids=[url for url, _ in RED_TEAM])
def test_red_team_spellings_are_refused_with_what_they_are(url: str, why: str) -> None:
    assert why_not_public(host_of(url)) == why


PUBLIC = [
    "https://api.green-api.com/",
    "https://7105.media.greenapi.com/",
    "https://example.com./a.jpg",
    "http://files.fake-green-api.invalid/files/a.jpg",
    "http://8.8.8.8/",
    "http://134744072/",  # 8.8.8.8
    "http://[2606:4700:4700::1111]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[64:ff9b::808:808]/",
    "http://[2002:808:808::1]/",
    "http://xn--e1afmkfd.xn--p1ai/",
    "http://local.example.com/",
    "http://internal.example.com/",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_hosts_pass(url: str) -> None:
    assert why_not_public(host_of(url)) is None


def spellings(address: ipaddress.IPv4Address) -> list[str]:
    """The ways a URL's host can write one IPv4 address that a resolver reads as it."""
    value = int(address)
    octets = address.packed
    a, b = octets[0], octets[1]
    return [
        str(address),
        f"{address}.",
        str(value),
        hex(value),
        hex(value).upper().replace("X", "x"),
        "0" + format(value, "o") if value else "0",
        ".".join(hex(octet) for octet in octets),
        ".".join("0" + format(octet, "o") for octet in octets),
        f"{a}.{b}.{value & 0xFFFF}",
        f"{a}.{value & 0xFFFFFF}",
        f"{hex(a)}.{value & 0xFFFFFF:#x}",
    ]


def ipv6_spellings(address: ipaddress.IPv4Address) -> list[str]:
    """IPv6 forms carrying the IPv4 address, with its verdict."""
    high, low = int(address) >> 16, int(address) & 0xFFFF
    return [
        f"[::ffff:{address}]",
        f"[::ffff:{high:x}:{low:x}]",
        f"[0:0:0:0:0:ffff:{high:04x}:{low:04x}]",
        f"[64:ff9b::{address}]",
        f"[64:ff9b::{high:x}:{low:x}]",
        f"[2002:{high:x}:{low:x}::1]",
    ]


ipv4_addresses = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1)) | st.sampled_from(
    [net.network_address for net in NON_PUBLIC_V4]
    + [net.broadcast_address for net in NON_PUBLIC_V4]
)


@given(ipv4_addresses)
def test_every_spelling_of_an_ipv4_address_is_that_address(address: ipaddress.IPv4Address) -> None:
    for spelling in spellings(address):
        assert address_of(host_of(f"http://{spelling}/")) == address, spelling


@given(ipv4_addresses)
def test_every_spelling_of_an_ipv4_address_gets_its_verdict(
    address: ipaddress.IPv4Address,
) -> None:
    refused = why_not_public_address(address) is not None
    for spelling in spellings(address) + ipv6_spellings(address):
        host = host_of(f"http://{spelling}/")
        assert (why_not_public(host) is not None) == refused, spelling


@given(ipv4_addresses)
def test_an_ipv4_address_is_refused_exactly_where_the_registries_say(
    address: ipaddress.IPv4Address,
) -> None:
    listed = any(address in network for network in NON_PUBLIC_V4)
    if listed:
        assert why_not_public_address(address) is not None
    elif address not in _UNSETTLED:
        assert why_not_public_address(address) is None


ipv6_addresses = st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1)) | st.builds(
    lambda net, low: net[low % net.num_addresses],
    st.sampled_from(
        [ipaddress.IPv6Network(n) for n in ("::1/128", "fc00::/7", "fe80::/10", "ff00::/8")]
    ),
    st.integers(0, 2**64),
)


@given(ipv6_addresses)
def test_every_spelling_of_an_ipv6_address_gets_its_verdict(
    address: ipaddress.IPv6Address,
) -> None:
    verdict = why_not_public_address(address)
    for spelling in (address.compressed, address.exploded, address.exploded.upper()):
        assert why_not_public(host_of(f"http://[{spelling}]/")) == verdict, spelling


labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)


@given(
    st.lists(labels, min_size=1, max_size=3),
    st.sampled_from(["localhost", "local", "internal", "home.arpa"]),
    st.booleans(),
)
def test_names_under_local_suffixes_are_refused(
    names: list[str], suffix: str, trailing_dot: bool
) -> None:
    host = ".".join([*names, suffix]) + ("." if trailing_dot else "")
    assert why_not_public(host_of(f"http://{host.upper()}/")) == "a local name"
