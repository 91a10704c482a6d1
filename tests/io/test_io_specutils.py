"""Conversion to and from specutils.Spectrum (optional dependency)."""

import sys

import numpy as np
import pytest
from astropy import units as u

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import from_specutils, read_spectra_file, read_spectrum, to_specutils

specutils = pytest.importorskip("specutils")
from astropy.nddata import InverseVariance, StdDevUncertainty  # noqa: E402


@pytest.fixture(scope="module")
def spex(one_spex_file):
    return read_spectrum(one_spex_file)


def test_round_trip_of_a_real_spectrum(spex):
    converted = to_specutils(spex)
    assert isinstance(converted, specutils.Spectrum)
    assert converted.flux.unit == spex.flux_unit
    assert converted.spectral_axis.unit == spex.wavelength_unit
    assert isinstance(converted.uncertainty, InverseVariance)
    assert converted.uncertainty.unit == spex.flux_unit**-2
    np.testing.assert_array_equal(converted.mask, spex.mask)
    np.testing.assert_array_equal(converted.flux.value, spex.flux)
    back = from_specutils(converted)
    for name in ("wavelength", "flux", "ivar", "mask"):
        np.testing.assert_array_equal(getattr(back, name), getattr(spex, name))
    assert back.wavelength_unit == spex.wavelength_unit and back.flux_unit == spex.flux_unit
    assert back.meta == spex.meta


def test_unknown_flux_unit_and_unknown_ivar_survive(shared_data):
    batch = read_spectra_file(shared_data / "demeo2009" / "demeo2009_splined_spectra.csv")
    s = Spectrum(batch[0].wavelength, batch[0].flux, meta={"x": 1})  # flux_unit None
    converted = to_specutils(s)
    assert converted.uncertainty is None and converted.flux.unit == u.dimensionless_unscaled
    back = from_specutils(converted)
    assert back.flux_unit is None and np.isnan(back.ivar).all() and back.meta == {"x": 1}


def test_batch_gives_a_list():
    batch = SpectrumBatch.from_arrays([1.0, 2.0, 3.0], np.arange(6.0).reshape(2, 3))
    out = to_specutils(batch)
    assert len(out) == 2 and out[1].flux.value.tolist() == [3.0, 4.0, 5.0]


def test_stddev_uncertainty_frequency_axis_and_2d_flux():
    freq = np.array([100.0, 200.0, 300.0]) * u.THz
    sp = specutils.Spectrum(
        flux=np.array([1.0, 2.0, 3.0]) * u.Jy, spectral_axis=freq,
        uncertainty=StdDevUncertainty(np.array([0.5, 0.0, 0.25]) * u.Jy))
    s = from_specutils(sp)
    assert s.wavelength_unit == u.um
    # decreasing wavelengths from increasing frequency: the arrays are reversed together
    np.testing.assert_allclose(s.wavelength, freq[::-1].to_value(u.um, u.spectral()))
    assert s.flux.tolist() == [3.0, 2.0, 1.0]
    assert s.ivar.tolist() == [16.0, 0.0, 4.0] and s.mask.tolist() == [False, True, False]
    two = specutils.Spectrum(flux=np.ones((2, 3)) * u.Jy,
                             spectral_axis=np.array([1.0, 2.0, 3.0]) * u.um,
                             spectral_axis_index=1)
    batch = from_specutils(two)
    assert isinstance(batch, SpectrumBatch) and batch.shape == (2, 3)


def test_type_errors():
    with pytest.raises(TypeError, match="needs a Spectrum or SpectrumBatch"):
        to_specutils(np.ones(3))
    with pytest.raises(TypeError, match="needs a specutils.Spectrum"):
        from_specutils(Spectrum([1.0, 2.0], [1.0, 1.0]))


def test_missing_specutils_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "specutils", None)
    with pytest.raises(ImportError, match="optional package specutils"):
        to_specutils(Spectrum([1.0, 2.0], [1.0, 1.0]))
