"""Stable identifiers for findings, shared by every check.

A finding's id must stay the same from one sync to the next for the same problem, so that the
operator's decisions (a dismissed pair, a value declared fine) stick. It is therefore a hash of
*what the problem is about* — the check, the kind of problem and its data (contact ids, field
names, sorted member ids) — never of row positions, and never of anything that changes by itself
(today's date, a count of days).

Use:

- `finding_id(check, kind, *parts) -> str` for one id (16 lowercase hex characters);
- `finding_id_expr(check, kind, *parts) -> pl.Expr` inside a polars query, where each part is
  an expression (or a column name); it gives exactly the same text as `finding_id` row by row;
- `hash_text(text) -> str` / `hash_text_series(series)`: the same hash over one already-joined
  text (used for data fingerprints in `gomoq.state.decisions`).

Parts are joined with the unit separator (U+001F), null parts become U+0000, and the text is
hashed as UTF-8 bytes with the 64-bit hash below, seeded by the hash of check and kind.

Why not `hashlib` or polars' `hash`: `hashlib.blake2b` per row costs ~1 s per million rows in
this budget (all checks must run in ≤ 5 s on a million contacts), and polars documents that its
`hash` may change between versions — an upgrade would silently orphan every stored decision.
So the hash is our own, fixed forever: a word-wise xor–multiply over the UTF-8 bytes
padded with zeros to a multiple of 8, seeded with the byte length, finished with the splitmix64
avalanche. It is not cryptographic (it need not be: ids only name findings), and a vectorised
polars path computes it for a whole column in a few dozen column operations. Changing it changes
every id: don't.
"""

from __future__ import annotations

from typing import Final

import polars as pl
import pyarrow as pa

SEP: Final = "\x1f"
NULL: Final = "\x00"

_MASK: Final = (1 << 64) - 1
_SEED: Final = 0x9E3779B97F4A7C15
_MUL: Final = 0xFF51AFD7ED558CCD
_LEN_MUL: Final = 0xC2B2AE3D27D4EB4F
_CHUNK: Final = 1_000_000  # rows per vectorised batch: bounds the word columns' memory


def _mix64(h: int) -> int:
    """splitmix64's finaliser (Steele, Lea & Flood 2014)."""
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


def hash_bytes(data: bytes, seed: int = _SEED) -> int:
    """The 64-bit hash of `data` (the reference definition; the polars path must equal it).

    Word-wise `h = (h ^ word) * MUL` over little-endian 8-byte words (the last one padded with
    zeros), from `seed ^ len * LEN_MUL`, then the splitmix64 finaliser. Each step is a
    bijection of the state, so inputs of one length that differ in a single word never collide.
    """
    h = (seed ^ ((len(data) * _LEN_MUL) & _MASK)) & _MASK
    padded = data + b"\x00" * (-len(data) % 8)
    for i in range(0, len(padded), 8):
        h = ((h ^ int.from_bytes(padded[i : i + 8], "little")) * _MUL) & _MASK
    return _mix64(h)


def _hex(value: int) -> str:
    return value.to_bytes(8, "little").hex()


def hash_text(text: str, seed: int = _SEED) -> str:
    """16 hex characters naming `text` (UTF-8): its hash's 8 little-endian bytes, in hex."""
    return _hex(hash_bytes(text.encode("utf-8"), seed))


def kind_seed(check: str, kind: str) -> int:
    """The hash seed of one (check, kind): ids of different checks or kinds never mix."""
    return hash_bytes(f"{check}{SEP}{kind}".encode())


def join_parts(*parts: object) -> str:
    """The text hashed for a finding id: the parts' `str()` joined by U+001F (None: U+0000)."""
    return SEP.join(NULL if p is None else str(p) for p in parts)


def finding_id(check: str, kind: str, *parts: object) -> str:
    """The stable id of one finding: `hash_text(join_parts(*parts), kind_seed(check, kind))`.

    Parts are turned into text with `str()` (None becomes U+0000). Pass contact ids, field
    names, raw values — whatever identifies the problem — in a fixed order; for a set of
    contacts (a duplicate cluster) pass them sorted.
    """
    return hash_text(join_parts(*parts), kind_seed(check, kind))


def _u64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


