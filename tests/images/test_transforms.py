"""Image transformers on real Galaxy Zoo JPEGs: what each keeps, conserves and learns."""

import numpy as np
import pytest
from _galaxy_zoo_images import galaxy_zoo_image_paths
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.tree import DecisionTreeClassifier

from spectra_sklearn.images import (
    BandSelector,
    CenterCrop,
    ChannelStandardizer,
    ImageBatch,
    ImageReader,
    ImageResizer,
    read_images,
)


@pytest.fixture(scope="module")
def galaxy_zoo_paths(shared_data):
    return galaxy_zoo_image_paths(shared_data)


@pytest.fixture(scope="module")
def galaxies(galaxy_zoo_paths):
    return read_images(galaxy_zoo_paths[:12])


def test_centre_crop_keeps_the_centre_pixels(galaxies):
    out = CenterCrop(size=63).fit_transform(galaxies)
    assert isinstance(out, ImageBatch) and out.pixels.shape == (12, 3, 63, 63)
    # 423 - 63 = 360: the crop starts at 180, and the centre pixel 211 stays central
    np.testing.assert_array_equal(out.pixels[:, :, 31, 31], galaxies.pixels[:, :, 211, 211])
    np.testing.assert_array_equal(out.pixels, galaxies.pixels[:, :, 180:243, 180:243])
    assert [m["source"] for m in out.meta] == [m["source"] for m in galaxies.meta]
    assert out.band_names == ("r", "g", "b")
    rect = CenterCrop(size=(10, 20)).fit_transform(galaxies)
    np.testing.assert_array_equal(rect.pixels, galaxies.pixels[:, :, 206:216, 201:221])


def test_crop_larger_than_the_image_pads_with_fill():
    X = np.ones((1, 1, 2, 3))
    out = CenterCrop(size=(4, 5), fill=np.nan).fit_transform(X)
    assert out.shape == (1, 1, 4, 5) and out.dtype == np.float64
    assert np.isnan(out).sum() == 20 - 6 and np.nansum(out) == 6
    np.testing.assert_array_equal(out[0, 0, 1:3, 1:4], 1.0)


def test_ragged_images_come_out_of_one_shape():
    ragged = ImageBatch([np.ones((1, 10, 12)), np.zeros((1, 7, 9))], meta=[{"i": 0}, {"i": 1}])
    for step in (CenterCrop(size=5), ImageResizer(size=5)):
        out = step.fit_transform(ragged)
        assert out.common_shape and out.pixels.shape == (2, 1, 5, 5)
        assert [m["i"] for m in out.meta] == [0, 1]
        np.testing.assert_allclose(out.pixels[0], 1.0, rtol=1e-6)  # float32 arithmetic


def test_area_resize_conserves_the_mean(galaxies):
    exact = CenterCrop(size=384).fit_transform(galaxies)  # 384 = 6 x 64
    small = ImageResizer(size=64).fit_transform(exact)
    assert small.pixels.shape == (12, 3, 64, 64)
    np.testing.assert_allclose(small.pixels.mean(axis=(2, 3)), exact.pixels.mean(axis=(2, 3)),
                               rtol=1e-5)
    # each output pixel is the mean of its 6 x 6 block
    block = exact.pixels[:, :, 6:12, 12:18].mean(axis=(2, 3))
    np.testing.assert_allclose(small.pixels[:, :, 1, 2], block, rtol=1e-5)
    # 423 -> 64 and 423 -> 100 are no whole factors: fractional weights keep the mean
    for size in (64, (100, 37)):
        direct = ImageResizer(size=size).fit_transform(galaxies)
        np.testing.assert_allclose(direct.pixels.mean(axis=(2, 3)),
                                   galaxies.pixels.mean(axis=(2, 3)), rtol=1e-5)
    for method in ("bilinear", "bicubic", "nearest"):
        out = ImageResizer(size=(32, 48), method=method).fit_transform(galaxies)
        assert out.pixels.shape == (12, 3, 32, 48)


def test_area_resize_ignores_nan_pixels():
    X = np.arange(16.0).reshape(1, 1, 4, 4)
    X[0, 0, 0, 0] = np.nan
    out = ImageResizer(size=2).fit_transform(X)
    np.testing.assert_allclose(out[0, 0], [[(1 + 4 + 5) / 3, 4.5], [10.5, 12.5]])
    X[0, 0, :2, :2] = np.nan
    assert np.isnan(ImageResizer(size=2).fit_transform(X)[0, 0, 0, 0])
    up = ImageResizer(size=8).fit_transform(np.arange(4.0).reshape(1, 1, 2, 2))
    np.testing.assert_array_equal(up[0, 0, :4, :4], 0.0)  # enlarging repeats the pixels


def test_arrays_keep_their_dtype_and_kind():
    X = np.random.default_rng(0).random((3, 2, 8, 8)).astype(np.float32)
    for step in (CenterCrop(size=4), ImageResizer(size=4), BandSelector(bands=[1]),
                 ChannelStandardizer()):
        out = step.fit_transform(X)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.ndim == 4
    np.testing.assert_array_equal(BandSelector(bands=[1]).fit_transform(X), X[:, 1:2])
    flat = ImageResizer(size=(1, 2)).fit_transform(np.arange(8.0).reshape(2, 4))
    np.testing.assert_allclose(flat, [[0.5, 2.5], [4.5, 6.5]])


