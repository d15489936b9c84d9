"""Planted abuse, one signature per pattern (see docs/simulator.md):

- spam: on burst days a bot posts 15-50 low-quality, mostly AIGC items within ~30 minutes, fingerprints that
  share a botnet-wide 12-hex prefix (near-duplicates); emulator devices, one botnet subnet;
- matrix: on campaign days every member of a group posts the same items (same fingerprint) within minutes,
  from the group's few shared devices and IPs;
- farm_ring: on strike days ring members engage the same item of a boosted creator within minutes;
- fake_seller / fake_buyer: orders from the seller's small buyer ring, with heavy refunds and cancels.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from creator_governance.simulator import rng
from creator_governance.simulator.behaviour import order_lifecycle
from creator_governance.simulator.world import World



def _content(w: World, df: DataFrame, tag: str, sec, fingerprint, is_aigc, quality) -> DataFrame:
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    return df.select(
        F.format_string(f"c%07d%03d{tag}%02d", w.pop.account_num(v), day, k).alias("content_id"),
        w.pop.account_id(v).alias("creator_id"),
        w.pop.ts(day, sec).alias("created_at"),
        F.lit("video").alias("content_type"),
        fingerprint.alias("fingerprint"),
        is_aigc.alias("is_aigc"),
        F.round(quality, 3).alias("quality_score"),
        day,
    )


def _session(w: World, df: DataFrame, j: int, sec, device, ip) -> DataFrame:
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    return df.select(
        F.format_string(f"s%07d%03d{j:02d}", w.pop.account_num(v), day).alias("event_id"),
        w.pop.account_id(v).alias("account_id"),
        w.pop.ts(day, sec).alias("ts"),
        device.alias("device_id"),
        ip.alias("ip"),
        day,
    )


def spam_bursts(w: World) -> DataFrame:
    """(v, day, burst_sec, posts) for every spam burst."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c = w.s.abuse.spam
    window = c.burst_window_minutes * 60
    return (w.grid("spam").filter(w.after_creation(v, day) & (w.u("burst", v, day) < F.lit(c.burst_day_prob)))
            .withColumn("burst_sec", rng.below(w.u("burst_sec", v, day), 86400 - window))
            .withColumn("posts", rng.between(w.u("burst_posts", v, day), c.posts_min, max(c.posts_min, c.posts_max))))


def build_spam(w: World) -> tuple[DataFrame, DataFrame]:
    """(content, sessions) of spam bots."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c = w.s.abuse.spam
    bursts = spam_bursts(w)
    botnet = w.layout["spam"].group(v)
    prefix = F.substring(rng.hex16(w.s.seed, "spam_template", botnet), 1, 12)
    suffix = F.lpad(F.lower(F.hex(F.pmod(w.hash("spam_variant", v, day, k), F.lit(65536)))), 4, "0")
    items = bursts.withColumn("k", F.explode(F.sequence(F.lit(0), F.col("posts") - 1)))
    sec = F.col("burst_sec") + rng.below(w.u("spam_sec", v, day, k), c.burst_window_minutes * 60)
    content = _content(w, items, "s", sec, F.concat(prefix, suffix),
                       w.u("spam_aigc", v, day, k) < F.lit(c.aigc_share),
                       c.quality_max * w.u("spam_quality", v, day, k))
    sessions = _session(w, bursts, 10, F.col("burst_sec"), w.device(v, "e"),
                        w.ip(172, w.hash("botnet_ip", botnet) + rng.below(w.u("bot_ip", v), 16)))
    return content, sessions


def campaigns(w: World) -> DataFrame:
    """(v, day, group, k, base_sec) for each item of each matrix campaign a member joins."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c = w.s.abuse.matrix
    group = w.layout["matrix"].group(v)
    items = rng.between(w.u("campaign_items", group, day), 1, c.items_max)
    window = c.window_minutes * 60
    return (w.grid("matrix").withColumn("group", group)
            .filter(w.after_creation(v, day) & (w.u("campaign", F.col("group"), day) < F.lit(c.campaign_day_prob)))
            .withColumn("k", F.explode(F.sequence(F.lit(0), items - 1)))
            .filter(w.u("join", v, day, k) < F.lit(c.participation))
            .withColumn("base_sec", rng.below(w.u("campaign_sec", F.col("group"), day, k), 86400 - window)))


