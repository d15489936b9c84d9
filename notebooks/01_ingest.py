# Databricks notebook source
# MAGIC %md
# MAGIC # Ingest new landing-zone files into bronze Delta tables
# MAGIC A launcher: the widgets, then one call into the `ingest` job of `jobs.registry` (the same entry point as `govern` and spark-submit).

# COMMAND ----------

dbutils.widgets.text("landing", "", "Landing zone folder")
dbutils.widgets.text("env", "cluster", "Config environment (conf/<env>)")
dbutils.widgets.text("conf", "", "Config overlay YAML (optional)")
dbutils.widgets.text("lakehouse", "", "Lakehouse root (optional; overrides config)")

# COMMAND ----------

from creator_governance.jobs import notebook

notebook.launch("ingest", dbutils, widgets=("landing", "env", "conf", "lakehouse"))
