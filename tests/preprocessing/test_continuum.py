"""ContinuumNormalizer on synthetic spectra: continuum recovered, ivar scaled, errors."""

import numpy as np
import pytest
from astropy import units as u
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import ContinuumNormalizer, UndeterminedContinuumWarning

LINES = np.array([0.62, 0.71, 0.80])  # absorption line centres, um
LINE_SIGMA = 0.006


def _synthetic(n_spectra=8, n_pixels=400, noise=0.002, seed=0):
    """Known smooth continua times Gaussian absorption lines, plus noise."""
    rng = np.random.default_rng(seed)
    w = np.linspace(0.5, 0.9, n_pixels)
    x = (w - 0.7) / 0.2
    continua = np.stack([
        2.0 + rng.uniform(-0.5, 0.5) * x + rng.uniform(-0.3, 0.3) * x**2
        + rng.uniform(-0.2, 0.2) * x**3
        for _ in range(n_spectra)
    ])
    depth = rng.uniform(0.2, 0.6, size=(n_spectra, LINES.size))
    lines = 1.0 - np.einsum(
        "nl,lp->np", depth, np.exp(-0.5 * ((w[None, :] - LINES[:, None]) / LINE_SIGMA) ** 2)
    )
    sigma = noise * continua
    flux = continua * lines + rng.normal(size=continua.shape) * sigma
    return w, flux, sigma, continua


def _far_from_lines(w):
    return np.all(np.abs(w[:, None] - LINES[None, :]) > 4 * LINE_SIGMA, axis=1)


def test_polynomial_continuum_is_one_away_from_lines():
    w, flux, sigma, continua = _synthetic()
    batch = SpectrumBatch.from_arrays(w, flux, sigma**-2.0)
    out = ContinuumNormalizer().fit_transform(batch)
    far = _far_from_lines(w)
    # The recovered continuum (flux / normalised flux) is the true one to ~noise level.
    assert_allclose(out.flux[:, far], 1.0, atol=0.012)
    estimated = flux / out.flux
    assert np.max(np.abs(estimated / continua - 1.0)) < 0.004
    # Clipping matters: an unclipped fit is pulled down by the absorption lines.
    plain = ContinuumNormalizer(maxiters=0).fit_transform(batch)
    plain_err = np.abs(flux / plain.flux / continua - 1.0).max()
    assert plain_err > 2 * np.max(np.abs(estimated / continua - 1.0))
    assert_array_equal(out.mask, batch.mask)
    assert out.flux_units == [u.dimensionless_unscaled] * len(out)


def test_divide_scales_inverse_variance_by_continuum_squared():
    w, flux, sigma, _ = _synthetic(n_spectra=4)
    ivar = sigma**-2.0
    out = ContinuumNormalizer().fit_transform(SpectrumBatch.from_arrays(w, flux, ivar))
    continuum = flux / out.flux
    # sigma_out = sigma / continuum
    assert_allclose(out.ivar ** -0.5, sigma / continuum, rtol=1e-10)


def test_subtract_keeps_inverse_variance_and_units():
    w, flux, sigma, _ = _synthetic(n_spectra=3)
    batch = SpectrumBatch.from_arrays(w, flux, sigma**-2.0, flux_unit="W m-2 um-1")
    out = ContinuumNormalizer(mode="subtract").fit_transform(batch)
    divided = ContinuumNormalizer().fit_transform(batch)
    continuum = flux / divided.flux
    assert_allclose(out.flux, flux - continuum, atol=1e-12)
    assert_array_equal(out.ivar, batch.ivar)
    assert out.flux_units == [u.Unit("W m-2 um-1")] * 3


def test_ragged_batch_matches_common_grid_and_masks_are_ignored():
    w, flux, sigma, continua = _synthetic(n_spectra=3)
    mask = np.zeros(flux.shape, dtype=bool)
    mask[0, 100:140] = True
    flux = flux.copy()
    flux[0, 100:140] = -50.0  # garbage under the mask must not matter
    common = SpectrumBatch.from_arrays(w, flux, sigma**-2.0, mask)
    ragged = SpectrumBatch([
        Spectrum(w[: 400 - 10 * i], flux[i, : 400 - 10 * i], sigma[i, : 400 - 10 * i] ** -2.0,
                 mask[i, : 400 - 10 * i])
        for i in range(3)
    ])
    assert not ragged.on_common_grid
    norm = ContinuumNormalizer()
    out_common = norm.fit_transform(common)
    out_ragged = norm.transform(ragged)
    assert not out_ragged.on_common_grid
    assert_allclose(out_ragged[1].flux, ContinuumNormalizer().transform(
        ragged[1]).flux[0], rtol=1e-12)
    assert_array_equal(out_common.mask[0], mask[0])
    far = _far_from_lines(w) & ~mask[0]
    assert_allclose(out_common.flux[0, far], 1.0, atol=0.012)
    # The first spectrum is the same in both layouts.
    assert_allclose(out_ragged[0].flux, out_common.flux[0], rtol=1e-9)


