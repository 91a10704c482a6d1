"""Hypothesis properties of the continuum kernels and of ContinuumNormalizer."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose

from spectra_sklearn.preprocessing import ContinuumNormalizer
from spectra_sklearn.preprocessing._continuum_envelope import upper_hull_vertices
from spectra_sklearn.preprocessing._continuum_fit import masked_median

METHODS = [
    {"method": "polynomial", "degree": 2},
    {"method": "polynomial", "degree": 2, "polynomial_kind": "legendre"},
    {"method": "spline", "n_knots": 2},
    {"method": "running_percentile", "window_width": 5, "percentile": 80},
    {"method": "convex_hull"},
    {"method": "window", "window": (3, 9)},
]


@st.composite
def masked_rows(draw, max_rows=5, max_pixels=15):
    n = draw(st.integers(1, max_rows))
    p = draw(st.integers(1, max_pixels))
    values = draw(arrays(np.float64, (n, p), elements=st.floats(-1e6, 1e6)))
    use = draw(arrays(np.bool_, (n, p)))
    return values, use


@given(masked_rows())
def test_masked_median_equals_numpy_median_of_the_used_values(data):
    values, use = data
    expected = [np.median(v[m]) if m.any() else np.nan for v, m in zip(values, use)]
    assert_allclose(masked_median(values, use), expected, rtol=1e-15, equal_nan=True)


@st.composite
def positive_spectra(draw):
    n = draw(st.integers(1, 4))
    p = draw(st.integers(12, 40))
    flux = draw(arrays(np.float64, (n, p), elements=st.floats(0.5, 2.0)))
    mask = draw(arrays(np.bool_, (n, p), elements=st.booleans()))
    mask[:, :: 3] = False  # at least a third of the pixels valid
    ivar = draw(arrays(np.float64, (n, p), elements=st.floats(0.0, 1e4)))
    return flux, mask, ivar


@given(positive_spectra(), st.sampled_from(METHODS),
       st.floats(1e-3, 1e3), st.sampled_from(["divide", "subtract"]))
def test_scale_equivariance_and_non_negative_inverse_variance(data, params, scale, mode):
    from spectra_sklearn import SpectrumBatch

    flux, mask, ivar = data
    w = np.arange(flux.shape[1], dtype=float)
    norm = ContinuumNormalizer(mode=mode, **params)
    out = norm.fit_transform(SpectrumBatch.from_arrays(w, flux, ivar, mask))
    scaled = norm.transform(SpectrumBatch.from_arrays(w, scale * flux, ivar / scale**2, mask))
    good = ~out.mask
    if mode == "divide":
        # Normalising c * flux gives the same spectrum, and the same ivar.
        assert_allclose(scaled.flux[good], out.flux[good], rtol=1e-6, atol=1e-9)
        assert_allclose(scaled.ivar[good], out.ivar[good], rtol=1e-6, atol=1e-9)
    else:
        assert_allclose(scaled.flux[good], scale * out.flux[good], rtol=1e-6,
                        atol=1e-9 * scale)
    assert np.all(out.ivar[good] >= 0) and np.all(scaled.ivar[good] >= 0)
    assert not np.any(out.ivar < 0)


@given(arrays(np.float64, 4, elements=st.floats(-3, 3)), st.integers(3, 6),
       st.sampled_from(["chebyshev", "legendre"]), st.integers(20, 80))
def test_subtracting_the_fit_of_a_pure_polynomial_leaves_zero(coef, degree, kind, p):
    w = np.linspace(-2.0, 5.0, p)
    flux = np.polynomial.polynomial.polyval(w, coef)[None, :]  # degree 3 <= degree
    out = ContinuumNormalizer(degree=degree, polynomial_kind=kind, mode="subtract") \
        .fit_transform(flux)
    assert_allclose(out, 0.0, atol=1e-9 * max(1.0, np.abs(flux).max()))
    spline = ContinuumNormalizer(method="spline", n_knots=3, mode="subtract").fit_transform(
        flux)
    assert_allclose(spline, 0.0, atol=1e-5 * max(1.0, np.abs(flux).max()))


@given(st.integers(3, 60), st.integers(0, 2**32 - 1))
def test_upper_hull_vertices_lie_above_every_chord(p, seed):
    rng = np.random.default_rng(seed)
    w = np.cumsum(rng.uniform(0.1, 2.0, p))
    flux = rng.normal(size=(3, p))
    use = rng.random((3, p)) < 0.8
    vertices = upper_hull_vertices(w, flux, use)
    for i in range(3):
        good = np.flatnonzero(use[i])
        v = np.flatnonzero(vertices[i])
        assert set(v) <= set(good)
        if good.size == 0:
            continue
        assert v[0] == good[0] and v[-1] == good[-1]
        hull = np.interp(w[good], w[v], flux[i, v])
        assert np.all(hull >= flux[i, good] - 1e-12)
        # Strictly convex: every inner vertex lies above its neighbours' chord.
        if v.size >= 3:
            chord = np.interp(w[v[1:-1]], w[v[[0, -1]]], flux[i, v[[0, -1]]])
            slopes = np.diff(flux[i, v]) / np.diff(w[v])
            assert np.all(np.diff(slopes) < 0)
            assert np.all(flux[i, v[1:-1]] >= chord - 1e-12)
