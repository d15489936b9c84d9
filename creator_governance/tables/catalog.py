"""What the output tables mean, written into the tables themselves: each column's one-line comment goes into the
Delta schema's field metadata (`comment`) on every write, by both engines, so `DESCRIBE TABLE`, Unity Catalog
and the Delta log (read with `deltalake`) show it. The long form of each table is in docs/ (linked below).

Covered so far: the tables a governance team reads every morning (scores, alerts, the review queue); the other
tables are documented in docs/tables.md only. Each covered table's one-line description goes into the Delta
metadata (`description`), and the tables consumers follow change by change have Delta's change data feed
(`CHANGE_DATA_FEED`: `delta.enableChangeDataFeed`), on both engines.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

# table -> (description, {column: comment}); docs: models.md (creator_scores, risk_queue), monitoring.md (alerts).
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "creator_scores": ("Daily violation score of every account, with reasons, anomaly score and syndicate", {
        "account_id": "the account scored",
        "ds": "the day scored (UTC), the partition",
        "score": "calibrated probability of a violation decision within the label horizon, 0..1",
        "model_version": "the model_registry version that scored the row",
        "risk_tier": "low / medium / high / critical from score (model.scoring.tiers)",
        "reason_codes": "the features contributing most to the score",
        "reasons": "the same reasons in plain words, with the account's values",
        "anomaly_score": "unsupervised anomaly score of the account's behaviour, 0..1",
        "syndicate_id": "the account's syndicate that day (S-<smallest member id>), null when none",
        "syndicate_links": "the member's own ties to its syndicate: device, ip, fingerprint, orders, lockstep",
    }),
    "alerts": ("Metric anomalies by day and slice, with their incidents and root causes", {
        "ds": "the day of the observation, the partition",
        "metric": "the governance metric (governance_metrics.metric)",
        "dimension": "the slicing dimension, all for the metric's total",
        "dimension_value": "the slice's value, all for the total",
        "observed": "the day's value of the metric in the slice",
        "expected": "the forecast of the day's value",
        "lower": "lower end of the predictive band",
        "upper": "upper end of the predictive band",
        "score": "normal-equivalent z of the observation under the series' noise model",
        "severity": "low / medium / high",
        "direction": "the move: up or down",
        "is_bad": "whether the move goes against the metric's direction of good",
        "status": "new on an incident's first row, continuing after, resolved when back in the band",
        "incident_id": "metric|dimension=value|first day of the incident's leading series",
        "incident_start": "the incident's first day",
        "resolved_on": "the day the row's series resolved (resolved rows)",
        "root_cause": "JSON list of causes, each a conjunction d1=v1&d2=v2, best first",
        "top_cause": "the first cause of root_cause",
        "cause_kind": "intervention, outside_factor or unknown",
        "explanation": "the headline and the reasoning in words",
    }),
    "risk_queue": ("The daily review queue: accounts and syndicates by calibrated priority, with the evidence", {
        "ds": "the day of the queue, the partition",
        "entity_kind": "account or syndicate",
        "entity_id": "the account id or the syndicate id",
        "priority": "review first the highest: the combined evidence (calibrated on review samples when enabled)",
        "rank": "1 = review first, over accounts and syndicates together",
        "evidence": "every piece of evidence in plain words",
        "suggested_action": "enforce, review or monitor from the priority; review the ring together for syndicates",
        "model_probability": "the model's score",
        "anomaly_probability": "confirmed-violation rate of the account's anomaly-score bin",
        "ring_probability": "evidence of its syndicate (by its tie: behaviour or shared infrastructure)",
        "hit_probability": "best precision of the strategies that hit it recently",
        "syndicate_id": "the account's syndicate",
        "members": "a syndicate row's members",
        "audience_probability": "evidence of an audience bought from syndicates",
        "combined_evidence": "noisy-OR of the signals before calibration",
        "calibrated": "whether the day's priority is calibrated on review samples",
    }),
}


# Tables downstream consumers follow change by change (Delta change data feed: `table_changes`, `readChangeFeed`).
CHANGE_DATA_FEED = frozenset({"creator_scores", "alerts", "strategy_hits", "governance_events"})


def description(table: str) -> str | None:
    """The table's one-line description (None when the catalog does not cover it)."""
    return TABLES[table][0] if table in TABLES else None


def table_properties(table: str) -> dict[str, str]:
    """The Delta table properties the table must have."""
    return {"delta.enableChangeDataFeed": "true"} if table in CHANGE_DATA_FEED else {}


def comments(table: str) -> dict[str, str]:
    """column -> comment of `table` (empty when the catalog does not cover it)."""
    return TABLES.get(table, ("", {}))[1]


def with_comments(table: str, df: DataFrame) -> DataFrame:
    """`df` whose columns carry the catalog's comments as field metadata (other metadata kept)."""
    known = comments(table)
    if not known or not any(c in known for c in df.columns):
        return df
    metadata = {f.name: f.metadata for f in df.schema.fields}
    return df.select(*[F.col(c).alias(c, metadata={**metadata[c], "comment": known[c]}) if c in known else F.col(c)
                       for c in df.columns])
