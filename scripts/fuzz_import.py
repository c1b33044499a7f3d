"""Fuzz the import readers outside the test suite: seeded CSV and XLSX inputs, the outcomes counted.

    .venv/bin/python scripts/fuzz_import.py --count 100000 --seed 1

Each input has its own seed (printed with any failure, and `--replay SEED` runs that one input again).
The only allowed outcomes of read_table are a SourceTable that keeps the readers' promises, or an
ImportFileError; anything else - another exception, a broken promise, or the process dying (calamine is
native code: an abort cannot be caught) - is a failure. Inputs run in a child process, in blocks, so a
dying child is reported with the seed it was on and the run goes on.

tests/ingest/test_fuzz_short.py runs `run_inputs` from here with a few hundred inputs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import time
import traceback
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for gvm_desktop and tests.support

from gvm_desktop.ingest.read import read_table_bytes
from gvm_desktop.ingest.table import ImportFileError, SourceTable
from tests.support.workbooks import Value, billion_laughs, minimal_xlsx, package, xlsx_bytes

# -- what an input is made of ----------------------------------------------------------------------------

_WORDS = ["Jo", "Bloggs", "Sam Smith", "O'Brien", "Renée", "Zoë", "محمد", "שׂרה", "👩🏽‍🚒", "Ａｌｉ", "RED", "W1",
          "1990-02-01", "01/02/1990", "32905", "-3", "+44", "3.5", "TRUE", "", " ", "  padded  ", "a,b", 'say "hi"',
          "line\nbreak", "tab\there", "\u202eevil", "\ufeffbom"]
_FORMULAS = ["null\x00byte", "=1+1", '=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-cmd|' /C calc'!A0", "@SUM(A1)",
             "\t=1", "\r=1", "=", "+", "-", "@"]
_HEADERS = ["Name", "Date of birth", "Nickname", "Ethnicity", "Gang", "Score", "Notes", "name", " Name ", ""]


def _cell_text(rng: random.Random) -> str:
    # Most cells are ordinary so that most inputs get past the first check; a few per input are hostile.
    roll = rng.random()
    if roll < 0.9:
        return rng.choice(_WORDS)
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(_WORDS)
    if roll < 0.65:
        return rng.choice(_FORMULAS)
    if roll < 0.75:
        return str(rng.choice([rng.randint(-10**6, 10**6), rng.uniform(-1e6, 1e6)]))
    if roll < 0.80:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 12)))
    if roll < 0.83:
        return rng.choice("xé’🙂") * rng.choice([32_766, 32_767, 32_768, 40_000])
    return "".join(rng.choice("abcdefghij ,;\"'\n\r\t") for _ in range(rng.randint(0, 20)))


def _cell_value(rng: random.Random) -> Value:
    roll = rng.random()
    if roll < 0.6:
        return _cell_text(rng)
    if roll < 0.75:
        return rng.choice([rng.randint(-10**9, 10**9), rng.uniform(-1e9, 1e9), 0, -3, 32905])
    if roll < 0.82:
        return rng.choice([True, False])
    if roll < 0.9:
        return rng.choice([date(1990, 2, 1), datetime(2001, 9, 9, 1, 46, 40), date(1900, 3, 1)])
    return None


def _grid(rng: random.Random, value: Callable[[random.Random], object]) -> list[list[object]]:
    width = rng.randint(0, 8)
    header: list[object] = [f"{rng.choice(_HEADERS)} {i}" for i in range(width)]
    if width and rng.random() < 0.2:  # a duplicate, blank or odd header now and then
        header[rng.randrange(width)] = rng.choice(_HEADERS) if rng.random() < 0.7 else value(rng)
    rows: list[list[object]] = [header]
    overhang = 1 if rng.random() < 0.1 else 0  # cells past the last named column, in some inputs
    for _ in range(rng.randint(0, 25)):
        if rng.random() < 0.08:
            rows.append([])
        else:
            rows.append([value(rng) for _ in range(rng.randint(0, width + overhang))])
    return rows


def _reason(exc: ImportFileError) -> str:
    text = str(exc).split(": ", 1)[-1] if exc.row is not None or exc.column is not None else str(exc)
    return " ".join(text.split()[:5])


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            break
        roll = rng.random()
        i = rng.randrange(len(out))
        if roll < 0.35:
            out[i] = rng.randrange(256)
        elif roll < 0.55:
            out.insert(i, rng.choice([0, 0x81, 0x8D, 0xFF, 0xEF, ord('"'), ord("\n"), ord("\r"), ord(",")]))
        elif roll < 0.7:
            del out[i:i + rng.randint(1, 64)]
        elif roll < 0.85:
            del out[rng.randrange(len(out)):]
        else:
            j = rng.randrange(len(out))
            out[i:i] = out[j:j + rng.randint(1, 256)]
    return bytes(out)


@dataclass(frozen=True)
class Input:
    seed: int
    kind: str
    data: bytes
    options: dict[str, object]


def make_csv(rng: random.Random, seed: int) -> Input:
    buffer = io.StringIO()
    delimiter = rng.choice([",", ",", ",", ";", "\t", "|"])
    csv.writer(buffer, delimiter=delimiter, lineterminator=rng.choice(["\r\n", "\n", "\r"])).writerows(
        _grid(rng, _cell_text))
    text = buffer.getvalue()
    codec = rng.choice(["utf-8"] * 6 + ["utf-8-sig"] * 2 + ["cp1252"] * 3 + ["utf-16"])
    data = text.encode(codec, errors="replace") if codec != "utf-8" else text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.4:
        data = _mutate_bytes(rng, data)
    options: dict[str, object] = {
        "encoding": rng.choice(["auto"] * 12 + ["utf-8", "cp1252", "latin-1", "nonsense"]),
        "delimiter": delimiter if rng.random() < 0.95 else rng.choice([",", ";", "", '"', "ab"]),
        "header_row": rng.choice([1] * 12 + [2, 3, 0, 40]),
    }
    return Input(seed, "csv", data, options)


def _replace_in_parts(rng: random.Random, data: bytes) -> bytes:
    """A valid package with one XML part damaged inside (so its checksum is right and calamine reads it)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = source.namelist()
    target = rng.choice(names)
    parts: dict[str, str | bytes] = {n: source.read(n) for n in names}
    body = parts[target]
    assert isinstance(body, bytes)
    roll = rng.random()
    snippets = [b"<f>1+1</f>", b'<c r="B2"><f>SUM(A1)</f><v>1</v></c>', b'<mergeCell ref="A1:B1"/>',
                b'<mergeCells count="1"><mergeCell ref="A3:C4"/></mergeCells>', b'<c r="XFD1048576"><v>1</v></c>',
                b'<row r="999999"><c r="A999999"><v>1</v></c></row>', b'<dimension ref="A1:Z90000"/>',
                b'uniqueCount="99999999"', b'<c r="A1" t="s"><v>999999</v></c>', b'<c r="A1" t="e"><v>#N/A</v></c>',
                b'<c r="C1" t="d"><v>2024-13-45T99:00</v></c>', b'<c r="A2" t="n"><v>NaN</v></c>',
                b'<c r="A2" t="n"><v>1e400</v></c>', b'<c r="a2"><v>1</v></c>', b'<c r="+2"><v>1</v></c>',
                b'<c r="A2" r="XFD1048576"><v>1</v></c>', b'<c t="n" r="ZZ99999"><v>1</v></c>', b"<c><v>1</v></c>" * 300,
                b"<workbookPr date1904=\"1\"/>", b"&amp;", b"&#0;", b"&#xD800;", b"<![CDATA[<f>]]>", b"<!-- <f> -->"]
    if roll < 0.3:
        i = rng.randrange(len(body) + 1)
        body = body[:i] + rng.choice(snippets) + body[i:]
    elif roll < 0.45:
        body = billion_laughs("x").encode() + body.split(b"?>", 1)[-1] if rng.random() < 0.5 else body
    elif roll < 0.6:
        body = body.replace(b'r="', b'r="' + rng.choice([b"1", b"Z", b"99", b"-", b""]), rng.randint(1, 3))
    else:
        body = _mutate_bytes(rng, body)
    parts[target] = body
    if rng.random() < 0.1:
        del parts[rng.choice(names)]
    return package(parts)


