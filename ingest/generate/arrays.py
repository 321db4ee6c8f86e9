"""Small vectorised helpers shared by the generator modules.

Everything here works on whole arrays: the generator never loops over patients.
Dates are int32 day numbers since 1970-01-01 until they are written out.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = date(1970, 1, 1)


def day(iso: str) -> int:
    """Day number of an ISO date string."""
    return (date.fromisoformat(iso) - EPOCH).days


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per generator component.

    Keyed by name (not by call order) so adding a component does not shift the
    draws of the others, and the same seed reproduces every stream exactly.
    """
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def choice(rng: np.random.Generator, n: int, probs: np.ndarray | list[float]) -> np.ndarray:
    """n categorical draws (int indices) from one probability vector."""
    p = np.asarray(probs, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def zipf_weights(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    return w / w.sum()


def repeat_index(counts: np.ndarray) -> np.ndarray:
    """Owner index of each row when owner i contributes counts[i] rows."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def rank_within(counts: np.ndarray) -> np.ndarray:
    """0..counts[i]-1 for each owner's rows, in the layout of repeat_index."""
    total = int(counts.sum())
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - starts


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Uniform integer day in [lo, hi] per row (hi >= lo)."""
    span = (hi - lo + 1).astype(np.int64)
    return (lo + np.floor(rng.random(len(lo)) * span)).astype(np.int32)


def distinct_days(rng: np.random.Generator, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """counts[i] distinct days in [lo[i], hi[i]] per owner (stratified), layout of repeat_index.

    Splitting the range into counts[i] strata and drawing one day in each keeps the
    days distinct without a per-owner loop. Requires counts[i] <= hi[i] - lo[i] + 1.
    """
    owner = repeat_index(counts)
    k = rank_within(counts)
    span = (hi - lo + 1).astype(np.float64)[owner]
    width = span / counts[owner]
    start = np.floor(lo[owner] + k * width)
    stop = np.floor(lo[owner] + (k + 1) * width)  # exclusive
    return (start + np.floor(rng.random(len(owner)) * (stop - start))).astype(np.int32)


def strings(values: list[str] | np.ndarray) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def take(table: pa.Array, idx: np.ndarray, mask_null: np.ndarray | None = None) -> pa.Array:
    """Vectorised lookup of strings by index; rows where mask_null is True become null."""
    out = table.take(pa.array(idx.astype(np.int64)))
    if mask_null is not None and mask_null.any():
        out = pc.if_else(pa.array(mask_null), pa.scalar(None, pa.string()), out)
    return out


def date_array(days: np.ndarray, mask_null: np.ndarray | None = None) -> pa.Array:
    mask = None if mask_null is None else np.asarray(mask_null, dtype=bool)
    return pa.array(days.astype(np.int32), type=pa.int32(), mask=mask).cast(pa.date32())


def auc(score: np.ndarray, label: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney with tie-averaged ranks); None if one class is empty."""
    from scipy.stats import rankdata

    label = label.astype(bool)
    n_pos, n_neg = int(label.sum()), int((~label).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
