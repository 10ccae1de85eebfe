"""One chat's conversation: commands in, replies out. Every front-end drives one of these."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Protocol

from bot.conversation import registry, screens, texts, your_data
from bot.conversation.actions import Act, Action
from bot.conversation.answers import BadAnswer
from bot.conversation.errors import user_text
from bot.conversation.render import listing_lines
from bot.conversation.replies import Button, Option, Reply, ask, choice_buttons, say, with_problem
from bot.conversation.settings import DEFAULT_SECTIONS, DONE, SettingsSection, settings_menu
from bot.conversation.stats import stats_screen
from bot.conversation.steps import WizardContext
from bot.conversation.stored import decode, encode
from bot.conversation.verification import verify
from bot.conversation.wizard import Wizard, WizardResult
from core import accounts, matches, searches, templates
from core.adoption import ManagerCheck
from core.billing import BillingService
from core.clock import Clock, utcnow
from core.conversations import ConversationKey, ConversationStore, Loaded
from core.destinations import verified_channels
from core.errors import ConversationConflict, MonitorError
from core.formatting import saved_note
from core.listings import listing_data
from core.numbers import parse_id, parse_int
from core.ports import ListingData
from core.searches import SearchDraft, SearchService, draft_of
from core.verification import VerificationService
from core.views import AccountView as Account
from core.views import DestinationView as Destination
from core.views import MatchView as Match

logger = logging.getLogger(__name__)

# The first check runs in the runner (any process), not in this handler: its preview comes
# as a notice through the outbox (core.scheduling), so the chat is answered at once.
FIRST_CHECK = "Checking it now: what is already listed follows in a moment (no alerts for those)."

# What a /start deep link may open: views too personal to show in a group.
PRIVATE_VIEWS = ("saved", "stats")


@dataclass(frozen=True, slots=True)
class ChatServices:
    """The core services a conversation calls; built once by bot/app.py."""

    searches: SearchService
    # Keyword-only from here: a positional hook (the old preview callback) would land in
    # ``clock`` unnoticed.
    _: KW_ONLY
    clock: Clock = utcnow
    # The /settings sections, in order; delivery channels add theirs (email, phone, webhook).
    settings_sections: tuple[SettingsSection, ...] = DEFAULT_SECTIONS
    # Email/SMS/webhook verification (see bot/conversation/verification.py); None: chat only.
    verification: VerificationService | None = None
    # Where conversations in progress are kept between updates (any process continues them).
    conversations: ConversationStore = field(default_factory=ConversationStore)
    # Paid plans (/plan, /upgrade; core.billing); None: Stripe is not configured.
    billing: BillingService | None = None


# Given a search id, the account to act as on it; raises Forbidden/NotFound. Front-ends set it
# for shared chats (a group's admins manage the group's searches, whoever created them).
SearchRights = Callable[[int], Awaitable[Account]]


class _Pending(Protocol):
    """A question waiting for its answer (the wizard, a settings section, a confirmation)."""

    async def answer(self, text: str) -> list[Reply]:
        """A typed answer."""
        ...

    def question(self) -> Reply:
        """The question as asked now: its ``options`` are what a CHOOSE press picks from."""
        ...

    async def choose(self, picked: list[Option]) -> list[Reply]:
        """Options pressed (one; several for a multi-select question)."""
        ...

    def state(self) -> dict[str, Any]:
        """What to keep in the database to carry on later (see ``restore_pending``)."""
        ...


class ChatSession:
    """Turns one chat's messages into core calls. Free text goes to what is pending."""

    def __init__(self, services: ChatServices, account: Account, destination: Destination):
        self.services = services
        self.account = account
        self.destination = destination
        self.pending: _Pending | None = None
        self.search_rights: SearchRights | None = None
        # Raises Forbidden unless this person may manage searches here (a group's admins).
        self.manager_check: Callable[[], Awaitable[None]] | None = None
        # In a shared chat: the platform's answer to "does this user still manage it?"
        # (core.adoption's port, for /adopt).
        self.chat_managers: ManagerCheck | None = None
        # Answers here are seen by the asker only (Discord's ephemeral replies in a server):
        # personal files may be sent here as in a private chat.
        self.answers_private = False
        # The commands built in here; others come from bot.conversation.registry.
        self._commands: dict[str, Callable[[str], Awaitable[list[Reply]]]] = {
            "start": self._start,
            "help": self._help,
            "newsearch": self._new_search,
            "templates": self._templates,
            "searches": self._list_searches,
            "pause": self._pause,
            "resume": self._resume,
            "delete": self._delete,
            "edit": self._edit,
            "saved": self._saved,
            "save": self._save,
            "hide": self._hide,
            "unhide": self._unhide,
            "cancel": self._cancel,
            "settings": self._settings,
            "stats": self._stats,
            "verify": self._verify,
            "export": self._export,
            "deleteaccount": self._delete_account,
        }
        # After /deleteaccount: who to start a new account for at the next message.
        self._erased: accounts.Identity | None = None
        # Where this conversation is kept (None: only in memory) and the row version read.
        self.key: ConversationKey | None = None
        self._version = 0
        self._loaded = Loaded()
        # A front-end's own part of the conversation (Telegram: the open menu), kept with it.
        self.ui: dict[str, Any] = {}
        # The question whose buttons are on screen: its reference (in every CHOOSE action, so
        # a press on an older menu is refused) and, for multi-select, what is ticked so far.
        self.question_ref = ""
        self.ticked: list[int] = []

    async def handle(self, text: str) -> list[Reply]:
        """Typed text: a command, or the answer to what is pending."""
        return self.stamp(await self._handle(text.strip()))

    async def _handle(self, text: str) -> list[Reply]:
        if self._erased is not None:
            await self._reopen()
        try:
            if text.startswith("/"):
                name, args = split_command(text)
                return await self.run_command(name.split("@")[0].lower(), args)
            if self._awaits_code(text):  # the code from an email or SMS, typed as it is
                return await self._verify(text)
            if self.pending is not None:
                typed = _typed_option(self.pending.question(), text)
                if typed is not None:  # a button's label typed instead of pressed
                    return await self.pending.choose([typed])
                return await self.pending.answer(text)
            return [say(texts.IDLE)]
        except ConversationConflict:
            raise  # the caller starts over from the state that won
        except MonitorError as exc:
            return [user_text(exc)]

    async def command(self, name: str, args: str = "") -> list[Reply]:
        """A command run by a button (Act.NEW_SEARCH, …), as if ``/name args`` were typed.
        A refusal (not a group's admin, a plan's limit) is raised: a front-end shows it as
        the press's pop-up, leaving the message with the button as it was."""
        if self._erased is not None:
            await self._reopen()
        return self.stamp(await self.run_command(name, args))

    async def run_command(self, name: str, args: str) -> list[Reply]:
        """``/name args``: built in here, or registered (bot.conversation.registry)."""
        spec = registry.command_spec(name)
        if spec is not None and spec.managing:  # a group's searches: its admins only
            await self.require_manager()
        built_in = self._commands.get(name)
        if built_in is not None:
            return await built_in(args)
        if spec is None or spec.run is None:
            return [say(texts.UNKNOWN)]
        return await spec.run(self, args)

    # the question on screen -------------------------------------------------------------
    def stamp(self, replies: Sequence[Reply], *, same_question: bool = False) -> list[Reply]:
        """Give the question among ``replies`` its buttons, with a new reference (or the
        same one: a multi-select question shown again with another option ticked). Replies
        without a question close the one on screen: its buttons no longer answer anything."""
        asked = [r for r in replies if r.options]
        if not same_question:
            self.question_ref = secrets.token_hex(4) if asked else ""
            self.ticked = []
        ticked = frozenset(self.ticked)
        return [
            dataclasses.replace(
                r, buttons=choice_buttons(r.options, self.question_ref, r.multi_select, ticked)
            )
            if r.options
            else r
            for r in replies
        ]

    async def choose(self, action: Action) -> tuple[list[Reply], bool]:
        """A CHOOSE / CHOICES_DONE press: the replies, and whether they show the same
        question again (a multi-select tick). Raises ``StaleQuestion`` for a menu that is
        no longer the open question (answered already, cancelled, pressed in another chat)."""
        pending = self.pending
        if pending is None or not action.ref or action.ref != self.question_ref:
            raise StaleQuestion()
        question = pending.question()
        options = question.options
        if action.act is Act.CHOICES_DONE:
            if not self.ticked:
                return [say("Pick at least one first.")], True
            picked = [options[i] for i in sorted(self.ticked) if i < len(options)]
        elif action.id >= len(options):
            raise StaleQuestion()
        elif question.multi_select:
            self.ticked = sorted(set(self.ticked) ^ {action.id})
            return self.stamp([question], same_question=True), True
        else:
            picked = [options[action.id]]
        try:
            return self.stamp(await pending.choose(picked)), False
        except ConversationConflict:
            raise
        except MonitorError as exc:
            return self.stamp([user_text(exc)]), False

    async def choose_all(self, ref: str, indexes: Sequence[int]) -> list[Reply]:
        """A multi-select question answered in one go (Discord's select menu): the options
        at ``indexes`` ticked, then Done. Raises ``StaleQuestion`` when ``ref`` is not the
        open multi-select question or an index is not one of its options."""
        pending = self.pending
        if pending is None or not ref or ref != self.question_ref:
            raise StaleQuestion()
        question = pending.question()
        count = len(question.options)
        if not question.multi_select or not all(0 <= i < count for i in indexes):
            raise StaleQuestion()
        self.ticked = sorted(set(indexes))
        replies, _ = await self.choose(Action(Act.CHOICES_DONE, 0, ref))
        return replies

    def _awaits_code(self, text: str) -> bool:
        """A bare 6-digit code while nothing else asks for a number: a verification code."""
        code = "".join(text.split())
        idle = self.pending is None or isinstance(self.pending, _SettingsPick)
        return idle and len(code) == 6 and code.isascii() and code.isdigit()

    # kept in the database --------------------------------------------------------------------
    async def handle_stored(self, text: str) -> list[Reply]:
        """``handle`` between reading the conversation and writing it back; when another
        update moved it on meanwhile, once more from that update's state."""
        try:
            return await self._handle_once(text)
        except ConversationConflict:
            logger.info("conversation %s moved on meanwhile: handling again", self.key)
            return await self._handle_once(text)

    async def _handle_once(self, text: str) -> list[Reply]:
        notice = await self.load()
        replies = await self.handle(text)
        await self.save()
        return notice + replies

    async def load(self) -> list[Reply]:
        """Continue the conversation kept in the database; a notice if it had to restart."""
        if self.key is None:
            return []
        loaded = await self.services.conversations.load(self.key)
        self._version = loaded.version
        self._loaded = loaded
        try:
            self._restore(loaded.state or {})
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("conversation %s could not be restored: %s", self.key, exc)
            self.pending, self.ui = None, {}
            return [say(texts.RESTARTED)]
        return [say(texts.RESTARTED)] if loaded.restarted else []

    async def save(self) -> None:
        if self.key is None:
            return
        store, state = self.services.conversations, self.snapshot()
        if self._loaded.version == self._version and store.fresh(self._loaded, state):
            return
        self._version = await store.save(self.key, state, self._version)

    async def claim(self) -> None:
        """Before what must happen once (create, delete, erase): end the pending question in
        the database first, so an update racing on the same state finds it gone."""
        if self.key is not None:
            state = {"ui": self.ui} if self.ui else None
            self._version = await self.services.conversations.save(self.key, state, self._version)

    def snapshot(self) -> dict[str, Any] | None:
        state: dict[str, Any] = {"ui": self.ui} if self.ui else {}
        if self.pending is not None:
            state["pending"] = self.pending.state()
            if self.question_ref:
                state["question"] = {"ref": self.question_ref, "ticked": self.ticked}
        return state or None

    def _restore(self, state: dict[str, Any]) -> None:
        self.ui = dict(state.get("ui") or {})
        question = state.get("question") or {}
        self.question_ref = str(question.get("ref", ""))
        self.ticked = [int(i) for i in question.get("ticked", [])]
        pending = state.get("pending")
        self.pending = None if pending is None else _RESTORE[pending["kind"]](self, pending)

    # commands ---------------------------------------------------------------------------
    async def _start(self, payload: str) -> list[Reply]:
        # A deep link from a group (t.me/<bot>?start=saved) opens this private chat with it.
        if payload in PRIVATE_VIEWS and self.destination.kind == "private":
            return await self._commands[payload]("")
        return [screens.start_screen(private=self.destination.kind == "private")]

    async def _help(self, _: str) -> list[Reply]:
        return [screens.help_screen()]

    async def _cancel(self, _: str) -> list[Reply]:
        had = self.pending is not None
        self.pending = None
        self.ui = {}
        return [say("Cancelled. Nothing was changed." if had else "Nothing to cancel.")]

    async def _new_search(self, _: str) -> list[Reply]:
        self.account = await accounts.reload(self.account)
        await self.services.searches.ensure_can_add(self.account)
        wizard = _WizardFlow(self, Wizard(self._wizard_context()))
        self.pending = wizard
        return [wizard.wizard.current()]

    async def new_search_with(self, typed: dict[str, str]) -> list[Reply]:
        """/newsearch with some steps answered at once (Discord's form, by step key)."""
        replies = await self._new_search("")
        if isinstance(self.pending, _WizardFlow):
            return [self.pending.wizard.prefill(typed)]
        return replies

    async def _edit(self, args: str) -> list[Reply]:
        return await self.edit_search(command_id(args, "edit"))

    async def edit_search(self, search_id: int) -> list[Reply]:
        """The wizard on search ``search_id``, at its summary."""
        # Channels verified or revoked elsewhere show in the wizard.
        self.account = await accounts.reload(self.account)
        search = await self.services.searches.get_owned(await self.acting(search_id), search_id)
        draft = draft_of(search)
        flow = _WizardFlow(self, Wizard.editing(self._wizard_context(), draft, search.id))
        self.pending = flow
        return [flow.wizard.current()]

    async def _templates(self, args: str) -> list[Reply]:
        found = await templates.list_templates()
        if not found:
            return [say("No templates are available yet.")]
        pick = _TemplatePick(
            self,
            [
                (
                    t.name,
                    t.slug,
                    f"{'⭐ ' if t.featured else ''}{t.name} ({t.category}) — {t.description}",
                )
                for t in found
            ],
        )
        self.pending = pick
        return [pick.question()]

    async def _list_searches(self, _: str) -> list[Reply]:
        return [await self.searches_screen()]

    async def searches_screen(self) -> Reply:
        """/searches: a group's searches in a group, one's own in private, with buttons."""
        now = self.services.clock()
        if self.destination.kind != "private":
            found = await searches.for_destination(self.destination.id)
            return screens.searches_list(found, now, group=True)
        mine = await self.services.searches.list_for(self.account)
        return screens.searches_list(mine, now, group=False)

    async def _pause(self, args: str) -> list[Reply]:
        search_id = command_id(args, "pause")
        search = await self.services.searches.pause(await self.acting(search_id), search_id)
        return [say(f"⏸ Paused #{search.id} {search.name}. /resume {search.id} restarts it.")]

    async def _resume(self, args: str) -> list[Reply]:
        search_id = command_id(args, "resume")
        search = await self.services.searches.resume(await self.acting(search_id), search_id)
        return [say(f"▶ #{search.id} {search.name} is active again.")]

    async def _delete(self, args: str) -> list[Reply]:
        search_id = command_id(args, "delete")
        search = await self.services.searches.get_owned(await self.acting(search_id), search_id)
        confirm = _ConfirmDelete(self, search.id, search.name)
        self.pending = confirm
        return [confirm.question()]

    async def _saved(self, args: str) -> list[Reply]:
        page = await matches.list_saved(self.account, page_number(args, "saved"))
        if not page.total:
            return [say("Nothing saved yet. Use /save N on an alert to keep it here.")]
        now = self.services.clock()
        blocks = [
            (f"#{m.match_id} " if m.match_id else "• ")
            + "\n   ".join([*listing_lines(listing_data(m.listing), now), *_saved_note(m)])
            for m in page.items
        ]
        more = f"\n\nPage {page.page} of {page.pages}." if page.pages > 1 else ""
        if page.page < page.pages:
            more += f" /saved {page.page + 1} for more."
        return [say("⭐ Saved listings:\n" + "\n".join(blocks) + more)]

    async def _save(self, args: str) -> list[Reply]:
        match = await matches.save(self.account, command_id(args, "save"))
        return [say(f"⭐ Saved #{match.id}. See all with /saved.")]

    async def _hide(self, args: str) -> list[Reply]:
        match = await matches.hide(self.account, command_id(args, "hide"))
        return [say(f"🙈 Hidden #{match.id}: no more alerts about it. /unhide {match.id} undoes.")]

    async def _unhide(self, args: str) -> list[Reply]:
        match = await matches.unhide(self.account, command_id(args, "unhide"))
        return [say(f"👀 #{match.id} is back.")]

    async def _settings(self, args: str) -> list[Reply]:
        if self.destination.kind != "private":
            # Settings show personal addresses and the webhook signing secret.
            return [say("Open /settings in a private chat with me: it shows personal details.")]
        sections = self.services.settings_sections
        self.pending = pick = _SettingsPick(self, sections)
        if args:  # `/settings email you@example.com`: straight to that section
            key, _, answer = args.partition(" ")
            return await pick.direct(key, answer.strip())
        return [settings_menu(self.account, sections)]

    async def _verify(self, args: str) -> list[Reply]:
        if self.destination.kind != "private":
            return [say("Send /verify in a private chat with me.")]
        return await verify(self.services.verification, self.account, args)

    async def _stats(self, _: str) -> list[Reply]:
        return [await stats_screen(self.account, self.services.clock())]

    async def _export(self, _: str) -> list[Reply]:
        refused = (
            None if self.answers_private else your_data.private_only(self.destination, "/export")
        )
        return [refused or await your_data.export_reply(self.account, self.services.clock)]

    async def _delete_account(self, _: str) -> list[Reply]:
        refused = your_data.private_only(self.destination, "/deleteaccount")
        if refused is not None:
            return [refused]
        self.pending = self._confirm_erase()
        return [your_data.erase_question()]

    def _confirm_erase(self) -> your_data.ConfirmErase:
        identity: list[accounts.Identity | None] = [None]

        async def before() -> None:  # who to start a new account for, read before it goes
            if self.services.billing is not None:  # no more charges for a deleted account
                await self.services.billing.before_erase(self.account.id)
            identity[0] = await accounts.identity_of(self.account.id, self.destination.platform)
            await self.claim()

        async def done() -> None:
            self.pending = None
            self._erased = identity[0] if await self._gone() else None

        return your_data.ConfirmErase(self.account, done, before)

    async def _gone(self) -> bool:
        return not await accounts.exists(self.account.id)

    async def _reopen(self) -> None:
        """A new, empty account for the person who deleted theirs and writes again."""
        identity, self._erased = self._erased, None
        if identity is None:
            return
        self.account = await accounts.identify(
            identity.platform, identity.platform_user_id, identity.display_name
        )
        old = self.destination
        self.destination = await accounts.destination_for(
            self.account, old.platform, old.chat_id, kind=old.kind, title=old.title
        )

    async def require_manager(self) -> None:
        if self.manager_check is not None:
            await self.manager_check()

    # helpers ----------------------------------------------------------------------------
    async def acting(self, search_id: int) -> Account:
        """The account to act as on ``search_id``: this user's, unless a rights hook says."""
        if self.search_rights is None:
            return self.account
        return await self.search_rights(search_id)

    async def use_template(self, slug: str) -> list[Reply]:
        """Start a search from template ``slug`` now; the user can adjust it after."""
        self.pending = None
        await self.claim()
        search = await templates.create_from_template(
            self.services.searches,
            self.account,
            self.destination,
            slug,
            self.services.searches.marketplaces[0],
        )
        text = (
            f"✅ #{search.id} {search.name} is live on {search.marketplaces[0]}. "
            f"Adjust it any time with /edit {search.id}.\n{FIRST_CHECK}"
        )
        return [Reply(text, (Button("✏ Adjust it", Action(Act.EDIT, search.id)),))]

    def _wizard_context(self) -> WizardContext:
        searches = self.services.searches
        return WizardContext(
            searches.tiers,
            self.account.tier,
            searches.marketplaces,
            channels=verified_channels(self.account),
            questions=searches.questions,
            currencies=searches.currencies,
        )

    async def start_search(self, draft: SearchDraft, search_id: int | None) -> list[Reply]:
        searches = self.services.searches
        await self.claim()
        if search_id is None:
            search = await searches.create(self.account, self.destination, draft)
            verb = "is live"
        else:
            search = await searches.update(await self.acting(search_id), search_id, draft)
            verb = "is updated"
        text = f"✅ #{search.id} {search.name} {verb}. I'll post new matches here.\n{FIRST_CHECK}"
        return [say(text)]