def test_channel_standardizer_gives_zero_mean_unit_std_per_band(galaxies):
    scaler = ChannelStandardizer().fit(galaxies)
    out = scaler.transform(galaxies)
    assert scaler.mean_.shape == (3,) and scaler.band_names_in_ == ("r", "g", "b")
    assert np.all(scaler.n_pixels_seen_ == 12 * 423 * 423)
    per_band = np.moveaxis(out.pixels.astype(np.float64), 1, 0).reshape(3, -1)
    np.testing.assert_allclose(per_band.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(per_band.std(axis=1), 1.0, rtol=1e-5)
    raw = np.moveaxis(galaxies.pixels.astype(np.float64), 1, 0).reshape(3, -1)
    np.testing.assert_allclose(scaler.mean_, raw.mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(scaler.inverse_transform(out).pixels, galaxies.pixels, atol=1e-5)
    with pytest.raises(ValueError, match="fitted on images of 3 band"):
        scaler.transform(BandSelector(bands="g").fit_transform(galaxies))


def test_channel_standardizer_ignores_nan_and_constant_bands():
    X = np.stack([np.full((2, 3, 3), v) for v in (1.0, 3.0)])
    X[:, 1] = 5.0  # band 1 constant
    X[1, 1, 0, 0] = np.nan
    scaler = ChannelStandardizer().fit(X)
    assert scaler.n_pixels_seen_.tolist() == [18, 17]
    np.testing.assert_allclose(scaler.mean_, [2.0, 5.0])
    assert scaler.scale_[1] == 1.0
    out = scaler.transform(X)
    assert np.isnan(out[1, 1, 0, 0]) and np.nanmax(np.abs(out[:, 1])) == 0


def test_band_selector_by_name_and_position(galaxies):
    out = BandSelector(bands=["b", 0]).fit_transform(galaxies)
    assert out.band_names == ("b", "r")
    np.testing.assert_array_equal(out.pixels[:, 0], galaxies.pixels[:, 2])
    assert BandSelector().fit_transform(galaxies).band_names == ("r", "g", "b")
    with pytest.raises(ValueError, match=r"band 'z' is not among the image's bands \('r'"):
        BandSelector(bands="z").fit_transform(galaxies)
    with pytest.raises(ValueError, match="position 5 is out of range"):
        BandSelector(bands=[5]).fit_transform(galaxies)
    with pytest.raises(ValueError, match="selects no band"):
        BandSelector(bands=[]).fit_transform(galaxies)


def test_steps_refuse_paths_and_3d_arrays(galaxy_zoo_paths):
    with pytest.raises(TypeError, match="ImageReader"):
        CenterCrop().fit_transform(galaxy_zoo_paths[:2])
    with pytest.raises(TypeError, match=r"X\[:, None\]"):
        ImageResizer().fit_transform(np.ones((2, 4, 4)))


def test_feature_names_on_2d_arrays():
    X = np.arange(10.0).reshape(2, 5)
    assert CenterCrop(size=(1, 3)).fit(X).get_feature_names_out().tolist() == ["x1", "x2", "x3"]
    assert ImageResizer(size=(1, 2)).fit(X).get_feature_names_out().tolist() == [
        "imageresizer0", "imageresizer1"]
    assert ChannelStandardizer().fit(X).get_feature_names_out().tolist() == [
        f"x{i}" for i in range(5)]


def _centre_colour(batch):
    return batch.pixels.mean(axis=(2, 3))


def test_a_pipeline_from_paths_cross_validates(galaxy_zoo_paths):
    y = np.array([0, 1] * 10)
    pipe = make_pipeline(ImageReader(), CenterCrop(size=96), ImageResizer(size=24),
                         ChannelStandardizer(), FunctionTransformer(_centre_colour),
                         DecisionTreeClassifier(random_state=0))
    scores = cross_val_score(pipe, galaxy_zoo_paths[:20], y, cv=StratifiedKFold(2))
    assert scores.shape == (2,) and np.all((0 <= scores) & (scores <= 1))


@given(h=st.integers(1, 30), w=st.integers(1, 30), oh=st.integers(1, 30), ow=st.integers(1, 30),
       seed=st.integers(0, 2**32 - 1))
def test_area_weights_conserve_the_mean_for_any_sizes(h, w, oh, ow, seed):
    X = np.random.default_rng(seed).random((2, 3, h, w))
    out = ImageResizer(size=(oh, ow)).fit_transform(X)
    assert out.shape == (2, 3, oh, ow)
    np.testing.assert_allclose(out.mean(axis=(2, 3)), X.mean(axis=(2, 3)), rtol=1e-12)
    assert X.min() - 1e-12 <= out.min() and out.max() <= X.max() + 1e-12
    const = ImageResizer(size=(oh, ow)).fit_transform(np.full((1, 1, h, w), 0.3))
    np.testing.assert_allclose(const, 0.3, rtol=1e-12)
