"""Property tests of the resampling kernels: SpectRes, flux conservation, identity, exactness."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.interpolate import CubicSpline
from spectres import spectres
from spectres.spectral_resampling import make_bins

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import SpectralResampler, _resample_kernels
from spectra_sklearn.preprocessing._resample_kernels import RowSource, resample

SETTINGS = settings(max_examples=60, deadline=None)
METHODS = ["flux_conserving", "linear", "cubic_spline"]
# Differences below the smallest normal double are rounding in subnormal
# arithmetic (flux of ~1e-313 keeps only a few significant bits), not errors.
TINY = np.finfo(np.float64).tiny


@st.composite
def grids(draw, min_size=2, max_size=40, start=(-50.0, 50.0)):
    """Strictly increasing, irregular pixel centres."""
    n = draw(st.integers(min_size, max_size))
    first = draw(st.floats(*start))
    steps = draw(st.lists(st.floats(1e-3, 5.0), min_size=n - 1, max_size=n - 1))
    grid = first + np.concatenate(([0.0], np.cumsum(steps)))
    assume(np.all(np.diff(grid) > 0))
    return grid


def _values(draw, n, lo, hi):
    return np.array(draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)))


def _resample(grid, spectra, method="flux_conserving", **kw):
    resampler = SpectralResampler(wavelength_grid=grid, method=method, **kw)
    return resampler.fit_transform(spectra)


@SETTINGS
@given(data=st.data(), olds=st.lists(grids(), min_size=1, max_size=4),
       new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_matches_spectres_per_spectrum(data, olds, new):
    """Spectra on their own grids, resampled together: each equals spectres to 1e-10."""
    fluxes = [_values(data.draw, g.size, 0.1, 1e3) for g in olds]
    sigmas = [_values(data.draw, g.size, 1e-3, 10.0) for g in olds]
    out = _resample(new, [Spectrum(g, f, ivar=s**-2.0) for g, f, s in zip(olds, fluxes, sigmas)])
    for i, (g, f, s) in enumerate(zip(olds, fluxes, sigmas)):
        ref_flux, ref_err = spectres(new, g, f, s, fill=np.nan, verbose=False)
        assert_array_equal(out.mask[i], np.isnan(ref_flux))
        good = ~out.mask[i]
        assert_allclose(out.flux[i, good], ref_flux[good], rtol=1e-10)
        assert_allclose(out.ivar[i, good] ** -0.5, ref_err[good], rtol=1e-10)


def _dense_flux_conserving(old, new, flux, ivar, mask):
    """Reference: the full (n_out, n_in) overlap matrix of the SpectRes bins."""
    old_edges, _ = make_bins(old)
    new_edges, new_widths = make_bins(new)
    lo, hi = new_edges[:-1, None], new_edges[1:, None]
    overlap = np.clip(np.minimum(hi, old_edges[None, 1:]) - np.maximum(lo, old_edges[None, :-1]),
                      0.0, None)
    weight = np.where(mask[None, :], 0.0, overlap)
    den = weight.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out_flux = (weight * np.where(mask, 0.0, flux)[None, :]).sum(axis=1) / den
        var = np.where(weight > 0, weight**2 / ivar[None, :], 0.0).sum(axis=1)
        out_ivar = den**2 / var
    # A bin inside one (valid) input pixel takes that pixel's values.
    one = (overlap > 0).sum(axis=1) == 1
    pixel = np.argmax(overlap > 0, axis=1)
    direct = one & ~mask[pixel]
    out_flux[direct] = flux[pixel[direct]]
    out_ivar[direct] = ivar[pixel[direct]]
    inside = (new_edges[:-1] >= old_edges[0]) & (new_edges[1:] <= old_edges[-1])
    out_mask = ~(inside & (den > 0))
    return out_flux, out_ivar, out_mask, np.clip(den / new_widths, 0.0, 1.0)


@SETTINGS
@given(data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_mask_and_ivar_match_dense_reference(data, old, new):
    """Masked pixels get zero weight; NaN (unknown) and 0 inverse variance propagate."""
    n = old.size
    flux = _values(data.draw, n, -1e3, 1e3)
    ivar = np.array(data.draw(st.lists(
        st.one_of(st.floats(1e-6, 1e6), st.just(0.0), st.just(np.nan), st.just(np.inf)),
        min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    ref_flux, ref_ivar, ref_mask, ref_cov = _dense_flux_conserving(old, new, flux, ivar, mask)
    spectrum = Spectrum(old, flux, ivar=ivar, mask=mask)
    resampler = SpectralResampler(wavelength_grid=new).fit(spectrum)
    out = resampler.transform(spectrum)
    assert_array_equal(out.mask[0], ref_mask)
    good = ~ref_mask
    scale = max(np.max(np.abs(flux)), 1e-300)
    assert_allclose(out.flux[0, good], ref_flux[good], rtol=1e-10, atol=1e-10 * scale + TINY)
    assert_array_equal(np.isnan(out.ivar[0]), np.isnan(ref_ivar) & good)
    assert_allclose(out.ivar[0, good], ref_ivar[good], rtol=1e-10)
    assert_allclose(resampler.covered_fraction(spectrum)[0], ref_cov, rtol=1e-10, atol=1e-12)


@SETTINGS
@given(data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_matches_spectres_mixed_sign_flux(data, old, new):
    """With flux of both signs, agreement to 1e-10 of the flux scale."""
    flux = _values(data.draw, old.size, -1e3, 1e3)
    ref_flux = spectres(new, old, flux, fill=np.nan, verbose=False)
    out = _resample(new, Spectrum(old, flux))
    assert_array_equal(out.mask[0], np.isnan(ref_flux))
    good = ~out.mask[0]
    scale = max(np.max(np.abs(flux)), 1e-300)
    assert_allclose(out.flux[0, good], ref_flux[good], rtol=1e-10, atol=1e-10 * scale + TINY)


@SETTINGS
@given(data=st.data(), old=grids(min_size=3), new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_conserves_integrated_flux(data, old, new):
    """Sum of f_out * bin width over the covered output bins = the input's integral there."""
    flux = _values(data.draw, old.size, -1e3, 1e3)
    out = _resample(new, Spectrum(old, flux))
    covered = np.flatnonzero(~out.mask[0])
    assume(covered.size > 0)
    assert_array_equal(covered, np.arange(covered[0], covered[-1] + 1))
    new_edges, new_widths = make_bins(new)
    old_edges, _ = make_bins(old)
    a, b = new_edges[covered[0]], new_edges[covered[-1] + 1]
    overlap = np.clip(np.minimum(old_edges[1:], b) - np.maximum(old_edges[:-1], a), 0, None)
    expected, magnitude = np.sum(overlap * flux), np.sum(overlap * np.abs(flux))
    got = np.sum(out.flux[0, covered] * new_widths[covered])
    assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * magnitude + TINY)


