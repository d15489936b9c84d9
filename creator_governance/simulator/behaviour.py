"""Honest behaviour: accounts, sessions (households share devices), organic content (heavy-tailed creators,
organic duplicates), engagements (Zipf popularity) and honest orders with a few refunds and cancels.

Every builder returns the entity's contract columns plus `day`, the index of the day the row is delivered.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from creator_governance.contract import LANDING_ENTITIES
from creator_governance.simulator import rng
from creator_governance.simulator.population import CATEGORIES
from creator_governance.simulator.world import World

ENGAGEMENT_LAGS = 4  # an engagement targets an item posted on the same day or up to 3 days before


def contract_select(df: DataFrame, entity: str) -> DataFrame:
    """The entity's contract columns in contract order, then the delivery `day`."""
    return df.select(*LANDING_ENTITIES[entity].column_names, "day")


def build_accounts(w: World) -> DataFrame:
    """One row per account, plus a later re-delivered row (new category) for a share of them."""
    pop, v = w.pop, F.col("v")
    base = w.accounts_range().select(
        "v",
        pop.account_id(v).alias("account_id"),
        pop.created_at(v).alias("created_at"),
        pop.country(v).alias("country"),
        pop.is_seller(v).alias("is_seller"),
        pop.category(v).alias("category"),
        F.greatest(pop.created_day(v), F.lit(0)).alias("day"),
    )
    later = F.col("day") + 1 + rng.below(w.u("update_day", v), w.s.days)
    updates = base.filter(w.u("update", v) < F.lit(w.s.delivery.account_update_share)) \
        .withColumn("category", rng.pick(w.u("new_category", v), CATEGORIES)) \
        .withColumn("day", later.cast("int")).filter(F.col("day") < F.lit(w.s.days))
    return contract_select(base.unionAll(updates), "accounts")


def build_normal_sessions(w: World) -> DataFrame:
    """Sessions of honest and camouflaged accounts; households share one device and home IP."""
    pop, s, v, day = w.pop, w.s.normal, F.col("v"), F.col("day")
    household = F.floor(v / F.lit(s.household_size))
    in_household = ~pop.is_bad(v) & (w.u("household", household) < F.lit(s.household_share))
    home_device = F.when(in_household, F.format_string("dh%07d", household)).otherwise(w.device(v))
    home_ip = w.ip(10, F.when(in_household, w.hash("home_ip", household)).otherwise(w.hash("home_ip", v)))
    is_mobile = w.u("mobile", v, day, F.col("j")) < F.lit(s.second_device_share)
    sessions = (
        w.grid("spam", "viewer", "spike")
        .filter(w.active_normal(v, day))
        .withColumn("j", F.explode(F.sequence(F.lit(0), (w.u("second_session", v, day) < 0.3).cast("int"))))
    )
    return sessions.select(
        F.format_string("s%07d%03d%02d", pop.account_num(v), day, F.col("j")).alias("event_id"),
        pop.account_id(v).alias("account_id"),
        pop.ts(day, rng.below(w.u("session_sec", v, day, F.col("j")), 86400)).alias("ts"),
        F.when(is_mobile, w.device(v, "m")).otherwise(home_device).alias("device_id"),
        F.when(is_mobile, w.ip(100, w.hash("mobile_ip", v, day))).otherwise(home_ip).alias("ip"),
        day,
    )


def build_organic_content(w: World) -> DataFrame:
    """Organic posts: creators (heavy-tailed rates), sellers' listings, boosted and camouflaged accounts."""
    pop, s, v, day, k = w.pop, w.s.normal, F.col("v"), F.col("day"), F.col("k")
    producers = w.grid("spam", "seller").select("v", "day", *w.producer_attributes(v, "p_")) \
        .withColumn("n", w.posts_on(v, day, "p_")).filter(F.col("n") > 0) \
        .withColumn("k", F.explode(F.sequence(F.lit(0), F.col("n") - 1)))
    is_seller = pop.is_seller(v)
    content_type = F.when(is_seller, F.when(w.u("type", v, day, k) < 0.9, "listing").otherwise("video")) \
        .otherwise(F.when(w.u("type", v, day, k) < 0.15, "live").otherwise("video"))
    popular_fp = rng.hex16(w.s.seed, "popular_fp", rng.below(w.u("popular_pick", v, day, k), 200))
    fingerprint = F.when(w.u("organic_dup", v, day, k) < F.lit(s.organic_duplicate_share), popular_fp) \
        .otherwise(rng.hex16(w.s.seed, "fp", v, day, k))
    quality = F.least(F.greatest(pop.quality_mean(v) + (w.u("quality", v, day, k) - 0.5) * 0.3, F.lit(0.0)),
                      F.lit(1.0))
    return producers.select(
        w.organic_content_id(v, day, k).alias("content_id"),
        pop.account_id(v).alias("creator_id"),
        pop.ts(day, w.content_sec(v, day, k)).alias("created_at"),
        content_type.alias("content_type"),
        fingerprint.alias("fingerprint"),
        (w.u("aigc", v, day, k) < F.lit(s.aigc_share)).alias("is_aigc"),
        F.round(quality, 3).alias("quality_score"),
        day,
    )


