"""The simulated world: settings, population, day effects, and the (account, day) grids events grow from."""

from __future__ import annotations

import math
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from creator_governance.settings import SimulatorSettings
from creator_governance.simulator import rng
from creator_governance.simulator.incidents import DayEffects
from creator_governance.simulator.population import Population


class World:
    """Everything a generator needs; all randomness is `self.u(purpose, *coords)`."""

    def __init__(self, spark: SparkSession, s: SimulatorSettings):
        self.spark = spark
        self.s = s
        self.pop = Population(s)
        self.fx = DayEffects(s)
        self.layout = self.pop.layout

    def u(self, purpose: str, *coords) -> Column:
        return rng.uniform(self.s.seed, purpose, *coords)

    def partitions(self, rows: int) -> int:
        """Spark tasks for `rows` grid rows: `delivery.rows_per_partition` each, at least one."""
        return max(1, math.ceil(rows / self.s.delivery.rows_per_partition))

    def grid(self, *block_names: str) -> DataFrame:
        """One row per (v, day) over the range covering the named blocks (callers filter what they need),
        day-major so that each task covers few days and writes few files per day."""
        blocks = [self.layout[name] for name in block_names if self.layout[name].size > 0]
        lo, hi = (min(b.lo for b in blocks), max(b.hi for b in blocks)) if blocks else (0, 0)
        size = hi - lo
        total = size * self.s.days
        parts = self.partitions(total)
        if size == 0:
            return self.spark.range(0).select(F.col("id").alias("v"), F.lit(0).alias("day"))
        return self.spark.range(0, total, 1, parts).select(
            (F.pmod(F.col("id"), F.lit(size)) + F.lit(lo)).alias("v"),
            F.floor(F.col("id") / F.lit(size)).cast("int").alias("day"),
        )

    def accounts_range(self) -> DataFrame:
        """One row per account: its virtual index `v`."""
        parts = self.partitions(self.s.accounts)
        return self.spark.range(0, self.s.accounts, 1, parts).select(F.col("id").alias("v"))

    def after_creation(self, v: Column, day: Column) -> Column:
        """Events start the day after registration (so no event precedes its account)."""
        return day > self.pop.created_day(v)

    def active_normal(self, v: Column, day: Column) -> Column:
        """An honest (or camouflaged) account is active this day: its activity times the day's effects."""
        p = self.pop.activity(v) * self.fx.activity(day)
        return self.pop.behaves_normally(v) & self.after_creation(v, day) & (self.u("active", v, day) < p)

    def producer_attributes(self, v: Column, prefix: str) -> list[Column]:
        """The account attributes `posts_on` needs, as named columns (computed once, reused per day)."""
        pop = self.pop
        return [pop.post_rate(v).alias(prefix + "rate"), pop.category(v).alias(prefix + "category"),
                pop.quality_mean(v).alias(prefix + "quality"), pop.created_day(v).alias(prefix + "born"),
                self.layout["boosted_creator"].contains(v).alias(prefix + "boosted")]

    def posts_on(self, v: Column, day: Column, prefix: str | None = None) -> Column:
        """How many organic items account `v` posts on `day` (0 for viewers and before creation).

        With `prefix`, the attributes are read from the columns `producer_attributes(v, prefix)` added.
        """
        pop = self.pop
        if prefix is None:
            rate, category, quality = pop.post_rate(v), pop.category(v), pop.quality_mean(v)
            born, boosted = pop.created_day(v), self.layout["boosted_creator"].contains(v)
        else:
            rate, category, quality, born, boosted = (F.col(prefix + n) for n in
                                                      ("rate", "category", "quality", "born", "boosted"))
        rate = rate * self.fx.activity(day) * self.fx.supply(day, category, quality)
        n = rng.rounded_count(rate, self.u("posts", v, day))
        n = F.when(boosted, F.greatest(n, F.lit(1))).otherwise(n)
        in_window = (day >= F.lit(0)) & (day > born)
        return F.when(in_window, F.least(n, F.lit(99))).otherwise(F.lit(0))

    def content_sec(self, v, day, k) -> Column:
        """Second of the day an organic item was posted (kept off the day's last ~7 minutes)."""
        return rng.below(self.u("content_sec", v, day, k), 86000)

    def organic_content_id(self, v, day, k) -> Column:
        return F.format_string("c%07d%03d%02d", self.pop.account_num(v), rng.col(day), rng.col(k))

    def device(self, v, tag: str = "") -> Column:
        return F.format_string("dv%07d" + tag, self.pop.account_num(v))

    @staticmethod
    def ip(first_octet: int, h: Column) -> Column:
        """A dotted IPv4 string in `first_octet`.x.y.z from a hash."""
        return F.format_string("%d.%d.%d.%d", F.lit(first_octet), F.pmod(F.shiftright(h, 16), F.lit(256)),
                               F.pmod(F.shiftright(h, 8), F.lit(256)), F.pmod(h, F.lit(256)))

    def hash(self, purpose: str, *coords) -> Column:
        return rng.hash64(self.s.seed, purpose, *coords)
