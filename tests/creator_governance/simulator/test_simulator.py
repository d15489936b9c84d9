"""End-to-end tests of the simulator: one small landing zone (simulated once for the module), read back and
checked against the contract, the planted patterns, incidents, labels and A/B experiment, plus determinism
and contract-breaking rows."""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os

import pytest
import yaml
from pyspark.sql import functions as F
from pyspark.sql import types as T

from creator_governance.contract import ENTITIES, LANDING_ENTITIES
from creator_governance.settings import SimulatorSettings
from creator_governance.simulator import truth_location
from creator_governance.simulator.world import World
from creator_governance.simulator.writer import write_entity

START = dt.date(2026, 1, 5)
OVERRIDES = {
    "accounts": 2000, "days": 12, "start": START.isoformat(), "seed": 11,
    "abuse": {"spam": {"share": 0.02}, "matrix": {"share": 0.02}, "farm": {"share": 0.02},
              "fake_orders": {"share": 0.012}},
    "incidents": {"registration_spike": {"day": 4, "country": "DE", "multiplier": 15.0},
                  "quality_supply_drop": {"day": 6, "duration_days": 3, "category": "gaming", "multiplier": 0.1},
                  "enforcement_intervention": {"day": 8},
                  "holiday_lull": {"day": 10, "duration_days": 2, "multiplier": 0.5}},
    "labels": {"accuracy_on_bad": 0.8, "accuracy_on_good": 0.8, "review_after_report": 0.7,
               "proactive_review_share": 0.01, "report_rates": {"normal": 0.002}},
    "experiment": {"day": 6},
}
EXPERIMENT_DAY = "2026-01-11"


def _simulate_cli(spark, tmp_path_factory, name: str, overrides: dict) -> str:
    from creator_governance.jobs import simulate

    folder = tmp_path_factory.mktemp(name)
    conf = folder / "sim.yaml"
    conf.write_text(yaml.safe_dump({"simulator": overrides}))
    out = str(folder / "landing")
    partitions = spark.conf.get("spark.sql.shuffle.partitions")
    try:
        assert simulate.main(["--out", out, "--conf", str(conf)]) == 0
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", partitions)
    return out


@pytest.fixture(scope="module")
def landing(spark, tmp_path_factory) -> str:
    return _simulate_cli(spark, tmp_path_factory, "sim_a", OVERRIDES)


def read_raw(spark, root: str, entity: str):
    """Every file of an entity as strings (whatever its format), with `file` and `day_folder`."""
    e = LANDING_ENTITIES[entity]
    schema = T.StructType([T.StructField(c, T.StringType()) for c in e.column_names])
    frames = []
    for ext, reader in (("parquet", lambda fs: spark.read.parquet(*fs)),
                        ("jsonl", lambda fs: spark.read.schema(schema).json(fs)),
                        ("csv", lambda fs: spark.read.schema(schema).option("header", True).csv(fs))):
        files = sorted(glob.glob(f"{root}/{entity}/**/*.{ext}", recursive=True))
        if files:
            df = reader(files)
            frames.append(df.select(*[F.col(c).cast("string").alias(c) for c in e.column_names],
                                    F.input_file_name().alias("file")))
    out = frames[0]
    for df in frames[1:]:
        out = out.unionByName(df)
    return out.withColumn("day_folder", F.regexp_extract("file", r"day=(\d{4}-\d{2}-\d{2})", 1))


def read_typed(spark, root: str, entity: str):
    """An entity's rows with contract types (try_cast: a bad value becomes null)."""
    e = LANDING_ENTITIES[entity]
    raw = read_raw(spark, root, entity)
    cols = [F.col(c.name).try_cast(c.type).alias(c.name) for c in e.columns]
    return raw.select(*cols, "day_folder", "file", *[F.col(c).alias(f"raw_{c}") for c in e.column_names])


@pytest.fixture(scope="module")
def data(spark, landing):
    frames = {name: read_typed(spark, landing, name).cache() for name in LANDING_ENTITIES}
    yield frames
    for df in frames.values():
        df.unpersist()


@pytest.fixture(scope="module")
def bad(spark, landing):
    return spark.read.parquet(f"{truth_location(landing)}/bad_accounts.parquet").cache()


def _members(bad, pattern: str):
    return bad.filter(F.col("pattern") == pattern).select(F.col("account_id"), "group_id")


