"""ImageBatch: layouts, indexing as scikit-learn does it, and as_image_batch."""

import pickle

import numpy as np
import pytest
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import _safe_indexing

from spectra_sklearn.images import ImageBatch, as_image_batch


def _batch(n=6):
    rng = np.random.default_rng(0)
    pixels = rng.random((n, 3, 4, 5))
    meta = [{"source": f"img{i}.jpeg"} for i in range(n)]
    return ImageBatch.from_arrays(pixels, band_names=("r", "g", "b"), meta=meta), pixels


def test_common_shape_layout():
    batch, pixels = _batch()
    assert batch.common_shape and batch.shape == (6, 3, 4, 5) and len(batch) == 6
    assert batch.pixels.dtype == np.float32
    np.testing.assert_allclose(batch.pixels, pixels.astype(np.float32))
    assert np.asarray(batch).shape == (6, 3, 4, 5)
    assert np.asarray(batch, dtype=np.float64).dtype == np.float64
    assert batch.band_names == ("r", "g", "b") and batch.n_bands == 3
    assert [m["source"] for m in batch.meta] == [f"img{i}.jpeg" for i in range(6)]


@pytest.mark.parametrize(
    "key, expected",
    [
        (slice(1, 4), [1, 2, 3]),
        ([4, 0, 0], [4, 0, 0]),
        (np.array([5, 2]), [5, 2]),
        (np.array([True, False, True, False, False, True]), [0, 2, 5]),
        (np.array([], dtype=int), []),
        ([], []),
        ((np.array([3, 1]), Ellipsis), [3, 1]),
    ],
)
def test_indexing_returns_a_batch_with_its_metadata(key, expected):
    batch, pixels = _batch()
    sub = batch[key]
    assert isinstance(sub, ImageBatch) and len(sub) == len(expected)
    assert [m["source"] for m in sub.meta] == [f"img{i}.jpeg" for i in expected]
    if expected:
        np.testing.assert_allclose(sub.pixels, pixels[expected].astype(np.float32))


def test_integer_index_is_one_image_array():
    batch, pixels = _batch()
    np.testing.assert_allclose(batch[-1], pixels[-1].astype(np.float32))
    assert batch[2].shape == (3, 4, 5)
    with pytest.raises(IndexError, match="out of range for 6 images"):
        batch[6]


@pytest.mark.parametrize(
    "key, match",
    [
        (np.array([True, False]), r"boolean index must have shape \(6,\)"),
        (np.array([0.5]), "got an array of float64"),
        ((0, 1), "indexed by image only"),
    ],
)
def test_bad_keys(key, match):
    batch, _ = _batch()
    with pytest.raises(IndexError, match=match):
        batch[key]


def test_ragged_layout_and_regrouping():
    images = [np.ones((1, 4, 4)), np.zeros((1, 5, 6)), np.full((1, 4, 4), 2.0)]
    batch = ImageBatch(images, meta=[{"i": i} for i in range(3)])
    assert not batch.common_shape and batch.shape == (3,)
    with pytest.raises(ValueError, match="CenterCrop or ImageResizer"):
        _ = batch.pixels
    with pytest.raises(ValueError, match="CenterCrop or ImageResizer"):
        np.asarray(batch)
    assert [im.shape for im in batch.images] == [(1, 4, 4), (1, 5, 6), (1, 4, 4)]
    same = batch[[0, 2]]  # images of one shape are stacked again
    assert same.common_shape and same.pixels.shape == (2, 1, 4, 4)
    assert [m["i"] for m in same.meta] == [0, 2]
    assert batch[1].shape == (1, 5, 6)
    assert "ragged" in repr(batch)


def test_band_names_per_image_and_mismatch():
    batch = ImageBatch([np.ones((1, 2, 2)), np.ones((3, 2, 2))],
                       band_names=[("gray",), ("r", "g", "b")])
    assert batch.band_names_per_image == [("gray",), ("r", "g", "b")]
    with pytest.raises(ValueError, match="different bands"):
        _ = batch.band_names
    with pytest.raises(ValueError, match="3 band.*1 band name"):
        ImageBatch([np.ones((3, 2, 2))], band_names=("r",))
    with pytest.raises(ValueError, match="unique"):
        ImageBatch([np.ones((2, 2, 2))], band_names=("r", "r"))
    assert ImageBatch.from_arrays(np.ones((1, 2, 3, 3))).band_names == ("band0", "band1")


@pytest.mark.parametrize(
    "pixels, match",
    [
        (np.ones((2, 3, 3)), r"\(n_images, n_bands, height, width\)"),
        ([np.ones((3, 3))], r"image 0 has shape \(3, 3\)"),
        (np.ones((1, 1, 0, 3)), "must have pixels"),
    ],
)
def test_bad_arrays(pixels, match):
    with pytest.raises(ValueError, match=match):
        ImageBatch.from_arrays(pixels)


def test_meta_length_checked_and_copied():
    meta = [{"a": 1}]
    batch = ImageBatch.from_arrays(np.ones((1, 1, 2, 2)), meta=meta)
    meta[0]["a"] = 2
    assert batch.meta[0]["a"] == 1
    with pytest.raises(ValueError, match="meta has 2 entries for 1 images"):
        ImageBatch.from_arrays(np.ones((1, 1, 2, 2)), meta=[{}, {}])


def test_concatenate_and_pickle():
    a, _ = _batch(2)
    b, _ = _batch(3)
    both = ImageBatch.concatenate([a, b])
    assert len(both) == 5 and both.common_shape
    restored = pickle.loads(pickle.dumps(both))
    np.testing.assert_array_equal(restored.pixels, both.pixels)
    assert restored.meta == both.meta


def test_sklearn_indexing_splitters_and_cross_val_score():
    batch, _ = _batch(20)
    y = np.array([0, 1] * 10)
    picked = _safe_indexing(batch, np.array([3, 1]))
    assert isinstance(picked, ImageBatch) and [m["source"] for m in picked.meta] == [
        "img3.jpeg", "img1.jpeg"]
    X_train, X_test, y_train, y_test = train_test_split(batch, y, test_size=0.25,
                                                        random_state=0, stratify=y)
    assert isinstance(X_train, ImageBatch) and len(X_train) == 15 and len(X_test) == 5
    for train, _test in KFold(4).split(batch):
        assert len(batch[train]) == 15
    flatten = FunctionTransformer(lambda b: b.pixels.reshape(len(b), -1))
    scores = cross_val_score(make_pipeline(flatten, DecisionTreeClassifier(random_state=0)),
                             batch, y, cv=StratifiedKFold(2))
    assert scores.shape == (2,)


def test_as_image_batch_kinds():
    batch, _ = _batch()
    assert as_image_batch(batch) == (batch, "batch")
    four, kind = as_image_batch(np.zeros((2, 3, 4, 4)))
    assert kind == "4d" and four.shape == (2, 3, 4, 4)
    two, kind = as_image_batch(np.arange(6.0).reshape(2, 3))
    assert kind == "2d" and two.shape == (2, 1, 1, 3)
    np.testing.assert_array_equal(two.pixels[1, 0, 0], [3, 4, 5])
    with pytest.raises(TypeError, match="ImageReader"):
        as_image_batch(["a.jpeg"])
    with pytest.raises(TypeError, match=r"X\[:, None\]"):
        as_image_batch(np.zeros((2, 4, 4)))
