"""A stored interaction, handled in its channel's turn: the ChatSession and the answers.

Conversations are kept in the database (core.conversations) per (channel, user), so people
in a server channel don't mix and any process continues them. Every press is a typed Action
(its custom_id, bot/discord/render.py) routed through ``bot.conversation.pressed.act`` as in
Telegram; a question's buttons name it by reference, so a press on an older menu is refused
(``StaleQuestion``) and a forged id is only a claim checked against the presser's rights.
Answers go back as followups through the interaction's webhook (no gateway needed): ephemeral
in server channels (only the presser sees them), plain in DMs.
"""

from __future__ import annotations

import io
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import discord
from discord import app_commands

from bot.conversation import ChatServices, ChatSession, Reply
from bot.conversation.actions import Act, Action
from bot.conversation.errors import UNEXPECTED, user_text
from bot.conversation.pressed import act, searches_screen
from bot.conversation.replies import Document, say
from bot.conversation.screens import saved_page, template_categories
from bot.conversation.session import StaleQuestion
from bot.conversation.texts import STALE
from bot.discord.members import Departures, DiscordManagers
from bot.discord.render import (
    SELECT_OPTIONS,
    RawView,
    alert_components,
    burst_components,
    components,
    cut,
    parse_custom_id,
    reply_text,
)
from bot.discord.rights import DiscordRights
from core import access, accounts, matches, prices, searches, templates
from core.access import DISCORD_MANAGERS_ONLY
from core.conversations import ConversationKey
from core.enums import Platform
from core.errors import ConversationConflict, Forbidden, MonitorError
from core.inbox import Claim
from core.manager_roles import manager_role, set_manager_role
from core.numbers import parse_int
from core.views import AccountView as Account

logger = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
MANAGING = frozenset({"newsearch", "form", "pause", "resume", "delete"})
ALERT_ACTS = {Act.SAVE: matches.save, Act.HIDE: matches.hide, Act.UNHIDE: matches.unhide}
ALERT_TOASTS = {
    Act.SAVE: "⭐ Saved. See them all with /saved.",
    Act.UNSAVE: "Removed from saved.",
    Act.HIDE: "🙈 Hidden: no more alerts about this listing.",
    Act.UNHIDE: "👀 Back: alerts about it will come again.",
}
EXPIRED = "This button no longer works."
PERSONAL_SAVED = "⭐ Saved to your own /saved (only you see it)."
PERSONAL_UNSAVED = "Removed from your /saved."
ATTACHMENT_LIMIT = 10 * 2**20  # bytes: Discord's upload limit for a bot in any server or DM
TOO_BIG = "Your export is over Discord's {mib} MiB file limit; ask the operator for a copy."
# Typed answers for the form's optional fields left empty.
FORM_DEFAULTS = {"exclude": "none", "price": "any", "location": "anywhere"}


@dataclass(frozen=True, slots=True)
class InteractionJob:
    """What is kept of an interaction in the inbox: enough to answer it from any process."""

    interaction_id: int
    application_id: int
    token: str = field(repr=False)
    channel_id: str
    guild_id: str | None
    user_id: str
    user_name: str
    title: str
    permissions: int
    data: dict[str, Any]
    roles: list[str] = field(default_factory=list)  # the presser's roles in the server

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> InteractionJob:
        return cls(**payload)

    @property
    def shared(self) -> bool:
        return self.guild_id is not None


@dataclass(slots=True)
class Turn:
    """One interaction being handled: its session, rights and way to answer."""

    job: InteractionJob
    session: ChatSession
    rights: DiscordRights
    webhook: discord.Webhook


