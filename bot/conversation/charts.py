"""The /prices chart (issue 16): recent asking prices of one item as a PNG.

Drawn with matplotlib's object API (a ``Figure`` on its own Agg canvas): no pyplot, so no
global state shared between charts drawn at once in threads. The caller runs ``chart_png``
off the event loop (``asyncio.to_thread``): drawing takes tens of milliseconds.

The marks are solid lines in colours of their own (the tests find them in the decoded PNG
at the x positions the axes give): the usual price, the middle half of prices (a band), and
the last alert's price. The y axis leaves room above the bars so the marks show there.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from core.formatting import currency_symbol, whole_price_text
from core.prices import PriceView

BAR_COLOUR = "#8a8f98"
BAND_COLOUR = "#b2e2b9"
USUAL_COLOUR = "#1c45c9"
LAST_COLOUR = "#d9480f"
SIZE_INCHES = (8.0, 4.5)
DPI = 100


def chart_figure(view: PriceView) -> Figure:
    """The chart as a figure (its axes give the data → pixel transform)."""
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.subplots_adjust(bottom=0.27, top=0.9, left=0.09, right=0.97)
    prices = [float(p) for p in view.prices]
    found = view.estimate
    if found is not None:  # far-off prices (parts no word caught, typos) would squash the rest
        reach = 3 * max(float(found.high - found.low), float(found.usual) * 0.05)
        low_end, high_end = float(found.low) - reach, float(found.high) + reach
        prices = [p for p in prices if low_end <= p <= high_end]
    marks = [*prices]
    if found is not None:
        marks += [float(found.low), float(found.high)]
    if view.last_alert is not None:
        marks.append(float(view.last_alert))
    low, high = (min(marks), max(marks)) if marks else (0.0, 1.0)
    pad = max((high - low) * 0.06, 1.0)
    low, high = max(0.0, low - pad), high + pad
    tallest = 1.0
    if prices:
        counts, _, _ = axes.hist(
            prices, bins=min(30, max(6, len(prices) // 3)), range=(low, high),
            color=BAR_COLOUR, zorder=2, label="asking prices",
        )  # fmt: skip
        tallest = max(1.0, float(max(counts)))
    if found is not None:
        axes.axvspan(
            float(found.low), float(found.high), color=BAND_COLOUR, zorder=1,
            label="middle half of prices",
        )  # fmt: skip
        usual = whole_price_text(found.usual, view.currency)
        axes.axvline(
            float(found.usual), color=USUAL_COLOUR, linewidth=3, zorder=3, label=f"usual {usual}"
        )
    if view.last_alert is not None:
        last = whole_price_text(view.last_alert, view.currency)
        axes.axvline(
            float(view.last_alert), color=LAST_COLOUR, linewidth=3, zorder=4,
            label=f"last alert {last}",
        )  # fmt: skip
    axes.set_xlim(low, high)
    axes.set_ylim(0, tallest * 1.6)  # room above the bars, where the marks stand alone
    axes.set_xlabel(f"asking price ({currency_symbol(view.currency).strip()})")
    axes.set_ylabel("listings")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(
        f"Asking prices: {view.label[:50]} on {view.marketplace}, last 30 days", fontsize=11
    )
    figure.legend(loc="lower center", ncol=4, frameon=False, fontsize=9)
    return figure


def chart_png(view: PriceView) -> bytes:
    """The chart as PNG bytes (blocking: call it in a thread)."""
    figure = chart_figure(view)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
