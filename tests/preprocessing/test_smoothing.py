"""SpectrumSmoother: agrees with scipy, variance propagation, masks."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.ndimage import gaussian_filter1d
from scipy.signal import savgol_filter

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.preprocessing import SpectrumSmoother

finite_rows = hnp.arrays(np.float64, (3, 25), elements=st.floats(-1e3, 1e3))


@settings(max_examples=30)
@given(finite_rows, st.floats(0.3, 3.0))
def test_gaussian_matches_scipy_away_from_ends(flux, sigma):
    out = SpectrumSmoother(sigma=sigma).fit_transform(flux)
    radius = int(4.0 * sigma + 0.5)
    inner = slice(radius, flux.shape[1] - radius)
    np.testing.assert_allclose(out[:, inner], gaussian_filter1d(flux, sigma, axis=1)[:, inner],
                               rtol=1e-9, atol=1e-9)


@settings(max_examples=30)
@given(finite_rows, st.sampled_from([(3, 1), (5, 2), (7, 3), (9, 2)]))
def test_savgol_matches_scipy(flux, window):
    out = SpectrumSmoother(method="savgol", window_length=window[0],
                           polyorder=window[1]).fit_transform(flux)
    np.testing.assert_allclose(out, savgol_filter(flux, *window, axis=1), rtol=1e-9,
                               atol=1e-7)


@pytest.mark.parametrize("method", ["gaussian", "savgol"])
def test_variance_is_sum_of_squared_weights(method):
    rng = np.random.default_rng(1)
    n = 30
    ivar = rng.uniform(0.5, 2.0, size=(1, n))
    smoother = SpectrumSmoother(method=method, sigma=1.5, window_length=7, polyorder=2)
    # The filter is linear: its weights are its response to unit impulses.
    weights = smoother.fit_transform(np.eye(n)).T  # row i: weights for output i
    out = smoother.fit_transform(SpectrumBatch.from_arrays(np.arange(float(n)),
                                                           rng.normal(size=(1, n)), ivar))
    expected = 1.0 / (weights**2 @ (1.0 / ivar[0]))
    np.testing.assert_allclose(out.ivar[0], expected, rtol=1e-9)
    assert np.all(out.ivar >= 0)


@settings(max_examples=30)
@given(hnp.arrays(np.float64, (2, 20), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.float64, (2, 20), elements=st.floats(0.0, 1e3)),
       hnp.arrays(np.bool_, (2, 20)),
       st.sampled_from(["gaussian", "savgol"]))
def test_masks_pass_through_and_ivar_never_negative(flux, ivar, mask, method):
    batch = SpectrumBatch.from_arrays(np.arange(20.0), flux, ivar, mask)
    out = SpectrumSmoother(method=method).fit_transform(batch)
    assert np.all(out.ivar[~np.isnan(out.ivar)] >= 0)
    assert np.all(out.mask[mask])
    np.testing.assert_array_equal(out.flux[mask], flux[mask])
    assert np.all(np.isfinite(out.flux[~out.mask]))
    if method == "gaussian":  # masked flux never leaks into the others
        other = SpectrumBatch.from_arrays(np.arange(20.0), np.where(mask, 1e9, flux), ivar,
                                          mask)
        again = SpectrumSmoother(method=method).fit_transform(other)
        np.testing.assert_allclose(again.flux[~mask], out.flux[~mask], rtol=1e-9, atol=1e-6)


def test_constant_stays_constant_and_short_spectra():
    X = np.full((2, 9), 3.0)
    np.testing.assert_allclose(SpectrumSmoother(sigma=2.0).fit_transform(X), 3.0)
    np.testing.assert_allclose(SpectrumSmoother(method="savgol").fit_transform(X), 3.0)
    # Shorter than the window: one polynomial fit over the whole spectrum.
    line = np.array([[1.0, 2.0, 4.0]])
    out = SpectrumSmoother(method="savgol", window_length=5, polyorder=1).fit_transform(line)
    np.testing.assert_allclose(out, np.polyval(np.polyfit([0, 1, 2], line[0], 1), [0, 1, 2])[None])


def test_errors():
    with pytest.raises(ValueError, match="'window_length'.*must be odd"):
        SpectrumSmoother(method="savgol", window_length=4).fit(np.ones((1, 5)))
    with pytest.raises(ValueError, match="'polyorder'.*less than window_length=3"):
        SpectrumSmoother(method="savgol", window_length=3, polyorder=3).fit(np.ones((1, 5)))