def test_layout_and_truth_beside_the_landing_zone(landing):
    truth = truth_location(landing)
    assert sorted(os.listdir(landing)) == sorted([*ENTITIES, "assignments"])
    assert not [f for f in glob.glob(f"{landing}/**/.*", recursive=True)]  # no .crc side files
    assert sorted(os.listdir(truth)) == ["bad_accounts.csv", "bad_accounts.parquet", "incidents.json", "manifest.json"]
    incidents = json.loads(open(f"{truth}/incidents.json").read())
    assert {(i["kind"], i["day"], i["dimension_value"]) for i in incidents} == {
        ("registration_spike", "2026-01-09", "DE"), ("quality_supply_drop", "2026-01-11", "gaming"),
        ("enforcement_intervention", "2026-01-13", "integrity_v2"), ("holiday_lull", "2026-01-15", "all"),
        ("experiment", EXPERIMENT_DAY, "review_nudge")}
    extensions = {os.path.splitext(f)[1] for f in glob.glob(f"{landing}/**/*.*", recursive=True)}
    assert extensions == {".parquet", ".jsonl", ".csv"}  # mixed formats, no .crc or _SUCCESS
    manifest = json.loads(open(f"{truth}/manifest.json").read())
    assert manifest["seed"] == 11 and manifest["rows"]["engagements"] > 10 * manifest["accounts"] // 2


def test_every_row_meets_the_contract_when_bad_row_share_is_zero(data):
    for name, df in data.items():
        e = LANDING_ENTITIES[name]
        problems = []
        for c in e.columns:
            value, raw = F.col(c.name), F.col(f"raw_{c.name}")
            if c.required:
                problems.append(value.isNull())
            problems.append(raw.isNotNull() & value.isNull())  # unparseable
            if c.allowed:
                problems.append(~value.isin(*c.allowed))
            if c.minimum is not None:
                problems.append(value < c.minimum)
            if c.maximum is not None:
                problems.append(value > c.maximum)
            if c.pattern:
                problems.append(~value.rlike(c.pattern))
        broken = df.filter(F.greatest(*[F.coalesce(p, F.lit(False)) for p in problems]))
        assert broken.count() == 0, f"{name}: {broken.limit(3).collect()}"
        assert df.count() > 0


def test_timestamps_use_mixed_iso_spellings(data):
    spelled = data["engagements"].filter(~F.col("file").endswith(".parquet")).select(
        F.when(F.col("raw_ts").endswith("Z"), "Z").when(F.col("raw_ts").endswith("+00:00"), "offset")
        .otherwise("naive").alias("style")).distinct()
    assert {r.style for r in spelled.collect()} == {"Z", "offset", "naive"}


def test_same_seed_same_files(spark, tmp_path, landing):
    """Re-writing two entities (one with the only shuffle) with the same seed gives byte-identical files."""
    from creator_governance.simulator.engine import build_frames

    s = SimulatorSettings.model_validate(OVERRIDES)
    frames, reports = build_frames(World(spark, s))
    again = str(tmp_path / "again")
    for entity in ("engagements", "decisions"):
        write_entity(World(spark, s), entity, frames[entity], again)
    reports.unpersist()

    def digests(root, entity):
        return {os.path.relpath(p, root): hashlib.sha256(open(p, "rb").read()).hexdigest()
                for p in glob.glob(f"{root}/{entity}/**/*.*", recursive=True)}

    for entity in ("engagements", "decisions"):
        first, second = digests(landing, entity), digests(again, entity)
        assert len(first) >= 12 and first == second


def test_different_seed_different_data(spark):
    a = SimulatorSettings.model_validate({**OVERRIDES, "seed": 11})
    b = SimulatorSettings.model_validate({**OVERRIDES, "seed": 12})
    from creator_governance.simulator.behaviour import build_accounts

    rows_a, rows_b = build_accounts(World(spark, a)), build_accounts(World(spark, b))
    assert rows_a.count() > 0 and rows_a.exceptAll(rows_b).count() > rows_a.count() // 2


def test_farm_rings_engage_the_same_items_within_minutes(data, bad):
    window = SimulatorSettings().abuse.farm.window_minutes * 60
    ring = _members(bad, "farm_ring")
    hits = data["engagements"].join(ring, data["engagements"]["actor_id"] == ring["account_id"], how="inner")
    strike = F.substring("event_id", -3, 3)  # a ring may strike the same item twice in a day
    strikes = hits.groupBy("group_id", "content_id", strike.alias("strike")).agg(
        F.countDistinct("actor_id").alias("members"),
        (F.max(F.unix_timestamp("ts")) - F.min(F.unix_timestamp("ts"))).alias("spread")).filter("members >= 3")
    assert strikes.count() >= 20
    assert strikes.filter(F.col("spread") > window).count() == 0
    boosted = _members(bad, "boosted_creator").withColumnRenamed("account_id", "creator_id")
    targets = strikes.join(data["content"].select("content_id", "creator_id"), on="content_id", how="inner") \
        .join(boosted, on=["creator_id", "group_id"], how="inner")
    assert targets.count() == strikes.count()  # every struck item is a boosted creator's of the same ring


