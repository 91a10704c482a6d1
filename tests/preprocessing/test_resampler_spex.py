"""SpectralResampler on 20 real SpeX prism spectra (Burgasser 2014), read here with astropy.

Each file is one image: row 0 = wavelength (um), row 1 = flux density, row 2 =
uncertainty (some files have a 4th flag row). A few files store the image
transposed, (N, 3), and some have NaN flux; headers carry non-standard cards
that astropy warns about (ignored while reading here).
"""

import warnings

import numpy as np
import pytest
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from numpy.testing import assert_allclose, assert_array_equal
from spectres.spectral_resampling import make_bins

from spectra_sklearn import Spectrum
from spectra_sklearn.preprocessing import SpectralResampler

TRANSPOSED = ["12204_11940", "12205_11941", "12207_11943", "12208_11944", "12210_11946"]
# NaN flux in the first pixel, in the last one, and a 456-pixel NaN gap mid-spectrum.
WITH_NAN = ["10032_10787", "10033_10801", "12300_10869"]


def _read_image(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        with fits.open(path) as hdul:
            return np.array(hdul[0].data, dtype=np.float64)


def _spectrum(image, name):
    if image.shape[0] > image.shape[1]:
        image = image.T
    wavelength, flux, sigma = image[0], image[1], image[2]
    keep = np.isfinite(wavelength)
    wavelength, flux, sigma = wavelength[keep], flux[keep], sigma[keep]
    ivar = np.full(sigma.shape, np.nan)
    ok = np.isfinite(sigma) & (sigma > 0)
    ivar[ok] = sigma[ok] ** -2.0
    return Spectrum(wavelength, flux, ivar=ivar, wavelength_unit="um", meta={"source": name})


@pytest.fixture(scope="module")
def spex_spectra(shared_data):
    folder = shared_data / "spex_prism" / "spectra"
    paths = sorted(folder.glob("*.fits.gz"))
    spectra = []
    for path in paths:
        if len(spectra) >= 12:
            break
        image = _read_image(path)
        if image.ndim == 2 and image.shape[0] < image.shape[1]:
            spectra.append(_spectrum(image, path.name))
    for key in WITH_NAN:
        image = _read_image(folder / f"{key}.fits.gz")
        assert np.isnan(image[1]).any()  # the quirk
        spectra.append(_spectrum(image, key))
    for key in TRANSPOSED:
        image = _read_image(folder / f"{key}.fits.gz")
        assert image.ndim == 2 and image.shape[0] > image.shape[1]  # the quirk
        spectra.append(_spectrum(image, key))
    assert len(spectra) == 20
    return spectra


def _overlaps(in_edges, out_edges):
    """Dense (n_out, n_in) overlap lengths of output bins with input bins."""
    lo = np.maximum(out_edges[:-1, None], in_edges[None, :-1])
    hi = np.minimum(out_edges[1:, None], in_edges[None, 1:])
    return np.clip(hi - lo, 0.0, None)


def test_resample_real_spex_onto_common_log_grid(spex_spectra):
    resampler = SpectralResampler(
        wavelength_min=0.65, wavelength_max=2.55, n_pixels=700, spacing="log"
    )
    out = resampler.fit_transform(spex_spectra)
    grid = resampler.wavelength_grid_
    assert out.on_common_grid and out.shape == (20, 700)
    assert_array_equal(out.wavelength, grid)
    assert [m["source"] for m in out.meta] == [s.meta["source"] for s in spex_spectra]
    out_edges, out_widths = make_bins(grid)
    n_partially_masked = n_uncovered = 0
    for i, s in enumerate(spex_spectra):
        in_edges, _ = make_bins(s.wavelength)
        covered = (out_edges[:-1] >= in_edges[0]) & (out_edges[1:] <= in_edges[-1])
        n_uncovered += int(np.sum(~covered))
        assert out.mask[i, ~covered].all()
        assert np.all(out.ivar[i, ~covered] == 0)
        overlap = _overlaps(in_edges, out_edges)
        valid = ~s.mask
        weight = overlap * valid
        has_valid = weight.sum(axis=1) > 0
        assert_array_equal(out.mask[i], ~(covered & has_valid))
        # Direct dense evaluation of the overlap-weighted mean and its variance.
        good = ~out.mask[i]
        flux0 = np.where(valid, s.flux, 0.0)
        expected = (weight @ flux0)[good] / weight.sum(axis=1)[good]
        scale = (weight @ np.abs(flux0))[good] / weight.sum(axis=1)[good]
        assert_allclose(out.flux[i, good], expected, rtol=1e-10, atol=1e-10 * scale.max())
        known = good & np.all((overlap == 0) | ~valid | np.isfinite(s.ivar), axis=1)
        var_in = np.where(valid, 1.0 / s.ivar, 0.0)
        var = ((weight**2) @ np.nan_to_num(var_in))[known] / weight.sum(axis=1)[known] ** 2
        assert_allclose(1.0 / out.ivar[i, known], var, rtol=1e-10)
        # Flux conservation over the longest run of bins fully on valid input pixels.
        clean = covered & np.all((overlap == 0) | valid, axis=1)
        n_partially_masked += int(np.sum(good & ~clean))
        a, b = _longest_run(clean)
        assert b - a > 100
        integral = np.sum(out.flux[i, a:b] * out_widths[a:b])
        inside = _overlaps(in_edges, out_edges[[a, b]])[0]
        assert not np.any((inside > 0) & ~valid)
        direct = np.sum(inside * flux0)
        magnitude = np.sum(inside * np.abs(flux0))
        assert_allclose(integral, direct, rtol=1e-10, atol=1e-10 * magnitude)
    # Real spectra end at different wavelengths (~0.64-2.56 um), and some have NaN
    # pixels inside their coverage: both cases are exercised.
    assert n_uncovered > 0
    assert n_partially_masked > 0


def _longest_run(flags):
    """``(start, stop)`` of the longest run of True in ``flags``."""
    padded = np.concatenate(([False], flags, [False])).astype(int)
    change = np.flatnonzero(np.diff(padded))
    starts, stops = change[::2], change[1::2]
    k = np.argmax(stops - starts)
    return starts[k], stops[k]


def test_linear_resampling_of_real_spex_masks_outside_coverage(spex_spectra):
    resampler = SpectralResampler(
        wavelength_min=0.65, wavelength_max=2.55, n_pixels=700, spacing="log",
        method="linear",
    )
    out = resampler.fit_transform(spex_spectra)
    grid = resampler.wavelength_grid_
    for i, s in enumerate(spex_spectra):
        outside = (grid < s.wavelength[0]) | (grid > s.wavelength[-1])
        assert out.mask[i, outside].all()
        valid = ~s.mask
        j = np.clip(np.searchsorted(s.wavelength, grid, side="right") - 1, 0, s.n_pixels - 2)
        both = ~outside & valid[j] & valid[j + 1]
        expected = np.interp(grid[both], s.wavelength[valid], s.flux[valid])
        assert_allclose(out.flux[i, both], expected, rtol=1e-9,
                        atol=1e-9 * np.nanmax(np.abs(s.flux)))