def make_xlsx(rng: random.Random, seed: int) -> Input:
    roll = rng.random()
    if roll < 0.35:
        data = minimal_xlsx(_grid(rng, _cell_value), sheet=rng.choice(["Matrix", "Sheet1", "שׂרה", "a&b"]),
                            date1904=rng.random() < 0.2)
    else:
        rows = _grid(rng, _cell_value)
        formulas = {"B2": '=HYPERLINK("http://x","y")'} if rng.random() < 0.15 else None
        merges = [rng.choice(["A1:B1", "A3:A4", "B2:C2", "A30:B31"])] if rng.random() < 0.15 else []
        data = xlsx_bytes(rows, sheet=rng.choice(["Matrix", "Sheet1"]), formulas=formulas,
                          merges=merges, date1904=rng.random() < 0.2, dates_as=rng.choice(["dates", "serials"]))
    mutation = rng.random()
    if mutation < 0.35:
        data = _replace_in_parts(rng, data)
    elif mutation < 0.5:
        data = _mutate_bytes(rng, data)
    options: dict[str, object] = {
        "sheet": rng.choice([None] * 8 + ["Matrix", "Sheet1", "nope"]),
        "header_row": rng.choice([1] * 8 + [2, 5]),
    }
    return Input(seed, "xlsx", data, options)


