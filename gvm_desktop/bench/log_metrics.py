"""The access log's figures (`--log-entries M`): append, verify, a filtered query, scrolling."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import TextIO

from gvm_desktop.bench import plain
from gvm_desktop.bench.fixture import AUDITOR, OFFICER, BenchVault, add_synthetic_log
from gvm_desktop.bench.measure import Metric, metric, samples_ms
from gvm_desktop.core.justification import Justification
from gvm_desktop.core.log_filter import LogFilter
from gvm_desktop.store import unit

WHY = Justification.make("intelligence_development", "Benchmark run on synthetic data")
_SCROLL_PAGES = 20


def log_metrics(bench: BenchVault, count: int, out: TextIO) -> dict[str, Metric]:
    out.write(f"  appending {count:,} synthetic log entries...\n")
    started = time.perf_counter()
    add_synthetic_log(bench, count)
    out.write(f"  log built in {time.perf_counter() - started:.1f} s\n")
    # Verification first: the appends measured below are stamped now, before the synthetic entries' times.
    metrics = {"log_verify_entries_per_s": _verify_metric(bench)}
    metrics["log_append_ms_p50"] = _append_metric(bench)
    metrics.update(_query_metrics(bench))
    return metrics


def _verify_metric(bench: BenchVault) -> Metric:
    """The chain walk of `log verify` (hashes and MACs of every entry, after the auditor's key derivation)
    against one hashlib loop over the same canonical rows of the plain copy."""
    vault, _session = bench.app.auth.open_read_only(AUDITOR.username, AUDITOR.password)
    try:
        key0 = vault.log_key0
        if key0 is None:
            raise RuntimeError("the demo auditor holds no log verification key")
        started = time.perf_counter()
        report = unit.reading(vault).chain.verify(key0)
        seconds = time.perf_counter() - started
    finally:
        vault.close()
    if not report.intact:
        raise RuntimeError(f"the benchmark log does not verify: {report.problems[0].what}")
    conn = plain.connect(bench.plain_copy)
    try:
        # Reading the rows is timed too, as the product's walk reads them: the same work, done plainly.
        started = time.perf_counter()
        rows = plain.canonical_rows(conn)
        plain.hash_chain(rows)
        baseline = time.perf_counter() - started
    finally:
        conn.close()
    return metric(report.entries / seconds, "entries/s", len(rows) / baseline,
                  "hashlib SHA-256 chain over the same canonical rows, one loop", 1)


def _append_metric(bench: BenchVault) -> Metric:
    app = bench.app
    conn = plain.connect(bench.plain_copy)
    refs = plain.active_refs(conn, bench.bcu, 40)
    conn.close()
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    it = iter(refs)
    appends = samples_ms(lambda: app.records.open(ws, next(it), WHY), len(refs))
    app.auth.sign_out(ws)
    with tempfile.TemporaryDirectory(prefix="gvm-bench-plainlog-") as tmp:
        scratch = plain.ScratchLog(Path(tmp))
        base = samples_ms(scratch.append, len(refs))
        scratch.close()
    return metric(statistics.median(appends), "ms", statistics.median(base),
                  "plain SQLite (WAL, synchronous=FULL): insert one row and commit; the product also reads the record, "
                  "chains, MACs and writes the checkpoint file", len(refs))


def _query_metrics(bench: BenchVault) -> dict[str, Metric]:
    """An auditor's filtered query, first page, and scrolling the whole log, against the same on the plain copy."""
    app = bench.app
    rng = random.Random(5)
    refs = [f"N-{rng.randint(1, 100_000):06d}" for _ in range(10)]
    filters = [LogFilter(record_ref=r, actions=("record.open",)) for r in refs] + [
        LogFilter(actions=("matrix.status_check",), outcome="allowed")] * 5
    ws = app.auth.sign_in(AUDITOR.username, AUDITOR.password)
    it = iter(filters)
    product = samples_ms(lambda: app.log.search(ws, next(it)), len(filters))
    cursor: list[int | None] = [None]

    def next_page() -> None:  # each page is the next 200 older entries, what the table fetches
        cursor[0] = app.log.search(ws, LogFilter(), before_seq=cursor[0]).next_before

    scroll = samples_ms(next_page, _SCROLL_PAGES)
    app.auth.sign_out(ws)

    conn = plain.connect(bench.plain_copy)
    queries = [lambda r=r: plain.log_by_record(conn, r) for r in refs] + [
        lambda: plain.log_by_action(conn, "matrix.status_check", "allowed")] * 5
    runs = iter(queries)
    baseline = samples_ms(lambda: next(runs)(), len(queries))
    plain_cursor: list[int | None] = [None]

    def plain_page() -> None:
        plain_cursor[0] = plain.log_page(conn, plain_cursor[0])

    scroll_base = samples_ms(plain_page, _SCROLL_PAGES)
    conn.close()
    return {
        "log_scroll_page_ms_p50": metric(statistics.median(scroll), "ms", statistics.median(scroll_base),
                                         "plain SQLite: the same keyset page of 200 older entries, no checks",
                                         _SCROLL_PAGES),
        "log_query_first_page_ms": metric(
            statistics.median(product), "ms", statistics.median(baseline),
            "plain SQLite: the same filtered query on a decrypted copy with the same log (no log entry, no checks)",
            len(filters)),
    }
