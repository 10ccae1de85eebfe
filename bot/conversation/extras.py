"""Per-marketplace questions in the /newsearch wizard.

A marketplace adapter may declare ``questions`` (core's ``MarketplaceQuestion``: Craigslist
asks for its site). The wizard asks them only for the marketplaces the user picked, right
after "Where?", and stores each answer in ``Criteria.extra["<marketplace>.<key>"]``. A wizard
position for one of them is ``"extra:<marketplace>.<key>"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.conversation.answers import BadAnswer
from bot.conversation.replies import Reply, ask
from bot.conversation.steps import Answers, WizardContext
from core.ports import MarketplaceQuestion

PREFIX = "extra:"
AFTER_STEP = "location"  # the questions so far are all about place (site, city)


def is_extra(position: str) -> bool:
    return position.startswith(PREFIX)


def positions(ctx: WizardContext, answers: Answers) -> list[str]:
    """The questions the chosen marketplaces need, in the order they were chosen."""
    chosen = answers.get("marketplaces") or ()
    return [f"{PREFIX}{m}.{q.key}" for m in chosen for q in ctx.questions.get(m, ())]


def answered(position: str, answers: Answers) -> bool:
    return position.removeprefix(PREFIX) in answers.get("extra", {})


def forget(position: str, answers: Answers) -> None:
    answers.get("extra", {}).pop(position.removeprefix(PREFIX), None)


def _question(ctx: WizardContext, position: str) -> MarketplaceQuestion:
    marketplace, _, key = position.removeprefix(PREFIX).partition(".")
    return next(q for q in ctx.questions.get(marketplace, ()) if q.key == key)


def prompt(ctx: WizardContext, position: str) -> Reply:
    question = _question(ctx, position)
    return ask(question.prompt, *question.suggestions)


def parse(text: str, ctx: WizardContext, position: str, answers: Answers) -> None:
    """Store the normalised answer, or raise ``BadAnswer`` with what the marketplace accepts."""
    try:
        value = _question(ctx, position).parse(text)
    except ValueError as exc:
        raise BadAnswer(str(exc)) from exc
    answers.setdefault("extra", {})[position.removeprefix(PREFIX)] = value


def edit_choices(ctx: WizardContext, answers: Answers) -> list[tuple[str, str]]:
    return [(_question(ctx, p).label, p) for p in positions(ctx, answers)]


def summary_lines(ctx: WizardContext, answers: Answers) -> list[str]:
    values = answers.get("extra", {})
    lines = []
    for position in positions(ctx, answers):
        question = _question(ctx, position)
        value = values.get(position.removeprefix(PREFIX))
        shown = "?" if value is None else question.show(value) if question.show else value
        lines.append(f"{question.label}: {shown}")
    return lines


def criteria_extra(
    base: Mapping[str, str], answers: Answers, marketplaces: Iterable[str]
) -> dict[str, str]:
    """The search's extras: answers for the chosen marketplaces; others' are dropped."""
    merged = {**base, **answers.get("extra", {})}
    chosen = set(marketplaces)
    return {k: v for k, v in merged.items() if "." not in k or k.split(".", 1)[0] in chosen}
