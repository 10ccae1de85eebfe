"""Tortoise ORM models: the stored shape of DESIGN.md's data.

Money is ``Decimal`` (DecimalField), never float. Times are timezone-aware UTC (``use_tz``).
Enums are stored as their string value.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from core.enums import (
    AlertKind,
    AlertStatus,
    ApiScope,
    Channel,
    InboxStatus,
    ListingState,
    MatchStatus,
    Platform,
    SearchStatus,
    Tier,
)


class Account(Model):
    id = fields.IntField(primary_key=True)
    tier = fields.CharEnumField(Tier, default=Tier.FREE, max_length=16)
    stripe_customer_id = fields.CharField(max_length=64, null=True, unique=True)
    stripe_subscription_id = fields.CharField(max_length=64, null=True)
    # Billing (core.billing): ``tier`` is the one in force, the higher of the tier Stripe's
    # subscription pays for and an operator's comp; each is kept so neither undoes the other.
    stripe_tier: Tier | None = fields.CharEnumField(Tier, null=True, max_length=16)  # type: ignore[assignment]
    comp_tier: Tier | None = fields.CharEnumField(Tier, null=True, max_length=16)  # type: ignore[assignment]
    subscription_status = fields.CharField(max_length=32, null=True)
    subscription_created = fields.IntField(null=True)  # Stripe's unix time: newer one wins
    period_end = fields.DatetimeField(null=True)
    # db_default too: the migration adds these NOT NULL columns to tables that have rows.
    cancel_at_period_end = fields.BooleanField(default=False, db_default=False)
    # SMS alerts sent this month (``sms_month`` is "YYYY-MM"), against the tier's allowance.
    sms_month = fields.CharField(max_length=7, default="", db_default="")
    sms_sent = fields.IntField(default=0, db_default=0)
    email = fields.CharField(max_length=254, null=True)
    email_verified_at = fields.DatetimeField(null=True)
    phone = fields.CharField(max_length=20, null=True)
    phone_verified_at = fields.DatetimeField(null=True)
    webhook_url = fields.CharField(max_length=2048, null=True)
    webhook_secret = fields.CharField(max_length=128, null=True)
    webhook_verified_at = fields.DatetimeField(null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    # Quiet hours as minutes after local midnight; both null = no quiet hours.
    quiet_start_minute = fields.IntField(null=True)
    quiet_end_minute = fields.IntField(null=True)
    # One-click unsubscribe from email alerts (the signed link in every alert email).
    email_unsubscribed_at = fields.DatetimeField(null=True)
    # Signed into unsubscribe links; bumped each time an address is verified, so links from
    # emails sent before that stop working (they must not undo the new opt-in).
    email_link_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"


class ChatIdentity(Model):
    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    platform_user_id = fields.CharField(max_length=64)
    display_name = fields.CharField(max_length=128, default="")
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="identities", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_identity"
        unique_together = (("platform", "platform_user_id"),)


class Destination(Model):
    """A chat where alerts are posted: a private chat, a group or a server channel."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_id = fields.CharField(max_length=64)
    kind = fields.CharField(max_length=16, default="private")
    title = fields.CharField(max_length=128, default="")
    active = fields.BooleanField(default=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="destinations", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "destination"
        unique_together = (("platform", "chat_id"),)


class Search(Model):
    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="searches", on_delete=fields.CASCADE
    )
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="searches", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=80)
    criteria: dict[str, Any] = fields.JSONField()
    marketplaces: list[str] = fields.JSONField()
    channels: list[str] = fields.JSONField()
    status = fields.CharEnumField(SearchStatus, default=SearchStatus.ACTIVE, max_length=16)
    # Why it is paused when the service paused it ("plan": a downgrade); null for a user's
    # own pause, which an upgrade never undoes.
    paused_reason = fields.CharField(max_length=16, null=True)
    paused_at = fields.DatetimeField(null=True)
    interval_seconds = fields.IntField()
    # The fetch key (core.fetchkeys) its due times are aligned on: the smallest digest of its
    # keys. Its keys themselves are its SearchFetchKey links, one per marketplace.
    fetch_key = fields.CharField(max_length=32, default="")
    next_check_at = fields.DatetimeField()
    # A worker that claims the search holds it until then; an expired lease is claimable again.
    lease_until = fields.DatetimeField(null=True)
    # When the listings that existed at creation were recorded as seen: only listings first
    # seen after this are alerted. Null until the first fetch.
    primed_at = fields.DatetimeField(null=True)
    last_checked_at = fields.DatetimeField(null=True)
    last_error: str | None = fields.TextField(null=True)
    consecutive_failures = fields.IntField(default=0)
    # Set when the user was told the search cannot run; cleared (and told) on recovery.
    failure_notified_at = fields.DatetimeField(null=True)
    checks_count = fields.IntField(default=0)
    matches_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "search"
        indexes = (
            Index(fields=("status", "next_check_at"), name="search_due_idx"),
            Index(fields=("fetch_key",), name="search_fetch_key_idx"),
        )