def make_input(seed: int) -> Input:
    rng = random.Random(seed)
    return make_csv(rng, seed) if rng.random() < 0.5 else make_xlsx(rng, seed)


# -- what counts as a failure -----------------------------------------------------------------------------

def broken_promises(table: SourceTable) -> list[str]:
    """The readers' contract (ingest/table.py) checked on a table they returned."""
    problems: list[str] = []
    width = len(table.headers)
    previous = table.header_row
    for row in table.rows:
        if len(row.cells) != width:
            problems.append(f"row {row.number} has {len(row.cells)} cells for {width} headers")
        if row.number <= previous:
            problems.append(f"row {row.number} is not after row {previous}")
        previous = row.number
        for cell in row.cells:
            if isinstance(cell, str) and (not cell or cell != cell.strip()):
                problems.append(f"row {row.number} has an untrimmed or empty text cell")
            if isinstance(cell, str) and cell[:1] in ("=", "@"):
                problems.append(f"row {row.number} has formula-like text")
    if table.rows and table.rows[-1].empty:
        problems.append("a trailing empty row was kept")
    if len({h.casefold() for h in table.headers if h}) != len([h for h in table.headers if h]):
        problems.append("duplicate headers")
    return problems


@dataclass
class Outcomes:
    counts: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, object]] = field(default_factory=list)


def run_one(item: Input, outcomes: Outcomes) -> None:
    try:
        table = read_table_bytes(item.data, **item.options)  # type: ignore[arg-type]
    except ImportFileError as exc:
        text = str(exc)
        outcomes.counts[f"{item.kind} refused"] += 1
        outcomes.reasons[f"{item.kind}: {_reason(exc)}"] += 1
        if "Traceback" in text or "\n" in text.strip():
            outcomes.failures.append({"seed": item.seed, "kind": item.kind, "why": "multi-line error message"})
        return
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcomes.failures.append({"seed": item.seed, "kind": item.kind, "why": f"{type(exc).__name__}",
                                  "trace": traceback.format_exc(limit=6)[-1500:]})
        return
    problems = broken_promises(table)
    if problems:
        outcomes.failures.append({"seed": item.seed, "kind": item.kind, "why": "; ".join(problems[:3])})
    outcomes.counts[f"{item.kind} read"] += 1


def run_inputs(first_seed: int, count: int, *, on_seed: Callable[[int], None] | None = None) -> Outcomes:
    """Inputs first_seed .. first_seed+count-1, in this process."""
    outcomes = Outcomes()
    for seed in range(first_seed, first_seed + count):
        if on_seed is not None:
            on_seed(seed)
        run_one(make_input(seed), outcomes)
    return outcomes


# -- the whole import on a small vault: dry run and commit, all or nothing ----------------------------------

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


