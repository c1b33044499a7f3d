"""`gvm-desktop bench`: the product's speed, each figure beside a plain baseline from the same run.

A developer tool, so it may reach into store/ for its baselines (the plain
SQLite copy, the bare Argon2id call); the application's front ends may not.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TextIO

from gvm_desktop import __version__
from gvm_desktop.app import App, build_app
from gvm_desktop.core.clock import from_iso, to_iso
from gvm_desktop.core.justification import Justification
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database, log_chain
from gvm_desktop.store.keyslots import _argon2
from gvm_desktop.store.nominals import fts_query
from gvm_desktop.store.vault import Vault

Metric = dict[str, Any]
FIRST_SCREEN_ROWS = 60
_WHY = Justification.make("intelligence_development", "Benchmark run on synthetic data")


def _samples_ms(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _median_s(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(_samples_ms(fn, runs)) / 1000


def _metric(value: float, unit: str, baseline: float, what: str, n: int) -> Metric:
    return {"value": round(value, 3 if unit != "s" else 6), "unit": unit, "baseline": round(baseline, 3 if unit != "s" else 6),
            "baseline_what": what, "n": n}


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "gvm_desktop": __version__, "sqlite": sqlite3.sqlite_version,
    }


def _plain_copy(app: App, key: bytes, target: Path) -> None:
    """The same database, decrypted, through SQLCipher's own export."""
    conn = database.connect(app.paths.database, key)
    conn.execute("ATTACH DATABASE ? AS plaintext KEY ''", (str(target),))
    conn.execute("SELECT sqlcipher_export('plaintext')")
    conn.execute("DETACH DATABASE plaintext")
    conn.close()


def _top_up_evidence(app: App, key: bytes, per_person: int, people: int, out: TextIO) -> int:
    """Bring evidence to `per_person` entries for each person asked for (the issue's 1,000,000 for 100,000)."""
    conn = database.connect(app.paths.database, key)
    ids = [r[0] for r in conn.execute("SELECT id FROM nominals")]
    have = int(conn.execute("SELECT count(*) FROM evidence").fetchone()[0])
    need = max(0, per_person * people - have)
    rng = random.Random(7)
    kinds = ("gang_association", "social_media", "weapons_access")
    with database.transaction(conn):
        conn.executemany(
            "INSERT INTO evidence (nominal_id, kind, source_type, source_ref, grading, on_date, summary, "
            "social_media_note, added_at, added_by) VALUES (?,?,?,?,?,?,?,?,?,?)",
            ((rng.choice(ids), k, "police", f"BENCH/{i}", "2CP",
              f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "Synthetic benchmark entry.",
              "Synthetic: seen on a public post." if k == "social_media" else None, "2026-01-01T00:00:00Z", None)
             for i, k in ((i, rng.choice(kinds)) for i in range(need))),
        )
    total = int(conn.execute("SELECT count(*) FROM evidence").fetchone()[0])
    conn.close()
    out.write(f"  evidence entries: {total:,}\n")
    return total


def _rss_probe(vault: Path, kdf: tuple[int, int, int]) -> tuple[float, float]:
    """RSS (MB) of a fresh process showing the first matrix screen offscreen, and of bare Qt as baseline."""
    probe = (
        "import os,sys,resource\n"
        "os.environ['QT_QPA_PLATFORM']='offscreen'\n"
        "from PySide6.QtWidgets import QApplication, QTableWidget\n"
        "app=QApplication([])\n"
        "if sys.argv[1]=='app':\n"
        "    from gvm_desktop.app import build_app\n"
        "    from gvm_desktop.store.keyslots import KdfParams\n"
        "    a=build_app(sys.argv[2], kdf=KdfParams(*map(int, sys.argv[3:6])))\n"
        "    ws=a.auth.sign_in(sys.argv[6], sys.argv[7])\n"
        "    v=a.matrix.view(ws)\n"
        f"    rows=a.matrix.rows(ws, v, v.ids[:{FIRST_SCREEN_ROWS}])\n"
        "    t=QTableWidget(len(rows), len(v.columns))\n"
        "    [t.setItem(r, c, __import__('PySide6.QtWidgets').QtWidgets.QTableWidgetItem(str(row.values[k]))) "
        "for r,row in enumerate(rows) for c,k in enumerate(v.columns)]\n"
        "t=open('/proc/self/status').read().split('VmRSS:')[1].split()[0]\n"
        "print(int(t)/1024)\n"
    )
    officer = DEMO_ACCOUNTS[0]
    results = []
    for mode in ("app", "bare"):
        args = [sys.executable, "-c", probe, mode, str(vault), *map(str, kdf), officer.username, officer.password]
        done = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "rss probe failed")
        results.append(float(done.stdout.strip().splitlines()[-1]))
    return results[0], results[1]


