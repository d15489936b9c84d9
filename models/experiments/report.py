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


def experiment_report(results: pd.DataFrame, *, header: dict, verdict: str, notes: list[str] | None = None,
                      alpha: float = 0.05) -> str:
    """Markdown: the run's facts, the verdict, then per metric and variant units, the raw mean and (with CUPED)
    the adjusted mean the lift compares, lifts with their intervals, p-values, the smallest change the test
    could detect, CUPED's variance reduction and the guardrail status; then what the figures mean, and a power
    line for each metric whose effect is not significant."""
    title = header.get("experiment", "experiment")
    lines = [f"# Experiment `{title}`", ""]
    lines += [f"- **{k}**: {v}" for k, v in header.items() if k != "experiment"]
    lines += ["", f"**Verdict**: {verdict}", ""]
    cuped = bool(results.get("cuped", pd.Series(dtype=bool)).fillna(False).astype(bool).any())
    lines += ["| metric | variant | units | raw mean | " + ("CUPED-adjusted mean | " if cuped else "")
              + "abs lift [CI] | rel lift [CI] | p | p adj | detectable (80% power) | CUPED var. red. | guardrail |",
              "| --- | --- | ---: | ---: | " + ("---: | " if cuped else "")
              + "--- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in results.to_dict("records"):
        abs_ci = f"{_num(r.get('abs_lift'))} [{_num(r.get('abs_lift_lo'))}, {_num(r.get('abs_lift_hi'))}]" \
            if _num(r.get("abs_lift")) else "(control)"
        rel_ci = f"{_pct(r.get('rel_lift'))} [{_pct(r.get('rel_lift_lo'))}, {_pct(r.get('rel_lift_hi'))}]" \
            if _num(r.get("rel_lift")) else ""
        reduction = _num(r.get("variance_reduction"), "{:.1%}") if r.get("cuped") else "off"
        adjusted = (f"{_num(r.get('adjusted_mean'))} | " if r.get("cuped") else " | ") if cuped else ""
        detectable = _num(r.get("detectable_rel_lift"), "±{:.1%}")
        lines.append(f"| {r['metric']} | {r['variant']} | {r['units']} | {_num(r.get('mean'))} | {adjusted}{abs_ci} "
                     f"| {rel_ci} | {_num(r.get('p_value'), '{:.3g}')} | {_num(r.get('p_adjusted'), '{:.3g}')} "
                     f"| {detectable} | {reduction} | {r.get('guardrail_status') or ''} |")
    lines += ["", "Reading the table:",
              "- raw mean: the per-unit mean of each arm. " + (
                  "CUPED-adjusted mean: the same after removing what the pre-period explains; **the lifts, "
                  "intervals and p-values compare the adjusted means** (abs lift = adjusted treatment − adjusted "
                  "control)." if cuped else "The lifts compare the raw means."),
              "- rel lift: treatment / control − 1 with Fieller's interval from the same test as the absolute "
              "one, so both include 0 or neither does.",
              "- detectable: the smallest relative change this test finds with 80% probability at this sample "
              "size and noise (two-sided, alpha " + _num(alpha, "{:g}") + ")."]
    power = [r for r in results.to_dict("records") if _num(r.get("detectable_rel_lift"))
             and not (r.get("p_adjusted") is not None and r.get("p_adjusted") < alpha)]
    lines += [f"- {r['metric']} ({r['variant']}): not significant; this experiment is too small to detect a change "
              f"below {_num(r['detectable_rel_lift'], '±{:.0%}')} (observed {_pct(r.get('rel_lift'))})"
              for r in power]
    if notes:
        lines += ["", "Notes:", *[f"- {n}" for n in notes]]
    return "\n".join(lines)