class VaultRun:
    """A demo vault (cheap KDF, in-memory keyring) with its SPOC signed in, and the shipped sample to vary.

    Each input is the sample with some cells, rows or bytes changed (names made new, so that commits do
    happen); it goes through dry_run and, when nothing blocks it, commit. Allowed: a report, or a GvmError with
    the vault's people, evidence and proposals exactly as before. A commit must add exactly the rows the dry
    run said it would.
    """

    def __init__(self, folder: Path, people: int = 20) -> None:
        from gvm_desktop.app import build_app
        from gvm_desktop.core.clock import ManualClock
        from gvm_desktop.core.demo_accounts import DEMO_ACCOUNTS
        from gvm_desktop.core.import_mapping import parse_mapping
        from gvm_desktop.core.policy import Role
        from gvm_desktop.ingest.read import read_table
        from gvm_desktop.store.slot import TEST_KDF
        from tests.support.memory_keyring import MemoryKeyring

        self.folder = folder
        self.app = build_app(folder / "vault", clock=ManualClock(), keyring_backend=MemoryKeyring(), kdf=TEST_KDF,
                             workstation="ws-fuzz-01", tz="UTC")
        self.app.auth.sign_out(self.app.create_demo(people).workspace)
        spoc = next(a for a in DEMO_ACCOUNTS if a.role == Role.SPOC)
        self.ws = self.app.auth.sign_in(spoc.username, spoc.password)
        toml = SAMPLES / "legacy-matrix.toml"
        self.mapping = parse_mapping(toml.read_text(encoding="utf-8"), toml.name)
        self.sample = read_table(SAMPLES / "legacy-matrix.xlsx", sheet=self.mapping.sheet,
                                 header_row=self.mapping.header_row)
        self.surname = self.sample.headers.index(self.mapping.columns["family_name"])

    def counts(self) -> tuple[int, ...]:
        from tests.support.vault_access import conn_of

        conn = conn_of(self.ws)
        return tuple(int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
                     for table in ("nominals", "evidence", "proposals"))

    def variant(self, seed: int) -> tuple[str, bytes]:
        rng = random.Random(seed)
        rows: list[list[object]] = [list(r.cells) for r in self.sample.rows]
        if rng.random() < 0.8:
            for row in rows:
                row[self.surname] = f"{row[self.surname]} {seed}"
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 5])):
            row = rng.choice(rows)
            row[rng.randrange(len(row))] = _cell_value(rng)
        roll = rng.random()
        if roll < 0.1:
            rows.insert(rng.randrange(len(rows)), list(rng.choice(rows)))
        elif roll < 0.15:
            rows.insert(rng.randrange(len(rows)), [None] * len(self.sample.headers))
        elif roll < 0.2:
            rows = rows[:rng.randrange(len(rows))]
        headers: list[object] = list(self.sample.headers)
        if rng.random() < 0.05:
            headers[rng.randrange(len(headers))] = rng.choice(["", "Surname", "=x"])
        grid = [headers, *rows]
        if rng.random() < 0.75:
            name, data = "v.xlsx", xlsx_bytes(grid, sheet=self.mapping.sheet or "Matrix")
        else:
            buffer = io.StringIO()
            csv.writer(buffer).writerows([[_csv_text(c) for c in r] for r in grid])
            name, data = "v.csv", buffer.getvalue().encode("utf-8", errors="surrogatepass")
        if rng.random() < 0.15:
            data = _mutate_bytes(rng, data)
        return name, data

    def run_one(self, seed: int, outcomes: Outcomes) -> None:
        from gvm_desktop.core.errors import GvmError

        name, data = self.variant(seed)
        path = self.folder / name
        path.write_bytes(data)
        before = self.counts()
        stage = "dry run"
        try:
            report = self.app.importing.dry_run(self.ws, path, self.mapping)
            if self.counts() != before:
                outcomes.failures.append({"seed": seed, "kind": "vault", "why": "a dry run changed the vault"})
                return
            stage = "commit"
            if report.blocking:
                outcomes.counts["vault dry run blocked"] += 1
                if seed % 3:
                    return
            done = self.app.importing.commit(self.ws, path, self.mapping, expected_sha256=report.sha256)
            added = sum(1 for r in done.rows if r.ref)
            if report.blocking or self.counts()[0] != before[0] + added or added != report.counts["add"]:
                outcomes.failures.append({"seed": seed, "kind": "vault", "why": "a commit added other than the dry "
                                          f"run said: {before} -> {self.counts()}, {report.counts}"})
                return
            outcomes.counts["vault committed"] += 1
        except GvmError:
            outcomes.counts[f"vault refused at {stage}"] += 1
            if self.counts() != before:
                outcomes.failures.append({"seed": seed, "kind": "vault", "why": f"refused at {stage} yet the "
                                          f"vault changed: {before} -> {self.counts()}"})
        except Exception as exc:  # anything else is the failure this run looks for
            outcomes.failures.append({"seed": seed, "kind": "vault", "why": type(exc).__name__,
                                      "trace": traceback.format_exc(limit=8)[-1500:]})
        finally:
            path.unlink(missing_ok=True)


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.strftime("%d/%m/%Y")
    return str(value)


def run_vault_inputs(folder: Path, first_seed: int, count: int) -> Outcomes:
    run = VaultRun(folder)
    outcomes = Outcomes()
    for seed in range(first_seed, first_seed + count):
        run.run_one(seed, outcomes)
    return outcomes


# -- the long run: blocks in a child process, so an abort in native code is reported, not fatal ----------

