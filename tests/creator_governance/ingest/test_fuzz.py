"""Bad-input fuzzing of ingestion (issue 11): random landing files in every format, mixed good and bad rows.

Each example writes a few files (JSON Lines, CSV, Parquet; any of the seven contract entities) into a fresh
landing zone, runs the ingest job in-process on the shared session and checks against what the generator knows:
no exception escapes; per file `rows_read = accepted + quarantined + duplicates` as recorded in `ingest_log`, with
the exact expected counts; every quarantined row names its file and line and a reason about the broken column;
bronze holds exactly the keys of the valid rows. The default run is bounded (`FAST_EXAMPLES`, no shrinking);
`-m slow` runs `GOVERN_FUZZ_EXAMPLES` examples (default 200) with shrinking. Both are derandomized.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from creator_governance.contract import ENTITIES

FAST_EXAMPLES = 6
SLOW_EXAMPLES = int(os.environ.get("GOVERN_FUZZ_EXAMPLES", "200"))
LINE_BREAK = re.compile(r"\r\n|\r|\n")
BOM = "\ufeff"
# Text a value may hold: quotes, delimiters, tabs, NUL, unicode (accents, CJK, emoji, no-break and line separators).
ALPHABET = "aZ09 ,;|\"'\t\\{}[]:#%+=é中😀\u00a0\u2028\x00"
BAD_TIMESTAMPS = ["yesterday", "2026", "2026-13-01T00:00:00Z", "2026-02-30", "2026-01-01T25:00:00Z", "1/2/2026",
                  "0999-12-31T23:00:00Z", "9999-12-31T23:00:00-05:00", "2026-01-01T00:00:00+25:00"]
BAD_NUMBERS = ["ten", "NaN", "Infinity", "-Infinity", "1e400", "1,5", "0x10"]
BAD_BOOLEANS = ["maybe", "yes", "2", "t"]
BAD_JSON_LINES = ["{not json", '{"a": 1', "[1, 2]", "42", '"just text"', "null", "true", "}{", '{"a": 1,}']
EXTRA_NAMES = ["extra", "note with space", "a`b", "c.d", "_corrupt_record_", "_metadata", "ds", "Ö", ""]
FORMATS = ["json", "csv", "parquet"]


# ---- values -------------------------------------------------------------------------------------------------
texts = st.text(alphabet=ALPHABET, max_size=6).map(lambda s: f"v{s}v")  # never blank, no edge spaces


@st.composite
def timestamps(draw) -> str:
    """A valid ISO-8601 timestamp in one of the accepted shapes (Z, offset, naive, date only, fractions)."""
    moment = draw(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2099, 12, 31)))
    shape = draw(st.sampled_from(["Z", "z", "offset", "naive", "space", "date", "fraction"]))
    if shape == "date":
        return moment.strftime("%Y-%m-%d")
    if shape == "offset":
        minutes = draw(st.sampled_from([-720, -480, -90, 0, 60, 330, 840]))
        local = moment + dt.timedelta(minutes=minutes)
        sign, m = ("+" if minutes >= 0 else "-"), abs(minutes)
        form = draw(st.sampled_from(["{h:02d}:{m:02d}", "{h:02d}{m:02d}"]))
        return local.strftime("%Y-%m-%dT%H:%M:%S") + sign + form.format(h=m // 60, m=m % 60)
    if shape == "fraction":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:21 + draw(st.integers(0, 5))] + "Z"
    sep = " " if shape == "space" else "T"
    return moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + {"Z": "Z", "z": "z"}.get(shape, "")


def numbers(lo: float, hi: float):
    return st.one_of(st.integers(int(lo), int(min(hi, 10**12))).map(str),
                     st.floats(lo, hi, allow_nan=False, allow_infinity=False).map(repr))


def valid_value(col):
    """A strategy of valid text for a contract column."""
    if col.type == "timestamp":
        return timestamps()
    if col.type == "boolean":
        return st.sampled_from(["true", "false", "1", "0", "TRUE", "False"])
    if col.type == "double":
        lo = col.minimum if col.minimum is not None else -1e300
        return numbers(lo, col.maximum if col.maximum is not None else 1e300)
    if col.allowed:
        return st.sampled_from(col.allowed)
    if col.pattern:
        return st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
    return texts


def bad_value(col):
    """(strategy of values that break `col`'s rule) or None when the column has no rule to break."""
    options = []
    if col.required:
        options.append(st.sampled_from([None, "", "   "]))
    if col.type == "timestamp":
        options.append(st.sampled_from(BAD_TIMESTAMPS))
    elif col.type == "double":
        below = [] if col.minimum is None else ["-1", "-0.001", "-1e300"]
        above = [] if col.maximum is None else ["1.5", "1e300"]
        options.append(st.sampled_from(BAD_NUMBERS + below + above))
    elif col.type == "boolean":
        options.append(st.sampled_from(BAD_BOOLEANS))
    if col.allowed:
        options.append(st.sampled_from(["poke", col.allowed[0].upper(), "other"]))
    if col.pattern:
        options.append(st.sampled_from(["usa", "fr", "F1"]))
    return st.one_of(*options) if options else None


# ---- records and files --------------------------------------------------------------------------------------
@st.composite
def records(draw, entity, fmt, counter, earlier: list):
    """Records of one file: dicts with `values` (column -> text or None), `valid`, `cid` (same cid = exact
    duplicate), `breaks` (the column or 'malformed' a reason must name) and, for line faults, `fault`."""
    out = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["valid", "valid", "bad_value", "line_fault", "duplicate", "update"]))
        if kind == "line_fault" and fmt == "parquet":  # Parquet has no lines to break
            kind = "bad_value"
        if kind in ("duplicate", "update") and not earlier:
            kind = "valid"
        if kind == "duplicate":
            out.append({**draw(st.sampled_from(earlier)), "fault": None})
            continue
        if kind == "update":  # same key, a different ds_from instant (never drawn elsewhere): accepted, not a duplicate
            base = draw(st.sampled_from(earlier))
            later = f"2500-01-01T00:00:{next(counter) % 60:02d}.{next(counter):06d}Z"
            rec = {**base, "values": {**base["values"], entity.ds_from: later}, "cid": next(counter)}
            out.append(rec)
            earlier.append(rec)
            continue
        values = {}
        for col in entity.columns:
            if col.required or draw(st.booleans()):
                values[col.name] = draw(valid_value(col))
            else:
                values[col.name] = None
        values[entity.key] = f"k{next(counter)}{draw(texts)}"
        rec = {"values": values, "valid": True, "cid": next(counter), "breaks": None, "fault": None}
        if kind == "bad_value":
            breakable = [c for c in entity.columns if bad_value(c) is not None]
            col = draw(st.sampled_from(breakable))
            rec = {**rec, "values": {**values, col.name: draw(bad_value(col))}, "valid": False, "breaks": col.name}
        elif kind == "line_fault":
            rec = {**rec, "valid": False, "breaks": "malformed", "fault": draw(st.integers(0, 10**6))}
        else:
            earlier.append(rec)
        out.append(rec)
    return out


