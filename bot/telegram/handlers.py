"""Telegram updates in, conversation and menus out: commands, typed answers, button presses.

Every button press is answered (answerCallbackQuery) exactly once, whatever happens. Menus
edit their own message; a typed answer gets a new message and the previous question loses
its buttons, so nothing stale can be pressed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.conversation import ChatServices, Reply
from bot.conversation.actions import Act, Action, decode
from bot.conversation.errors import UNEXPECTED, user_text
from bot.conversation.pressed import SAVED_PRIVATE, act, command_screen
from bot.conversation.registry import Where, in_menu
from bot.conversation.session import split_command
from bot.conversation.texts import STALE
from bot.telegram import menus
from bot.telegram.alerts import alert_keyboard
from bot.telegram.chats import Chats, ChatState, Menu
from bot.telegram.markup import CAPTION_LIMIT, escape, escape_fit, plain_fit
from core import access, matches, prices, sellers
from core.destinations import deactivate_chat
from core.enums import Platform
from core.errors import ConversationConflict, MonitorError
from core.views import AccountView as Account
from core.views import MatchView as Match

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


def _menu(where: Where) -> tuple[BotCommand, ...]:
    return tuple(BotCommand(spec.name, spec.summary) for spec in in_menu(where))


# Each scope's menu lists only what works there (bot.conversation.registry says where each
# command belongs): settings, verification and personal data are private-chat only; in a
# group only admins can start or change searches.
def command_menus() -> tuple[tuple[BotCommandScope, tuple[BotCommand, ...]], ...]:
    """setMyCommands' arguments per scope, from the registry as it is now."""
    return (
        (BotCommandScopeAllPrivateChats(), _menu(Where.PRIVATE)),
        (BotCommandScopeAllGroupChats(), _menu(Where.GROUP)),
        (BotCommandScopeAllChatAdministrators(), _menu(Where.GROUP_ADMIN)),
    )


COMMANDS = _menu(Where.PRIVATE)
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
ERROR_TEXT = UNEXPECTED
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
Toast = tuple[str | None, bool]  # the answer to a button press: text, shown as an alert?
CLOSED: Toast = (STALE, False)
EXPIRED: Toast = ("This button no longer works.", True)
PRIVATE_ONLY: Toast = (SAVED_PRIVATE, True)
PERSONAL_SAVED = "⭐ Saved to your own /saved: send /saved to me in a private chat."
PERSONAL_UNSAVED = "Removed from your /saved."


def command_of(text: str, bot_username: str) -> tuple[str, str] | None:
    """('newsearch', args) for '/newsearch@ThisBot args'; None for plain text or another bot's
    command ('/start@OtherBot')."""
    if not text.startswith("/"):
        return None
    head, args = split_command(text)
    name, _, target = head.partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower(), args


