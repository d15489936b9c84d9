"""The table catalog: every table the platform writes, declared once — its meaning, grain (the key columns: one
row per value), partition, columns with their types and one-line meanings, the job that writes it and the doc that
explains it.

Who uses it:
- the table layer (`creator_governance.tables`): a write to a catalogued table must carry exactly its columns and
  types (an open table — the feature tables — at least its listed ones), a new table is partitioned as declared,
  `upsert` merges on the grain, `read_or_empty` gives the declared schema, and the comments and description go into
  the Delta table itself;
- the jobs and models that build a table's rows from nothing (`schema(name)`, `ddl(name)`);
- docs/tables.md, whose catalog section is generated from it (`scripts/gen_table_docs.py`, checked by a test).

A pure leaf like `contract.py` (features/ and models/ may import it); the bronze tables are derived from the input
contract, not declared again.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import types as T

from creator_governance.contract import LANDING_ENTITIES, OPTIONAL_ENTITIES, Entity


@dataclass(frozen=True)
class Column:
    """One column: name, Spark SQL type (DDL, e.g. `array<string>`) and its meaning in one line."""

    name: str
    type: str
    comment: str


@dataclass(frozen=True)
class Table:
    """One table of the lakehouse."""

    name: str
    description: str
    grain: tuple[str, ...]  # the key columns: at most one row per combination
    partition_by: tuple[str, ...]
    written_by: str  # the command that writes it
    doc: str  # docs/ page (and anchor) with the long form
    columns: tuple[Column, ...]
    open_columns: str | None = None  # columns beyond the listed ones are allowed: what they are, where documented
    change_data_feed: bool = False  # consumers follow it change by change (delta.enableChangeDataFeed)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def ddl(self) -> str:
        """The listed columns as a Spark DDL schema string (`a string, b double`)."""
        return ", ".join(f"{c.name} {c.type}" for c in self.columns)


def _columns(text: str) -> tuple[Column, ...]:
    """`name type | comment` lines."""
    out = []
    for line in text.strip().splitlines():
        left, _, comment = line.strip().partition(" | ")
        name, column_type = left.split()
        out.append(Column(name, column_type, comment.strip()))
    return tuple(out)


def _table(name: str, description: str, *, grain: tuple[str, ...], partition_by: tuple[str, ...], written_by: str,
           doc: str, columns: str, open_columns: str | None = None, change_data_feed: bool = False) -> Table:
    return Table(name, description, grain, partition_by, written_by, doc, _columns(columns), open_columns,
                 change_data_feed)


def _rule(column) -> str:
    """A contract column's rule in words."""
    parts = ["required" if column.required else "optional"]
    if column.allowed:
        parts.append("one of " + ", ".join(column.allowed))
    if column.minimum is not None or column.maximum is not None:
        parts.append(f"in [{column.minimum if column.minimum is not None else '-inf'}, "
                     f"{column.maximum if column.maximum is not None else 'inf'}]")
    if column.pattern:
        parts.append(f"matches {column.pattern}")
    if column.default is not None:
        parts.append(f"default {str(column.default).lower()}")
    if column.default_from:
        parts.append(f"default: {column.default_from}")
    return "; ".join(parts)


def _bronze(entity: Entity) -> Table:
    """A landing entity's bronze table: the contract's columns, ds and the landed file's checksum."""
    extension = " (a contract extension: docs/contract-extensions.md)" if entity.name in OPTIONAL_ENTITIES else ""
    columns = [Column(c.name, c.type, f"contract column, {_rule(c)}") for c in entity.columns]
    where = ", the partition" if entity.partitioned_by_ds else " (a column: the table is not partitioned)"
    columns.append(Column("ds", "date", f"UTC date of {entity.ds_from}{where}"))
    columns.append(Column("_source_sha256", "string", "sha256 of the landed file the row was accepted from"))
    return Table(entity.name, f"Accepted {entity.name} records of the landing zone, one row per "
                 f"{', '.join(entity.keys)} (the latest delivery wins){extension}", entity.keys,
                 ("ds",) if entity.partitioned_by_ds else (), "govern ingest",
                 "contract-extensions.md" if entity.name in OPTIONAL_ENTITIES else "ingestion.md", tuple(columns))


