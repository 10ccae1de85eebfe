"""Is it a deal? (issue 16): the verdict line in every channel, the Not a deal button, and the
/prices chart decoded from its PNG with its marks found where the axes put them."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import numpy as np
from PIL import Image

from bot.conversation import alert_lines
from bot.conversation.actions import Act, Action
from bot.conversation.charts import (
    BAND_COLOUR,
    LAST_COLOUR,
    USUAL_COLOUR,
    chart_figure,
    chart_png,
)
from bot.conversation.prices import figures_text
from bot.discord.render import action_custom_id, alert_components, alert_embed
from bot.telegram.alerts import alert_html, alert_keyboard
from core.enums import MatchStatus
from core.formatting import verdict_text
from core.ports import AlertMessage
from core.prices import PriceView
from core.verdict import PriceVerdict, VerdictKind, estimate
from notifiers.rendering import alert_email, alert_sms
from notifiers.webhook import alert_payload
from tests.unit.messages import LINKS, NOW, alert_message, console_text

UNDER = PriceVerdict(
    VerdictKind.UNDER,
    Decimal("210"),
    Decimal("275"),
    Decimal("250"),
    Decimal("300"),
    -24,
    48,
    30,
    "GBP",
)
LINE = "£210 · 24 % under the usual £275 (48 listings, 30 days)"


def _alert(verdict: PriceVerdict | None = UNDER, title: str = "Sony PS5 Disc") -> AlertMessage:
    return alert_message(verdict, title=title)


def _renderings(alert: AlertMessage) -> dict[str, str]:
    email = alert_email(alert, LINKS)
    embed = alert_embed(alert, NOW)
    return {
        "console": console_text(alert),
        "chat lines": "\n".join(alert_lines(alert, NOW)),
        "telegram": alert_html(alert, NOW, 1024),
        "discord": "\n".join(f"{f['name']}: {f['value']}" for f in embed["fields"]),
        "email text": email.text,
        "email html": email.html,
        "webhook": str(alert_payload(alert, NOW)["verdict"]),
    }


def test_the_verdict_line_reads_as_the_issue_says() -> None:
    assert verdict_text(UNDER) == LINE
    about = replace(UNDER, kind=VerdictKind.ABOUT, price=Decimal("270"), percent=-2)
    assert verdict_text(about) == "£270 · about the usual price (£275, 48 listings, 30 days)"
    above = replace(UNDER, kind=VerdictKind.ABOVE, price=Decimal("330"), percent=20)
    assert verdict_text(above) == "£330 · 20 % above the usual £275 (48 listings, 30 days)"
    assert verdict_text(None) == ""


def test_every_channel_carries_the_verdict_line() -> None:
    for channel, text in _renderings(_alert()).items():
        assert LINE in text, channel


def test_the_console_offers_notadeal_on_verdict_alerts_only() -> None:
    assert "/notadeal 3" in console_text(_alert())
    assert "/notadeal" not in console_text(_alert(None))


def test_no_channel_says_anything_without_a_verdict() -> None:
    for channel, text in _renderings(_alert(None)).items():
        assert "usual" not in text, channel
    assert alert_payload(_alert(None), NOW)["verdict"] is None


def test_the_webhook_carries_structured_fields_within_version_1() -> None:
    payload = alert_payload(_alert(), NOW)
    assert payload["version"] == 1
    assert payload["verdict"] == {
        "kind": "under",
        "percent": -24,
        "price": "210",
        "usual_price": "275",
        "usual_low": "250",
        "usual_high": "300",
        "currency": "GBP",
        "listings": 48,
        "days": 30,
        "text": LINE,
    }


def test_the_sms_carries_the_verdict_when_it_fits() -> None:
    short = alert_sms(_alert(), LINKS)
    assert "(24% under usual £275)" in short
    long_title = "Sony PS5 Disc Edition " * 8
    cramped = alert_sms(_alert(title=long_title), LINKS)
    assert len(cramped) <= 160 and "https://www.ebay.co.uk/itm/1" in cramped


def test_not_a_deal_button_only_on_verdict_alerts() -> None:
    encoded = Action(Act.NOT_A_DEAL, 3).encode()
    with_verdict = alert_keyboard(3, "https://e.test/1", MatchStatus.NEW, "", verdict=True)
    without = alert_keyboard(3, "https://e.test/1", MatchStatus.NEW, "")
    data = [b.callback_data for row in with_verdict.inline_keyboard for b in row]
    assert encoded in data
    assert encoded not in [b.callback_data for row in without.inline_keyboard for b in row]
    rows = alert_components(3, "https://e.test/1", MatchStatus.NEW, verdict=True)
    ids = [c.get("custom_id") for c in rows[0]["components"]]
    assert action_custom_id(Action(Act.NOT_A_DEAL, 3)) in ids


# --- the chart ---------------------------------------------------------------------------------
def _view() -> PriceView:
    prices = tuple(sorted(Decimal(p) for p in [*range(240, 320, 3), 180, 450]))
    return PriceView("ps5 disc", "ebay", "GBP", prices, estimate(prices), Decimal("210"))


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def _column_has(pixels: np.ndarray, x: float, rows: range, colour: str) -> bool:
    """Whether the pixel column at ``x`` shows ``colour`` somewhere in ``rows``."""
    column = pixels[rows.start : rows.stop, round(x), :3].astype(int)
    return bool((np.abs(column - _rgb(colour)).sum(axis=1) < 40).any())


def test_the_chart_marks_the_usual_price_the_band_and_the_last_alert() -> None:
    view = _view()
    png = chart_png(view)
    assert png.startswith(b"\x89PNG")
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    figure = chart_figure(view)  # the same drawing: its axes give data → pixels
    axes = figure.axes[0]
    height = pixels.shape[0]
    assert height == round(figure.bbox.height)

    def x_of(value: Decimal) -> float:
        return float(axes.transData.transform((float(value), 0))[0])

    # Above the bars (the y axis leaves room): the top fifth of the plotting area.
    _, top = axes.transAxes.transform((0, 0.97))
    _, lower = axes.transAxes.transform((0, 0.8))
    rows = range(round(height - top), round(height - lower))
    found = view.estimate
    assert found is not None
    assert _column_has(pixels, x_of(found.usual), rows, USUAL_COLOUR)
    assert _column_has(pixels, x_of(Decimal("210")), rows, LAST_COLOUR)
    inside = (found.low + found.usual) / 2  # in the band, away from the usual line
    assert _column_has(pixels, x_of(inside), rows, BAND_COLOUR)
    right = Decimal(str(axes.get_xlim()[1]))
    outside = (found.high + right) / 2  # beyond the band, within the axes: plain background
    assert not _column_has(pixels, x_of(outside), rows, BAND_COLOUR)
    assert not _column_has(pixels, x_of(outside), rows, USUAL_COLOUR)


def test_the_figures_say_asking_prices() -> None:
    text = figures_text(_view())
    assert "Asking prices" in text and "not what items sold for" in text
    assert "Usual price £" in text and "Last alert: £210." in text
