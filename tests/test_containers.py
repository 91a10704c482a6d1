"""Spectrum and SpectrumBatch: validation, indexing as sklearn does it, pickling."""

import pickle

import numpy as np
import pytest
from astropy import units as u
from hypothesis import given
from hypothesis import strategies as st
from sklearn.model_selection import KFold
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples, check_consistent_length

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn._batch import as_spectrum_batch


def _ragged(n=6, seed=0):
    rng = np.random.default_rng(seed)
    spectra = []
    for i in range(n):
        w = np.sort(rng.uniform(0.6, 2.6, 20 + i))
        spectra.append(Spectrum(w, rng.normal(1, 0.1, w.size), ivar=np.full(w.size, 4.0),
                                flux_unit="W m-2 um-1", meta={"i": i}))
    return spectra


# ------------------------------------------------------------------- Spectrum


def test_spectrum_masks_non_finite_flux_and_keeps_given_mask():
    s = Spectrum([1, 2, 3, 4], [1.0, np.nan, np.inf, 4.0], mask=[True, False, False, False])
    assert s.mask.tolist() == [True, True, True, False]
    assert s.wavelength.dtype == np.float64 and s.wavelength_unit == u.um


def test_spectrum_reverses_a_decreasing_grid_with_its_arrays():
    s = Spectrum([3.0, 2.0, 1.0], [30.0, 20.0, 10.0], ivar=[3.0, 2.0, 1.0],
                 mask=[True, False, False])
    assert s.wavelength.tolist() == [1.0, 2.0, 3.0]
    assert s.flux.tolist() == [10.0, 20.0, 30.0]
    assert s.ivar.tolist() == [1.0, 2.0, 3.0]
    assert s.mask.tolist() == [False, False, True]


def test_spectrum_unknown_uncertainty_is_nan_and_uncertainty_inverts_ivar():
    assert np.isnan(Spectrum([1, 2], [1, 1]).ivar).all()
    s = Spectrum([1, 2, 3], [1, 1, 1], ivar=[4.0, 0.0, 0.25])
    np.testing.assert_array_equal(s.uncertainty, [0.5, np.inf, 2.0])


def test_spectrum_quantities_carry_units():
    s = Spectrum([5000.0, 5001.0], [1.0, 2.0], wavelength_unit="Angstrom",
                 flux_unit="erg s-1 cm-2 Angstrom-1")
    assert s.wavelength_quantity.to(u.um)[0].value == pytest.approx(0.5)
    assert s.flux_quantity.unit == u.erg / u.s / u.cm**2 / u.AA
    assert Spectrum([1, 2], [1, 2]).flux_quantity.unit == u.dimensionless_unscaled


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(wavelength=[[1, 2]], flux=[[1, 2]]), "1-D wavelength and flux"),
        (dict(wavelength=[1, 2, 3], flux=[1, 2]), "wavelength has 3 pixels but flux has 2"),
        (dict(wavelength=[1, 2], flux=[1, 2], ivar=[1]), r"ivar must have shape \(2,\)"),
        (dict(wavelength=[1, 2], flux=[1, 2], ivar=[1, -1]), "negative"),
        (dict(wavelength=[1, 2], flux=[1, 2], mask=[True]), r"mask must have shape \(2,\)"),
        (dict(wavelength=[1, np.nan], flux=[1, 2]), "wavelength must be finite"),
        (dict(wavelength=[1, 3, 2], flux=[1, 2, 3]), "strictly increasing"),
        (dict(wavelength=[1, 1], flux=[1, 2]), "strictly increasing"),
        (dict(wavelength=[1, 2], flux=[1, 2], flux_unit="furlongs per glorp"),
         "'flux_unit' parameter of a Spectrum"),
    ],
)
def test_spectrum_rejects_bad_input_with_a_clear_message(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Spectrum(**kwargs)


@given(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.0, np.nan, np.inf, -np.inf]),
                min_size=1, max_size=6))