class FetchKey(Model):
    """One upstream request (a marketplace + the normalised query it is sent): see
    core.fetchkeys. Searches asking the same thing link to the same row.

    ``digest`` identifies it across processes and runs; ``version`` is the
    ``FETCH_KEY_VERSION`` it was computed with; ``query`` is the request as JSON
    (``core.fetchkeys.query_from_json`` turns it back into a ``MarketplaceQuery``).
    """

    id = fields.IntField(primary_key=True)
    marketplace = fields.CharField(max_length=32)
    digest = fields.CharField(max_length=32, unique=True)
    version = fields.IntField()
    query: dict[str, Any] = fields.JSONField()
    created_at = fields.DatetimeField()
    # The key is the unit of scheduled work (core.scheduling): one due time, lease, backoff
    # and last result per upstream request, however many searches share it.
    # The fastest interval of its active searches (on the aligned grid) and the best tier
    # among their owners (due lag is reported per tier).
    interval_seconds = fields.IntField(default=300, db_default=300)
    tier = fields.CharField(max_length=16, default="free", db_default="free")
    # Null when no active search uses the key: it is never due then.
    next_check_at = fields.DatetimeField(null=True)
    lease_until = fields.DatetimeField(null=True)
    last_checked_at = fields.DatetimeField(null=True)
    last_error: str | None = fields.TextField(null=True)
    consecutive_failures = fields.IntField(default=0, db_default=0)
    # Set when the owners were told it cannot run (once); cleared (and told) on recovery.
    failure_notified_at = fields.DatetimeField(null=True)
    checks_count = fields.IntField(default=0, db_default=0)
    # Checks in a row whose newest-first page was all new (it may have overflowed).
    overflows = fields.IntField(default=0, db_default=0)
    overflow_notified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "fetch_key"
        indexes = (Index(fields=("next_check_at",), name="fetch_key_due_idx"),)


class SearchFetchKey(Model):
    """A search uses a fetch key: one row per marketplace of the search."""

    id = fields.IntField(primary_key=True)
    search: fields.ForeignKeyRelation[Search] = fields.ForeignKeyField(
        "models.Search", related_name="fetch_key_links", on_delete=fields.CASCADE
    )
    fetch_key: fields.ForeignKeyRelation[FetchKey] = fields.ForeignKeyField(
        "models.FetchKey", related_name="search_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "search_fetch_key"
        unique_together = (("search", "fetch_key"),)
        indexes = (Index(fields=("fetch_key_id",), name="search_fetch_key_key_idx"),)


class Listing(Model):
    id = fields.IntField(primary_key=True)
    marketplace = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=128)
    url = fields.CharField(max_length=2048)
    title = fields.CharField(max_length=512)
    description = fields.TextField(default="")
    price = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, default="GBP")
    location = fields.CharField(max_length=256, default="")
    image_url = fields.CharField(max_length=2048, null=True)
    seller = fields.CharField(max_length=256, default="")
    condition = fields.CharField(max_length=16, default="any")
    category = fields.CharField(max_length=64, default="")
    posted_at = fields.DatetimeField(null=True)
    first_seen_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    # [[iso timestamp, "price"], ...] oldest first; prices as strings to keep Decimal exact.
    price_history: list[list[str]] = fields.JSONField(default=list)
    # Issue 14: buying format, bid, end, postage as the marketplace last gave them (see
    # core.listings: ListingData's fields of the same names), and what became of the listing
    # (core.saved_state re-checks saved ones).
    details: dict[str, Any] = fields.JSONField(default=dict)
    state = fields.CharEnumField(ListingState, default=ListingState.AVAILABLE, max_length=16)
    state_checked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "listing"
        unique_together = (("marketplace", "external_id"),)
        # Retention deletes listings not seen since its cutoff (core.retention).
        indexes = (Index(fields=("last_seen_at",), name="listing_last_seen_idx"),)


