"""FluxScaler: per-spectrum statistics, masks, inverse variance, real spectra."""

import numpy as np
import pytest
from astropy import units as u
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.preprocessing import Normalizer, StandardScaler

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.io import read_spectrum
from spectra_sklearn.preprocessing import FluxScaler

METHODS = ["median", "l2", "max", "minmax", "standardize"]

rows = hnp.arrays(np.float64, (3, 9), elements=st.floats(-1e4, 1e4).map(lambda x: round(x, 3)))


def _stat(method, x):
    return {
        "median": lambda: np.median(x), "l2": lambda: np.sqrt(np.sum(x**2)),
        "max": lambda: np.max(np.abs(x)), "minmax": lambda: (np.min(x), np.max(x)),
        "standardize": lambda: (np.mean(x), np.std(x)),
    }[method]()


def _offset_scale(method, x):
    """Reference offset and scale from plain numpy (scale 0 -> 1)."""
    stat = _stat(method, x)
    offset, scale = stat if method in ("minmax", "standardize") else (0.0, stat)
    if method == "minmax":
        scale = scale - offset
    return offset, (scale if scale != 0 else 1.0)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30)
@given(flux=rows, ivar=hnp.arrays(np.float64, (3, 9), elements=st.floats(0.0, 1e3)),
       mask=hnp.arrays(np.bool_, (3, 9)))
def test_scaled_statistics_over_valid_pixels(method, flux, ivar, mask):
    batch = SpectrumBatch.from_arrays(np.arange(9.0), flux, ivar, mask, flux_unit="Jy")
    out = FluxScaler(method=method).fit_transform(batch)
    assert out.flux_units == [u.dimensionless_unscaled] * 3
    assert np.all(out.ivar >= 0)
    np.testing.assert_array_equal(out.mask, batch.mask)
    for k in range(3):
        good = ~mask[k]
        if not good.any():
            np.testing.assert_array_equal(out.flux[k], flux[k])  # nothing to scale by
            continue
        offset, scale = _offset_scale(method, flux[k][good])
        np.testing.assert_allclose(out.flux[k], (flux[k] - offset) / scale, rtol=1e-9,
                                   atol=1e-12)
        # sigma is divided by the scale: ivar multiplied by its square.
        np.testing.assert_allclose(out.ivar[k], ivar[k] * scale**2, rtol=1e-9)
        if scale == 1.0:
            continue  # degenerate spectrum, left unscaled
        expected = {"median": 1.0, "l2": 1.0, "max": 1.0, "minmax": (0.0, 1.0),
                    "standardize": (0.0, 1.0)}[method]
        np.testing.assert_allclose(_stat(method, out.flux[k][good]), expected, rtol=1e-9,
                                   atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=30)
@given(flux=rows, mask=hnp.arrays(np.bool_, (3, 9)), junk=st.floats(-1e9, 1e9))
def test_masked_pixels_do_not_change_the_scale(method, flux, mask, junk):
    scaler = FluxScaler(method=method)
    a = scaler.fit_transform(SpectrumBatch.from_arrays(np.arange(9.0), flux, mask=mask))
    b = scaler.fit_transform(SpectrumBatch.from_arrays(
        np.arange(9.0), np.where(mask, junk, flux), mask=mask))
    np.testing.assert_array_equal(a.flux[~mask], b.flux[~mask])


def test_matches_sklearn_on_clean_rows():
    X = np.random.default_rng(0).normal(size=(5, 20))
    np.testing.assert_allclose(FluxScaler(method="l2").fit_transform(X),
                               Normalizer(norm="l2").fit_transform(X))
    np.testing.assert_allclose(FluxScaler(method="max").fit_transform(X),
                               Normalizer(norm="max").fit_transform(X))
    np.testing.assert_allclose(FluxScaler(method="standardize").fit_transform(X),
                               StandardScaler().fit_transform(X.T).T)


def test_constant_and_nan_rows():
    X = np.array([[2.0, 2.0, 2.0], [np.nan, np.nan, np.nan]])
    np.testing.assert_array_equal(FluxScaler(method="minmax").fit_transform(X)[0], 0.0)
    np.testing.assert_array_equal(FluxScaler(method="median").fit_transform(X)[0], 1.0)
    assert np.all(np.isnan(FluxScaler().fit_transform(X)[1]))


def test_miles_median_is_one_and_float32_kept(shared_data):
    path = shared_data / "miles" / "spectra" / "MILES_res2.50_star_m0001V.fits"
    star = read_spectrum(path, format="fits")
    out = FluxScaler().fit_transform(star)
    assert np.median(out.flux) == pytest.approx(1.0, rel=1e-12)
    X = np.asarray(out.flux, dtype=np.float32) * 7
    assert FluxScaler(method="minmax").fit_transform(X).dtype == np.float32