def test_spectrum_accepts_exactly_the_finite_strictly_monotonic_grids(wavelength):
    # the construction checks monotonicity first and the finiteness of the ends only;
    # what it accepts must still be exactly the finite, strictly monotonic grids
    w = np.array(wavelength)
    with np.errstate(invalid="ignore"):  # inf - inf
        diffs = np.diff(w)
    valid = np.isfinite(w).all() and ((diffs > 0).all() or (diffs < 0).all())
    if valid:
        s = Spectrum(w, np.ones(w.size))
        assert (np.diff(s.wavelength) > 0).all() and set(s.wavelength) == set(w)
    else:
        match = "finite" if not np.isfinite(w).all() else "strictly increasing"
        with pytest.raises(ValueError, match=match):
            Spectrum(w, np.ones(w.size))


def test_spectrum_is_immutable_and_copies_its_input():
    flux = np.array([1.0, 2.0])
    s = Spectrum([1, 2], flux)
    flux[0] = 99.0
    assert s.flux[0] == 1.0
    with pytest.raises(AttributeError):
        s.flux = flux


# --------------------------------------------------------------- SpectrumBatch


def test_ragged_batch_indexing_like_an_array():
    spectra = _ragged()
    batch = SpectrumBatch(spectra)
    assert not batch.on_common_grid and len(batch) == 6 and batch.shape == (6,)
    assert batch[1] is spectra[1] and batch[-1] is spectra[-1]
    for key in ([4, 0], np.array([4, 0]), slice(1, 5, 2),
                np.array([True, False, True, False, False, True])):
        expected = np.arange(6)[key]
        sub = batch[key]
        assert isinstance(sub, SpectrumBatch)
        assert [s.meta["i"] for s in sub] == expected.tolist()
    assert len(batch[np.array([], dtype=int)]) == 0
    assert len(batch[[]]) == 0


@pytest.mark.parametrize("key, error", [(6, IndexError), (-7, IndexError),
                                        (np.array([0.5]), IndexError),
                                        (np.array([True, False]), IndexError),
                                        ((0, 1), IndexError)])
def test_batch_rejects_bad_keys(key, error):
    with pytest.raises(error):
        SpectrumBatch(_ragged())[key]


def test_ragged_batch_refuses_to_become_a_2d_array_and_says_what_to_do():
    batch = SpectrumBatch(_ragged())
    with pytest.raises(ValueError, match="SpectralResampler"):
        np.asarray(batch)
    with pytest.raises(ValueError, match="common wavelength grid"):
        _ = batch.flux


