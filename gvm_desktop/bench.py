"""`gvm-desktop bench`: the product's speed, each figure beside a plain baseline from the same run.

A developer tool, so it may reach into store/ for its baselines (the plain
SQLite copy, the bare Argon2id call); the application's front ends may not.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from gvm_desktop import __version__
from gvm_desktop.app import App, build_app
from gvm_desktop.services.vaults import DEMO_ACCOUNTS
from gvm_desktop.store import database
from gvm_desktop.store.keyslots import _argon2

Metric = dict[str, Any]


def _median_s(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _metric(value: float, unit: str, baseline: float, what: str, n: int) -> Metric:
    return {"value": round(value, 6), "unit": unit, "baseline": round(baseline, 6), "baseline_what": what, "n": n}


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


def run_bench(app: App, *, nominals: int, log_entries: int, json_path: Path | None, out: TextIO) -> int:
    """Builds a throw-away demo vault (the real Argon2id cost) and measures it."""
    officer = DEMO_ACCOUNTS[0]
    metrics: dict[str, Metric] = {}
    with tempfile.TemporaryDirectory(prefix="gvm-bench-") as tmp:
        bench_app = build_app(Path(tmp) / "vault", kdf=app.env.kdf, keyring_backend=None, workstation="bench")
        out.write(f"Building a demo vault of {nominals} people (real Argon2id cost)...\n")
        bench_app.auth.sign_out(bench_app.create_demo(nominals).workspace)

        runs = 5
        unlock = _median_s(lambda: bench_app.auth.sign_out(bench_app.auth.sign_in(officer.username, officer.password)), runs)
        kdf = app.env.kdf
        bare = _median_s(lambda: _argon2(officer.password.encode(), b"0123456789abcdef", kdf), runs)
        metrics["unlock_s"] = _metric(unlock, "s", bare, f"bare Argon2id t={kdf.time_cost} m={kdf.memory_kib}KiB "
                                      f"p={kdf.parallelism} (the unlock is that plus slot, HPKE and DB open)", runs)

        ws = bench_app.auth.sign_in(officer.username, officer.password)
        key = bytes(ws.vault._key)
        bcu = ws.session.bcu
        bench_app.auth.sign_out(ws)
        plain = Path(tmp) / "plain.db"
        _plain_copy(bench_app, key, plain)
        query = "SELECT status, count(*) FROM nominals WHERE bcu = ? GROUP BY status"

        def open_encrypted() -> None:
            conn = database.connect(bench_app.paths.database, key)
            conn.execute(query, (bcu,)).fetchall()
            conn.close()

        def open_plain() -> None:
            conn = sqlite3.connect(plain)
            conn.execute(query, (bcu,)).fetchall()
            conn.close()

        runs = 20
        metrics["vault_open_s"] = _metric(_median_s(open_encrypted, runs), "s", _median_s(open_plain, runs),
                                          "plain SQLite: open the decrypted copy and run the same first query", runs)
    if log_entries:
        out.write("log_entries: the access-log benchmarks arrive with the access-log issue; not measured.\n")
    report = {"machine": _machine(), "metrics": metrics}
    for name, m in metrics.items():
        out.write(f"{name:<16} {m['value']:>10.4f} {m['unit']:<3} baseline {m['baseline']:.4f} ({m['baseline_what']})\n")
    if json_path:
        json_path.write_text(json.dumps(report, indent=2) + "\n")
        out.write(f"Wrote {json_path}\n")
    return 0
