"""The SSRF guard's address and URL rules (no network)."""

from __future__ import annotations

import ipaddress

import pytest

from notifiers.ssrf import ForbiddenTarget, check_url, forbidden_reason


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.0.1", "172.31.255.254", "192.168.1.1",
        "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.251", "240.0.0.1",
        "255.255.255.255", "192.0.2.1", "198.18.0.1", "::1", "::", "fc00::1", "fd12:3456::1",
        "fe80::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
        "64:ff9b::a00:1", "2002:7f00:1::1", "2001:db8::1",
    ],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::1"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) == ""


@pytest.mark.parametrize(
    "url", ["ftp://x.example/", "file:///etc/passwd", "javascript:alert(1)", "//x.example/"]
)
def test_only_http_schemes(url: str) -> None:
    with pytest.raises(ForbiddenTarget, match="Only http"):
        check_url(url)


def test_literal_addresses_are_checked_without_dns() -> None:
    with pytest.raises(ForbiddenTarget, match=r"^::ffff:7f00:1 is not a public address"):
        check_url("https://[::ffff:7f00:1]:8443/x")
    assert check_url("https://hooks.example.com/x").host == "hooks.example.com"
    assert check_url("http://127.0.0.1/x", allow_private=True).host == "127.0.0.1"