class DiscordChats:
    def __init__(self, services: ChatServices, client: discord.Client) -> None:
        self.services = services
        self.client = client
        self.departures = Departures(client, services.clock)

    # --- the worker's handler -----------------------------------------------------------------
    async def handle(self, claim: Claim) -> None:
        job = InteractionJob.from_json(claim.payload)
        webhook = discord.Webhook.from_state(
            data={"id": job.application_id, "type": 3, "token": job.token},
            state=self.client._connection,
        )
        try:
            try:
                await self._once(job, webhook)
            except ConversationConflict:
                logger.info("conversation in %s moved on meanwhile: once more", job.channel_id)
                await self._once(job, webhook)
        except MonitorError as exc:
            await self._say(webhook, job, [user_text(exc)])
        except discord.NotFound as exc:  # the token ran out (15 min): nobody to answer
            logger.warning("discord interaction %s: %s", job.interaction_id, exc)
        except Exception:  # the one error handler of the worker side: logged, user told
            logger.exception("discord interaction %s failed", job.interaction_id)
            await self._say(webhook, job, [say(UNEXPECTED)])

    async def _once(self, job: InteractionJob, webhook: discord.Webhook) -> None:
        turn = await self._turn(job, webhook)
        if job.guild_id is not None:  # has a creator of this channel's searches left?
            manager = job.user_id if turn.rights.is_manager else None
            await self.departures.on_use(job.channel_id, job.guild_id, manager)
        for notice in await turn.session.load():
            await self._say(webhook, job, [notice])
        await self._route(turn)
        await turn.session.save()

    async def _turn(self, job: InteractionJob, webhook: discord.Webhook) -> Turn:
        account = await accounts.identify(Platform.DISCORD, job.user_id, job.user_name)
        destination = await accounts.destination_for(
            account,
            Platform.DISCORD,
            job.channel_id,
            kind="channel" if job.shared else "private",
            title=job.title,
        )
        rights = await rights_for(job, account)
        session = ChatSession(self.services, account, destination)
        session.key = ConversationKey(Platform.DISCORD, job.channel_id, job.user_id)
        session.search_rights = rights.search_owner
        session.manager_check = rights.require_manager
        # In a server every answer is ephemeral, seen by the asker only: /export may go there.
        session.answers_private = job.shared
        if job.guild_id is not None:  # /adopt asks Discord who still manages the server
            managers = frozenset({job.user_id}) if rights.is_manager else frozenset()
            session.chat_managers = DiscordManagers(
                self.client, job.guild_id, rights.manager_role, managers
            )
        return Turn(job, session, rights, webhook)

    async def _route(self, turn: Turn) -> None:
        data = turn.job.data
        kind = data["kind"]
        name = data.get("name", kind)
        if name in MANAGING and turn.rights.is_group:
            await turn.rights.require_manager()
        if kind == "form":
            typed = {k: v or FORM_DEFAULTS.get(k, "") for k, v in data["fields"].items()}
            session = turn.session
            await self._show(turn, session.stamp(await session.new_search_with(typed)))
        elif kind == "command":
            await self._command(turn, name, str(data.get("args") or ""))
        elif kind == "press":
            await self._press(turn, str(data["custom_id"]), [str(v) for v in data["values"]])

    async def _command(self, turn: Turn, name: str, args: str) -> None:
        session = turn.session
        if name == "searches":
            await self._show(turn, [await searches_screen(session)])
        elif name == "saved":  # personal: ephemeral in a server channel, so shown anywhere
            page = await matches.list_saved(session.account, 1)
            await self._show(turn, [saved_page(page, self.services.clock())])
        elif name == "templates":
            await self._show(turn, [template_categories(await templates.categories())])
        elif name == "managerrole":
            await self._show(turn, [await self._manager_role(turn, args)])
        elif name == "answer":
            await self._show(turn, await session.handle(args))
        else:
            await self._show(turn, await session.handle(f"/{name} {args}".strip()))

    async def _manager_role(self, turn: Turn, role_id: str) -> Reply:
        """/managerrole [role]: Manage Server members choose (or clear) the role whose
        members may manage this server's searches too."""
        if turn.job.guild_id is None:
            return say("Manager roles are for servers: send /managerrole in a server channel.")
        if not turn.rights.is_admin_here:
            raise Forbidden("Only members with Manage Server can choose the manager role.")
        await set_manager_role(Platform.DISCORD, turn.job.guild_id, role_id or None)
        if not role_id:
            return say("Cleared: only members with Manage Server manage searches here now.")
        return say(f"Members with <@&{role_id}> can now manage this server's searches.")

    async def _press(self, turn: Turn, custom_id: str, values: list[str]) -> None:
        action = parse_custom_id(custom_id)
        if action is None:
            logger.warning("refused custom_id %r from user %s", custom_id, turn.job.user_id)
            await self._say(turn.webhook, turn.job, [say(EXPIRED)], ephemeral=True)
        elif action.act in ALERT_TOASTS:
            await self._alert(turn, action)
        elif action.act is Act.SAVED_PAGE:  # personal, and ephemeral in a server: any chat
            page = await matches.list_saved(turn.session.account, action.id)
            await self._edit(turn, saved_page(page, self.services.clock()))
        elif action.act is Act.CHOICES_DONE and values:  # a multi-select question's menu
            await self._picked(turn, action, values)
        else:
            pressed = await act(turn.session, action)
            if pressed.screen is not None:
                await self._edit(turn, pressed.screen)
            elif pressed.replies:
                await self._show(turn, pressed.replies)
            if pressed.toast:  # a stale menu's refusal, a hint: for the presser only
                await self._say(turn.webhook, turn.job, [say(pressed.toast)], ephemeral=True)

    async def _picked(self, turn: Turn, done: Action, values: list[str]) -> None:
        """The options picked in a multi-select menu (values: their indexes), submitted."""
        indexes = [parse_int(v, minimum=0, maximum=SELECT_OPTIONS - 1) for v in values]
        try:
            if any(i is None for i in indexes):
                raise StaleQuestion()
            replies = await turn.session.choose_all(done.ref, [i for i in indexes if i is not None])
        except StaleQuestion:
            await self._say(turn.webhook, turn.job, [say(STALE)], ephemeral=True)
            return
        await self._show(turn, replies)

    async def _alert(self, turn: Turn, action: Action) -> None:
        """Save / Hide on an alert. Hide changes what the whole channel gets: managers only
        (core.access checks the presser may act on this match, in this channel)."""
        hiding = action.act in (Act.HIDE, Act.UNHIDE)
        if turn.rights.is_group and hiding and not turn.rights.is_manager:
            raise Forbidden(DISCORD_MANAGERS_ONLY)
        if turn.rights.is_group and not hiding:
            # Save is personal in a channel: the presser's own /saved, said only to them;
            # the channel's message stays as everyone else sees it.
            shared = await access.shared_alert(turn.rights.actor, action.id)
            mine = turn.session.account
            if action.act is Act.UNSAVE:
                await matches.unsave_personal(mine, shared.listing.id)
                toast = PERSONAL_UNSAVED
            else:
                await matches.save_personal(mine, shared)
                toast = PERSONAL_SAVED
            await self._say(turn.webhook, turn.job, [say(toast)], ephemeral=True)
            return
        match, owner = await turn.rights.match_owner(action.id)
        if action.act is Act.UNSAVE:
            match = await matches.unhide(owner, match.id)
        else:
            match = await ALERT_ACTS[action.act](owner, match.id)
        raw = turn.job.data.get("burst")  # a list of match ids (older jobs: a bool)
        burst = [int(i) for i in raw] if isinstance(raw, list) else []
        if burst:  # several alerts in one message: all their buttons, this one's new state
            statuses = [(i, await matches.status_of(i)) for i in burst]
            rows = burst_components(statuses)
        else:
            verdict = await prices.verdict_of(match.id) is not None
            rows = alert_components(match.id, match.listing.url, match.status, verdict)
        await _edit_original(turn.webhook, view=RawView(rows))
        await self._say(turn.webhook, turn.job, [say(ALERT_TOASTS[action.act])], ephemeral=True)

    # --- answering ----------------------------------------------------------------------------
    async def _show(self, turn: Turn, replies: list[Reply]) -> None:
        """Send ``replies`` as followups (a question's buttons carry its reference)."""
        replies = [r for r in replies if r.text or r.buttons] or [say("OK.")]
        for reply in replies:
            # A secret shown once (/token create): ephemeral even in a DM, so only its owner
            # sees it and it is gone once dismissed (Telegram's front-end deletes it instead).
            secret = reply.delete_after_seconds is not None
            if reply.image is not None:  # /prices (issue 16): the chart as an attachment
                await turn.webhook.send(
                    reply_text(reply),
                    file=discord.File(io.BytesIO(reply.image.content), reply.image.filename),
                    ephemeral=turn.job.shared,
                    allowed_mentions=NO_MENTIONS,
                    wait=True,
                )
                continue
            extra: dict[str, Any] = {}
            if reply.document is not None:  # /export: the file itself, as an attachment
                extra["file"] = attachment(reply.document)
                if extra["file"] is None:
                    reply = say(TOO_BIG.format(mib=ATTACHMENT_LIMIT // 2**20))
                    extra = {}
            await turn.webhook.send(
                reply_text(reply),
                view=RawView(components(reply)),
                ephemeral=turn.job.shared or secret,
                allowed_mentions=NO_MENTIONS,
                wait=True,
                **extra,
            )

    async def _edit(self, turn: Turn, reply: Reply) -> None:
        """A screen in place of the pressed one."""
        rows = components(reply)
        await _edit_original(turn.webhook, content=reply_text(reply), view=RawView(rows))

    async def _say(
        self,
        webhook: discord.Webhook,
        job: InteractionJob,
        replies: list[Reply],
        *,
        ephemeral: bool | None = None,
    ) -> None:
        for reply in replies:
            try:
                await webhook.send(
                    cut(reply_text(reply), 2000),
                    ephemeral=job.shared if ephemeral is None else ephemeral,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.HTTPException as exc:
                logger.warning("could not answer interaction %s: %s", job.interaction_id, exc)

    # --- autocomplete (read-only, answered at once) -----------------------------------------
    async def suggest(self, job: InteractionJob, typed: str) -> list[app_commands.Choice[int]]:
        """The searches one may act on here: a channel's for its managers, one's own in DMs."""
        account = await accounts.identify(Platform.DISCORD, job.user_id, job.user_name)
        if job.shared:
            rights = DiscordRights(
                job.channel_id, job.user_id, job.guild_id, job.permissions, account
            )
            if not rights.is_manager:
                return []
            destination = await accounts.destination_for(
                account, Platform.DISCORD, job.channel_id, kind="channel", title=job.title
            )
            found = await searches.for_destination(destination.id)
        else:
            found = await self.services.searches.list_for(account)
        wanted = typed.strip().lower().lstrip("#")
        return [
            app_commands.Choice(name=cut(f"#{s.id} {s.name}", 100), value=s.id)
            for s in found
            if wanted in f"{s.id} {s.name}".lower()
        ][:25]


async def rights_for(job: InteractionJob, account: Account) -> DiscordRights:
    role = None
    if job.guild_id is not None:
        role = await manager_role(Platform.DISCORD, job.guild_id)
    return DiscordRights(
        job.channel_id,
        job.user_id,
        job.guild_id,
        job.permissions,
        account,
        tuple(job.roles),
        role,
    )


def attachment(document: Document) -> discord.File | None:
    """A reply's file as a Discord attachment; None over the upload limit every server
    allows (10 MiB), which Discord would refuse (40005 Request entity too large)."""
    if len(document.content) > ATTACHMENT_LIMIT:
        return None
    return discord.File(io.BytesIO(document.content), filename=document.filename)


async def _edit_original(webhook: discord.Webhook, **changes: Any) -> None:
    # "@original": after a component's deferred update, the message that carried it.
    await webhook.edit_message(cast(int, "@original"), allowed_mentions=NO_MENTIONS, **changes)