def run_bench(app: App, *, nominals: int, log_entries: int, json_path: Path | None, out: TextIO,
              evidence_per_person: int = 10) -> int:
    """Builds a throw-away demo vault (the real Argon2id cost) and measures it."""
    officer = DEMO_ACCOUNTS[0]
    metrics: dict[str, Metric] = {}
    kdf = app.env.kdf
    with tempfile.TemporaryDirectory(prefix="gvm-bench-") as tmp:
        bench_app = build_app(Path(tmp) / "vault", kdf=kdf, keyring_backend=None, workstation="bench",
                              clock=app.env.clock)
        out.write(f"Building a demo vault of {nominals:,} people (real Argon2id cost)...\n")
        start = time.perf_counter()
        bench_app.auth.sign_out(bench_app.create_demo(nominals).workspace)
        ws = bench_app.auth.sign_in(officer.username, officer.password)
        key = bytes(ws.vault._key)
        bcu = ws.session.bcu
        bench_app.auth.sign_out(ws)
        _top_up_evidence(bench_app, key, evidence_per_person, nominals, out)
        out.write(f"  built in {time.perf_counter() - start:.1f} s\n")

        runs = 5
        unlock = _median_s(lambda: bench_app.auth.sign_out(bench_app.auth.sign_in(officer.username, officer.password)),
                           runs)
        bare = _median_s(lambda: _argon2(officer.password.encode(), b"0123456789abcdef", kdf), runs)
        metrics["unlock_s"] = _metric(unlock, "s", bare, f"bare Argon2id t={kdf.time_cost} m={kdf.memory_kib}KiB "
                                      f"p={kdf.parallelism} (the unlock is that plus slot, HPKE and DB open)", runs)

        plain = Path(tmp) / "plain.db"
        _plain_copy(bench_app, key, plain)
        first_query = "SELECT status, count(*) FROM nominals WHERE bcu = ? GROUP BY status"

        def open_encrypted() -> None:
            conn = database.connect(bench_app.paths.database, key)
            conn.execute(first_query, (bcu,)).fetchall()
            conn.close()

        def open_plain() -> None:
            conn = database.plain_connect(plain)
            conn.execute(first_query, (bcu,)).fetchall()
            conn.close()

        runs = 20
        metrics["vault_open_s"] = _metric(_median_s(open_encrypted, runs), "s", _median_s(open_plain, runs),
                                          "plain SQLite: open the decrypted copy and run the same first query", runs)

        # The officer's first screen after the key derivation: open, list ids, fetch the visible rows.
        ws = bench_app.auth.sign_in(officer.username, officer.password)
        vault = ws.vault
        bench_app.auth.lock(ws)
        ids_sql = ("SELECT id FROM nominals WHERE status IN ('proposed','active') AND bcu = ? "
                   "ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE, id")
        rows_sql = "SELECT * FROM nominals WHERE id IN ({})"

        def first_screen() -> None:
            ws._attach(_reopen(bench_app, vault, key))
            view = bench_app.matrix.view(ws)
            bench_app.matrix.rows(ws, view, view.ids[:FIRST_SCREEN_ROWS])
            bench_app.auth.lock(ws)

        def first_screen_plain() -> None:
            conn = database.plain_connect(plain)
            ids = [r[0] for r in conn.execute(ids_sql, (bcu,))]
            part = ids[:FIRST_SCREEN_ROWS]
            conn.execute(rows_sql.format(",".join("?" * len(part))), part).fetchall()
            conn.close()

        runs = 10
        fs = statistics.median(_samples_ms(first_screen, runs))
        fsb = statistics.median(_samples_ms(first_screen_plain, runs))
        metrics["first_screen_ms"] = _metric(fs, "ms", fsb, "plain SQLite: same id list and first rows, no log entry",
                                             runs)

        ws._attach(_reopen(bench_app, vault, key))
        names = [r[0] for r in ws.conn.execute("SELECT family_name FROM nominals WHERE bcu = ? LIMIT 200", (bcu,))]
        rng = random.Random(3)
        keystrokes = [name[:n] for name in rng.sample(names, min(20, len(names))) for n in (1, 2, 3, 4, 6)]
        it = iter(keystrokes)
        ks = _samples_ms(lambda: bench_app.matrix.list(ws, query=next(it)), len(keystrokes))
        pconn = database.plain_connect(plain)
        it2 = iter(keystrokes)
        search_sql = ("SELECT n.id FROM nominals n JOIN nominal_search s ON s.rowid = n.id WHERE nominal_search MATCH ? "
                      "AND n.bcu = ? AND n.status IN ('proposed','active') ORDER BY n.family_name COLLATE NOCASE")
        ksb = _samples_ms(lambda: pconn.execute(search_sql, (fts_query(next(it2)), bcu)).fetchall(), len(keystrokes))
        ksb_what = "plain SQLite (same build, no cipher): the same FTS5 query on the decrypted copy, no log entry"
        metrics["search_keystroke_ms_p50"] = _metric(statistics.median(ks), "ms", statistics.median(ksb), ksb_what,
                                                     len(keystrokes))

        refs = [r[0] for r in ws.conn.execute("SELECT ref FROM nominals WHERE bcu = ? AND status = 'active'", (bcu,))]
        picks = rng.sample(refs, min(30, len(refs)))
        it3 = iter(picks)
        ro = _samples_ms(lambda: bench_app.records.open(ws, next(it3), _WHY), len(picks))
        it4 = iter(picks)

        def open_plain_record() -> None:
            ref = next(it4)
            (nid,) = pconn.execute("SELECT id FROM nominals WHERE ref = ?", (ref,)).fetchone()
            for sql in ("SELECT * FROM nominals WHERE id = ?", "SELECT * FROM nominal_aliases WHERE nominal_id = ?",
                        "SELECT * FROM evidence WHERE nominal_id = ?", "SELECT * FROM interventions WHERE nominal_id = ?",
                        "SELECT * FROM police_activity WHERE nominal_id = ?"):
                pconn.execute(sql, (nid,)).fetchall()

        rob = _samples_ms(open_plain_record, len(picks))
        metrics["record_open_ms_p50"] = _metric(statistics.median(ro), "ms", statistics.median(rob),
                                                "plain SQLite: the same reads on the decrypted copy, no log, no scoring",
                                                len(picks))
        pconn.close()
        bench_app.auth.sign_out(ws)
        try:
            rss, rss_bare = _rss_probe(bench_app.paths.folder, (kdf.time_cost, kdf.memory_kib, kdf.parallelism))
            metrics["rss_mb"] = _metric(rss, "MB", rss_bare, "a bare PySide6 process with a QApplication and a table",
                                        1)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            out.write(f"  rss_mb not measured: {exc}\n")
        if log_entries:
            metrics.update(_log_metrics(bench_app, key, log_entries, out, plain))
    from gvm_desktop.bench.review_pdf import review_pdf_metrics  # ReportLab and pyHanko load only when measured

    out.write("  signed, encrypted review sheets of 400 and 4,000 people...\n")
    metrics.update(review_pdf_metrics())
    report = {"machine": _machine(), "metrics": metrics}
    for name, m in metrics.items():
        out.write(f"{name:<24} {m['value']:>10} {m['unit']:<3} baseline {m['baseline']} ({m['baseline_what']})\n")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        out.write(f"Wrote {json_path}\n")
    return 0


