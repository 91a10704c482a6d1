"""Property tests of the resampling kernels: flux conservation, SpectRes, identity."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from spectres import spectres
from spectres.spectral_resampling import make_bins

from spectra_sklearn import Spectrum
from spectra_sklearn.preprocessing import SpectralResampler, _resample_kernels
from spectra_sklearn.preprocessing._resample_kernels import (
    resample_flux_conserving,
    resample_linear,
)

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def grids(draw, min_size=2, max_size=40, start=(-50.0, 50.0)):
    """Strictly increasing, irregular pixel centres."""
    n = draw(st.integers(min_size, max_size))
    first = draw(st.floats(*start))
    steps = draw(
        st.lists(st.floats(1e-3, 5.0), min_size=n - 1, max_size=n - 1)
    )
    grid = first + np.concatenate(([0.0], np.cumsum(steps)))
    assume(np.all(np.diff(grid) > 0))
    return grid


def _values(draw, n, lo, hi):
    return np.array(draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n)))


def _piecewise_integral(edges, flux, a, b):
    """Integral of the step function ``flux`` on bins ``edges`` over [a, b]."""
    overlap = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None)
    return np.sum(overlap * flux), np.sum(overlap * np.abs(flux))


def _resample(grid, spectrum, method="flux_conserving"):
    resampler = SpectralResampler(wavelength_grid=grid, method=method)
    return resampler.fit_transform([spectrum])


@SETTINGS
@given(data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_matches_spectres(data, old, new):
    """Flux and errors equal spectres.spectres to 1e-10 wherever both give a value."""
    flux = _values(data.draw, old.size, 0.1, 1e3)
    sigma = _values(data.draw, old.size, 1e-3, 10.0)
    ref_flux, ref_err = spectres(new, old, flux, sigma, fill=np.nan, verbose=False)
    out = _resample(new, Spectrum(old, flux, ivar=sigma**-2.0))
    assert_array_equal(out.mask[0], np.isnan(ref_flux))
    good = ~out.mask[0]
    assert_allclose(out.flux[0, good], ref_flux[good], rtol=1e-10)
    assert_allclose(out.ivar[0, good] ** -0.5, ref_err[good], rtol=1e-10)


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
    assert_allclose(out.flux[0, good], ref_flux[good], rtol=1e-10, atol=1e-10 * scale)


@SETTINGS
@given(data=st.data(), old=grids(min_size=3), new=grids(start=(-60.0, 60.0)))
def test_flux_conserving_conserves_integrated_flux(data, old, new):
    """Sum of f_out * bin width over the covered output bins = the input's integral there."""
    flux = _values(data.draw, old.size, -1e3, 1e3)
    out = _resample(new, Spectrum(old, flux))
    covered = np.flatnonzero(~out.mask[0])
    assume(covered.size > 0)
    # No input pixel is masked, so the covered output bins form one contiguous run.
    assert_array_equal(covered, np.arange(covered[0], covered[-1] + 1))
    new_edges, new_widths = make_bins(new)
    old_edges, _ = make_bins(old)
    a, b = new_edges[covered[0]], new_edges[covered[-1] + 1]
    assert old_edges[0] <= a and b <= old_edges[-1]
    expected, magnitude = _piecewise_integral(old_edges, flux, a, b)
    got = np.sum(out.flux[0, covered] * new_widths[covered])
    assert_allclose(got, expected, rtol=1e-10, atol=1e-10 * magnitude)