def test_matrix_groups_share_devices_and_post_the_same_fingerprints(data, bad):
    members = _members(bad, "matrix")
    sessions = data["sessions"].join(members, on="account_id", how="inner")
    devices = sessions.filter(F.col("device_id").startswith("dm")).groupBy("group_id", "device_id").agg(
        F.countDistinct("account_id").alias("accounts"))
    assert devices.count() > 0 and devices.agg(F.min("accounts")).first()[0] >= 2
    per_group = devices.groupBy("group_id").count()
    assert per_group.agg(F.max("count")).first()[0] <= SimulatorSettings().abuse.matrix.devices_per_group
    posts = data["content"].join(members, on=F.col("creator_id") == members["account_id"], how="inner")
    same = posts.groupBy("group_id", "fingerprint").agg(
        F.countDistinct("creator_id").alias("posters"),
        (F.max(F.unix_timestamp("created_at")) - F.min(F.unix_timestamp("created_at"))).alias("spread"))
    coordinated = same.filter("posters >= 3")
    assert coordinated.count() >= 10
    assert coordinated.agg(F.max("spread")).first()[0] <= 10 * 60


def test_spam_bursts_are_low_quality_near_duplicates(data, bad):
    spam = _members(bad, "spam")
    posts = data["content"].join(spam, on=F.col("creator_id") == spam["account_id"], how="inner") \
        .filter(F.col("content_id").contains("s"))
    bursts = posts.groupBy("creator_id", F.to_date("created_at").alias("d")).agg(
        F.count(F.lit(1)).alias("n"), F.max("quality_score").alias("q"),
        (F.max(F.unix_timestamp("created_at")) - F.min(F.unix_timestamp("created_at"))).alias("spread"))
    stats = bursts.agg(F.min("n"), F.max("q"), F.max("spread")).first()
    assert stats[0] >= 15 and stats[1] <= 0.3 and stats[2] <= 30 * 60
    prefixes = posts.groupBy("group_id").agg(F.countDistinct(F.substring("fingerprint", 1, 12)).alias("p"))
    assert prefixes.agg(F.max("p")).first()[0] == 1  # a botnet's items share one fingerprint prefix
    honest = data["content"].join(bad, on=F.col("creator_id") == bad["account_id"], how="left_anti")
    busiest = honest.groupBy("creator_id", F.to_date("created_at")).count().agg(F.max("count")).first()[0]
    assert busiest < 15
    assert posts.filter("is_aigc").count() > 0.6 * posts.count()


def test_fake_sellers_sell_to_a_small_ring_with_many_refunds(data, bad):
    latest = data["orders"].groupBy("order_id", "seller_id", "buyer_id").agg(
        F.max_by("status", "updated_at").alias("status"))
    fake = _members(bad, "fake_seller").withColumnRenamed("account_id", "seller_id")
    mine = latest.join(fake, on="seller_id", how="inner")
    buyers = mine.groupBy("seller_id").agg(F.countDistinct("buyer_id").alias("b"))
    assert buyers.count() > 0 and buyers.agg(F.max("b")).first()[0] <= 5
    bad_share = mine.filter(F.col("status") != "completed").count() / mine.count()
    honest = latest.join(bad, on=F.col("seller_id") == bad["account_id"], how="left_anti")
    honest_share = honest.filter(F.col("status") != "completed").count() / honest.count()
    assert bad_share > 0.45 and honest_share < 0.15


def test_order_status_changes_arrive_as_later_rows(data):
    orders = data["orders"]
    changes = orders.filter(F.col("status") != "completed")
    assert changes.count() > 0
    assert changes.filter(F.col("updated_at") <= F.col("created_at")).count() == 0
    later_day = changes.filter(F.col("day_folder") > F.date_format("created_at", "yyyy-MM-dd")).count()
    assert later_day > 0
    firsts = orders.filter(F.col("status") == "completed").select("order_id").distinct()
    assert changes.join(firsts, on="order_id", how="left_anti").count() == 0


def test_households_share_devices(data, bad):
    honest = data["sessions"].join(bad, on="account_id", how="left_anti")
    shared = honest.groupBy("device_id").agg(F.countDistinct("account_id").alias("n")).filter("n >= 2")
    assert shared.count() > 0 and shared.agg(F.max("n")).first()[0] <= 3


def _daily(df, ts: str):
    return {r[0].isoformat(): r[1] for r in df.groupBy(F.to_date(ts)).count().collect()}


