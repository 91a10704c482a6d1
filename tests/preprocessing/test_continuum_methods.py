"""ContinuumNormalizer methods on synthetic spectra: spline, running percentile,
convex hull, Legendre polynomials, exclusion regions, the continuum() method."""

import numpy as np
import pytest
from astropy import units as u
from numpy.testing import assert_allclose, assert_array_equal

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import (
    TELLURIC_BANDS_NIR,
    ContinuumNormalizer,
    UndeterminedContinuumWarning,
)

LINES = np.array([0.62, 0.71, 0.80])  # absorption line centres, um
LINE_SIGMA = 0.004


def _lines(w, depth):
    return 1.0 - np.einsum(
        "nl,lp->np", depth, np.exp(-0.5 * ((w[None, :] - LINES[:, None]) / LINE_SIGMA) ** 2)
    )


def _blackbody_like(n_spectra=6, n_pixels=600, noise=0.002, seed=0):
    """Continua that no cubic follows (Planck curves peaking in the range) x lines."""
    rng = np.random.default_rng(seed)
    w = np.linspace(0.5, 0.9, n_pixels)
    temperature = rng.uniform(4000.0, 6000.0, size=(n_spectra, 1))
    continua = 1.0 / (w**5 * np.expm1(1.4388e4 / (w * temperature)))
    continua /= continua.mean(axis=1, keepdims=True)
    depth = rng.uniform(0.2, 0.6, size=(n_spectra, LINES.size))
    flux = continua * _lines(w, depth)
    flux = flux + noise * continua * rng.standard_normal(flux.shape)
    return w, flux, continua


def _far_from_lines(w):
    return np.all(np.abs(w[:, None] - LINES[None, :]) > 4 * LINE_SIGMA, axis=1)


def test_spline_recovers_a_continuum_a_low_degree_polynomial_cannot():
    w, flux, continua = _blackbody_like()
    batch = SpectrumBatch.from_arrays(w, flux, np.full(flux.shape, 1e4))
    spline = ContinuumNormalizer(method="spline", n_knots=6).fit_transform(batch)
    err_spline = np.abs(flux / spline.flux / continua - 1).max()
    assert err_spline < 0.004
    far = _far_from_lines(w)
    assert_allclose(spline.flux[:, far], 1.0, atol=0.01)
    cubic = ContinuumNormalizer(degree=1).fit_transform(batch)
    assert np.abs(flux / cubic.flux / continua - 1).max() > 3 * err_spline


def test_spline_bridges_a_gap_wider_than_the_knot_spacing():
    w, flux, continua = _blackbody_like(n_spectra=3, noise=0.0)
    mask = np.zeros(flux.shape, dtype=bool)
    mask[:, 200:330] = True  # 0.087 um gap, knots every 0.057 um
    flux = np.where(mask, -1e3, flux)  # garbage under the mask must not matter
    out = ContinuumNormalizer(method="spline", n_knots=6).fit_transform(
        SpectrumBatch.from_arrays(w, flux, None, mask))
    continuum = ContinuumNormalizer(method="spline", n_knots=6).continuum(
        SpectrumBatch.from_arrays(w, flux, None, mask))
    assert np.all(np.isfinite(continuum.flux))
    # Across the gap the spline is a smooth bridge, within a few % of the truth.
    assert np.abs(continuum.flux / continua - 1).max() < 0.05
    assert_array_equal(out.mask, mask)


def test_knot_spacing_equals_the_matching_number_of_knots():
    w, flux, _ = _blackbody_like(n_spectra=2)
    by_count = ContinuumNormalizer(method="spline", n_knots=3).fit_transform(flux)
    # 0.4 um / 0.1 um = 4 intervals = 3 interior knots; for arrays w is the pixel index.
    spacing = ContinuumNormalizer(method="spline", knot_spacing=599 / 4).fit_transform(flux)
    assert_allclose(spacing, by_count, rtol=1e-12)
    batch = SpectrumBatch.from_arrays(w, flux, wavelength_unit="um")
    in_nm = ContinuumNormalizer(method="spline", knot_spacing=100.0, wavelength_unit="nm")
    assert_allclose(in_nm.fit_transform(batch).flux, by_count, rtol=1e-12)
    quantity = ContinuumNormalizer(method="spline", knot_spacing=0.1 * u.um)
    assert_allclose(quantity.fit_transform(batch).flux, by_count, rtol=1e-12)


