"""OAuth client-credentials tokens for the Browse API, cached until they expire.

POST {EBAY_API_URL}/identity/v1/oauth2/token with HTTP Basic auth (client id : secret) and
``grant_type=client_credentials&scope=https://api.ebay.com/oauth/api_scope`` answers
``{"access_token": "v^1.1#…", "expires_in": 7200, "token_type": "Application Access Token"}``;
a wrong keyset answers 401 ``{"error": "invalid_client", "error_description": "…"}``.
eBay allows 1,000 such grants a day, so a token is reused until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from core.clock import Clock, utcnow
from core.errors import Blocked, ParseError
from scrapers.common import api_headers, check_status, fetch, request_timeout

__all__ = ["API_SCOPE", "EbayTokenProvider"]

logger = logging.getLogger(__name__)

API_SCOPE = "https://api.ebay.com/oauth/api_scope"
TOKEN_PATH = "/identity/v1/oauth2/token"
EXPIRY_MARGIN = timedelta(seconds=120)  # renew a little early: a request may be in flight


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: datetime


class EbayTokenProvider:
    """Hands out a valid application token; mints a new one when it nears expiry."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        client_id: str,
        client_secret: str,
        *,
        marketplace: str = "ebay",
        timeout_seconds: float = 15.0,
        clock: Clock = utcnow,
    ) -> None:
        self._session = session
        self._url = api_url.rstrip("/") + TOKEN_PATH
        # eBay: "Basic " + Base64("<client_id>:<client_secret>").
        credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._authorization = f"Basic {credentials}"
        self._marketplace = marketplace
        self._timeout = request_timeout(timeout_seconds)
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()  # concurrent searches share one grant

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or self._clock() >= self._token.expires_at:
                self._token = await self._mint()
            return self._token.value

    def invalidate(self, value: str) -> None:
        """Forget ``value`` (eBay answered 401 to it); a newer token is kept."""
        if self._token is not None and self._token.value == value:
            self._token = None

    async def _mint(self) -> _Token:
        result = await fetch(
            self._session,
            self._url,
            method="POST",
            marketplace=self._marketplace,
            deadline=self._timeout,
            headers=api_headers(Authorization=self._authorization),
            data={"grant_type": "client_credentials", "scope": API_SCOPE},
        )
        if result.status in (400, 401):
            body = _json_or_empty(result.body)
            raise Blocked(
                f"eBay refused our credentials ({body.get('error', result.status)}: "
                f"{body.get('error_description', 'no description')}); check EBAY_CLIENT_ID "
                "and EBAY_CLIENT_SECRET (a production keyset)",
                marketplace=self._marketplace,
            )
        check_status(result, "token request")
        token = _parse_token(result.json("token response"), self._marketplace, self._clock())
        logger.info("ebay: new access token, valid until %s", token.expires_at.isoformat())
        return token


def _parse_token(payload: Any, marketplace: str, now: datetime) -> _Token:
    try:
        value = payload["access_token"]
        lifetime = int(payload["expires_in"])
        if not isinstance(value, str) or not value:
            raise TypeError("access_token is not a non-empty string")
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(
            f"eBay's token response lacks a usable access_token/expires_in ({exc!r})",
            marketplace=marketplace,
        ) from exc
    expires = now + max(timedelta(seconds=lifetime) - EXPIRY_MARGIN, timedelta(seconds=30))
    return _Token(value, expires)


def _json_or_empty(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