def build_matrix(w: World) -> tuple[DataFrame, DataFrame]:
    """(content, sessions) of matrix groups: same fingerprints, shared devices and IPs, minutes apart."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c = w.s.abuse.matrix
    posts = campaigns(w)
    g = F.col("group")
    sec = F.col("base_sec") + rng.below(w.u("matrix_sec", v, day, k), c.window_minutes * 60)
    content = _content(w, posts, "m", sec, rng.hex16(w.s.seed, "matrix_fp", g, day, k),
                       w.u("matrix_aigc", v, day, k) < 0.3, 0.3 + 0.4 * w.u("matrix_quality", v, day, k))
    device = F.format_string("dm%06d-%d", g, rng.below(w.u("matrix_device", v, day), c.devices_per_group))
    ip = w.ip(203, w.hash("matrix_ip", g, rng.below(w.u("matrix_ip", v, day), c.ips_per_group)))
    days = posts.filter(k == 0)
    return content, _session(w, days, 20, F.col("base_sec"), device, ip)


def build_farm(w: World) -> tuple[DataFrame, DataFrame]:
    """(engagements, sessions) of farm rings: lockstep engagement on their boosted creators' items."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c, L = w.s.abuse.farm, w.layout
    ring = L["farm_ring"].group(v)
    strikes = rng.between(w.u("strikes", ring, day), 1, c.strikes_max)
    rows = (w.grid("farm_ring").withColumn("ring", ring)
            .filter(w.after_creation(v, day) & (w.u("strike_day", F.col("ring"), day) < F.lit(c.strike_day_prob)))
            .withColumn("k", F.explode(F.sequence(F.lit(0), strikes - 1)))
            .filter(w.u("joins", v, day, k) < F.lit(c.participation)))
    r = F.col("ring")
    boosted = (F.lit(L["boosted_creator"].lo) + r * c.boosted_per_ring
               + rng.below(w.u("strike_target", r, day, k), c.boosted_per_ring))
    rows = rows.withColumn("b", boosted)
    b = F.col("b")
    items_posted = w.posts_on(b, day)
    item = F.when(items_posted > 0, rng.below(w.u("strike_item", r, day, k), items_posted))
    rows = rows.withColumn("item", item).filter(F.col("item").isNotNull())
    window = c.window_minutes * 60
    posted = w.content_sec(b, day, F.col("item"))
    strike_sec = F.least(posted + rng.between(w.u("strike_delay", r, day, k), 300, 5400), F.lit(86399 - window))
    rows = rows.withColumn("strike_sec", strike_sec)
    action = rng.pick(w.u("farm_action", v, day, k), ("like", "view", "comment", "share"), (0.6, 0.2, 0.1, 0.1))
    engagements = rows.select(
        F.format_string("e%07d%03df%03d", w.pop.account_num(v), day, k).alias("event_id"),
        w.pop.ts(day, F.col("strike_sec") + rng.below(w.u("farm_sec", v, day, k), window)).alias("ts"),
        w.pop.account_id(v).alias("actor_id"),
        w.organic_content_id(b, day, F.col("item")).alias("content_id"),
        action.alias("action"),
        day,
    )
    proxy = w.ip(45, w.hash("farm_proxy", r, rng.below(w.u("proxy", v, day), 3)))
    return engagements, _session(w, rows.filter(k == 0), 30, F.col("strike_sec"), w.device(v), proxy)


def build_fake_orders(w: World) -> tuple[DataFrame, DataFrame]:
    """(orders, buyer sessions) of fake sellers and their buyer rings."""
    v, day, k = F.col("v"), F.col("day"), F.col("k")
    c, L = w.s.abuse.fake_orders, w.layout
    j = F.col("j")
    sellers = (w.grid("fake_seller")
               .filter(w.after_creation(v, day) & (w.u("order_day", v, day) < F.lit(c.order_day_prob)))
               .withColumn("j", F.explode(F.sequence(F.lit(0), rng.between(
                   w.u("fake_n", v, day), c.orders_min, max(c.orders_min, c.orders_max)) - 1))))
    ring = v - F.lit(L["fake_seller"].lo)
    buyer = F.lit(L["fake_buyer"].lo) + ring * c.buyers_per_seller \
        + rng.below(w.u("fake_buyer", v, day, j), c.buyers_per_seller)
    orders = sellers.select(
        F.format_string("o%07d%03df%02d", w.pop.account_num(v), day, j).alias("order_id"),
        v.alias("seller_v"), buyer.alias("buyer_v"), day,
        rng.below(w.u("fake_sec", v, day, j), 80000).alias("sec"),
        F.round(20.0 + 180.0 * w.u("fake_amount", v, day, j), 2).alias("amount"),
    )
    out = order_lifecycle(w, orders, F.lit(c.refund_rate), F.lit(c.cancel_rate))
    seller_of = F.lit(L["fake_seller"].lo) + L["fake_buyer"].group(v)
    buyers = w.grid("fake_buyer").filter(w.after_creation(v, day) & (w.u("buyer_day", v, day) < 0.5))
    sessions = _session(w, buyers, 40, rng.below(w.u("buyer_sec", v, day), 86400), w.device(v),
                        w.ip(198, w.hash("fake_ring_ip", seller_of)))
    return out, sessions