def test_legendre_and_chebyshev_span_the_same_polynomials():
    w, flux, _ = _blackbody_like(n_spectra=4)
    batch = SpectrumBatch.from_arrays(w, flux)
    cheb = ContinuumNormalizer(degree=5).fit_transform(batch)
    leg = ContinuumNormalizer(degree=5, polynomial_kind="legendre").fit_transform(batch)
    assert_allclose(leg.flux, cheb.flux, rtol=1e-9)


def _running_percentile_reference(w, f, valid, width, q):
    out = np.empty(w.size)
    for i in range(w.size):
        inside = valid & (np.abs(w - w[i]) <= width / 2)
        out[i] = np.percentile(f[inside], q) if inside.any() else np.nan
    good = ~np.isnan(out)
    return np.interp(w, w[good], out[good])


@pytest.mark.parametrize("q", [0.0, 50.0, 90.0, 100.0])
def test_running_percentile_matches_a_direct_loop_on_an_irregular_grid(q):
    rng = np.random.default_rng(1)
    w = np.sort(rng.uniform(1.0, 2.0, 300))
    flux = 1.0 + rng.normal(scale=0.1, size=(3, 300))
    mask = rng.random(flux.shape) < 0.1
    mask[2, 100:160] = True  # a gap wider than the window
    norm = ContinuumNormalizer(method="running_percentile", window_width=0.05, percentile=q)
    continuum = norm.continuum(SpectrumBatch.from_arrays(w, flux, None, mask)).flux
    for i in range(3):
        expected = _running_percentile_reference(w, flux[i], ~mask[i], 0.05, q)
        assert_allclose(continuum[i], expected, rtol=1e-12)


def test_running_percentile_in_pixels_for_arrays_is_an_upper_envelope():
    rng = np.random.default_rng(2)
    X = 10.0 + rng.normal(size=(20, 400))
    out = ContinuumNormalizer(method="running_percentile", window_width=40,
                              percentile=90).fit_transform(X)
    above = np.mean(out > 1.0)
    assert 0.05 < above < 0.15  # about 10 % of the pixels above the 90th percentile
    top = ContinuumNormalizer(method="running_percentile", window_width=40,
                              percentile=100).fit_transform(X)
    assert np.all(top <= 1.0)


def _monotone_chain_upper(x, y):
    """Andrew's monotone chain, upper hull, written plainly as the reference."""
    hull = []
    for i in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            if (y[b] - y[a]) * (x[i] - x[a]) <= (y[i] - y[a]) * (x[b] - x[a]):
                hull.pop()
            else:
                break
        hull.append(i)
    return np.array(hull)


def test_convex_hull_matches_the_monotone_chain():
    rng = np.random.default_rng(3)
    w = np.cumsum(rng.uniform(0.5, 1.5, 500))
    flux = np.sin(w / 40.0)[None, :] + rng.normal(scale=0.3, size=(8, 500)) + 3.0
    mask = rng.random(flux.shape) < 0.05
    mask[0, :50] = True
    continuum = ContinuumNormalizer(method="convex_hull").continuum(
        SpectrumBatch.from_arrays(w, flux, None, mask)).flux
    for i in range(8):
        good = np.flatnonzero(~mask[i])
        vertices = good[_monotone_chain_upper(w[good], flux[i, good])]
        assert_allclose(continuum[i], np.interp(w, w[vertices], flux[i, vertices]),
                        rtol=1e-12)
        assert np.all(continuum[i, good] >= flux[i, good] * (1 - 1e-12))


def test_exclude_keeps_regions_out_of_the_fit():
    w, flux, continua = _blackbody_like(n_spectra=3)
    emission = flux + 5.0 * np.exp(-0.5 * ((w - 0.7) / 0.004) ** 2)  # strong line
    regions = [(0.66, 0.74)]
    for method, extra in [("polynomial", {}), ("spline", {}), ("convex_hull", {}),
                          ("running_percentile", {"window_width": 0.05})]:
        # (maxiters=0: sigma clipping alone would already reject most of the line)
        plain = ContinuumNormalizer(method=method, maxiters=0, **extra)
        excl = ContinuumNormalizer(method=method, exclude=regions, **extra)
        with_line = excl.continuum(SpectrumBatch.from_arrays(w, emission))
        without = excl.continuum(SpectrumBatch.from_arrays(w, flux))
        # Nothing inside the excluded region shapes the continuum.
        assert_allclose(with_line.flux, without.flux, rtol=1e-12, err_msg=method)
        # Without the exclusion the line pulls the continuum.
        pulled = plain.continuum(SpectrumBatch.from_arrays(w, emission))
        assert np.abs(pulled.flux - with_line.flux).max() > 0.01, method
    # Excluded pixels are still normalised (not masked).
    out = ContinuumNormalizer(exclude=regions).fit_transform(emission)
    assert np.all(np.isfinite(out))