@SETTINGS
@given(data=st.data(), grid=grids(), method=st.sampled_from(METHODS))
def test_identity_on_identical_grid(data, grid, method):
    """Resampling onto the input grid returns flux, ivar and mask unchanged."""
    n = grid.size
    flux = _values(data.draw, n, -1e3, 1e3)
    ivar = np.array(data.draw(st.lists(
        st.one_of(st.floats(0.0, 1e6), st.just(np.nan)), min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    out = _resample(grid, Spectrum(grid, flux, ivar=ivar, mask=mask), method)
    assert_array_equal(out.mask[0], mask)
    assert_array_equal(out.flux[0, ~mask], flux[~mask])
    assert_array_equal(out.ivar[0, ~mask], ivar[~mask])  # NaN == NaN here
    assert np.all(out.ivar[0, mask] == 0)


@SETTINGS
@given(data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)),
       method=st.sampled_from(METHODS), gaps=st.booleans())
def test_ivar_never_negative_and_masked_means_no_information(data, old, new, method, gaps):
    n = old.size
    flux = _values(data.draw, n, -1e3, 1e3)
    ivar = np.array(data.draw(st.lists(
        st.one_of(st.floats(0.0, 1e8), st.just(np.nan), st.just(np.inf)),
        min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    out = _resample(new, Spectrum(old, flux, ivar=ivar, mask=mask), method,
                    gap_factor=3.0 if gaps else None)
    assert not np.any(out.ivar < 0)
    assert np.all(out.ivar[out.mask] == 0)
    assert np.all(np.isnan(out.flux[out.mask]))
    assert np.all(np.isfinite(out.flux[~out.mask]))


@SETTINGS
@given(old=grids(), new=grids(start=(-60.0, 60.0)),
       slope=st.floats(-10.0, 10.0), intercept=st.floats(-100.0, 100.0))
def test_linear_method_is_exact_on_linear_functions(old, new, slope, intercept):
    out = _resample(new, Spectrum(old, intercept + slope * old), "linear")
    inside = (new >= old[0]) & (new <= old[-1])
    assert_array_equal(out.mask[0], ~inside)
    scale = abs(intercept) + abs(slope) * np.max(np.abs(old)) + 1e-300
    assert_allclose(out.flux[0, inside], intercept + slope * new[inside],
                    rtol=1e-10, atol=1e-10 * scale + TINY)


@SETTINGS
@given(old=grids(min_size=4, max_size=30, start=(-5.0, 5.0)), new=grids(start=(-8.0, 8.0)),
       coef=st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4))
def test_cubic_spline_is_exact_on_cubic_polynomials(old, new, coef):
    """Not-a-knot splines reproduce cubics (de Boor 1978), here to 1e-8 of the scale."""
    assume(np.min(np.diff(old)) > 0.05 * np.max(np.diff(old)))  # conditioning
    poly = np.polynomial.Polynomial(coef, domain=[old[0], old[-1]], window=[-1, 1])
    out = _resample(new, Spectrum(old, poly(old)), "cubic_spline")
    inside = (new >= old[0]) & (new <= old[-1])
    assert_array_equal(out.mask[0], ~inside)
    scale = np.sum(np.abs(coef)) + 1e-300
    assert_allclose(out.flux[0, inside], poly(new[inside]), rtol=0, atol=1e-8 * scale + TINY)


@SETTINGS
@given(data=st.data(), old=grids(min_size=2, max_size=30), new=grids(start=(-60.0, 60.0)))
def test_cubic_spline_matches_scipy_on_each_valid_run(data, old, new):
    """Masked pixels split the spline into runs; each run is scipy's not-a-knot spline."""
    flux = _values(data.draw, old.size, -1e3, 1e3)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=old.size, max_size=old.size)))
    out = _resample(new, Spectrum(old, flux, mask=mask), "cubic_spline")
    good = np.flatnonzero(~mask)
    runs = np.split(good, np.flatnonzero(np.diff(good) > 1) + 1) if good.size else []
    expected = np.full(new.size, np.nan)
    for run in runs:
        if run.size < 2:
            continue
        inside = (new >= old[run[0]]) & (new <= old[run[-1]])
        spline = CubicSpline(old[run], flux[run])
        expected[inside] = spline(new[inside])
    on_valid_node = np.isin(new, old[~mask])
    expected[on_valid_node] = flux[np.searchsorted(old, new[on_valid_node])]
    assert_array_equal(out.mask[0], np.isnan(expected))
    ok = ~out.mask[0]
    assert_allclose(out.flux[0, ok], expected[ok], rtol=1e-9, atol=1e-9 * 1e3)


