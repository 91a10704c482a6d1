"""SpectralResampler: grids, units, masks, fill, dtypes, sklearn behaviour and errors."""

import numpy as np
import pytest
from astropy import units as u
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.preprocessing import SpectralResampler


def _spectrum(start, stop, n, unit="um", slope=1.0, **kw):
    w = np.linspace(start, stop, n)
    return Spectrum(w, 1.0 + slope * w, wavelength_unit=unit, **kw)


def test_default_is_identity_on_plain_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 12))
    X[1, 3] = np.nan
    for method in ("flux_conserving", "linear"):
        resampler = SpectralResampler(method=method).fit(X)
        assert resampler.n_features_in_ == 12
        assert resampler.wavelength_unit_ == u.pix
        assert_array_equal(resampler.wavelength_grid_, np.arange(12.0))
        out = resampler.transform(X)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        assert_array_equal(out, X)


@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64),
])
def test_dtype_policy(dtype, expected):
    X = np.arange(24).reshape(3, 8).astype(dtype)
    out = SpectralResampler(n_pixels=5).fit_transform(X)
    assert out.dtype == expected and out.shape == (3, 5)
    batch = SpectrumBatch.from_arrays(np.arange(8.0), X.astype(np.float32))
    assert SpectralResampler(n_pixels=5).fit_transform(batch).flux.dtype == np.float32


def test_default_grid_is_union_of_coverage_with_median_length():
    spectra = [_spectrum(1.0, 2.0, 11), _spectrum(1.5, 3.0, 31), _spectrum(0.8, 1.2, 21)]
    resampler = SpectralResampler().fit(spectra)
    grid = resampler.wavelength_grid_
    assert grid.shape == (21,)
    assert grid[0] == 0.8 and grid[-1] == 3.0
    assert_allclose(np.diff(grid), (3.0 - 0.8) / 20)
    assert resampler.wavelength_unit_ == u.um
    assert not hasattr(resampler, "n_features_in_")
    names = resampler.get_feature_names_out()
    assert names[0] == "spectralresampler0" and names.shape == (21,)


def test_log_spacing_is_uniform_in_ln_wavelength():
    grid = SpectralResampler(
        wavelength_min=0.65, wavelength_max=2.55, n_pixels=300, spacing="log"
    ).fit([_spectrum(0.6, 2.6, 100)]).wavelength_grid_
    assert grid[0] == 0.65 and grid[-1] == 2.55
    step = np.diff(np.log(grid))
    assert_allclose(step, np.log(2.55 / 0.65) / 299, rtol=1e-9)


def test_spectra_in_other_units_are_converted():
    flux = np.array([1.0, 4.0, 2.0, 5.0, 3.0, 6.0])
    in_um = Spectrum(np.linspace(1.0, 1.5, 6), flux, ivar=np.full(6, 2.0))
    in_angstrom = Spectrum(np.linspace(10000.0, 15000.0, 6), flux, ivar=np.full(6, 2.0),
                           wavelength_unit="Angstrom")
    grid = np.array([1.1, 1.25, 1.4])
    resampler = SpectralResampler(wavelength_grid=grid, wavelength_unit="um")
    out = resampler.fit_transform([in_um, in_angstrom])
    assert out.on_common_grid and out.wavelength_unit == u.um
    assert_array_equal(out.wavelength, grid)
    assert_allclose(out.flux[1], out.flux[0], rtol=1e-12)
    assert_allclose(out.ivar[1], out.ivar[0], rtol=1e-12)
    # A Quantity grid brings its own unit.
    q = SpectralResampler(wavelength_grid=grid * 1000 * u.nm).fit([in_um])
    assert q.wavelength_unit_ == u.nm
    assert_allclose(q.transform([in_um]).flux, out.flux[:1], rtol=1e-12)


def test_masked_input_pixels_get_zero_weight():
    w = np.arange(10.0)
    flux = np.arange(10.0) * 10
    mask = np.zeros(10, dtype=bool)
    mask[4] = True
    spectrum = Spectrum(w, flux, ivar=np.ones(10), mask=mask)
    # Output bins two input pixels wide: [3.5, 5.5] holds pixels 4 (masked) and 5.
    out = SpectralResampler(wavelength_grid=np.arange(0.5, 9.0, 2.0)).fit_transform(spectrum)
    assert_allclose(out.flux[0], [5.0, 25.0, 50.0, 65.0, 85.0])
    assert not out.mask.any()
    # The bin holding pixel 5 alone keeps its inverse variance; pairs double it.
    assert_allclose(out.ivar[0], [2.0, 2.0, 1.0, 2.0, 2.0])
    # A bin inside the masked pixel only: masked; ivar 0.
    out = SpectralResampler(wavelength_grid=[3.9, 4.0, 4.1]).fit_transform(spectrum)
    assert_array_equal(out.mask[0], [True, True, True])
    assert_array_equal(out.ivar[0], [0.0, 0.0, 0.0])


