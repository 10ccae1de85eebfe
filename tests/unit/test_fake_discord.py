"""The fake Discord is as strict as Discord about interaction responses (so the bot's own
3-second and answer-once handling is really tested by the e2e tests)."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.fakes.discord_api import (
    TOKEN,
    FakeDiscord,
    Interaction,
    api_url,
    rate_limited,
    running_fake_discord,
)

NAME = {"type": 4, "custom_id": "name", "label": "Name", "style": 1}
MODAL = {
    "custom_id": "mm:m:newsearch",
    "title": "New search",
    "components": [{"type": 1, "components": [NAME]}],
}


def _interaction(fake: FakeDiscord, kind: int = 2) -> Interaction:
    interaction = Interaction(fake.snowflake(), "tok" + fake.snowflake(), kind, {})
    fake.interactions[interaction.id] = interaction
    return interaction


async def _callback(
    fake: FakeDiscord, interaction: Interaction, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    url = f"{api_url(fake)}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        return response.status, (await response.json() if response.status != 204 else {})


async def test_a_second_initial_response_is_refused_with_40060() -> None:
    async with running_fake_discord() as fake:
        interaction = _interaction(fake)
        assert (await _callback(fake, interaction, {"type": 5}))[0] == 204
        status, body = await _callback(fake, interaction, {"type": 5})
        assert (status, body["code"]) == (400, 40060)


async def test_a_modal_after_a_defer_is_refused() -> None:
    async with running_fake_discord() as fake:
        interaction = _interaction(fake)
        await _callback(fake, interaction, {"type": 5})
        status, body = await _callback(fake, interaction, {"type": 9, "data": MODAL})
        assert (status, body["code"]) == (400, 40060)
        assert interaction.modal is None
        fresh = _interaction(fake)
        assert (await _callback(fake, fresh, {"type": 9, "data": MODAL}))[0] == 204


async def test_an_answer_after_three_seconds_is_an_unknown_interaction() -> None:
    async with running_fake_discord() as fake:
        interaction = _interaction(fake)
        interaction.created -= 3.1
        status, body = await _callback(fake, interaction, {"type": 5})
        assert (status, body["code"]) == (404, 10062)


async def test_a_followup_needs_an_acknowledged_interaction() -> None:
    async with running_fake_discord() as fake:
        interaction = _interaction(fake)
        url = f"{api_url(fake)}/webhooks/100000000000000001/{interaction.token}"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"content": "hi"}) as response:
                assert response.status == 404
            await _callback(fake, interaction, {"type": 5, "data": {"flags": 64}})
            async with http.post(url, json={"content": "hi"}) as response:
                assert response.status == 200
        assert interaction.followups[0].ephemeral


async def test_a_429_says_when_to_retry_like_discord() -> None:
    async with running_fake_discord() as fake:
        channel = fake.add_guild()["channels"][0]["id"]
        fake.fail_next(channel, rate_limited(2.5))
        url = f"{api_url(fake)}/channels/{channel}/messages"
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json={"content": "x"}, headers=headers) as response:
                assert response.status == 429
                assert response.headers["Retry-After"] == "2"
                assert response.headers["X-RateLimit-Remaining"] == "0"
                assert (await response.json())["retry_after"] == 2.5
            async with http.post(url, json={"content": "x"}, headers=headers) as response:
                assert response.status == 200
