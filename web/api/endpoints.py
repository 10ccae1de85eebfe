"""The API's endpoints and the route table (``ENDPOINTS``): every handler calls the same core
services as the chat, so the same rights, plan limits and validation messages apply."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from core import accounts, matches, templates
from core import api as api_data
from core.api import MatchFilter
from core.criteria import Criteria
from core.enums import Channel, Condition, MatchStatus
from core.errors import InvalidCriteria
from core.searches import SearchDraft, draft_of
from web.api import schemas as s
from web.api.framework import ApiError, Call, Endpoint

# --- converting core records into the schemas ---------------------------------------------


def _criteria(data: dict[str, Any]) -> s.Criteria:
    stored = Criteria.from_json(data).to_json()
    return s.Criteria.model_validate(stored)


def _search(row: Any) -> s.Search:
    return s.Search(
        id=row.id,
        name=row.name,
        status=row.status.value,
        destination_id=row.destination_id,
        read_only=api_data.shared(row),
        criteria=_criteria(row.criteria),
        marketplaces=list(row.marketplaces),
        channels=list(row.channels),
        interval_seconds=row.interval_seconds,
        last_checked_at=row.last_checked_at,
        last_error=row.last_error,
        matches_count=row.matches_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _match(row: Any) -> s.Match:
    listing = row.listing
    return s.Match(
        id=row.id,
        search_id=row.search_id,
        status=row.status.value,
        verdict=getattr(row, "deal_verdict", None),
        created_at=row.created_at,
        updated_at=row.updated_at,
        listing=s.Listing(
            marketplace=listing.marketplace,
            external_id=listing.external_id,
            title=listing.title,
            url=listing.url,
            price=None if listing.price is None else str(listing.price),
            currency=listing.currency,
            location=listing.location,
            image_url=listing.image_url,
            condition=listing.condition,
            posted_at=listing.posted_at,
            first_seen_at=listing.first_seen_at,
        ),
    )


def _to_criteria(fields: dict[str, Any]) -> Criteria:
    """Core's Criteria, which checks them with the chat's words (InvalidCriteria)."""
    return Criteria(
        keywords=str(fields["keywords"]),
        exclude=tuple(fields.get("exclude") or ()),
        min_price=_decimal(fields.get("min_price")),
        max_price=_decimal(fields.get("max_price")),
        currency=str(fields.get("currency") or "GBP").upper(),
        location=str(fields.get("location") or ""),
        radius_miles=fields.get("radius_miles"),
        condition=Condition(fields.get("condition") or "any"),
        category=str(fields.get("category") or ""),
        max_age_hours=fields.get("max_age_hours"),
        extra=dict(fields.get("extra") or {}),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _channels(names: list[str]) -> tuple[Channel, ...]:
    return tuple(Channel(name) for name in names)


async def _writable_search(call: Call, search_id: int) -> Any:
    search = await api_data.search_of(call.principal.account_id, search_id)
    if api_data.shared(search):
        raise ApiError(
            403,
            "shared_search_read_only",
            f"Search #{search_id} posts into a group or channel: its admins manage it in "
            "that chat.",
        )
    return search


# --- account -------------------------------------------------------------------------------


async def get_account(call: Call) -> s.Account:
    account = await api_data.account(call.principal.account_id)
    limits = call.context.searches.tiers.for_tier(account.tier)
    numbers = await accounts.numbers(account.id, call.now())
    return s.Account(
        id=account.id,
        plan=account.tier.value,
        limits=s.Limits(
            max_active_searches=limits.max_searches,
            max_marketplaces_per_search=limits.max_marketplaces_per_search,
            fastest_interval_seconds=limits.fastest_interval_seconds,
        ),
        usage=s.Usage(
            active_searches=numbers.active,
            paused_searches=numbers.paused,
            matches=numbers.found,
            saved=numbers.saved,
            hidden=numbers.hidden,
            alerts_sent_last_day=numbers.alerts_day,
            alerts_sent_last_week=numbers.alerts_week,
        ),
        token=s.TokenSummary(name=call.principal.name, scope=call.principal.scope.value),
    )


# --- searches ------------------------------------------------------------------------------


async def list_searches(call: Call) -> s.SearchList:
    rows = await api_data.searches_of(call.principal.account_id)
    return s.SearchList(items=[_search(row) for row in rows])


async def get_search(call: Call) -> s.Search:
    return _search(await api_data.search_of(call.principal.account_id, call.path_id("search_id")))


async def create_search(call: Call) -> s.Search:
    body: s.SearchIn = call.body
    account = await api_data.account(call.principal.account_id)
    destination = await api_data.usable_destination(account.id, body.destination_id)
    draft = SearchDraft(
        name=body.name,
        criteria=_to_criteria(body.criteria.model_dump()),
        marketplaces=tuple(body.marketplaces),
        interval_seconds=body.interval_seconds,
        channels=_channels(list(body.channels)),
    )
    search = await call.context.searches.create(account, destination, draft)
    return _search(await api_data.search_of(account.id, search.id))


async def update_search(call: Call) -> s.Search:
    body: s.SearchPatch = call.body
    search_id = call.path_id("search_id")
    search = await _writable_search(call, search_id)
    account = await api_data.account(call.principal.account_id)
    draft = draft_of(search)
    if body.criteria is not None:
        merged = {**draft.criteria.to_json(), **body.criteria.model_dump(exclude_unset=True)}
        draft = replace(draft, criteria=_to_criteria(merged))
    if body.name is not None:
        draft = replace(draft, name=body.name)
    if body.marketplaces is not None:
        draft = replace(draft, marketplaces=tuple(body.marketplaces))
    if body.interval_seconds is not None:
        draft = replace(draft, interval_seconds=body.interval_seconds)
    if body.channels is not None:
        draft = replace(draft, channels=_channels(list(body.channels)))
    await call.context.searches.update(account, search_id, draft)
    return _search(await api_data.search_of(account.id, search_id))


async def pause_search(call: Call) -> s.Search:
    search_id = call.path_id("search_id")
    await _writable_search(call, search_id)
    account = await api_data.account(call.principal.account_id)
    await call.context.searches.pause(account, search_id)
    return _search(await api_data.search_of(account.id, search_id))


async def resume_search(call: Call) -> s.Search:
    search_id = call.path_id("search_id")
    await _writable_search(call, search_id)
    account = await api_data.account(call.principal.account_id)
    await call.context.searches.resume(account, search_id)
    return _search(await api_data.search_of(account.id, search_id))


async def delete_search(call: Call) -> None:
    search_id = call.path_id("search_id")
    await _writable_search(call, search_id)
    account = await api_data.account(call.principal.account_id)
    await call.context.searches.delete(account, search_id)


# --- templates -----------------------------------------------------------------------------


async def list_templates(call: Call) -> s.TemplateList:
    rows = await templates.list_templates()
    return s.TemplateList(
        items=[
            s.Template(
                slug=t.slug,
                name=t.name,
                category=t.category,
                description=t.description,
                featured=t.featured,
                criteria=_criteria(t.criteria),
                interval_seconds=t.interval_seconds,
            )
            for t in rows
        ]
    )


async def create_from_template(call: Call) -> s.Search:
    body: s.TemplateUseIn = call.body
    slug = call.request.match_info["slug"]
    account = await api_data.account(call.principal.account_id)
    destination = await api_data.usable_destination(account.id, body.destination_id)
    service = call.context.searches
    marketplace = body.marketplace or service.marketplaces[0]
    if marketplace not in service.marketplaces:
        raise InvalidCriteria("Choose marketplaces from: " + ", ".join(service.marketplaces) + ".")
    search = await templates.create_from_template(service, account, destination, slug, marketplace)
    return _search(await api_data.search_of(account.id, search.id))


# --- matches -------------------------------------------------------------------------------


def _filter(query: s.MatchQuery | s.SearchMatchQuery, search_id: int | None) -> MatchFilter:
    return MatchFilter(
        search_id=search_id,
        since=query.since,
        status=MatchStatus(query.status) if query.status else None,
        marketplace=query.marketplace,
    )


async def _page(call: Call, where: MatchFilter) -> s.MatchPage:
    query = call.query
    page = await api_data.match_page(call.principal.account_id, where, query.limit, query.cursor)
    return s.MatchPage(items=[_match(m) for m in page.items], next_cursor=page.next_cursor)


async def list_matches(call: Call) -> s.MatchPage:
    query: s.MatchQuery = call.query
    return await _page(call, _filter(query, query.search_id))


async def list_search_matches(call: Call) -> s.MatchPage:
    return await _page(call, _filter(call.query, call.path_id("search_id")))


async def get_match(call: Call) -> s.Match:
    return _match(await api_data.match_of(call.principal.account_id, call.path_id("match_id")))


async def _set_status(call: Call, change: Any) -> s.Match:
    match_id = call.path_id("match_id")
    account = await api_data.account(call.principal.account_id)
    await api_data.match_of(account.id, match_id)  # 404 before anything changes
    await change(account, match_id)
    return _match(await api_data.match_of(account.id, match_id))


async def save_match(call: Call) -> s.Match:
    return await _set_status(call, matches.save)


async def hide_match(call: Call) -> s.Match:
    return await _set_status(call, matches.hide)


async def unhide_match(call: Call) -> s.Match:
    return await _set_status(call, matches.unhide)


async def list_alerts(call: Call) -> s.AlertList:
    rows = await api_data.alerts_of(call.principal.account_id, call.path_id("match_id"))
    return s.AlertList(
        items=[
            s.Alert(
                id=a.id,
                channel=a.channel.value,
                kind=a.kind.value,
                event=a.event,
                status=a.status.value,
                attempts=a.attempts,
                created_at=a.created_at,
                sent_at=a.sent_at,
                clicked_at=a.clicked_at,
            )
            for a in rows
        ]
    )


# --- destinations --------------------------------------------------------------------------


async def list_destinations(call: Call) -> s.DestinationList:
    rows = await api_data.destinations_of(call.principal.account_id)
    return s.DestinationList(
        items=[
            s.Destination(
                id=d.id,
                platform=d.platform.value,
                kind=d.kind,
                title=d.title,
                created_at=d.created_at,
            )
            for d in rows
        ]
    )


# --- the route table -----------------------------------------------------------------------
_SEARCH = "/searches/{search_id}"
_MATCH = "/matches/{match_id}"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/account", get_account, "Your plan, its limits and your usage", "account",
             s.Account),
    Endpoint("GET", "/searches", list_searches, "Your searches", "searches", s.SearchList),
    Endpoint("POST", "/searches", create_search, "Create a search", "searches", s.Search,
             status=201, body=s.SearchIn, write=True),
    Endpoint("GET", _SEARCH, get_search, "One search", "searches", s.Search),
    Endpoint("PATCH", _SEARCH, update_search, "Change a search (the fields given)", "searches",
             s.Search, body=s.SearchPatch, write=True),
    Endpoint("DELETE", _SEARCH, delete_search, "Delete a search and its matches", "searches",
             None, status=204, write=True),
    Endpoint("POST", _SEARCH + "/pause", pause_search, "Pause a search", "searches", s.Search,
             write=True),
    Endpoint("POST", _SEARCH + "/resume", resume_search, "Resume a search", "searches",
             s.Search, write=True),
    Endpoint("GET", _SEARCH + "/matches", list_search_matches, "A search's matches, newest first",
             "matches", s.MatchPage, query=s.SearchMatchQuery),
    Endpoint("GET", "/templates", list_templates, "Ready-made searches", "templates",
             s.TemplateList),
    Endpoint("POST", "/templates/{slug}/searches", create_from_template,
             "Create a search from a template", "templates", s.Search, status=201,
             body=s.TemplateUseIn, write=True),
    Endpoint("GET", "/matches", list_matches, "All your matches, newest first", "matches",
             s.MatchPage, query=s.MatchQuery),
    Endpoint("GET", _MATCH, get_match, "One match", "matches", s.Match),
    Endpoint("POST", _MATCH + "/save", save_match, "Save a match's listing", "matches", s.Match,
             write=True),
    Endpoint("POST", _MATCH + "/hide", hide_match, "Hide a match's listing (no more alerts)",
             "matches", s.Match, write=True),
    Endpoint("POST", _MATCH + "/unhide", unhide_match, "Unhide a match's listing", "matches",
             s.Match, write=True),
    Endpoint("GET", _MATCH + "/alerts", list_alerts, "Delivery status of a match's alerts",
             "alerts", s.AlertList),
    Endpoint("GET", "/destinations", list_destinations,
             "Where your alerts can go (verification stays in the chat)", "destinations",
             s.DestinationList),
)  # fmt: skip

__all__ = ["ENDPOINTS"]
