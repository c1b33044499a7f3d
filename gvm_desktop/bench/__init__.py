"""`gvm-desktop bench`: the product's speed, each figure beside a plain baseline from the same run.

Not product code. Nothing imports this package but the CLI's `bench` command
(import-linter, pyproject.toml), and it imports neither the GUI, the CLI nor Qt.

The contract, checked by tests/test_bench_contract.py:
- The product is measured through its public API only: the services (through
  `gvm_desktop.app` and `gvm_desktop.services`), `core`, `reports`, and the store's
  public names (`Vault`, `load_slots`, `database.connect`, the units of
  `store/unit.py` and their repositories, `keyslots`). No private name of
  gvm_desktop is imported, no private attribute (`._x`) of anything is read, no
  `.conn` is touched and no SQL is run on a vault.
- Where a figure starts after the key derivation or needs the data decrypted, the
  bench holds the data key through `keyslots.open_data_key` and makes its copy with
  `keyslots.export_plaintext` (fixture.py), both public and meant for it alone (the export refuses any
  vault not marked DEMO).
- The baselines use the libraries directly: argon2-cffi's `hash_secret_raw` with the
  vault's `KdfParams`, hashlib, and plain SQLite (the same build without a key, through
  `store.database.plain_connect`: Python's own sqlite3 is too old for the vault's FTS5
  index). `plain.py` holds the SQL ones, imports nothing from gvm_desktop but
  `plain_connect`, and is the only module that runs SQL: on the decrypted copy and
  scratch files the bench made, never on a vault.
"""