def test_incidents_are_visible_on_their_days(data):
    accounts = data["accounts"].dropDuplicates(["account_id"])
    de = _daily(accounts.filter(F.col("country") == "DE").filter(F.col("created_at") >= F.lit(START)), "created_at")
    others = [n for d, n in de.items() if d != "2026-01-09"]
    assert de["2026-01-09"] > 3 * max(others)
    engagements = _daily(data["engagements"], "ts")
    normal = [n for d, n in engagements.items() if d < "2026-01-15" and d > "2026-01-06"]
    assert max(engagements["2026-01-15"], engagements["2026-01-16"]) < 0.8 * min(normal)
    decisions = data["decisions"]
    v2 = decisions.filter(F.col("policy") == "integrity_v2")
    assert v2.count() > 0 and v2.agg(F.min("ts")).first()[0].date() == dt.date(2026, 1, 13)
    assert decisions.filter((F.col("policy") != "integrity_v2") & (F.col("ts") >= F.lit("2026-01-13"))).count() == 0


def test_quality_supply_drop_in_its_category(data, spark, landing):
    accounts = data["accounts"].dropDuplicates(["account_id"]).select(F.col("account_id").alias("creator_id"))
    content = data["content"].filter(F.col("content_id").rlike(r"^c\d+$"))  # organic items
    s = SimulatorSettings.model_validate(OVERRIDES)
    w = World(spark, s)
    hq = w.accounts_range().filter(
        (w.pop.category(F.col("v")) == "gaming") & (w.pop.quality_mean(F.col("v")) >= 0.65)
        & w.layout["creator"].contains(F.col("v"))).select(w.pop.account_id(F.col("v")).alias("creator_id"))
    daily = _daily(content.join(hq, on="creator_id", how="inner"), "created_at")
    drop = [daily.get(d, 0) for d in ("2026-01-11", "2026-01-12", "2026-01-13")]
    before = [daily.get(d, 0) for d in ("2026-01-07", "2026-01-08", "2026-01-09", "2026-01-10")]
    assert accounts.count() > 0 and sum(drop) / 3 < 0.4 * (sum(before) / 4)


def test_labels_are_partial_noisy_and_mostly_after_reports(data, bad):
    decisions = data["decisions"]
    human = decisions.filter(F.col("source") == "human")
    accounts = data["accounts"].select("account_id").distinct().count()
    reviewed = human.select("target_id").distinct().count()
    assert 0 < reviewed < 0.1 * accounts
    reported = data["reports"].select(F.col("target_id")).distinct()
    after_report = human.join(reported, on="target_id", how="inner").count()
    assert after_report > 0.5 * human.count()
    truth = bad.select(F.col("account_id").alias("target_id"), F.lit(True).alias("is_bad"))
    judged = human.join(truth, on="target_id", how="left").fillna(False, subset=["is_bad"])
    wrong_bad = judged.filter("is_bad AND outcome = 'no_violation'").count() / judged.filter("is_bad").count()
    wrong_good = judged.filter("NOT is_bad AND outcome = 'violation'").count() / judged.filter("NOT is_bad").count()
    assert 0.05 < wrong_bad < 0.4 and 0.05 < wrong_good < 0.4  # configured accuracy 0.8 both ways
    assert decisions.filter(F.col("source") == "auto").count() > 0
    assert bad.filter(F.col("pattern") == "spam").join(
        human.select(F.col("target_id").alias("account_id")), on="account_id", how="left_anti").count() > 0


def test_bad_row_share_writes_contract_breaking_rows(spark, tmp_path):
    s = SimulatorSettings.model_validate({**OVERRIDES, "accounts": 600, "days": 4, "bad_row_share": 0.2})
    w = World(spark, s)
    from creator_governance.simulator.behaviour import build_honest_orders

    out = str(tmp_path / "landing")
    counts = write_entity(w, "orders", build_honest_orders(w), out)
    assert sum(c["bad_rows"] for c in counts.values()) > 0
    typed = read_typed(spark, out, "orders")
    broken = typed.filter(F.col("order_id").isNull() | F.col("created_at").isNull() | F.col("buyer_id").isNull()
                          | F.col("amount").isNull() | (F.col("amount") < 0) | ~F.col("status").isin(
                              "completed", "refunded", "cancelled") | F.col("status").isNull())
    assert broken.count() > 0.05 * typed.count()
    lines = [line for f in glob.glob(f"{out}/orders/**/*.jsonl", recursive=True) for line in open(f)]
    unparseable = 0
    for line in lines:
        try:
            unparseable += not isinstance(json.loads(line), dict)
        except json.JSONDecodeError:
            unparseable += 1
    assert unparseable > 0


