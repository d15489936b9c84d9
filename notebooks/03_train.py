# Databricks notebook source
# MAGIC %md
# MAGIC # Train the violation model when due (XGBoost)
# MAGIC A launcher: the widgets, then one call into the `train` job of `jobs.registry` (the same entry point as `govern` and spark-submit).

# COMMAND ----------

dbutils.widgets.text("ds", "", "Day to process (YYYY-MM-DD, yesterday, today-N)")
dbutils.widgets.text("env", "cluster", "Config environment (conf/<env>)")
dbutils.widgets.text("conf", "", "Config overlay YAML (optional)")
dbutils.widgets.text("lakehouse", "", "Lakehouse root (optional; overrides config)")

# COMMAND ----------

from creator_governance.jobs import notebook

notebook.launch("train", dbutils, widgets=("ds", "env", "conf", "lakehouse"))
