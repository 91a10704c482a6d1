"""RestFrameShifter: wavelengths, flux conservation, metadata, real SDSS spectra."""

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given
from hypothesis import strategies as st

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import RestFrameShifter, SpectralResampler

H_ALPHA_VACUUM = 6564.61  # Angstrom, SDSS line list


def _batch(redshifts):
    n = len(redshifts)
    return SpectrumBatch.from_arrays(
        np.linspace(4000.0, 5000.0, 6), np.arange(6.0 * n).reshape(n, 6) + 1.0,
        ivar=np.full((n, 6), 4.0), mask=np.eye(n, 6, dtype=bool),
        wavelength_unit="Angstrom", meta=[{"z": z} for z in redshifts],
    )


@given(st.floats(min_value=-0.5, max_value=10.0))
def test_wavelengths_flux_and_ivar(z):
    batch = _batch([z])
    out = RestFrameShifter().fit_transform(batch)
    np.testing.assert_allclose(out.wavelength * (1 + z), batch.wavelength, rtol=1e-14)
    # Integrated flux sum(f * d_lambda) is conserved; sigma scales with the
    # flux, so the signal-to-noise ratio flux * sqrt(ivar) is unchanged.
    integral = np.trapezoid(batch.flux[0], batch.wavelength)
    assert np.trapezoid(out.flux[0], out.wavelength) == pytest.approx(integral, rel=1e-12)
    np.testing.assert_allclose(out.flux * out.ivar**0.5, batch.flux * batch.ivar**0.5,
                               rtol=1e-12)
    assert np.all(out.ivar >= 0)
    np.testing.assert_array_equal(out.mask, batch.mask)
    assert out.meta[0] == {"z": z, "rest_frame": True, "rest_frame_redshift": z}


def test_zero_redshift_is_identity_and_conserve_flux_false():
    batch = _batch([0.0, 0.0])
    out = RestFrameShifter().fit_transform(batch)
    assert out.on_common_grid
    for name in ("wavelength", "flux", "ivar", "mask"):
        np.testing.assert_array_equal(getattr(out, name), getattr(batch, name))
    plain = RestFrameShifter(redshift=1.0, conserve_flux=False).fit_transform(batch)
    np.testing.assert_array_equal(plain.flux, batch.flux)
    np.testing.assert_array_equal(plain.ivar, batch.ivar)
    np.testing.assert_allclose(plain.wavelength, batch.wavelength / 2)


def test_different_redshifts_give_ragged_batch_then_resample():
    batch = _batch([0.0, 0.1, 0.2])
    out = RestFrameShifter().fit_transform(batch)
    assert not out.on_common_grid
    for s, z in zip(out, [0.0, 0.1, 0.2]):
        np.testing.assert_allclose(s.wavelength, batch.wavelength / (1 + z))
    grid = SpectralResampler(wavelength_min=3400.0, wavelength_max=4000.0,
                             n_pixels=4).fit_transform(out)
    assert grid.shape == (3, 4)


def test_errors_name_the_spectrum():
    missing = Spectrum([1.0, 2.0], [1.0, 1.0], meta={"source": "a.fits"})
    with pytest.raises(ValueError, match=r"spectrum 0 \('a.fits'\) has no redshift.*'z'"):
        RestFrameShifter().fit_transform(missing)
    bad = Spectrum([1.0, 2.0], [1.0, 1.0], meta={"z": -1.5})
    with pytest.raises(ValueError, match="-1.5; a redshift must be a finite number > -1"):
        RestFrameShifter().fit_transform(bad)
    twice = RestFrameShifter(redshift=0.1).fit_transform(missing)
    with pytest.raises(ValueError, match="already in the rest frame"):
        RestFrameShifter(redshift=0.1).fit_transform(twice)
    with pytest.raises(ValueError, match="redshift"):
        RestFrameShifter(redshift=-1.0).fit(missing)


def test_arrays_pass_through():
    X = np.array([[1.0, 2.0], [3.0, np.nan]])
    np.testing.assert_array_equal(RestFrameShifter(redshift=1.0).fit_transform(X), X)


def read_sdss(path):
    """An SDSS DR18 spec file read with astropy (vacuum wavelengths, Angstrom)."""
    with fits.open(path) as hdul:
        coadd, specobj = hdul["COADD"].data, hdul["SPECOBJ"].data
        return Spectrum(
            10.0 ** coadd["loglam"].astype(float), coadd["flux"], coadd["ivar"],
            coadd["and_mask"] != 0, wavelength_unit="Angstrom",
            flux_unit="1e-17 erg/(s cm2 Angstrom)",
            meta={"z": float(specobj["Z"][0]), "wavelength_medium": "vacuum",
                  "source": str(path)},
        )


def test_sdss_h_alpha_emission_lands_at_rest_wavelength(shared_data):
    # NGC 3073 (z = 0.0038) shows H-alpha emission; at rest it is at 6564.61
    # Angstrom (vacuum), 24.7 Angstrom blue of where it is observed.
    spectrum = read_sdss(shared_data / "sdss_spectra" / "NGC3073_SDSS_DR18.fits")
    out = RestFrameShifter().fit_transform(spectrum)
    w, f = out.wavelength, out.flux[0]
    core = np.abs(w - H_ALPHA_VACUUM) < 4.0
    sides = (np.abs(w - H_ALPHA_VACUUM) > 8.0) & (np.abs(w - H_ALPHA_VACUUM) < 12.0)
    excess = np.clip(f[core] - np.median(f[sides]), 0.0, None)
    centroid = np.sum(w[core] * excess) / np.sum(excess)
    assert centroid == pytest.approx(H_ALPHA_VACUUM, abs=1.0)
    assert np.all(out.ivar >= 0)
    assert np.trapezoid(f, w) == pytest.approx(
        np.trapezoid(spectrum.flux, spectrum.wavelength), rel=1e-10)
