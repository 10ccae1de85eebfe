"""Personal API tokens (issue 17): the core service, the /token command, the log filter."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from bot.conversation import ChatServices, ChatSession, texts
from bot.redaction import Redactor
from core import api_tokens
from core.accounts import destination_for, identify
from core.enums import ApiScope, Platform
from core.errors import InvalidCriteria, NotFound
from core.models import ApiIdempotency, ApiRateWindow, ApiToken
from core.searches import SearchService
from core.tiers import TierTable

NOW = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)


async def _account_id(user: str = "ann") -> int:
    return (await identify(Platform.CONSOLE, user)).id


async def test_a_token_is_stored_hashed_and_authenticates_its_account(db: str) -> None:
    account_id = await _account_id()
    made = await api_tokens.create(account_id, "sheet", ApiScope.WRITE, None, NOW)
    assert api_tokens.TOKEN_PATTERN.fullmatch(made.secret)
    row = await ApiToken.get(name="sheet")
    assert row.token_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    assert made.secret not in str(await ApiToken.all().values())
    assert row.hint == made.secret[-4:] and row.created_at == NOW and row.last_used_at is None

    principal = await api_tokens.authenticate(made.secret, NOW)
    assert principal is not None
    assert (principal.account_id, principal.scope, principal.can_write) == (
        account_id,
        ApiScope.WRITE,
        True,
    )
    assert (await ApiToken.get(name="sheet")).last_used_at == NOW
    # Not a write per request: within a minute last_used_at stays.
    await api_tokens.authenticate(made.secret, NOW + timedelta(seconds=30))
    assert (await ApiToken.get(name="sheet")).last_used_at == NOW


async def test_unknown_revoked_and_expired_tokens_do_not_authenticate(db: str) -> None:
    account_id = await _account_id()
    short = await api_tokens.create(account_id, "short", ApiScope.READ, 1, NOW)
    kept = await api_tokens.create(account_id, "kept", ApiScope.READ, None, NOW)
    assert await api_tokens.authenticate(short.secret, NOW + timedelta(hours=23)) is not None
    assert await api_tokens.authenticate(short.secret, NOW + timedelta(days=1)) is None
    assert await api_tokens.authenticate(kept.secret[:-1] + "x", NOW) is None
    assert await api_tokens.authenticate("mmk_short", NOW) is None
    await api_tokens.revoke(account_id, "kept")
    assert await api_tokens.authenticate(kept.secret, NOW) is None
    with pytest.raises(NotFound):
        await api_tokens.revoke(account_id, "kept")


async def test_names_days_and_the_count_are_checked(db: str) -> None:
    account_id = await _account_id()
    for bad in ("", "two words", "ü", "x" * 33, "-dash"):
        with pytest.raises(InvalidCriteria, match="token name"):
            await api_tokens.create(account_id, bad, ApiScope.READ, None, NOW)
    with pytest.raises(InvalidCriteria, match="days"):
        await api_tokens.create(account_id, "a", ApiScope.READ, 0, NOW)
    await api_tokens.create(account_id, "a", ApiScope.READ, None, NOW)
    with pytest.raises(InvalidCriteria, match="already have a token called a"):
        await api_tokens.create(account_id, "a", ApiScope.READ, None, NOW)
    # Another account may use the same name.
    await api_tokens.create(await _account_id("eve"), "a", ApiScope.READ, None, NOW)
    for n in range(api_tokens.MAX_TOKENS - 1):
        await api_tokens.create(account_id, f"t{n}", ApiScope.READ, None, NOW)
    with pytest.raises(InvalidCriteria, match="revoke one first"):
        await api_tokens.create(account_id, "one-more", ApiScope.READ, None, NOW)


async def test_the_rate_limit_counts_per_token_per_minute_in_the_database(db: str) -> None:
    account_id = await _account_id()
    one = await api_tokens.create(account_id, "one", ApiScope.READ, None, NOW)
    two = await api_tokens.create(account_id, "two", ApiScope.READ, None, NOW)
    ids = [row.id for row in await ApiToken.all().order_by("id")]
    verdicts = [await api_tokens.count_request(ids[0], 3, NOW) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after_seconds == 30  # the minute ends at 12:01:00
    assert (await api_tokens.count_request(ids[1], 3, NOW)).allowed  # its own count
    later = await api_tokens.count_request(ids[0], 3, NOW + timedelta(minutes=1))
    assert later.allowed and later.count == 1
    # The old minute's row went when the new one opened.
    assert await ApiRateWindow.filter(token_id=ids[0]).count() == 1
    assert one.secret != two.secret


async def test_an_idempotency_key_is_claimed_once_and_replays_its_answer(db: str) -> None:
    account_id = await _account_id()
    await api_tokens.create(account_id, "one", ApiScope.WRITE, None, NOW)
    token_id = (await ApiToken.get(name="one")).id
    assert (await api_tokens.begin(token_id, "k1", "f1", NOW)).fresh
    in_progress = await api_tokens.begin(token_id, "k1", "f1", NOW)
    assert not in_progress.fresh and in_progress.status is None
    await api_tokens.finish(token_id, "k1", 201, '{"id": 1}')
    replay = await api_tokens.begin(token_id, "k1", "f1", NOW)
    assert (replay.fresh, replay.status, replay.body, replay.same_request) == (
        False,
        201,
        '{"id": 1}',
        True,
    )
    assert not (await api_tokens.begin(token_id, "k1", "other", NOW)).same_request
    # Abandoned (an unexpected failure): a retry may go again.
    await api_tokens.begin(token_id, "k2", "f", NOW)
    await api_tokens.abandon(token_id, "k2")
    assert (await api_tokens.begin(token_id, "k2", "f", NOW)).fresh
    # A day on, stored answers are gone.
    assert (await api_tokens.begin(token_id, "k1", "f1", NOW + timedelta(days=2))).fresh
    assert await ApiIdempotency.filter(key="k2").count() == 0


async def _session(kind: str = "private") -> ChatSession:
    account = await identify(Platform.CONSOLE, "ann")
    destination = await destination_for(account, Platform.CONSOLE, f"chat-{kind}", kind=kind)
    services = ChatServices(SearchService(TierTable.default(), ("sandbox",)), clock=lambda: NOW)
    return ChatSession(services, account, destination)


async def test_token_create_list_revoke_in_a_private_chat(db: str) -> None:
    session = await _session()
    [made] = await session.handle("/token create sheet-sync write 30")
    secret = next(w for w in made.text.split() if w.startswith("mmk_"))
    assert made.delete_after_seconds == 60
    assert "shown only this once" in made.text and "until 2026-12-30" in made.text
    principal = await api_tokens.authenticate(secret, NOW)
    assert principal is not None and principal.scope is ApiScope.WRITE

    [read_only] = await session.handle("/token create reader")
    assert "(read)" in read_only.text and "until you revoke it" in read_only.text

    [listed] = await session.handle("/token list")
    assert "sheet-sync (write, …" in listed.text and "expires 2026-12-30" in listed.text
    assert "reader (read" in listed.text and "no expiry" in listed.text
    assert "mmk_" not in listed.text and listed.delete_after_seconds is None

    [revoked] = await session.handle("/token revoke sheet-sync")
    assert "Revoked sheet-sync" in revoked.text
    assert await api_tokens.authenticate(secret, NOW) is None
    [again] = await session.handle("/token revoke sheet-sync")
    assert again.text == "You have no token called sheet-sync."


@pytest.mark.parametrize(
    "typed",
    ["/token", "/token create", "/token create a read 3 4", "/token create a 0", "/token nope"],
)
async def test_token_usage(db: str, typed: str) -> None:
    session = await _session()
    assert [r.text for r in await session.handle(typed)] == [texts.USAGE["token"]]


async def test_token_names_are_checked_in_words(db: str) -> None:
    session = await _session()
    [reply] = await session.handle("/token create bad/name")
    assert reply.text == api_tokens.NAME_RULE


async def test_token_is_refused_in_a_group(db: str) -> None:
    session = await _session("group")
    [reply] = await session.handle("/token create sheet write")
    assert "private chat" in reply.text and "mmk_" not in reply.text
    assert await ApiToken.all().count() == 0


def test_the_log_filter_masks_api_tokens() -> None:
    secret = "mmk_" + "A1b2-C3d4_" * 4 + "xyz"
    redacted = Redactor().redact(f"GET /api/v1/account token {secret} and Bearer {secret}")
    assert secret not in redacted and secret[4:10] not in redacted
    assert "mmk_•••" in redacted
