"""/plan and /upgrade: the account's plan, the plans side by side, and the payment link.

Neutral replies like every screen (bot.conversation.screens): the payment and portal links
are URL buttons, so each front-end opens them its own way.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversation.actions import Act, Action
from bot.conversation.registry import PRIVATE, command, on_action
from bot.conversation.replies import Bold, Button, Reply, Span, screen
from bot.conversation.your_data import private_only
from core.billing import BillingService, PlanStatus
from core.enums import Tier
from core.errors import NotFound
from core.tiers import TIER_ORDER, TierTable, describe_interval

if TYPE_CHECKING:
    from bot.conversation.pressed import Pressed
    from bot.conversation.session import ChatSession

NO_BILLING = "Paid plans aren't available on this server."
TOP_PLAN = "You're on the top plan already. /plan shows what it includes."


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def _name(tier: Tier) -> str:
    return tier.value.title()


def plan_screen(status: PlanStatus) -> Reply:
    searches = (
        f"{status.active_searches} of {status.max_searches}"
        if status.max_searches is not None
        else f"{status.active_searches} (unlimited)"
    )
    spans: list[Span] = [
        "Your plan: ",
        Bold(_name(status.tier)),
        " (complimentary)" if status.source == "comp" else "",
        f"\nSearches: {searches}",
        f"\nMarketplaces per search: up to {status.max_marketplaces}",
        f"\nFastest check: every {status.fastest_interval}",
        f"\nSMS alerts this month: {status.sms_sent} of {status.sms_allowance}",
    ]
    if status.subscribed and status.period_end is not None:
        if status.cancel_at_period_end:
            spans.append(f"\nEnds on {_day(status.period_end)}, then you're on Free.")
        elif status.status == "past_due":
            spans.append("\nYour last payment failed: Stripe is trying again.")
        else:
            spans.append(f"\nRenews on {_day(status.period_end)}.")
    buttons: list[Button] = []
    if status.plan_paused and status.plan_paused_on is not None:
        label = (
            f"Resume the {status.plan_paused} search(es) paused on {_day(status.plan_paused_on)}"
        )
        buttons.append(Button(label, action=Action(Act.RESUME_PLAN_PAUSED), row=0))
    if status.subscribed:
        buttons.append(Button("Manage billing", action=Action(Act.BILLING_PORTAL), row=1))
    elif status.tier is not TIER_ORDER[-1]:
        buttons.append(Button("Upgrade", action=Action(Act.UPGRADE), row=1))
    return screen(spans, buttons)


def upgrade_screen(tiers: TierTable, current: Tier) -> Reply:
    spans: list[Span] = ["Plans (monthly, cancel any time):"]
    buttons: list[Button] = []
    for index, tier in enumerate(TIER_ORDER):
        limits = tiers.for_tier(tier)
        searches = "unlimited" if limits.max_searches is None else str(limits.max_searches)
        price = "free" if not limits.monthly_price_gbp else f"£{limits.monthly_price_gbp}/month"
        mark = " ← you" if tier is current else ""
        spans += [
            "\n",
            Bold(_name(tier)),
            f" {price}: {searches} searches, {limits.max_marketplaces_per_search} "
            f"marketplace(s) each, every {describe_interval(limits.fastest_interval_seconds)}, "
            f"{limits.monthly_sms} SMS{mark}",
        ]
        if TIER_ORDER.index(tier) > TIER_ORDER.index(current):
            buttons.append(
                Button(f"{_name(tier)} {price}", action=Action(Act.CHOOSE_PLAN, index), row=0)
            )
    buttons.append(Button("« My plan", action=Action(Act.PLAN), row=1))
    return screen(spans, buttons)


def payment_link(tier: Tier, tiers: TierTable, url: str) -> Reply:
    price = tiers.for_tier(tier).monthly_price_gbp
    return screen(
        [
            f"{_name(tier)}: £{price} a month. Pay on Stripe's secure page; your plan changes "
            "the moment the payment goes through."
        ],
        [Button(f"Pay £{price}/month", url=url)],
    )


def portal_link(url: str) -> Reply:
    return screen(
        ["Change your plan, card or invoices, or cancel, on Stripe's billing page."],
        [Button("Manage billing", url=url)],
    )


async def show_plan(billing: BillingService | None, account_id: int) -> Reply:
    if billing is None:
        return Reply(NO_BILLING)
    return plan_screen(await billing.status(account_id))


async def show_upgrade(billing: BillingService | None, account_id: int) -> Reply:
    if billing is None:
        return Reply(NO_BILLING)
    status = await billing.status(account_id)
    if status.subscribed:  # a subscriber switches plans in the portal, not a 2nd subscription
        return portal_link(await billing.portal_url(account_id))
    if status.tier is TIER_ORDER[-1]:
        return Reply(TOP_PLAN)
    return upgrade_screen(billing.tiers, status.tier)


async def choose(billing: BillingService | None, account_id: int, index: int) -> Reply:
    if billing is None:
        return Reply(NO_BILLING)
    if not 0 < index < len(TIER_ORDER):
        raise NotFound("That plan is not on offer.")
    tier = TIER_ORDER[index]
    url, is_portal = await billing.checkout_url(account_id, tier)
    return portal_link(url) if is_portal else payment_link(tier, billing.tiers, url)


async def portal(billing: BillingService | None, account_id: int) -> Reply:
    if billing is None:
        return Reply(NO_BILLING)
    return portal_link(await billing.portal_url(account_id))


async def resume(billing: BillingService | None, account_id: int) -> tuple[Reply, str]:
    if billing is None:
        return Reply(NO_BILLING), ""
    count = await billing.resume_paused(account_id)
    toast = f"{count} search(es) running again." if count else "Nothing to resume."
    return plan_screen(await billing.status(account_id)), toast


# --- how the plan screens plug into every front-end (bot.conversation.registry) -------------
# Every id is the presser's own account, never one named by the button.
@command("plan", "Your plan and what it allows", where=PRIVATE)
async def plan_command(session: ChatSession, _: str) -> list[Reply]:
    return [await show_plan(session.services.billing, session.account.id)]


@command("upgrade", "More searches, faster checks", where=PRIVATE)
async def upgrade_command(session: ChatSession, _: str) -> list[Reply]:
    refused = private_only(session.destination, "/upgrade")
    return [refused or await show_upgrade(session.services.billing, session.account.id)]


@on_action(Act.PLAN, Act.UPGRADE, Act.CHOOSE_PLAN, Act.BILLING_PORTAL, Act.RESUME_PLAN_PAUSED)
async def pressed(session: ChatSession, action: Action) -> Pressed:
    from bot.conversation.pressed import Pressed  # pressed imports the session: not at load

    billing, account_id = session.services.billing, session.account.id
    if action.act is Act.PLAN:
        return Pressed(await show_plan(billing, account_id))
    if action.act is Act.RESUME_PLAN_PAUSED:
        shown, toast = await resume(billing, account_id)
        return Pressed(shown, toast=toast)
    if session.destination.kind != "private":
        return Pressed(toast="Plans and payments open in a private chat with me.", alert=True)
    if action.act is Act.UPGRADE:
        return Pressed(await show_upgrade(billing, account_id))
    if action.act is Act.CHOOSE_PLAN:
        return Pressed(replies=[await choose(billing, account_id, action.id)])
    return Pressed(replies=[await portal(billing, account_id)])