class _WizardFlow:
    def __init__(self, session: ChatSession, wizard: Wizard):
        self.session = session
        self.wizard = wizard

    def state(self) -> dict[str, Any]:
        wizard = self.wizard
        return {
            "kind": "wizard",
            "answers": encode(wizard.answers),
            "position": wizard.position,
            "search_id": wizard.search_id,
        }

    @classmethod
    def restore(cls, session: ChatSession, state: dict[str, Any]) -> _WizardFlow:
        answers = decode(state["answers"])
        wizard = Wizard(session._wizard_context(), answers, state["position"], state["search_id"])
        wizard.current()  # a step this version no longer has fails here, not later
        return cls(session, wizard)

    def question(self) -> Reply:
        return self.wizard.current()

    async def answer(self, text: str) -> list[Reply]:
        return await self._went(self.wizard.answer(text))

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self._went(self.wizard.choose([o.value for o in picked]))

    async def _went(self, result: WizardResult) -> list[Reply]:
        if result.cancelled:
            self.session.pending = None
            return [result.reply]
        if result.draft is None:
            return [result.reply]
        try:
            replies = await self.session.start_search(result.draft, self.wizard.search_id)
        except ConversationConflict:
            raise  # confirmed elsewhere meanwhile: the caller starts over from that state
        except MonitorError as exc:
            # Keep the answers: the user can edit what the limit or check refused.
            self.wizard.position = "summary"
            return [user_text(exc), self.wizard.current()]
        self.session.pending = None
        return replies


