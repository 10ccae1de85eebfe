"""The /newsearch wizard as a small state machine, shared by every chat front-end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.conversation import extras
from bot.conversation.answers import BadAnswer
from bot.conversation.replies import Reply, ask, with_problem
from bot.conversation.steps import STEP_BY_KEY, STEPS, Answers, WizardContext
from core.criteria import Criteria
from core.enums import BuyingFormat, Channel
from core.errors import InvalidCriteria
from core.searches import SearchDraft

SUMMARY = "summary"
PICK_EDIT = "pick_edit"


@dataclass(slots=True)
class WizardResult:
    """What one answer led to: a reply, and a draft once the user confirmed."""

    reply: Reply
    draft: SearchDraft | None = None
    cancelled: bool = False


@dataclass(slots=True)
class Wizard:
    """Asks each step in turn, then shows a summary with Confirm / Edit / Cancel.

    Editing jumps back to one step and returns to the summary. ``search_id`` is set when the
    wizard edits an existing search instead of creating one.
    """

    ctx: WizardContext
    answers: Answers = field(default_factory=dict)
    position: str = STEPS[0].key
    search_id: int | None = None

    @classmethod
    def editing(cls, ctx: WizardContext, draft: SearchDraft, search_id: int | None) -> Wizard:
        return cls(ctx, answers_from_draft(draft), SUMMARY, search_id)

    def current(self) -> Reply:
        if self.position == SUMMARY:
            return self._summary()
        if self.position == PICK_EDIT:
            return ask(
                "Which part do you want to change?",
                *((step.label, step.key) for step in STEPS),
                *extras.edit_choices(self.ctx, self.answers),
            )
        if extras.is_extra(self.position):
            return extras.prompt(self.ctx, self.position)
        return STEP_BY_KEY[self.position].reply(self.ctx, self.answers)

    def prefill(self, typed: dict[str, str]) -> Reply:
        """Several steps answered at once (Discord's /newsearch form, by step key); then the
        first step still open, with what was refused said first."""
        problems = []
        for step in STEPS:
            text = typed.get(step.key, "").strip()
            if not text:
                continue
            try:
                self.answers.update(step.parse(text, self.ctx))
            except BadAnswer as exc:
                problems.append(f"{step.label}: {exc}")
        missing = [key for key in self._order() if not self._answered(key)]
        self.position = missing[0] if missing else SUMMARY
        reply = self.current()
        return _reask("\n".join(problems), reply) if problems else reply

    def answer(self, text: str) -> WizardResult:
        if self.position == SUMMARY:
            return self._answer_summary(text.strip().lower())
        if self.position == PICK_EDIT:
            return self._answer_pick_edit(text.strip().lower())
        if extras.is_extra(self.position):
            return self._answer_extra(text)
        step = STEP_BY_KEY[self.position]
        try:
            self.answers.update(step.parse(text, self.ctx))
        except BadAnswer as exc:
            return WizardResult(_reask(str(exc), step.reply(self.ctx, self.answers)))
        self.position = self._next_after(step.key)
        return WizardResult(self.current())

    def choose(self, picked: list[Any]) -> WizardResult:
        """Options of the current question pressed: their values, as the question made them
        (a step key, a Condition, a number of seconds…), never text to read again."""
        if self.position in (SUMMARY, PICK_EDIT):
            return self.answer(str(picked[0]))
        if extras.is_extra(self.position):
            return self._answer_extra(str(picked[0]))
        step = STEP_BY_KEY[self.position]
        try:
            self.answers.update(step.pick(picked, self.ctx))
        except BadAnswer as exc:
            return WizardResult(_reask(str(exc), step.reply(self.ctx, self.answers)))
        self.position = self._next_after(step.key)
        return WizardResult(self.current())

    def _answer_extra(self, text: str) -> WizardResult:
        try:
            extras.parse(text, self.ctx, self.position, self.answers)
        except BadAnswer as exc:
            return WizardResult(_reask(str(exc), extras.prompt(self.ctx, self.position)))
        self.position = self._next_after(self.position)
        return WizardResult(self.current())

    def _order(self) -> list[str]:
        """The steps, with the chosen marketplaces' own questions after "Where?"."""
        keys = [step.key for step in STEPS]
        at = keys.index(extras.AFTER_STEP) + 1
        return [*keys[:at], *extras.positions(self.ctx, self.answers), *keys[at:]]

    def _next_after(self, key: str) -> str:
        keys = self._order()
        missing = [k for k in keys[keys.index(key) + 1 :] if not self._answered(k)]
        return missing[0] if missing else SUMMARY

    def _answered(self, key: str) -> bool:
        if extras.is_extra(key):
            return extras.answered(key, self.answers)
        return _answered(key, self.answers)

    def _answer_summary(self, text: str) -> WizardResult:
        if text in {"confirm", "yes", "ok", "y"}:
            unasked = [k for k in extras.positions(self.ctx, self.answers) if not self._answered(k)]
            if unasked:  # e.g. a search made from a template: ask what its marketplace needs
                self.position = unasked[0]
                return WizardResult(self.current())
            try:
                return WizardResult(Reply("Saving…"), draft=draft_from_answers(self.answers))
            except InvalidCriteria as exc:
                return WizardResult(_reask(str(exc), self._summary()))
        if text == "edit":
            self.position = PICK_EDIT
            return WizardResult(self.current())
        if text in {"cancel", "no"}:
            return WizardResult(Reply("Cancelled. Nothing was saved."), cancelled=True)
        return WizardResult(_reask("Choose Confirm, Edit or Cancel.", self._summary()))

    def _answer_pick_edit(self, text: str) -> WizardResult:
        by_label = {step.label.lower(): step.key for step in STEPS}
        by_label.update(
            (label.lower(), p) for label, p in extras.edit_choices(self.ctx, self.answers)
        )
        key = text if text in STEP_BY_KEY or text in by_label.values() else by_label.get(text)
        if key is None:
            return WizardResult(_reask("Pick one of the parts listed.", self.current()))
        self._forget(key)
        self.position = key
        return WizardResult(self.current())

    def _forget(self, key: str) -> None:
        if extras.is_extra(key):
            extras.forget(key, self.answers)
            return
        for name in _KEYS_OF_STEP[key]:
            self.answers.pop(name, None)

    def _summary(self) -> Reply:
        shown = [step for step in STEPS if step.in_summary(self.answers)]
        lines = [f"{step.label}: {step.show(self.answers)}" for step in shown]
        at = [step.key for step in shown].index(extras.AFTER_STEP) + 1
        lines[at:at] = extras.summary_lines(self.ctx, self.answers)
        title = "Your search" if self.search_id is None else f"Search #{self.search_id}"
        return ask(
            f"{title}:\n" + "\n".join(lines),
            ("Confirm", "confirm"),
            ("Edit", "edit"),
            ("Cancel", "cancel"),
        )


_KEYS_OF_STEP: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "marketplaces": ("marketplaces",),
    "keywords": ("keywords",),
    "exclude": ("exclude",),
    "price": ("min_price", "max_price"),
    "location": ("location", "radius_miles"),
    "currency": ("currency",),
    "condition": ("condition",),
    "interval": ("interval_seconds",),
    "channels": ("channels",),
    # resellers (issue 14)
    "format": ("buying_format",),
    "ending": ("ending_within_hours",),
    "reposts": (),  # never asked by /newsearch (default: left out); changed from Edit
    "saved_state": (),  # the same: off unless turned on from Edit
    "deals": (),  # issue 16: all listings unless chosen from Edit (or a template's)
    "accessories": (),  # issue 16: a template's words, or none; changed from Edit
}


