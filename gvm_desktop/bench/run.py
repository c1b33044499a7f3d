"""`gvm-desktop bench`: the product's speed, each figure beside a plain baseline from the same run.

The figures and their JSON are described in the README ("Benchmarks"); what this
package may touch, in `gvm_desktop/bench/__init__.py`.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from argon2.low_level import Type, hash_secret_raw

from gvm_desktop.app import App, build_app
from gvm_desktop.bench import plain
from gvm_desktop.bench.cold_start import COLD_START_RUNS, DEMO_PEOPLE, cold_start_metric, demo_create_metric
from gvm_desktop.bench.fixture import AUDITOR, OFFICER, BenchVault, build
from gvm_desktop.bench.log_metrics import WHY, log_metrics
from gvm_desktop.bench.measure import Metric, machine, median_ms, median_s, metric, samples_ms
from gvm_desktop.services.context import Workspace
from gvm_desktop.store import keyslots, unit
from gvm_desktop.store.nominals import fts_query
from gvm_desktop.store.slot import KdfParams
from gvm_desktop.store.vault import Vault

FIRST_SCREEN_ROWS = 60
REVIEW_SHEET_SIZES = (400, 4000)
SAR_SIZES = (2500, 5000, 10000)  # three sizes, so a reader sees the figure grow linearly
SAR_TEST_SIZES = (100, 200, 400)  # a run smaller than the demo tests the bench itself


def run_bench(app: App, *, nominals: int, log_entries: int, json_path: Path | None, out: TextIO,
              evidence_per_person: int = 10, sheet_sizes: tuple[int, ...] = REVIEW_SHEET_SIZES,
              sheet_runs: int = 3) -> int:
    """Builds a throw-away demo vault (at the app's Argon2id cost, the real one from the CLI) and measures it."""
    metrics: dict[str, Metric] = {}
    with tempfile.TemporaryDirectory(prefix="gvm-bench-") as tmp:
        bench_app = build_app(Path(tmp) / "vault", kdf=app.env.kdf, keyring_backend=None, workstation="bench",
                              clock=app.env.clock)
        out.write(f"Building a demo vault of {nominals:,} people (real Argon2id cost)...\n")
        start = time.perf_counter()
        bench = build(bench_app, Path(tmp), nominals=nominals, evidence_per_person=evidence_per_person, out=out)
        out.write(f"  built in {time.perf_counter() - start:.1f} s\n")
        metrics["unlock_s"] = _unlock_metric(bench)
        metrics["vault_open_s"] = _open_metric(bench)
        metrics.update(_attach_metrics(bench))
        metrics["first_screen_ms"] = _first_screen_metric(bench)
        metrics.update(_search_and_record_metrics(bench))
        try:
            rss, rss_bare = _rss_probe(bench_app.paths.folder, bench_app.env.kdf)
            metrics["rss_mb"] = metric(rss, "MB", rss_bare, "a bare PySide6 process with a QApplication and a table", 1)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            out.write(f"  rss_mb not measured: {exc}\n")
        if log_entries:
            metrics.update(log_metrics(bench, log_entries, out))
        from gvm_desktop.bench.backup_restore import backup_restore_metrics

        out.write("  a backup of the whole vault and its restore...\n")
        metrics.update(backup_restore_metrics(bench_app, runs=3))
        out.write("  cold start: the sign-in window against a bare Qt window, alternately...\n")
        try:
            # A run smaller than the demo is a test of the bench itself: one start of each is enough there.
            metrics["cold_start_ms"] = cold_start_metric(bench_app.paths.folder,
                                                         COLD_START_RUNS if nominals >= DEMO_PEOPLE else 1)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            out.write(f"  cold_start_ms not measured: {exc}\n")
    demo_people = min(DEMO_PEOPLE, nominals)  # the demo's own size in any real run; a test's small vault is smaller
    out.write(f"  a demo vault of {demo_people:,} people, as `gvm-desktop --demo` makes it...\n")
    metrics["demo_create_s"] = demo_create_metric(app, demo_people)
    from gvm_desktop.bench.review_pdf import review_pdf_metrics  # ReportLab and pyHanko load only when measured

    out.write(f"  signed, encrypted review sheets of {' and '.join(f'{n:,}' for n in sheet_sizes)} people...\n")
    metrics.update(review_pdf_metrics(sheet_runs, sizes=sheet_sizes))
    from gvm_desktop.bench.sar_pdf import sar_pdf_metrics  # ReportLab and pikepdf load only when measured

    sar_sizes = SAR_SIZES if nominals >= DEMO_PEOPLE else SAR_TEST_SIZES
    out.write(f"  subject access packs of {', '.join(f'{n:,}' for n in sar_sizes)} log entries...\n")
    metrics.update(sar_pdf_metrics(sheet_runs, sizes=sar_sizes))
    from gvm_desktop.bench.import_rows import ROWS, TEST_ROWS, import_rows_metric  # python_calamine loads here

    import_rows = ROWS if nominals >= DEMO_PEOPLE else TEST_ROWS
    out.write(f"  a legacy spreadsheet of {import_rows:,} rows imported as the SPOC (dry run, then commit)...\n")
    metrics.update(import_rows_metric(app, import_rows))
    for name, m in metrics.items():
        out.write(f"{name:<24} {m['value']:>10} {m['unit']:<3} baseline {m['baseline']} ({m['baseline_what']})\n")
    if json_path:
        json_path.write_text(json.dumps({"machine": machine(), "metrics": metrics}, indent=2) + "\n")
        out.write(f"Wrote {json_path}\n")
    return 0


def _unlock_metric(bench: BenchVault) -> Metric:
    auth, kdf, runs = bench.app.auth, bench.app.env.kdf, 5
    unlock = median_s(lambda: auth.sign_out(auth.sign_in(OFFICER.username, OFFICER.password)), runs)
    bare = median_s(lambda: hash_secret_raw(OFFICER.password.encode(), b"0123456789abcdef", kdf.time_cost,
                                            kdf.memory_kib, kdf.parallelism, 32, Type.ID), runs)
    return metric(unlock, "s", bare, f"bare Argon2id t={kdf.time_cost} m={kdf.memory_kib}KiB p={kdf.parallelism} "
                  "(the unlock is that plus slot, HPKE and DB open)", runs)


def _open_metric(bench: BenchVault) -> Metric:
    """Open the database with the derived key and run the matrix's first query (the counts)."""
    def open_encrypted() -> None:
        vault = bench.reopen()
        unit.reading(vault).nominals.count_by_status(bench.bcu)
        vault.close()

    runs = 20
    return metric(median_s(open_encrypted, runs), "s", median_s(lambda: plain.open_and_count(bench.plain_copy,
                                                                                              bench.bcu), runs),
                  "plain SQLite: open the decrypted copy and run the same first query", runs)


def _attach_metrics(bench: BenchVault) -> dict[str, Metric]:
    """What the compartments add to opening the vault after the key derivation: the officer's BCU (its views and
    triggers installed), and six BCUs, the most an auditor's session keeps attached; each against the same open
    with common's key alone."""
    paths, device, runs = bench.app.paths, bench.app.env.device, 10
    everyone = keyslots.open_keyring_with_password(bench.slots, AUDITOR.username, AUDITOR.password, None)
    six = dict(sorted((n, k) for n, k in everyone.items() if n.startswith("bcu:"))[:6])

    def open_with(keys: dict[str, bytes]) -> None:
        Vault.with_keys(paths, bench.slots, {"common": bench.data_key, **keys}, device).close()

    officer = {n: k for n, k in bench.keys.items() if n != "common"}
    alone = median_ms(lambda: open_with({}), runs)
    return {
        "compartment_attach_ms": metric(median_ms(lambda: open_with(officer), runs), "ms", alone,
                                        "the same open with common's key alone (no compartment attached)", runs),
        "auditor_attach_6_ms": metric(median_ms(lambda: open_with(six), runs), "ms", alone,
                                      "the same open with common's key alone (no compartment attached)", runs),
    }


def _first_screen_metric(bench: BenchVault) -> Metric:
    """The officer's first screen after the key derivation: open, list the ids, fetch the visible rows, lock."""
    app = bench.app

    def first_screen() -> None:
        ws = Workspace(bench.reopen(), bench.officer, app.env)
        view = app.matrix.view(ws)
        app.matrix.rows(ws, view, view.ids[:FIRST_SCREEN_ROWS])
        app.auth.lock(ws)

    runs = 10
    return metric(median_ms(first_screen, runs), "ms",
                  median_ms(lambda: plain.first_screen(bench.plain_copy, bench.bcu, FIRST_SCREEN_ROWS), runs),
                  "plain SQLite: same id list and first rows, no log entry", runs)


def _search_and_record_metrics(bench: BenchVault) -> dict[str, Metric]:
    app, bcu = bench.app, bench.bcu
    conn = plain.connect(bench.plain_copy)
    rng = random.Random(3)
    names = plain.family_names(conn, bcu, 200)
    keystrokes = [name[:n] for name in rng.sample(names, min(20, len(names))) for n in (1, 2, 3, 4, 6)]
    refs = plain.active_refs(conn, bcu)
    picks = rng.sample(refs, min(30, len(refs)))
    ws = app.auth.sign_in(OFFICER.username, OFFICER.password)
    try:
        typed = iter(keystrokes)
        ks = samples_ms(lambda: app.matrix.list(ws, query=next(typed)), len(keystrokes))
        opened = iter(picks)
        ro = samples_ms(lambda: app.records.open(ws, next(opened), WHY), len(picks))
    finally:
        app.auth.sign_out(ws)
    matches = iter([fts_query(k) for k in keystrokes])
    ksb = samples_ms(lambda: plain.search(conn, next(matches), bcu), len(keystrokes))
    plain_picks = iter(picks)
    rob = samples_ms(lambda: plain.open_record(conn, next(plain_picks)), len(picks))
    conn.close()
    return {
        "search_keystroke_ms_p50": metric(
            statistics.median(ks), "ms", statistics.median(ksb),
            "plain SQLite (same build, no cipher): the same FTS5 query on the decrypted copy, no log entry",
            len(keystrokes)),
        "record_open_ms_p50": metric(statistics.median(ro), "ms", statistics.median(rob),
                                     "plain SQLite: the same reads on the decrypted copy, no log, no scoring",
                                     len(picks)),
    }


# A fresh process showing the first matrix screen offscreen, through the app's public API only.
_PROBE = """
import os, sys
os.environ['QT_QPA_PLATFORM'] = 'offscreen'
from PySide6.QtWidgets import QApplication, QTableWidget, QTableWidgetItem
qt = QApplication([])
if sys.argv[1] == 'app':
    from gvm_desktop.app import build_app
    from gvm_desktop.store.slot import KdfParams
    a = build_app(sys.argv[2], kdf=KdfParams(*map(int, sys.argv[3:6])))
    ws = a.auth.sign_in(sys.argv[6], sys.argv[7])
    v = a.matrix.view(ws)
    rows = a.matrix.rows(ws, v, v.ids[:int(sys.argv[8])])
    t = QTableWidget(len(rows), len(v.columns))
    for r, row in enumerate(rows):
        for c, k in enumerate(v.columns):
            t.setItem(r, c, QTableWidgetItem(str(row.values[k])))
print(int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024)
"""


def _rss_probe(vault: Path, kdf: KdfParams) -> tuple[float, float]:
    """RSS (MB) of a process showing the first matrix screen, and of bare Qt as the baseline."""
    results = []
    for mode in ("app", "bare"):
        args = [sys.executable, "-c", _PROBE, mode, str(vault), str(kdf.time_cost), str(kdf.memory_kib),
                str(kdf.parallelism), OFFICER.username, OFFICER.password, str(FIRST_SCREEN_ROWS)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "rss probe failed")
        results.append(float(done.stdout.strip().splitlines()[-1]))
    return results[0], results[1]