class _TemplatePick:
    """/templates typed: every template in one list, picked by button, number or slug."""

    def __init__(self, session: ChatSession, found: list[tuple[str, str, str]]):
        self.session = session
        self.found = found  # (name, slug, the line that describes it)
        self.slugs = [slug for _, slug, _ in found]

    def state(self) -> dict[str, Any]:
        return {"kind": "templates", "found": [list(f) for f in self.found]}

    @classmethod
    def restore(cls, session: ChatSession, state: dict[str, Any]) -> _TemplatePick:
        return cls(session, [(str(n), str(slug), str(line)) for n, slug, line in state["found"]])

    def question(self) -> Reply:
        lines = [f"{i}. {line}" for i, (_, _, line) in enumerate(self.found, 1)]
        return ask(
            "Ready-made searches — pick one to start it now (you can adjust it after):\n"
            + "\n".join(lines),
            *((name, slug) for name, slug, _ in self.found),
        )

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self.session.use_template(str(picked[0].value))

    async def answer(self, text: str) -> list[Reply]:
        choice = text.strip().lower()
        number = parse_int(choice, minimum=1, maximum=len(self.slugs))
        if number is not None:
            choice = self.slugs[number - 1]
        if choice not in self.slugs:
            return [say("Pick a template by its number, or /cancel.")]
        return await self.session.use_template(choice)


