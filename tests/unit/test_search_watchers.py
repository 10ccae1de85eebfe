"""Watchers hear of every saved search (the demo's sandbox is one); templates in the demo."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from core import templates
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Platform, Tier
from core.errors import Unavailable
from core.models import Notice, Search
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Watcher:
    def __init__(self, note: str | None = None, fail: bool = False) -> None:
        self.note = note
        self.fail = fail
        self.heard: list[tuple[str, tuple[str, ...]]] = []

    async def search_saved(self, criteria: Criteria, marketplaces: Sequence[str]) -> str | None:
        self.heard.append((criteria.keywords, tuple(marketplaces)))
        if self.fail:
            raise Unavailable("sandbox request failed", marketplace="sandbox")
        return self.note


async def test_watchers_hear_of_created_and_changed_searches_and_their_notes_reach_the_chat(
    db: str,
) -> None:
    quiet, talkative = Watcher(), Watcher(note="nothing here will match")
    service = SearchService(
        TierTable.default(), ("sandbox",), clock=lambda: NOW, watchers=[quiet, talkative]
    )
    account = await identify(Platform.CONSOLE, "local")
    destination = await destination_for(account, Platform.CONSOLE, "console")
    draft = SearchDraft("Lamps", Criteria("lamp"), ("sandbox",), 1800)
    search = await service.create(account, destination, draft)
    changed = SearchDraft("Lamps", Criteria("desk lamp"), ("sandbox",), 1800)
    await service.update(account, search.id, changed)
    assert quiet.heard == talkative.heard == [("lamp", ("sandbox",)), ("desk lamp", ("sandbox",))]
    notices = await Notice.filter(destination_id=destination.id).order_by("id")
    assert [n.text for n in notices] == [f"#{search.id} Lamps: nothing here will match"] * 2
    assert all(n.next_attempt_at > NOW for n in notices)  # after the confirmation


async def test_a_failing_watcher_does_not_stop_the_search(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = SearchService(TierTable.default(), ("sandbox",), watchers=[Watcher(fail=True)])
    account = await identify(Platform.CONSOLE, "local")
    destination = await destination_for(account, Platform.CONSOLE, "console")
    draft = SearchDraft("Lamps", Criteria("lamp"), ("sandbox",), 1800)
    search = await service.create(account, destination, draft)
    assert await Search.exists(id=search.id)
    assert "a watcher failed" in caplog.text
    assert not await Notice.exists()


def test_templates_check_at_the_demos_pace_and_at_their_own_elsewhere() -> None:
    assert TierTable.demo(2).template_interval(Tier.FREE, 1800) == 2
    assert TierTable.default().template_interval(Tier.BUSINESS, 1800) == 1800
    assert TierTable.default().template_interval(Tier.FREE, 60) == 30 * 60


async def test_a_template_search_in_the_demo_is_checked_every_few_seconds(db: str) -> None:
    await templates.seed_templates()
    service = SearchService(TierTable.demo(2), ("sandbox",))
    account = await identify(Platform.CONSOLE, "local")
    destination = await destination_for(account, Platform.CONSOLE, "console")
    search = await templates.create_from_template(
        service, account, destination, "iphone-flips-uk", "sandbox"
    )
    assert search.interval_seconds == 2
