"""The fast sigma clipping of the polynomial continuum equals a plain reference.

``_clip_decisions`` takes its median and median absolute deviation from
float32 sorted runs and falls back to float64 where the rounding could matter;
``polynomial_continuum`` downdates the normal equations by the dropped pixels.
Both are compared with straightforward implementations of the same algorithm
(float64 ``np.median``, one spectrum at a time, ``np.linalg.lstsq``) on
random spectra with masks, absorption lines, outliers, ties and extreme
scales.
"""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from numpy.polynomial import chebyshev, legendre
from numpy.testing import assert_array_equal

from spectra_sklearn.preprocessing._continuum_fit import (
    _BLOCK,
    _clip_decisions,
    _clip_decisions_exact,
    _order_statistics,
    polynomial_continuum,
)

MAD_TO_SIGMA = 1.4826022185056018
NO_SPREAD = 1e-8  # of the flux level: rounding noise of an exact fit


def reference_clip(resid, use, sigma_lower, sigma_upper, level):
    """One clipping step of one row, with numpy's float64 median."""
    centre = np.median(resid[use])
    dev = resid - centre
    scale = np.median(np.abs(dev[use])) * MAD_TO_SIGMA
    keep = use & (dev >= -sigma_lower * scale) & (dev <= sigma_upper * scale)
    return keep, scale > NO_SPREAD * level


def reference_continuum(wavelength, flux, use, degree, sigma_lower, sigma_upper,
                        maxiters, kind):
    """The clipped polynomial continuum, one row at a time, with lstsq.

    Also returns the condition number of each row's last normal equations
    (what the fast path solves; NaN for undetermined rows).
    """
    vander = {"chebyshev": chebyshev.chebvander, "legendre": legendre.legvander}[kind]
    n, p = flux.shape
    out = np.full((n, p), np.nan)
    condition = np.full(n, np.nan)
    span = wavelength[-1] - wavelength[0]
    for i in range(n):
        u = use[i].copy()
        if u.sum() < degree + 1:
            continue
        lo, hi = wavelength[u].min(), wavelength[u].max()
        if hi - lo >= 0.5 * span:  # the grid's own range
            lo, hi = wavelength[0], wavelength[-1]
        half = (hi - lo) / 2 if hi > lo else 1.0
        level = np.abs(flux[i, u]).max()
        design = vander((wavelength - (lo + hi) / 2) / half, degree)
        for iteration in range(maxiters + 1):
            coef = np.linalg.lstsq(design[u], flux[i, u], rcond=None)[0]
            out[i] = design @ coef
            condition[i] = np.linalg.cond(design[u]) ** 2
            if iteration == maxiters:
                break
            with np.errstate(invalid="ignore"):
                keep, spread = reference_clip(flux[i] - out[i], u, sigma_lower,
                                              sigma_upper, level)
            if not spread or keep.sum() < degree + 1 or np.array_equal(keep, u):
                break
            u = keep
    return out, condition


@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.sampled_from([1, 2, 3, 8]),
       st.sampled_from([_BLOCK, 3 * _BLOCK, 512]), st.sampled_from([None, 4, 1000]))
def test_order_statistics_of_sorted_runs_equal_a_full_sort(seed, n, runs, length, levels):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((n, runs * length)).astype(np.float32)
    if levels is not None:  # ties
        values = np.round(values * levels / 4).astype(np.float32)
    count = rng.integers(1, runs * length + 1, size=n)
    values[np.arange(runs * length) >= count[:, None]] = np.inf  # unused: +inf
    values = rng.permuted(values, axis=1)
    ranks = rng.integers(0, count, size=(3, n))
    srt = np.sort(values.reshape(n, runs, length), axis=2)
    expected = np.take_along_axis(np.sort(values, axis=1), ranks.T, axis=1).T
    assert_array_equal(_order_statistics(srt, ranks), expected)


