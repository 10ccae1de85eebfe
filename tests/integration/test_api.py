"""The JSON API (issue 17) over real local HTTP: every endpoint, every error shape, rights,
plan limits, pagination, rate limit, body limit and Idempotency-Key. Every answer is checked
against the published OpenAPI document by the client (tests/integration/api_client.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from core import accounts, api_tokens, templates
from core.criteria import Criteria
from core.enums import AlertKind, AlertStatus, ApiScope, Channel, MatchStatus, Platform, Tier
from core.models import Alert, Listing, Match, Search
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from core.verdict import PriceVerdict, VerdictKind
from tests.integration.api_client import (
    MARKETPLACES,
    NOW,
    Api,
    Clock,
    ContractViolation,
    Person,
    api_app,
    person,
    serving_api,
)
from web.api import ApiOptions
from web.api.endpoints import ENDPOINTS
from web.api.framework import Endpoint
from web.api.openapi import MissingSchema, build_openapi


@pytest.fixture
async def api(db: str) -> AsyncIterator[Api]:
    async with serving_api() as running:
        yield running


@pytest.fixture
async def ann(db: str) -> Person:
    return await person("1001")


@pytest.fixture
async def eve(db: str) -> Person:
    return await person("1002")


def search_body(destination: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Cheap PS5",
        "destination_id": destination,
        "criteria": {"keywords": "ps5 OR playstation", "max_price": "300", "exclude": ["broken"]},
        "marketplaces": ["sandbox"],
        "interval_seconds": 1800,
    }
    body.update(changes)
    return body


async def make_search(who: Person, name: str = "Road bike", **kw: Any) -> Search:
    service = SearchService(TierTable.default(), MARKETPLACES)
    draft = SearchDraft(name, Criteria(keywords=name.lower()), ("sandbox",), 1800)
    return await service.create(who.account, kw.get("destination", who.destination), draft)


async def make_match(search: Search, n: int, *, marketplace: str = "sandbox") -> Match:
    now = datetime.now(UTC)
    listing = await Listing.create(
        marketplace=marketplace,
        external_id=f"{marketplace}-{search.id}-{n}",
        url=f"https://example.test/{n}",
        title=f"Item {n}",
        price=Decimal("99.50"),
        first_seen_at=now,
        last_seen_at=now,
    )
    return await Match.create(search=search, listing=listing)


# --- authentication -----------------------------------------------------------------------


async def test_requests_without_a_usable_token_are_401_json(api: Api, ann: Person) -> None:
    short = await api_tokens.create(ann.account.id, "short", ApiScope.READ, 1, NOW)
    gone = await api_tokens.create(ann.account.id, "gone", ApiScope.READ, None, NOW)
    await api_tokens.revoke(ann.account.id, "gone")
    api.clock.advance(2 * 86400)  # the one-day token has expired
    cases = [
        {"token": ""},
        {"token": "", "headers": {"Authorization": f"Basic {ann.write}"}},
        {"token": "mmk_" + "x" * 43},
        {"token": gone.secret},
        {"token": short.secret},
    ]
    for case in cases:
        answer = await api.get("/api/v1/searches", **case)
        assert answer.status == 401, case
        assert answer.code == "unauthorized" and "Bearer" in answer.message
        assert answer.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert (await api.get("/api/v1/searches", token=ann.write)).status == 200


async def test_a_read_only_token_reads_but_cannot_write(api: Api, ann: Person) -> None:
    search = await make_search(ann)
    api.token = ann.read
    assert (await api.get(f"/api/v1/searches/{search.id}")).status == 200
    for method, path, body in [
        ("POST", "/api/v1/searches", search_body(ann.destination.id)),
        ("PATCH", f"/api/v1/searches/{search.id}", {"name": "x"}),
        ("POST", f"/api/v1/searches/{search.id}/pause", None),
        ("DELETE", f"/api/v1/searches/{search.id}", None),
    ]:
        answer = await api.call(method, path, body)
        assert (answer.status, answer.code) == (403, "read_only_token"), path
    assert await Search.filter(account_id=ann.account.id).count() == 1
    assert (await Search.get(id=search.id)).status.value == "active"


# --- account, destinations, templates -----------------------------------------------------


async def test_account_shows_plan_limits_usage_and_the_token(api: Api, ann: Person) -> None:
    ann.account.tier = Tier.PRO
    await ann.account.save()
    search = await make_search(ann)
    await make_match(search, 1)
    answer = await api.get("/api/v1/account", token=ann.read)
    assert answer.status == 200
    assert answer.body["plan"] == "pro"
    assert answer.body["limits"] == {
        "max_active_searches": 25,
        "max_marketplaces_per_search": 3,
        "fastest_interval_seconds": 300,
    }
    assert answer.body["usage"]["active_searches"] == 1 and answer.body["usage"]["matches"] == 1
    assert answer.body["token"] == {"name": "r", "scope": "read"}


async def test_destinations_lists_only_your_active_ones(api: Api, ann: Person, eve: Person) -> None:
    group = await accounts.destination_for(
        ann.account, Platform.TELEGRAM, "-100", kind="supergroup", title="Flippers"
    )
    gone = await accounts.destination_for(ann.account, Platform.TELEGRAM, "-200", kind="group")
    gone.active = False
    await gone.save()
    answer = await api.get("/api/v1/destinations", token=ann.read)
    assert [(d["id"], d["kind"]) for d in answer.body["items"]] == [
        (ann.destination.id, "private"),
        (group.id, "supergroup"),
    ]
    assert answer.body["items"][1]["title"] == "Flippers"


async def test_templates_list_and_make_a_search(api: Api, ann: Person, eve: Person) -> None:
    await templates.seed_templates()
    listed = await api.get("/api/v1/templates", token=ann.read)
    slugs = [t["slug"] for t in listed.body["items"]]
    assert "iphone-flips-uk" in slugs and listed.body["items"][0]["featured"]
    iphone = next(t for t in listed.body["items"] if t["slug"] == "iphone-flips-uk")
    assert iphone["criteria"]["min_price"] == "100"

    made = await api.post(
        "/api/v1/templates/iphone-flips-uk/searches",
        {"destination_id": ann.destination.id, "marketplace": "ebay"},
        token=ann.write,
    )
    assert made.status == 201
    assert (made.body["name"], made.body["marketplaces"]) == ("iPhone Flips UK", ["ebay"])
    assert made.body["interval_seconds"] == 1800
    missing = await api.post(
        "/api/v1/templates/nope/searches", {"destination_id": ann.destination.id}, token=ann.write
    )
    assert (missing.status, missing.message) == (404, "There is no template called 'nope'.")
    theirs = await api.post(
        "/api/v1/templates/iphone-flips-uk/searches",
        {"destination_id": eve.destination.id},
        token=ann.write,
    )
    assert theirs.status == 422 and "not one of your active destinations" in theirs.message
    odd = await api.post(
        "/api/v1/templates/iphone-flips-uk/searches",
        {"destination_id": ann.destination.id, "marketplace": "mars"},
        token=ann.write,
    )
    assert odd.status == 422 and odd.message.startswith("Choose marketplaces from: sandbox")


# --- searches -----------------------------------------------------------------------------


async def test_search_lifecycle(api: Api, ann: Person) -> None:
    api.token = ann.write
    made = await api.post("/api/v1/searches", search_body(ann.destination.id))
    assert made.status == 201
    search_id = made.body["id"]
    assert made.body["criteria"]["max_price"] == "300"
    assert made.body["criteria"]["exclude"] == ["broken"]
    assert (made.body["status"], made.body["read_only"], made.body["channels"]) == (
        "active",
        False,
        ["chat"],
    )
    got = await api.get(f"/api/v1/searches/{search_id}")
    assert got.body == made.body
    listed = await api.get("/api/v1/searches")
    assert [s["id"] for s in listed.body["items"]] == [search_id]

    changed = await api.call(
        "PATCH",
        f"/api/v1/searches/{search_id}",
        {"name": "PS5 deals", "criteria": {"min_price": "100"}, "interval_seconds": 3600},
    )
    assert changed.status == 200
    assert changed.body["name"] == "PS5 deals" and changed.body["interval_seconds"] == 3600
    # Criteria fields not sent stay.
    assert changed.body["criteria"]["keywords"] == "ps5 OR playstation"
    assert (changed.body["criteria"]["min_price"], changed.body["criteria"]["max_price"]) == (
        "100",
        "300",
    )

    paused = await api.post(f"/api/v1/searches/{search_id}/pause")
    assert (paused.status, paused.body["status"]) == (200, "paused")
    resumed = await api.post(f"/api/v1/searches/{search_id}/resume")
    assert (resumed.status, resumed.body["status"]) == (200, "active")

    deleted = await api.call("DELETE", f"/api/v1/searches/{search_id}")
    assert (deleted.status, deleted.body) == (204, None)
    again = await api.get(f"/api/v1/searches/{search_id}")
    assert (again.status, again.code, again.message) == (
        404,
        "not_found",
        f"You have no search #{search_id}.",
    )


async def test_create_refuses_with_the_chats_words(api: Api, ann: Person, eve: Person) -> None:
    api.token = ann.write
    group = await accounts.destination_for(
        ann.account, Platform.TELEGRAM, "-100", kind="supergroup"
    )
    cases = [
        (
            {"criteria": {"keywords": "ps5", "min_price": "300", "max_price": "100"}},
            "The minimum price is above the maximum price.",
        ),
        (
            {"criteria": {"keywords": "ps5", "radius_miles": 900}},
            "Radius must be between 1 and 500 miles.",
        ),
        ({"name": "x" * 81}, "A name needs 1 to 80 characters."),
        (
            {"marketplaces": ["mars"]},
            "Choose marketplaces from: sandbox, ebay, gumtree, craigslist.",
        ),
        ({"interval_seconds": 10 * 86400}, "The slowest check is once a day."),
        (
            {"channels": ["chat", "email"]},
            "Verify your email destination in your settings before using it.",
        ),
        ({"destination_id": eve.destination.id}, "is not one of your active destinations"),
        ({"destination_id": group.id}, "set up in that chat"),
    ]
    for changes, words in cases:
        answer = await api.post("/api/v1/searches", search_body(ann.destination.id, **changes))
        assert (answer.status, answer.code) == (422, "invalid"), changes
        assert words in answer.message, (changes, answer.message)
    assert await Search.all().count() == 0


async def test_plan_limits_apply_as_in_the_chat(api: Api, db: str) -> None:
    free = await person("3003", Tier.FREE)
    api.token = free.write
    fast = await api.post("/api/v1/searches", search_body(free.destination.id, interval_seconds=60))
    assert (fast.status, fast.code) == (403, "plan_limit")
    assert fast.message == "Your free plan checks at most every 30 min: pick a slower check."
    wide = await api.post(
        "/api/v1/searches", search_body(free.destination.id, marketplaces=["sandbox", "ebay"])
    )
    assert wide.message == "Your free plan allows 1 marketplace(s) per search: pick fewer."
    for _ in range(2):
        assert (await api.post("/api/v1/searches", search_body(free.destination.id))).status == 201
    third = await api.post("/api/v1/searches", search_body(free.destination.id))
    assert (third.status, third.code) == (403, "plan_limit")
    assert third.message == (
        "Your free plan allows 2 active searches and you have 2: pause or delete one first."
    )
    first = (await api.get("/api/v1/searches")).body["items"][0]["id"]
    await api.post(f"/api/v1/searches/{first}/pause")
    assert (await api.post("/api/v1/searches", search_body(free.destination.id))).status == 201
    resumed = await api.post(f"/api/v1/searches/{first}/resume")
    assert (resumed.status, resumed.code) == (403, "plan_limit")


async def test_request_validation_errors(api: Api, ann: Person) -> None:
    api.token = ann.write
    bad_json = await api.call("POST", "/api/v1/searches", data=b"{not json")
    assert (bad_json.status, bad_json.code) == (400, "invalid_json")
    no_body = await api.post("/api/v1/searches")
    assert (no_body.status, no_body.code) == (422, "invalid_request")
    typo = await api.post("/api/v1/searches", search_body(ann.destination.id, colour="red"))
    assert (typo.status, typo.message) == (422, "colour: Extra inputs are not permitted")
    missing = search_body(ann.destination.id)
    del missing["criteria"]
    answer = await api.post("/api/v1/searches", missing)
    assert answer.message == "criteria: Field required"
    channel = await api.post("/api/v1/searches", search_body(ann.destination.id, channels=["fax"]))
    assert channel.status == 422 and channel.message.startswith("channels.0:")
    query = await api.get("/api/v1/searches", params={"x": "1"})
    assert (query.status, query.code) == (422, "invalid_request")


async def test_group_searches_are_read_only(api: Api, ann: Person) -> None:
    group = await accounts.destination_for(
        ann.account, Platform.TELEGRAM, "-100", kind="supergroup"
    )
    search = await make_search(ann, destination=group)
    api.token = ann.write
    got = await api.get(f"/api/v1/searches/{search.id}")
    assert got.status == 200 and got.body["read_only"] is True
    for method, suffix, body in [
        ("PATCH", "", {"name": "mine now"}),
        ("POST", "/pause", None),
        ("POST", "/resume", None),
        ("DELETE", "", None),
    ]:
        answer = await api.call(method, f"/api/v1/searches/{search.id}{suffix}", body)
        assert (answer.status, answer.code) == (403, "shared_search_read_only"), suffix
        assert "group or channel" in answer.message
    stored = await Search.get(id=search.id)
    assert (stored.name, stored.status.value) == ("Road bike", "active")


async def test_another_accounts_ids_are_invisible(api: Api, ann: Person, eve: Person) -> None:
    theirs = await make_search(eve)
    their_match = await make_match(theirs, 1)
    mine = await make_search(ann)
    my_match = await make_match(mine, 1)
    missing_search, missing_match = theirs.id + 100, their_match.id + 100
    api.token = ann.write
    probes = [
        ("GET", "/api/v1/searches/{s}", None),
        ("PATCH", "/api/v1/searches/{s}", {"name": "stolen"}),
        ("DELETE", "/api/v1/searches/{s}", None),
        ("POST", "/api/v1/searches/{s}/pause", None),
        ("POST", "/api/v1/searches/{s}/resume", None),
        ("GET", "/api/v1/searches/{s}/matches", None),
        ("GET", "/api/v1/matches/{m}", None),
        ("POST", "/api/v1/matches/{m}/save", None),
        ("POST", "/api/v1/matches/{m}/hide", None),
        ("POST", "/api/v1/matches/{m}/unhide", None),
        ("GET", "/api/v1/matches/{m}/alerts", None),
    ]
    for method, template, body in probes:
        real = await api.call(method, template.format(s=theirs.id, m=their_match.id), body)
        fake = await api.call(method, template.format(s=missing_search, m=missing_match), body)
        assert (real.status, real.code) == (fake.status, fake.code) == (404, "not_found")
        # The same words, but for the number.
        assert real.message.replace(str(theirs.id), "N").replace(str(their_match.id), "N") == (
            fake.message.replace(str(missing_search), "N").replace(str(missing_match), "N")
        )
    assert [s["id"] for s in (await api.get("/api/v1/searches")).body["items"]] == [mine.id]
    everything = await api.get("/api/v1/matches")
    assert [m["id"] for m in everything.body["items"]] == [my_match.id]
    filtered = await api.get("/api/v1/matches", params={"search_id": str(theirs.id)})
    assert filtered.status == 404
    stored = await Search.get(id=theirs.id)
    assert (stored.name, stored.status.value) == ("Road bike", "active")
    assert (await Match.get(id=their_match.id)).status is MatchStatus.NEW


async def test_odd_ids_and_paths(api: Api, ann: Person) -> None:
    api.token = ann.read
    huge = await api.get("/api/v1/searches/99999999999999999999")
    assert (huge.status, huge.code) == (404, "not_found")
    word = await api.get("/api/v1/searches/abc")
    assert (word.status, word.code) == (404, "not_found")
    nowhere = await api.get("/api/v1/nowhere")
    assert (nowhere.status, nowhere.message) == (404, "There is no such API endpoint.")
    wrong = await api.call("PUT", "/api/v1/searches")
    assert (wrong.status, wrong.code) == (405, "method_not_allowed")
    assert wrong.headers["Allow"] == "GET, POST"


# --- matches and alerts --------------------------------------------------------------------


async def test_matches_page_newest_first_stable_under_inserts_and_deletes(
    api: Api, ann: Person
) -> None:
    search = await make_search(ann)
    made = [await make_match(search, n) for n in range(7)]
    api.token = ann.write
    first = await api.get("/api/v1/matches", params={"limit": "3"})
    assert [m["id"] for m in first.body["items"]] == [m.id for m in made[6:3:-1]]
    assert first.body["items"][0]["verdict"] is None
    assert first.body["items"][0]["listing"]["price"] == "99.50"
    # Meanwhile a new match arrives and one on the next page is deleted.
    await make_match(search, 99)
    await Match.filter(id=made[2].id).delete()
    cursor = first.body["next_cursor"]
    second = await api.get("/api/v1/matches", params={"limit": "3", "cursor": cursor})
    assert [m["id"] for m in second.body["items"]] == [made[3].id, made[1].id, made[0].id]
    assert second.body["next_cursor"] is None
    per_search = await api.get(f"/api/v1/searches/{search.id}/matches", params={"limit": "100"})
    assert len(per_search.body["items"]) == 7
    bad = await api.get("/api/v1/matches", params={"cursor": "not-a-cursor"})
    assert (bad.status, bad.message) == (422, "cursor is not one this API gave out.")
    capped = await api.get("/api/v1/matches", params={"limit": "101"})
    assert capped.status == 422 and capped.message.startswith("limit:")


async def test_matches_share_a_created_at_and_still_page_exactly(api: Api, ann: Person) -> None:
    search = await make_search(ann)
    made = [await make_match(search, n) for n in range(5)]
    same = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
    await Match.filter(id__in=[m.id for m in made]).update(created_at=same)
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await api.get("/api/v1/matches", params=params, token=ann.read)
        seen += [m["id"] for m in page.body["items"]]
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((m.id for m in made), reverse=True)


async def test_match_filters(api: Api, ann: Person) -> None:
    search = await make_search(ann)
    old = await make_match(search, 1)
    await Match.filter(id=old.id).update(created_at=datetime(2026, 1, 1, tzinfo=UTC))
    ebay = await make_match(search, 2, marketplace="ebay")
    saved = await make_match(search, 3)
    await Match.filter(id=saved.id).update(status=MatchStatus.SAVED)
    api.token = ann.read

    async def ids(**params: str) -> list[int]:
        answer = await api.get("/api/v1/matches", params=params)
        assert answer.status == 200, answer.body
        return [m["id"] for m in answer.body["items"]]

    assert await ids(since="2026-06-01T00:00:00Z") == [saved.id, ebay.id]
    assert await ids(status="saved") == [saved.id]
    assert await ids(marketplace="ebay") == [ebay.id]
    assert await ids(marketplace="ebay", status="saved") == []
    bad = await api.get("/api/v1/matches", params={"status": "lost"})
    assert bad.status == 422 and bad.message.startswith("status:")
    naive = await api.get("/api/v1/matches", params={"since": "yesterday"})
    assert naive.status == 422


async def test_save_hide_unhide_a_match(api: Api, ann: Person) -> None:
    match = await make_match(await make_search(ann), 1)
    api.token = ann.write
    got = await api.get(f"/api/v1/matches/{match.id}")
    assert (got.body["status"], got.body["listing"]["title"]) == ("new", "Item 1")
    for action, status in [("save", "saved"), ("hide", "hidden"), ("unhide", "new")]:
        answer = await api.post(f"/api/v1/matches/{match.id}/{action}")
        assert (answer.status, answer.body["status"]) == (200, status)
        assert (await Match.get(id=match.id)).status.value == status


async def test_alerts_show_the_delivery_status_of_a_match(api: Api, ann: Person) -> None:
    match = await make_match(await make_search(ann), 1)
    now = datetime.now(UTC)
    await Alert.create(
        match=match, channel=Channel.CHAT, route="telegram", status=AlertStatus.SENT,
        attempts=1, next_attempt_at=now, created_at=now, sent_at=now,
    )  # fmt: skip
    await Alert.create(
        match=match, channel=Channel.EMAIL, route="email", status=AlertStatus.PENDING,
        attempts=2, next_attempt_at=now, created_at=now + timedelta(seconds=1),
        kind=AlertKind.PRICE_DROP, event="drop:80.00",
    )  # fmt: skip
    answer = await api.get(f"/api/v1/matches/{match.id}/alerts", token=ann.read)
    assert [(a["channel"], a["status"], a["attempts"]) for a in answer.body["items"]] == [
        ("chat", "sent", 1),
        ("email", "pending", 2),
    ]
    assert answer.body["items"][1]["kind"] == "price_drop"
    assert answer.body["items"][0]["sent_at"] is not None


# --- limits --------------------------------------------------------------------------------


async def test_the_rate_limit_is_per_token_and_shared_by_processes(db: str, ann: Person) -> None:
    clock = Clock()
    options = ApiOptions(rate_limit_per_minute=5)
    # Two web apps on one database, as two processes would be.
    async with serving_api(clock, options) as one, serving_api(clock, options) as two:
        for api in (one, two, one, two, one):
            assert (await api.get("/api/v1/account", token=ann.read)).status == 200
        over = await two.get("/api/v1/account", token=ann.read)
        assert (over.status, over.code) == (429, "rate_limited")
        assert over.headers["Retry-After"] == "50"  # the minute ends at 12:01:00
        assert "5 requests a minute" in over.message
        # Another token of the same account has its own count.
        assert (await one.get("/api/v1/account", token=ann.write)).status == 200
        clock.advance(50)
        assert (await one.get("/api/v1/account", token=ann.read)).status == 200


async def test_a_body_over_the_limit_is_413(db: str, ann: Person) -> None:
    async with serving_api(options=ApiOptions(max_body_bytes=2048)) as api:
        big = search_body(ann.destination.id, name="x" * 3000)
        answer = await api.post("/api/v1/searches", big, token=ann.write)
        assert (answer.status, answer.code) == (413, "body_too_large")

        # Without a Content-Length (chunked), the limit holds too.
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100):
                yield b" " * 100

        async with api.session.post(
            api.url + "/api/v1/searches",
            data=chunks(),
            headers={"Authorization": f"Bearer {ann.write}", "Content-Type": "application/json"},
        ) as response:
            chunked = await response.json()
            assert chunked["error"]["code"] == "body_too_large"
            status = response.status
        assert status == 413
    assert await Search.all().count() == 0


async def test_an_idempotency_key_makes_a_retried_create_create_once(api: Api, ann: Person) -> None:
    api.token = ann.write
    key = {"Idempotency-Key": "sheet-row-17"}
    body = search_body(ann.destination.id)
    first = await api.post("/api/v1/searches", body, headers=key)
    retry = await api.post("/api/v1/searches", body, headers=key)
    assert first.status == retry.status == 201
    assert retry.body == first.body and retry.headers.get("Idempotent-Replayed") == "true"
    assert await Search.all().count() == 1
    other = await api.post("/api/v1/searches", {**body, "name": "Other"}, headers=key)
    assert (other.status, other.code) == (422, "idempotency_key_reused")
    # A refusal is the first answer too: its retry gets the same refusal.
    refused_key = {"Idempotency-Key": "bad-one"}
    bad = search_body(ann.destination.id, marketplaces=["mars"])
    assert (await api.post("/api/v1/searches", bad, headers=refused_key)).status == 422
    assert (await api.post("/api/v1/searches", bad, headers=refused_key)).status == 422
    # Keys are per token: the read-write token of another account starts afresh.
    eve = await person("1002")
    theirs = await api.post(
        "/api/v1/searches", search_body(eve.destination.id), headers=key, token=eve.write
    )
    assert theirs.status == 201 and theirs.body["id"] != first.body["id"]
    too_long = await api.post("/api/v1/searches", body, headers={"Idempotency-Key": "k" * 129})
    assert (too_long.status, too_long.code) == (400, "invalid_idempotency_key")


async def test_concurrent_retries_with_one_key_create_once(api: Api, ann: Person) -> None:
    api.token = ann.write
    key = {"Idempotency-Key": "burst"}
    body = search_body(ann.destination.id)
    answers = await asyncio.gather(
        *(api.post("/api/v1/searches", body, headers=key) for _ in range(5))
    )
    assert {a.status for a in answers} <= {201, 409}
    assert await Search.all().count() == 1
    assert all(a.headers.get("Retry-After") == "1" for a in answers if a.status == 409)


# --- the OpenAPI document ------------------------------------------------------------------


async def test_every_api_route_has_an_endpoint_with_schemas(db: str) -> None:
    app = api_app(Clock())
    documented = {("/api/v1" + e.path, e.method) for e in ENDPOINTS}
    doc = build_openapi(ENDPOINTS)
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or ""
        if not path.startswith("/api/v1/") or route.method in ("HEAD", "*"):
            continue
        if path == "/api/v1/openapi.json":
            continue
        assert (path, route.method) in documented, f"{route.method} {path} has no schema"
        operation = doc["paths"][path][route.method.lower()]
        statuses = [s for s in operation["responses"] if s.startswith("2")]
        assert statuses, path
        success = operation["responses"][statuses[0]]
        assert "content" in success or statuses == ["204"], path
    assert len(documented) == len(ENDPOINTS) == sum(len(p) for p in doc["paths"].values())


def test_an_endpoint_without_a_response_schema_is_refused() -> None:
    async def nothing(call: Any) -> None:
        return None

    bad = Endpoint("GET", "/nothing", nothing, "Nothing", "x", None)
    with pytest.raises(MissingSchema, match="GET /nothing has no response schema"):
        build_openapi([*ENDPOINTS, bad])


async def test_the_published_document_is_openapi_3_1_and_its_refs_resolve(api: Api) -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    doc = api.contract.document
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # against the OpenAPI 3.1 specification's own schema
    broken = build_openapi(ENDPOINTS)
    del broken["paths"]["/api/v1/account"]["get"]["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)
    assert doc["servers"] == [{"url": "http://127.0.0.1:8080"}]
    text = str(doc)
    for name in doc["components"]["schemas"]:
        assert name.isidentifier()
    for ref in set(re.findall(r"#/components/schemas/(\w+)", text)):
        assert ref in doc["components"]["schemas"], ref
    search_post = doc["paths"]["/api/v1/searches"]["post"]
    assert search_post["x-scope"] == "write" and "201" in search_post["responses"]
    assert any(p["name"] == "Idempotency-Key" for p in search_post["parameters"])


async def test_the_contract_check_catches_a_response_that_drifts(api: Api) -> None:
    """The check every test relies on can fail: a response missing a field, a wrong type, a
    status the document does not declare."""
    contract = api.contract
    good = {"items": []}
    contract.check("GET", "/api/v1/searches", 200, good)
    with pytest.raises(ContractViolation, match="'items' is a required property"):
        contract.check("GET", "/api/v1/searches", 200, {})
    with pytest.raises(ContractViolation, match="status 418"):
        contract.check("GET", "/api/v1/searches", 418, good)
    with pytest.raises(ContractViolation):
        contract.check(
            "GET", "/api/v1/account", 200, {"id": "1", "plan": "gold", "limits": {}, "usage": {}}
        )
    with pytest.raises(ContractViolation, match="not in the OpenAPI document"):
        contract.check("GET", "/api/v1/secret", 200, good)


def test_run_mounts_the_api_with_its_settings() -> None:
    from bot.app import api_routes
    from bot.settings import Settings
    from web.api.framework import API_CONTEXT

    settings = Settings(_env_file=None, api_rate_limit=7, api_max_body_bytes=4096)  # type: ignore[call-arg]
    fresh = web.Application()
    api_routes(settings, SearchService(TierTable.default(), MARKETPLACES))(fresh)
    assert fresh[API_CONTEXT].options == ApiOptions(rate_limit_per_minute=7, max_body_bytes=4096)
    paths = {r.resource.canonical for r in fresh.router.routes() if r.resource is not None}
    assert "/api/v1/openapi.json" in paths and "/api/docs" in paths


async def test_an_unexpected_failure_is_a_500_in_the_error_shape(
    api: Api, ann: Person, caplog: pytest.LogCaptureFixture
) -> None:
    from unittest import mock

    from core import api as api_data

    with mock.patch.object(api_data, "searches_of", side_effect=RuntimeError("boom")):
        answer = await api.get("/api/v1/searches", token=ann.read)
    assert (answer.status, answer.code) == (500, "internal")
    assert "boom" not in answer.message
    assert "api: GET /searches failed" in caplog.text and ann.read not in caplog.text
    assert (await api.get("/api/v1/searches", token=ann.read)).status == 200


async def test_a_match_carries_its_latest_alerts_deal_verdict(api: Api, ann: Person) -> None:
    """Issue 16: the verdict an alert was queued with, as the chat shows it."""
    search = await make_search(ann)
    match = await make_match(search, 1)
    under = PriceVerdict(VerdictKind.UNDER, Decimal("210"), Decimal("275"), Decimal("250"),
                         Decimal("300"), -24, 48, 30, "GBP")  # fmt: skip
    now = datetime.now(UTC)
    await Alert.create(match=match, channel=Channel.EMAIL, route="email", next_attempt_at=now,
                       created_at=now, verdict=under.to_json(), verdict_kind="under")  # fmt: skip
    line = "£210 · 24 % under the usual £275 (48 listings, 30 days)"
    one = await api.get(f"/api/v1/matches/{match.id}", token=ann.read)
    assert one.body["verdict"] == line
    page = await api.get("/api/v1/matches", token=ann.read)
    assert [m["verdict"] for m in page.body["items"]] == [line]