@st.composite
def landing_files(draw):
    """A list of file specs in delivery order: entity, format, name, records and rendering noise."""
    counter = itertools.count(1)
    earlier = {name: [] for name in ENTITIES}
    files = []
    for i in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(ENTITIES)))
        fmt = draw(st.sampled_from(FORMATS + ["corrupt"] if i else FORMATS))
        ext = {"json": [".jsonl", ".json", ".JSONL"], "csv": [".csv", ".CSV"],
               "parquet": [".parquet"], "corrupt": [".parquet"]}[fmt]
        stem = draw(st.text(alphabet="ab Z09-é[]{}*?+%#=,'", min_size=1, max_size=8))
        folder = draw(st.sampled_from(["", "nested/", "x=1/", "2026/01/"]))
        files.append({
            "entity": name, "format": fmt, "path": f"{name}/{folder}f{i}-{stem}{draw(st.sampled_from(ext))}",
            "records": [] if fmt == "corrupt" else draw(records(ENTITIES[name], fmt, counter, earlier[name])),
            "eol": draw(st.sampled_from(["\n", "\r\n", "\r"])), "bom": draw(st.booleans()),
            "blank_lines": draw(st.lists(st.integers(0, 8), max_size=2)),
            "trailing_eol": draw(st.booleans()), "extras": draw(st.lists(st.sampled_from(EXTRA_NAMES), max_size=2,
                                                                            unique=True)),
            "omit_optional": draw(st.booleans()), "typed": draw(st.booleans()), "json_numbers": draw(st.booleans()),
            "junk": draw(st.binary(min_size=0, max_size=64)),
        })
    return files


