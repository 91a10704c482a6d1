"""ResolutionDegrader: line widths, flux conservation, variance, masks, MILES."""

import numpy as np
import pytest
from astropy import units as u
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.ndimage import gaussian_filter1d

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import read_spectrum
from spectra_sklearn.preprocessing import ResolutionDegrader

FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


def _gaussian_line(wavelength, centre, fwhm):
    return np.exp(-0.5 * ((wavelength - centre) / (fwhm / FWHM)) ** 2)


def _measured_fwhm(wavelength, flux, centre, half):
    near = np.abs(wavelength - centre) < half
    w, f = wavelength[near], flux[near]
    mean = np.sum(w * f) / np.sum(f)
    return FWHM * np.sqrt(np.sum((w - mean) ** 2 * f) / np.sum(f))


@pytest.mark.parametrize("fwhm_in, fwhm_out", [(2.5, 5.0), (0.0, 3.0), (1.0, 1.2)])
def test_line_gets_target_fwhm_and_keeps_its_flux(fwhm_in, fwhm_out):
    wavelength = np.arange(5000.0, 5100.0, 0.05)
    if fwhm_in == 0:  # a delta-like line: one pixel
        flux = (np.abs(wavelength - 5050.0) < 0.025).astype(float)
    else:
        flux = _gaussian_line(wavelength, 5050.0, fwhm_in)
    s = Spectrum(wavelength, flux, wavelength_unit="Angstrom", meta={"fwhm": fwhm_in})
    out = ResolutionDegrader(target_fwhm=fwhm_out).fit_transform(s)
    measured = _measured_fwhm(wavelength, out.flux[0], 5050.0, 8 * fwhm_out)
    assert measured == pytest.approx(fwhm_out, rel=0.005)
    assert out.flux.sum() == pytest.approx(flux.sum(), rel=1e-9)
    assert out.meta[0]["fwhm"] == fwhm_out


def test_constant_resolving_power_on_log_grid():
    wavelength = np.exp(np.arange(np.log(4000.0), np.log(8000.0), 4e-5))
    flux = 1.0 + _gaussian_line(wavelength, 4500.0, 4500.0 / 5000) + _gaussian_line(
        wavelength, 7500.0, 7500.0 / 5000)
    s = Spectrum(wavelength, flux, wavelength_unit="Angstrom", meta={"resolution": 5000})
    out = ResolutionDegrader(target_resolution=1000).fit_transform(s)
    for centre in (4500.0, 7500.0):
        measured = _measured_fwhm(wavelength, out.flux[0] - 1.0, centre, 8 * centre / 1000)
        assert measured == pytest.approx(centre / 1000, rel=0.01)
    inner = slice(2000, -2000)  # away from the renormalised ends
    d_lambda = np.gradient(wavelength)
    assert np.sum((out.flux[0] - 1.0) * d_lambda)[()] == pytest.approx(
        np.sum((flux - 1.0) * d_lambda), rel=1e-4)
    np.testing.assert_allclose(out.flux[0][inner][:100], 1.0, atol=1e-12)
    assert out.meta[0] == {"resolution": 1000.0}


def test_units_and_mixed_specifications():
    wavelength = np.linspace(600.0, 700.0, 2001)  # nm
    flux = _gaussian_line(wavelength, 650.0, 0.1)
    s = Spectrum(wavelength, flux, wavelength_unit="nm", meta={"fwhm": 1.0 * u.AA})
    out = ResolutionDegrader(target_fwhm=5.0, wavelength_unit="Angstrom").fit_transform(s)
    assert _measured_fwhm(wavelength, out.flux[0], 650.0, 4.0) == pytest.approx(0.5, rel=0.01)
    assert out.meta[0]["fwhm"] == pytest.approx(0.5)
    # Input R from the parameter, target FWHM: R = 6500 gives 0.1 nm at 650 nm.
    out = ResolutionDegrader(target_fwhm=0.5, input_resolution=6500).fit_transform(s)
    assert _measured_fwhm(wavelength, out.flux[0], 650.0, 4.0) == pytest.approx(0.5, rel=0.01)


@settings(max_examples=30)
@given(hnp.arrays(np.float64, (3, 12), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.float64, (3, 12), elements=st.floats(0.0, 1e3)),
       hnp.arrays(np.bool_, (3, 12)))
def test_identity_when_target_equals_input(flux, ivar, mask):
    batch = SpectrumBatch.from_arrays(np.arange(12.0), flux, ivar, mask)
    out = ResolutionDegrader(target_fwhm=2.0, input_fwhm=2.0).fit_transform(batch)
    np.testing.assert_array_equal(out.flux, batch.flux)
    np.testing.assert_array_equal(out.ivar, batch.ivar)
    np.testing.assert_array_equal(out.mask, batch.mask)


@settings(max_examples=30)
@given(hnp.arrays(np.float64, (2, 30), elements=st.floats(-1e3, 1e3)),
       hnp.arrays(np.float64, (2, 30), elements=st.floats(0.0, 1e3)),
       hnp.arrays(np.bool_, (2, 30)),
       st.floats(0.1, 10.0))
