"""A realistic check of the price verdicts (issue 16; prints figures, not a test).

Forty simulated days of a marketplace whose listings are what second-hand sites really carry
around an item: ordinary asking prices (the sandbox catalogue's typical UK range for the
model), a sibling model the keywords also match (iPhone 13 Pro for "iphone 13"), planted
bargains and overpriced ones, accessories (most caught by the template words, some not),
faulty units, auctions with low current bids, reposts, bundles and "wanted" ads. Every three
simulated hours the new listings go through the runner's write path (core.checks.
record_fetch) for five searches a user would type; the alerts keep the verdicts they were
queued with.

It then prints the figures (verdicts given, how many planted bargains were called "under the
usual", how far the usual price is from the catalogue's midpoint), writes a random sample of
50 verdicts with what each listing really was to ``--sample`` (default
bench/output/verdicts-50.md), three alerts as the chat shows them, and a /prices chart.

    .venv/bin/python bench/verdicts.py
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.conversation import alert_lines
from bot.conversation.charts import chart_png
from bot.conversation.prices import figures_text
from core import prices
from core.checks import record_fetch
from core.criteria import Criteria
from core.db import open_database
from core.enums import BuyingFormat, Condition, Platform
from core.formatting import verdict_text
from core.models import Account, Alert, Destination, Search
from core.outbox import AlertIntent, alert_message
from core.ports import ListingData
from core.templates import BUILT_IN_TEMPLATES
from core.verdict import PriceVerdict, VerdictKind
from scrapers.sandbox.catalogue import CATEGORIES, Category, Model
from scrapers.sandbox.generator import compose_title, seller_name, tidy_price

START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 40
STEP = timedelta(hours=3)
PAGE = 50  # listings a fetch answers: the newest, as a results page does
WARM_UP = timedelta(days=7)  # verdicts sampled after this: the first week fills the samples


def _template_words(slug: str) -> tuple[str, ...]:
    return next(t for t in BUILT_IN_TEMPLATES if t.slug == slug).criteria.accessory_words


@dataclass(frozen=True)
class Watched:
    """A search a user would type, and what the stream lists around it."""

    keywords: str
    accessory_words: tuple[str, ...]
    model: str  # the catalogue model the search is after
    sibling: str  # another model its keywords also match ("" when none)
    accessories: tuple[str, ...]  # caught by the words (default or the template's)
    missed: tuple[str, ...]  # accessories no word catches
    bundle: str


WATCHED = (
    Watched("iphone 13", _template_words("iphone-flips-uk"), "iPhone 13", "iPhone 13 Pro",
            ("Clear silicone case for iPhone 13", "iPhone 13 screen protector 3 pack",
             "iPhone 13 box only, no phone"),
            ("iPhone 13 back glass replacement part",), "iPhone 13 with AirPods"),
    Watched("playstation 5 disc", _template_words("vintage-gaming"),
            "PlayStation 5 Disc Edition", "",
            ("PlayStation 5 Disc Edition box only", "PlayStation 5 Disc Edition cable"),
            ("PlayStation 5 Disc Edition vertical stand",),
            "PlayStation 5 Disc Edition bundle with 4 games and 2 controllers"),
    Watched("switch oled", _template_words("vintage-gaming"), "Switch OLED", "",
            ("Switch OLED box only", "Switch OLED controller only"),
            ("Switch OLED dock",), "Switch OLED bundle with Zelda and Mario Kart"),
    Watched("seiko skx007", _template_words("collectible-watches"), "SKX007 Diver", "",
            ("Seiko SKX007 strap only", "Seiko SKX007 box only"),
            ("Seiko SKX007 bezel insert",), "Seiko SKX007 with extra jubilee bracelet"),
    Watched("macbook air m1", _template_words("laptop-bargains"), "MacBook Air M1 13-inch", "",
            ("MacBook Air M1 charger", "MacBook Air M1 case"),
            ("MacBook Air M1 keyboard replacement",), "MacBook Air M1 with Magic Mouse"),
)  # fmt: skip

KINDS = (  # what a listing about the item is, and how often
    ("ordinary", 0.60),
    ("deal", 0.06),
    ("overpriced", 0.05),
    ("accessory", 0.08),
    ("missed accessory", 0.02),
    ("faulty", 0.05),
    ("auction", 0.07),
    ("repost", 0.04),
    ("bundle", 0.02),
    ("wanted", 0.01),
)


def _model(name: str) -> tuple[Category, Model]:
    for category in CATEGORIES:
        for model in category.models:
            if model.name == name:
                return category, model
    raise KeyError(name)


@dataclass(frozen=True)
class Truth:
    kind: str
    model: str
    low: int
    high: int


class Stream:
    """Listings over simulated time, with what each really is."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.truth: dict[str, Truth] = {}
        self.listings: list[ListingData] = []
        self._made: list[ListingData] = []

    def generate(self) -> None:
        moment, end, n = START, START + timedelta(days=DAYS), 0
        while moment < end:
            for watched in WATCHED:
                for name, rate in ((watched.model, 5.0), (watched.sibling, 2.0)):
                    if name and self.rng.random() < rate * STEP.total_seconds() / 86400:
                        n += 1
                        self._add(watched, name, moment, n, sibling=name == watched.sibling)
            moment += STEP

    def _add(self, watched: Watched, name: str, moment: datetime, n: int, sibling: bool) -> None:
        rng = self.rng
        category, model = _model(name)
        kind = "sibling" if sibling else _draw(rng)
        if kind == "repost" and self._made:
            earlier = rng.choice(self._made[-40:])
            drop = Decimal(rng.choice(("1", "1", "0.95")))
            price = (earlier.price or Decimal(0)) * drop
            item = replace(earlier, external_id=f"x{n}", price=tidy_price(float(price)),
                           posted_at=moment)  # fmt: skip
            self._keep(item, Truth("repost", name, model.low, model.high))
            return
        if kind == "repost":
            kind = "ordinary"
        title, value, fmt, condition = _shape(rng, kind, watched, category, model)
        item = ListingData(
            marketplace="sandbox",
            external_id=f"x{n}",
            url=f"https://sandbox.example/x{n}",
            title=title,
            price=tidy_price(value),
            seller=seller_name(rng),
            condition=condition,
            posted_at=moment,
            buying_format=fmt,
            current_bid=tidy_price(value) if fmt is BuyingFormat.AUCTION else None,
        )
        self._keep(item, Truth(kind, name, model.low, model.high))

    def _keep(self, item: ListingData, truth: Truth) -> None:
        self.truth[item.external_id] = truth
        self.listings.append(item)
        if truth.kind in ("ordinary", "deal", "overpriced"):
            self._made.append(item)


