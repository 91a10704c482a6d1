"""ContinuumNormalizer on real spectra: SMASSII asteroids (Bus & Binzel 2002,
via fetch_smass2) and the shipped SpeX Prism Library sample (Burgasser 2014)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial import ConvexHull

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.datasets import fetch_smass2, load_spex_sample
from spectra_sklearn.preprocessing import TELLURIC_BANDS_NIR, ContinuumNormalizer

N_SMASS = 120


@pytest.fixture(scope="module")
def smass(shared_data):
    bunch = fetch_smass2(data_home=shared_data, download_if_missing=False)
    return bunch.data[:N_SMASS], bunch.target[:N_SMASS]


@pytest.fixture(scope="module")
def spex():
    """The M dwarfs of the sample: T dwarfs have ~0 (even negative) flux in
    their deep CH4 and H2O bands, where no positive continuum can be divided out
    (ContinuumNormalizer then warns and returns NaN rows, as documented)."""
    bunch = load_spex_sample()
    return bunch.data[np.flatnonzero(bunch.target_class == "M")]


def test_convex_hull_is_the_upper_envelope_of_asteroid_reflectance(smass):
    batch, _ = smass
    norm = ContinuumNormalizer(method="convex_hull")
    out = norm.fit_transform(batch)
    continua = norm.continuum(batch)
    for before, after, hull in zip(batch, out, continua):
        good = ~before.mask
        # Hull above the reflectance everywhere; normalised reflectance <= 1 ...
        assert np.all(hull.flux[good] >= before.flux[good] * (1 - 1e-12))
        assert np.all(after.flux[good] <= 1 + 1e-12)
        # ... touching 1 at the hull's vertices, the end points among them.
        idx = np.flatnonzero(good)
        assert after.flux[idx[0]] == pytest.approx(1) and after.flux[idx[-1]] == pytest.approx(1)
        # The vertices are those of qhull's convex hull (an independent implementation).
        points = np.c_[before.wavelength[good], before.flux[good]]
        qhull = ConvexHull(points).vertices
        upper = qhull[np.isclose(after.flux[good][qhull], 1.0, rtol=0, atol=1e-12)]
        assert upper.size >= 2
        assert_allclose(hull.flux[good], np.interp(points[:, 0], *points[np.sort(upper)].T),
                        rtol=1e-12)
        assert_allclose(after.ivar, before.ivar * hull.flux**2, rtol=1e-12)


def test_every_method_keeps_inverse_variance_non_negative_on_smass(smass):
    batch, _ = smass
    for params in [{}, {"method": "spline", "n_knots": 4},
                   {"method": "running_percentile", "window_width": 0.05},
                   {"method": "convex_hull"}, {"method": "window", "window": (0.54, 0.56)}]:
        for mode in ("divide", "subtract"):
            out = ContinuumNormalizer(mode=mode, **params).fit_transform(batch)
            for before, after in zip(batch, out):
                assert not np.any(after.ivar < 0)
                assert_array_equal(after.mask, before.mask)
                assert np.all(np.isfinite(after.flux[~after.mask]))


def test_running_percentile_upper_envelope_on_smass(smass):
    batch, _ = smass
    out = ContinuumNormalizer(method="running_percentile", window_width=0.05,
                              percentile=90).fit_transform(batch)
    above = np.mean(np.concatenate([s.flux[~s.mask] > 1 for s in out]))
    assert 0.03 < above < 0.2  # about a tenth of the pixels above a 90th percentile


def _spex_on_grid(spex):
    from spectra_sklearn.preprocessing import SpectralResampler

    return SpectralResampler(wavelength_min=0.9, wavelength_max=2.4, n_pixels=300,
                             wavelength_unit="um").fit_transform(spex[:40])


def test_telluric_exclusion_on_spex(spex):
    batch = _spex_on_grid(spex)
    w = batch.wavelength
    inside = np.zeros(w.size, dtype=bool)
    for lo, hi in TELLURIC_BANDS_NIR.to_value("um"):
        inside |= (w >= lo) & (w <= hi)
    assert inside.sum() > 20
    # Garbage in the telluric bands does not change a fit that excludes them.
    spoiled = batch.flux.copy()
    spoiled[:, inside] *= 1e-3
    spoiled_batch = SpectrumBatch.from_arrays(w, spoiled, batch.ivar, batch.mask,
                                              wavelength_unit="um")
    for params in [{"method": "spline", "n_knots": 8}, {"degree": 5}]:
        norm = ContinuumNormalizer(exclude=TELLURIC_BANDS_NIR, **params)
        clean = norm.continuum(batch).flux
        assert_allclose(norm.continuum(spoiled_batch).flux, clean, rtol=1e-9,
                        equal_nan=True)
        # Without the exclusion the spoiled bands drag the continuum down.
        plain = ContinuumNormalizer(maxiters=0, **params).continuum(spoiled_batch).flux
        assert np.nanmedian(np.abs(plain / clean - 1)) > 0.01


def test_spline_batched_equals_one_by_one_on_spex(spex):
    batch = _spex_on_grid(spex)
    norm = ContinuumNormalizer(method="spline", n_knots=10)
    together = norm.fit_transform(batch)
    for i in range(0, len(batch), 13):
        alone = norm.transform(batch[[i]])
        assert_allclose(alone.flux[0], together.flux[i], rtol=1e-9, equal_nan=True)
    # Ragged (the files' own grids) works one by one with the same result per spectrum.
    ragged = norm.transform(spex[:3])
    for s, r in zip(spex[:3], ragged):
        one = norm.transform(Spectrum(s.wavelength, s.flux, s.ivar, s.mask))
        assert_allclose(r.flux, one.flux[0], rtol=1e-12, equal_nan=True)