class TelegramHandlers:
    """The handlers PTB calls; one instance per bot."""

    def __init__(
        self, services: ChatServices, application: Application[Any, Any, Any, Any, Any, Any]
    ):
        self.services = services
        self.bot = application.bot
        self.chats = Chats(services, application.bot)
        # Messages to delete later (a token's secret): task → (chat id, message id).
        self._deletions: dict[asyncio.Task[None], tuple[int, int]] = {}

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        new_text = filters.UpdateType.MESSAGE & filters.TEXT
        application.add_handler(MessageHandler(new_text, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_handler(
            ChatMemberHandler(self.on_membership, ChatMemberHandler.MY_CHAT_MEMBER)
        )
        application.add_error_handler(self.on_error)

    # --- messages ----------------------------------------------------------------------------
    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message, chat, user = update.message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or user.is_bot or not message.text:
            return
        text = message.text
        command = command_of(text, self.bot.username or "")
        if text.startswith("/") and command is None:
            return  # addressed to another bot in the group
        shared = chat.type != ChatType.PRIVATE
        if shared and command is None and not await self.chats.waiting(chat.id, user.id):
            return  # group chatter that is not an answer to us

        async def work(state: ChatState) -> None:
            await self._text(state, chat, text, command)

        await self._in_conversation(chat, user, work)

    async def _in_conversation(
        self, chat: Chat, user: User, work: Callable[[ChatState], Awaitable[_T]]
    ) -> _T:
        """``work`` on the conversation as stored, written back after; when another update
        moved it on meanwhile (compare-and-set refused), once more from that state."""
        async with self.chats.lock(chat.id, user.id):
            try:
                return await self._work_once(chat, user, work)
            except ConversationConflict:
                logger.info("conversation in %s moved on meanwhile: once more", chat.id)
                return await self._work_once(chat, user, work)

    async def _work_once(
        self, chat: Chat, user: User, work: Callable[[ChatState], Awaitable[_T]]
    ) -> _T:
        state = await self.chats.state_for(chat, user)
        result = await work(state)
        await self.chats.save(state)
        return result

    async def _text(
        self, state: ChatState, chat: Chat, text: str, command: tuple[str, str] | None
    ) -> None:
        try:
            screen = None
            if command is not None:
                name, args = command
                screen = await command_screen(state.session, name, args, self._deep_link)
            if screen is not None:  # a screen of buttons; the open question stays open
                await self._put(chat.id, menus.render(screen), None)
                return
            replies = await state.session.handle(text)
        except ConversationConflict:
            raise
        except MonitorError as exc:
            replies = [user_text(exc)]
        await self.show(state, chat.id, replies)

    def _deep_link(self, view: str) -> str:
        return menus.deep_link(self.bot.username or "", view)

    # --- showing conversation replies ----------------------------------------------------------
    async def show(
        self, state: ChatState, chat_id: int, replies: list[Reply], edit_id: int | None = None
    ) -> None:
        """Send ``replies`` (the first one edits ``edit_id`` if given); a question among them
        becomes the open menu, and the previous menu loses its buttons."""
        replies = [r for r in replies if r.text or r.buttons] or [Reply("OK.")]
        previous, state.menu = state.menu, None
        if previous is not None and previous.message_id != edit_id:
            await self._set_markup(chat_id, previous.message_id, None)
        for index, reply in enumerate(replies):
            if reply.document is not None:
                await self._send_document(chat_id, reply)
                continue
            if reply.image is not None:  # /prices (issue 16): a chart with its figures
                await self.bot.send_photo(
                    chat_id,
                    InputFile(reply.image.content, filename=reply.image.filename),
                    caption=escape_fit(reply.text, CAPTION_LIMIT),
                    parse_mode=ParseMode.HTML,
                )
                continue
            target = edit_id if index == 0 else None
            message_id = await self._put(chat_id, menus.render(reply), target)
            if reply.delete_after_seconds is not None:
                self._delete_later(chat_id, message_id, reply.delete_after_seconds)
            if reply.options:
                state.menu = Menu(message_id)

    # A delayed job in this process, not the notice outbox: the outbox only sends, and a
    # deletion needs the message id this process just got. If the process stops first, the
    # message is deleted at once on the way out (``delete_pending_now``); only a hard kill
    # within that minute leaves it, and the user can revoke the token.
    def _delete_later(self, chat_id: int, message_id: int, seconds: float) -> None:
        task = asyncio.create_task(self._delete_after(chat_id, message_id, seconds))
        self._deletions[task] = (chat_id, message_id)
        task.add_done_callback(self._deletions.pop)

    async def _delete_after(self, chat_id: int, message_id: int, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._delete(chat_id, message_id)

    async def _delete(self, chat_id: int, message_id: int) -> None:
        try:
            await self.bot.delete_message(chat_id, message_id)
        except TelegramError as exc:  # already deleted by the user, or too old
            logger.info("could not delete message %s in %s: %s", message_id, chat_id, exc)

    async def delete_pending_now(self) -> None:
        """On stop: what was to be deleted later is deleted now."""
        pending = list(self._deletions.items())
        for task, _ in pending:
            task.cancel()
        await asyncio.gather(*(task for task, _ in pending), return_exceptions=True)
        for _, (chat_id, message_id) in pending:
            await self._delete(chat_id, message_id)

    async def _send_document(self, chat_id: int, reply: Reply) -> None:
        """A reply with a file (/export): the file, with the text as its caption."""
        assert reply.document is not None
        document = reply.document
        await self.bot.send_document(
            chat_id,
            InputFile(document.content, filename=document.filename),
            caption=escape_fit(reply.text, CAPTION_LIMIT),
            parse_mode=ParseMode.HTML,
        )

    async def _put(self, chat_id: int, screen: menus.Screen, edit_id: int | None) -> int:
        """Edit message ``edit_id`` into ``screen`` (or send it anew); returns its id."""
        html_text, keyboard = screen.html, screen.keyboard
        if edit_id is not None:
            try:
                await self.bot.edit_message_text(
                    html_text,
                    chat_id=chat_id,
                    message_id=edit_id,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    link_preview_options=NO_PREVIEW,
                )
                return edit_id
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return edit_id
                # A photo alert, or a message too old to edit: say it in a new message.
                logger.info("could not edit message %s in %s: %s", edit_id, chat_id, exc)
        sent = await self.bot.send_message(
            chat_id,
            html_text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            link_preview_options=NO_PREVIEW,
        )
        return int(sent.message_id)

    async def _set_markup(
        self, chat_id: int, message_id: int, keyboard: InlineKeyboardMarkup | None
    ) -> None:
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=keyboard
            )
        except BadRequest as exc:  # not modified, or gone: nothing to do either way
            logger.debug("keyboard of %s in %s unchanged: %s", message_id, chat_id, exc)

    # --- button presses ----------------------------------------------------------------------
    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        toast: Toast = (None, False)
        try:
            toast = await self._button(query)
        except ConversationConflict:
            toast = CLOSED  # pressed twice at once: the other press was handled
        except MonitorError as exc:
            toast = (user_text(exc).text, True)
        finally:
            await self._answer(query, toast)

    async def _answer(self, query: CallbackQuery, toast: Toast) -> None:
        text, alert = toast
        try:
            # Pop-ups are plain text: no HTML escapes.
            await query.answer(plain_fit(text, 190) if text else None, show_alert=alert)
        except BadRequest as exc:  # too old, or already answered
            logger.info("callback %s could not be answered: %s", query.id, exc)

    async def _button(self, query: CallbackQuery) -> Toast:
        action = decode(query.data)
        message = query.message
        user = query.from_user
        if action is None or message is None:
            logger.warning("refused callback %r from user %s: not ours", query.data, user.id)
            return EXPIRED
        chat, message_id = message.chat, message.message_id

        async def work(state: ChatState) -> Toast:
            return await self._route(state, chat.id, message_id, action)

        return await self._in_conversation(chat, user, work)

    async def _route(
        self, state: ChatState, chat_id: int, message_id: int, action: Action
    ) -> Toast:
        if action.act in _ALERT_ACTIONS:
            return await self._alert_press(state, chat_id, message_id, action)
        pressed = await act(state.session, action)
        if pressed.screen is not None:
            await self._put(chat_id, menus.render(pressed.screen), message_id)
        elif pressed.replies:
            edit_id = None if pressed.below else message_id
            await self.show(state, chat_id, pressed.replies, edit_id=edit_id)
        return pressed.toast, pressed.alert

    async def _alert_press(
        self, state: ChatState, chat_id: int, message_id: int, action: Action
    ) -> Toast:
        if state.rights.is_group and action.act in (Act.SAVE, Act.UNSAVE):
            # Save is personal in a group (as in a Discord channel): the presser's own
            # /saved, told only to them; the group's alert stays as everyone sees it.
            shared = await access.shared_alert(state.rights.actor, action.id)
            mine = state.rights.account
            if action.act is Act.UNSAVE:
                await matches.unsave_personal(mine, shared.listing.id)
                return PERSONAL_UNSAVED, False
            await matches.save_personal(mine, shared)
            return PERSONAL_SAVED, False
        match, owner = await state.rights.match_owner(action.id)
        change, toast = _ALERT_ACTIONS[action.act]
        match = await change(owner, match.id)
        verdict = await prices.verdict_of(match.id) is not None  # keeps its Not a deal button
        keyboard = alert_keyboard(
            match.id, match.listing.url, match.status, match.listing.seller, verdict
        )
        await self._set_markup(chat_id, message_id, keyboard)
        return toast, False

    # --- the bot's own membership ----------------------------------------------------------------
    async def on_membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        chat = change.chat
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            await deactivate_chat(Platform.TELEGRAM, str(chat.id), f"the bot was {status}")
            return
        was = change.old_chat_member.status
        joined = was in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        if joined and chat.type != ChatType.PRIVATE:
            await self.bot.send_message(
                chat.id,
                "👋 Hi! I post new marketplace listings here. Group admins: send /newsearch "
                "or /templates to start a search for this group.",
            )

    # --- errors --------------------------------------------------------------------------------
    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Logs with the traceback; tells the user in words."""
        where = update.update_id if isinstance(update, Update) else "polling"
        logger.error("telegram update %s failed", where, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            reply = user_text(context.error or Exception())
            await self.bot.send_message(update.effective_chat.id, escape(reply.text))
        except TelegramError as exc:
            logger.warning(
                "could not tell chat %s about the error: %s", update.effective_chat.id, exc
            )


async def _unsave(account: Account, match_id: int) -> Match:
    return await matches.unhide(account, match_id)


# An alert's buttons change the alert's own keyboard (Telegram's: the alert is a photo).
_ALERT_ACTIONS = {
    Act.SAVE: (matches.save, "⭐ Saved. See them all with /saved."),
    Act.UNSAVE: (_unsave, "Removed from saved."),
    Act.HIDE: (matches.hide, "🙈 Hidden: no more alerts about this listing."),
    Act.UNHIDE: (matches.unhide, "👀 Back: alerts about it will come again."),
    # resellers (issue 14)
    Act.BLOCK_SELLER: (
        sellers.block_from_match,
        "🚫 Seller blocked: nothing more from them. /blocked undoes.",
    ),
}