def _shape(
    rng: random.Random, kind: str, watched: Watched, category: Category, model: Model
) -> tuple[str, float, BuyingFormat, Condition]:
    """Title, asking price, format and condition of one listing of ``kind``."""
    variants = [rng.choice(g) for g in model.variants or category.variants]
    title = compose_title(model, variants, rng.choice(category.extras))
    low, high, mid = model.low, model.high, (model.low + model.high) / 2
    ordinary = rng.triangular(low, high, mid)
    shapes: dict[str, tuple[str, float, BuyingFormat]] = {
        "deal": (title, low * rng.uniform(0.55, 0.85), BuyingFormat.BUY_IT_NOW),
        "overpriced": (title, high * rng.uniform(1.05, 1.35), BuyingFormat.BUY_IT_NOW),
        "accessory": (rng.choice(watched.accessories), rng.uniform(4, 25), BuyingFormat.BUY_IT_NOW),
        "missed accessory": (rng.choice(watched.missed), rng.uniform(10, 45),
                             BuyingFormat.BUY_IT_NOW),
        "faulty": (f"{title.split(' – ')[0]} – {rng.choice(_FAULTS)}",
                   low * rng.uniform(0.25, 0.5), BuyingFormat.BUY_IT_NOW),
        "auction": (title, low * rng.uniform(0.2, 0.8), BuyingFormat.AUCTION),
        "bundle": (watched.bundle, high * rng.uniform(1.15, 1.5), BuyingFormat.BUY_IT_NOW),
        "wanted": (f"WANTED: {model.brand} {model.name}", mid, BuyingFormat.BUY_IT_NOW),
    }  # fmt: skip
    if kind in shapes:
        text, value, fmt = shapes[kind]
        return text, value, fmt, Condition.USED
    if rng.random() < 0.1:  # a new one, dearer
        return title, min(ordinary * 1.15, high * 1.1), BuyingFormat.BUY_IT_NOW, Condition.NEW
    return title, ordinary, BuyingFormat.BUY_IT_NOW, Condition.USED


_FAULTS = ("faulty, spares or repair", "for parts, won't turn on", "cracked screen",
           "not working")  # fmt: skip


def _draw(rng: random.Random) -> str:
    roll, total = rng.random(), 0.0
    for kind, share in KINDS:
        total += share
        if roll < total:
            return kind
    return "ordinary"