@SETTINGS
@given(old=grids(), new=grids(start=(-60.0, 60.0)), method=st.sampled_from(METHODS))
def test_decreasing_input_grid_gives_the_same_result(old, new, method):
    flux = np.cos(old)
    up = _resample(new, Spectrum(old, flux, ivar=np.ones(old.size)), method)
    down = _resample(new, Spectrum(old[::-1], flux[::-1], ivar=np.ones(old.size)), method)
    assert_array_equal(up.flux, down.flux)
    assert_array_equal(up.ivar, down.ivar)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), grids_in=st.lists(grids(min_size=1, max_size=25), min_size=1, max_size=6),
       new=grids(start=(-60.0, 60.0)), method=st.sampled_from(METHODS))
def test_spectra_together_equal_one_at_a_time(data, grids_in, new, method):
    """Many own-grid spectra resampled in one call (one compiled loop) = one by one."""
    spectra = [
        Spectrum(g, _values(data.draw, g.size, -1e3, 1e3),
                 ivar=_values(data.draw, g.size, 0.0, 1e3),
                 mask=np.array(data.draw(st.lists(st.booleans(), min_size=g.size,
                                                  max_size=g.size))))
        for g in grids_in
    ]
    resampler = SpectralResampler(wavelength_grid=new, method=method).fit(spectra)
    together = resampler.transform(spectra)
    cov = resampler.covered_fraction(spectra)
    for i, s in enumerate(spectra):
        alone = resampler.transform([s])
        assert_array_equal(together.mask[i], alone.mask[0])
        assert_allclose(together.flux[i], alone.flux[0], rtol=1e-13, atol=1e-13 * 1e3)
        assert_allclose(together.ivar[i], alone.ivar[0], rtol=1e-13)
        assert_allclose(cov[i], resampler.covered_fraction([s])[0], rtol=1e-13, atol=1e-15)