class _SettingsPick:
    def __init__(self, session: ChatSession, sections: tuple[SettingsSection, ...]):
        self.session = session
        self.sections = {s.key: s for s in sections}

    def state(self) -> dict[str, Any]:
        return {"kind": "settings"}

    @classmethod
    def restore(cls, session: ChatSession, state: dict[str, Any]) -> _SettingsPick:
        return cls(session, session.services.settings_sections)

    def ask(self, section: SettingsSection) -> list[Reply]:
        question = section.open(self.session.account)
        self.session.pending = _SettingsAnswer(self, section.key, question.prompt, question.apply)
        return [question.prompt]

    def question(self) -> Reply:
        return settings_menu(self.session.account, tuple(self.sections.values()))

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self.answer(str(picked[0].value))

    async def answer(self, text: str) -> list[Reply]:
        choice = text.strip().lower()
        if choice == DONE:
            self.session.pending = None
            return [say("Settings saved.")]
        by_label = {s.label.lower(): s for s in self.sections.values()}
        section = self.sections.get(choice) or by_label.get(choice)
        if section is None:
            return [with_problem("Pick one of the settings listed.", self.question())]
        return self.ask(section)

    async def direct(self, key: str, answer: str) -> list[Reply]:
        """A section picked (and maybe answered) in the command itself."""
        replies = await self.answer(key)
        pending = self.session.pending
        if not answer or not isinstance(pending, _SettingsAnswer):
            return replies
        try:
            done = await pending.apply(self.session.account, answer)
        except BadAnswer as exc:  # stay on the question: the next message answers it
            return [with_problem(str(exc), pending.prompt)]
        self.session.pending = None
        return [say(done)]


