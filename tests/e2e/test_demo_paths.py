"""The demo as a newcomer tries it: every template and the usual wizard searches get an alert."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.templates import BUILT_IN_TEMPLATES
from scrapers.sandbox.marketplace import NOTHING_TO_LIST
from tests.e2e.process import CliProcess

pytestmark = pytest.mark.slow

ROOT = str(Path(__file__).resolve().parents[2])

# name, keywords, excluded words, price, place, condition: answers as a user types them.
WIZARD_SEARCHES = [
    ("Cheap PS5", "ps5", "none", "100-300", "anywhere", "any"),
    ("Road bike", "road bike", "kids, frame only", "800", "Leeds 30", "used"),
    ("Sofa", "sofa", "none", "any", "Bristol 100", "any"),
    ("Retro Nintendo", "n64 OR gamecube", "repro", "40+", "anywhere", "any"),
]


@pytest.fixture
async def demo() -> AsyncIterator[CliProcess]:
    process = CliProcess("demo", "--check-seconds", "2", "--echo-delay", "1", cwd=ROOT)
    await process.start()
    yield process
    await process.kill()


def alerted(output: str) -> set[str]:
    return set(re.findall(r"🆕 New match for (.+)", output))


@pytest.mark.timeout(120)
async def test_every_template_and_typical_wizard_searches_get_an_alert(demo: CliProcess) -> None:
    await demo.read_until("/newsearch", within=30)
    for spec in BUILT_IN_TEMPLATES:
        await demo.send("/templates", spec.slug)
        await demo.read_until(f"{spec.name} is live", within=15)
    for name, *answers in WIZARD_SEARCHES:
        # The currency step follows the place (answers[3]): "1" picks the default, £.
        keywords_to_place, condition = answers[:4], answers[4]
        await demo.send(
            "/newsearch", name, "1", *keywords_to_place, "1", condition, "1", "1", "confirm"
        )
        await demo.read_until(f"{name} is live", within=15)
    wanted = {spec.name for spec in BUILT_IN_TEMPLATES} | {s[0] for s in WIZARD_SEARCHES}
    for name in sorted(wanted):
        await demo.read_until(f"🆕 New match for {name}", within=30)
    assert alerted(demo.output) == wanted
    assert NOTHING_TO_LIST not in demo.output


@pytest.mark.timeout(60)
async def test_a_search_nothing_can_match_is_told_so_in_one_line(demo: CliProcess) -> None:
    await demo.read_until("/newsearch", within=30)
    await demo.send("/newsearch", "Quokkas", "1", "quokka", "none", "any", "anywhere", "1", "any")
    await demo.send("1", "1", "confirm")
    output = await demo.read_until(NOTHING_TO_LIST, within=20)
    live = output.index("#1 Quokkas is live")
    assert output.index(f"#1 Quokkas: {NOTHING_TO_LIST}") > live
