"""The readable experiment report (markdown): header, verdict, one table of metrics × variants."""

from __future__ import annotations

import math

import pandas as pd


def _num(value, fmt: str = "{:.4g}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return fmt.format(value)


def _pct(value) -> str:
    return _num(value, "{:+.2%}")


def experiment_report(results: pd.DataFrame, *, header: dict, verdict: str, notes: list[str] | None = None) -> str:
    """Markdown: the run's facts, the verdict, then per metric and variant units, mean, lifts with their
    intervals, p-values, CUPED's variance reduction and the guardrail status."""
    title = header.get("experiment", "experiment")
    lines = [f"# Experiment `{title}`", ""]
    lines += [f"- **{k}**: {v}" for k, v in header.items() if k != "experiment"]
    lines += ["", f"**Verdict**: {verdict}", ""]
    lines += ["| metric | variant | units | mean | abs lift [CI] | rel lift [CI] | p | p adj | CUPED var. red. | "
              "guardrail |", "| --- | --- | ---: | ---: | --- | --- | ---: | ---: | ---: | --- |"]
    for r in results.to_dict("records"):
        abs_ci = f"{_num(r.get('abs_lift'))} [{_num(r.get('abs_lift_lo'))}, {_num(r.get('abs_lift_hi'))}]" \
            if _num(r.get("abs_lift")) else "(control)"
        rel_ci = f"{_pct(r.get('rel_lift'))} [{_pct(r.get('rel_lift_lo'))}, {_pct(r.get('rel_lift_hi'))}]" \
            if _num(r.get("rel_lift")) else ""
        reduction = _num(r.get("variance_reduction"), "{:.1%}") if r.get("cuped") else "off"
        lines.append(f"| {r['metric']} | {r['variant']} | {r['units']} | {_num(r.get('mean'))} | {abs_ci} | {rel_ci} "
                     f"| {_num(r.get('p_value'), '{:.3g}')} | {_num(r.get('p_adjusted'), '{:.3g}')} | {reduction} "
                     f"| {r.get('guardrail_status') or ''} |")
    if notes:
        lines += ["", "Notes:", *[f"- {n}" for n in notes]]
    return "\n".join(lines)