def _answered(key: str, answers: Answers) -> bool:
    return all(name in answers for name in _KEYS_OF_STEP[key])


def _reask(problem: str, prompt: Reply) -> Reply:
    return with_problem(problem, prompt)


def draft_from_answers(answers: Answers) -> SearchDraft:
    # Criteria the wizard does not ask for (a template's category, say) are kept from the base.
    base: Criteria = answers.get("_base") or Criteria(
        keywords=answers["keywords"], sellers=answers.get("sellers", ())
    )
    criteria = base.with_changes(
        keywords=answers["keywords"],
        exclude=answers["exclude"],
        min_price=answers["min_price"],
        max_price=answers["max_price"],
        currency=answers.get("currency") or base.currency,
        location=answers["location"],
        radius_miles=answers["radius_miles"],
        condition=answers["condition"],
        # resellers (issue 14): a new search defaults to Buy It Now (the wizard asks)
        sellers=answers.get("sellers", ()),
        cap_total=answers.get("cap_total", False),
        buying_format=answers.get("buying_format", BuyingFormat.BUY_IT_NOW),
        ending_within_hours=answers.get("ending_within_hours"),
        show_reposts=answers.get("show_reposts", False),
        tell_saved_state=answers.get("tell_saved_state", False),
        # is it a deal? (issue 16): a template's threshold stays unless changed
        deals_only_percent=answers.get("deals_only_percent", base.deals_only_percent),
        accessory_words=answers.get("accessory_words", base.accessory_words),
        extra=extras.criteria_extra(base.extra, answers, answers["marketplaces"]),
    )
    return SearchDraft(
        name=answers["name"],
        criteria=criteria,
        marketplaces=answers["marketplaces"],
        interval_seconds=answers["interval_seconds"],
        channels=answers["channels"],
    )


def answers_from_draft(draft: SearchDraft) -> Answers:
    c = draft.criteria
    return {
        "_base": c,
        "name": draft.name,
        "marketplaces": draft.marketplaces,
        "keywords": c.keywords,
        "exclude": c.exclude,
        "min_price": c.min_price,
        "max_price": c.max_price,
        "currency": c.currency,
        "location": c.location,
        "radius_miles": c.radius_miles,
        "condition": c.condition,
        "interval_seconds": draft.interval_seconds,
        "channels": tuple(Channel(ch) for ch in draft.channels),
        "extra": {k: v for k, v in c.extra.items() if "." in k},
        # resellers (issue 14)
        "sellers": c.sellers,
        "cap_total": c.cap_total,
        "buying_format": c.buying_format,
        "ending_within_hours": c.ending_within_hours,
        "show_reposts": c.show_reposts,
        "tell_saved_state": c.tell_saved_state,
        "deals_only_percent": c.deals_only_percent,
        "accessory_words": c.accessory_words,
    }