class Match(Model):
    """A listing that satisfied a search after the search existed: it was (or is) alerted."""

    id = fields.IntField(primary_key=True)
    search: fields.ForeignKeyRelation[Search] = fields.ForeignKeyField(
        "models.Search", related_name="matches", on_delete=fields.CASCADE
    )
    listing: fields.ForeignKeyRelation[Listing] = fields.ForeignKeyField(
        "models.Listing", related_name="matches", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(MatchStatus, default=MatchStatus.NEW, max_length=16)
    # The price the user last heard about; a lower price later queues a price-drop alert.
    alerted_price = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "match"
        unique_together = (("search", "listing"),)
        indexes = (
            Index(fields=("search_id", "status"), name="match_status_idx"),
            # A listing's matches: retention's unreferenced listings, cascades, checks.
            Index(fields=("listing_id",), name="match_listing_idx"),
        )


class Alert(Model):
    """The outbox: one row per (match, channel, event), delivered by the dispatcher.

    ``event`` is ``new`` for the first alert and ``drop:<price>`` for a price drop, so the
    same drop is never queued twice while a later drop still gets its own row.
    """

    id = fields.IntField(primary_key=True)
    match: fields.ForeignKeyRelation[Match] = fields.ForeignKeyField(
        "models.Match", related_name="alerts", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    # Which notifier delivers it: the chat platform for CHAT, else the channel itself.
    # Stored so a process claims only the alerts it has a notifier for.
    route = fields.CharField(max_length=16)
    kind = fields.CharEnumField(AlertKind, default=AlertKind.NEW_LISTING, max_length=16)
    event = fields.CharField(max_length=40, default="new")
    old_price = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    status = fields.CharEnumField(AlertStatus, default=AlertStatus.PENDING, max_length=16)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    # Written by each claim: a worker's later updates must match it, so one whose lease ran
    # out (and whose row another worker claimed since) changes nothing.
    claim_token = fields.CharField(max_length=32, null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)
    provider_message_id = fields.CharField(max_length=128, null=True)
    # Unguessable token of the /r/<token> click-through link (email and SMS alerts).
    click_token = fields.CharField(max_length=64, null=True, unique=True)
    clicked_at = fields.DatetimeField(null=True)
    # Is it a deal? (issue 16): the price verdict when the alert was queued, as JSON
    # (core.verdict.PriceVerdict), and its kind alone for /metrics; null without a verdict.
    verdict = fields.TextField(null=True)
    verdict_kind = fields.CharField(max_length=8, null=True)

    class Meta:
        table = "alert"
        unique_together = (("match", "channel", "event"),)
        indexes = (Index(fields=("status", "route", "next_attempt_at"), name="alert_due_idx"),)


class Template(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=80)
    category = fields.CharField(max_length=40)
    description = fields.TextField(default="")
    criteria: dict[str, Any] = fields.JSONField()
    marketplaces: list[str] = fields.JSONField()
    interval_seconds = fields.IntField()
    featured = fields.BooleanField(default=False)
    usage_count = fields.IntField(default=0)

    class Meta:
        table = "template"


class StripeEvent(Model):
    """Every Stripe webhook event is stored once, so a redelivery changes nothing."""

    id = fields.IntField(primary_key=True)
    event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=128)
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)
    outcome = fields.CharField(max_length=32, default="", db_default="")

    class Meta:
        table = "stripe_event"


class VerificationCode(Model):
    """A code sent to an email address or phone number (or a test webhook) to prove it."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="verification_codes", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=16)
    target = fields.CharField(max_length=2048)
    code_hash = fields.CharField(max_length=128)
    attempts = fields.IntField(default=0)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "verification_code"
        indexes = (Index(fields=("account_id", "channel", "created_at"), name="verif_idx"),)


class SigningKey(Model):
    """A random server-side key, made once and shared by every process on this database.

    Signs unsubscribe links and peppers verification-code hashes; nothing to configure.
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32, unique=True)
    secret = fields.CharField(max_length=128)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "signing_key"