def render_json(spec, entity) -> tuple[list[str], list[list[int]]]:
    """Physical lines and, per record, the line numbers (1-based) it occupies."""
    lines, spans = [], []
    for rec in spec["records"]:
        if rec["fault"] is not None:
            lines.append(BAD_JSON_LINES[rec["fault"] % len(BAD_JSON_LINES)])
        else:
            items = []
            if spec["extras"]:  # an earlier duplicate key: the last value of a key counts
                items.append((entity.key, "shadowed"))
            for col in entity.columns:
                value = rec["values"][col.name]
                if value is None and spec["omit_optional"]:
                    continue
                items.append((col.name, _json_typed(col, value) if spec["json_numbers"] else value))
            items += [(n, {"nested": [1, None]}) for n in spec["extras"]]
            pairs = (f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in items)
            lines.append("{" + ", ".join(pairs) + "}")
        spans.append([len(lines)])
    for at in spec["blank_lines"]:
        lines.insert(min(at, len(lines)), " ")
        spans = [[n + 1 if n > at else n for n in span] for span in spans]
    return lines, spans


def _json_typed(col, value):
    """Booleans and numbers as JSON literals where that keeps the value."""
    if value is None:
        return None
    if col.type == "boolean":
        return {"true": True, "false": False, "1": 1, "0": 0}.get(value.lower(), value)
    if col.type == "double":
        try:
            number = float(value)
        except ValueError:
            return value
        return number if repr(number) == value or str(int(number)) == value else value
    return value


def render_csv(spec, entity) -> tuple[list[str], list[list[int]]]:
    columns = [c.name for c in entity.columns
               if c.required or not spec["omit_optional"] or any(r["values"][c.name] for r in spec["records"])]
    header = columns + [n for n in spec["extras"] if n]
    order = sorted(range(len(header)), key=lambda i: hashlib.md5(f"{spec['path']}{i}".encode()).hexdigest())
    header = [header[i] for i in order]
    lines, spans = [_csv_line(header)], []
    for rec in spec["records"]:
        fields = [rec["values"].get(h) if h in columns else "x" for h in header]
        text = _csv_line(["" if v is None else v for v in fields])
        if rec["fault"] is not None:
            fault = rec["fault"] % 4
            if fault == 0:
                text += ",extra"
            elif fault == 1:
                text = _csv_line([v or "" for v in fields[:-1]])
            elif fault == 2:  # a quoted field spanning two lines
                text = _csv_line(["" if v is None else v for v in fields[:-1]] + [f"one{spec['eol']}two"])
            else:
                text = text + ',"unclosed'
        pieces = LINE_BREAK.split(text)
        spans.append(list(range(len(lines) + 1, len(lines) + 1 + len(pieces))))
        lines += pieces
    for at in spec["blank_lines"]:
        at = max(at, 1)
        lines.insert(min(at, len(lines)), "")
        spans = [[n + 1 if n > at else n for n in span] for span in spans]
    return lines, spans


def _csv_line(fields) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(fields)  # fields holding CR or LF get quoted
    return out.getvalue()[:-2]


def _parquet_table(spec, entity):
    """All contract columns as text, or (`typed`) as timestamps, booleans and doubles where every value parses."""
    data = {}
    for col in entity.columns:
        values = [r["values"][col.name] for r in spec["records"]]
        data[col.name] = pa.array(values, pa.string())
        if spec["typed"] and col.type in ("timestamp", "boolean", "double"):
            typed = [_typed(col.type, v) for v in values]
            if all(t is not _BAD for t in typed):
                kind = {"timestamp": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_(), "double": pa.float64()}
                data[col.name] = pa.array(typed, kind[col.type])
    for i, name in enumerate(n for n in spec["extras"] if n and n not in data):
        kinds = [pa.array([[1, 2]] * len(spec["records"])), pa.array([None] * len(spec["records"]), pa.null()),
                 pa.array([dt.datetime(2026, 1, 1)] * len(spec["records"]), pa.timestamp("ns"))]
        data[name] = kinds[i % len(kinds)]
    return pa.table(data)


_BAD = object()


def _typed(kind, value):
    if value is None or not value.strip():
        return None
    try:
        if kind == "double":
            number = float(value)
            return number if repr(number) == value or str(int(number)) == value else _BAD
        if kind == "boolean":
            return {"true": True, "false": False, "1": True, "0": False}[value.lower()]
        moment = dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.timezone.utc)
        return moment if value.upper() == value.upper().strip() and moment.year >= 1000 else _BAD
    except (ValueError, KeyError, OverflowError):
        return _BAD