_DERIVED = (
    _table('alerts', 'Metric anomalies by day and slice, with their incidents and root causes',
          grain=('ds', 'metric', 'dimension', 'dimension_value'), partition_by=('ds',), written_by="govern monitor",
          doc="monitoring.md#alerts-columns", change_data_feed=True, columns="""
        ds date | the day of the observation, the partition
        metric string | the governance metric (governance_metrics.metric)
        dimension string | the slicing dimension, all for the metric's total
        dimension_value string | the slice's value, all for the total
        observed double | the day's value of the metric in the slice
        expected double | the forecast of the day's value
        lower double | lower end of the predictive band
        upper double | upper end of the predictive band
        score double | normal-equivalent z of the observation under the series' noise model
        severity string | low / medium / high
        direction string | the move: up or down
        is_bad boolean | whether the move goes against the metric's direction of good
        status string | new on an incident's first row, continuing after, resolved when back in the band
        incident_id string | metric|dimension=value|first day of the incident's leading series
        incident_start date | the incident's first day
        resolved_on date | the day the row's series resolved (resolved rows)
        root_cause string | JSON list of causes, each a conjunction d1=v1&d2=v2, best first
        top_cause string | the first cause of root_cause
        cause_kind string | intervention, outside_factor or unknown
        explanation string | the headline and the reasoning in words
    """),
    _table('content_features', 'Features of each content item on each day it was active: what content strategies test',
          grain=('content_id', 'ds'), partition_by=('ds',), written_by="govern features",
          doc="features.md#content_features", columns="""
        content_id string | the item; a row when it was created, engaged with or reported in the 7 days ending on ds
        ds date | the day the features describe (UTC), the partition; every window ends on it
    """, open_columns="every other column is a feature of the item: docs/features.md (from features/catalog.py)"),
    _table('creator_credit', 'Creator and merchant credit score of every account and day, with its points',
          grain=('account_id', 'ds'), partition_by=('ds',), written_by="govern credit (run first by govern strategies)",
          doc="credit.md", columns="""
        account_id string | the account rated (every creator_features row of the day)
        ds date | the day rated (UTC), the partition; decisions after it never count
        category string | the account's category (accounts), unknown when none: the peers of the benchmarks
        is_merchant boolean | sold >= strategies.credit.min_orders (5) orders in the last 28 days: commerce points apply
        credit_score int | 0..1000: base 700 plus the points below, rounded; null when unrated (below min_volume)
        credit_tier string | excellent >= 850, good >= 700, fair >= 550, at_risk >= 400, critical; unrated when null
        violation_points double | <= 0: policy points per violation decision, fading linearly over lookback_days (90)
        review_points double | 0..45: +15 per review that cleared the account, fading like violations
        report_points double | -60..0: -3 per report received in 28 days above the category median
        quality_points double | -90..90: 300 x (28-day mean quality - category median); 0 without quality
        commerce_points double | -150..0: refund and cancel rates above the category median (merchants); else 0
        tenure_points double | 0..60, linear in account age up to 365 days
        volume_points double | 0..40, log scale of posts + orders sold in 28 days (full at 100)
        weighted_violations double | violation decisions of the lookback, each weighted 1 - age / lookback_days
        activity_28d bigint | posts + orders sold in the last 28 days (at least min_volume, 3, to be rated)
    """),
    _table('creator_features', 'Features of every account on every day it existed: the input of models and strategies',
          grain=('account_id', 'ds'), partition_by=('ds',), written_by="govern features",
          doc="features.md#creator_features", columns="""
        account_id string | the account; a row for every account created on or before ds
        ds date | the day the features describe (UTC), the partition; every window ends on it
    """, open_columns="every other column is a feature of the account: docs/features.md (from features/catalog.py)"),
    _table('creator_scores', 'Daily violation score of every account, with reasons, anomaly score and syndicate',
          grain=('account_id', 'ds'), partition_by=('ds',), written_by="govern score",
          doc="models.md#scoring-govern-score---ds-d-modelsscoringscorepy", change_data_feed=True, columns="""
        account_id string | the account scored
        ds date | the day scored (UTC), the partition
        score double | calibrated probability of a violation decision within the label horizon, 0..1
        model_version string | the model_registry version that scored the row
        risk_tier string | low / medium / high / critical from score (model.scoring.tiers)
        reason_codes array<string> | the features contributing most to the score
        reasons array<string> | the same reasons in plain words, with the account's values
        anomaly_score double | unsupervised anomaly score of the account's behaviour, 0..1
        syndicate_id string | the account's syndicate that day (S-<smallest member id>), null when none
        syndicate_links array<string> | the member's own ties to its ring: device, ip, fingerprint, orders, lockstep
    """),
    _table('data_quality', 'Data-quality metrics of each ingest run and entity: null rates, reference gaps, late rows',
          grain=('run_id', 'entity', 'metric', 'column_name'), partition_by=(), written_by="govern ingest",
          doc="ingestion.md#tables", columns="""
        run_id string | the ingest run (ingest_log.run_id); rows of runs the log never committed are dropped
        entity string | the landing entity measured, over the rows the run accepted as winners
        metric string | rows_accepted, null_rate (per optional column), referential_gap or late_events
        column_name string | the column measured (late_events: the ds_from column); null for rows_accepted
        reference string | referential_gap: the referenced entity.key, e.g. content.content_id; null otherwise
        numerator bigint | the count: rows accepted, null values, references without a key, late rows
        denominator bigint | the base: rows accepted (referential_gap: rows with a non-null reference)
        value double | numerator / denominator, null when the denominator is 0
        computed_at timestamp | the run's time (UTC)
    """),
    _table('experiment_results', 'A/B and difference-in-differences analyses: one row per window, metric and variant',
          grain=('experiment', 'analysis_ds_from', 'ds_to', 'metric', 'variant'), partition_by=(),
          written_by="govern experiment", doc="experiments.md#table-experiment_results", columns="""
        experiment string | the --experiment analysed (A/B: its assignments.experiment; did: the launch's name)
        analysis_ds_from date | first day of the analysed window; a re-run of the same window replaces its rows
        ds_to date | last day of the analysed window
        analysis string | ab or did
        metric string | violations, reports, content_quality, gmv, retention or false_positives
        variant string | a variant (the control has its own row); did: the treated slice values, comma-separated
        units bigint | units measured in the variant (did: accounts of the treated slices)
        mean double | the variant's raw mean (did: the treated post-period mean)
        control_mean double | the control's raw mean (did: the counterfactual post-period mean)
        abs_lift double | difference of means (of the CUPED-adjusted means with CUPED); null on the control row
        abs_lift_lo double | lower end of abs_lift's 1 - alpha interval
        abs_lift_hi double | upper end of abs_lift's 1 - alpha interval
        rel_lift double | relative lift: the variant's mean / the control's - 1 (adjusted with CUPED); null on control
        rel_lift_lo double | lower end of rel_lift's Fieller interval; null when unbounded
        rel_lift_hi double | upper end of rel_lift's Fieller interval; null when unbounded
        p_value double | two-sided p-value of the lift; null on the control row
        p_adjusted double | p_value adjusted over every metric x variant test of the run (Holm or BH)
        cuped boolean | whether CUPED (the pre-period value as covariate) was applied
        variance_reduction double | CUPED's variance reduction, 1 - SE'^2 / SE^2; null for did
        srm_p double | p-value of the sample-ratio test of the run; null for did
        srm_flag boolean | srm_p below srm.threshold: the split is off and the lifts cannot be trusted
        guardrail_status string | pass, warn or fail on guardrail metrics; null otherwise
        method string | welch, bootstrap, did-days or did-slices
        pretrend_p double | did: p-value of the pre-period trend of treated - controls; null for ab
        pretrend_flag boolean | did: pretrend_p below did.pretrend_alpha (parallel trends doubtful); null for ab
        run_at timestamp | when the run wrote the rows (UTC)
        adjusted_mean double | the variant's CUPED-adjusted mean (the raw mean without CUPED); null for did
        adjusted_control_mean double | the control's CUPED-adjusted mean; abs_lift = adjusted_mean - this; null for did
        detectable_rel_lift double | smallest relative change detected with 80% power; null on the control row and did
    """),
    _table('governance_events', 'Strategy launches, changes, retirements and enforcement jumps per day: alert causes',
          grain=('ds', 'event_id'), partition_by=('ds',), written_by="govern strategies", doc="strategies.md#tables",
          change_data_feed=True, columns="""
        ds date | the day of the event, the partition; a re-run of the day replaces its events
        event_id string | 16 hex digits of sha256(ds|kind|strategy_id|version); jumps: jump-<strategy_id>-<ds>
        kind string | strategy_launch, strategy_change, strategy_retire or enforcement_jump
        strategy_id string | the strategy concerned
        version int | the strategy's version after the event
        status string | the strategy's status after the event: active, shadow or retired
        previous_version int | its version in the previous snapshot; null for a first launch and for jumps
        previous_status string | its status in the previous snapshot; null for a first launch and for jumps
        description string | in words: launched in shadow, retired, what changed (version 1 -> 2), hits vs trailing mean
        target_type string | the strategy's target: account or content
        action string | the strategy's action: label, limit, review or ban
        scope string | <target> strategy, action <action>, when <condition>
    """),
    _table('governance_metrics', 'Governance metrics per day, in total and per slice of each dimension',
          grain=('ds', 'metric', 'dimension', 'dimension_value'), partition_by=('ds',), written_by="govern metrics",
          doc="metrics.md", columns="""
        ds date | the day measured (UTC), the partition
        metric string | a metrics.definitions name (conf/base/metrics.yaml) or the EHI, ecosystem_health_index
        dimension string | the slicing dimension (country, category, age_bucket, is_seller, risk_tier, ...); all: total
        dimension_value string | the slice's value (unknown when missing); all for the total
        value double | count: the count; ratio: numerator / denominator, null when that is 0; psi: the PSI; EHI: 0..100
        numerator double | summed over the slice's rows (count: the count; psi: the PSI; EHI: sum of weight x score)
        denominator double | ratio: summed over the slice's rows; EHI: sum of weights; null for count and psi
        effective_denominator double | ratios: independent trials it is worth (one account = one unit); else null
    """),
    _table('ingest_log', 'One row per landing file an ingest run handled, with its row counts: what is ingested',
          grain=('run_id', 'source_file'), partition_by=(), written_by="govern ingest", doc="ingestion.md#tables",
          columns="""
        run_id string | the ingest run, YYYYmmddTHHMMSS-xxxxxxxx (UTC); its append is the run's commit point
        entity string | the entity folder the file came from
        source_file string | the file's path relative to the landing root, '/'-separated
        landing string | the landing root the run read
        format string | parquet, json or csv
        sha256 string | sha256 of the file's bytes: a file is ingested once per checksum
        size_bytes bigint | the file's size in bytes
        mtime_ns bigint | the file's modification time, nanoseconds since the epoch
        status string | ingested, unreadable or redelivered (same bytes as a file already ingested: not read)
        duplicate_of string | redelivered: the path first ingested with the same checksum; null otherwise
        rows_read bigint | lines or rows read (= rows_accepted + rows_quarantined + rows_duplicate); 0 if not read
        rows_accepted bigint | valid rows that were not exact duplicates
        rows_quarantined bigint | rows rejected to quarantine
        rows_duplicate bigint | valid rows equal to one delivered earlier (counted, not written)
        min_ds date | first ds of the file's accepted rows; null without any
        max_ds date | last ds of the file's accepted rows; null without any
        error string | unreadable: why; null otherwise
        ingested_at timestamp | the run's time (UTC)
    """),
    _table('metric_cube', 'Count and ratio metrics per day at their finest grain, one row per leaf: for root causes',
          grain=('ds', 'metric', 'leaf'), partition_by=('ds',), written_by="govern metrics",
          doc="monitoring.md#root-cause-over-combinations-of-dimensions", columns="""
        ds date | the day measured (UTC), the partition
        metric string | a count or ratio metric of governance_metrics
        leaf string | a value of every one of the metric's dimensions, d1=v1&d2=v2&..., in its dimension order
        numerator double | summed over the leaf's rows as in governance_metrics (a slice is a sum of leaves)
        denominator double | ratio metrics: summed over the leaf's rows; null for count metrics
    """),
    _table('metric_bands', 'Each metric total per day with its forecast and predictive band: the dashboard trends',
          grain=('ds', 'metric'), partition_by=('ds',), written_by="govern monitor",
          doc="monitoring.md#govern-monitor---ds-d-or-a-range", columns="""
        ds date | the day of the observation, the partition
        metric string | the governance metric (governance_metrics.metric), its total
        observed double | the day's value of the metric
        expected double | the forecast of the day's value; null while the series warms up
        lower double | lower end of the predictive band; null while the series warms up
        upper double | upper end of the predictive band; null while the series warms up
        score double | normal-equivalent z of the observation under the series' noise model
        is_anomaly boolean | whether the observation is outside the band (an alert on the total)
    """),
    _table('model_evaluation', 'Validation metrics of every trained model, one row per metric and cut',
          grain=('version', 'split', 'metric', 'threshold', 'top_share'), partition_by=(), written_by="govern train",
          doc="models.md#tables-written-by-govern-train", columns="""
        version string | the model (model_registry.version)
        created_at timestamp | when the model was trained (UTC)
        split string | the rows evaluated: validation (the last label dates)
        metric string | rows, positives, roc_auc, pr_auc, *_at_top, *_at_threshold, brier, calibration_*, ...
        value double | the metric's value; null when undefined (e.g. no positive or no flagged row)
        threshold double | the score cut: top share's quantile, the fixed threshold or a bin's lower edge; else null
        top_share double | *_at_top: the share of rows taken by score; null otherwise
    """),
    _table('model_registry', 'One row per trained violation model: its window, features, metrics, status and files',
          grain=('version',), partition_by=(), written_by="govern train",
          doc="models.md#tables-written-by-govern-train", columns="""
        version string | xgb-<as_of yyyymmdd>-<hhmmss of training>
        created_at timestamp | when it was trained (UTC); govern score takes the newest approved
        as_of date | the training date: decisions after it never read
        train_from date | first label date
        train_to date | last label date
        horizon_days int | label horizon: a violation decision within this many days after ds is a positive
        features array<string> | the model's feature columns (creator_features), in order
        metrics_json string | JSON of the validation headline: roc_auc, pr_auc, precision_at_1pct, brier, rows, ...
        params_json string | JSON of the booster parameters, num_workers, trainer and best_iteration
        status string | approved (auto_approve and PR-AUC >= min_pr_auc) or candidate
        path string | the model's folder as saved, <tables.files>/_models/<version>; score tries this lakehouse's first
        mlflow_run_id string | the MLflow run it was logged as; null without MLflow
        mlflow_model_version string | its MLflow registered model version; null unless registered
    """),
    _table('pipeline_runs', 'One row per pipeline step, run and day: status, time, rows; what govern run resumes from',
          grain=('run_id', 'step', 'ds'), partition_by=('ds',), written_by="govern run",
          doc="pipeline.md#pipeline_runs", columns="""
        run_id string | one invocation (govern run, or a step started alone), YYYYmmddTHHMMSS-xxxxxx (UTC)
        step string | the step's job name (jobs/registry.py): ingest, features, train, score, ...; and backtest
        status string | success, failed or skipped
        started_at timestamp | when the step started (UTC)
        duration_s double | the step's seconds (a ranged step repeats them on each day); 0 on skips
        rows bigint | rows the step reports writing, over its whole range; 0 on skips and failures
        error string | the failure's first line, or why the step was skipped; null otherwise
        ds date | the day the step ran for, the partition (ingest alone and backtest: the UTC date they ran)
        summary string | the summary the step returned, as JSON; null on skips, failures and rows before 2026-12-04
    """),
    _table('review_sample', 'Accounts drawn each day for review, stratified by score band x flagging strategy',
          grain=('ds', 'account_id'), partition_by=('ds',), written_by="govern strategies", doc="strategies.md#tables",
          columns="""
        ds date | the day sampled, the partition
        account_id string | the sampled account
        score double | its creator_scores.score that day; null without a score
        score_band string | [a,b) of sampling.score_band_edges (the top band [a,b]); no_score without a score
        flag_stratum string | the one strategy that hit it that day, multiple, or unflagged
        flagged_by array<string> | sorted ids of the strategies (active or shadow) that hit it that day; empty if none
        stratum_size bigint | accounts of the day in its stratum (score band x flag stratum)
        inclusion_prob double | its probability of being drawn, min(1, per_stratum / stratum_size); weight 1 / it
    """),
    _table('risk_queue', 'The daily review queue: accounts and syndicates by calibrated priority, with the evidence',
          grain=('ds', 'entity_kind', 'entity_id'), partition_by=('ds',), written_by="govern queue",
          doc="models.md#the-review-queue-govern-queue---ds-d-modelsqueueprioritypy--risk_queue", columns="""
        ds date | the day of the queue, the partition
        entity_kind string | account or syndicate
        entity_id string | the account id or the syndicate id
        priority double | review first the highest: the combined evidence (calibrated on review samples when enabled)
        rank int | 1 = review first, over accounts and syndicates together
        evidence string | every piece of evidence in plain words
        suggested_action string | enforce, review or monitor from the priority; review the ring together for syndicates
        model_probability double | the model's score
        anomaly_probability double | confirmed-violation rate of the account's anomaly-score bin
        ring_probability double | evidence of its syndicate (by its tie: behaviour; or weak: device, IP, one item)
        hit_probability double | best precision of the strategies that hit it recently
        syndicate_id string | the account's syndicate
        members array<string> | a syndicate row's members
        audience_probability double | evidence of an audience bought from syndicates
        combined_evidence double | noisy-OR of the signals before calibration
        calibrated boolean | whether the day's priority is calibrated on review samples
    """),
    _table('strategy_hits', 'One row per hit: a live strategy whose condition held for a target on a day',
          grain=('ds', 'strategy_id', 'target_id'), partition_by=('ds',), written_by="govern strategies",
          doc="strategies.md#tables", change_data_feed=True, columns="""
        ds date | the day evaluated, the partition
        strategy_id string | the strategy that fired (its id in the library)
        version int | the strategy's version that day
        status string | active (enforced) or shadow (evaluated, not enforced)
        target_type string | account or content
        target_id string | the account_id or content_id hit
        action string | the strategy's action: label, limit, review or ban
        severity int | the strategy's severity, 1..5
        fired_values map<string,string> | every column the condition references -> its value, as a string
    """),
    _table('strategy_registry', "The strategy library's state each day, one row per strategy: what events compare",
          grain=('ds', 'strategy_id'), partition_by=('ds',), written_by="govern strategies", doc="strategies.md#tables",
          columns="""
        ds date | the day of the snapshot, the partition
        strategy_id string | the strategy's id (a strategy dropped from the library stays, retired)
        version int | its version
        status string | active, shadow or retired
        target string | account or content
        action string | label, limit, review or ban
        severity int | 1..5
        condition string | the Spark SQL boolean condition
        owner string | the team that owns it
        description string | what it catches, in words
        source string | the library file it was read from
        definition_hash string | 16 hex digits of sha256 of version, status, target, condition, action, severity
        in_library boolean | false when the strategy is no longer in the library (then retired)
    """),
    _table('syndicates', 'Reported syndicates per day: rings of linked, alike accounts, with signals and action',
          grain=('ds', 'syndicate_id'), partition_by=('ds',), written_by="govern score",
          doc="models.md#syndicates-modelssyndicatesdiscoverpy", columns="""
        ds date | the day (UTC), the partition
        syndicate_id string | S-<smallest member account id>
        size int | member count (at least model.syndicates.min_size)
        members array<string> | the member account ids, sorted
        shared_signals array<string> | shared device/ip/fingerprint, repeat orders, lockstep, up to 3 high <feature>
        mean_score double | mean creator_scores.score of the members
        mean_anomaly_score double | mean anomaly_score of the members
        suggested_action string | enforce: ... (mean score >= enforce_min_score), else review: queue all members
    """),
    _table('quarantine', 'One row per rejected landing record (or unreadable file), with every rule it broke',
          grain=('source_sha256', 'line'), partition_by=(), written_by="govern ingest", doc="ingestion.md#tables",
          columns="""
        entity string | the landing entity
        source_file string | the file's path relative to the landing root
        line bigint | physical line (JSON Lines, CSV with its header) or 1-based Parquet row; 0 = the whole file
        raw_record string | the line as delivered, or the Parquet row as JSON; null for a whole unreadable file
        reasons array<string> | every broken rule as a message, e.g. amount: 'ten' is not a number
        run_id string | the ingest run that quarantined it (ingest_log.run_id)
        source_sha256 string | sha256 of the file (with line, the key: a re-run replaces its rows)
        quarantined_at timestamp | the run's time (UTC)
    """),
    _table('governance_lists', 'Append-only change log of the allow and deny lists: one row per value added or removed',
          grain=('change_id',), partition_by=(), written_by="govern strategies lists", doc="strategies.md#lists",
          columns="""
        change_id string | random id of the change (uuid4 hex); breaks ties of changed_at
        list_name string | the list (strategies.lists)
        list_kind string | what it lists: account, device, fingerprint or seller
        list_type string | allow or deny
        value string | the member value added or removed
        op string | add or remove; a value is a member while its latest change is an add
        changed_at timestamp | when the change was made (UTC); a day sees the lists as of its end
        changed_by string | who made it (--by, default cli)
        reason string | why (--reason; may be empty)
    """),
    _table('strategy_performance', 'Strategy backtests in long format: one row per run, strategy and metric',
          grain=('run_id', 'strategy_id', 'metric', 'threshold', 'hit_ds', 'other_strategy_id'), partition_by=(),
          written_by="govern strategies backtest", doc="strategies.md#backtest", columns="""
        run_id string | the backtest's run id (its pipeline_runs run_id); runs are appended, never replaced
        as_of timestamp | decisions known as of this UTC time were the labels
        ds_from date | first day replayed
        ds_to date | last day replayed
        decisions_version bigint | the Delta version of the decisions table read
        strategy_id string | the strategy replayed (its current definition)
        version int | the strategy's version replayed; null on ipw_* rows
        metric string | precision, recall, hit_targets, ...; overlap_*, daily_hits, sweep_*, threshold_for_*, ipw_*
        value double | the metric's value; null when undefined (e.g. nothing reviewed)
        threshold double | sweep_*: the swept column's threshold; threshold_for_precision_*: the one chosen; else null
        hit_ds date | daily_hits: the day; null otherwise
        other_strategy_id string | overlap_targets / overlap_share: the other strategy; null otherwise
    """),
)