class MarketplaceState(Model):
    """Per-marketplace health shared by every process: circuit breaker and quota counters."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=32, unique=True)
    breaker = fields.CharField(max_length=16, default="closed")  # closed / open / half_open
    open_until = fields.DatetimeField(null=True)
    consecutive_failures = fields.IntField(default=0)
    last_success_at = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    last_error_at = fields.DatetimeField(null=True)
    quota_day = fields.CharField(max_length=10, default="")  # UTC date the counter is for
    quota_used = fields.IntField(default=0)

    class Meta:
        table = "marketplace_state"


class Notice(Model):
    """A chat message about the service itself (a search that cannot run, a failed channel).

    Delivered through the same lease-and-retry path as alerts; ``key`` makes queuing the same
    notice twice (by two processes, or a retry) a no-op.
    """

    id = fields.IntField(primary_key=True)
    destination: fields.ForeignKeyRelation[Destination] = fields.ForeignKeyField(
        "models.Destination", related_name="notices", on_delete=fields.CASCADE
    )
    route = fields.CharField(max_length=16)
    key = fields.CharField(max_length=128, unique=True)
    text = fields.TextField()
    status = fields.CharEnumField(AlertStatus, default=AlertStatus.PENDING, max_length=16)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    # Written by each claim: a worker's later updates must match it, so one whose lease ran
    # out (and whose row another worker claimed since) changes nothing.
    claim_token = fields.CharField(max_length=32, null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notice"
        indexes = (Index(fields=("status", "route", "next_attempt_at"), name="notice_due_idx"),)


class InboxUpdate(Model):
    """An update a chat platform sent us, stored before it is acknowledged (core.inbox).

    Handled one at a time per (platform, chat_key): the chat's claim lives in InboxChat.
    """

    id = fields.BigIntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_key = fields.CharField(max_length=64)
    # The platform's own id: a re-sent update is recognised and stored once.
    update_id = fields.BigIntField()
    # The update's JSON as text, as ASCII-escaped by json.dumps: Postgres' jsonb would refuse
    # a \u0000 a user typed, and nothing queries inside it.
    payload = fields.TextField()
    status = fields.CharEnumField(InboxStatus, default=InboxStatus.PENDING, max_length=16)
    claim_token = fields.CharField(max_length=32, null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    received_at = fields.DatetimeField()
    handled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbox_update"
        unique_together = (("platform", "update_id"),)
        indexes = (
            Index(fields=("platform", "status", "chat_key"), name="inbox_pending_idx"),
            Index(fields=("status", "handled_at"), name="inbox_handled_idx"),
        )


class InboxChat(Model):
    """One chat's claim: whoever holds a live lease here handles that chat's next update."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_key = fields.CharField(max_length=64)
    claim_token = fields.CharField(max_length=32, null=True)
    lease_until = fields.DatetimeField(null=True)
    # When a worker last took this chat: the least recently served chat goes first.
    served_at = fields.DatetimeField()
    # Set when the chat went over its cap of pending updates and was told to slow down;
    # cleared once its inbox is empty again.
    throttled = fields.BooleanField(default=False)

    class Meta:
        table = "inbox_chat"
        unique_together = (("platform", "chat_key"),)


class Conversation(Model):
    """A chat conversation in progress (core.conversations), per (platform, chat, user).

    ``state`` is JSON written under ``schema_version``; ``version`` is the row version every
    write compares and bumps, so two processes cannot both change it from the same state.
    """

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    chat_key = fields.CharField(max_length=64)
    user_key = fields.CharField(max_length=64)
    schema_version = fields.IntField()
    version = fields.IntField(default=1)
    state = fields.TextField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "conversation"
        unique_together = (("platform", "chat_key", "user_key"),)


# --- the JSON API (issue 17) -----------------------------------------------------------------


class ApiToken(Model):
    """A personal API token. Only the SHA-256 of its secret is kept: the secret (256 random
    bits) is shown once, when it is made, and cannot be read back."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The secret's last characters, so /token list can tell tokens apart without the secret.
    hint = fields.CharField(max_length=8)
    scope = fields.CharEnumField(ApiScope, default=ApiScope.READ, max_length=8)
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
        unique_together = (("account", "name"),)


class ApiRateWindow(Model):
    """Requests one token made in one minute: the rate limit every web process shares."""

    id = fields.IntField(primary_key=True)
    token: fields.ForeignKeyRelation[ApiToken] = fields.ForeignKeyField(
        "models.ApiToken", related_name="rate_windows", on_delete=fields.CASCADE
    )
    window_start = fields.DatetimeField()
    count = fields.IntField(default=0)

    class Meta:
        table = "api_rate_window"
        unique_together = (("token", "window_start"),)


class ApiIdempotency(Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed for its retries.

    ``status`` is null while the first request is still being handled."""

    id = fields.IntField(primary_key=True)
    token: fields.ForeignKeyRelation[ApiToken] = fields.ForeignKeyField(
        "models.ApiToken", related_name="idempotency_keys", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=128)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = fields.CharField(max_length=64)
    status = fields.IntField(null=True)
    body = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "api_idempotency"
        unique_together = (("token", "key"),)