def write_landing(root, files) -> list[dict]:
    """Write the specs under `root`; returns per file what ingestion must report."""
    import pyarrow.parquet as pq

    expected, seen_sha = [], set()
    for i, spec in enumerate(files):
        entity = ENTITIES[spec["entity"]]
        path = root / spec["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        spans = [[n + 1] for n in range(len(spec["records"]))]
        lines = None
        if spec["format"] == "corrupt":
            path.write_bytes(b"PAR1" + spec["junk"])
        elif spec["format"] == "parquet":
            pq.write_table(_parquet_table(spec, entity), path)
        else:
            lines, spans = (render_json if spec["format"] == "json" else render_csv)(spec, entity)
            text = spec["eol"].join(lines) + (spec["eol"] if spec["trailing_eol"] else "")
            path.write_bytes(((BOM if spec["bom"] else "") + text).encode("utf-8"))
        os.utime(path, ns=(1_767_225_600_000_000_000 + i * 10**9,) * 2)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        status = "redelivered" if sha in seen_sha else "unreadable" if spec["format"] == "corrupt" else "ingested"
        seen_sha.add(sha)
        expected.append({**spec, "status": status, "spans": spans, "lines": lines,
                         "rows_read": sum(len(s) for s in spans) if status == "ingested" else 0})
    return expected


# ---- the property -------------------------------------------------------------------------------------------
def check_ingest(spark, ingest_into, workdir, files) -> None:
    from creator_governance.tables import Tables

    landing = workdir / "landing"
    expected = write_landing(landing, files)
    tables = Tables(spark, str(workdir / "lakehouse"), engine="delta-rs")

    summary = ingest_into(spark, tables, landing)  # no exception may escape

    log = {r["source_file"]: r for r in tables.read("ingest_log").collect()}
    quarantine = tables.read("quarantine").collect() if tables.exists("quarantine") else []
    delivered = set()  # cids of the valid rows delivered so far: a repeat is an exact duplicate
    keys = {name: set() for name in ENTITIES}
    for exp in expected:
        entry = log[exp["path"]]
        assert entry["status"] == exp["status"], exp["path"]
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_quarantined"] + entry["rows_duplicate"]
        rows = [q for q in quarantine if q["source_file"] == exp["path"]]
        if exp["status"] != "ingested":
            assert entry["rows_read"] == 0
            assert [q["line"] for q in rows] == ([0] if exp["status"] == "unreadable" else [])
            continue
        good = [r for r in exp["records"] if r["valid"]]
        duplicates = 0
        for r in good:
            duplicates += r["cid"] in delivered
            delivered.add(r["cid"])
            keys[exp["entity"]].add(r["values"][ENTITIES[exp["entity"]].key])
        bad = [(r, span) for r, span in zip(exp["records"], exp["spans"]) if not r["valid"]]
        counts = (entry["rows_read"], entry["rows_accepted"], entry["rows_quarantined"], entry["rows_duplicate"])
        quarantined = sum(len(span) for _, span in bad)
        assert counts == (exp["rows_read"], len(good) - duplicates, quarantined, duplicates), exp["path"]
        by_line = {q["line"]: q for q in rows}
        assert sorted(by_line) == sorted(n for _, span in bad for n in span), exp["path"]
        for r, span in bad:
            for n in span:
                q = by_line[n]
                assert q["entity"] == exp["entity"] and q["reasons"], (exp["path"], n)
                if exp["lines"] is not None:
                    assert q["raw_record"].removeprefix(BOM) == exp["lines"][n - 1], (exp["path"], n)
                named = "malformed" if len(span) > 1 else r["breaks"]
                assert any(m.startswith(named) or (named == "malformed" and m == "not a JSON object")
                           for m in q["reasons"]), (exp["path"], n, q["reasons"], named)
    for name, expected_keys in keys.items():
        actual = set()
        if tables.exists(name):
            actual = {r[0] for r in tables.read(name).select(ENTITIES[name].key).collect()}
        assert actual == expected_keys, name
    assert summary["rows_read"] == sum(e["rows_read"] for e in expected)


FUZZ = dict(deadline=None, derandomize=True, database=None, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                   HealthCheck.data_too_large, HealthCheck.large_base_example])


@pytest.fixture()
def workdirs(tmp_path):
    numbers = itertools.count()
    return lambda: tmp_path / f"example-{next(numbers)}"


@settings(max_examples=FAST_EXAMPLES, phases=[Phase.explicit, Phase.generate], **FUZZ)
@given(files=landing_files())
def test_random_landing_files_are_fully_accounted_for(spark, ingest_into, workdirs, files):
    check_ingest(spark, ingest_into, workdirs(), files)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES, **FUZZ)