def careful_reader(truth: Truth, verdict: PriceVerdict) -> tuple[bool, str]:
    """Would someone who knows the market call this verdict wrong? Against the catalogue's
    typical range for the model (its midpoint as the true usual price)."""
    if truth.kind in ("accessory", "missed accessory", "faulty", "bundle", "wanted",
                      "auction", "sibling"):  # fmt: skip
        return True, f"a {truth.kind} listing judged as the item"
    mid = Decimal(truth.low + truth.high) / 2
    if abs(verdict.usual - mid) / mid > Decimal("0.12"):
        return True, f"usual price off: the model's midpoint is £{mid:.0f}"
    percent = (verdict.price - mid) / mid * 100
    fair = (
        VerdictKind.UNDER if percent <= -10 else VerdictKind.ABOVE if percent >= 10
        else VerdictKind.ABOUT
    )  # fmt: skip
    near_edge = abs(abs(percent) - 10) < 4
    if fair is not verdict.kind and not near_edge:
        return True, f"against the midpoint it is {fair.value} ({percent:+.0f} %)"
    return False, f"{percent:+.0f} % against the model's midpoint £{mid:.0f}"


async def run(args: argparse.Namespace) -> None:
    stream = Stream(args.seed)
    stream.generate()
    # The same stream without the feature first (samples and verdicts switched off): the
    # write path's cost with it is compared with this baseline of the same run.
    real = (prices.new_samples, prices.judge_intents)
    prices.new_samples = _no_samples  # type: ignore[assignment]
    prices.judge_intents = _no_verdicts  # type: ignore[assignment]
    try:
        await simulate(stream, args, report_it=False)  # warm-up, not counted
        baseline = await simulate(stream, args, report_it=False)
    finally:
        prices.new_samples, prices.judge_intents = real  # type: ignore[assignment]
    timed = await simulate(stream, args, report_it=True)
    base_p50, base_p95 = _pct(baseline, 50), _pct(baseline, 95)
    p50, p95 = _pct(timed, 50), _pct(timed, 95)
    print(
        f"\nrecord_fetch per fetch (ms), {len(timed)} fetches: with prices p50 {p50:.2f} "
        f"p95 {p95:.2f}; without p50 {base_p50:.2f} p95 {base_p95:.2f}; "
        f"ratio p50 {p50 / base_p50:.2f}x, p95 {p95 / base_p95:.2f}x"
    )


async def _no_samples(*args: object) -> prices.NewSamples:
    return prices.NewSamples()


async def _no_verdicts(
    conn: object, judged: list[prices.Judged], now: datetime, rates: object
) -> tuple[list[AlertIntent], set[int]]:
    return [j.intent for j in judged], set()


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * q // 100)]


async def simulate(stream: Stream, args: argparse.Namespace, *, report_it: bool) -> list[float]:
    """The stream through the runner's write path; the ms each fetch took to store."""
    timings: list[float] = []
    folder = Path(tempfile.mkdtemp(prefix="verdicts-bench-"))
    async with open_database(f"sqlite://{folder / 'bench.sqlite3'}"):
        account = await Account.create()
        destination = await Destination.create(platform=Platform.CONSOLE, chat_id="bench",
                                               account=account)  # fmt: skip
        searches, criteria = [], {}
        for watched in WATCHED:
            wanted = Criteria(keywords=watched.keywords, accessory_words=watched.accessory_words)
            search = await Search.create(
                account=account, destination=destination, name=watched.keywords,
                criteria=wanted.to_json(), marketplaces=["sandbox"], channels=["chat"],
                interval_seconds=600, primed_at=START - timedelta(hours=1), next_check_at=START,
            )  # fmt: skip
            searches.append(search)
            criteria[search.id] = wanted
        deals_only = Criteria(keywords="switch oled", deals_only_percent=20,
                              accessory_words=_template_words("vintage-gaming"))  # fmt: skip
        picky = await Search.create(
            account=account, destination=destination, name="switch oled (deals only)",
            criteria=deals_only.to_json(), marketplaces=["sandbox"], channels=["chat"],
            interval_seconds=600, primed_at=START - timedelta(hours=1), next_check_at=START,
        )  # fmt: skip
        searches.append(picky)
        criteria[picky.id] = deals_only
        platforms = {s.id: "console" for s in searches}
        moment, pending = START, sorted(stream.listings, key=lambda i: i.posted_at or START)
        posted: list[ListingData] = []
        while pending:
            moment += STEP
            batch = [i for i in pending if (i.posted_at or START) < moment]
            pending = pending[len(batch) :]
            posted.extend(batch)
            page = posted[-PAGE:]  # a fetch answers the newest page, seen or not
            started = time.perf_counter()
            await record_fetch(searches, criteria, page, moment, platforms)
            timings.append((time.perf_counter() - started) * 1000)
        if report_it:
            await report(stream, searches, picky, moment, args)
    return timings