class ExchangeRate(Model):
    """One currency's ECB reference rate of one day: units per euro (``core.rates``)."""

    id = fields.IntField(primary_key=True)
    day = fields.DateField()
    currency = fields.CharField(max_length=3)
    per_euro = fields.DecimalField(max_digits=18, decimal_places=6)
    fetched_at = fields.DatetimeField()

    class Meta:
        table = "exchange_rate"
        unique_together = (("day", "currency"),)


class ManagerRole(Model):
    """A role whose members manage a server's searches besides its Manage Server members
    (Discord: set by a server manager with /managerrole). ``scope_id`` is the server's id."""

    id = fields.IntField(primary_key=True)
    platform = fields.CharEnumField(Platform, max_length=16)
    scope_id = fields.CharField(max_length=64)
    role_id = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "manager_role"
        unique_together = (("platform", "scope_id"),)


class BlockedSeller(Model):
    """A seller one account never wants to hear about (issue 14). Per account, applied after
    the fetch (core.sellers): never part of a fetch key, so it cannot split a shared fetch."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="blocked_sellers", on_delete=fields.CASCADE
    )
    marketplace = fields.CharField(max_length=32)
    seller = fields.CharField(max_length=256)  # as the marketplace shows it, casefolded
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "blocked_seller"
        unique_together = (("account", "marketplace", "seller"),)


class SavedListing(Model):
    """A listing one person saved from an alert in a shared chat (issue 12): the alert's match
    belongs to the chat's search and its owner, so a member's own Save is kept here, per
    account and listing, and /saved shows it beside the account's own saved matches. Keyed on
    the listing, not the match, so it outlives the channel's search."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "models.Account", related_name="saved_listings", on_delete=fields.CASCADE
    )
    listing: fields.ForeignKeyRelation[Listing] = fields.ForeignKeyField(
        "models.Listing", related_name="saved_by", on_delete=fields.CASCADE
    )
    search_name = fields.CharField(max_length=128, default="")  # the search that found it
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "saved_listing"
        unique_together = (("account", "listing"),)


class QueryCategory(Model):
    """Where one distinct query's listings fall (issue 18): leaf category id → weight of
    its recent matches (older samples decay), so a marketplace can serve the query from
    category feeds. ``signature`` names the query as the marketplace sends it."""

    id = fields.IntField(primary_key=True)
    marketplace = fields.CharField(max_length=32)
    signature = fields.CharField(max_length=255)
    counts: dict[str, Any] = fields.JSONField()
    refreshed_at = fields.DatetimeField()

    class Meta:
        table = "query_category"
        unique_together = (("marketplace", "signature"),)


class PriceSample(Model):
    """One recent asking price of an item (issue 16, core.prices): the bounded sample the
    usual price is computed from. One row per (item, seller + title): a repost updates its
    row rather than counting twice. Prices are in the item's currency (converted)."""

    id = fields.IntField(primary_key=True)
    item = fields.CharField(max_length=40)  # core.verdict.Item.digest
    seen = fields.CharField(max_length=300)  # seller + normalised title, or the listing id
    listing_id = fields.IntField()
    price = fields.DecimalField(max_digits=12, decimal_places=2)
    seen_at = fields.DatetimeField()

    class Meta:
        table = "price_sample"
        unique_together = (("item", "seen"),)
        indexes = (Index(fields=("item", "seen_at"), name="price_sample_item_idx"),)


class PriceItem(Model):
    """What an item is, for /prices (issue 16): its marketplace, keywords and currency."""

    id = fields.IntField(primary_key=True)
    digest = fields.CharField(max_length=40, unique=True)
    marketplace = fields.CharField(max_length=32)
    keywords = fields.CharField(max_length=512)
    site = fields.CharField(max_length=256, default="")
    condition = fields.CharField(max_length=16)
    currency = fields.CharField(max_length=3)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "price_item"


class PriceFeedback(Model):
    """A "not a deal" press on a verdict alert (issue 16): one per match and account."""

    id = fields.IntField(primary_key=True)
    match: fields.ForeignKeyRelation[Match] = fields.ForeignKeyField(
        "models.Match", related_name="price_feedback", on_delete=fields.CASCADE
    )
    account_id = fields.IntField()
    verdict_kind = fields.CharField(max_length=8)
    percent = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "price_feedback"
        unique_together = (("match", "account_id"),)