def _bulk_log(conn: database.Connection, count: int) -> None:
    """Continue the real chain with `count` synthetic entries, fast: the canonical form is built in
    Python (ASCII-only values, where json.dumps and SQLite's json_array agree); `log verify` then
    re-derives every entry with json_array, so a mismatch would show as a broken chain."""
    head_seq, prev, key = conn.execute("SELECT head_seq, head_hash, mac_key FROM log_state").fetchone()
    last_time = from_iso(conn.execute("SELECT max(at_utc) FROM access_log").fetchone()[0])
    rng = random.Random(11)
    actions = ("record.open", "matrix.list", "matrix.rows", "auth.sign_in", "matrix.status_check")
    users = [(i, f"bench.user{i}", rng.choice(("officer", "spoc")), rng.choice(("CE", "NE", "SW"))) for i in range(1, 60)]
    sql = ("INSERT INTO access_log (seq, at_utc, tz, workstation, user_id, username, role, bcu, action, record_ref, "
           "reason_category, justification, outcome, detail, operation_ref, entry_hash, mac) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
    seq = int(head_seq)
    batch: list[tuple[object, ...]] = []
    for n in range(count):
        seq += 1
        uid, uname, role, bcu = users[n % len(users)]
        action = actions[n % len(actions)]
        values = (seq, to_iso(last_time + timedelta(seconds=n)), "GMT", "bench-ws", uid, uname, role, bcu, action,
                  f"N-{n % 100_000 + 1:06d}" if action == "record.open" else None,
                  "quarterly_review" if action == "record.open" else None,
                  "Benchmark justification text" if action == "record.open" else None, "allowed", None, None)
        canonical = json.dumps(values, separators=(",", ":")).encode()
        prev = hashlib.sha256(prev + canonical).digest()
        batch.append((*values, prev, log_chain.mac_of(key, prev)))
        key = log_chain.evolve(key)
        if len(batch) == 50_000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    conn.execute("UPDATE log_state SET head_seq = ?, head_hash = ?, mac_key = ?", (seq, prev, key))


def _log_metrics(app: App, key: bytes, count: int, out: TextIO, plain_path: Path) -> dict[str, Metric]:
    out.write(f"  appending {count:,} synthetic log entries...\n")
    started = time.perf_counter()
    conn = database.connect(app.paths.database, key)
    with database.transaction(conn):
        _bulk_log(conn, count)
    out.write(f"  log built in {time.perf_counter() - started:.1f} s\n")
    metrics: dict[str, Metric] = {}

    auditor = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
    vault, _session = app.auth.open_read_only(auditor.username, auditor.password)
    assert vault.log_key0 is not None
    started = time.perf_counter()  # the walk itself, after the auditor's key derivation
    report = log_chain.verify(vault.conn, vault.log_key0)
    seconds = time.perf_counter() - started
    vault.close()
    if not report.intact:
        raise RuntimeError(f"the benchmark log does not verify: {report.problems[0]}")
    rows = conn.execute(f"SELECT {log_chain._JSON} FROM access_log ORDER BY seq")
    started = time.perf_counter()
    h = bytes(32)
    for (canonical,) in rows:
        h = hashlib.sha256(h + canonical.encode()).digest()
    baseline = time.perf_counter() - started
    metrics["log_verify_entries_per_s"] = _metric(report.entries / seconds, "entries/s", report.entries / baseline,
                                                  "hashlib SHA-256 chain over the same canonical rows, one loop", 1)
    conn.close()

    officer = DEMO_ACCOUNTS[0]
    ws = app.auth.sign_in(officer.username, officer.password)
    refs = [r[0] for r in ws.conn.execute("SELECT ref FROM nominals WHERE bcu = ? AND status = 'active' LIMIT 40",
                                          (ws.session.bcu,))]
    it = iter(refs)
    appends = _samples_ms(lambda: app.records.open(ws, next(it), _WHY), len(refs))
    app.auth.sign_out(ws)
    plain = database.plain_connect(Path(tempfile.mkdtemp(prefix="gvm-bench-plainlog-")) / "log.db")
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = FULL")
    plain.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, at TEXT, who TEXT, action TEXT, ref TEXT, why TEXT)")

    def plain_append() -> None:
        plain.execute("BEGIN")
        plain.execute("INSERT INTO log (at, who, action, ref, why) VALUES ('t', 'u', 'record.open', 'N-1', 'why')")
        plain.execute("COMMIT")

    base = _samples_ms(plain_append, len(refs))
    metrics.update(_log_query_metric(app, count, plain_path, out))
    metrics["log_append_ms_p50"] = _metric(
        statistics.median(appends), "ms", statistics.median(base),
        "plain SQLite (WAL, synchronous=FULL): insert one row and commit; the product also reads the record, chains, "
        "MACs and writes the checkpoint file", len(refs))
    return metrics


