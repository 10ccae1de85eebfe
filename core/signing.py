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
import secrets

from tortoise.exceptions import IntegrityError

from core.models import Account, SigningKey
from core.numbers import parse_id

logger = logging.getLogger(__name__)

DEFAULT_KEY = "default"
_UNSUBSCRIBE_CONTEXT = "unsubscribe:v1"


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


async def unsubscribe_token(keys: KeyStore, account_id: int, email: str) -> str:
    """``<account id>.<signature>``; bound to the address, so it dies when the address changes."""
    mac = hmac.new(
        await keys.key(),
        f"{_UNSUBSCRIBE_CONTEXT}:{account_id}:{email.lower()}".encode(),
        hashlib.sha256,
    )
    return f"{account_id}.{_b64(mac.digest()[:18])}"


async def account_for_unsubscribe(keys: KeyStore, token: str) -> Account | None:
    """The account a genuine token was made for; None for anything forged or stale."""
    account_part, _, signature = token.partition(".")
    account_id = parse_id(account_part)
    if account_id is None or not signature or len(token) > 64:
        return None
    account = await Account.get_or_none(id=account_id)
    if account is None or not account.email:
        return None
    expected = await unsubscribe_token(keys, account.id, account.email)
    # As bytes: compare_digest raises TypeError on str with non-ASCII characters.
    return account if hmac.compare_digest(expected.encode(), token.encode()) else None