def _vector_hash(texts: pl.Series, seeds: pl.Series | int) -> pl.Series:
    """`hash_bytes` of every (non-null) string in `texts` as UInt64, in polars expressions.

    Integer multiplication on UInt64 wraps in polars, which is the arithmetic we need; a shift
    right is an integer division by a power of two.
    """
    # Seven NULs after the text: word j is complete exactly when 8*j < byte length, and a
    # short slice reinterprets to null, which is how finished rows are left alone (coalesce).
    frame = pl.DataFrame({"t": texts}).select(
        pl.col("t").str.len_bytes().cast(pl.UInt64).alias("n"),
        (pl.col("t") + NULL * 7).cast(pl.Binary).alias("b"),
    )
    if isinstance(seeds, pl.Series):
        frame = frame.with_columns(seeds.cast(pl.UInt64).alias("seed"))
        seed: pl.Expr = pl.col("seed")
    else:
        seed = _u64(seeds)
    longest = int(frame.select(pl.col("n").max()).item() or 0)
    shortest = int(frame.select(pl.col("n").min()).item() or 0)
    words = (longest + 7) // 8
    frame = frame.with_columns(
        pl.col("b")
        .bin.slice(8 * j, 8)
        .bin.reinterpret(dtype=pl.UInt64, endianness="little")
        .alias(f"w{j}")
        for j in range(words)
    ).drop("b")
    h = seed.xor(pl.col("n") * _u64(_LEN_MUL))
    for j in range(words):
        step = h.xor(pl.col(f"w{j}")) * _u64(_MUL)
        # Words every row has need no null handling (ids of one length: no coalesce at all).
        h = step if 8 * j < shortest else pl.coalesce(step, h)
        if j % 4 == 3:  # materialise now and then: keeps the expression tree shallow
            frame = frame.with_columns(h.alias("h"))
            h = pl.col("h")
    h = h.xor(h // _u64(1 << 30)) * _u64(0xBF58476D1CE4E5B9)
    h = h.xor(h // _u64(1 << 27)) * _u64(0x94D049BB133111EB)
    h = h.xor(h // _u64(1 << 31))
    return frame.select(h.alias("h")).to_series()


def _hex16(h: pl.Series) -> pl.Series:
    """Each UInt64 as the hex of its 8 little-endian bytes (zero-copy through Arrow)."""
    arrow = h.rechunk().to_arrow()
    assert isinstance(arrow, pa.Array)
    raw = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(8), len(arrow), [None, arrow.buffers()[1]], offset=arrow.offset
    )
    series = pl.Series(raw).cast(pl.Binary).bin.encode("hex")
    return series


def _hash_series(texts: pl.Series, seeds: pl.Series | int) -> pl.Series:
    """hex `hash_bytes` of each non-null text with its seed; null stays null."""
    mask = texts.is_null()
    filled = texts.fill_null("")
    parts = []
    for lo in range(0, len(filled), _CHUNK):
        chunk_seeds = seeds.slice(lo, _CHUNK) if isinstance(seeds, pl.Series) else seeds
        parts.append(_hex16(_vector_hash(filled.slice(lo, _CHUNK), chunk_seeds)))
    out = pl.concat(parts) if parts else pl.Series(values=[], dtype=pl.String)
    if mask.any():
        out = pl.select(pl.when(mask).then(None).otherwise(out)).to_series()
    return out.alias(texts.name)


def hash_text_series(texts: pl.Series) -> pl.Series:
    """`hash_text` of every string in `texts` (null stays null), vectorised."""
    return _hash_series(texts, _SEED)


def _as_expr(part: str | pl.Expr) -> pl.Expr:
    return pl.col(part) if isinstance(part, str) else part


def joined_expr(*parts: str | pl.Expr) -> pl.Expr:
    """The text `join_parts` would build, as an expression (strings are column names)."""
    items = [_as_expr(p).cast(pl.String).fill_null(NULL) for p in parts]
    return pl.concat_str(items, separator=SEP) if len(items) > 1 else items[0]


def finding_id_expr(check: str, kind: str | pl.Expr, *parts: str | pl.Expr) -> pl.Expr:
    """`finding_id` for every row, as an expression.

    `kind` is a literal kind or an expression giving it per row; each part is a column name or
    an expression. Row by row the result equals `finding_id(check, kind, *values)` when every
    value's text form is what `str()` gives (strings, integers); cast other types yourself.
    """
    if not parts:
        raise ValueError("finding_id_expr needs at least one part")
    joined = joined_expr(*parts)
    if isinstance(kind, str):
        seed = kind_seed(check, kind)
        return joined.map_batches(
            lambda s: _hash_series(s, seed), return_dtype=pl.String, is_elementwise=True
        )

    def per_kind(batch: pl.Series) -> pl.Series:
        frame = batch.struct.unnest()
        kinds = frame["k"].fill_null(NULL)
        seeds = {k: kind_seed(check, k) for k in kinds.unique().to_list()}
        seed_col = kinds.replace_strict(seeds, return_dtype=pl.UInt64)
        return _hash_series(frame["t"], seed_col)

    return pl.struct(kind.cast(pl.String).alias("k"), joined.alias("t")).map_batches(
        per_kind, return_dtype=pl.String, is_elementwise=True
    )
