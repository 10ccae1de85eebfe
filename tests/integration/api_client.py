"""A test client for the JSON API (issue 17) over real local HTTP, that checks every answer
against the OpenAPI document the server publishes (the contract test): an answer whose
status the document does not declare, or whose body does not fit the declared schema, fails
the test that made the request."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from jsonschema import Draft202012Validator

from core import accounts, api_tokens
from core.enums import ApiScope, Platform, Tier
from core.metrics import Metrics
from core.models import Account, Destination
from core.searches import SearchService
from core.tiers import TierTable
from web import HealthProbe, build_web_app, running_web
from web.api import ApiOptions, add_api_routes

NOW = datetime(2026, 11, 30, 12, 0, 10, tzinfo=UTC)
MARKETPLACES = ("sandbox", "ebay", "gumtree", "craigslist")


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class ContractViolation(AssertionError):
    pass


@dataclass
class Contract:
    """The published OpenAPI document, and the check of one answer against it."""

    document: dict[str, Any]
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for template, item in self.document["paths"].items():
            pattern = "^" + re.sub(r"\{\w+\}", r"[^/]+", template) + "$"
            if re.match(pattern, path) and method.lower() in item:
                return template, item[method.lower()]
        return None

    def check(self, method: str, path: str, status: int, body: Any) -> None:
        found = self.operation(method, path)
        if found is None:
            if status in (404, 405) and _is_error(body):
                return  # not an endpoint: the catch-all's JSON error
            raise ContractViolation(f"{method} {path}: not in the OpenAPI document")
        template, operation = found
        declared = operation["responses"].get(str(status))
        if declared is None:
            raise ContractViolation(f"{method} {template}: status {status} is not declared")
        content = declared.get("content")
        if content is None:
            if body is not None:
                raise ContractViolation(f"{method} {template}: {status} should have no body")
        else:
            schema = {**content["application/json"]["schema"]}
            schema["components"] = self.document["components"]
            errors = sorted(
                Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.path)
            )
            if errors:
                raise ContractViolation(
                    f"{method} {template} {status}: {errors[0].message} at {list(errors[0].path)}"
                )
        self.checked.append((method, template, status))


def _is_error(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"error"}
        and set(body["error"])
        == {
            "code",
            "message",
        }
    )


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def code(self) -> str:
        return str(self.body["error"]["code"])

    @property
    def message(self) -> str:
        return str(self.body["error"]["message"])


@dataclass
class Api:
    url: str
    session: aiohttp.ClientSession
    contract: Contract
    clock: Clock
    token: str = ""

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        bearer = self.token if token is None else token
        if bearer:
            sent.setdefault("Authorization", f"Bearer {bearer}")
        payload = data if data is not None else (None if body is None else json.dumps(body))
        if payload is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.session.request(
            method, self.url + path, data=payload, headers=sent, params=params
        ) as response:
            text = await response.text()
            parsed = json.loads(text) if text else None
            if response.status >= 400:
                assert _is_error(parsed), f"{method} {path}: not the error shape: {text!r}"
                assert response.content_type == "application/json"
            self.contract.check(method, path.split("?")[0], response.status, parsed)
            return Answer(response.status, parsed, dict(response.headers))

    async def get(self, path: str, **kw: Any) -> Answer:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Answer:
        return await self.call("POST", path, body, **kw)


@dataclass
class Person:
    account: Account
    destination: Destination
    write: str  # a read-write token
    read: str  # a read-only token


async def person(user_id: str, tier: Tier = Tier.BUSINESS) -> Person:
    account = await accounts.identify(Platform.TELEGRAM, user_id)
    account.tier = tier
    await account.save()
    destination = await accounts.destination_for(account, Platform.TELEGRAM, user_id)
    write = await api_tokens.create(account.id, "w", ApiScope.WRITE, None, NOW)
    read = await api_tokens.create(account.id, "r", ApiScope.READ, None, NOW)
    return Person(account, destination, write.secret, read.secret)


def api_app(clock: Clock, options: ApiOptions | None = None) -> Any:
    app = build_web_app(metrics=Metrics(), health=HealthProbe(), clock=clock)
    searches = SearchService(TierTable.default(), MARKETPLACES, clock=clock)
    add_api_routes(app, searches, options, public_url="http://127.0.0.1:8080")
    return app


@asynccontextmanager
async def serving_api(
    clock: Clock | None = None, options: ApiOptions | None = None
) -> AsyncIterator[Api]:
    clock = clock or Clock()
    app = api_app(clock, options)
    async with running_web(app) as url, aiohttp.ClientSession() as session:
        async with session.get(url + "/api/v1/openapi.json") as response:
            document = await response.json()
        yield Api(url, session, Contract(document), clock)