def test_unknown_and_zero_inverse_variance_propagate():
    w = np.arange(8.0)
    ivar = np.array([1.0, 1.0, np.nan, 1.0, 0.0, 1.0, 1.0, 1.0])
    spectrum = Spectrum(w, np.ones(8), ivar=ivar)
    out = SpectralResampler(wavelength_grid=np.arange(0.5, 7.0, 2.0)).fit_transform(spectrum)
    # bins: pixels (0,1) (2,3) (4,5) (6,7)
    assert out.ivar[0, 0] == 2.0
    assert np.isnan(out.ivar[0, 1])
    assert out.ivar[0, 2] == 0.0
    assert out.ivar[0, 3] == 2.0
    assert not out.mask.any()


def test_outside_coverage_is_masked_and_filled():
    # Binary-exact pixel spacing (0.125) so that bin edges compare exactly.
    spectrum = _spectrum(1.0, 2.0, 9, ivar=np.ones(9))
    grid = np.linspace(0.5, 2.5, 17)
    inside = (grid - 0.0625 >= 0.9375) & (grid + 0.0625 <= 2.0625)
    assert inside.sum() == 9
    for fill in ("nan", "zero", "edge"):
        out = SpectralResampler(wavelength_grid=grid, fill=fill).fit_transform(spectrum)
        assert_array_equal(out.mask[0], ~inside)
        assert np.all(out.ivar[0, ~inside] == 0)
        assert_allclose(out.flux[0, inside], 1.0 + grid[inside], rtol=1e-12)
        if fill == "nan":
            assert np.all(np.isnan(out.flux[0, ~inside]))
        elif fill == "zero":
            assert np.all(out.flux[0, ~inside] == 0)
        else:
            good = ~out.mask[0]
            expected = np.interp(grid, grid[good], out.flux[0, good])
            assert_allclose(out.flux[0], expected, rtol=1e-12)


def test_edge_fill_interpolates_across_interior_gaps():
    w = np.arange(20.0)
    flux = 3.0 + 0.5 * w
    mask = np.zeros(20, dtype=bool)
    mask[7:11] = True
    mask[:2] = True
    out = SpectralResampler(fill="edge").fit_transform(Spectrum(w, flux, mask=mask))
    assert_array_equal(out.mask[0], mask)
    good = ~mask
    assert_allclose(out.flux[0], np.interp(w, w[good], flux[good]), rtol=1e-12)


def test_spectrum_without_any_valid_output_stays_nan():
    outside = _spectrum(5.0, 6.0, 10)
    inside = _spectrum(0.5, 3.5, 40)
    for fill in ("nan", "zero", "edge"):
        resampler = SpectralResampler(
            wavelength_min=1.0, wavelength_max=3.0, n_pixels=9, fill=fill
        )
        out = resampler.fit_transform([outside, inside])
        assert out.mask[0].all() and not out.mask[1].any()
        assert np.all(np.isnan(out.flux[0]))
        assert np.all(np.isfinite(out.flux[1]))
        assert np.all(out.ivar[0] == 0)


def test_linear_method_does_not_bridge_masked_pixels():
    w = np.arange(6.0)
    mask = np.array([False, False, True, False, False, False])
    out = SpectralResampler(wavelength_grid=[0.5, 1.5, 2.0, 2.5, 3.5], method="linear")
    out = out.fit_transform(Spectrum(w, w * 2.0, mask=mask))
    assert_array_equal(out.mask[0], [False, True, True, True, False])
    assert_allclose(out.flux[0, [0, 4]], [1.0, 7.0])


def test_metadata_and_flux_units_travel():
    spectra = [
        _spectrum(1.0, 2.0, 11, flux_unit="W m-2 um-1", meta={"source": "a"}),
        _spectrum(1.0, 2.0, 21, flux_unit=None, meta={"source": "b"}),
    ]
    out = SpectralResampler(n_pixels=6).fit_transform(spectra)
    assert out.flux_units == [u.Unit("W m-2 um-1"), None]
    assert [m["source"] for m in out.meta] == ["a", "b"]


def test_refit_on_spectra_forgets_array_layout():
    resampler = SpectralResampler().fit(np.ones((3, 5)))
    assert resampler.n_features_in_ == 5
    resampler.fit([_spectrum(1.0, 2.0, 7)])
    assert not hasattr(resampler, "n_features_in_")


def test_in_a_pipeline_the_next_step_gets_a_2d_array():
    spectra = [_spectrum(1.0, 2.0, 30 + i, slope=i) for i in range(6)]
    pipe = make_pipeline(SpectralResampler(n_pixels=16, fill="edge"), StandardScaler())
    out = pipe.fit_transform(spectra)
    assert isinstance(out, np.ndarray) and out.shape == (6, 16)
    assert pipe[-1].n_features_in_ == 16


# -- errors -------------------------------------------------------------------

