"""`marketplace-monitor probe`: one live request per configured marketplace, judged for a person.

Run on the machine the service runs on (same IP, same login state, same keys), it tells an
operator whether each marketplace answers, how many listings came back, how many of them
have a price, place, image and posted time, how long it took, and what to do when it fails.
One request each, through the marketplace's own adapter and so its own pacing. Any failure
makes the exit status non-zero, so it can run from cron.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.errors import Blocked, MarketplaceError, ParseError, RateLimited, Unavailable
from core.parse_health import THRESHOLDS, coverage
from core.ports import Marketplace, MarketplaceQuery

__all__ = ["ProbeResult", "ProbeTarget", "advice", "probe", "render"]

# Marketplace-specific fields a probe needs (Craigslist searches one site).
DEFAULT_EXTRA: Mapping[str, tuple[tuple[str, str], ...]] = {"craigslist": (("site", "sfbay"),)}


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    keywords: str = "bike"
    location: str = ""
    extra: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=lambda: DEFAULT_EXTRA)

    def query(self, marketplace: str) -> MarketplaceQuery:
        return MarketplaceQuery(
            marketplace=marketplace,
            keywords=self.keywords,
            location=self.location,
            limit=50,
            extra=self.extra.get(marketplace, ()),
        )


@dataclass(frozen=True, slots=True)
class ProbeResult:
    marketplace: str
    ok: bool
    seconds: float
    listings: int = 0
    shares: Mapping[str, float] = field(default_factory=dict)
    failure: str = ""  # "blocked", "rate-limited", "parse error", "unavailable", …
    message: str = ""
    advice: str = ""


async def probe(
    marketplaces: Mapping[str, Marketplace], names: Sequence[str], target: ProbeTarget
) -> list[ProbeResult]:
    """Probe ``names`` (all configured ones when empty), one after the other."""
    wanted = list(names) or list(marketplaces)
    results = []
    for name in wanted:
        marketplace = marketplaces.get(name)
        if marketplace is None:
            results.append(_not_configured(name))
            continue
        results.append(await _probe_one(name, marketplace, target))
    return results


async def _probe_one(name: str, marketplace: Marketplace, target: ProbeTarget) -> ProbeResult:
    started = time.perf_counter()
    try:
        found = await marketplace.search(target.query(name))
    except MarketplaceError as exc:
        kind = _kind(exc)
        return ProbeResult(
            name,
            ok=False,
            seconds=time.perf_counter() - started,
            failure=kind,
            message=str(exc),
            advice=advice(name, exc),
        )
    return ProbeResult(
        name,
        ok=True,
        seconds=time.perf_counter() - started,
        listings=len(found),
        shares=coverage(found) if found else {},
    )


def _not_configured(name: str) -> ProbeResult:
    return ProbeResult(
        name,
        ok=False,
        seconds=0.0,
        failure="not configured",
        message=f"{name} is not running in this configuration",
        advice=(
            "name it in MARKETPLACES (scraped sites are opt-in); eBay needs EBAY_CLIENT_ID and "
            "EBAY_CLIENT_SECRET, the sandbox SANDBOX_URL"
        ),
    )


def _kind(exc: MarketplaceError) -> str:
    kinds = (
        (RateLimited, "rate-limited"),
        (Blocked, "blocked"),
        (ParseError, "parse error"),
        (Unavailable, "unavailable"),
    )
    return next((word for cls, word in kinds if isinstance(exc, cls)), "failed")


_BLOCKED = {
    "ebay": "eBay refused our keys: check EBAY_CLIENT_ID and EBAY_CLIENT_SECRET (a production "
    "keyset with Browse API access), and EBAY_API_URL",
    "facebook": "Facebook shows a login wall or checkpoint: log in again with "
    "`marketplace-monitor facebook-login` and copy the file to FACEBOOK_STATE_FILE",
}


def advice(marketplace: str, exc: MarketplaceError) -> str:
    """What an operator can do about ``exc``, in one line."""
    if isinstance(exc, RateLimited):
        return (
            f"the site asks us to slow down for {exc.retry_after:.0f} s: wait that long, and "
            "use longer check intervals for searches on it"
        )
    if isinstance(exc, Blocked):
        return _BLOCKED.get(
            marketplace,
            "the site refuses this machine (block page, captcha or 403): wait some hours, "
            "check less often, or run from another network",
        )
    if isinstance(exc, ParseError):
        return (
            "the site answered but its page or API changed shape: update Marketplace Monitor, "
            "or report it with the message above"
        )
    if isinstance(exc, Unavailable):
        return (
            "network error, timeout or server error: check this machine's connection and the "
            "marketplace's *_URL setting, then try again"
        )
    return "see the message above"


def render(results: Sequence[ProbeResult]) -> str:
    """The probe's report, one block per marketplace."""
    if not results:
        return (
            "No marketplace is configured: name some in MARKETPLACES, or set eBay's keys or "
            "SANDBOX_URL."
        )
    return "\n".join(_block(result) for result in results)


def _block(result: ProbeResult) -> str:
    took = f"{result.seconds:.2f} s"
    if not result.ok:
        return (
            f"{result.marketplace}: FAILED ({result.failure}) after {took}\n"
            f"  {result.message}\n  what to do: {result.advice}"
        )
    if not result.listings:
        return (
            f"{result.marketplace}: OK, 0 listings in {took} (no coverage to judge; "
            "try --query with a commoner word)"
        )
    fields = ", ".join(_share(name, share) for name, share in result.shares.items())
    return f"{result.marketplace}: OK, {result.listings} listings in {took}; {fields}"


def _share(name: str, share: float) -> str:
    low = " LOW" if share < THRESHOLDS.get(name, 0.0) else ""
    return f"{name.replace('_', ' ')} {share:.0%}{low}"