@given(files=landing_files())
def test_random_landing_files_are_fully_accounted_for_long(spark, ingest_into, workdirs, files):
    check_ingest(spark, ingest_into, workdirs(), files)


def test_inputs_that_once_crashed_or_lost_rows(spark, tmp_path, lz, ingest_into):
    """The fuzzer's findings, minimal and in one run: each file is ingested or unreadable, none crashes the run."""
    import pyarrow.parquet as pq

    from creator_governance.tables import Tables

    root = tmp_path / "landing" / "accounts"
    root.mkdir(parents=True)
    row = '{"account_id": "%s", "created_at": "2026-01-01T00:00:00Z"}\n'
    texts = {
        "2026-01-01T10:00:00.jsonl": row % "a1", "a[1].jsonl": row % "a2", "a1.jsonl": row % "a3",
        "a{1,2}.jsonl": row % "a4", "bom.jsonl": BOM + row % "a5",
        "header.csv": "_corrupt_record_,Account_ID,account_id,created_at\nx,y,a6,2026-01-01\n",
        "multiline.csv": 'account_id,created_at,category\na7,2026-01-01,"cut\noff"\n',
        "blank-first.csv": "\naccount_id,created_at\na8,2026-01-01\n", "empty.csv": "",
        "years.jsonl": "".join(row.replace("2026-01-01T00:00:00Z", ts) % "a10" for ts in [
            "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "0999-12-31T23:59:59Z"]),
    }
    for name, text in texts.items():
        (root / name).write_text(text, encoding="utf-8")
    pq.write_table(pa.table({"account_id": ["a9"], "a`b": [1], "_metadata": ["m"], "created_at": ["2026-01-01"]}),
                   root / "odd-names.parquet")
    pq.write_table(pa.table({"account_id": ["a11"], "Account_ID": ["x"], "created_at": ["2026-01-01"]}),
                   root / "case-clash.parquet")
    clock = pa.array([1], pa.time64("us"))
    pq.write_table(pa.table({"account_id": ["a12"], "t": clock, "created_at": ["2026-01-01"]}), root / "time.parquet")
    tables = Tables(spark, str(tmp_path / "lakehouse"), engine="delta-rs")

    ingest_into(spark, tables, tmp_path / "landing")

    log = {r["source_file"].removeprefix("accounts/"): r for r in tables.read("ingest_log").collect()}
    counts = {k: (r["status"], r["rows_read"], r["rows_accepted"], r["rows_quarantined"]) for k, r in log.items()}
    assert counts == {
        "2026-01-01T10:00:00.jsonl": ("unreadable", 0, 0, 0), "a[1].jsonl": ("ingested", 1, 1, 0),
        "a1.jsonl": ("ingested", 1, 1, 0), "a{1,2}.jsonl": ("ingested", 1, 1, 0), "bom.jsonl": ("ingested", 1, 1, 0),
        "header.csv": ("ingested", 1, 1, 0), "multiline.csv": ("ingested", 2, 0, 2),
        "blank-first.csv": ("unreadable", 0, 0, 0), "empty.csv": ("ingested", 0, 0, 0),
        "years.jsonl": ("ingested", 3, 0, 3), "odd-names.parquet": ("ingested", 1, 1, 0),
        "case-clash.parquet": ("unreadable", 0, 0, 0), "time.parquet": ("unreadable", 0, 0, 0),
    }
    assert "rename the file" in log["2026-01-01T10:00:00.jsonl"]["error"]
    assert "differ only in case" in log["case-clash.parquet"]["error"]
    accepted = {r[0] for r in tables.read("accounts").select("account_id").collect()}
    assert accepted == {"a2", "a3", "a4", "a5", "a6", "a9"}
    reasons = {(q["source_file"].removeprefix("accounts/"), q["line"]): q["reasons"]
               for q in tables.read("quarantine").collect()}
    assert reasons[("multiline.csv", 2)] == ["malformed CSV row: unbalanced quotes (a quoted field cannot span lines)"]
    for line, ts in [(1, "0001-01-01T00:00:00+01:00"), (2, "9999-12-31T23:00:00-05:00")]:
        assert reasons[("years.jsonl", line)] == [f"created_at: '{ts}' is outside the years 1000 to 9999 (UTC)"]
    assert reasons[("blank-first.csv", 0)] == ["file unreadable: no CSV header row: the first line is blank"]
