"""Units at the boundary: Quantities given to Spectrum / SpectrumBatch (issue 17)."""

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import SpectrumReadError
from spectra_sklearn.io._units import parse_flux_unit


def test_spectrum_keeps_quantity_units():
    s = Spectrum(np.array([500, 600, 700]) * u.nm, np.ones(3) * u.Jy)
    assert s.wavelength_unit == u.nm and s.flux_unit == u.Jy
    np.testing.assert_array_equal(s.wavelength, [500, 600, 700])
    assert u.allclose(s.wavelength_quantity, [0.5, 0.6, 0.7] * u.um)


def test_spectrum_converts_quantity_to_declared_units():
    wave = np.array([500.0, 600.0, 700.0]) * u.nm
    s = Spectrum(wave, np.ones(3) * u.Jy, ivar=np.full(3, 4.0),
                 wavelength_unit="um", flux_unit="erg s-1 cm-2 Angstrom-1")
    assert s.wavelength_unit == u.um
    np.testing.assert_allclose(s.wavelength, [0.5, 0.6, 0.7])
    expected = (1 * u.Jy).to(u.erg / u.s / u.cm**2 / u.AA,
                             equivalencies=u.spectral_density(wave))
    np.testing.assert_allclose(s.flux, expected.value)
    # the uncertainty scales with the flux: sigma' = sigma * factor
    np.testing.assert_allclose(s.uncertainty, 0.5 * expected.value)


@pytest.mark.parametrize("grid", [
    np.array([100.0, 200.0, 300.0]) * u.THz,
    np.array([0.5, 1.0, 2.0]) * u.eV,
    np.array([5000.0, 10000.0, 20000.0]) / u.cm,
])
def test_frequency_and_energy_grids_become_increasing_wavelengths(grid):
    flux = np.array([1.0, 2.0, 3.0])
    s = Spectrum(grid, flux)
    expected = grid.to(u.um, equivalencies=u.spectral())
    assert s.wavelength_unit == u.um
    np.testing.assert_allclose(s.wavelength, expected.value[::-1])
    np.testing.assert_array_equal(s.flux, flux[::-1])
    b = SpectrumBatch.from_arrays(grid, np.stack([flux, 2 * flux]))
    np.testing.assert_allclose(b.wavelength, expected.value[::-1])
    np.testing.assert_array_equal(b.flux[1], 2 * flux[::-1])


@pytest.mark.parametrize("kwargs, match", [
    (dict(wavelength=[1, 2, 3] * u.kg, flux=[1, 2, 3]), "the wavelength Quantity is in 'kg'"),
    (dict(wavelength=[1, 2, 3] * u.nm, flux=[1, 2, 3], wavelength_unit="pix"),
     "cannot be converted to 'pix'"),
    (dict(wavelength=[1, 2, 3], flux=[1, 2, 3], wavelength_unit="s"), "'s' \\(time\\)"),
    (dict(wavelength=[1, 2, 3], flux=[1, 2, 3] * u.Jy, flux_unit="ct"), "contradicts"),
    (dict(wavelength=[1, 2, 3], flux=[1, 2, 3] * u.kg), "flux-like unit"),
    (dict(wavelength=[1, 2, 3], flux=[1, 2, 3], flux_unit="kg"), "flux-like unit"),
    (dict(wavelength=[1, 2, 3], flux=[1, 2, 3], ivar=[1, 1, 1] * u.Jy**-2),
     "needs one known flux unit"),
])
def test_contradicting_or_meaningless_units_are_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Spectrum(**kwargs)


def test_from_arrays_quantities_and_accessors():
    b = SpectrumBatch.from_arrays(np.array([400.0, 500.0]) * u.nm,
                                  np.ones((2, 2)) * u.mJy, ivar=np.ones((2, 2)) / u.Jy**2,
                                  flux_unit="Jy")
    assert b.wavelength_unit == u.nm and b.flux_units == [u.Jy, u.Jy]
    np.testing.assert_allclose(b.flux, 1e-3)
    np.testing.assert_allclose(b.ivar, 1.0)
    assert u.allclose(b.wavelength_quantity, [0.4, 0.5] * u.um)
    assert b.flux_quantity.unit == u.Jy and b.ivar_quantity.unit == u.Jy**-2
    with pytest.raises(ValueError, match="flux-like"):
        SpectrumBatch.from_arrays([1.0, 2.0], np.ones((1, 2)), flux_unit="kg")
    with pytest.raises(ValueError, match="contradicts"):
        SpectrumBatch.from_arrays([1.0, 2.0], np.ones((1, 2)) * u.Jy, flux_unit="s")
    mixed = SpectrumBatch.from_arrays([1.0, 2.0], np.ones((2, 2)), flux_unit=["Jy", "mJy"])
    with pytest.raises(ValueError, match="one flux unit"):
        _ = mixed.flux_quantity


def test_mass_unit_in_a_file_is_a_reading_error(tmp_path):
    with pytest.raises(SpectrumReadError, match="not a flux-like unit"):
        parse_flux_unit("kg", source="x.fits")
    path = tmp_path / "mass.fits"
    hdu = fits.PrimaryHDU(np.ones(5, dtype=np.float32))
    hdu.header.update(CRVAL1=1.0, CDELT1=0.1, CRPIX1=1.0, CUNIT1="um", BUNIT="kg")
    hdu.writeto(path)
    from spectra_sklearn.io import read_spectrum

    with pytest.raises(SpectrumReadError, match=r"mass\.fits.*not a flux-like unit"):
        read_spectrum(path, format="fits")


def test_transformer_wavelength_limits_take_quantities():
    from spectra_sklearn.preprocessing import SpectralResampler, WavelengthCropper

    b = SpectrumBatch.from_arrays(np.linspace(1.0, 2.0, 11), np.ones((2, 11)))
    out = SpectralResampler(wavelength_min=1100 * u.nm, wavelength_max=1.9 * u.um,
                            n_pixels=5).fit_transform(b)
    np.testing.assert_allclose(out.wavelength, [1.1, 1.3, 1.5, 1.7, 1.9])
    # frequency limits: the lowest frequency is the longest wavelength
    low, high = (1.9 * u.um).to(u.THz, u.spectral()), (1.1 * u.um).to(u.THz, u.spectral())
    out = SpectralResampler(wavelength_min=low, wavelength_max=high,
                            n_pixels=5).fit_transform(b)
    np.testing.assert_allclose(out.wavelength, [1.1, 1.3, 1.5, 1.7, 1.9])
    cropped = WavelengthCropper(wavelength_min=1500 * u.nm).fit_transform(b)
    np.testing.assert_allclose(cropped.wavelength, [1.5, 1.6, 1.7, 1.8, 1.9, 2.0])
    with pytest.raises(ValueError, match="'wavelength_min' parameter of SpectralResampler"):
        SpectralResampler(wavelength_min=3 * u.kg, n_pixels=5).fit(b)
    with pytest.raises(ValueError, match="cannot be converted"):
        WavelengthCropper(wavelength_max=1 * u.um).fit_transform(np.ones((1, 4)))  # pixels