TABLES: dict[str, Table] = {t.name: t for t in [*(_bronze(e) for e in LANDING_ENTITIES.values()), *_DERIVED]}


def table(name: str) -> Table | None:
    """The catalog's entry for `name` (None for a table it does not declare, e.g. a test's own)."""
    return TABLES.get(name)


def _declared(name: str) -> Table:
    found = TABLES.get(name)
    if found is None:
        raise KeyError(f"table '{name}' is not in the table catalog (creator_governance/catalog.py)")
    return found


def ddl(name: str) -> str:
    """The declared columns of `name` as a Spark DDL schema string."""
    return _declared(name).ddl()


_ATOMIC = {"string": T.StringType(), "double": T.DoubleType(), "int": T.IntegerType(), "bigint": T.LongType(),
           "boolean": T.BooleanType(), "date": T.DateType(), "timestamp": T.TimestampType()}


def data_type(text: str) -> T.DataType:
    """The Spark type of a catalog type string (the atomic types above, `array<t>`, `map<k,v>`), without a Spark
    session (pyspark's own parser needs one)."""
    text = text.strip()
    if text in _ATOMIC:
        return _ATOMIC[text]
    if text.startswith("array<") and text.endswith(">"):
        return T.ArrayType(data_type(text[len("array<"):-1]), True)
    if text.startswith("map<") and text.endswith(">"):
        inner, depth = text[len("map<"):-1], 0
        for i, char in enumerate(inner):
            depth += {"<": 1, ">": -1}.get(char, 0)
            if char == "," and depth == 0:
                return T.MapType(data_type(inner[:i]), data_type(inner[i + 1:]), True)
    raise ValueError(f"table catalog: unknown column type '{text}' (creator_governance/catalog.py)")


