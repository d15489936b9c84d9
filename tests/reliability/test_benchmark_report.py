"""benchmarks/growth.py's report: the fitted slopes, the model tables' medians, and a doc rewrite that keeps the
hand-written text around the generated sections."""

import pytest


@pytest.fixture(scope="module")
def growth(benchmark_script):
    return benchmark_script("growth")


def test_loglog_slope_is_the_exponent_of_a_power_law(growth):
    assert growth.loglog_slope([(1e6, 10.0), (4e6, 40.0), (16e6, 160.0)]) == pytest.approx(1.0)
    assert growth.loglog_slope([(1e6, 10.0), (4e6, 20.0)]) == pytest.approx(0.5)
    assert growth.loglog_slope([(1e6, 10.0)]) is None  # one size: no slope
    assert growth.loglog_slope([(1e6, 10.0), (1e6, 12.0)]) is None  # no spread in events


def _compare(run, dist_s, single_s):
    quality = {"roc_auc": 0.97, "pr_auc": 0.5 + run / 100, "precision_at_1pct": 0.8}
    return {"size": 20000, "kind": "model_compare", "run": run, "process_wall_s": 100 + run, "as_of": "2026-02-01",
            "train_rows": 50000, "validation_rows": 20000, "validation_positives": 700, "features": 78,
            "scale_pos_weight": 30.0, "num_workers": 2, "load1_mean": 2.0, "java_rss_peak_mb": 3000 + run,
            "distributed": {**quality, "seconds": dist_s, "trees": 10},
            "single_node": {**quality, "seconds": single_s, "trees": 12}}


def _throughput(run, seconds, exact_from=0.5):
    return {"size": 20000, "kind": "model_throughput", "run": run, "process_wall_s": 90.0, "rows": 1_000_000,
            "features": 78, "seconds": seconds, "accounts_per_min": round(1_000_000 / seconds * 60),
            "exact_min_score": exact_from, "exact_rows": 1000 + run, "cores": 2, "load1_mean": 2.0,
            "java_rss_peak_mb": 4000}


def test_model_tables_show_every_run_and_the_medians(growth):
    records = [_compare(1, 40.0, 4.0), _compare(2, 90.0, 2.0), _compare(3, 50.0, 5.0),
               _throughput(1, 60.0), _throughput(2, 50.0), _throughput(3, 80.0), _throughput(1, 100.0, exact_from=0)]
    text = growth.render_models(records, {"generated": "now", "command": "growth.py --models-only"})
    lines = text.splitlines()
    assert lines[0] == growth.MODELS_BEGIN and lines[-1] == growth.MODELS_END
    median_rows = [line for line in lines if "| **median** |" in line]
    assert len(median_rows) == 3  # fit, throughput at the default threshold, throughput with every row exact
    # Fit: median 50.0 s distributed, 4.0 s single node, so 12.5x; PR-AUC median of 0.51, 0.52, 0.53.
    assert median_rows[0].startswith("| 20,000 | **median** | **50.0** |") and "| **4.0** |" in median_rows[0]
    assert "**12.5x**" in median_rows[0] and "0.5200 / 0.5200" in median_rows[0]
    # Throughput: median 60 s for a million accounts = 1,000,000 accounts/min, 8,333 per second per core.
    assert "| 0.5 | **median** |" in median_rows[1] and "| **60.0** | **1,000,000** | 8,333 |" in median_rows[1]
    assert "| 0 | **median** |" in median_rows[2] and "| **100.0** | **600,000** | 5,000 |" in median_rows[2]
    assert sum(line.startswith("| 20,000 | 2 |") for line in lines) == 1  # each fit run listed
    assert sum(line.startswith("| 20,000 | 0.5 | 2 |") for line in lines) == 1  # and each throughput run


def test_model_tables_keep_sizes_apart(growth):
    records = [_compare(1, 40.0, 4.0), {**_compare(1, 300.0, 20.0), "size": 100000}]
    text = growth.render_models(records, {"generated": "now", "command": "c"})
    medians = [line for line in text.splitlines() if "**median**" in line]
    assert medians[0].startswith("| 20,000 |") and "**10.0x**" in medians[0]
    assert medians[1].startswith("| 100,000 |") and "**15.0x**" in medians[1]


def test_doc_rewrite_replaces_only_its_own_section(growth, tmp_path, monkeypatch):
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Perf\nintro\n{growth.BEGIN}\nold growth\n{growth.END}\nmiddle\n"
                   f"{growth.MODELS_BEGIN}\nold models\n{growth.MODELS_END}\nend\n")
    monkeypatch.setattr(growth, "DOC", doc)
    growth.write_doc(f"{growth.MODELS_BEGIN}\nnew models\n{growth.MODELS_END}", growth.MODELS_BEGIN, growth.MODELS_END)
    assert doc.read_text() == (f"# Perf\nintro\n{growth.BEGIN}\nold growth\n{growth.END}\nmiddle\n"
                               f"{growth.MODELS_BEGIN}\nnew models\n{growth.MODELS_END}\nend\n")
    growth.write_doc(f"{growth.BEGIN}\nnew growth\n{growth.END}")
    assert "new growth" in doc.read_text() and "old growth" not in doc.read_text()
    assert "new models" in doc.read_text() and doc.read_text().endswith("end\n")