@SETTINGS
@given(data=st.data(), grid=grids(), method=st.sampled_from(["flux_conserving", "linear"]))
def test_identity_on_identical_grid(data, grid, method):
    """Resampling onto the input grid returns flux, ivar and mask unchanged."""
    n = grid.size
    flux = _values(data.draw, n, -1e3, 1e3)
    ivar = np.array(data.draw(st.lists(
        st.one_of(st.floats(0.0, 1e6), st.just(np.nan)), min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    spectrum = Spectrum(grid, flux, ivar=ivar, mask=mask)
    out = _resample(grid, spectrum, method)
    assert_array_equal(out.mask[0], mask)
    assert_array_equal(out.flux[0, ~mask], flux[~mask])
    assert_array_equal(out.ivar[0, ~mask], ivar[~mask])  # NaN == NaN here
    assert np.all(out.ivar[0, mask] == 0)


@SETTINGS
@given(
    data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)),
    method=st.sampled_from(["flux_conserving", "linear"]),
)
def test_ivar_never_negative_and_masked_means_no_information(data, old, new, method):
    n = old.size
    flux = _values(data.draw, n, -1e3, 1e3)
    ivar = np.array(data.draw(st.lists(
        st.one_of(st.floats(0.0, 1e8), st.just(np.nan), st.just(np.inf)),
        min_size=n, max_size=n)))
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    out = _resample(new, Spectrum(old, flux, ivar=ivar, mask=mask), method)
    assert not np.any(out.ivar < 0)
    assert np.all(out.ivar[out.mask] == 0)
    assert np.all(np.isnan(out.flux[out.mask]))
    assert np.all(np.isfinite(out.flux[~out.mask]))


@SETTINGS
@given(
    old=grids(), new=grids(start=(-60.0, 60.0)),
    slope=st.floats(-10.0, 10.0), intercept=st.floats(-100.0, 100.0),
)
def test_linear_method_is_exact_on_linear_functions(old, new, slope, intercept):
    out = _resample(new, Spectrum(old, intercept + slope * old), "linear")
    inside = (new >= old[0]) & (new <= old[-1])
    assert_array_equal(out.mask[0], ~inside)
    scale = abs(intercept) + abs(slope) * np.max(np.abs(old)) + 1e-300
    assert_allclose(out.flux[0, inside], intercept + slope * new[inside],
                    rtol=1e-10, atol=1e-10 * scale)


@SETTINGS
@given(data=st.data(), old=grids(), new=grids(start=(-60.0, 60.0)))
def test_linear_method_propagates_variance(data, old, new):
    """var = (1 - t)^2 sigma_j^2 + t^2 sigma_{j+1}^2 at each interior output pixel."""
    sigma = _values(data.draw, old.size, 1e-2, 10.0)
    out = _resample(new, Spectrum(old, np.ones(old.size), ivar=sigma**-2.0), "linear")
    good = ~out.mask[0]
    j = np.clip(np.searchsorted(old, new[good], side="right") - 1, 0, old.size - 2)
    t = (new[good] - old[j]) / (old[j + 1] - old[j])
    var = (1 - t) ** 2 * sigma[j] ** 2 + t**2 * sigma[j + 1] ** 2
    assert_allclose(1.0 / out.ivar[0, good], var, rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    grids_in=st.lists(grids(min_size=1, max_size=25), min_size=1, max_size=6),
    new=grids(start=(-60.0, 60.0)),
    method=st.sampled_from([resample_flux_conserving, resample_linear]),
)
def test_concatenated_layout_equals_one_spectrum_at_a_time(data, grids_in, new, method):
    """The vectorised path over many own-grid spectra equals the per-spectrum path."""
    fluxes = [_values(data.draw, g.size, -1e3, 1e3) for g in grids_in]
    ivars = [_values(data.draw, g.size, 0.0, 1e3) for g in grids_in]
    valids = [np.array(data.draw(st.lists(st.booleans(), min_size=g.size, max_size=g.size)))
              for g in grids_in]
    flux, ivar, mask = method(
        new, np.concatenate(grids_in), np.concatenate(fluxes), np.concatenate(ivars),
        np.concatenate(valids), lengths=np.array([g.size for g in grids_in]),
    )
    for i, g in enumerate(grids_in):
        f1, iv1, m1 = method(new, g, fluxes[i][None], ivars[i][None], valids[i][None])
        assert_array_equal(mask[i], m1[0])
        assert_allclose(flux[i], f1[0], rtol=1e-13, atol=1e-13 * 1e3)
        assert_allclose(ivar[i], iv1[0], rtol=1e-13)


@pytest.mark.parametrize("method", [resample_flux_conserving, resample_linear])
def test_processing_in_chunks_of_spectra_changes_nothing(monkeypatch, method):
    rng = np.random.default_rng(3)
    grids_in = [np.sort(rng.uniform(0, 10, n)) for n in (30, 25, 40, 2, 31, 33, 28)]
    flat = [np.concatenate(a) for a in (
        grids_in,
        [rng.normal(size=g.size) for g in grids_in],
        [rng.uniform(0.5, 2, g.size) for g in grids_in],
        [rng.uniform(size=g.size) > 0.2 for g in grids_in],
    )]
    lengths = np.array([g.size for g in grids_in])
    shared = (grids_in[0], rng.normal(size=(9, 30)), rng.uniform(1, 2, (9, 30)),
              rng.uniform(size=(9, 30)) > 0.2)
    new = np.linspace(1.0, 9.0, 17)
    whole = method(new, *flat, lengths=lengths), method(new, *shared)
    monkeypatch.setattr(_resample_kernels, "_CHUNK_ELEMENTS", 40)  # 1-2 spectra per chunk
    chunked = method(new, *flat, lengths=lengths), method(new, *shared)
    for a, b in zip(whole, chunked):
        for x, y in zip(a, b):
            assert_array_equal(x, y)
