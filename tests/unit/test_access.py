"""core.access: who may act on a search or an alert, whatever the chat platform.

The platform only answers "is this user an admin of this chat?" (the AdminCheck port); the
rule and its refusals are core's.
"""

from __future__ import annotations

import pytest

from core import access
from core.accounts import destination_for, identify
from core.criteria import Criteria
from core.enums import Channel, Platform
from core.errors import Forbidden, NotFound
from core.models import Account, Search
from core.searches import SearchDraft, SearchService
from core.tiers import TierTable
from tests.unit.test_conversation import _a_match

GROUP = "-1001"


class Admins:
    """The platform's answer, as a set of (chat, user) admins."""

    def __init__(self, *admins: tuple[str, str]) -> None:
        self.admins = set(admins)
        self.asked: list[tuple[str, str]] = []

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        self.asked.append((chat_id, user_id))
        return (chat_id, user_id) in self.admins


async def _search(owner: Account, chat_id: str, kind: str) -> Search:
    destination = await destination_for(owner, Platform.TELEGRAM, chat_id, kind=kind)
    draft = SearchDraft("PS5", Criteria(keywords="ps5"), ("sandbox",), 1800, (Channel.CHAT,))
    return await SearchService(TierTable.default(), ("sandbox",)).create(owner, destination, draft)


def _actor(user: str, account: Account, chat_id: str, shared: bool) -> access.Actor:
    return access.Actor(Platform.TELEGRAM, chat_id, user, account.id, shared)


async def test_in_private_each_acts_on_their_own_only(db: str) -> None:
    ann, bob = await identify(Platform.TELEGRAM, "1"), await identify(Platform.TELEGRAM, "2")
    search = await _search(ann, "1", "private")
    admins = Admins()
    owner = await access.search_owner(_actor("1", ann, "1", False), search.id, admins)
    assert owner.id == ann.id and admins.asked == []  # no platform call in private
    with pytest.raises(Forbidden) as refused:
        await access.search_owner(_actor("2", bob, "2", False), search.id, admins)
    with pytest.raises(NotFound) as missing:
        await access.search_owner(_actor("2", bob, "2", False), search.id + 99, admins)
    assert str(refused.value).replace(str(search.id), "N") == str(missing.value).replace(
        str(search.id + 99), "N"
    )  # the same words: ids cannot be probed


async def test_in_a_group_admins_act_for_the_owner_and_others_are_refused(db: str) -> None:
    ann, bob = await identify(Platform.TELEGRAM, "1"), await identify(Platform.TELEGRAM, "2")
    search = await _search(ann, GROUP, "supergroup")
    match = await _a_match(search)
    admins = Admins((GROUP, "2"))
    owner = await access.search_owner(_actor("2", bob, GROUP, True), search.id, admins)
    assert owner.id == ann.id  # bob, an admin, acts on behalf of ann's search
    found, acting = await access.match_owner(_actor("2", bob, GROUP, True), match.id, admins)
    assert (found.id, acting.id) == (match.id, ann.id)
    with pytest.raises(Forbidden, match="Only this group's admins"):
        await access.search_owner(_actor("1", ann, GROUP, True), search.id, Admins())
    # An admin of another group cannot reach this group's search.
    with pytest.raises(Forbidden):
        await access.search_owner(
            _actor("2", bob, "-1002", True), search.id, Admins(("-1002", "2"))
        )


async def test_the_refusal_in_a_discord_channel_speaks_of_manage_server(db: str) -> None:
    # Discord has no "group admins": the words name what grants the right there.
    ann = await identify(Platform.DISCORD, "1")
    actor = access.Actor(Platform.DISCORD, "555", "1", ann.id, True)
    with pytest.raises(Forbidden, match="Manage Server") as refused:
        await access.require_manager(actor, Admins())
    assert "group" not in str(refused.value)