class _SettingsAnswer:
    def __init__(
        self,
        pick: _SettingsPick,
        section: str,
        prompt: Reply,
        apply: Callable[[Account, str], Awaitable[str]],
    ):
        self.pick = pick
        self.section = section
        self.prompt = prompt
        self.apply = apply

    def state(self) -> dict[str, Any]:
        return {"kind": "setting", "section": self.section}

    @classmethod
    def restore(cls, session: ChatSession, state: dict[str, Any]) -> _Pending:
        pick = _SettingsPick(session, session.services.settings_sections)
        pick.ask(pick.sections[state["section"]])
        assert session.pending is not None
        return session.pending

    def question(self) -> Reply:
        return self.prompt

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self.answer(str(picked[0].value))

    async def answer(self, text: str) -> list[Reply]:
        session = self.pick.session
        try:
            done = await self.apply(session.account, text)
        except BadAnswer as exc:
            return [with_problem(str(exc), self.prompt)]
        session.pending = self.pick
        return [with_problem(done, self.pick.question())]


class _ConfirmDelete:
    def __init__(self, session: ChatSession, search_id: int, name: str):
        self.session = session
        self.search_id = search_id
        self.name = name

    def state(self) -> dict[str, Any]:
        return {"kind": "delete", "search_id": self.search_id, "name": self.name}

    @classmethod
    def restore(cls, session: ChatSession, state: dict[str, Any]) -> _ConfirmDelete:
        return cls(session, int(state["search_id"]), str(state.get("name", "")))

    def question(self) -> Reply:
        return ask(
            f"Delete #{self.search_id} {self.name}? Its saved listings go with it.",
            ("Yes, delete it", "yes"),
            ("No, keep it", "no"),
        )

    async def choose(self, picked: list[Option]) -> list[Reply]:
        return await self.answer(str(picked[0].value))

    async def answer(self, text: str) -> list[Reply]:
        self.session.pending = None
        if text.strip().lower() in {"yes", "y", "delete"}:
            await self.session.claim()
            owner = await self.session.acting(self.search_id)
            await self.session.services.searches.delete(owner, self.search_id)
            return [say(f"🗑 Deleted #{self.search_id}.")]
        return [say(f"Kept #{self.search_id}.")]


