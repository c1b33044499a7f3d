"""Keyed BLAKE2b-256 (RFC 7693's MAC mode) as a PL/pgSQL function, generated here.

The vault MACs each entry hash with keyed BLAKE2b (store/log_chain.py `mac_of`), and the server
must produce the same bytes so that one verifier covers both. pgcrypto cannot: its `digest` takes
no key and no output length (both are in BLAKE2b's parameter block, not a truncation), and its
`hmac` is the HMAC construction. So the compression function is written out in PL/pgSQL, unrolled
(12 rounds of 8 G mixes, the message schedule resolved here), over 64-bit words kept in `bigint`.

`bigint` is signed and its `+` raises on overflow, so addition modulo 2**64 goes through `_add`:
when the operands' signs differ their sum cannot overflow; when they agree, flipping the top bit of
one makes them differ, and flipping it back afterwards restores the sum modulo 2**64. `>>` is
arithmetic, so a rotation masks the shifted-down part.
"""

from __future__ import annotations

_IV = (0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
       0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179)
_SIGMA = ((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
          (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
          (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
          (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
          (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
          (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
          (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
          (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
          (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
          (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0))
_MIXES = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
          (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))
_TOP = "(-9223372036854775807 - 1)"  # 0x8000000000000000 as a bigint


def _signed(word: int) -> str:
    value = word - (1 << 64) if word >= 1 << 63 else word
    return f"({value})" if value < 0 else str(value)


def _add(target: str, a: str, b: str) -> str:
    return (f"{target} := CASE WHEN ({a} # {b}) < 0 THEN {a} + {b} "
            f"ELSE ({a} + ({b} # {_TOP})) # {_TOP} END;")


def _rotr(target: str, a: str, b: str, n: int) -> str:
    """target := (a XOR b) rotated right by n bits."""
    mask = (1 << (64 - n)) - 1
    return f"{target} := ((({a} # {b}) >> {n}) & {_signed(mask)}) | (({a} # {b}) << {64 - n});"


def _mix(a: str, b: str, c: str, d: str, x: str, y: str) -> list[str]:
    return [_add(a, a, b), _add(a, a, x), _rotr(d, d, a, 32), _add(c, c, d), _rotr(b, b, c, 24),
            _add(a, a, b), _add(a, a, y), _rotr(d, d, a, 16), _add(c, c, d), _rotr(b, b, c, 63)]


def _word(block: str, index: int) -> str:
    """The little-endian 64-bit word `index` of a 128-byte bytea."""
    parts = [f"(get_byte({block}, {8 * index + j})::bigint << {8 * j})" for j in range(8)]
    return " | ".join(parts)


def _compress() -> list[str]:
    """One compression of `block` (counter `t`, last block when `final`), as a loop over the 12 rounds.

    Written once and run in loops, not unrolled: PL/pgSQL prepares each expression once per
    transaction, and 1,500 unrolled ones cost 2.5 ms at a transaction's first call (measured),
    five times the MAC itself. The round's message words are picked through `sigma` into w0..w15.
    """
    lines = [f"m[{i + 1}] := {_word('block', i)};" for i in range(16)]
    lines += [f"v{i} := h{i};" for i in range(8)]
    lines += [f"v{8 + i} := {_signed(_IV[i])};" for i in range(8)]
    lines += ["v12 := v12 # t;", "IF final THEN v14 := ~v14; END IF;", "FOR r IN 0..11 LOOP"]
    lines += [f"  w{k} := m[sigma[(r % 10) * 16 + {k + 1}] + 1];" for k in range(16)]
    for i, (a, b, c, d) in enumerate(_MIXES):
        lines += ["  " + line for line in _mix(f"v{a}", f"v{b}", f"v{c}", f"v{d}", f"w{2 * i}", f"w{2 * i + 1}")]
    lines.append("END LOOP;")
    lines += [f"h{i} := h{i} # v{i} # v{i + 8};" for i in range(8)]
    return lines


def mac_function(name: str) -> str:
    """CREATE FUNCTION `name`(key bytea, msg bytea) RETURNS bytea: keyed BLAKE2b-256 of a 32-byte message
    under a 32-byte key, byte for byte `hashlib.blake2b(msg, key=key, digest_size=32)`."""
    sigma = ", ".join(str(x) for row in _SIGMA for x in row)
    declare = [f"h{i} bigint;" for i in range(8)] + [f"v{i} bigint;" for i in range(16)] + \
        [f"w{i} bigint;" for i in range(16)] + [
            "m bigint[] := array_fill(0::bigint, ARRAY[16]);", f"sigma int[] := ARRAY[{sigma}];",
            "block bytea;", "t bigint;", "final boolean;", "out bytea := '\\x' || repeat('00', 32);"]
    # Parameter block word 0: digest length 32, key length 32, fanout 1, depth 1.
    body = [f"h{i} := {_signed(_IV[i])};" for i in range(8)]
    body.append(f"h0 := h0 # {0x01010000 | (32 << 8) | 32};")
    # Two blocks: the key padded to a whole block, then the message padded, the last (128 + 32 bytes in).
    body.append("FOR blk IN 0..1 LOOP")
    body.append("  block := CASE WHEN blk = 0 THEN key ELSE msg END || ('\\x' || repeat('00', 96))::bytea;")
    body.append("  t := CASE WHEN blk = 0 THEN 128 ELSE 160 END;")
    body.append("  final := blk = 1;")
    body += ["  " + line for line in _compress()]
    body.append("END LOOP;")
    for i in range(4):
        body += [f"out := set_byte(out, {8 * i + j}, ((h{i} >> {8 * j}) & 255)::int);" for j in range(8)]
    body.append("RETURN out;")
    return (f"CREATE FUNCTION {name}(key bytea, msg bytea) RETURNS bytea\n"
            "LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $mac$\n"
            "DECLARE\n  " + "\n  ".join(declare) + "\nBEGIN\n"
            "  IF octet_length(key) <> 32 OR octet_length(msg) <> 32 THEN\n"
            "    RAISE EXCEPTION 'keyed BLAKE2b here takes a 32-byte key and a 32-byte message';\n"
            "  END IF;\n  " + "\n  ".join(body) + "\nEND\n$mac$;\n")