def test_render_only_keeps_the_days_of_a_run_cut_short(growth, tmp_path, monkeypatch):
    """A size whose daily runs stopped part-way: its partial file holds every record so far (simulation, setup,
    the days that completed); --render-only renders them and adds them to the results file, marked partial."""
    import json
    from types import SimpleNamespace

    def step(size, day, name, wall):
        return {"size": size, "kind": "step", "day": day, "step": name, "status": "success", "wall_s": wall}

    results = tmp_path / "growth_results.jsonl"
    results.write_text(json.dumps(step(20000, "2026-02-02", "ingest", 40.0)) + "\n")
    cut = tmp_path / "run" / "a1000000_d35_s11_k3"
    cut.mkdir(parents=True)
    records = [{"size": 1000000, "kind": "simulate", "wall_s": 870.0},
               {"size": 1000000, "kind": "setup_ingest", "wall_s": 1043.0},
               step(1000000, "2026-02-02", "ingest", 184.0)]
    (cut / "partial.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    rendered = {}
    monkeypatch.setattr(growth, "attach_volumes", lambda *args, **kwargs: {})
    monkeypatch.setattr(growth, "render", lambda kept, meta: rendered.setdefault("sizes", sorted(
        {r["size"] for r in kept if r["kind"] == "step"})) and "text")
    monkeypatch.setattr(growth, "write_doc", lambda text, *args: None)
    monkeypatch.setattr(growth, "render_models", lambda *args: "")
    args = SimpleNamespace(sim_days=35, seed=11, daily_days=3, model_size=None)
    growth.render_only(tmp_path, results, [], args)
    assert rendered["sizes"] == [20000, 1000000]
    kept = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["size"], r["kind"], r.get("partial")) for r in kept] == [
        (20000, "step", None), (1000000, "simulate", True), (1000000, "setup_ingest", True),
        (1000000, "step", True)]
    # rendered again after the run got further: its records replace the earlier ones, never added twice
    records.append(step(1000000, "2026-02-03", "ingest", 175.0))
    (cut / "partial.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    growth.render_only(tmp_path, results, [], args)
    kept = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["size"], r.get("day")) for r in kept if r["kind"] == "step"] == [
        (20000, "2026-02-02"), (1000000, "2026-02-02"), (1000000, "2026-02-03")]
    assert len(kept) == 5


def test_landing_table_names_each_size_s_driver_heap(growth):
    """A size run with --driver-memory says so; records from before the option ran with the default heap."""
    def landing(size, **extra):
        return {"size": size, "kind": "landing", "path": "/w", "days": 35, "seed": 11, "rows": 1000, "given": False,
                "bronze": None, **extra}

    step = {"kind": "step", "day": "2026-02-02", "step": "ingest", "status": "success", "wall_s": 1.0,
            "java_cpu_s": 1.0, "py_cpu_s": 0.0, "events_window": 10, "java_rss_peak_mb": 1, "py_rss_peak_mb": 1}
    records = [landing(20000), landing(1000000, driver_memory="12g"), {**step, "size": 20000},
               {**step, "size": 1000000}]
    text = growth.render(records, {"generated": "now", "command": "c", "model_size": 20000, "overlay_note": "o"})
    rows = [line for line in text.splitlines() if line.startswith(("| 20,000 | 35 |", "| 1,000,000 | 35 |"))]
    assert rows[0].startswith("| 20,000 | 35 | 11 | 1,000 | 4g (default then) |")
    assert rows[1].startswith("| 1,000,000 | 35 | 11 | 1,000 | 12g |")


def test_a_rerun_keeps_the_records_of_the_simulation_and_setup_it_found_cached(growth):
    old = [{"size": 20000, "kind": "simulate", "wall_s": 108.0},
           {"size": 20000, "kind": "setup_train", "wall_s": 205.0},
           {"size": 20000, "kind": "step", "step": "score", "wall_s": 50.0},
           {"size": 100000, "kind": "step", "step": "score", "wall_s": 90.0}]
    new = [{"size": 20000, "kind": "setup_train", "wall_s": 190.0}, {"size": 20000, "kind": "step", "step": "score",
                                                                       "wall_s": 41.0}]
    kept = growth.replace_size(old, 20000, new, cache_used=True)
    assert {(r["size"], r["kind"], r["wall_s"]) for r in kept} == {
        (20000, "simulate", 108.0),  # cached: not measured again, its record stays
        (20000, "setup_train", 190.0), (20000, "step", 41.0), (100000, "step", 90.0)}  # measured again: replaced
    # a run on a given landing zone or bronze did not use the cache: the earlier records do not describe it
    given = growth.replace_size(old, 20000, new, cache_used=False)
    assert {(r["size"], r["kind"]) for r in given} == {(20000, "setup_train"), (20000, "step"), (100000, "step")}