@pytest.mark.parametrize("params, match", [
    ({"method": "cubic"}, "'method' parameter of SpectralResampler"),
    ({"fill": "extrapolate"}, "'fill' parameter"),
    ({"spacing": "sqrt"}, "'spacing' parameter"),
    ({"n_pixels": 1}, "'n_pixels' parameter"),
    ({"wavelength_unit": 3}, "'wavelength_unit' parameter"),
])
def test_bad_parameters_are_rejected(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        SpectralResampler(**params).fit(np.ones((2, 4)))


@pytest.mark.parametrize("grid, match", [
    ([1.0, 3.0, 2.0], "strictly increasing"),
    ([1.0, 1.0, 2.0], "strictly increasing"),
    ([1.0], "at least 2"),
    ([[1.0, 2.0]], "1-D array"),
    ([1.0, np.nan], "finite"),
])
def test_bad_wavelength_grid(grid, match):
    with pytest.raises(ValueError, match=f"'wavelength_grid' parameter.*{match}"):
        SpectralResampler(wavelength_grid=grid).fit([_spectrum(1.0, 2.0, 5)])


def test_wavelength_min_must_be_below_max():
    with pytest.raises(ValueError, match="wavelength_min < wavelength_max.*2.0.*1.0"):
        SpectralResampler(wavelength_min=2.0, wavelength_max=1.0).fit(
            [_spectrum(1.0, 2.0, 5)])
    with pytest.raises(ValueError, match="wavelength_min < wavelength_max"):
        SpectralResampler(wavelength_min=1.5, wavelength_max=1.5).fit(
            [_spectrum(1.0, 2.0, 5)])
    # min above the data when max comes from the data
    with pytest.raises(ValueError, match="taken from the training spectra"):
        SpectralResampler(wavelength_min=3.0).fit([_spectrum(1.0, 2.0, 5)])


def test_log_spacing_needs_positive_wavelengths():
    with pytest.raises(ValueError, match="spacing='log' needs wavelength_min > 0"):
        SpectralResampler(spacing="log").fit(np.ones((2, 5)))


def test_incompatible_units():
    with pytest.raises(ValueError, match="cannot be converted to wavelength_unit=kg"):
        SpectralResampler(wavelength_unit="kg").fit([_spectrum(1.0, 2.0, 5)])
    with pytest.raises(ValueError, match="'wavelength_unit' parameter.*astropy unit"):
        SpectralResampler(wavelength_unit="not_a_unit").fit([_spectrum(1.0, 2.0, 5)])
    fitted = SpectralResampler().fit([_spectrum(1.0, 2.0, 5)])
    with pytest.raises(ValueError, match="pix cannot be converted.*pixel grid"):
        fitted.transform(np.ones((2, 5)))
    with pytest.raises(ValueError, match="'wavelength_grid' parameter.*cannot be converted"):
        SpectralResampler(wavelength_grid=[1.0, 2.0] * u.s, wavelength_unit="um").fit(
            [_spectrum(1.0, 2.0, 5)])


def test_array_with_wrong_width_is_rejected():
    fitted = SpectralResampler().fit(np.ones((2, 5)))
    with pytest.raises(ValueError, match="X has 4 features"):
        fitted.transform(np.ones((2, 4)))


def test_too_few_pixels_for_a_grid():
    with pytest.raises(ValueError, match=r"at least 2 output pixels.*1 feature\(s\)"):
        SpectralResampler().fit(np.ones((3, 1)))


def test_grid_and_edges_are_exclusive_and_checked():
    spectrum = _spectrum(1.0, 2.0, 11)
    with pytest.raises(ValueError, match="wavelength_grid .* or wavelength_edges"):
        SpectralResampler(wavelength_grid=[1.2, 1.5], wavelength_edges=[1.1, 1.3, 1.6]).fit(
            spectrum)
    with pytest.raises(ValueError, match="'wavelength_edges' parameter.*at least 3 bin edges"):
        SpectralResampler(wavelength_edges=[1.1, 1.3]).fit(spectrum)
    with pytest.raises(ValueError, match="'wavelength_edges' parameter.*strictly increasing"):
        SpectralResampler(wavelength_edges=[1.1, 1.3, 1.2]).fit(spectrum)


@pytest.mark.parametrize("params, match", [
    ({"min_coverage": 1.5}, "'min_coverage' parameter"),
    ({"gap_factor": 1.0}, "'gap_factor' parameter"),
])
def test_bad_new_parameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        SpectralResampler(**params).fit(np.ones((2, 4)))


def test_covered_fraction_at_the_ends_and_masked_pixels():
    w = np.arange(10.0)
    mask = np.zeros(10, dtype=bool)
    mask[4] = True
    spectrum = Spectrum(w, np.ones(10), mask=mask)
    r = SpectralResampler(wavelength_grid=np.arange(-1.0, 11.0)).fit(spectrum)
    cov = r.covered_fraction(spectrum)[0]
    # pixel centres -1..10; input bins cover [-0.5, 9.5] minus [3.5, 4.5]
    assert_allclose(cov, [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0])
    cov = r.set_params(wavelength_grid=np.arange(-1.0, 11.0) + 0.25).fit(spectrum).covered_fraction(
        spectrum)[0]
    assert_allclose(cov, [0.25, 1, 1, 1, 0.75, 0.25, 1, 1, 1, 1, 0.75, 0])
    out = SpectralResampler(wavelength_grid=np.arange(-1.0, 11.0), min_coverage=0.6,
                            method="linear").fit_transform(spectrum)
    assert_array_equal(out.mask[0], cov < 0.6)
