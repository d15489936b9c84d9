"""Settings of the violation model, scoring, anomaly detection and syndicates (conf/base/model.yaml)."""

from typing import Literal

from pydantic import Field, model_validator

from creator_governance.settings._base import Section


class LabelSettings(Section):
    """How (account_id, ds) training rows get their label and weight."""

    horizon_days: int = Field(14, ge=1, le=90)
    unreviewed_weight: float | None = Field(0.05, ge=0.0, le=1.0)
    exclude_prior_violators: bool = False
    stride_days: int = Field(7, ge=1)
    co_member_weight: float | None = Field(0.5, ge=0.0, le=1.0)


class TrainingSettings(Section):
    """`govern train`: window, split, estimator and approval."""

    window_days: int = Field(56, ge=1)
    validation_days: int = Field(14, ge=1)
    disjoint_accounts: bool = False
    validation_account_share: float = Field(0.3, gt=0.0, lt=1.0)
    features: tuple[str, ...] = ()
    exclude_features: tuple[str, ...] = ()
    num_workers: int = Field(2, ge=1)
    trainer: Literal["auto", "spark", "local"] = "auto"
    local_max_rows: int = Field(250_000, ge=0)
    n_estimators: int = Field(300, ge=1)
    max_depth: int = Field(6, ge=1, le=16)
    learning_rate: float = Field(0.1, gt=0.0, le=1.0)
    subsample: float = Field(0.9, gt=0.0, le=1.0)
    colsample_bytree: float = Field(0.9, gt=0.0, le=1.0)
    min_child_weight: float = Field(1.0, ge=0.0)
    early_stopping_rounds: int = Field(20, ge=1)
    scale_pos_weight: float | Literal["auto"] = "auto"
    max_scale_pos_weight: float = Field(50.0, ge=1.0)
    seed: int = 7
    top_k_shares: tuple[float, ...] = (0.001, 0.01, 0.05)
    thresholds: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7, 0.9)
    calibration_bins: int = Field(10, ge=2, le=100)
    auto_approve: bool = True
    min_pr_auc: float = Field(0.0, ge=0.0, le=1.0)
    mlflow_tracking_uri: str | None = None
    mlflow_experiment: str = "creator-governance"
    mlflow_registered_model: str | None = None
    mlflow_alias: str = Field("champion", pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$")
    min_train_positives: int = Field(1, ge=1)
    min_validation_positives: int = Field(1, ge=1)
    materialise_missing_features: bool = True


class ScoringSettings(Section):
    """`govern score`: risk tiers and reason codes."""

    tiers: dict[str, float] = Field(default_factory=lambda: {"medium": 0.2, "high": 0.5, "critical": 0.8})
    reason_count: int = Field(3, ge=1, le=10)
    exact_reasons_min_score: float | None = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _tiers_are_probabilities(self):
        bad = [k for k, v in self.tiers.items() if not 0.0 < v <= 1.0]
        if bad or "low" in self.tiers:
            raise ValueError(f"tiers: {bad or 'low'}: each tier above low needs a threshold in (0, 1]")
        return self


class AnomalySettings(Section):
    """The unsupervised anomaly score of each account."""

    method: Literal["isolation_forest", "peer_deviation"] = "peer_deviation"
    sample_rows: int = Field(50_000, ge=100)
    n_trees: int = Field(100, ge=10)
    max_samples: int = Field(256, ge=16)
    peer_columns: tuple[str, ...] = ("is_seller", "is_new_account")
    peer_sample_rows: int = Field(50_000, ge=1_000)
    seed: int = 11


class SyndicateSettings(Section):
    """Syndicates: linked groups (graph components, lockstep groups) split by behaviour clusters."""

    min_size: int = Field(3, ge=2)
    behaviour_clusters: int = Field(12, ge=2)
    sample_rows: int = Field(50_000, ge=100)
    min_member_share: float = Field(0.2, ge=0.0, le=1.0)
    order_link_min_orders: int | None = Field(3, ge=1)
    order_link_days: int = Field(28, ge=1)
    enforce_min_score: float = Field(0.5, ge=0.0, le=1.0)
    review_min_score: float = Field(0.2, ge=0.0, le=1.0)
    seed: int = 13


class QueueSettings(Section):
    """`govern queue`: one review queue (risk_queue) from every signal (models/queue/priority.py)."""

    anomaly_bins: int = Field(20, ge=2)
    prior_strength: float = Field(5.0, gt=0.0)
    min_shared_items: int = Field(2, ge=1)
    hit_days: int = Field(7, ge=1)
    hit_horizon_days: int = Field(14, ge=1)
    audience_days: int = Field(14, ge=1)
    audience_min_engagements: int = Field(20, ge=1)
    audience_min_share: float = Field(0.5, gt=0.0, le=1.0)
    calibrate: bool = False
    calibration_days: int = Field(28, ge=1)
    calibration_horizon_days: int = Field(7, ge=1)
    calibration_bins: int = Field(10, ge=2)
    calibration_min_sampled: int = Field(200, ge=1)
    actions: dict[str, float] = Field(default_factory=lambda: {"enforce": 0.9, "review": 0.5, "monitor": 0.0})


class ModelSettings(Section):
    """Settings of the violation model, scoring, anomaly detection, syndicates and the review queue."""

    labels: LabelSettings = Field(default_factory=LabelSettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    anomaly: AnomalySettings = Field(default_factory=AnomalySettings)
    syndicates: SyndicateSettings = Field(default_factory=SyndicateSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
