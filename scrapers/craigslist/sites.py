"""The Craigslist site a search uses, as the wizard asks for it."""

from __future__ import annotations

import re

from core.ports import MarketplaceQuestion
from scrapers.common import url_belongs_to

__all__ = ["LISTING_DOMAINS", "SITE_QUESTION", "parse_site_answer"]

# Where Craigslist listings live (sfbay.craigslist.org, london.craigslist.org, …): the
# click-through of alerts redirects only there (core.clicks).
LISTING_DOMAINS = ("*.craigslist.org",)

_SITE = re.compile(r"[a-z][a-z0-9]{1,29}")


def parse_site_answer(answer: str) -> str:
    """'sfbay', 'SFBay', 'sfbay.craigslist.org' or a pasted link → 'sfbay'.

    Raises ``ValueError`` with what is accepted; a link must be on craigslist.org.
    """
    text = answer.strip().lower()
    if "/" in text or "." in text:
        link = text if "://" in text else f"https://{text}"
        if not url_belongs_to(link, ("craigslist.org",)):
            raise ValueError("That link is not on craigslist.org.")
        text = link.split("://", 1)[1].split("/", 1)[0].split(".", 1)[0]
    if text in ("www", "") or not _SITE.fullmatch(text):
        raise ValueError(
            "Type the site's name, the start of its address: sfbay for sfbay.craigslist.org, "
            "or newyork, london, chicago…"
        )
    return text


SITE_QUESTION = MarketplaceQuestion(
    key="site",
    label="Craigslist site",
    prompt=(
        "Which Craigslist site? Type the start of its address — sfbay for "
        "sfbay.craigslist.org, newyork, london… — or paste a link to it."
    ),
    parse=parse_site_answer,
    suggestions=(
        ("SF Bay Area", "sfbay"),
        ("New York", "newyork"),
        ("Los Angeles", "losangeles"),
        ("Chicago", "chicago"),
        ("London", "london"),
    ),
)
