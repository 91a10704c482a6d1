"""ContinuumNormalizer on real SMASSII asteroid reflectance spectra (Bus & Binzel 2002).

The spectra are read here, straight from the survey's tarball, with a few lines
of numpy (three whitespace-separated columns: wavelength in um, reflectance
normalised to 1 at 0.55 um, 1-sigma uncertainty). Rows with wavelength 0 (a
known quirk of a003861 and a006847) are dropped.
"""

import io
import tarfile

import numpy as np
import pytest
from astropy import units as u
from numpy.testing import assert_allclose, assert_array_equal

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler

N_SPECTRA = 40
QUIRKY = ("smass2/a003861.[2]", "smass2/a006847.[2]")


def _parse(raw, name):
    table = np.loadtxt(io.BytesIO(raw.replace(b"\r", b"\n")), ndmin=2)
    table = table[table[:, 0] > 0]  # bad rows with wavelength 0
    wavelength, reflectance, sigma = table.T
    ivar = np.full(sigma.shape, np.nan)
    ivar[sigma > 0] = sigma[sigma > 0] ** -2.0
    return Spectrum(wavelength, reflectance, ivar=ivar, wavelength_unit="um",
                    meta={"source": name})


@pytest.fixture(scope="module")
def smass2_spectra(shared_data):
    path = shared_data / "smass2" / "smass2data.tar.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with tarfile.open(path, "r:gz") as tar:
        members = sorted(
            (m for m in tar.getmembers()
             if m.isfile() and m.name.endswith(".[2]") and ".spfit." not in m.name),
            key=lambda m: m.name,
        )
        chosen = members[:N_SPECTRA] + [m for m in members if m.name in QUIRKY]
        return [_parse(tar.extractfile(m).read(), m.name) for m in chosen]


def test_window_normalised_reflectance_is_one_over_the_window(smass2_spectra):
    batch = SpectrumBatch(smass2_spectra)
    assert not batch.on_common_grid  # the survey's grids differ in length
    norm = ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um")
    out = norm.fit_transform(batch)
    assert len(out) == len(smass2_spectra)
    for before, after in zip(smass2_spectra, out):
        inside = (before.wavelength >= 0.54) & (before.wavelength <= 0.56) & ~before.mask
        assert inside.sum() >= 5
        assert np.median(after.flux[inside]) == pytest.approx(1.0, rel=1e-14)
        continuum = np.median(before.flux[inside])
        assert_allclose(after.flux, before.flux / continuum, rtol=1e-14)
        # sigma / continuum
        assert_allclose(after.ivar, before.ivar * continuum**2, rtol=1e-14)
        assert_array_equal(after.mask, before.mask)
        assert after.flux_unit == u.dimensionless_unscaled
        assert after.meta["source"] == before.meta["source"]
        # The survey already normalised its reflectance to 1 at 0.55 um.
        assert 0.9 < continuum < 1.1


def test_window_on_common_grid_after_resampling(smass2_spectra):
    resampled = SpectralResampler(
        wavelength_min=0.44, wavelength_max=0.92, n_pixels=97
    ).fit_transform(smass2_spectra)
    out = ContinuumNormalizer(method="window", window=(0.54, 0.56)).fit_transform(resampled)
    inside = (resampled.wavelength >= 0.54) & (resampled.wavelength <= 0.56)
    for i in range(len(out)):
        good = inside & ~resampled.mask[i]
        assert np.median(out.flux[i, good]) == pytest.approx(1.0, rel=1e-14)


def test_polynomial_normalisation_vectorised_equals_one_by_one(smass2_spectra):
    """The batched fit on a common grid equals fitting each spectrum alone."""
    resampled = SpectralResampler(
        wavelength_min=0.44, wavelength_max=0.92, n_pixels=97
    ).fit_transform(smass2_spectra)
    norm = ContinuumNormalizer(degree=3)
    together = norm.fit_transform(resampled)
    for i in range(0, len(resampled), 7):
        alone = norm.transform(resampled[[i]])
        assert_allclose(alone.flux[0], together.flux[i], rtol=1e-9, equal_nan=True)
        assert_array_equal(alone.mask[0], together.mask[i])
    good = ~together.mask
    # A cubic continuum leaves the reflectance near 1 (absorption bands < ~20 %).
    assert np.all(np.abs(np.nanmedian(np.where(good, together.flux, np.nan), axis=1) - 1) < 0.05)
    continuum = resampled.flux[good] / together.flux[good]
    assert_allclose(together.ivar[good] ** -0.5, resampled.ivar[good] ** -0.5 / continuum,
                    rtol=1e-9)
