"""The feature catalog as data: name, window, meaning and source of every feature column.

It is the source of docs/features.md (`python -m creator_governance.features.catalog > docs/features.md`) and of
plain-word reason codes; a test checks that every output column has an entry and that the docs are current.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    """One catalog entry."""

    name: str
    window: str
    meaning: str
    source: str
    table: str = "creator_features"
    canonical: bool = False


def _c(name, window, meaning, source, canonical=False):
    return Feature(name, window, meaning, source, "creator_features", canonical)


def _k(name, window, meaning, source):
    return Feature(name, window, meaning, source, "content_features")


CATALOG: tuple[Feature, ...] = (
    # ---- canonical (CONTRACT.md section 2) ----
    _c("account_age_days", "-", "days from the account's UTC creation date to ds", "accounts", True),
    _c("posts_1d", "1d", "content items created by the account", "content", True),
    _c("posts_7d", "7d", "content items created by the account", "content", True),
    _c("posts_28d", "28d", "content items created by the account", "content", True),
    _c("views_7d", "7d", "views received on the account's content", "engagements, content", True),
    _c("likes_7d", "7d", "likes received on the account's content", "engagements, content", True),
    _c("like_rate_7d", "7d", "likes_7d / views_7d; null without views", "engagements, content", True),
    _c("engagements_given_1d", "1d", "engagements of any action made by the account", "engagements", True),
    _c("reports_received_7d", "7d", "reports naming the account as target", "reports", True),
    _c("violations_28d", "28d", "decisions against the account with outcome violation", "decisions", True),
    _c("orders_28d", "28d", "orders sold by the account (one per order_id)", "orders", True),
    _c("refund_rate_28d", "28d", "share of orders_28d whose final status is refunded; null without orders",
       "orders", True),
    _c("distinct_devices_28d", "28d", "distinct devices in the account's sessions", "sessions", True),
    _c("max_accounts_per_device_28d", "28d",
       "largest number of distinct accounts seen on one of the account's devices; 0 without sessions",
       "sessions", True),
    # ---- account ----
    _c("is_seller", "-", "the account is flagged as a seller", "accounts"),
    _c("is_new_account", "-", "account_age_days below new_account_days (config)", "accounts"),
    # ---- posting ----
    _c("posts_prev_7d", "7d, lag 7", "posts in the 7 days before the last 7", "content"),
    _c("posts_trend_7d", "7d vs prev 7d", "(posts_7d + 1) / (posts_prev_7d + 1)", "content"),
    _c("night_post_share_7d", "7d", "share of posts created in the UTC night hours (config)", "content"),
    _c("peak_hour_share_7d", "7d", "share of posts_7d made in the account's busiest clock hour", "content"),
    _c("min_post_gap_minutes_7d", "7d", "shortest gap between consecutive posts; null with fewer than 2", "content"),
    _c("mean_post_gap_minutes_7d", "7d", "mean gap between consecutive posts", "content"),
    _c("video_share_28d", "28d", "share of posts that are videos", "content"),
    _c("live_share_28d", "28d", "share of posts that are live streams", "content"),
    _c("listing_share_28d", "28d", "share of posts that are product listings", "content"),
    _c("aigc_share_28d", "28d", "share of posts flagged as AI-generated", "content"),
    _c("mean_quality_28d", "28d", "mean quality_score of posts that have one", "content"),
    _c("low_quality_share_28d", "28d", "share of scored posts below low_quality_threshold (config)", "content"),
    _c("dup_own_share_28d", "28d", "share of posts whose fingerprint the account posted more than once", "content"),
    _c("dup_cross_share_28d", "28d", "share of posts whose fingerprint other accounts also posted", "content"),
    _c("hub_fingerprints_28d", "28d", "fingerprints used that exceed hub_cap accounts (viral, not linked)",
       "content"),
    # ---- engagement received ----
    _c("comments_7d", "7d", "comments received", "engagements, content"),
    _c("shares_7d", "7d", "shares received", "engagements, content"),
    _c("views_28d", "28d", "views received", "engagements, content"),
    _c("likes_28d", "28d", "likes received", "engagements, content"),
    _c("views_prev_7d", "7d, lag 7", "views received in the 7 days before the last 7", "engagements, content"),
    _c("views_trend_7d", "7d vs prev 7d", "(views_7d + 1) / (views_prev_7d + 1)", "engagements, content"),
    _c("engagements_received_7d", "7d", "engagements of any action received", "engagements, content"),
    _c("like_rate_28d", "28d", "likes_28d / views_28d; null without views", "engagements, content"),
    _c("comment_rate_7d", "7d", "comments_7d / views_7d; null without views", "engagements, content"),
    _c("distinct_engagers_7d", "7d", "distinct accounts that engaged with the account's content",
       "engagements, content"),
    _c("new_engager_share_7d", "7d", "share of engagements received from accounts younger than new_account_days",
       "engagements, accounts"),
    _c("suspicious_engager_share_7d", "7d",
       "share of engagements received from unknown accounts or accounts above suspicious_daily_actions that day",
       "engagements, accounts"),
    _c("top_liker_share_7d", "7d", "share of likes_7d given by the single most active liker", "engagements"),
    # ---- engagement given ----
    _c("engagements_given_7d", "7d", "engagements made", "engagements"),
    _c("engagements_given_28d", "28d", "engagements made", "engagements"),
    _c("engagements_given_prev_7d", "7d, lag 7", "engagements made in the 7 days before the last 7", "engagements"),
    _c("engagements_given_trend_7d", "7d vs prev 7d", "(given_7d + 1) / (given_prev_7d + 1)", "engagements"),
    _c("likes_given_7d", "7d", "likes made", "engagements"),
    _c("comments_given_7d", "7d", "comments made", "engagements"),
    # ---- reports and enforcement ----
    _c("reports_received_28d", "28d", "reports naming the account as target", "reports"),
    _c("distinct_reporters_28d", "28d", "distinct accounts that reported the account", "reports"),
    _c("reports_per_1k_views_7d", "7d", "reports_received_7d per 1000 views_7d; null without views",
       "reports, engagements"),
    _c("reports_made_7d", "7d", "reports filed by the account", "reports"),
    _c("reports_made_28d", "28d", "reports filed by the account", "reports"),
    _c("violations_7d", "7d", "violation decisions against the account", "decisions"),
    _c("decisions_28d", "28d", "decisions of any outcome about the account", "decisions"),
    _c("days_since_last_violation", "28d", "days from the latest violation to ds; null when none in 28 days",
       "decisions"),
    # ---- commerce ----
    _c("orders_1d", "1d", "orders sold", "orders"),
    _c("orders_7d", "7d", "orders sold", "orders"),
    _c("orders_prev_7d", "7d, lag 7", "orders sold in the 7 days before the last 7", "orders"),
    _c("orders_trend_7d", "7d vs prev 7d", "(orders_7d + 1) / (orders_prev_7d + 1)", "orders"),
    _c("gmv_7d", "7d", "amount of orders sold (any status)", "orders"),
    _c("gmv_28d", "28d", "amount of orders sold (any status)", "orders"),
    _c("cancel_rate_28d", "28d", "share of orders_28d cancelled; null without orders", "orders"),
    _c("distinct_buyers_28d", "28d", "distinct buyers of the account's orders", "orders"),
    _c("top_buyer_share_28d", "28d", "share of orders_28d bought by the single largest buyer", "orders"),
    _c("orders_placed_28d", "28d", "orders the account placed as a buyer", "orders"),
    # ---- devices and networks ----
    _c("distinct_devices_7d", "7d", "distinct devices in the account's sessions", "sessions"),
    _c("hub_devices_28d", "28d", "devices used that more than hub_cap accounts used (not graph links)", "sessions"),
    _c("distinct_ips_7d", "7d", "distinct IPs in the account's sessions", "sessions"),
    _c("distinct_ips_28d", "28d", "distinct IPs in the account's sessions", "sessions"),
    _c("max_accounts_per_ip_28d", "28d", "largest number of accounts seen on one of the account's IPs", "sessions"),
    _c("hub_ips_28d", "28d", "IPs used that more than hub_cap accounts used (carrier NAT, office Wi-Fi)",
       "sessions"),
    # ---- graph and lockstep ----
    _c("graph_cluster_id", "28d", "smallest account id of the account's connected component (shared device, IP "
       "or fingerprint, hubs excluded); the account itself when unlinked", "sessions, content"),
    _c("graph_cluster_size", "28d", "accounts in that component (1 when unlinked)", "sessions, content"),
    _c("graph_link_types", "28d", "link types (device, ip, fingerprint) of the account's own links",
       "sessions, content"),
    _c("graph_cluster_link_types", "28d", "link types present anywhere in the component", "sessions, content"),
    _c("lockstep_group_id", "lockstep_lookback_days",
       "smallest account id of the lockstep group (accounts acting on the same items within minutes); null "
       "outside any group", "engagements"),
    _c("lockstep_group_size", "lockstep_lookback_days", "accounts in the lockstep group; 0 outside any",
       "engagements"),
    _c("lockstep_partners", "lockstep_lookback_days", "accounts this one is in lockstep with", "engagements"),
    _c("lockstep_score", "lockstep_lookback_days",
       "share of items the account acted on that it co-engaged with a lockstep partner (0..1)", "engagements"),
    # ---- content_features ----
    _k("creator_id", "-", "account that created the item", "content"),
    _k("content_type", "-", "video, live or listing", "content"),
    _k("is_aigc", "-", "flagged as AI-generated", "content"),
    _k("quality_score", "-", "quality score in [0, 1] when known", "content"),
    _k("content_age_days", "-", "days from the item's UTC creation date to ds", "content"),
    _k("views_1d", "1d", "views of the item", "engagements"),
    _k("likes_1d", "1d", "likes of the item", "engagements"),
    _k("comments_1d", "1d", "comments on the item", "engagements"),
    _k("shares_1d", "1d", "shares of the item", "engagements"),
    _k("engagements_1d", "1d", "engagements of any action", "engagements"),
    _k("engagements_7d", "7d", "engagements of any action", "engagements"),
    _k("views_7d", "7d", "views of the item", "engagements"),
    _k("likes_7d", "7d", "likes of the item", "engagements"),
    _k("like_rate_1d", "1d", "likes_1d / views_1d; null without views", "engagements"),
    _k("like_rate_7d", "7d", "likes_7d / views_7d; null without views", "engagements"),
    _k("engagements_first_hour", "28d", "engagements in the first hour after creation (velocity at launch)",
       "engagements, content"),
    _k("engagements_per_hour_7d", "7d", "engagements_7d per hour live (1 to 168 hours)", "engagements, content"),
    _k("distinct_engagers_1d", "1d", "distinct accounts that engaged", "engagements"),
    _k("engager_mean_age_days_1d", "1d", "mean account age of those engagers", "engagements, accounts"),
    _k("new_engager_share_1d", "1d", "share of engagers younger than new_account_days", "engagements, accounts"),
    _k("suspicious_engager_share_1d", "1d", "share of engagers unknown or above suspicious_daily_actions",
       "engagements, accounts"),
    _k("reports_1d", "1d", "reports naming the item", "reports"),
    _k("reports_7d", "7d", "reports naming the item", "reports"),
    _k("fingerprint_accounts_28d", "28d", "accounts that posted the item's fingerprint; null without one",
       "content"),
    _k("fingerprint_items_28d", "28d", "items posted with the item's fingerprint", "content"),
)


def by_name(table: str = "creator_features") -> dict[str, Feature]:
    """Catalog entries of one table by column name."""
    return {f.name: f for f in CATALOG if f.table == table}


def render_markdown() -> str:
    """docs/features.md, generated from `CATALOG`."""
    lines = [
        "# Feature catalog",
        "",
        "Generated from `features/catalog.py` by `python scripts/gen_feature_docs.py`; do not edit by hand.",
        "A window of `w` days ending on `ds` covers the UTC dates `[ds - w + 1, ds]`; `lag 7` is the window",
        "of 7 days ending 7 days before ds. Counts are 0 when nothing happened; rates and shares are null when",
        "their denominator is 0. Canonical columns (CONTRACT.md section 2) are marked with ✓.",
        "",
        "## How they are computed",
        "",
        "- `govern features --ds D` (or `--from A --to B`) runs `jobs/build_features.py`: it reads events dated",
        "  `[first ds - 34, last ds]` (28-day windows plus the previous 7 days for trends) and every account and",
        "  content item created up to the last ds, computes all requested days in one pass (chunks of",
        "  `backfill_chunk_days`), and replaces exactly those `ds` partitions of `creator_features` and",
        "  `content_features`. Graph and lockstep signals are columns of `creator_features`.",
        "- Days are UTC day indexes (`floor(unix_seconds / 86400)`), so results do not depend on the session",
        "  time zone. A row for ds only sees events dated on or before ds.",
        "- Windows: each source is reduced once to a daily aggregate per key, then each daily row is exploded to",
        "  the requested days whose 28-day window contains it (`offset = ds - day`), and one aggregation per",
        "  (key, ds) yields every window (`offset < w`) including distinct counts (devices, engagers), which",
        "  Spark window functions cannot do. No dense account x day grid is built: a single ds costs one",
        "  pass over the lookback, a backfill of n days copies each daily row at most min(n, 28) times.",
        "- Graph: accounts linked by a device, IP or fingerprint shared in the 28-day window; a key used by more",
        "  than `hub_cap` accounts is a hub, counted (`hub_*_28d`) but not linked. Connected components: a graph",
        "  of at most 500,000 distinct edges (`features/graph.py` `LOCAL_EDGES`; every day of the demo and of a",
        "  20k-account run) is collected once and solved on the driver with scipy, without a Spark job per round;",
        "  a larger one by alternating large-star/small-star (Kiveris et al. 2014) on the executors, with a local",
        "  checkpoint per round and a checksum convergence test: O(log n) rounds, no driver collect. Both give each",
        "  component the smallest node id (a test checks they agree). Nodes are (day, account), so the graphs of all",
        "  requested days are solved together.",
        "- Lockstep (CopyCatch-style): two accounts acting (like/comment/share by default) on the same item at",
        "  most `lockstep_window_minutes` apart co-engage; pairs with `lockstep_min_shared_items` shared items",
        "  in `lockstep_lookback_days` are linked and components of at least `lockstep_min_group_size` accounts",
        "  are groups. Candidate pairs come from time buckets (own and previous bucket); a bucket with more",
        "  than `lockstep_max_cell_accounts` accounts (a viral moment) is skipped. A co-engagement is dated",
        "  by the earlier of its two events, once per day it happens, and only the engagements of the",
        "  lookback (plus the day before it) are read: a day's groups do not depend on older history, so a",
        "  daily run and a backfill agree.",
        "- Key usage (devices, IPs, fingerprints) aggregates each (account, key) pair once, with its latest",
        "  use and its uses in each requested day's window as conditional aggregates, instead of copying",
        "  every use to every requested day. Engagements received are counted per item before the join to",
        "  their creators. Every source reads only the days its windows reach, also as a `ds` bound, so",
        "  Spark skips the other partitions of the lookback.",
        "- The canonical columns alone (`features.canonical.build_canonical_features`, what",
        "  `benchmarks/features_vs_duckdb.py` measures) are computed wide instead: each source is reduced by",
        "  one aggregation per account whose conditional counts hold every requested day's window, the parts",
        "  are joined on `account_id` alone (all partitioned by it already) and one `inline` gives the",
        "  (account_id, ds) rows; up to 7 days per pass. The rich table checks it: its canonical columns are",
        "  computed the exploded way and a test asserts the two agree.",
        "- `content_features` has a row per (content_id, ds) when the item was created, engaged with or",
        "  reported in the 7 days ending on ds.",
        "",
    ]
    for table in ("creator_features", "content_features"):
        lines += [f"## {table}", "", "| name | window | meaning | source | canonical |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{f.name}` | {f.window} | {f.meaning} | {f.source} | {'✓' if f.canonical else ''} |"
                  for f in CATALOG if f.table == table]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
