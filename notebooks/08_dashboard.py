# Databricks notebook source
# MAGIC %md
# MAGIC # The daily HTML dashboard
# MAGIC A launcher: the widgets, then one call into the `dashboard` job of `jobs.registry` (the same entry point as `govern` and spark-submit).

# COMMAND ----------

dbutils.widgets.text("ds", "", "Day to process (YYYY-MM-DD, yesterday, today-N)")
dbutils.widgets.text("env", "cluster", "Config environment (conf/<env>)")
dbutils.widgets.text("conf", "", "Config overlay YAML (optional)")
dbutils.widgets.text("lakehouse", "", "Lakehouse root (optional; overrides config)")

# COMMAND ----------

from creator_governance.jobs import notebook

notebook.launch("dashboard", dbutils, widgets=("ds", "env", "conf", "lakehouse"))

# COMMAND ----------

# displayHTML and dbutils are notebook globals
displayHTML(notebook.dashboard_html(dbutils, widgets=("ds", "env", "conf", "lakehouse")))  # noqa: F821