@st.composite
def residual_rows(draw):
    """Residual rows that stress the float32 path, with their use masks."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 6))
    p = draw(st.sampled_from([3, 9, 40, 300, 513, 1000, 1030, 1300, 4100]))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(
        ["normal", "ties", "outliers", "tiny", "huge", "near_max", "constant"]
    ))
    resid = rng.standard_normal((n, p))
    if kind == "ties":  # few distinct values: many pixels on the limits
        resid = np.round(resid * 2) / 2
    elif kind == "outliers":
        resid[rng.random((n, p)) < 0.05] *= 1e12
    elif kind == "tiny":
        resid *= 1e-41  # float32 subnormals
    elif kind == "huge":
        resid *= 1e300  # float32 overflow
    elif kind == "near_max":
        resid *= 1e38  # float32 overflow of some residuals or deviations
    elif kind == "constant":
        resid[:] = 0.5
    use = rng.random((n, p)) >= draw(st.sampled_from([0.0, 0.3, 0.9]))
    use[:, rng.integers(p)] = True  # one pixel per row at least
    resid[~use & (rng.random((n, p)) < 0.5)] = np.nan  # masked flux
    sigmas = draw(st.sampled_from([(2.0, 3.0), (1.0, 1.0), (0.5, 8.0)]))
    return resid, use, sigmas


@given(residual_rows())
def test_fast_clipping_step_equals_numpy_medians(data):
    resid, use, (lower, upper) = data
    continuum = np.zeros_like(resid)
    keep, spread = _clip_decisions(resid, continuum, use, lower, upper)
    expected = [reference_clip(r, u, lower, upper, np.abs(r[u]).max())
                for r, u in zip(resid, use)]
    assert_array_equal(keep, np.array([k for k, _ in expected]))
    assert_array_equal(spread, np.array([s for _, s in expected]))
    level = np.max(np.abs(resid), axis=1, where=use, initial=0.0)
    exact_keep, exact_spread = _clip_decisions_exact(resid, continuum, use, lower, upper,
                                                     level)
    assert_array_equal(keep, exact_keep)
    assert_array_equal(spread, exact_spread)


@st.composite
def spectra(draw):
    """Smooth continua with absorption lines, noise, outliers and masks."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, 8))
    p = draw(st.sampled_from([12, 60, 400, 1000, 1200]))
    w = np.linspace(0.5, 2.5, p)
    x = (w - 1.5) / 1.0
    coef = rng.uniform([1.5, -0.4, -0.2, -0.1], [2.5, 0.4, 0.2, 0.1], size=(n, 4))
    continua = chebyshev.chebval(x, coef.T)
    lines = np.zeros((n, p))
    for centre in rng.uniform(0.6, 2.4, size=draw(st.integers(0, 5))):
        depth = rng.uniform(0.05, 0.6, size=(n, 1))
        lines += depth * np.exp(-0.5 * ((w - centre) / rng.uniform(0.005, 0.05)) ** 2)
    noise = draw(st.sampled_from([1e-3, 1e-2, 0.1]))
    flux = continua * (1 - lines) * (1 + noise * rng.standard_normal((n, p)))
    flux[rng.random((n, p)) < 0.01] *= 5.0  # cosmic rays
    flux *= draw(st.sampled_from([1.0, 1e-17, 1e6]))  # flux units
    use = rng.random((n, p)) >= draw(st.sampled_from([0.0, 0.1, 0.5]))
    narrow = rng.random(n) < 0.3  # some rows fitted on a narrow range only
    use[narrow, : p // 2] = False
    use[narrow, p // 2 + p // 5:] = False
    flux[~use & (rng.random((n, p)) < 0.5)] = np.nan
    degree = draw(st.integers(0, 5))
    lower, upper = draw(st.sampled_from([(2.0, 3.0), (1.5, 1.5), (3.0, 2.0)]))
    maxiters = draw(st.integers(0, 6))
    kind = draw(st.sampled_from(["chebyshev", "legendre"]))
    return w, flux, use, degree, lower, upper, maxiters, kind


@given(spectra())
def test_clipped_polynomial_continuum_equals_a_per_spectrum_reference(data):
    w, flux, use, degree, lower, upper, maxiters, kind = data
    continuum, determined = polynomial_continuum(
        w, flux, use, degree=degree, sigma_lower=lower, sigma_upper=upper,
        maxiters=maxiters, kind=kind,
    )
    expected, condition = reference_continuum(w, flux, use, degree, lower, upper,
                                              maxiters, kind)
    assert_array_equal(determined, use.sum(axis=1) >= degree + 1)
    assert_array_equal(np.isnan(continuum), np.isnan(expected))
    # Same clipped pixels: the fits agree to rounding (normal equations,
    # whose error grows with their condition number, vs lstsq), relative to
    # the flux, or to the continuum where extrapolated.
    scale = np.abs(np.nan_to_num(flux)).max(axis=1, keepdims=True)
    tolerance = 1e-9 + 1e-15 * np.nan_to_num(condition)[:, None] + 1e-8 * np.abs(
        np.nan_to_num(expected) / scale)
    assert np.all(np.abs(np.nan_to_num(continuum - expected)) / scale <= tolerance)


def test_float32_statistics_decide_almost_every_spectrum(monkeypatch):
    # Noisy spectra with lines: the float64 fallback is the exception, so the
    # equality tests above do exercise the float32 path.
    from spectra_sklearn.preprocessing import _continuum_fit

    seen, redone = [], []
    fast, exact = _continuum_fit._clip_decisions, _continuum_fit._clip_decisions_exact

    def counting_fast(flux, *args, **kwargs):
        seen.append(flux.shape[0])
        return fast(flux, *args, **kwargs)

    def counting_exact(flux, *args):
        redone.append(flux.shape[0])
        return exact(flux, *args)

    monkeypatch.setattr(_continuum_fit, "_clip_decisions", counting_fast)
    monkeypatch.setattr(_continuum_fit, "_clip_decisions_exact", counting_exact)
    rng = np.random.default_rng(3)
    n, p = 200, 1000
    w = np.linspace(0.5, 2.5, p)
    lines = 0.4 * np.exp(-0.5 * ((w - rng.uniform(0.6, 2.4, (n, 1))) / 0.01) ** 2)
    flux = (2.0 + 0.3 * (w - 1.5)) * (1 - lines) + 0.02 * rng.standard_normal((n, p))
    use = rng.random((n, p)) > 0.05
    polynomial_continuum(w, flux, use, degree=3, sigma_lower=2.0, sigma_upper=3.0,
                         maxiters=5)
    assert sum(seen) >= 3 * n  # several clipping iterations ran
    assert sum(redone) < 0.05 * sum(seen)