def test_spectra_on_one_grid_are_stored_on_a_common_grid():
    w = np.linspace(1, 2, 5)
    spectra = [Spectrum(w, np.arange(5.0) + i, flux_unit="Jy", meta={"i": i})
               for i in range(3)]
    batch = SpectrumBatch(spectra)
    assert batch.on_common_grid and batch.shape == (3, 5)
    np.testing.assert_array_equal(np.asarray(batch), np.stack([s.flux for s in spectra]))
    assert np.asarray(batch, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(batch.wavelength, w)
    assert batch.flux_units == [u.Jy] * 3 and [m["i"] for m in batch.meta] == [0, 1, 2]
    one = batch[2]
    assert isinstance(one, Spectrum) and one.meta["i"] == 2
    np.testing.assert_array_equal(one.flux, spectra[2].flux)
    # a different unit is a different grid
    other = Spectrum(w, np.ones(5), wavelength_unit="nm")
    assert not SpectrumBatch(spectra + [other]).on_common_grid


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (([1, 2], np.ones((2, 3))), {}, r"wavelength of shape \(n_pixels,\)"),
        (([2, 1], np.ones((2, 2))), {}, "strictly increasing"),
        (([1, 2], np.ones((2, 2)), np.ones((2, 3))), {}, "ivar has shape"),
        (([1, 2], np.ones((2, 2)), -np.ones((2, 2))), {}, "must be >= 0"),
        (([1, 2], np.ones((2, 2))), dict(mask=np.ones((3, 2))), "mask has shape"),
        (([1, 2], np.ones((2, 2))), dict(flux_unit=["Jy"]), "flux_unit has 1 entries"),
        (([1, 2], np.ones((2, 2))), dict(meta=[{}]), "meta has 1 entries"),
    ],
)
def test_from_arrays_rejects_inconsistent_input(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpectrumBatch.from_arrays(*args, **kwargs)


def test_batch_only_takes_spectra():
    with pytest.raises(TypeError, match="item 1 is a ndarray"):
        SpectrumBatch([Spectrum([1, 2], [1, 2]), np.ones(2)])


@given(
    n=st.integers(1, 8),
    keys=st.lists(st.integers(0, 7), max_size=10),
    common=st.booleans(),
)
def test_indexing_a_batch_equals_indexing_its_spectra(n, keys, common):
    keys = [k % n for k in keys]
    rng = np.random.default_rng(n)
    w = np.linspace(1, 2, 7)
    spectra = [
        Spectrum(w if common else w + 0.01 * i, rng.normal(size=7),
                 ivar=rng.uniform(0, 2, 7), mask=rng.uniform(size=7) < 0.2, meta={"i": i})
        for i in range(n)
    ]
    batch = SpectrumBatch(spectra)
    assert batch.on_common_grid == (common or n == 1)
    sub = batch[keys]
    assert len(sub) == len(keys)
    for got, k in zip(sub, keys):
        want = spectra[k]
        np.testing.assert_array_equal(got.wavelength, want.wavelength)
        np.testing.assert_array_equal(got.flux, want.flux)
        np.testing.assert_array_equal(got.ivar, want.ivar)
        np.testing.assert_array_equal(got.mask, want.mask)
        assert got.meta == want.meta


@pytest.mark.parametrize("make", [lambda: SpectrumBatch(_ragged()),
                                  lambda: SpectrumBatch.from_arrays(
                                      np.arange(4.0), np.ones((6, 4)))])
def test_sklearn_indexes_batches_in_cross_validation(make):
    batch = make()
    y = np.arange(6) % 2
    assert _num_samples(batch) == 6
    check_consistent_length(batch, y)
    for train, _test in KFold(3).split(np.zeros(6)):
        part = _safe_indexing(batch, train)
        assert isinstance(part, SpectrumBatch) and len(part) == len(train)
        assert part.on_common_grid == batch.on_common_grid


def test_batches_pickle():
    for batch in (SpectrumBatch(_ragged()),
                  SpectrumBatch.from_arrays([1.0, 2.0], np.ones((2, 2)), flux_unit="Jy")):
        restored = pickle.loads(pickle.dumps(batch))
        assert len(restored) == len(batch) and restored.flux_units == batch.flux_units
        for a, b in zip(restored, batch):
            np.testing.assert_array_equal(a.flux, b.flux)


def test_as_spectrum_batch_takes_spectra_and_arrays_and_points_paths_to_the_reader():
    batch, from_array = as_spectrum_batch(np.ones((3, 4)))
    assert from_array and batch.wavelength_unit == u.pix
    np.testing.assert_array_equal(batch.wavelength, np.arange(4.0))
    assert np.isnan(batch.ivar).all()
    spectra = _ragged(2)
    assert as_spectrum_batch(spectra)[0][0] is spectra[0]
    assert len(as_spectrum_batch(spectra[0])[0]) == 1
    for paths in (["a.fits", "b.fits"], np.array(["a.fits"]), "a.fits"):
        with pytest.raises(TypeError, match="SpectrumReader"):
            as_spectrum_batch(paths)
    with pytest.raises(TypeError, match="1 dimension"):
        as_spectrum_batch(np.ones(3))
