"""Proving a destination before it gets alerts, so the bot can't be used to spam strangers.

Email and SMS: a 6-digit code is sent to the address and typed back in chat. Only a keyed
hash of the code is stored; it expires, allows a few wrong tries, and each account (and each
address, across accounts) gets a few codes a day. Webhook: a signed test delivery that the
URL must answer with 2xx. The address is written to the account only once proven.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tortoise.expressions import F

from core import destinations
from core.clock import Clock, utcnow
from core.enums import Channel
from core.errors import DeliveryError, VerificationFailed
from core.models import Account, VerificationCode
from core.numbers import parse_int
from core.records import account_record
from core.signing import KeyStore
from core.text import clean_text
from core.views import AccountView

logger = logging.getLogger(__name__)

CODE_DIGITS = 6
WEBHOOK_SECRET_PREFIX = "whsec_"
_CODE_CHANNELS = (Channel.EMAIL, Channel.SMS)


class CodeSender(Protocol):
    """Sends a verification code to an address (email or SMS). Raises ``DeliveryError``."""

    async def send_code(self, address: str, code: str, ttl_minutes: int) -> None: ...


class WebhookProbe(Protocol):
    """Makes a signed test delivery; raises ``DeliveryError`` saying why it was not 2xx."""

    async def probe(self, url: str, secret: str) -> None: ...


@dataclass(frozen=True, slots=True)
class VerificationLimits:
    code_ttl_seconds: int = 600
    max_attempts: int = 5
    # Per account and channel, and per address across all accounts, in any 24 hours.
    max_sends_per_day: int = 5
    max_sends_per_address_per_day: int = 5


@dataclass(frozen=True, slots=True)
class CodeSent:
    channel: Channel
    masked_address: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Verified:
    channel: Channel
    masked_address: str


@dataclass(frozen=True, slots=True)
class WebhookVerified:
    url: str
    secret: str


class VerificationService:
    """Starts and completes verifications; ``senders`` are the channels this server can reach."""

    def __init__(
        self,
        senders: Mapping[Channel, CodeSender],
        webhook: WebhookProbe | None = None,
        *,
        keys: KeyStore | None = None,
        limits: VerificationLimits | None = None,
        clock: Clock = utcnow,
        phone_region: str = destinations.DEFAULT_PHONE_REGION,
    ) -> None:
        self.senders = dict(senders)
        self.webhook = webhook
        self.keys = keys or KeyStore()
        self.limits = limits or VerificationLimits()
        self.clock = clock
        self.phone_region = phone_region

    def available(self) -> tuple[Channel, ...]:
        found = [c for c in _CODE_CHANNELS if c in self.senders]
        return (*found, Channel.WEBHOOK) if self.webhook is not None else tuple(found)

    # email and SMS ----------------------------------------------------------------------
    async def start(self, account: AccountView, channel: Channel, text: str) -> CodeSent:
        """Send a fresh code to the address in ``text``; earlier codes of the channel die."""
        return await self._start(await account_record(account), channel, text)

    async def _start(self, account: Account, channel: Channel, text: str) -> CodeSent:
        sender = self.senders.get(channel)
        if sender is None:
            raise VerificationFailed(f"{_label(channel)} alerts aren't available on this server.")
        address = self._normalize(channel, clean_text(text))
        masked = destinations.mask(channel, address)
        if destinations.address_of(account, channel) == address:
            raise VerificationFailed(f"{masked} is already verified.")
        now = self.clock()
        await self._check_send_limits(account, channel, address, now)
        await self._expire_open(account, channel, now)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        row = await VerificationCode.create(
            account=account,
            channel=channel,
            target=address,
            code_hash=await self._hash(account.id, channel, address, code),
            expires_at=now + timedelta(seconds=self.limits.code_ttl_seconds),
            created_at=now,
        )
        try:
            await sender.send_code(address, code, self.limits.code_ttl_seconds // 60)
        except DeliveryError as exc:
            await VerificationCode.filter(id=row.id).update(expires_at=now)
            logger.warning(
                "account %s: %s code to %s not sent: %s", account.id, channel, masked, exc
            )
            raise VerificationFailed(f"I couldn't send a code to {masked}: {exc}") from exc
        logger.info("account %s: %s code sent to %s", account.id, channel.value, masked)
        return CodeSent(channel, masked, row.expires_at)

    async def confirm(self, account: AccountView, text: str) -> Verified:
        """Check a typed code against the account's open codes (email and SMS)."""
        return await self._confirm(await account_record(account), text)

    async def _confirm(self, account: Account, text: str) -> Verified:
        code = "".join(text.split())
        if len(code) != CODE_DIGITS or parse_int(code) is None:  # ASCII digits only
            raise VerificationFailed("Type the 6-digit code you received.", reason="code_format")
        rows = await self._latest_codes(account)
        if not rows:
            raise VerificationFailed(
                "There's no code waiting. Ask for one in your settings.", reason="no_code"
            )
        now = self.clock()
        live = [r for r in rows if r.expires_at > now and r.attempts < self.limits.max_attempts]
        if not live:
            raise self._dead_code(rows)
        for row in live:
            expected = await self._hash(account.id, row.channel, row.target, code)
            if hmac.compare_digest(expected, row.code_hash):
                return await self._accept(account, row, now)
        await VerificationCode.filter(id__in=[r.id for r in live]).update(
            attempts=F("attempts") + 1
        )
        left = self.limits.max_attempts - max(r.attempts for r in live) - 1
        logger.info("account %s: wrong verification code", account.id)
        if left <= 0:
            raise VerificationFailed(
                "That code is wrong, and that was the last try. Ask for a new code.",
                reason="new_code_needed",
                channel=live[0].channel.value,
            )
        raise VerificationFailed(
            f"That code is wrong. {left} tr{'y' if left == 1 else 'ies'} left."
        )

    # webhook ----------------------------------------------------------------------------
    async def verify_webhook(self, account: AccountView, text: str) -> WebhookVerified:
        """Sign and send a test delivery to the URL; a 2xx answer verifies it."""
        return await self._verify_webhook(await account_record(account), text)

    async def _verify_webhook(self, account: Account, text: str) -> WebhookVerified:
        if self.webhook is None:
            raise VerificationFailed("Webhooks aren't available on this server.")
        url = clean_text(text).strip()
        if not url.lower().startswith(("http://", "https://")) or len(url) > 2048:
            raise VerificationFailed("Give a full http:// or https:// URL for your webhook.")
        now = self.clock()
        await self._check_send_limits(account, Channel.WEBHOOK, url, now)
        secret = await self._webhook_secret(account)
        row = await VerificationCode.create(
            account=account,
            channel=Channel.WEBHOOK,
            target=url,
            code_hash="test-delivery",
            expires_at=now,
            created_at=now,
        )
        try:
            await self.webhook.probe(url, secret)
        except DeliveryError as exc:
            logger.info("account %s: webhook test delivery failed: %s", account.id, exc)
            raise VerificationFailed(f"The test delivery failed: {exc}") from exc
        await VerificationCode.filter(id=row.id).update(used_at=now)
        await destinations.set_verified(account, Channel.WEBHOOK, url, now)
        logger.info("account %s: webhook verified", account.id)
        return WebhookVerified(url, secret)

    async def rotate_webhook_secret(self, account: AccountView) -> str:
        """A new signing secret; deliveries are signed with it from now on."""
        return await self._rotate_webhook_secret(await account_record(account))

    async def _rotate_webhook_secret(self, account: Account) -> str:
        account.webhook_secret = _new_webhook_secret()
        await account.save(update_fields=["webhook_secret"])
        logger.info("account %s: webhook secret rotated", account.id)
        return account.webhook_secret

    # helpers ----------------------------------------------------------------------------
    def _normalize(self, channel: Channel, text: str) -> str:
        if channel is Channel.EMAIL:
            return destinations.normalize_email(text)
        return destinations.normalize_phone(text, self.phone_region)

    async def _hash(self, account_id: int, channel: Channel, address: str, code: str) -> str:
        # Keyed and bound to the address: a code can't be replayed for another address, and
        # a stolen table doesn't give the codes away.
        return await self.keys.sign(f"code:v1:{account_id}:{channel.value}:{address}:{code}")

    async def _check_send_limits(
        self, account: Account, channel: Channel, address: str, now: datetime
    ) -> None:
        since = now - timedelta(days=1)
        mine = await VerificationCode.filter(
            account_id=account.id, channel=channel, created_at__gte=since
        ).count()
        theirs = await VerificationCode.filter(
            channel=channel, target=address, created_at__gte=since
        ).count()
        if (
            mine >= self.limits.max_sends_per_day
            or theirs >= self.limits.max_sends_per_address_per_day
        ):
            logger.warning("account %s: %s verification limit reached", account.id, channel)
            raise VerificationFailed(
                f"That's the most {_label(channel).lower()} verifications allowed in a day. "
                "Please try again tomorrow."
            )

    async def _expire_open(self, account: Account, channel: Channel, now: datetime) -> None:
        await VerificationCode.filter(
            account_id=account.id, channel=channel, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)

    async def _latest_codes(self, account: Account) -> list[VerificationCode]:
        """The newest unused code of each channel: only it can still be right."""
        rows = await VerificationCode.filter(
            account_id=account.id, channel__in=list(_CODE_CHANNELS), used_at__isnull=True
        ).order_by("-created_at", "-id")
        latest: dict[Channel, VerificationCode] = {}
        for row in rows:
            latest.setdefault(row.channel, row)
        return list(latest.values())

    def _dead_code(self, rows: list[VerificationCode]) -> VerificationFailed:
        row = rows[0]
        why = (
            "Too many wrong tries for that code."
            if row.attempts >= self.limits.max_attempts
            else "That code has expired."
        )
        return VerificationFailed(
            f"{why} Ask for a new one.", reason="new_code_needed", channel=row.channel.value
        )

    async def _accept(self, account: Account, row: VerificationCode, now: datetime) -> Verified:
        claimed = await VerificationCode.filter(id=row.id, used_at__isnull=True).update(used_at=now)
        if not claimed:  # the same code typed twice at once: the other one won
            raise VerificationFailed("That code was already used.")
        await destinations.set_verified(account, row.channel, row.target, now)
        masked = destinations.mask(row.channel, row.target)
        logger.info("account %s: %s verified (%s)", account.id, row.channel.value, masked)
        return Verified(row.channel, masked)

    async def _webhook_secret(self, account: Account) -> str:
        if not account.webhook_secret:
            account.webhook_secret = _new_webhook_secret()
            await account.save(update_fields=["webhook_secret"])
        return account.webhook_secret


def _new_webhook_secret() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def _label(channel: Channel) -> str:
    return {Channel.EMAIL: "Email", Channel.SMS: "SMS", Channel.WEBHOOK: "Webhook"}.get(
        channel, channel.value
    )