@SETTINGS
@given(data=st.data(), old=grids(min_size=3), new=grids(start=(-60.0, 60.0)))
def test_covered_fraction_is_the_valid_overlap(data, old, new):
    """Dense reference: overlap of each output bin with the valid input bins / its width."""
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=old.size, max_size=old.size)))
    spectrum = Spectrum(old, np.ones(old.size), mask=mask)
    resampler = SpectralResampler(wavelength_grid=new).fit(spectrum)
    cov = resampler.covered_fraction(spectrum)[0]
    old_edges, _ = make_bins(old)
    new_edges, widths = make_bins(new)
    lo = np.maximum(new_edges[:-1, None], old_edges[None, :-1])
    hi = np.minimum(new_edges[1:, None], old_edges[None, 1:])
    overlap = np.clip(hi - lo, 0, None) @ (~mask).astype(float)
    assert np.all((cov >= 0) & (cov <= 1))
    assert_allclose(cov, np.clip(overlap / widths, 0, 1), rtol=1e-9, atol=1e-12)


def test_gaps_are_not_covered():
    """A spacing > gap_factor x the median spacing is a gap: output pixels in it are masked."""
    w = np.concatenate([np.arange(1.0, 2.0, 0.01), np.arange(2.5, 3.5, 0.01)])
    spectrum = Spectrum(w, 1.0 + w, ivar=np.ones(w.size))
    grid = np.linspace(1.2, 3.3, 43)
    between = (grid > w[99]) & (grid < w[100])  # between the centres around the gap
    r = SpectralResampler(wavelength_grid=grid, gap_factor=5.0).fit(spectrum)
    cov = r.covered_fraction(spectrum)[0]
    assert np.any(cov == 0) and np.any((cov > 0) & (cov < 1))
    lo, hi = r.wavelength_edges_[:-1], r.wavelength_edges_[1:]
    clear = (hi <= w[99] + 0.005) | (lo >= w[100] - 0.005)  # bins away from the gap
    assert np.all(cov[clear] == 1) and np.all(cov[~clear] < 1)
    full = cov == 1  # away from the gap nothing changes
    for method in METHODS:
        plain = _resample(grid, spectrum, method)
        gapped = _resample(grid, spectrum, method, gap_factor=5.0)
        assert not plain.mask.any()  # SpectRes bins meet half way across the gap
        assert_allclose(gapped.flux[0, full], plain.flux[0, full], rtol=1e-12)
        if method != "flux_conserving":  # interpolation is not bridged across the gap
            assert_array_equal(gapped.mask[0], between)
            continue
        assert_array_equal(gapped.mask[0], cov == 0)
        # next to the gap: the mean over the covered part of the bin only
        k = np.flatnonzero((cov > 0) & (cov < 1))
        lo, hi = r.wavelength_edges_[k], r.wavelength_edges_[k + 1]
        a = np.where(lo < 2.0, lo, w[100] - 0.005)
        b = np.where(lo < 2.0, w[99] + 0.005, hi)
        assert_allclose(gapped.flux[0, k], 1.0 + (a + b) / 2, rtol=1e-12)
    # min_coverage masks the partly covered pixels too
    strict = _resample(grid, spectrum, "flux_conserving", gap_factor=5.0, min_coverage=1.0)
    assert_array_equal(strict.mask[0], cov < 1)


