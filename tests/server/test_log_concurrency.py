"""Many clients appending at once never fork the chain: the state row's lock puts them in one line."""

from __future__ import annotations

import itertools
import threading

from gvm_desktop.server import log_sql, log_verify
from gvm_desktop.server.roles import GROUP_ROLES
from tests.server.conftest import ServerLog
from tests.server.test_log_grants import entry

CLIENTS = 8
EACH = 200


def test_eight_clients_appending_200_entries_each_keep_one_chain(server_log: ServerLog) -> None:
    start = threading.Barrier(CLIENTS)
    failures: list[BaseException] = []
    seqs: list[list[int]] = [[] for _ in range(CLIENTS)]

    def client(n: int) -> None:
        group = GROUP_ROLES[n % len(GROUP_ROLES)]
        try:
            with server_log.as_member(group) as conn:
                start.wait()
                for i in range(EACH):
                    seqs[n].append(log_sql.append(conn, entry(group, n * EACH + i)).seq)
                    conn.commit()  # one transaction per entry, as a service's operation has
        except BaseException as exc:  # reported below, with every client's
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures

    total = 1 + CLIENTS * EACH
    assert sorted(s for mine in seqs for s in mine) == list(range(2, total + 1))
    assert all(mine == sorted(mine) for mine in seqs)
    with server_log.as_member("gvm_auditor") as auditor:
        rows = list(log_sql.rows(auditor, 1, total))
        report = log_verify.verify(auditor, server_log.init.key0)
    assert [r.seq for r in rows] == list(range(1, total + 1))
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in itertools.pairwise(rows))
    assert all(earlier.at_utc <= later.at_utc for earlier, later in itertools.pairwise(rows))
    assert len({r.fields[9] for r in rows[1:]}) == CLIENTS * EACH  # each client's every entry, once
    assert report.intact, report.problems
    assert (report.entries, report.head_seq) == (total, total)
