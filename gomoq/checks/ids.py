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
numpy path computes it for a whole column from its Arrow buffers (a few numpy operations per
8-byte word). Changing it changes every id: don't.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa

SEP: Final = "\x1f"
NULL: Final = "\x00"

_MASK: Final = (1 << 64) - 1
_SEED: Final = 0x9E3779B97F4A7C15
_MUL: Final = 0xFF51AFD7ED558CCD
_LEN_MUL: Final = 0xC2B2AE3D27D4EB4F
_CHUNK: Final = 1_000_000  # rows per vectorised batch: bounds the padded bytes' memory


def _mix64(h: int) -> int:
    """splitmix64's finaliser (Steele, Lea & Flood 2014)."""
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    return h ^ (h >> 31)


def hash_bytes(data: bytes, seed: int = _SEED) -> int:
    """The 64-bit hash of `data` (the reference definition; the numpy path must equal it).

    Word-wise `h = (h ^ word) * MUL` over little-endian 8-byte words (the last one padded with
    zeros), from `seed ^ len * LEN_MUL`, then the splitmix64 finaliser. Each step is a
    bijection of the state, so inputs of one length that differ in a single word never collide.
    """
    return _mix64(_absorb(data, seed))


def _absorb(data: bytes, seed: int) -> int:
    """The state of `hash_bytes` before its finaliser."""
    h = (seed ^ ((len(data) * _LEN_MUL) & _MASK)) & _MASK
    padded = data + b"\x00" * (-len(data) % 8)
    for i in range(0, len(padded), 8):
        h = ((h ^ int.from_bytes(padded[i : i + 8], "little")) * _MUL) & _MASK
    return h


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


_LONG: Final = 256  # bytes: longer texts (rare: a huge attribute value) are hashed one by one
_GATHER_ROWS: Final = 65_536  # rows per gather of texts of one length


def _absorb_words(h: np.ndarray, block: np.ndarray) -> np.ndarray:
    """`_absorb` for rows whose bytes, zero-padded to whole words, are the rows of `block`."""
    words = block.view("<u8")  # (rows, words) little-endian
    for j in range(words.shape[1]):
        h = (h ^ words[:, j]) * np.uint64(_MUL)
    return h


def _vector_hash(texts: pl.Series, seeds: pl.Series | int) -> pl.Series:
    """`hash_bytes` of every (non-null) string in `texts` as UInt64, with numpy.

    The UTF-8 bytes are read straight from the Arrow buffers. Texts of one byte length are
    copied into a zero-padded (rows, 8 x words) matrix, viewed as little-endian words; numpy's
    UInt64 arithmetic wraps, which is the arithmetic the hash needs. Texts longer than `_LONG`
    bytes go through `_absorb` itself.
    """
    arrow = texts.cast(pl.Binary).to_arrow(compat_level=pl.CompatLevel.oldest())
    n = len(arrow)
    offsets_buf, data_buf = arrow.buffers()[1], arrow.buffers()[2]
    assert offsets_buf is not None
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arrow.offset : arrow.offset + n + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    if isinstance(seeds, pl.Series):
        seed = seeds.cast(pl.UInt64).to_numpy().astype(np.uint64, copy=False)
    else:
        seed = np.full(n, seeds, dtype=np.uint64)
    h = seed ^ (lengths.astype(np.uint64) * np.uint64(_LEN_MUL))
    base = int(offsets[0]) if n else 0
    if n and int(lengths.min()) == int(lengths.max()) <= _LONG:
        # One length for all (ids): the texts lie back to back, a reshape reads them.
        width = int(lengths[0])
        block = np.zeros((n, 8 * ((width + 7) // 8)), np.uint8)
        block[:, :width] = data[base : base + n * width].reshape(n, width)
        h = _absorb_words(h, block)
    else:
        for width in np.unique(lengths[lengths <= _LONG]).tolist():
            rows = np.flatnonzero(lengths == width)
            for lo in range(0, rows.size, _GATHER_ROWS):  # bounds the index matrix
                part = rows[lo : lo + _GATHER_ROWS]
                block = np.zeros((part.size, 8 * ((width + 7) // 8)), np.uint8)
                if width:
                    block[:, :width] = data[starts[part, None] + np.arange(width)]
                h[part] = _absorb_words(h[part], block)
    for row in np.flatnonzero(lengths > _LONG):
        text = bytes(data[starts[row] : starts[row] + lengths[row]])
        h[row] = _absorb(text, int(seed[row]))
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return pl.Series("h", h, dtype=pl.UInt64)


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
