"""DICOM series -> normalised float arrays, one (slices, size, size) stack per imaging study.

Input is the image-file mart (`mart_injection_images`: image_id, path, format, file_number), one row per
file. Every requested image_id must have readable files: a missing, unreadable or pixel-less file is a
one-line `UserInputError` naming the image_id and the path, never a silently dropped patient.

Paths
-----
`raw.image_files.path` is either absolute or relative to the folder the raw tables were loaded from (the
contract's rule). `resolve_path` joins relative paths to `images_root`. The marts do not carry that folder,
so the caller supplies it: `lumbar train injection` defaults it to the folder of the `image_files` table
recorded in the warehouse's `raw.loads` (see ingest/cli.py), and `--images-root DIR` overrides it. With no
root, a relative path is an error that says to pass one.

Preprocessing (why)
-------------------
- Slices are ordered by position along the slice normal (ImagePositionPatient projected on the cross
  product of ImageOrientationPatient), falling back to InstanceNumber, then to file order: file names do
  not reliably encode anatomy.
- RescaleSlope / RescaleIntercept are applied, so stored values become scanner units.
- The `n_slices` central slices are kept (the midline and its neighbours carry the canal and foramina).
  A series with fewer slices is an error: the network has one input channel per slice.
- MR intensities have no absolute scale across scanners, so each series is scaled to [0, 1] between its own
  0.5th and 99.5th percentiles (one scale for the whole series keeps the contrast between slices).
- Non-square slices are padded to a square (aspect ratio kept) and resized to `size` x `size` with
  antialiased bilinear interpolation; pixel spacing is otherwise ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from models_py.errors import UserInputError
from models_py.progress import progress_bar

SUPPORTED_FORMATS = ("DICOM",)
LOW_PERCENTILE, HIGH_PERCENTILE = 0.5, 99.5


def resolve_path(path: str, images_root: Path | None, image_id: str) -> Path:
    """Absolute paths as they are; relative ones under `images_root` (an error when there is none)."""
    candidate = Path(path).expanduser()
    if candidate.is_absolute():
        return candidate
    if images_root is None:
        raise UserInputError(
            f"image {image_id}: file path '{path}' is relative and no images root was given; pass "
            "--images-root DIR (the folder the raw tables were loaded from)"
        )
    return Path(images_root).expanduser() / candidate


def read_slice(path: Path, image_id: str) -> tuple[np.ndarray, float | None, int | None]:
    """Pixels (float64, rescaled), position along the slice normal, instance number of one DICOM file."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not path.is_file():
        raise UserInputError(
            f"image {image_id}: DICOM file {path} not found; check the images root (--images-root) "
            "or the path in raw.image_files"
        )
    try:
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array.astype(np.float64)
    except (InvalidDicomError, AttributeError, KeyError, ValueError, OSError, TypeError) as err:
        # pydicom raises many types for truncated files, missing PixelData or unknown transfer syntaxes
        raise UserInputError(
            f"image {image_id}: {path} is not a readable DICOM image ({type(err).__name__}); "
            "replace the file or remove its row from raw.image_files"
        ) from None
    if pixels.ndim != 2:
        raise UserInputError(
            f"image {image_id}: {path} holds {pixels.ndim}-D pixel data; one 2-D slice per file is expected"
        )
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    return pixels * slope + intercept, _slice_position(ds), _int_or_none(getattr(ds, "InstanceNumber", None))


def _slice_position(ds) -> float | None:
    try:
        orientation = np.asarray(ds.ImageOrientationPatient, dtype=float)
        position = np.asarray(ds.ImagePositionPatient, dtype=float)
    except (AttributeError, TypeError, ValueError):
        return None
    if orientation.shape != (6,) or position.shape != (3,):
        return None
    return float(np.dot(position, np.cross(orientation[:3], orientation[3:])))


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def order_slices(positions: Sequence[float | None], instances: Sequence[int | None]) -> np.ndarray:
    """Spatial order of a series' files: by slice position, else instance number, else as given."""
    n = len(positions)
    if all(p is not None for p in positions) and len(set(positions)) == n:
        return np.argsort(np.asarray(positions, dtype=float), kind="stable")
    if all(i is not None for i in instances) and len(set(instances)) == n:
        return np.argsort(np.asarray(instances), kind="stable")
    return np.arange(n)


