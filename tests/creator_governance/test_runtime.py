"""The runtime's naming of Spark work: each step's jobs carry its group and description in the Spark UI."""

from __future__ import annotations

from creator_governance.runtime import is_connect, spark_work


def test_the_work_of_a_step_is_named_and_the_labels_restored(spark):
    sc = spark.sparkContext
    assert not is_connect(spark)
    sc.setJobGroup("outer", "the caller's own group")
    with spark_work(spark, "govern score", "govern score ds=2026-01-05"):
        assert sc.getLocalProperty("spark.job.description") == "govern score ds=2026-01-05"
        spark.range(10).count()
    assert sc.statusTracker().getJobIdsForGroup("govern score")  # the action ran in the step's group
    assert sc.getLocalProperty("spark.jobGroup.id") == "outer"
    assert sc.getLocalProperty("spark.job.description") == "the caller's own group"
    sc.setLocalProperty("spark.jobGroup.id", None)
    sc.setLocalProperty("spark.job.description", None)
