"""Telegram updates in, conversation and menus out: commands, typed answers, button presses.

Every button press is answered (answerCallbackQuery) exactly once, whatever happens. Menus
edit their own message; a typed answer gets a new message and the previous question loses
its buttons, so nothing stale can be pressed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import (
    BotCommand,
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
from bot.conversation import sellers as blocked_sellers
from bot.conversation.actions import decode
from bot.conversation.errors import UNEXPECTED, user_text
from bot.conversation.pressed import SAVED_PRIVATE, act, searches_screen
from bot.conversation.session import PRIVATE_VIEWS, page_number, split_command
from bot.telegram import callbacks, menus
from bot.telegram.alerts import alert_keyboard
from bot.telegram.callbacks import Callback, Namespace
from bot.telegram.chats import Chats, ChatState, Menu
from bot.telegram.markup import (
    CAPTION_LIMIT,
    escape,
    escape_fit,
    menu_keyboard,
    plain_fit,
    reply_html,
)
from core import matches, sellers, templates
from core.destinations import deactivate_chat
from core.enums import Platform
from core.errors import ConversationConflict, MonitorError
from core.views import AccountView as Account
from core.views import MatchView as Match

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

_ALL_COMMANDS = {
    "newsearch": "Set up a new search",
    "templates": "Start from a ready-made search",
    "searches": "Your searches: pause, edit, delete",
    "saved": "Listings you saved",
    "blocked": "Sellers you blocked",
    "settings": "Time zone, quiet hours, email / SMS / webhook",
    "verify": "Confirm an address with its code",
    "stats": "Your numbers",
    "export": "A file of everything held about you",
    "deleteaccount": "Delete your account and its data",
    "help": "What I can do",
    "cancel": "Stop what we're doing",
    "start": "Welcome and how to begin",
}


def _menu(*names: str) -> tuple[BotCommand, ...]:
    return tuple(BotCommand(name, _ALL_COMMANDS[name]) for name in names)


# Each scope's menu lists only what works there: settings, verification and personal data
# are private-chat only; in a group only admins can start or change searches.
COMMANDS = _menu(*_ALL_COMMANDS)
GROUP_ADMIN_COMMANDS = _menu("newsearch", "templates", "searches", "help", "cancel")
GROUP_COMMANDS = _menu("searches", "help")
COMMAND_MENUS = (
    (BotCommandScopeAllPrivateChats(), COMMANDS),
    (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), GROUP_ADMIN_COMMANDS),
)
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
# Commands that change a group's searches: only its admins may use them there.
MANAGING = frozenset({"newsearch", "edit", "pause", "resume", "delete"})
ERROR_TEXT = UNEXPECTED
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
Toast = tuple[str | None, bool]  # the answer to a button press: text, shown as an alert?
CLOSED: Toast = ("This question is closed. Send the command again to start over.", False)
EXPIRED: Toast = ("This button no longer works.", True)
PRIVATE_ONLY: Toast = (SAVED_PRIVATE, True)


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
            await self._text(state, chat, _typed_choice(state, text), command)

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
        name, args = command or ("", "")
        try:
            screen = await self._menu_command(state, name, args)
            if screen is not None:
                await self._send_screen(chat.id, screen)
                return
            if name in MANAGING and state.rights.is_group:
                await state.rights.require_manager()
            replies = await state.session.handle(text)
        except ConversationConflict:
            raise
        except MonitorError as exc:
            replies = [user_text(exc)]
        await self.show(state, chat.id, replies)

    async def _menu_command(self, state: ChatState, name: str, args: str) -> menus.Screen | None:
        if state.rights.is_group and name in PRIVATE_VIEWS:
            # One member's saved listings and numbers are not for the whole group.
            return menus.private_link(name, self.bot.username or "")
        if name == "start" and args == "saved" and not state.rights.is_group:
            name, args = "saved", ""  # the deep link from a group's /saved
        if name == "searches":
            return await self._searches_screen(state)
        if name == "saved":
            page = await matches.list_saved(state.session.account, page_number(args, "saved"))
            return menus.saved_page(page, self.services.clock())
        if name == "templates":
            return menus.template_categories(await templates.categories())
        if name == "blocked":  # resellers (issue 14): a screen with Unblock buttons
            return menus.render(await blocked_sellers.blocked(state.session.account))
        return None

    async def _searches_screen(self, state: ChatState) -> menus.Screen:
        return menus.render(await searches_screen(state.session))

    # --- showing conversation replies ----------------------------------------------------------
    async def show(
        self, state: ChatState, chat_id: int, replies: list[Reply], edit_id: int | None = None
    ) -> None:
        """Send ``replies`` (the first one edits ``edit_id`` if given); the last question with
        choices becomes the open menu, and the previous menu loses its buttons."""
        replies = [r for r in replies if r.text or r.buttons] or [Reply("OK.")]
        previous, state.menu = state.menu, None
        if previous is not None and previous.message_id != edit_id:
            await self._set_markup(chat_id, previous.message_id, None)
        for index, reply in enumerate(replies):
            if reply.document is not None:
                await self._send_document(chat_id, reply)
                continue
            menu = Menu(0, reply) if reply.buttons and index == len(replies) - 1 else None
            keyboard = menu_keyboard(reply, menu.token) if menu else None
            target = edit_id if index == 0 else None
            message_id = await self._put(chat_id, reply_html(reply), keyboard, target)
            if menu is not None:
                menu.message_id = message_id
                state.menu = menu

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

    async def _send_screen(
        self, chat_id: int, screen: menus.Screen, edit_id: int | None = None
    ) -> None:
        await self._put(chat_id, screen.html, screen.keyboard, edit_id)

    async def _put(
        self,
        chat_id: int,
        html_text: str,
        keyboard: InlineKeyboardMarkup | None,
        edit_id: int | None,
    ) -> int:
        """Edit message ``edit_id`` into this text (or send it anew); returns its message id."""
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
        data = callbacks.parse(query.data)
        message = query.message
        user = query.from_user
        if data is None or message is None:
            logger.warning("refused callback %r from user %s: not ours", query.data, user.id)
            return EXPIRED
        chat, message_id = message.chat, message.message_id

        async def work(state: ChatState) -> Toast:
            return await self._route(state, chat.id, message_id, data)

        return await self._in_conversation(chat, user, work)

    async def _route(
        self, state: ChatState, chat_id: int, message_id: int, data: Callback
    ) -> Toast:
        if data.namespace is Namespace.MENU:
            return await self._menu_press(state, chat_id, message_id, data)
        if data.namespace is Namespace.ALERT:
            return await self._alert_press(state, chat_id, message_id, data)
        action = decode(data.encode())
        if action is None:
            return EXPIRED
        pressed = await act(state.session, action)
        if pressed.screen is not None:
            await self._send_screen(chat_id, menus.render(pressed.screen), message_id)
        elif pressed.replies:
            await self.show(state, chat_id, pressed.replies, edit_id=message_id)
        return pressed.toast, pressed.alert

    async def _menu_press(
        self, state: ChatState, chat_id: int, message_id: int, data: Callback
    ) -> Toast:
        menu = state.menu
        if menu is None or menu.token != data.target or menu.message_id != message_id:
            logger.info(
                "closed or foreign menu pressed by user %s in %s", state.rights.user_id, chat_id
            )
            return CLOSED
        buttons = menu.reply.buttons
        if data.action == "ok":
            if not menu.selected:
                return "Pick at least one first.", False
            value = ",".join(buttons[i].value for i in sorted(menu.selected))
        elif int(data.action) >= len(buttons):
            return EXPIRED
        elif menu.reply.multi_select:
            menu.selected ^= {int(data.action)}
            keyboard = menu_keyboard(menu.reply, menu.token, frozenset(menu.selected))
            await self._set_markup(chat_id, message_id, keyboard)
            return None, False
        else:
            value = buttons[int(data.action)].value
        replies = await state.session.handle(value)
        await self.show(state, chat_id, replies, edit_id=message_id)
        return None, False

    async def _alert_press(
        self, state: ChatState, chat_id: int, message_id: int, data: Callback
    ) -> Toast:
        match, owner = await state.rights.match_owner(data.number)
        action, toast = _ALERT_ACTIONS[data.action]
        match = await action(owner, match.id)
        keyboard = alert_keyboard(match.id, match.listing.url, match.status, match.listing.seller)
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


def _typed_choice(state: ChatState, text: str) -> str:
    """A button's label typed instead of pressed ("Every 30 min") stands for its value."""
    if state.menu is None or text.startswith("/"):
        return text
    wanted = text.strip().lower()
    for button in state.menu.reply.buttons:
        if button.label.lower() == wanted:
            return button.value
    return text


async def _unsave(account: Account, match_id: int) -> Match:
    return await matches.unhide(account, match_id)


_ALERT_ACTIONS = {
    "s": (matches.save, "⭐ Saved. See them all with /saved."),
    "u": (_unsave, "Removed from saved."),
    "h": (matches.hide, "🙈 Hidden: no more alerts about this listing."),
    "n": (matches.unhide, "👀 Back: alerts about it will come again."),
    # resellers (issue 14)
    "b": (sellers.block_from_match, "🚫 Seller blocked: nothing more from them. /blocked undoes."),
}
