"""Prometheus instruments of the monitoring loop, on a registry the composition root owns."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class Metrics:
    """``keep_samples`` also keeps raw fetch→alert-row latencies, for exact benchmark figures."""

    def __init__(
        self, registry: CollectorRegistry | None = None, *, keep_samples: bool = False
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.match_latency_samples: list[float] | None = [] if keep_samples else None
        # Fetched → the first of its alert rows committed (a benchmark's, like the above).
        self.first_alert_samples: list[float] | None = [] if keep_samples else None
        self.checks = Counter(
            "monitor_search_checks", "Search checks done", ["marketplace"], registry=self.registry
        )
        self.fetches = Counter(
            "monitor_upstream_fetches",
            "Requests sent to marketplaces",
            ["marketplace"],
            registry=self.registry,
        )
        self.fetch_errors = Counter(
            "monitor_fetch_errors",
            "Failed marketplace fetches",
            ["marketplace", "error"],
            registry=self.registry,
        )
        self.matches = Counter("monitor_matches", "New matches recorded", registry=self.registry)
        self.alerts_sent = Counter(
            "monitor_alerts_sent", "Alerts delivered", ["route"], registry=self.registry
        )
        self.alert_failures = Counter(
            "monitor_alert_failures",
            "Failed alert deliveries",
            ["route", "permanent"],
            registry=self.registry,
        )
        self.breaker_open = Gauge(
            "monitor_marketplace_circuit_open",
            "1 while the marketplace's circuit breaker stops requests to it",
            ["marketplace"],
            registry=self.registry,
        )
        self.coalescing_ratio = Gauge(
            "monitor_coalescing_ratio",
            "Search-checks served per upstream fetch since start (higher is better)",
            registry=self.registry,
        )
        # Billing (issue 11): Stripe webhooks and subscriptions.
        self.billing_events = Counter(
            "monitor_stripe_events",
            "Stripe webhook events handled, by type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.billing_signature_failures = Counter(
            "monitor_stripe_signature_failures",
            "Stripe webhook requests refused for a bad, missing or stale signature",
            registry=self.registry,
        )
        self.subscriptions = Gauge(
            "monitor_subscriptions_active",
            "Live Stripe subscriptions (active, trialing, past due) per tier",
            ["tier"],
            registry=self.registry,
        )
        self.parse_field_share = Gauge(
            "monitor_parse_field_share",
            "Share of parsed listings having the field over the marketplace's last fetches",
            ["marketplace", "field"],
            registry=self.registry,
        )
        self.match_latency = Histogram(
            "monitor_fetch_to_alert_row_seconds",
            "From listings fetched to alert rows committed",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.delivery_latency = Histogram(
            "monitor_alert_delivery_seconds",
            "From alert row created to delivered",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        # Issue 15: keys are the scheduled unit; paid tiers must not wait behind free ones.
        self.key_due_lag = Histogram(
            "monitor_key_due_lag_seconds",
            "From a fetch key's due time to its claim, by its best owner's tier",
            ["tier"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.key_overflows = Counter(
            "monitor_key_overflows",
            "Checks whose newest-first page was all new (older new listings may lie beyond)",
            ["marketplace"],
            registry=self.registry,
        )
        self.overflow_pages = Counter(
            "monitor_overflow_pages",
            "Further pages fetched after an overflow",
            ["marketplace"],
            registry=self.registry,
        )
        self.key_checks = Counter(
            "monitor_key_checks", "Fetch-key checks done", ["marketplace"], registry=self.registry
        )

        # Issue 18: eBay's category feeds and the quota planner (docs/marketplaces.md).
        self.feed_calls = Counter(
            "monitor_feed_calls",
            "Upstream calls (pages) spent reading a category feed",
            ["marketplace", "feed"],
            registry=self.registry,
        )
        self.feed_new_listings = Counter(
            "monitor_feed_new_listings",
            "Listings a category feed read for the first time",
            ["marketplace", "feed"],
            registry=self.registry,
        )
        self.feed_overflows = Counter(
            "monitor_feed_overflows",
            "Feed reads that hit the page bound before a listing seen before (a gap)",
            ["marketplace", "feed"],
            registry=self.registry,
        )
        self.feed_queries = Gauge(
            "monitor_feed_queries",
            "Distinct queries a category feed serves (matched locally)",
            ["marketplace", "feed"],
            registry=self.registry,
        )
        self.feed_interval = Gauge(
            "monitor_feed_interval_seconds",
            "Planned seconds between reads of a category feed",
            ["marketplace", "feed"],
            registry=self.registry,
        )
        self.plan_calls = Gauge(
            "monitor_plan_calls_per_day",
            "The quota planner's calls a day: feeds, polls, refresh, and the budget",
            ["marketplace", "part"],
            registry=self.registry,
        )
        self.plan_queries = Gauge(
            "monitor_plan_queries",
            "Distinct queries by how they are served (feed or poll)",
            ["marketplace", "path"],
            registry=self.registry,
        )
        self.plan_freshness = Gauge(
            "monitor_plan_freshness_seconds",
            "Planned worst seconds between checks of a tier's queries (feed or poll)",
            ["marketplace", "tier"],
            registry=self.registry,
        )
        self.plan_slowdown = Gauge(
            "monitor_plan_slowdown",
            "Factor a tier's intervals are stretched by to fit the daily calls (1: on plan)",
            ["marketplace", "tier"],
            registry=self.registry,
        )

    def observe_match_latency(self, seconds: float, alerts_written: int) -> None:
        self.match_latency.observe(seconds)
        if self.match_latency_samples is not None and alerts_written:
            self.match_latency_samples.append(seconds)

    def observe_first_alert(self, seconds: float) -> None:
        if self.first_alert_samples is not None:
            self.first_alert_samples.append(seconds)