def schema(name: str) -> T.StructType:
    """The declared columns of `name` as a StructType (every column nullable, comments as field metadata)."""
    return T.StructType([T.StructField(c.name, data_type(c.type), True, {"comment": c.comment})
                         for c in _declared(name).columns])


def columns(name: str) -> tuple[str, ...]:
    """The declared column names of `name`, in order."""
    return tuple(c.name for c in _declared(name).columns)


BEGIN, END = "<!-- catalog:begin (generated by scripts/gen_table_docs.py) -->", "<!-- catalog:end -->"


def render_markdown() -> str:
    """The catalog section of docs/tables.md: a table of tables, then each table's columns."""

    def code(names) -> str:
        return ", ".join(f"`{n}`" for n in names) or "none"

    lines = ["| table | one row per | partition | written by | meaning |", "| --- | --- | --- | --- | --- |"]
    for t in TABLES.values():
        lines.append(f"| [`{t.name}`](#{t.name}) | {code(t.grain)} | {code(t.partition_by)} | `{t.written_by}` | "
                     f"{t.description.replace('|', '&#124;')} |")
    for t in TABLES.values():
        lines += ["", f"### {t.name}", "", t.description.rstrip(".") + ".", "",
                  f"One row per {code(t.grain)}; partitioned by {code(t.partition_by)}; written by `{t.written_by}`; "
                  f"more in [{t.doc}]({t.doc})."
                  + (" Change data feed on." if t.change_data_feed else ""), "",
                  "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.type} | {c.comment.replace('|', '&#124;')} |" for c in t.columns]
        if t.open_columns:
            lines += ["", f"Other columns: {t.open_columns.rstrip('.')}."]
    return "\n".join(lines) + "\n"