def build_normal_engagements(w: World) -> DataFrame:
    """Organic engagements: active honest accounts view/like/comment/share popular creators' recent items
    (the most recent of the last ENGAGEMENT_LAGS days on which the Zipf-chosen creator posted)."""
    pop, s, v, day, j = w.pop, w.s.normal, F.col("v"), F.col("day"), F.col("j")
    intensity = s.engagements_per_active_day * (0.3 + 1.4 * w.u("intensity", v))
    events = (
        w.grid("spam", "viewer", "spike")
        .filter(w.active_normal(v, day))
        .withColumn("n", rng.rounded_count(intensity, w.u("engagements", v, day)))
        .filter(F.col("n") > 0)
        .withColumn("j", F.explode(F.sequence(F.lit(0), F.col("n") - 1)))
        .select("v", "day", "j", pop.zipf_creator(w.u("target", v, day, j)).alias("c"))
    )
    c = F.col("c")
    events = events.select("*", *w.producer_attributes(c, "c_"))
    counts = [F.col(f"n{lag}") for lag in range(ENGAGEMENT_LAGS)]
    events = events.select("v", "day", "j", "c", *[w.posts_on(c, day - lag, "c_").alias(f"n{lag}")
                                                   for lag in range(ENGAGEMENT_LAGS)])
    lag = F.coalesce(*[F.when(n > 0, F.lit(i)) for i, n in enumerate(counts)])
    events = events.withColumn("lag", lag).filter(F.col("lag").isNotNull())
    n_at_lag = F.coalesce(*[F.when(F.col("lag") == i, n) for i, n in enumerate(counts)])
    events = events.select("v", "day", "j", "c", "lag", rng.below(w.u("item", v, day, j), n_at_lag).alias("k"))
    lag, k = F.col("lag"), F.col("k")
    events = events.withColumn("posted", w.content_sec(c, day - lag, k))
    posted = F.col("posted")
    sec = F.when(lag == 0, posted + rng.below(w.u("eng_sec", v, day, j), F.lit(86400) - posted)) \
        .otherwise(rng.below(w.u("eng_sec", v, day, j), 86400))
    action = rng.pick(w.u("action", v, day, j), ("view", "like", "comment", "share"), (0.8, 0.13, 0.04, 0.03))
    return events.select(
        F.format_string("e%07d%03dn%03d", pop.account_num(v), day, j).alias("event_id"),
        pop.ts(day, sec).alias("ts"),
        pop.account_id(v).alias("actor_id"),
        w.organic_content_id(c, day - lag, k).alias("content_id"),
        action.alias("action"),
        day,
    )


def order_lifecycle(w: World, orders: DataFrame, refund_rate: Column, cancel_rate: Column) -> DataFrame:
    """Orders as delivered: a `completed` row when placed, then a later `cancelled` (hours) or `refunded`
    (days) row with the same order_id and a later updated_at, delivered on its own day if within the window.

    `orders` has order_id, seller_v, buyer_v, day, sec, amount.
    """
    oid = F.col("order_id")
    fate = w.u("fate", oid)
    status = F.when(fate < cancel_rate, "cancelled").when(fate < cancel_rate + refund_rate, "refunded")
    delay = F.when(status == "cancelled", rng.between(w.u("delay", oid), 600, 6 * 3600)) \
        .otherwise(rng.between(w.u("delay", oid), 86400, 10 * 86400))
    placed = orders.select(
        "order_id", w.pop.ts(F.col("day"), F.col("sec")).alias("created_at"),
        w.pop.account_id(F.col("buyer_v")).alias("buyer_id"), w.pop.account_id(F.col("seller_v")).alias("seller_id"),
        "amount", status.alias("fate"), delay.alias("delay"), "day", "sec")
    first = placed.select("*", F.lit("completed").alias("status"), F.col("created_at").alias("updated_at"))
    change_sec = F.col("sec") + F.col("delay")
    change = placed.filter(F.col("fate").isNotNull()).select(
        "order_id", "created_at", "buyer_id", "seller_id", "amount", F.col("fate").alias("status"),
        w.pop.ts(F.col("day"), change_sec).alias("updated_at"),
        (F.col("day") + F.floor(change_sec / 86400)).cast("int").alias("day"))
    first = first.select(*change.columns)
    return contract_select(first.unionAll(change).filter(F.col("day") < F.lit(w.s.days))
                           .withColumn("content_id", F.lit(None).cast("string")), "orders")


def build_honest_orders(w: World) -> DataFrame:
    """Honest sellers (and camouflaged fake sellers) selling to anyone; heavy-tailed order rates."""
    pop, s, v, day, j = w.pop, w.s.normal, F.col("v"), F.col("day"), F.col("j")
    rate = F.lit(s.seller_order_rate) * 3.0 * F.pow(w.u("order_rate", v), 2.0)
    rate = F.when(pop.is_bad(v), F.lit(s.seller_order_rate * 0.5)).otherwise(rate) * w.fx.activity(day)
    sellers = w.grid("fake_seller", "seller") \
        .filter(pop.is_seller(v) & pop.behaves_normally(v) & w.after_creation(v, day)) \
        .withColumn("n", rng.rounded_count(rate, w.u("orders", v, day))).filter(F.col("n") > 0) \
        .withColumn("j", F.explode(F.sequence(F.lit(0), F.col("n") - 1)))
    orders = sellers.select(
        F.format_string("o%07d%03dh%02d", pop.account_num(v), day, j).alias("order_id"),
        v.alias("seller_v"), rng.below(w.u("buyer", v, day, j), w.s.accounts).alias("buyer_v"), day,
        rng.below(w.u("order_sec", v, day, j), 80000).alias("sec"),
        F.round(5.0 + 295.0 * F.pow(w.u("amount", v, day, j), 3.0), 2).alias("amount"),
    )
    return order_lifecycle(w, orders, F.lit(s.refund_rate), F.lit(s.cancel_rate))
