"""The SSRF guard: webhook deliveries may only reach public http(s) addresses.

A user chooses the webhook URL, so without a guard the server could be made to call into
its own network (an admin port on 127.0.0.1, the cloud metadata service on 169.254.169.254,
a database on 10.x). The guard:

* allows only ``http`` and ``https``;
* checks an IP-literal host directly, and resolves a host name itself, refusing it when *any*
  address it resolves to is not globally routable unicast: loopback, private, link-local,
  multicast, reserved, unspecified, every block IANA's special-purpose registries mark not
  globally reachable (tests/fixtures/iana drives the test), deprecated site-local
  ``fec0::/10`` (which Python 3.11's ``is_global`` calls global), IPv4-mapped ``::ffff:0:0/96``
  as a whole, and non-public IPv4 hidden in NAT64, 6to4 or Teredo;
* says only "not a public address": never what a name resolved to, which would let a user map
  internal names (``internal.corp`` → ``10.1.2.3``) through the verification replies;
* connects to exactly the addresses it checked: the resolver *is* the connector's resolver,
  so there is no second lookup for a DNS-rebinding answer to slip into;
* is used with ``allow_redirects=False`` by the caller.

``allow_private=True`` (WEBHOOK_ALLOW_PRIVATE_TARGETS) turns the address check off; only for
local testing.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable

from aiohttp import ThreadedResolver
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Not globally reachable, yet passed by Python 3.11's is_global/is_private/is_reserved: blocks
# of IANA's special-purpose registries, and site-local (RFC 3879, in no special registry).
_NOT_GLOBAL_EXTRA = tuple(
    ipaddress.ip_network(block)
    for block in (
        "192.0.0.0/24",  # IETF protocol assignments (the anycast ones in it are no webhook)
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 SIDs (RFC 9602)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "fec0::/10",  # deprecated site-local
    )
)
REFUSED_TEXT = "is not a public address (webhooks must reach the public internet)"


class ForbiddenTarget(Exception):
    """The URL may not be called; the message says why, in words for the user."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def forbidden_reason(ip: IPAddress) -> str:
    """Why ``ip`` may not be called ('' when it is a public address), for the log only."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            # Not globally reachable as such (IANA); a public server is reachable without it.
            return "an IPv4-mapped IPv6 address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = forbidden_reason(inner)
            return f"{reason} inside IPv6" if reason else ""
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address (like the cloud metadata service)"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private network address"),
        (not ip.is_global, "not globally reachable"),
        (any(ip in block for block in _NOT_GLOBAL_EXTRA), "a special-purpose address"),
    )
    return next((reason for hit, reason in checks if hit), "")


def check_url(url: str, *, allow_private: bool = False) -> URL:
    """The parsed URL if it may be called as far as can be told without DNS; else raises."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError) as exc:
        raise ForbiddenTarget("That is not a valid URL.") from exc
    scheme = (parsed.scheme or "").lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}://" if scheme else "no scheme"
        raise ForbiddenTarget(f"Only http:// and https:// URLs are allowed (got {shown}).")
    host = parsed.raw_host
    if not host:
        raise ForbiddenTarget("The URL has no host name.")
    literal = _ip_literal(host)
    if literal is not None and not allow_private:
        reason = forbidden_reason(literal)
        if reason:
            logger.info("refused webhook address: %s", reason)
            raise ForbiddenTarget(f"{literal} {REFUSED_TEXT}.")
    return parsed


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves like aiohttp does, then refuses the host if any answer is not public."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        inner: Callable[[], AbstractResolver] = ThreadedResolver,
    ) -> None:
        self.allow_private = allow_private
        self._inner_factory = inner
        self._inner: AbstractResolver | None = None

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._inner is None:
            self._inner = self._inner_factory()
        answers = await self._inner.resolve(host, port, family)
        if not self.allow_private:
            for answer in answers:
                reason = forbidden_reason(ipaddress.ip_address(answer["host"]))
                if reason:
                    # Neither the reply nor the log says what the name resolved to.
                    logger.warning("refused webhook host %s: resolves to %s", host, reason)
                    raise ForbiddenTarget(f"{host} {REFUSED_TEXT}.")
        # Exactly these (checked) addresses are what the connector will dial.
        return answers

    async def close(self) -> None:
        if self._inner is not None:
            await self._inner.close()