async def report(
    stream: Stream, searches: list[Search], picky: Search, now: datetime, args: argparse.Namespace
) -> None:
    alerts = await Alert.filter(match__search_id__in=[s.id for s in searches]).select_related(
        "match__listing", "match__search__destination", "match__search__account"
    )
    kinds = Counter(stream.truth[a.match.listing.external_id].kind for a in alerts
                    if a.match.search_id != picky.id)  # fmt: skip
    judged = [
        (a, PriceVerdict.from_json(a.verdict))
        for a in alerts
        if a.match.search_id != picky.id and a.verdict
    ]
    warm = [(a, v) for a, v in judged if v is not None and a.created_at >= START + WARM_UP]
    print(f"listings generated: {len(stream.listings)}; alerts (5 searches): {sum(kinds.values())}")
    print("alerts by what the listing really was:", dict(sorted(kinds.items())))
    print(f"alerts with a verdict: {len(judged)} (after the first week: {len(warm)})")
    by_kind = Counter(stream.truth[a.match.listing.external_id].kind for a, _ in warm)
    print("verdicts by what the listing really was:", dict(sorted(by_kind.items())))
    deals = [(a, v) for a, v in warm if stream.truth[a.match.listing.external_id].kind == "deal"]
    called = sum(1 for _, v in deals if v is not None and v.kind is VerdictKind.UNDER)
    print(f"planted bargains with a verdict: {len(deals)}, called 'under the usual': {called}")
    offs = []
    for a, v in warm:
        t = stream.truth[a.match.listing.external_id]
        mid = Decimal(t.low + t.high) / 2
        if t.model in {w.model for w in WATCHED} and v is not None:
            offs.append(float(abs(v.usual - mid) / mid * 100))
    offs.sort()
    if offs:
        print(f"usual price vs the catalogue midpoint: median {offs[len(offs) // 2]:.1f} %, "
              f"p95 {offs[int(len(offs) * 0.95)]:.1f} %")  # fmt: skip
    picky_alerts = [a for a in alerts if a.match.search_id == picky.id]
    plain = next(s for s in searches if s.name == "switch oled")
    plain_count = sum(1 for a in alerts if a.match.search_id == plain.id)
    print(f"deals only (20 % under) on 'switch oled': {len(picky_alerts)} alerts "
          f"against {plain_count} without")  # fmt: skip
    await write_sample(stream, warm, args.sample, args.seed)
    await show_examples(warm, now)
    view = await prices.view_for_search(searches[0].account, searches[0].id, now)  # type: ignore[arg-type]
    png = await asyncio.to_thread(chart_png, view)
    await asyncio.to_thread(_write, args.chart, png)
    print(f"\n/prices {searches[0].id}:\n{figures_text(view)}\nchart: {args.chart}")


async def write_sample(
    stream: Stream, warm: list[tuple[Alert, PriceVerdict | None]], path: Path, seed: int
) -> None:
    rng = random.Random(seed + 1)
    sample = rng.sample(warm, min(50, len(warm)))
    sample.sort(key=lambda p: p[0].id)
    lines = [
        "# 50 price verdicts from `bench/verdicts.py` (a random sample after the first week)",
        "",
        "What each listing really was comes from the generator; the last columns are a careful",
        "reader's call against the catalogue's typical UK range for the model (its midpoint as",
        "the true usual price). Re-run: `.venv/bin/python bench/verdicts.py`.",
        "",
        "| # | search | listing | really | verdict | wrong? | why |",
        "|---|---|---|---|---|---|---|",
    ]
    wrong = 0
    for n, (alert, verdict) in enumerate(sample, 1):
        assert verdict is not None
        listing = alert.match.listing
        truth = stream.truth[listing.external_id]
        bad, why = careful_reader(truth, verdict)
        wrong += bad
        lines.append(
            f"| {n} | {alert.match.search.name} | {listing.title} (£{listing.price}) | "
            f"{truth.kind}, {truth.model} £{truth.low}–{truth.high} | {verdict_text(verdict)} | "
            f"{'**wrong**' if bad else 'right'} | {why} |"
        )
    lines += ["", f"Wrong by that rule: **{wrong} of {len(sample)}**."]
    await asyncio.to_thread(_write, path, ("\n".join(lines) + "\n").encode())
    print(f"\n50 sampled verdicts: {wrong} wrong by the careful-reader rule; list in {path}")


async def show_examples(warm: list[tuple[Alert, PriceVerdict | None]], now: datetime) -> None:
    shown: dict[VerdictKind, Alert] = {}
    for alert, verdict in warm:
        if verdict is not None and verdict.kind not in shown:
            shown[verdict.kind] = alert
    for kind in (VerdictKind.UNDER, VerdictKind.ABOUT, VerdictKind.ABOVE):
        if kind in shown:
            message = alert_message(shown[kind])
            print("\n" + "\n".join(alert_lines(message, message.listing.posted_at or now)))


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--sample", type=Path, default=Path("bench/output/verdicts-50.md"))
    parser.add_argument("--chart", type=Path, default=Path("bench/output/prices-iphone13.png"))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