def _worker(first_seed: int, count: int, progress_file: str) -> int:
    fd = os.open(progress_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    def note(seed: int) -> None:
        os.pwrite(fd, f"{seed:>20}".encode(), 0)

    outcomes = run_inputs(first_seed, count, on_seed=note)
    print(json.dumps({"counts": dict(outcomes.counts), "reasons": dict(outcomes.reasons),
                      "failures": outcomes.failures}))
    return 0


def _blocks(first: int, count: int, size: int) -> Iterator[tuple[int, int]]:
    end = first + count
    while first < end:
        yield first, min(size, end - first)
        first += size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="inputs to try (default 10,000)")
    parser.add_argument("--seed", type=int, default=1, help="first input's seed; inputs use seed, seed+1, ...")
    parser.add_argument("--block", type=int, default=2_000, help="inputs per child process (default 2,000)")
    parser.add_argument("--replay", type=int, metavar="SEED", help="run the one input with this seed, here")
    parser.add_argument("--save", type=Path, metavar="FILE", help="with --replay: also write the input's bytes")
    parser.add_argument("--vault", action="store_true",
                        help="run the whole dry run + commit on a small demo vault for each input (slower)")
    parser.add_argument("--worker", nargs=3, metavar=("FIRST", "COUNT", "PROGRESS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(int(args.worker[0]), int(args.worker[1]), args.worker[2])
    if args.replay is not None:
        item = make_input(args.replay)
        if args.save:
            args.save.write_bytes(item.data)
        outcomes = Outcomes()
        run_one(item, outcomes)
        print(item.kind, item.options, dict(outcomes.counts), outcomes.failures)
        return 1 if outcomes.failures else 0
    if args.vault:
        return _vault_run(args.seed, args.count)
    return _long_run(args.seed, args.count, args.block)


def _vault_run(first_seed: int, count: int) -> int:
    import tempfile

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gvm-fuzz-import-") as tmp:
        outcomes = run_vault_inputs(Path(tmp), first_seed, count)
    elapsed = time.perf_counter() - started
    print(f"{count:,} vault inputs in {elapsed:,.1f} s, seeds {first_seed}..{first_seed + count - 1}")
    for name, n in sorted(outcomes.counts.items()):
        print(f"  {name:>26}: {n:,}")
    for failure in outcomes.failures[:50]:
        print("FAILURE", json.dumps(failure)[:2000])
    print("result:", "PASS (all or nothing held)" if not outcomes.failures else f"FAIL ({len(outcomes.failures)})")
    return 1 if outcomes.failures else 0


def _long_run(first_seed: int, count: int, block: int) -> int:
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    failures: list[dict[str, object]] = []
    done = 0
    progress = Path(os.environ.get("TMPDIR", "/tmp")) / f"gvm-fuzz-import-{os.getpid()}.seed"
    for first, size in _blocks(first_seed, count, block):
        while size > 0:
            child = subprocess.run([sys.executable, __file__, "--worker", str(first), str(size), str(progress)],
                                   capture_output=True, text=True)
            if child.returncode == 0:
                result = json.loads(child.stdout.strip().splitlines()[-1])
                totals.update(result["counts"])
                reasons.update(result["reasons"])
                failures.extend(result["failures"])
                done += size
                break
            # The child died (an abort or a signal): the seed it was on is the failure; go on after it.
            dead = int(progress.read_text().strip() or first)
            failures.append({"seed": dead, "kind": make_input(dead).kind,
                             "why": f"process died with exit {child.returncode}",
                             "trace": child.stderr[-800:]})
            totals["process died"] += 1
            done += dead - first + 1
            size -= dead - first + 1
            first = dead + 1
        elapsed = time.perf_counter() - started
        print(f"{done:,} inputs, {len(failures)} failures, {elapsed:,.0f} s", flush=True)
    progress.unlink(missing_ok=True)
    elapsed = time.perf_counter() - started
    print(f"\n{done:,} inputs in {elapsed:,.1f} s ({done / max(elapsed, 1e-9):,.0f}/s), seeds {first_seed}.."
          f"{first_seed + count - 1}")
    for name, n in sorted(totals.items()):
        print(f"  {name:>16}: {n:,}")
    print("  most frequent refusals:")
    for name, n in reasons.most_common(25):
        print(f"    {n:>8,}  {name}")
    for failure in failures[:50]:
        print("FAILURE", json.dumps(failure)[:2000])
    print("result:", "PASS (only tables and ImportFileError)" if not failures else f"FAIL ({len(failures)} failures)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
