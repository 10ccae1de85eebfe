"""A pressed screen button, routed to what it does: the same on every platform.

A front-end decodes the button into an ``Action`` and calls ``act``; what comes back is the
screen to show in place of the pressed one (or conversation replies, for Edit and a
template's search), and a short toast. Every id is checked against the presser's rights
(``ChatSession.acting``, core.access in shared chats) before anything is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation import screens
from bot.conversation import sellers as blocked_sellers
from bot.conversation.actions import Act, Action
from bot.conversation.replies import Reply
from bot.conversation.session import ChatSession
from core import matches, templates

SAVED_PRIVATE = "Saved listings open in a private chat with me: send /saved there."


@dataclass(slots=True)
class Pressed:
    screen: Reply | None = None  # shown in place of the pressed message
    replies: list[Reply] = field(default_factory=list)  # or: the conversation goes on
    toast: str | None = None
    alert: bool = False  # the toast as a pop-up the user must close


async def act(session: ChatSession, action: Action) -> Pressed:
    if action.act in _SEARCH_ACTS:
        return await _search(session, action)
    if action.act is Act.SAVED_PAGE:
        if session.destination.kind != "private":
            return Pressed(toast=SAVED_PRIVATE, alert=True)
        page = await matches.list_saved(session.account, action.id)
        return Pressed(screens.saved_page(page, session.services.clock()))
    if action.act in _TEMPLATE_ACTS:
        return await _template(session, action)
    # resellers (issue 14): blocks belong to the presser's own account
    if action.act is Act.BLOCKED:
        return Pressed(await blocked_sellers.blocked(session.account))
    if action.act is Act.UNBLOCK_SELLER:
        return Pressed(
            await blocked_sellers.unblock(session.account, action.id), toast="Unblocked."
        )
    raise ValueError(f"not a screen action: {action}")


async def searches_screen(session: ChatSession) -> Reply:
    return await session.searches_screen()


async def _search(session: ChatSession, action: Action) -> Pressed:
    if action.act is Act.SEARCHES:
        return Pressed(await searches_screen(session))
    search_id = action.id
    owner = await session.acting(search_id)
    service, now = session.services.searches, session.services.clock()
    if action.act is Act.EDIT:
        return Pressed(replies=await session.edit_search(search_id))
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
        return Pressed(replies=await session.use_template(template.slug))
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