def _restore_erase(session: ChatSession, state: dict[str, Any]) -> _Pending:
    return session._confirm_erase()


_RESTORE: dict[str, Callable[[ChatSession, dict[str, Any]], _Pending]] = {
    "wizard": _WizardFlow.restore,
    "templates": _TemplatePick.restore,
    "settings": _SettingsPick.restore,
    "setting": _SettingsAnswer.restore,
    "delete": _ConfirmDelete.restore,
    "erase": _restore_erase,
}


def split_command(text: str) -> tuple[str, str]:
    """'/pause 3' → ('pause', '3'); any whitespace (a newline too) ends the command's name."""
    parts = text[1:].split(None, 1)
    return (parts[0] if parts else ""), (parts[1].strip() if len(parts) > 1 else "")


def _saved_note(match: Any) -> list[str]:
    """Sold / ended / gone, or a price rise (resellers, issue 14)."""
    listing = match.listing
    note = saved_note(str(listing.state), listing.price_history, listing.currency)
    return [note] if note else []


def command_id(args: str, command: str) -> int:
    """The one id a command takes ('/pause 3', '/pause #3'); anything else gets its usage."""
    number = parse_id(args.removeprefix("#"))
    if number is None:
        raise Usage(command)
    return number


def page_number(args: str, command: str) -> int:
    """An optional page number: none means the first page."""
    if not args:
        return 1
    number = parse_int(args, minimum=1)
    if number is None:
        raise Usage(command)
    return number


class StaleQuestion(MonitorError):
    """A button of a question that is no longer the open one was pressed."""

    def __init__(self) -> None:
        super().__init__(texts.STALE)


def _typed_option(question: Reply, text: str) -> Option | None:
    """The option whose label was typed ("Every 30 min"), for a single-choice question."""
    if question.multi_select:
        return None
    wanted = " ".join(text.split()).lower()
    return next((o for o in question.options if o.label.lower() == wanted), None)


class Usage(MonitorError):
    """A command was typed without the argument it needs, or with one it cannot use."""

    def __init__(self, command: str) -> None:
        super().__init__(texts.USAGE[command])
        self.command = command


def _listing(match: Match) -> ListingData:
    return listing_data(match.listing)


__all__ = [
    "PRIVATE_VIEWS",
    "ChatServices",
    "ChatSession",
    "StaleQuestion",
    "Usage",
    "page_number",
    "split_command",
]