def test_ivar_never_negative_and_masks_do_not_spread(flux, ivar, mask, fwhm):
    degrader = ResolutionDegrader(target_fwhm=fwhm, input_fwhm=0.0)
    batch = SpectrumBatch.from_arrays(np.arange(30.0), flux, ivar, mask)
    out = degrader.fit_transform(batch)
    assert np.all(out.ivar >= 0)
    assert np.all(out.mask[batch.mask])  # masked pixels stay masked...
    np.testing.assert_array_equal(out.flux[batch.mask], batch.flux[batch.mask])
    assert np.all(np.isfinite(out.flux[~out.mask]))
    # ...and their flux does not matter to the others.
    other = SpectrumBatch.from_arrays(np.arange(30.0), np.where(mask, 1e6, flux), ivar, mask)
    again = degrader.fit_transform(other)
    np.testing.assert_allclose(again.flux[~out.mask], out.flux[~out.mask], rtol=1e-9,
                               atol=1e-9)


def test_variance_through_the_weights():
    n = 41
    flux = np.ones((1, n))
    ivar = np.full((1, n), 4.0)
    out = ResolutionDegrader(target_fwhm=FWHM * 2.0, input_fwhm=0.0).fit_transform(
        SpectrumBatch.from_arrays(np.arange(float(n)), flux, ivar))
    np.testing.assert_allclose(out.flux, 1.0, rtol=1e-12)  # a constant stays constant
    # Averaging with weights w: var = sum(w**2) / sum(w)**2 / 4 in the middle,
    # i.e. about 1 / (2 sqrt(pi) sigma) / 4 for sigma = 2 pixels.
    assert out.ivar[0, n // 2] == pytest.approx(4.0 * 2.0 * np.sqrt(np.pi) * 2.0, rel=0.02)
    assert np.all(out.ivar >= 4.0)
    ivar[0, 20] = 0.0  # no information there: every pixel it touches has none
    out = ResolutionDegrader(target_fwhm=FWHM * 2.0, input_fwhm=0.0).fit_transform(
        SpectrumBatch.from_arrays(np.arange(float(n)), flux, ivar))
    assert out.ivar[0, 20] == 0.0 and out.ivar[0, 0] > 0


def test_errors():
    s = Spectrum([5000.0, 5001.0], [1.0, 1.0], wavelength_unit="Angstrom",
                 meta={"source": "star.fits", "fwhm": 2.5})
    with pytest.raises(ValueError, match=r"sharper than that of spectrum 0 \('star.fits'\)"):
        ResolutionDegrader(target_fwhm=2.0).fit_transform(s)
    with pytest.raises(ValueError, match="at most one of 'target_resolution'"):
        ResolutionDegrader(target_resolution=100.0, target_fwhm=3.0).fit(s)
    with pytest.raises(ValueError, match="at most one of 'input_resolution'"):
        ResolutionDegrader(target_fwhm=3.0, input_fwhm=1.0, input_resolution=10.0).fit(s)
    with pytest.raises(ValueError, match="input resolution of spectrum 0 is unknown"):
        ResolutionDegrader(target_fwhm=3.0).fit_transform(np.ones((1, 3)))
    bad = Spectrum([1.0, 2.0], [1.0, 1.0], meta={"resolution": "high"})
    with pytest.raises(ValueError, match="'high'; a resolving power must be a number"):
        ResolutionDegrader(target_resolution=1.0).fit_transform(bad)


def test_defaults_are_the_identity():
    # Issue 17: a ResolutionDegrader() of defaults fits and changes nothing (no
    # target, and no input resolution needed), on spectra and plain arrays.
    s = Spectrum([5000.0, 5001.0, 5002.0], [1.0, 3.0, 2.0], ivar=[1.0, 2.0, 3.0],
                 wavelength_unit="Angstrom", meta={"source": "star.fits", "fwhm": 2.5})
    out = ResolutionDegrader().fit_transform(s)
    np.testing.assert_array_equal(out.flux[0], s.flux)
    np.testing.assert_array_equal(out.ivar[0], s.ivar)
    assert out.meta == [s.meta]
    X = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(ResolutionDegrader().fit(X).transform(X), X)


def test_miles_to_lower_resolution(shared_data):
    # MILES: 0.9 Angstrom pixels at FWHM 2.5 Angstrom (PROVENANCE.md).
    path = shared_data / "miles" / "spectra" / "MILES_res2.50_star_m0001V.fits"
    star = read_spectrum(path, format="fits")
    with pytest.raises(ValueError, match="sharper"):  # 3540 / 2000 < 2.5 Angstrom
        ResolutionDegrader(target_resolution=2000, input_fwhm=2.5).fit_transform(star)
    out = ResolutionDegrader(target_fwhm=5.0, input_fwhm=2.5).fit_transform(star)
    # Same as scipy's Gaussian filter on this uniform grid away from the ends.
    sigma_pixels = np.sqrt(5.0**2 - 2.5**2) / FWHM / 0.9
    reference = gaussian_filter1d(star.flux, sigma_pixels)
    inner = slice(50, -50)
    np.testing.assert_allclose(out.flux[0][inner], reference[inner], rtol=1e-9)
    assert out.flux.sum() == pytest.approx(star.flux.sum(), rel=1e-3)
    assert out.meta[0]["fwhm"] == 5.0
