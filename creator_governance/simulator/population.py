"""Who is in the ecosystem: the layout of accounts by role and pattern, and each account's attributes.

Accounts are numbered by a virtual index `v` in blocks (spam, matrix, farm rings, boosted creators, fake
sellers, fake buyers, creators, sellers, viewers, registration-spike accounts), so that a group's members are
a formula, not a lookup. The public `account_id` is an affine permutation of `v`, which scatters the blocks.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from pyspark.sql import Column
from pyspark.sql import functions as F

from creator_governance.settings import SimulatorSettings
from creator_governance.simulator import rng

COUNTRIES = ("US", "BR", "IN", "ID", "GB", "DE", "MX", "FR", "JP", "NG")
COUNTRY_WEIGHTS = (0.28, 0.14, 0.14, 0.09, 0.08, 0.07, 0.06, 0.05, 0.05, 0.04)
CATEGORIES = ("beauty", "gaming", "food", "fashion", "tech", "music", "sports", "travel")
CATEGORY_WEIGHTS = (0.16, 0.18, 0.14, 0.13, 0.1, 0.12, 0.1, 0.07)
PATTERNS = ("spam", "matrix", "farm_ring", "boosted_creator", "fake_seller", "fake_buyer")
GROUP_PREFIX = {"spam": "sb", "matrix": "mx", "farm_ring": "fr", "boosted_creator": "fr", "fake_seller": "fo",
                "fake_buyer": "fo"}


@dataclass(frozen=True)
class Block:
    """A contiguous range [lo, hi) of virtual indices; members of a group are `group_size` neighbours."""

    name: str
    lo: int
    hi: int
    group_size: int = 1

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def contains(self, v: Column) -> Column:
        return (v >= F.lit(self.lo)) & (v < F.lit(self.hi))

    def group(self, v: Column) -> Column:
        return F.floor((v - F.lit(self.lo)) / F.lit(self.group_size)).cast("long")


@dataclass(frozen=True)
class Layout:
    """Block boundaries, derived from the settings alone (pure Python, tiny)."""

    accounts: int
    blocks: dict[str, Block] = field(default_factory=dict)

    @classmethod
    def of(cls, s: SimulatorSettings) -> "Layout":
        n, a = s.accounts, s.abuse
        spike = s.incidents.registration_spike
        sizes: list[tuple[str, int, int]] = []
        groups = round(n * a.matrix.share / a.matrix.group_size)
        rings = round(n * a.farm.share / a.farm.ring_size)
        fakes = round(n * a.fake_orders.share / (1 + a.fake_orders.buyers_per_seller))
        sizes += [("spam", round(n * a.spam.share), a.spam.botnet_size),
                  ("matrix", groups * a.matrix.group_size, a.matrix.group_size),
                  ("farm_ring", rings * a.farm.ring_size, a.farm.ring_size),
                  ("boosted_creator", rings * a.farm.boosted_per_ring, a.farm.boosted_per_ring),
                  ("fake_seller", fakes, 1),
                  ("fake_buyer", fakes * a.fake_orders.buyers_per_seller, a.fake_orders.buyers_per_seller),
                  ("creator", round(n * s.normal.creator_share), 1),
                  ("seller", round(n * s.normal.seller_share), 1)]
        spike_size = 0
        if spike.enabled and spike.day < s.days:
            weight = COUNTRY_WEIGHTS[COUNTRIES.index(spike.country)] if spike.country in COUNTRIES else 0.05
            daily = n * s.normal.new_account_share / s.days * weight
            spike_size = round((spike.multiplier - 1.0) * daily)
        used = sum(size for _, size, _ in sizes) + spike_size
        if used > n:
            raise ValueError(f"simulator: abuse, creator and seller shares need {used} accounts, only {n} asked")
        sizes += [("viewer", n - used, s.normal.household_size), ("spike", spike_size, 1)]
        blocks, lo = {}, 0
        for name, size, group_size in sizes:
            blocks[name] = Block(name, lo, lo + size, group_size)
            lo += size
        return cls(n, blocks)

    def __getitem__(self, name: str) -> Block:
        return self.blocks[name]

    def sizes(self) -> dict[str, int]:
        return {name: b.size for name, b in self.blocks.items()}


class Population:
    """Account attributes as column expressions of a virtual-index column (no lookups, no joins)."""

    def __init__(self, s: SimulatorSettings):
        self.s = s
        self.seed = s.seed
        self.layout = Layout.of(s)
        n = s.accounts
        self._mult = next(m for m in range(int(n * 0.6180339887) | 1, 10 * n + 3) if math.gcd(m, n) == 1)
        self._offset = (s.seed * 2654435761) % n
        self.start_epoch = int(dt.datetime(s.start.year, s.start.month, s.start.day,
                                           tzinfo=dt.timezone.utc).timestamp())

    def u(self, purpose: str, *coords) -> Column:
        return rng.uniform(self.seed, purpose, *coords)

    def account_num(self, v) -> Column:
        """The public account number: a bijection of [0, accounts)."""
        return F.pmod(rng.col(v) * F.lit(self._mult) + F.lit(self._offset), F.lit(self.s.accounts))

    def account_id(self, v) -> Column:
        return F.format_string("a%07d", self.account_num(v))

    def pattern(self, v: Column) -> Column:
        expr = None
        for name in PATTERNS:
            cond = self.layout[name].contains(v)
            expr = F.when(cond, F.lit(name)) if expr is None else expr.when(cond, F.lit(name))
        return expr.otherwise(F.lit(None).cast("string"))

    def group_id(self, v: Column) -> Column:
        expr = None
        for name in PATTERNS:
            block = self.layout[name]
            value = F.concat(F.lit(GROUP_PREFIX[name]), block.group(v).cast("string"))
            expr = F.when(block.contains(v), value) if expr is None else expr.when(block.contains(v), value)
        return expr.otherwise(F.lit(None).cast("string"))

    def is_bad(self, v: Column) -> Column:
        return (v < F.lit(self.layout["creator"].lo))

    def camouflaged(self, v: Column) -> Column:
        return self.is_bad(v) & (self.u("camo", v) < F.lit(self.s.abuse.camouflage_share))

    def behaves_normally(self, v: Column) -> Column:
        return ~self.is_bad(v) | self.camouflaged(v)

    def is_seller(self, v: Column) -> Column:
        return self.layout["fake_seller"].contains(v) | self.layout["seller"].contains(v)

    def country(self, v: Column) -> Column:
        spike = self.s.incidents.registration_spike
        organic = rng.pick(self.u("country", v), COUNTRIES, COUNTRY_WEIGHTS)
        return F.when(self.layout["spike"].contains(v), F.lit(spike.country)).otherwise(organic)

    def category(self, v: Column) -> Column:
        organic = rng.pick(self.u("category", v), CATEGORIES, CATEGORY_WEIGHTS)
        spike = self.s.incidents.registration_spike.category
        return organic if spike is None else F.when(self.layout["spike"].contains(v), F.lit(spike)).otherwise(organic)

    def created_day(self, v: Column) -> Column:
        """Day index of registration; negative = before the simulated window."""
        s, L = self.s, self.layout
        u = self.u("created", v)
        organic = F.when(self.u("is_new", v) < F.lit(s.normal.new_account_share), rng.below(u, s.days)) \
            .otherwise(-1 - rng.below(u, s.normal.history_days))
        # Throwaway abuse accounts are young: registered shortly before or during the first half.
        young = rng.below(u, s.days // 2 + 14) - 14
        is_young = L["spam"].contains(v) | L["fake_buyer"].contains(v)
        return (F.when(L["spike"].contains(v), F.lit(s.incidents.registration_spike.day))
                .when(is_young, young).otherwise(organic)).cast("int")

    def created_at(self, v: Column) -> Column:
        sec = rng.below(self.u("created_sec", v), 86400)
        return self.ts(self.created_day(v), sec)

    def ts(self, day, sec) -> Column:
        """A UTC timestamp from a day index and a second of that day."""
        epoch = F.lit(self.start_epoch) + rng.col(day).cast("long") * 86400 + rng.col(sec).cast("long")
        return F.timestamp_seconds(epoch)

    def activity(self, v: Column) -> Column:
        """Daily probability of being active (heavy-tailed for viewers)."""
        L = self.layout
        producer = v < F.lit(L["seller"].hi)
        return F.when(producer, 0.5 + 0.4 * self.u("activity", v)) \
            .otherwise(0.03 + 0.5 * F.pow(self.u("activity", v), 2.0))

    def quality_mean(self, v: Column) -> Column:
        return 0.3 + 0.55 * self.u("quality_mean", v)

    def post_rate(self, v: Column) -> Column:
        """Organic posts per day before day effects: heavy-tailed by creator rank."""
        s, L = self.s.normal, self.layout
        rank = (v - F.lit(L["creator"].lo)).cast("double")
        creator_rate = (F.lit(s.creator_rate_floor) + s.creator_rate_top * F.pow(rank + 1.0, -0.5)) \
            * (0.6 + 0.8 * self.u("rate", v))
        camo_producer = self.camouflaged(v) & (L["spam"].contains(v) | L["matrix"].contains(v))
        return (F.when(L["creator"].contains(v), creator_rate)
                .when(L["seller"].contains(v) | L["fake_seller"].contains(v), F.lit(s.seller_listing_rate))
                .when(L["boosted_creator"].contains(v), F.lit(1.5))
                .when(camo_producer, F.lit(0.3))
                .otherwise(F.lit(0.0)))

    def zipf_creator(self, u: Column) -> Column:
        """A creator's virtual index, Zipf(1)-distributed over popularity rank (rank 0 the most popular)."""
        block = self.layout["creator"]
        rank = F.least(F.floor(F.pow(F.lit(float(block.size + 1)), u)) - 1, F.lit(block.size - 1))
        return (F.lit(block.lo) + rank).cast("long")
