"""benchmarks/py4j_calls.py: JVM round trips counted per call site of the project's own code."""

import collections


def test_each_call_is_counted_at_the_project_frame_that_made_it(benchmark_script):
    calls = benchmark_script("py4j_calls")
    counts, seconds = collections.Counter(), collections.Counter()
    sent = []
    send = calls.counting(lambda self, command: sent.append(command) or "ok", counts, seconds)

    def build_a_column():
        return send(None, "c\n") and send(None, "c\n")

    assert build_a_column() == "ok" and sent == ["c\n", "c\n"]
    site = next(iter(counts))
    assert counts[site] == 2 and site.startswith("tests/reliability/test_py4j_calls.py:") \
        and site.endswith(" build_a_column")
    assert calls.report(counts, seconds).splitlines()[-1].split()[0] == "2"
