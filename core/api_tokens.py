"""Personal API tokens (issue 17): made, listed and revoked from a private chat, checked on
every JSON API request, with the per-token rate limit and Idempotency-Key store they share.

A token is ``mmk_`` and 43 URL-safe characters (256 random bits). Only its SHA-256 is stored:
a secret that strong needs no slow hash, and a leaked table gives nobody a usable token. The
secret is shown once, when it is made. Everything here is counted in the database, so every
web process sees the same tokens, the same rate windows and the same stored answers.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q

from core.enums import ApiScope
from core.errors import InvalidCriteria, NotFound
from core.models import ApiIdempotency, ApiRateWindow, ApiToken

logger = logging.getLogger(__name__)

PREFIX = "mmk_"
# The shape the log filter masks (bot/redaction.py) and Bearer parsing expects.
TOKEN_PATTERN = re.compile(r"mmk_[A-Za-z0-9_-]{43}")
MAX_TOKENS = 10
MAX_DAYS = 3650
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
NAME_RULE = "A token name is 1 to 32 letters, digits, '-', '_' or '.', like sheet-sync."
# last_used_at is written at most this often per token: not a write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
RATE_WINDOW = timedelta(minutes=1)
# Stored answers to POSTs with an Idempotency-Key are kept this long.
IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as /token list shows it: never its secret."""

    name: str
    scope: ApiScope
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class NewToken:
    secret: str  # shown once, never stored
    info: TokenInfo


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as: the token's account, with the token's scope."""

    token_id: int
    account_id: int
    scope: ApiScope
    name: str

    @property
    def can_write(self) -> bool:
        return self.scope is ApiScope.WRITE


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        row.name, row.scope, row.hint, row.created_at, row.expires_at, row.last_used_at
    )


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidCriteria(NAME_RULE)
    return name


async def create(
    account_id: int, name: str, scope: ApiScope, days: int | None, now: datetime
) -> NewToken:
    """A new token for the account; InvalidCriteria (with the reason) when it cannot be made."""
    check_name(name)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidCriteria(f"A token lasts 1 to {MAX_DAYS} days (or leave it out: no expiry).")
    if await ApiToken.filter(account_id=account_id).count() >= MAX_TOKENS:
        raise InvalidCriteria(f"You have {MAX_TOKENS} tokens already: revoke one first.")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days is not None else None
    try:
        row = await ApiToken.create(
            account_id=account_id,
            name=name,
            token_hash=digest(secret),
            hint=secret[-4:],
            scope=scope,
            expires_at=expires,
            created_at=now,
        )
    except IntegrityError as exc:
        raise InvalidCriteria(f"You already have a token called {name}.") from exc
    logger.info("account %s made API token %s (%s)", account_id, row.id, scope.value)
    return NewToken(secret, _info(row))


async def list_for(account_id: int) -> list[TokenInfo]:
    rows = await ApiToken.filter(account_id=account_id).order_by("created_at", "id")
    return [_info(row) for row in rows]


async def revoke(account_id: int, name: str) -> None:
    """The token stops working at once (its row, rate windows and stored answers go)."""
    deleted = await ApiToken.filter(account_id=account_id, name=name).delete()
    if not deleted:
        raise NotFound(f"You have no token called {name}.")
    logger.info("account %s revoked an API token", account_id)


async def delete_all(account_id: int) -> int:
    """Every token of an account (the account is being deleted)."""
    ids = list(await ApiToken.filter(account_id=account_id).values_list("id", flat=True))
    await ApiIdempotency.filter(token_id__in=ids).delete()
    await ApiRateWindow.filter(token_id__in=ids).delete()
    return int(await ApiToken.filter(id__in=ids).delete())


async def authenticate(secret: str, now: datetime) -> Principal | None:
    """The principal for a bearer secret; None for an unknown, revoked or expired token."""
    if not TOKEN_PATTERN.fullmatch(secret):
        return None
    row = await ApiToken.get_or_none(token_hash=digest(secret))
    if row is None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        await ApiToken.filter(id=row.id).update(last_used_at=now)
    account_id: int = row.account_id  # type: ignore[attr-defined]
    return Principal(row.id, account_id, row.scope, row.name)


# --- the rate limit ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RateVerdict:
    allowed: bool
    count: int
    limit: int
    retry_after_seconds: int  # until the current window ends


async def count_request(token_id: int, limit: int, now: datetime) -> RateVerdict:
    """Count one request in the token's current minute, in the database (every process
    counts into the same row: an UPDATE … SET count = count + 1 is atomic on both databases)."""
    window = now.replace(second=0, microsecond=0)
    rows = ApiRateWindow.filter(token_id=token_id, window_start=window)
    if not await rows.update(count=F("count") + 1):
        try:
            await ApiRateWindow.create(token_id=token_id, window_start=window, count=1)
        except IntegrityError:  # another process opened the window first
            await rows.update(count=F("count") + 1)
        else:  # a new minute: the token's older windows are of no more use
            await ApiRateWindow.filter(token_id=token_id, window_start__lt=window).delete()
    row = await rows.first()
    count = row.count if row is not None else 0
    left = (window + RATE_WINDOW - now).total_seconds()
    return RateVerdict(count <= limit, count, limit, max(1, int(-(-left // 1))))


# --- Idempotency-Key ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Stored:
    """What the store knows of a key: nothing yet (``fresh``), an answer, or in progress."""

    fresh: bool
    status: int | None = None
    body: str = ""
    same_request: bool = True


async def begin(token_id: int, key: str, fingerprint: str, now: datetime) -> Stored:
    """Claim ``key`` for this request, or say what the first request with it got."""
    await ApiIdempotency.filter(token_id=token_id, created_at__lt=now - IDEMPOTENCY_TTL).delete()
    try:
        await ApiIdempotency.create(
            token_id=token_id, key=key, fingerprint=fingerprint, created_at=now
        )
        return Stored(fresh=True)
    except IntegrityError:
        pass
    row = await ApiIdempotency.get_or_none(token_id=token_id, key=key)
    if row is None:  # removed meanwhile (finished with an error): try once more
        return await begin(token_id, key, fingerprint, now)
    return Stored(
        fresh=False, status=row.status, body=row.body, same_request=row.fingerprint == fingerprint
    )


async def finish(token_id: int, key: str, status: int, body: str) -> None:
    await ApiIdempotency.filter(token_id=token_id, key=key).update(status=status, body=body)


async def abandon(token_id: int, key: str) -> None:
    """The first request failed unexpectedly: a retry may try again."""
    await ApiIdempotency.filter(Q(token_id=token_id) & Q(key=key) & Q(status__isnull=True)).delete()