def normalise(stack: np.ndarray) -> np.ndarray:
    """Scale a series to [0, 1] between its own 0.5th and 99.5th percentiles."""
    low, high = np.percentile(stack, [LOW_PERCENTILE, HIGH_PERCENTILE])
    if high <= low:  # a blank series: all zeros rather than a division by zero
        return np.zeros_like(stack, dtype=np.float32)
    return np.clip((stack - low) / (high - low), 0.0, 1.0).astype(np.float32)


def square_resize(stack: np.ndarray, size: int) -> np.ndarray:
    """Pad (centred, zeros) to a square, then antialiased bilinear resize to size x size."""
    _, h, w = stack.shape
    side = max(h, w)
    if h != w:
        padded = np.zeros((stack.shape[0], side, side), dtype=stack.dtype)
        top, left = (side - h) // 2, (side - w) // 2
        padded[:, top : top + h, left : left + w] = stack
        stack = padded
    if side == size:
        return stack.astype(np.float32)
    tensor = torch.as_tensor(stack, dtype=torch.float32)[None]
    out = torch.nn.functional.interpolate(
        tensor, size=(size, size), mode="bilinear", antialias=side > size, align_corners=False
    )
    return out[0].numpy()


def load_series(paths: Sequence[Path], image_id: str, *, n_slices: int = 3, size: int = 64) -> np.ndarray:
    """One study's files -> float32 array (n_slices, size, size) in [0, 1]."""
    slices, positions, instances = [], [], []
    for path in paths:
        pixels, position, instance = read_slice(Path(path), image_id)
        slices.append(pixels)
        positions.append(position)
        instances.append(instance)
    if len(slices) < n_slices:
        raise UserInputError(
            f"image {image_id}: the series has {len(slices)} file(s) but {n_slices} slices are needed; "
            "check raw.image_files for missing rows"
        )
    shapes = {s.shape for s in slices}
    if len(shapes) > 1:
        raise UserInputError(
            f"image {image_id}: slices differ in size ({', '.join(f'{a}x{b}' for a, b in sorted(shapes))}); "
            "one series per image_id is expected"
        )
    ordered = [slices[i] for i in order_slices(positions, instances)]
    start = (len(ordered) - n_slices) // 2  # the central slices: midline and neighbours
    stack = np.stack(ordered[start : start + n_slices])
    return square_resize(normalise(stack), size)


def load_images(
    files: pd.DataFrame,
    image_ids: Sequence[str],
    images_root: Path | None,
    *,
    n_slices: int = 3,
    size: int = 64,
    progress: bool = False,
) -> np.ndarray:
    """Stacks for `image_ids` (in that order), shape (n, n_slices, size, size), from the image-file mart.

    `files` needs columns image_id, path, format (file_number, when present, only breaks ties in order).
    """
    missing_cols = [c for c in ("image_id", "path", "format") if c not in files.columns]
    if missing_cols:
        raise UserInputError(f"the image-file table lacks column(s) {', '.join(missing_cols)}")
    formats = files["format"].astype(str).str.upper()
    unsupported = sorted(set(formats) - set(SUPPORTED_FORMATS))
    wanted = set(image_ids)
    if unsupported:
        bad = files.loc[formats.isin(unsupported) & files["image_id"].isin(wanted), "image_id"]
        if len(bad):
            raise UserInputError(
                f"image {bad.iloc[0]}: format {formats[bad.index[0]]} is not supported (only "
                f"{', '.join(SUPPORTED_FORMATS)}); convert the series or leave it out of the cohort"
            )
    order_cols = ["image_id"] + (["file_number"] if "file_number" in files.columns else []) + ["path"]
    grouped = {
        k: g["path"].tolist() for k, g in files.sort_values(order_cols).groupby("image_id", sort=False)
    }
    out = np.empty((len(image_ids), n_slices, size, size), dtype=np.float32)
    with progress_bar(progress) as bar:
        task = bar.add_task("reading DICOM series", total=len(image_ids))
        for i, image_id in enumerate(image_ids):
            paths = grouped.get(image_id)
            if not paths:
                raise UserInputError(
                    f"image {image_id}: no pixel-data files in the image-file mart; load its rows into "
                    "raw.image_files or leave the patient out of the cohort"
                )
            resolved = [resolve_path(p, images_root, image_id) for p in paths]
            out[i] = load_series(resolved, image_id, n_slices=n_slices, size=size)
            bar.advance(task)
    return out
