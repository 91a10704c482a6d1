"""MaskedPixelInterpolator: linear fill along wavelength, ivar 0, mask kept."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import MaskedPixelInterpolator


@settings(max_examples=30)
@given(hnp.arrays(np.float64, (4, 15), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.bool_, (4, 15)))
def test_matches_numpy_interp(flux, mask):
    wavelength = np.cumsum(np.linspace(0.5, 2.0, 15))  # uneven grid
    batch = SpectrumBatch.from_arrays(wavelength, flux, np.ones_like(flux), mask)
    out = MaskedPixelInterpolator().fit_transform(batch)
    for k in range(4):
        good = ~mask[k]
        if good.any():
            expected = np.interp(wavelength, wavelength[good], flux[k][good])
            np.testing.assert_allclose(out.flux[k], expected, rtol=1e-12, atol=1e-9)
        else:
            assert np.all(np.isnan(out.flux[k]))
    np.testing.assert_array_equal(out.mask, mask)
    np.testing.assert_array_equal(out.ivar, np.where(mask, 0.0, 1.0))


def test_clear_mask_and_ragged():
    s = Spectrum([1.0, 2.0, 4.0], [1.0, np.nan, 4.0], ivar=[1.0, 1.0, 1.0])
    t = Spectrum([0.0, 1.0], [np.nan, np.nan])
    out = MaskedPixelInterpolator(clear_mask=True).fit_transform([s, t])
    np.testing.assert_allclose(out[0].flux, [1.0, 2.0, 4.0])
    assert out[0].mask.tolist() == [False, False, False]
    assert out[0].ivar.tolist() == [1.0, 0.0, 1.0]
    assert out[1].mask.all() and np.isnan(out[1].flux).all()  # nothing to fill from


def test_arrays_without_nan_unchanged():
    X = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(MaskedPixelInterpolator().fit_transform(X), X)
