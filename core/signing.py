"""Server-side signing: a random key kept in the database, and the tokens signed with it.

The key is generated on first use and stored (``SigningKey``), so every process that shares
the database signs and checks alike, and there is nothing to configure. Deleting the row
rotates it: old unsubscribe links stop working, pending verification codes become wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from tortoise.exceptions import IntegrityError

from core.models import Account, SigningKey
from core.numbers import parse_id, parse_int

logger = logging.getLogger(__name__)

DEFAULT_KEY = "default"
_UNSUBSCRIBE_CONTEXT = "unsubscribe:v2"
# ASCII only, so nothing odd (other digits, surrogates) reaches int() or compare_digest.
_UNSUBSCRIBE_TOKEN = re.compile(
    r"(?P<account>[0-9]{1,10})\.(?P<version>[0-9]{1,10})\.(?P<signature>[A-Za-z0-9_-]{24})",
    re.ASCII,
)


class KeyStore:
    """Loads (or creates, once) the named key; caches it for the life of this object."""

    def __init__(self, name: str = DEFAULT_KEY) -> None:
        self.name = name
        self._key: bytes | None = None

    async def key(self) -> bytes:
        if self._key is None:
            self._key = await _load_or_create(self.name)
        return self._key

    async def sign(self, message: str) -> str:
        """HMAC-SHA256 of ``message``, hex."""
        return hmac.new(await self.key(), message.encode(), hashlib.sha256).hexdigest()


async def _load_or_create(name: str) -> bytes:
    row = await SigningKey.get_or_none(name=name)
    if row is None:
        try:
            row = await SigningKey.create(name=name, secret=secrets.token_hex(32))
            logger.info("created signing key %r", name)
        except IntegrityError:
            # Another process created it first: use theirs.
            row = await SigningKey.get(name=name)
    return bytes.fromhex(row.secret)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def unsubscribe_token(keys: KeyStore, account_id: int, email: str, version: int) -> str:
    """``<account id>.<link version>.<signature>``, bound to the address and its version.

    It dies when the address changes, and when the address is verified again (the account's
    ``email_link_version`` moves on), so an old email cannot undo a new opt-in.
    """
    mac = hmac.new(
        await keys.key(),
        f"{_UNSUBSCRIBE_CONTEXT}:{account_id}:{version}:{email.lower()}".encode(),
        hashlib.sha256,
    )
    return f"{account_id}.{version}.{_b64(mac.digest()[:18])}"


class LinkState(StrEnum):
    CURRENT = "current"
    STALE = "stale"  # genuine, but from before the address was verified again
    INVALID = "invalid"  # forged, malformed, or for an address the account no longer has


@dataclass(frozen=True, slots=True)
class UnsubscribeLink:
    state: LinkState
    account: Account | None = None


_INVALID = UnsubscribeLink(LinkState.INVALID)


async def check_unsubscribe(keys: KeyStore, token: str) -> UnsubscribeLink:
    """What a token from an unsubscribe link is worth; never raises on odd input."""
    match = _UNSUBSCRIBE_TOKEN.fullmatch(token)
    if match is None:
        return _INVALID
    account_id = parse_id(match["account"])
    version = parse_int(match["version"])
    if account_id is None or version is None:
        return _INVALID
    account = await Account.get_or_none(id=account_id)
    if account is None or not account.email:
        return _INVALID
    expected = await unsubscribe_token(keys, account.id, account.email, version)
    # Both ASCII (the pattern above): compare_digest refuses non-ASCII str.
    if not hmac.compare_digest(expected, token):
        return _INVALID
    if version != account.email_link_version:
        return UnsubscribeLink(LinkState.STALE, account)
    return UnsubscribeLink(LinkState.CURRENT, account)
