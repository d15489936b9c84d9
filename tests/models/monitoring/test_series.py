"""The detector over every series with applyInPandas, suppression of an ongoing incident, alert rows."""

import datetime as dt
import json

import numpy as np

from models.monitoring.alerts import AlertParams, build_alerts
from models.monitoring.detector import DetectorParams
from models.monitoring.series import score_all

START = dt.date(2026, 1, 1)


def test_series_are_scored_in_parallel_and_an_ongoing_incident_is_suppressed(spark):
    rng = np.random.default_rng(0)
    rows = []
    for i in range(28):
        day = START + dt.timedelta(days=i)
        br = 50.0 + rng.normal(0, 2) + (200.0 if i in (25, 26) else 0.0)
        us = 100.0 + rng.normal(0, 3)
        rows += [(day, "reg", "country", "BR", br, br, None), (day, "reg", "country", "US", us, us, None),
                 (day, "reg", "all", "all", br + us, br + us, None)]
    metrics = spark.createDataFrame(rows, "ds date, metric string, dimension string, dimension_value string, "
                                          "value double, numerator double, denominator double")
    targets = [START + dt.timedelta(days=i) for i in (24, 25, 26)]
    scored = score_all(metrics, targets=targets, params=DetectorParams(), season=None,
                       kinds={"reg": "count"}).toPandas()
    assert len(scored) == 9
    br = scored[scored.dimension_value == "BR"].set_index("ds")
    assert list(br["status"]) == ["", "new", "suppressed"]
    alerts = build_alerts(scored, kinds={"reg": "count"}, good_direction={"reg": "up"}, events=[], calendar=[],
                          params=AlertParams())
    first = alerts[(alerts.ds == targets[1]) & (alerts.dimension == "all")].iloc[0]
    assert first.top_cause == "country=BR" and json.loads(first.root_cause)[0]["dimension_value"] == "BR"
    assert first.cause_kind == "unknown" and "reg overall went up" in first.explanation
