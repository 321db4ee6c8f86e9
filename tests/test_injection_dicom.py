"""DICOM loading and the image CNN on hand-made series: ordering, scaling, clear errors, seeded training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ingest.generate.injection import render_series, write_dicom_series
from models_py.errors import UserInputError
from models_py.featurize.dicom import load_images, normalise, order_slices, square_resize
from models_py.models.image_cnn import ImageCNNClassifier


def write_series(root, image_id: str, size: float = 0.5, seed: int = 0) -> np.ndarray:
    pixels = render_series(size, 1, 0, 0, np.random.default_rng(seed))
    write_dicom_series(
        root / "dicom" / image_id,
        pixels,
        patient_id="p",
        image_id=image_id,
        study_date="2016-01-01",
        seed=seed,
    )
    return pixels


def file_rows(image_id: str, order=(1, 2, 3)) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "image_id": image_id,
            "path": [f"dicom/{image_id}/{k:02d}.dcm" for k in order],
            "format": "DICOM",
            "file_number": range(1, len(order) + 1),
        }
    )


def test_series_is_read_in_anatomical_order_and_scaled(tmp_path):
    pixels = write_series(tmp_path, "IMG1")
    # rows listed in reverse file order: the slice position, not the row order, decides
    stack = load_images(file_rows("IMG1", (3, 2, 1)), ["IMG1"], tmp_path)[0]
    assert stack.shape == (3, 64, 64) and stack.dtype == np.float32
    assert stack.min() >= 0.0 and stack.max() <= 1.0
    expected = normalise(pixels.astype(float))
    np.testing.assert_allclose(stack, expected, atol=1e-6)


def test_absolute_paths_need_no_root(tmp_path):
    write_series(tmp_path, "IMG1")
    rows = file_rows("IMG1")
    rows["path"] = [str(tmp_path / p) for p in rows["path"]]
    assert load_images(rows, ["IMG1"], None).shape == (1, 3, 64, 64)


def test_missing_file_is_one_line_error_naming_image_and_path(tmp_path):
    write_series(tmp_path, "IMG1")
    write_series(tmp_path, "IMG2", seed=1)
    (tmp_path / "dicom" / "IMG2" / "02.dcm").unlink()
    rows = pd.concat([file_rows("IMG1"), file_rows("IMG2")])
    with pytest.raises(UserInputError) as err:
        load_images(rows, ["IMG1", "IMG2"], tmp_path)
    message = str(err.value)
    assert "IMG2" in message and str(tmp_path / "dicom" / "IMG2" / "02.dcm") in message
    assert "\n" not in message


def test_unreadable_file_relative_path_without_root_and_image_without_files(tmp_path):
    write_series(tmp_path, "IMG1")
    (tmp_path / "dicom" / "IMG1" / "03.dcm").write_bytes(b"not a dicom file")
    with pytest.raises(UserInputError, match=r"IMG1: .*03\.dcm is not a readable DICOM"):
        load_images(file_rows("IMG1"), ["IMG1"], tmp_path)
    with pytest.raises(UserInputError, match="relative and no images root"):
        load_images(file_rows("IMG1"), ["IMG1"], None)
    with pytest.raises(UserInputError, match="IMG9: no pixel-data files"):
        load_images(file_rows("IMG1"), ["IMG9"], tmp_path)


def test_slice_order_falls_back_to_instance_number_then_file_order():
    assert order_slices([2.0, 0.0, 1.0], [1, 2, 3]).tolist() == [1, 2, 0]
    assert order_slices([None, 0.0, 1.0], [3, 1, 2]).tolist() == [1, 2, 0]
    assert order_slices([None, None], [None, 1]).tolist() == [0, 1]


def test_square_resize_keeps_aspect_ratio():
    stack = np.zeros((1, 32, 64), dtype=np.float32)
    stack[:, :, :32] = 1.0  # left half bright
    out = square_resize(stack, 32)
    assert out.shape == (1, 32, 32)
    assert out[0, :7].max() == 0.0  # padded band above the wide image (row 7 is blurred by antialiasing)
    assert out[0, 16, :14].min() > 0.9 and out[0, 16, 18:].max() < 0.1


def toy_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A dark square in a bright band on half of the images: a focal signal the CNN must find."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.3, 0.05, (n, 3, 24, 24)).astype(np.float32)
    X[:, :, :, 10:16] += 0.5
    y = (np.arange(n) % 2).astype(int)
    for i in np.flatnonzero(y == 0):
        r = rng.integers(2, 18)
        X[i, :, r : r + 4, 10:16] = 0.3
    return X, y


def test_cnn_is_reproducible_with_a_seed_and_learns_a_focal_signal():
    X, y = toy_images(64, 0)
    X_new, y_new = toy_images(40, 1)
    # one thread: fast and steady on a busy shared machine
    params = dict(widths=(4, 8), epochs=30, lr=1e-2, batch_size=8, device="cpu", n_threads=1)
    a = ImageCNNClassifier(random_state=3, **params).fit(X, y).predict_proba(X_new)
    b = ImageCNNClassifier(random_state=3, **params).fit(X, y).predict_proba(X_new)
    c = ImageCNNClassifier(random_state=4, **params).fit(X, y).predict_proba(X_new)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert ((a[:, 1] >= 0.5) == y_new).mean() > 0.8
    grad = ImageCNNClassifier(random_state=3, **params).fit(X, y).input_gradient(X_new[:2])
    assert grad.shape == (2, 3, 24, 24) and np.abs(grad).sum() > 0