def test_float32_and_shared_grid_chunks(monkeypatch):
    """Shared-grid batches in many chunks; float32 in, float32 out, same numbers."""
    rng = np.random.default_rng(1)
    w = np.sort(rng.uniform(1, 2, 50))
    flux = rng.normal(size=(23, 50))
    ivar = rng.uniform(0.5, 2, size=(23, 50))
    mask = rng.uniform(size=(23, 50)) < 0.1
    batch64 = SpectrumBatch.from_arrays(w, flux, ivar, mask)
    batch32 = SpectrumBatch.from_arrays(w, flux.astype(np.float32), ivar, mask)
    grid = np.linspace(1.1, 1.9, 20)
    for method in METHODS:
        r = SpectralResampler(wavelength_grid=grid, method=method).fit(batch64)
        whole = r.transform(batch64)
        monkeypatch.setattr(_resample_kernels, "_CHUNK_PIXELS", 120)
        chunked = r.transform(batch64)
        f32 = r.transform(batch32)
        monkeypatch.undo()
        assert_array_equal(whole.flux, chunked.flux)
        assert_array_equal(whole.ivar, chunked.ivar)
        assert f32.flux.dtype == np.float32 and f32.ivar.dtype == np.float32
        assert_allclose(f32.flux, whole.flux, rtol=1e-5, atol=1e-5)
        for i in range(23):
            row = r.transform(Spectrum(w, flux[i], ivar=ivar[i], mask=mask[i]))
            assert_allclose(row.flux[0], whole.flux[i], rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_shared_grid_with_gaps_equals_spectra_one_by_one(method):
    """The kernels compute a shared grid's bins once for all rows: same result as alone."""
    rng = np.random.default_rng(3)
    w = np.concatenate([np.sort(rng.uniform(1.0, 2.0, 60)), np.sort(rng.uniform(2.6, 3.5, 50))])
    flux = rng.normal(size=(7, w.size))
    ivar = rng.uniform(0.5, 2.0, size=(7, w.size))
    ivar[rng.uniform(size=ivar.shape) < 0.05] = np.nan
    mask = rng.uniform(size=(7, w.size)) < 0.1
    batch = SpectrumBatch.from_arrays(w, flux, ivar, mask)
    grid = np.linspace(1.05, 3.45, 90)
    r = SpectralResampler(wavelength_grid=grid, method=method, gap_factor=4.0,
                          min_coverage=0.3).fit(batch)
    together = r.transform(batch)
    cov = r.covered_fraction(batch)
    assert np.any(cov == 0)  # the gap
    for i in range(7):
        alone = r.transform(Spectrum(w, flux[i], ivar=ivar[i], mask=mask[i]))
        assert_array_equal(together.mask[i], alone.mask[0])
        assert_array_equal(together.flux[i], alone.flux[0])
        assert_array_equal(together.ivar[i], alone.ivar[0])
        assert_array_equal(cov[i], r.covered_fraction(
            Spectrum(w, flux[i], ivar=ivar[i], mask=mask[i]))[0])


def test_ragged_chunks_of_different_lengths(monkeypatch):
    rng = np.random.default_rng(2)
    spectra = [Spectrum(np.sort(rng.uniform(0, 10, n)), rng.normal(size=n),
                        ivar=rng.uniform(0.5, 2, n), mask=rng.uniform(size=n) < 0.1)
               for n in (30, 2, 25, 40, 1, 31, 33, 28, 0)]
    new = np.linspace(1.0, 9.0, 17)
    for method in METHODS:
        source = RowSource.ragged(*[[getattr(s, a) for s in spectra]
                                    for a in ("wavelength", "flux", "ivar", "mask")])
        whole = resample(method, new, source, return_coverage=True)
        monkeypatch.setattr(_resample_kernels, "_CHUNK_PIXELS", 40)
        chunked = resample(method, new, source, return_coverage=True)
        monkeypatch.undo()
        for a, b in zip(whole, chunked):
            assert_array_equal(a, b)
        assert whole[2][[4, 8]].all()  # 1 and 0 pixels: fully masked
        assert np.all(whole[3][[4, 8]] == 0)


@pytest.mark.parametrize("method", METHODS)
def test_explicit_edges(method):
    w = np.linspace(1.0, 2.0, 101)
    spectrum = Spectrum(w, 3.0 * w, ivar=np.ones(101))
    edges = np.array([1.1, 1.2, 1.4, 1.45, 1.9])
    r = SpectralResampler(wavelength_edges=edges, method=method).fit(spectrum)
    assert_array_equal(r.wavelength_edges_, edges)
    assert_allclose(r.wavelength_grid_, (edges[1:] + edges[:-1]) / 2)
    out = r.transform(spectrum)
    # A linear function: the bin mean is the value at the bin's midpoint.
    assert_allclose(out.flux[0], 3.0 * r.wavelength_grid_, rtol=1e-10)
    if method == "flux_conserving":
        old_edges, _ = make_bins(w)
        lo = np.maximum(edges[:-1, None], old_edges[None, :-1])
        hi = np.minimum(edges[1:, None], old_edges[None, 1:])
        overlap = np.clip(hi - lo, 0, None)  # sigma = 1 everywhere
        var = np.sum(overlap**2, axis=1) / np.sum(overlap, axis=1) ** 2
        assert_allclose(out.ivar[0], 1.0 / var, rtol=1e-10)
