"""Ready-made searches a user can start from with one tap."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.expressions import F

from core.criteria import Criteria
from core.enums import BuyingFormat, Condition
from core.errors import NotFound
from core.models import Search, Template
from core.searches import SearchDraft, SearchService
from core.views import AccountView, DestinationView


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    slug: str
    name: str
    category: str
    description: str
    criteria: Criteria
    interval_seconds: int = 30 * 60
    featured: bool = False


BUILT_IN_TEMPLATES: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        "iphone-flips-uk",
        "iPhone Flips UK",
        "Phones",
        "Recent iPhones well under resale value, no broken or locked ones.",
        Criteria(
            keywords='iphone "13" OR "14" OR "15"',
            exclude=("broken", "cracked", "icloud locked", "faulty", "parts"),
            min_price=Decimal("100"),
            max_price=Decimal("450"),
            condition=Condition.USED,
            category="phones",
            deals_only_percent=15,
            accessory_words=(
                "case",
                "cover",
                "protector",
                "tempered glass",
                "box only",
                "charger",
                "cable",
            ),
        ),
        featured=True,
    ),
    TemplateSpec(
        "vintage-gaming",
        "Vintage Gaming Deals",
        "Gaming",
        "Retro consoles and boxed games: N64, SNES, Mega Drive, Game Boy.",
        Criteria(
            keywords='n64 OR snes OR "mega drive" OR "game boy" OR gamecube',
            exclude=("repro", "reproduction", "emulator"),
            max_price=Decimal("150"),
            category="gaming",
            deals_only_percent=20,
            accessory_words=("controller only", "cable", "manual only", "box only", "bundle"),
        ),
        featured=True,
    ),
    TemplateSpec(
        "designer-clothing",
        "Designer Clothing Steals",
        "Fashion",
        "Designer labels at second-hand prices; fakes filtered out.",
        Criteria(
            keywords='gucci OR prada OR burberry OR "stone island" OR moncler',
            exclude=("replica", "fake", "inspired"),
            max_price=Decimal("200"),
            category="clothing",
            deals_only_percent=25,
            accessory_words=("dust bag", "box only", "belt only", "buttons", "hanger"),
        ),
    ),
    TemplateSpec(
        "collectible-watches",
        "Collectible Watches",
        "Watches",
        "Omega, Seiko, Tudor and friends below dealer prices.",
        Criteria(
            keywords="omega OR seiko OR tudor OR longines OR tissot",
            exclude=("homage", "replica", "strap only"),
            min_price=Decimal("80"),
            max_price=Decimal("1500"),
            category="watches",
            deals_only_percent=15,
            accessory_words=("strap only", "bracelet only", "box only", "papers only", "for parts"),
        ),
        interval_seconds=60 * 60,
    ),
    TemplateSpec(
        "laptop-bargains",
        "Laptop Bargains",
        "Computers",
        "MacBooks and ThinkPads that still have years in them.",
        Criteria(
            keywords='macbook OR thinkpad OR "dell xps"',
            exclude=("spares", "repair", "no charger", "locked"),
            min_price=Decimal("120"),
            max_price=Decimal("600"),
            category="laptops",
            deals_only_percent=15,
            accessory_words=("charger", "case", "sleeve", "keyboard only", "screen only"),
        ),
        featured=True,
    ),
    TemplateSpec(
        "bicycle-deals",
        "Bicycle Deals",
        "Sports",
        "Road, gravel and mountain bikes from good brands.",
        Criteria(
            keywords="bike OR bicycle",
            exclude=("kids", "child", "frame only"),
            min_price=Decimal("80"),
            max_price=Decimal("700"),
            radius_miles=25,
            category="bicycles",
            deals_only_percent=20,
            accessory_words=("wheelset", "saddle", "pedals", "helmet", "lights", "rack"),
        ),
    ),
)


async def seed_templates() -> None:
    """Make sure the built-in templates exist (idempotent; keeps usage counts)."""
    for spec in BUILT_IN_TEMPLATES:
        await Template.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "category": spec.category,
                "description": spec.description,
                "criteria": _template_json(spec.criteria),
                "marketplaces": [],
                "interval_seconds": spec.interval_seconds,
                "featured": spec.featured,
            },
        )


async def list_templates(category: str | None = None) -> list[Template]:
    """Featured first, then the most used."""
    query = Template.all()
    if category:
        query = query.filter(category=category)
    return await query.order_by("-featured", "-usage_count", "name")


async def categories() -> list[str]:
    rows = await Template.all().distinct().order_by("category").values_list("category", flat=True)
    return [str(row) for row in rows]


async def get_template(slug: str) -> Template:
    template = await Template.get_or_none(slug=slug)
    if template is None:
        raise NotFound(f"There is no template called {slug!r}.")
    return template


def _template_json(criteria: Criteria) -> dict[str, Any]:
    """A built-in template's criteria as stored: without the buying format when it is the
    dataclass default, so a search made from it gets a new search's (Buy It Now)."""
    data = criteria.to_json()
    if criteria.buying_format is BuyingFormat.BOTH:
        del data["buying_format"]
    return data


def _new_search_criteria(data: dict[str, Any]) -> Criteria:
    """A template's criteria for a new search: Buy It Now unless the template says otherwise
    (issue 14: the default for new searches; a stored search without the field keeps both)."""
    return Criteria.from_json({"buying_format": BuyingFormat.BUY_IT_NOW.value, **data})


def draft_from_template(
    template: Template, marketplaces: tuple[str, ...], interval_seconds: int
) -> SearchDraft:
    """A draft the user can adjust; marketplaces and interval come from what they may use."""
    return SearchDraft(
        name=template.name,
        criteria=_new_search_criteria(template.criteria),
        marketplaces=marketplaces,
        interval_seconds=interval_seconds,
        template_slug=template.slug,
    )


async def create_from_template(
    searches: SearchService,
    account: AccountView,
    destination: DestinationView,
    slug: str,
    marketplace: str,
) -> Search:
    """One tap: the template on one marketplace, checked as the tier table says."""
    template = await get_template(slug)
    interval = searches.tiers.template_interval(account.tier, template.interval_seconds)
    draft = draft_from_template(template, (marketplace,), interval)
    search = await searches.create(account, destination, draft)
    await Template.filter(id=template.id).update(usage_count=F("usage_count") + 1)
    return search


async def template_by_id(template_id: int) -> Template:
    """A template by its number (a button carries it); NotFound once it is gone."""
    template = await Template.get_or_none(id=template_id)
    if template is None:
        raise NotFound("That template is no longer available.")
    return template
