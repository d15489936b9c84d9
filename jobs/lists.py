"""`govern strategies lists add|remove|show`: the allow and deny lists. Every change is a row appended to
governance_lists (who, when, why); a day's strategies see the lists as of its end (docs/strategies.md)."""

from __future__ import annotations

import datetime as dt
import uuid

from pyspark.sql import functions as F

from creator_governance.jobargs import UsageError
from creator_governance.jobs.strategies import list_members
from creator_governance.models.strategies.lists import CHANGE_SCHEMA, build_list_changes
from creator_governance.runtime import JobContext


def change_list(ctx: JobContext, op: str, name: str, values: list[str], *, by: str, reason: str,
                at: dt.datetime) -> int:
    """Append one change row per value to governance_lists (the documented Python API for list changes)."""
    lists = ctx.cfg.strategies.lists
    if name not in lists:
        raise UsageError(f"unknown list '{name}' (known: {', '.join(sorted(lists)) or 'none'})")
    rows = build_list_changes([{"change_id": uuid.uuid4().hex, "list_name": name, "list_kind": lists[name].kind,
                                "list_type": lists[name].type, "value": v, "op": op, "changed_at": at,
                                "changed_by": by, "reason": reason} for v in values])
    ctx.tables.append("governance_lists", ctx.spark.createDataFrame(rows, CHANGE_SCHEMA), job="strategies lists")
    return len(rows)


def lists_main(ctx: JobContext, args) -> int:
    if args.op == "show":
        members = list_members(ctx, None)
        if args.name:
            members = members.filter(F.col("list_name") == args.name)
        members.orderBy("list_name", "value").show(200, truncate=False)
        return 0
    if not args.name or not args.values:
        raise UsageError(f"lists {args.op}: give a list name and at least one value")
    n = change_list(ctx, args.op, args.name, args.values, by=args.by, reason=args.reason,
                    at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    print(f"lists: {args.op} {n} value(s) on '{args.name}'")
    return 0
