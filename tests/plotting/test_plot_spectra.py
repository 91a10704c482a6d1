"""plot_spectra and plot_class_means on the SpeX sample."""

import numpy as np
import pytest
from matplotlib.collections import PolyCollection

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.pipelines import make_spex_pipeline
from spectra_sklearn.plotting import plot_class_means, plot_spectra


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


@pytest.fixture(scope="module")
def normalised(spex):
    return make_spex_pipeline(model="svc")[:3].fit_transform(spex.data)


def _flux_lines(ax):
    return [line for line in ax.lines if line.get_marker() != "|"]


def _tick_lines(ax):
    return [line for line in ax.lines if line.get_marker() == "|"]


def test_spectra_by_class_with_bands_and_masked_pixels(spex):
    ax = plot_spectra(spex.data, spex.target_class, max_per_class=3)
    chosen = [i for c in ["L", "M", "T"] for i in np.flatnonzero(spex.target_class == c)[:3]]
    lines = _flux_lines(ax)
    assert len(lines) == 9
    ticks = iter(_tick_lines(ax))
    bands = iter(c for c in ax.collections if isinstance(c, PolyCollection))
    n_masked = 0
    for line, i in zip(lines, chosen):
        s = spex.data[int(i)]
        np.testing.assert_array_equal(line.get_xdata(), s.wavelength)
        # masked pixels are gaps in the line ...
        y = np.asarray(line.get_ydata())
        assert np.all(np.isnan(y[s.mask]))
        np.testing.assert_array_equal(y[~s.mask], s.flux[~s.mask])
        ok = ~s.mask & np.isfinite(s.ivar) & (s.ivar > 0)
        if ok.any():
            # ... and the band spans flux -/+ 1/sqrt(ivar)
            vertices = np.concatenate([p.vertices for p in next(bands).get_paths()])
            sigma = 1 / np.sqrt(s.ivar[ok])
            assert vertices[:, 1].min() == pytest.approx((s.flux[ok] - sigma).min())
            assert vertices[:, 1].max() == pytest.approx((s.flux[ok] + sigma).max())
        if s.mask.any():
            # ... marked by ticks at their wavelengths
            n_masked += 1
            np.testing.assert_array_equal(next(ticks).get_xdata(), s.wavelength[s.mask])
    assert n_masked > 0, "expected some masked pixels in the SpeX sample"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["L", "M", "T", "masked pixels"]
    assert ax.get_xlabel() == "Wavelength [um]"


def test_class_order_offset_and_no_bands(normalised, spex):
    ax = plot_spectra(normalised, spex.target_class, classes=["M", "L", "T"],
                      max_per_class=1, offset=2.0, uncertainty=False, show_masked=False)
    assert not ax.collections and not _tick_lines(ax)
    lines = _flux_lines(ax)
    for k, c in enumerate(["M", "L", "T"]):
        i = np.flatnonzero(spex.target_class == c)[0]
        expected = np.where(normalised.mask[i], np.nan, normalised.flux[i]) + 2.0 * k
        np.testing.assert_allclose(lines[k].get_ydata(), expected)


def test_plain_array_on_pixel_grid_without_labels():
    ax = plot_spectra(np.arange(12.0).reshape(3, 4))
    assert len(ax.lines) == 3 and ax.get_legend() is None
    assert ax.get_xlabel() == "Pixel"
    assert not ax.collections  # unknown inverse variance: no band


def test_bad_labels():
    X = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"one label per spectrum, \(3,\)"):
        plot_spectra(X, ["a", "b"])
    with pytest.raises(ValueError, match=r"classes lacks the labels \['c'\]"):
        plot_spectra(X, ["a", "b", "c"], classes=["a", "b"])


def test_class_means_match_masked_average(normalised, spex):
    ax = plot_class_means(normalised, spex.target_class, classes=["M", "L", "T"])
    assert [line.get_label() for line in ax.lines] == ["M (n=100)", "L (n=100)", "T (n=100)"]
    for line, c in zip(ax.lines, ["M", "L", "T"]):
        rows = spex.target_class == c
        expected = np.ma.masked_array(normalised.flux[rows], normalised.mask[rows]).mean(axis=0)
        np.testing.assert_allclose(line.get_ydata(), expected.filled(np.nan))
    assert len(ax.collections) == 3


def test_class_means_pixel_masked_in_every_spectrum_is_a_gap():
    flux = np.array([[1.0, 2.0, 3.0], [3.0, np.nan, 5.0]])
    batch = SpectrumBatch.from_arrays([1.0, 2.0, 3.0], flux, mask=[[0, 1, 0], [0, 0, 0]])
    ax = plot_class_means(batch, ["a", "a"], spread=False)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [2.0, np.nan, 4.0])


def test_class_means_need_a_common_grid(spex):
    with pytest.raises(ValueError, match="common wavelength grid"):
        plot_class_means(spex.data, spex.target_class)
