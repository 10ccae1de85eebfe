"""A pressed button, routed to what it does: the same on every platform.

A front-end decodes the button into an ``Action`` and calls ``act``; what comes back is the
screen to show in place of the pressed one (or conversation replies, for Edit, a template's
search, an answered question), and a short toast. Every id is checked against the presser's
rights (``ChatSession.acting``, core.access in shared chats) before anything is done.

Kinds handled elsewhere register with ``bot.conversation.registry.on_action``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.conversation import registry, screens, texts
from bot.conversation.actions import Act, Action
from bot.conversation.replies import Reply
from bot.conversation.session import PRIVATE_VIEWS, ChatSession, StaleQuestion, page_number
from core import matches, templates

SAVED_PRIVATE = "Saved listings open in a private chat with me: send /saved there."


@dataclass(slots=True)
class Pressed:
    screen: Reply | None = None  # shown in place of the pressed message
    replies: list[Reply] = field(default_factory=list)  # or: the conversation goes on
    toast: str | None = None
    alert: bool = False  # the toast as a pop-up the user must close
    # The replies go below, leaving the pressed message as it is (a command button: the
    # start screen stays for the next tap); otherwise the first reply replaces it.
    below: bool = False


async def act(session: ChatSession, action: Action) -> Pressed:
    if action.act in (Act.CHOOSE, Act.CHOICES_DONE):
        return await _answer(session, action)
    if action.act in registry.COMMAND_ACTS:
        name = registry.COMMAND_ACTS[action.act]
        return Pressed(replies=await session.command(name), below=True)
    if action.act in _SEARCH_ACTS:
        return await _search(session, action)
    if action.act is Act.SAVED_PAGE:
        if session.destination.kind != "private":
            return Pressed(toast=SAVED_PRIVATE, alert=True)
        page = await matches.list_saved(session.account, action.id)
        return Pressed(screens.saved_page(page, session.services.clock()))
    if action.act in _TEMPLATE_ACTS:
        return await _template(session, action)
    handler = registry.action_handler(action.act)
    if handler is not None:
        return await handler(session, action)
    raise ValueError(f"not a screen action: {action}")


async def _answer(session: ChatSession, action: Action) -> Pressed:
    """A question's option (or Done): a multi-select tick redraws the question in place."""
    try:
        replies, same = await session.choose(action)
    except StaleQuestion:
        return Pressed(toast=texts.STALE)
    if same and len(replies) == 1 and replies[0].options:
        return Pressed(replies[0])
    if same:  # "pick at least one first": a toast, the question stays as it is
        return Pressed(toast=replies[0].text)
    return Pressed(replies=replies)


async def command_screen(
    session: ChatSession, name: str, args: str, deep_link: Callable[[str], str]
) -> Reply | None:
    """The button screen a front-end with buttons shows for ``/name args`` (/searches,
    /saved with pages, /templates by category), or None: the command goes to the session.
    ``deep_link(view)`` is the platform's link into a private chat with the bot at ``view``."""
    private = session.destination.kind == "private"
    if not private and name in PRIVATE_VIEWS:
        # One member's saved listings and numbers are not for the whole group.
        return screens.private_link(name, deep_link(name))
    if name == "start" and args == "saved" and private:
        name, args = "saved", ""  # the deep link from a group's /saved
    if name == "searches":
        return await searches_screen(session)
    if name == "saved":
        page = await matches.list_saved(session.account, page_number(args, "saved"))
        return screens.saved_page(page, session.services.clock())
    if name == "templates":
        return screens.template_categories(await templates.categories())
    return None


async def searches_screen(session: ChatSession) -> Reply:
    return await session.searches_screen()


async def _search(session: ChatSession, action: Action) -> Pressed:
    if action.act is Act.SEARCHES:
        return Pressed(await searches_screen(session))
    search_id = action.id
    owner = await session.acting(search_id)
    service, now = session.services.searches, session.services.clock()
    if action.act is Act.EDIT:
        return Pressed(replies=session.stamp(await session.edit_search(search_id)))
    if action.act is Act.DELETE_YES:
        await service.delete(owner, search_id)
        return Pressed(screens.deleted(search_id), toast="Deleted.")
    if action.act is Act.PAUSE:
        card = screens.search_card(await service.pause(owner, search_id), now, "⏸ Paused.")
    elif action.act is Act.RESUME:
        card = screens.search_card(await service.resume(owner, search_id), now, "▶ Active again.")
    elif action.act is Act.DELETE:
        card = screens.delete_question(await service.get_owned(owner, search_id))
    else:
        card = screens.search_card(await service.get_owned(owner, search_id), now)
    return Pressed(card)


async def _template(session: ChatSession, action: Action) -> Pressed:
    if action.act is Act.USE_TEMPLATE:
        await session.require_manager()
        template = await templates.template_by_id(action.id)
        return Pressed(replies=session.stamp(await session.use_template(template.slug)))
    names = await templates.categories()
    if action.act is Act.TEMPLATE_CATEGORY and action.id < len(names):
        category = names[action.id]
        found = await templates.list_templates(category)
        return Pressed(screens.template_list(category, found))
    return Pressed(screens.template_categories(names))


_SEARCH_ACTS = {
    Act.SEARCHES,
    Act.OPEN_SEARCH,
    Act.PAUSE,
    Act.RESUME,
    Act.EDIT,
    Act.DELETE,
    Act.DELETE_YES,
}
_TEMPLATE_ACTS = {Act.TEMPLATES, Act.TEMPLATE_CATEGORY, Act.USE_TEMPLATE}