def test_experiment_assignments_split_enrolled_accounts_created_before_its_day(data, landing):
    assignments = data["assignments"]
    distinct_rows = assignments.select("unit_id", "experiment", "variant", "assigned_at").distinct().count()
    units = assignments.dropDuplicates(["experiment", "unit_id"])
    assert distinct_rows > 0 and units.count() == distinct_rows  # re-deliveries are exact duplicates only
    assert {r.experiment for r in units.select("experiment").distinct().collect()} == {"review_nudge"}
    assert {r.day_folder for r in assignments.select("day_folder").distinct().collect()} == {EXPERIMENT_DAY}
    assert units.filter(F.to_date("assigned_at") != F.lit(EXPERIMENT_DAY)).count() == 0
    split = {r.variant: r["count"] for r in units.groupBy("variant").count().collect()}
    assert set(split) == {"control", "treatment"}
    assert 0.42 < split["treatment"] / sum(split.values()) < 0.58  # treatment_share 0.5
    accounts = data["accounts"].dropDuplicates(["account_id"])
    created = units.join(accounts.select(F.col("account_id").alias("unit_id"), "created_at"), on="unit_id",
                         how="left")
    assert created.filter(F.col("created_at").isNull() | (F.to_date("created_at") >= F.lit(EXPERIMENT_DAY))) \
        .count() == 0  # every unit is a known account registered before the day
    eligible = accounts.filter(F.to_date("created_at") < F.lit(EXPERIMENT_DAY)).count()
    assert 0.42 < units.count() / eligible < 0.58  # enrol_share 0.5
    truth = json.loads(open(f"{truth_location(landing)}/incidents.json").read())
    planted = next(i for i in truth if i["kind"] == "experiment")
    assert planted["name"] == "review_nudge" and planted["metric"] == "reports"
    assert planted["relative_effect"] == -0.3 and planted["day"] == EXPERIMENT_DAY
    assert planted["enrolled"] == units.count() and planted["treated"] == split["treatment"]


def test_experiment_effect_on_reports_matches_the_planted_ratio(spark):
    """Treated units are reported (1 + relative_effect) times as often as control units from the day on.

    A high honest report rate makes the ratio measurable on 2,000 accounts without writing anything."""
    from creator_governance.simulator import experiment
    from creator_governance.simulator.labels import build_reports

    s = SimulatorSettings.model_validate({**OVERRIDES, "days": 10, "labels": {"report_rates": {"normal": 0.5}},
                                          "experiment": {"day": 3, "relative_effect": -0.3}})
    w = World(spark, s)
    v, day = F.col("v"), F.col("day")
    arm = F.when(experiment.is_treated(w, v), "treatment").otherwise("control")
    honest_units = w.accounts_range().filter(experiment.is_enrolled(w, v) & ~w.pop.is_bad(v)) \
        .select("v", arm.alias("arm"))
    reports = build_reports(w).filter(day >= 3).join(honest_units, on="v", how="inner")
    per_arm = {r.arm: r["count"] for r in reports.groupBy("arm").count().collect()}
    units = {r.arm: r["count"] for r in honest_units.groupBy("arm").count().collect()}
    ratio = (per_arm["treatment"] / units["treatment"]) / (per_arm["control"] / units["control"])
    assert 0.62 < ratio < 0.78  # planted 0.7
    before = build_reports(w).filter(day < 3).join(honest_units, on="v", how="inner")
    pre = {r.arm: r["count"] for r in before.groupBy("arm").count().collect()}
    pre_ratio = (pre["treatment"] / units["treatment"]) / (pre["control"] / units["control"])
    assert 0.85 < pre_ratio < 1.15  # no effect before the day


def test_experiment_beyond_the_window_or_disabled_is_not_planted(spark):
    from creator_governance.simulator import experiment
    from creator_governance.simulator.engine import build_frames

    for override in ({"day": 12}, {"enabled": False}):
        s = SimulatorSettings.model_validate({**OVERRIDES, "experiment": override})
        assert not experiment.is_planted(s) and experiment.experiment_truth(s, 1, 1) == []
        w = World(spark, s)
        assert str(experiment.report_multiplier(w, F.col("v"), F.col("day"))) == str(F.lit(1.0))
    frames, reports = build_frames(World(spark, s))
    reports.unpersist()
    assert "assignments" not in frames
    with pytest.raises(ValueError):
        SimulatorSettings.model_validate({"experiment": {"relative_effect": -1.0}})
    with pytest.raises(ValueError):
        SimulatorSettings.model_validate({"experiment": {"enrol_shares": 0.5}})