def _log_query_metric(app: App, count: int, plain_path: Path, out: TextIO) -> dict[str, Metric]:
    """An auditor's filtered query, first page, against the same query on a plain copy holding the same log."""
    from gvm_desktop.services.log_queries import LogFilter

    out.write("  copying the synthetic log into the plain baseline...\n")
    plain = database.plain_connect(plain_path)
    with database.transaction(plain):
        _bulk_log(plain, count)
    auditor = next(a for a in DEMO_ACCOUNTS if a.role.value == "auditor")
    ws = app.auth.sign_in(auditor.username, auditor.password)
    rng = random.Random(5)
    refs = [f"N-{rng.randint(1, 100_000):06d}" for _ in range(10)]
    filters = [LogFilter(record_ref=r, actions=("record.open",)) for r in refs] + [
        LogFilter(actions=("matrix.status_check",), outcome="allowed")] * 5
    it = iter(filters)
    product = _samples_ms(lambda: app.log.search(ws, next(it)), len(filters))
    # Scrolling the unfiltered log: each page is the next 200 older entries (what the table fetches).
    cursor: list[int | None] = [None]

    def next_page() -> None:
        page = app.log.search(ws, LogFilter(), before_seq=cursor[0])
        cursor[0] = page.next_before

    scroll = _samples_ms(next_page, 20)
    app.auth.sign_out(ws)
    sql_ref = ("SELECT * FROM access_log WHERE record_ref = ? AND action IN ('record.open') ORDER BY seq DESC LIMIT 201")
    sql_act = ("SELECT * FROM access_log WHERE action IN ('matrix.status_check') AND outcome = 'allowed' "
               "ORDER BY seq DESC LIMIT 201")
    queries = [(sql_ref, (r,)) for r in refs] + [(sql_act, ())] * 5
    it2 = iter(queries)
    baseline = _samples_ms(lambda: plain.execute(*next(it2)).fetchall(), len(queries))
    top = plain.execute("SELECT max(seq) FROM access_log").fetchone()[0] + 1
    plain_cursor = [int(top)]

    def plain_page() -> None:
        rows = plain.execute("SELECT * FROM access_log WHERE seq < ? ORDER BY seq DESC LIMIT 201",
                             (plain_cursor[0],)).fetchall()
        plain_cursor[0] = rows[-2][0]

    scroll_base = _samples_ms(plain_page, 20)
    plain.close()
    return {"log_scroll_page_ms_p50": _metric(
        statistics.median(scroll), "ms", statistics.median(scroll_base),
        "plain SQLite: the same keyset page of 200 older entries, no checks", 20),
        "log_query_first_page_ms": _metric(
        statistics.median(product), "ms", statistics.median(baseline),
        "plain SQLite: the same filtered query on a decrypted copy with the same log (no log entry, no checks)",
        len(filters))}


def _reopen(app: App, vault: Vault, key: bytes) -> Vault:
    """Open the database with the already-derived key: what happens right after the key derivation."""
    conn = database.connect(app.paths.database, key)
    return Vault(app.paths, vault.slots, conn, key, app.env.device)
