"""Addresses typed in chat are cleaned before they are stored (core.text), like all user text."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.accounts import identify
from core.enums import Platform
from core.models import Account, VerificationCode
from core.verification import VerificationService
from notifiers import Throttle, WebhookNotifier
from tests.fakes.webhook_receiver import WebhookReceiver


@pytest.fixture
async def hook(db: str) -> AsyncIterator[WebhookReceiver]:
    async with WebhookReceiver().running() as receiver:
        yield receiver


async def test_a_webhook_url_typed_with_a_nul_is_verified_clean(hook: WebhookReceiver) -> None:
    notifier = WebhookNotifier(allow_private=True, throttle=Throttle(1000, 1000))
    service = VerificationService({}, notifier)
    account = await identify(Platform.CONSOLE, "erin")
    account.webhook_secret = hook.secret = "whsec_known-to-the-receiver"
    await account.save()

    await service.verify_webhook(account, f" {hook.url}\x00\u202e ")

    assert (await Account.get(id=account.id)).webhook_url == hook.url
    assert [row.target for row in await VerificationCode.all()] == [hook.url]
