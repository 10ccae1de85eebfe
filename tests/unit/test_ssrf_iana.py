"""The SSRF guard against IANA's special-purpose address registries (checked-in copies in
tests/fixtures/iana): every address of a block the registry marks not globally reachable is
refused, on its own and hidden in IPv6 (IPv4-mapped, NAT64, 6to4, Teredo)."""

from __future__ import annotations

import csv
import ipaddress
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifiers.ssrf import forbidden_reason

IANA = Path(__file__).parents[1] / "fixtures" / "iana"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _registry(name: str) -> list[tuple[Network, str]]:
    with (IANA / name).open(newline="") as rows:
        return [
            (ipaddress.ip_network(row["address_block"]), row["globally_reachable"])
            for row in csv.DictReader(rows)
        ]


REGISTRY = _registry("ipv4-special-registry.csv") + _registry("ipv6-special-registry.csv")
NOT_GLOBAL = [block for block, reachable in REGISTRY if reachable == "False"]


def _registry_says(ip: Address) -> str:
    """The "Globally Reachable" value of the most specific block holding ``ip``."""
    holding = [(b, r) for b, r in REGISTRY if b.version == ip.version and ip in b]
    return max(holding, key=lambda item: item[0].prefixlen)[1]


def _samples(block: Network) -> list[Address]:
    """First, last, middle and a few spread addresses that the registry keeps not global
    (a more specific block may make part of a wider one globally reachable)."""
    size = block.num_addresses
    picks = {0, size - 1, size // 2, size // 3, 1 % size, (7 * size) // 9}
    found = [block[i] for i in sorted(picks)]
    return [ip for ip in found if _registry_says(ip) == "False"]


def test_the_registry_copies_are_complete_enough_to_mean_something() -> None:
    assert len(NOT_GLOBAL) >= 25
    assert ipaddress.ip_network("100.64.0.0/10") in NOT_GLOBAL
    assert ipaddress.ip_network("5f00::/16") in NOT_GLOBAL


@pytest.mark.parametrize("block", NOT_GLOBAL, ids=str)
def test_every_block_marked_not_globally_reachable_is_refused(block: Network) -> None:
    for ip in _samples(block):
        assert forbidden_reason(ip), f"{ip} ({block}) was allowed"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_address_of_a_not_global_block_is_refused(data: st.DataObject) -> None:
    block = data.draw(st.sampled_from(NOT_GLOBAL))
    ip = block[data.draw(st.integers(0, block.num_addresses - 1))]
    if _registry_says(ip) == "False":
        assert forbidden_reason(ip), f"{ip} ({block}) was allowed"


IPV4_NOT_GLOBAL = [ip for b in NOT_GLOBAL if b.version == 4 for ip in _samples(b)]


def _hidden_forms(ip: ipaddress.IPv4Address) -> dict[str, ipaddress.IPv6Address]:
    v4 = int(ip)
    teredo_client = v4 ^ 0xFFFFFFFF  # Teredo stores the client address inverted
    return {
        "IPv4-mapped": ipaddress.IPv6Address((0xFFFF << 32) | v4),
        "NAT64": ipaddress.IPv6Address((0x64FF9B << 96) | v4),
        "NAT64 local-use": ipaddress.IPv6Address((0x64FF9B0001 << 80) | v4),
        "6to4": ipaddress.IPv6Address((0x2002 << 112) | (v4 << 80) | 1),
        "Teredo": ipaddress.IPv6Address((0x20010000 << 96) | (0x08080808 << 64) | teredo_client),
    }


@pytest.mark.parametrize("ip", IPV4_NOT_GLOBAL, ids=str)
def test_non_global_ipv4_hidden_in_ipv6_is_refused(ip: ipaddress.IPv4Address) -> None:
    for form, hidden in _hidden_forms(ip).items():
        assert forbidden_reason(hidden), f"{form} {hidden} (for {ip}) was allowed"


@pytest.mark.parametrize(
    "address",
    ["fec0::1", "fec0::", "feff:ffff::1", "fed0:1234::5", "fef0::1"],  # site-local (RFC 3879)
)
def test_deprecated_site_local_is_refused(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["224.0.0.1", "233.252.0.1", "239.255.255.250", "ff02::1", "ff0e::1", "ff35::1"]
)
def test_multicast_is_refused(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address))


def test_ipv4_mapped_addresses_are_refused_even_for_public_ipv4() -> None:
    # The registry marks ::ffff:0:0/96 not globally reachable; nothing public needs it.
    assert forbidden_reason(ipaddress.ip_address("::ffff:8.8.8.8"))


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4009:81f::200e",
        "64:ff9b::808:808", "2002:808:808::1",
    ],
)  # fmt: skip
def test_public_unicast_is_still_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == ""