def test_exclude_with_quantity_and_telluric_constant():
    w = np.linspace(0.8, 2.4, 400)
    flux = (1.0 + 0.2 * w)[None, :].repeat(2, axis=0)
    garbage = flux.copy()
    inside = np.zeros(w.size, dtype=bool)
    for lo, hi in TELLURIC_BANDS_NIR.to_value(u.um):
        inside |= (w >= lo) & (w <= hi)
    garbage[:, inside] = 0.01  # deep telluric absorption
    batch = SpectrumBatch.from_arrays(w * 1e4, garbage, wavelength_unit="Angstrom")
    out = ContinuumNormalizer(degree=1, exclude=TELLURIC_BANDS_NIR).fit_transform(batch)
    assert_allclose(out.flux[:, ~inside], 1.0, rtol=1e-10)
    nm = ContinuumNormalizer(degree=1, exclude=[(1340, 1450)], wavelength_unit="nm")
    assert nm.fit_transform(batch).flux.shape == (2, 400)
    with pytest.raises(ValueError, match="pix cannot be converted"):
        ContinuumNormalizer(exclude=TELLURIC_BANDS_NIR).fit_transform(garbage)


def test_continuum_method_matches_transform():
    w, flux, _ = _blackbody_like(n_spectra=3)
    batch = SpectrumBatch.from_arrays(w, flux, np.full(flux.shape, 100.0),
                                      flux_unit="erg s-1 cm-2 AA-1")
    for method, extra in [("polynomial", {}), ("spline", {}), ("convex_hull", {}),
                          ("running_percentile", {"window_width": 0.02}),
                          ("window", {"window": (0.6, 0.65)})]:
        norm = ContinuumNormalizer(method=method, **extra)
        continuum = norm.continuum(batch)
        assert continuum.flux_units == batch.flux_units
        assert_allclose(norm.transform(batch).flux, flux / continuum.flux, rtol=1e-12)
        sub = ContinuumNormalizer(method=method, mode="subtract", **extra)
        assert_allclose(sub.transform(batch).flux, flux - continuum.flux, atol=1e-12)
        if not extra:  # same fit on the pixel grid (an affine map of the wavelengths)
            assert_allclose(norm.continuum(flux), continuum.flux, rtol=1e-9)
    ragged = SpectrumBatch([Spectrum(w[:300], flux[0, :300]), Spectrum(w, flux[1])])
    parts = ContinuumNormalizer(method="convex_hull").continuum(ragged)
    assert [s.n_pixels for s in parts] == [300, 600]


@pytest.mark.parametrize("method, extra, n_valid, reason", [
    ("spline", {}, 3, "fewer than 4 valid pixels"),
    ("convex_hull", {}, 1, "fewer than 2 valid pixels"),
    ("running_percentile", {"window_width": 3.0}, 0, "no valid pixel"),
])
def test_undetermined_rows_per_method(method, extra, n_valid, reason):
    X = np.ones((3, 12))
    X[1, n_valid:] = np.nan
    norm = ContinuumNormalizer(method=method, **extra)
    with pytest.warns(UndeterminedContinuumWarning, match=f"1 of 3 spectra \\({reason}"):
        out = norm.fit_transform(X)
    assert np.all(np.isnan(out[1]))
    assert_allclose(out[[0, 2]], 1.0)


@pytest.mark.parametrize("params, match", [
    ({"method": "running_percentile"}, "needs the 'window_width' parameter"),
    ({"exclude": [(1.0, 2.0, 3.0)]}, "'exclude' parameter of ContinuumNormalizer must be"),
    ({"exclude": [(2.0, 1.0)]}, "lo <= hi"),
    ({"exclude": [(1.0, np.inf)]}, "finite values"),
    ({"exclude": [(1.0, 2.0)] * u.s},
     "'exclude' parameter of ContinuumNormalizer is in s, which is not"),
    ({"method": "spline", "knot_spacing": 3.0 * u.kg}, "'knot_spacing' parameter"),
    ({"method": "running_percentile", "window_width": np.nan}, "'window_width'"),
])
def test_bad_wavelength_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        ContinuumNormalizer(wavelength_unit=None, **params).fit(np.ones((2, 6)))