def test_window_method_on_plain_arrays_uses_pixel_indices():
    X = np.array([[1.0, 2.0, 4.0, 8.0], [2.0, 2.0, 2.0, 2.0]], dtype=np.float32)
    out = ContinuumNormalizer(method="window", window=(1, 2)).fit_transform(X)
    assert out.dtype == np.float32
    assert_allclose(out, [[1 / 3, 2 / 3, 4 / 3, 8 / 3], [1.0, 1.0, 1.0, 1.0]], rtol=1e-6)
    sub = ContinuumNormalizer(method="window", window=(0, 0), mode="subtract")
    assert_allclose(sub.fit_transform(X), [[0, 1, 3, 7], [0, 0, 0, 0]])


def test_window_with_quantity_and_unit_conversion():
    w = np.linspace(4000.0, 9000.0, 501)  # Angstrom
    spectrum = Spectrum(w, 3.0 + w / 1000.0, wavelength_unit="Angstrom")
    out = ContinuumNormalizer(method="window", window=(0.54, 0.56) * u.um).fit_transform(
        spectrum)
    inside = (w >= 5400) & (w <= 5600)
    assert np.median(out.flux[0, inside]) == pytest.approx(1.0, rel=1e-14)
    assert out.flux[0, 250] == pytest.approx((3.0 + 6.5) / (3.0 + 5.5))


def test_undetermined_rows_are_nan_masked_with_one_warning():
    w = np.linspace(1.0, 2.0, 20)
    good = 1.0 + w
    few = np.full(20, np.nan)
    few[:3] = 1.0  # 3 valid pixels < degree + 1
    negative = -1.0 - w
    batch = SpectrumBatch.from_arrays(w, np.stack([good, few, negative, good]))
    with pytest.warns(UndeterminedContinuumWarning, match="2 of 4 spectra"):
        out = ContinuumNormalizer().fit_transform(batch)
    assert np.all(np.isnan(out.flux[[1, 2]])) and out.mask[[1, 2]].all()
    assert np.all(out.ivar[[1, 2]] == 0)
    assert_allclose(out.flux[[0, 3]], 1.0, rtol=1e-10)
    # subtract does not need a positive continuum
    with pytest.warns(UndeterminedContinuumWarning, match="1 of 4 spectra"):
        ContinuumNormalizer(mode="subtract").fit_transform(batch)


def test_empty_window_warns_on_ragged_batch():
    spectra = [Spectrum([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]), Spectrum([5.0, 6.0], [1.0, 1.0])]
    with pytest.warns(UndeterminedContinuumWarning, match=r"1 of 2 spectra \(an empty window"):
        out = ContinuumNormalizer(method="window", window=(1.5, 2.5)).fit_transform(spectra)
    assert_allclose(out[0].flux, [0.5, 1.0, 1.5])
    assert out[1].mask.all() and np.all(np.isnan(out[1].flux))


def test_stateless_fit_and_feature_names():
    X = np.abs(np.random.default_rng(0).normal(size=(4, 6))) + 1
    norm = ContinuumNormalizer(degree=1).fit(X)
    assert norm.n_features_in_ == 6
    assert list(norm.get_feature_names_out()) == [f"x{i}" for i in range(6)]
    # transform without fit works: nothing is learnt
    assert_allclose(ContinuumNormalizer(degree=1).transform(X), norm.transform(X))
    with pytest.raises(ValueError, match="X has 5 features"):
        norm.transform(X[:, :5])


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("params, match", [
    ({"method": "spline3"}, "'method' parameter of ContinuumNormalizer"),
    ({"polynomial_kind": "hermite"}, "'polynomial_kind' parameter"),
    ({"percentile": 101}, "'percentile' parameter"),
    ({"window_width": -1.0}, "'window_width' parameter"),
    ({"n_knots": -1}, "'n_knots' parameter"),
    ({"degree": -1}, "'degree' parameter"),
    ({"sigma_lower": 0}, "'sigma_lower' parameter"),
    ({"maxiters": 1.5}, "'maxiters' parameter"),
    ({"mode": "ratio"}, "'mode' parameter"),
])
def test_bad_parameters_are_rejected(params, match):
    X = np.ones((2, 6))
    with pytest.raises(InvalidParameterError, match=match):
        ContinuumNormalizer(**params).fit(X)
    with pytest.raises(InvalidParameterError, match=match):
        ContinuumNormalizer(**params).transform(X)


@pytest.mark.parametrize("window, match", [
    (None, "needs the 'window' parameter"),
    ((0.56, 0.54), r"two finite wavelengths \(lo, hi\) with lo <= hi"),
    ((0.5, 0.6, 0.7), "two finite wavelengths"),
    ((0.5, np.nan), "two finite wavelengths"),
])
def test_bad_window(window, match):
    with pytest.raises(ValueError, match=match):
        ContinuumNormalizer(method="window", window=window).fit(np.ones((2, 6)))


def test_window_unit_incompatible_with_pixel_grid():
    norm = ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um")
    with pytest.raises(ValueError, match="pix cannot be converted to wavelength_unit=um"):
        norm.fit_transform(np.ones((2, 6)))
    with pytest.raises(ValueError, match="'wavelength_unit' parameter.*astropy unit"):
        ContinuumNormalizer(wavelength_unit="furlongs?").fit(np.ones((2, 6)))
