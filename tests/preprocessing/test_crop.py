"""WavelengthCropper: kept pixels, units, feature names, errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import WavelengthCropper


def test_common_grid_stays_common_and_units_convert():
    batch = SpectrumBatch.from_arrays(
        [0.5, 0.6, 0.7, 0.8], np.arange(8.0).reshape(2, 4), ivar=np.ones((2, 4)),
        mask=[[0, 1, 0, 0], [0, 0, 0, 1]], wavelength_unit="um", meta=[{"a": 1}, {}],
    )
    out = WavelengthCropper(wavelength_min=6000, wavelength_unit="Angstrom").fit_transform(batch)
    assert out.on_common_grid and out.wavelength_unit == batch.wavelength_unit
    np.testing.assert_array_equal(out.wavelength, [0.6, 0.7, 0.8])
    np.testing.assert_array_equal(out.flux, batch.flux[:, 1:])
    np.testing.assert_array_equal(out.mask, batch.mask[:, 1:])
    assert out.meta == batch.meta


@given(st.floats(-2, 12), st.floats(-2, 12))
def test_keeps_exactly_the_pixels_in_range(lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    wavelength = np.linspace(0.0, 10.0, 21)
    keep = (wavelength >= lo) & (wavelength <= hi)
    s = Spectrum(wavelength, wavelength**2)
    cropper = WavelengthCropper(wavelength_min=lo, wavelength_max=hi)
    if not keep.any():
        with pytest.raises(ValueError, match="no pixel in"):
            cropper.fit_transform(s)
        return
    out = cropper.fit_transform(s)
    np.testing.assert_array_equal(out.wavelength, wavelength[keep])
    np.testing.assert_array_equal(out.flux[0], wavelength[keep] ** 2)


def test_ragged_and_open_ranges():
    batch = SpectrumBatch([Spectrum([1.0, 2.0, 3.0], [1, 2, 3]), Spectrum([2.5, 3.5], [4, 5])])
    out = WavelengthCropper(wavelength_max=3.0).fit_transform(batch)
    assert [s.wavelength.tolist() for s in out] == [[1.0, 2.0, 3.0], [2.5]]
    same = WavelengthCropper().fit_transform(batch)
    assert [s.flux.tolist() for s in same] == [[1, 2, 3], [4, 5]]


def test_arrays_and_feature_names():
    X = pd.DataFrame(np.arange(10.0).reshape(2, 5), columns=list("abcde"))
    cropper = WavelengthCropper(wavelength_min=1, wavelength_max=3).fit(X)
    np.testing.assert_array_equal(cropper.transform(X), X.to_numpy()[:, 1:4])
    assert cropper.get_feature_names_out().tolist() == ["b", "c", "d"]


def test_errors():
    s = Spectrum([1.0, 2.0], [1.0, 1.0], meta={"source": "x.fits"})
    with pytest.raises(ValueError, match=r"spectrum 0 \('x.fits'\) has no pixel in \[5"):
        WavelengthCropper(wavelength_min=5).fit_transform(s)
    with pytest.raises(ValueError, match="wavelength_min <= wavelength_max"):
        WavelengthCropper(wavelength_min=5, wavelength_max=1).fit(s)
    with pytest.raises(ValueError, match="cannot be converted"):
        WavelengthCropper(wavelength_min=1, wavelength_unit="um").fit_transform(np.ones((1, 3)))
    with pytest.raises(ValueError, match="finite"):
        WavelengthCropper(wavelength_min=float("nan")).fit(s)
