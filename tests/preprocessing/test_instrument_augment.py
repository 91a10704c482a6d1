"""InstrumentAugmenter and AugmentedTrainingClassifier: each perturbation does what it says."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.ensemble import BaggingClassifier, VotingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.calibration import TemperatureScaledClassifier
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.preprocessing import (
    AugmentedTrainingClassifier,
    ContinuumNormalizer,
    FluxPixels,
    InstrumentAugmenter,
    MaskedPixelInterpolator,
    SpectralResampler,
)
from spectra_sklearn.preprocessing._instrument_augment import shift_rows

FWHM = 2.0 * np.sqrt(2.0 * np.log(2.0))


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


def _line_batch(centre=5500.0, sigma=1.0, n=1, step=0.1, ivar=1e6):
    wavelength = np.arange(5400.0, 5600.0, step)
    flux = 1.0 - 0.6 * np.exp(-0.5 * ((wavelength - centre) / sigma) ** 2)
    return SpectrumBatch.from_arrays(wavelength, np.tile(flux, (n, 1)),
                                     np.full((n, wavelength.size), ivar),
                                     wavelength_unit="Angstrom")


def _moments(wavelength, depth):
    mean = np.sum(wavelength * depth) / np.sum(depth)
    return mean, np.sqrt(np.sum((wavelength - mean) ** 2 * depth) / np.sum(depth))


def test_zero_strengths_return_the_spectra_unchanged(spex):
    batch = spex.data[:20]
    out = InstrumentAugmenter(random_state=0).fit_transform(batch)
    for a, b in zip(batch.spectra, out.spectra):
        np.testing.assert_array_equal(a.flux, b.flux)
        np.testing.assert_array_equal(a.ivar, b.ivar)
        np.testing.assert_array_equal(a.mask, b.mask)
        np.testing.assert_array_equal(a.wavelength, b.wavelength)


def test_degraded_resolution_widens_the_line_as_the_kernel_predicts():
    batch = _line_batch(sigma=1.0)
    r_in, r_out = 20000.0, 1500.0
    out = InstrumentAugmenter(resolution=(r_out, r_out), input_resolution=r_in,
                              random_state=0).fit_transform(batch)
    wl = batch.wavelength
    _, s_in = _moments(wl, 1.0 - batch.flux[0])
    _, s_out = _moments(wl, 1.0 - out.flux[0])
    # kernel sigma at the line: sqrt((lambda/R_out)^2 - (lambda/R_in)^2) / 2.3548
    s_kernel = np.sqrt((5500.0 / r_out) ** 2 - (5500.0 / r_in) ** 2) / FWHM
    assert s_out == pytest.approx(np.hypot(s_in, s_kernel), rel=0.01)
    # the equivalent width is kept, so the depth falls by s_in / s_out
    depth_ratio = (1.0 - out.flux[0].min()) / (1.0 - batch.flux[0].min())
    assert depth_ratio == pytest.approx(s_in / np.hypot(s_in, s_kernel), rel=0.02)
    assert np.sum(1 - out.flux[0]) == pytest.approx(np.sum(1 - batch.flux[0]), rel=1e-3)


def test_resolution_range_draws_between_its_limits():
    batch = _line_batch(sigma=0.5, n=30)
    # distinct spectra (draws are seeded by the flux: identical rows get one draw)
    batch = SpectrumBatch.from_arrays(batch.wavelength,
                                      batch.flux * (1 + 1e-6 * np.arange(30))[:, None],
                                      batch.ivar, wavelength_unit="Angstrom")
    out = InstrumentAugmenter(resolution=(1000.0, 4000.0), input_resolution=50000.0,
                              random_state=1).fit_transform(batch)
    widths = np.array([_moments(batch.wavelength, f.max() - f)[1] for f in out.flux])
    lo = np.hypot(0.5, np.sqrt((5500 / 4000) ** 2 - (5500 / 50000) ** 2) / FWHM)
    hi = np.hypot(0.5, np.sqrt((5500 / 1000) ** 2 - (5500 / 50000) ** 2) / FWHM)
    assert np.all((widths > lo * 0.99) & (widths < hi * 1.01))
    assert np.ptp(widths) > 0.3 * (hi - lo)  # not one value
    same = InstrumentAugmenter(resolution=(1000.0, 4000.0), input_resolution=50000.0,
                               random_state=1).fit_transform(_line_batch(sigma=0.5, n=3))
    np.testing.assert_array_equal(same.flux[0], same.flux[2])


def test_unknown_input_resolution_is_an_error_naming_the_augmenter():
    batch = _line_batch()
    with pytest.raises(ValueError, match="InstrumentAugmenter: the input resolution"):
        InstrumentAugmenter(resolution=(100.0, 200.0), random_state=0).fit_transform(batch)


def test_noise_matches_the_variance_from_the_inverse_variance(spex):
    batch = spex.data[:40]
    out = InstrumentAugmenter(noise=2.0, random_state=0).fit_transform(batch)
    z = []
    for a, b in zip(batch.spectra, out.spectra):
        ok = np.isfinite(a.ivar) & (a.ivar > 0) & ~a.mask & np.isfinite(a.flux)
        k2 = a.ivar[ok] / b.ivar[ok]  # ivar divided by k^2, one k per spectrum
        assert np.allclose(k2, k2[0]) and 1.0 <= k2[0] <= 9.0
        extra = (k2[0] - 1.0) / a.ivar[ok]
        if k2[0] > 1.01:
            z.append((b.flux[ok] - a.flux[ok]) / np.sqrt(extra))
        np.testing.assert_array_equal(b.flux[~ok & np.isfinite(a.flux)],
                                      a.flux[~ok & np.isfinite(a.flux)])
    z = np.concatenate(z)
    assert z.size > 10000
    assert np.std(z) == pytest.approx(1.0, abs=0.03)
    assert np.mean(z) == pytest.approx(0.0, abs=0.03)


def test_snr_noise_for_spectra_without_uncertainties():
    flux = np.full((5, 4000), 2.0)
    out = InstrumentAugmenter(snr=(50.0, 50.0), random_state=0).fit_transform(flux)
    assert np.std(out - flux) == pytest.approx(2.0 / 50.0, rel=0.03)


def test_slope_is_a_power_law_with_unit_value_at_the_reference(spex):
    batch = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=200,
                              fill="edge").fit_transform(spex.data[:10])
    out = InstrumentAugmenter(slope=0.5, reference_wavelength=1.25, wavelength_unit="um",
                              random_state=0).fit_transform(batch)
    lnw = np.log(batch.wavelength / 1.25)
    alphas = []
    for a, b in zip(batch.flux, out.flux):
        ratio = np.log(b / a)
        alpha = np.polyfit(lnw, ratio, 1)
        np.testing.assert_allclose(ratio, alpha[0] * lnw, atol=1e-9)  # exactly a power law
        alphas.append(alpha[0])
    assert np.all(np.abs(alphas) <= 0.5) and np.ptp(alphas) > 0.1


def test_slope_needs_wavelengths():
    with pytest.raises(ValueError, match="power law of the wavelength"):
        InstrumentAugmenter(slope=0.1).fit_transform(np.ones((2, 5)))


def test_shift_moves_a_line_centroid_within_the_requested_range():
    batch = _line_batch(sigma=1.0, n=40, step=0.1)
    batch = SpectrumBatch.from_arrays(batch.wavelength,
                                      batch.flux * (1 + 1e-6 * np.arange(40))[:, None],
                                      batch.ivar, wavelength_unit="Angstrom")
    out = InstrumentAugmenter(shift=3.0, random_state=0).fit_transform(batch)
    c0 = _moments(batch.wavelength, 1.0 - batch.flux[0])[0]
    moved = np.array([(_moments(batch.wavelength, f.max() - f)[0] - c0) / 0.1
                      for f in out.flux])
    assert np.all(np.abs(moved) <= 3.0 + 1e-6)
    assert moved.min() < -1.5 and moved.max() > 1.5  # both directions, spread out


@pytest.mark.parametrize("shift", [2.0, -3.25, 0.5])
def test_shift_rows_moves_the_centroid_by_the_requested_pixels(shift):
    x = np.arange(300.0)
    flux = np.exp(-0.5 * ((x - 150.0) / 3.0) ** 2)[None, :]
    out, ivar, mask = shift_rows(flux, np.ones_like(flux), np.zeros(flux.shape, bool),
                                 np.array([shift]), np.array([0.0]))
    centroid = np.sum(x * out[0]) / np.sum(out[0])
    assert centroid == pytest.approx(150.0 + shift, abs=1e-6)
    assert mask[0].sum() == int(np.ceil(abs(shift) - 1e-9))  # pixels from outside
    assert np.all(ivar[0][mask[0]] == 0)


def test_shift_rows_stretch_scales_distances_from_the_centre():
    x = np.arange(401.0)
    flux = np.exp(-0.5 * ((x - 300.0) / 3.0) ** 2)[None, :]
    out, _, _ = shift_rows(flux, np.ones_like(flux), np.zeros(flux.shape, bool),
                           np.array([0.0]), np.array([0.1]))
    centroid = np.sum(x * out[0]) / np.sum(out[0])
    assert centroid == pytest.approx(200.0 + 100.0 * 1.1, abs=0.05)


@settings(max_examples=60, deadline=None)
@given(a=st.floats(-10, 10), b=st.floats(-1, 1), shift=st.floats(-5, 5),
       stretch=st.floats(-0.2, 0.2), ivar=st.floats(0.01, 100.0), n=st.integers(12, 60))
def test_shift_rows_is_exact_on_straight_lines_and_only_adds_variance(a, b, shift, stretch,
                                                                      ivar, n):
    x = np.arange(n, dtype=float)
    flux = (a + b * x)[None, :]
    out, out_ivar, mask = shift_rows(flux, np.full_like(flux, ivar),
                                     np.zeros(flux.shape, bool), np.array([shift]),
                                     np.array([stretch]))
    c = 0.5 * (n - 1)
    pos = c + (x - c) / (1 + stretch) - shift
    inside = ~mask[0]
    np.testing.assert_allclose(out[0][inside], (a + b * pos)[inside], atol=1e-9 * (1 + abs(a)))
    # interpolation averages independent pixels: ivar in [ivar, 2 ivar]
    assert np.all(out_ivar[0][inside] >= ivar * (1 - 1e-9))
    assert np.all(out_ivar[0][inside] <= 2 * ivar * (1 + 1e-9))
    np.testing.assert_array_equal(mask[0], (pos < -1e-9) | (pos > n - 1 + 1e-9))


@settings(max_examples=40, deadline=None)
@given(flux=hnp.arrays(np.float64, (3, 20), elements=st.floats(-1e3, 1e3)),
       masked=hnp.arrays(bool, (3, 20)), shift=st.floats(-3, 3))
def test_shift_rows_never_unmasks_and_zero_shift_is_identity(flux, masked, shift):
    ivar = np.ones_like(flux)
    same = shift_rows(flux, ivar, masked, np.zeros(3), np.zeros(3))
    np.testing.assert_array_equal(same[0], flux)
    np.testing.assert_array_equal(same[2], masked)
    out, _, mask = shift_rows(flux, ivar, masked, np.full(3, shift), np.zeros(3))
    if float(shift).is_integer():
        k = int(shift)
        src = np.arange(20) - k
        inside = (src >= 0) & (src < 20)
        np.testing.assert_array_equal(mask[:, inside], masked[:, src[inside]])


def test_gaps_are_masked_with_zero_ivar_and_nan_flux(spex):
    batch = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=200,
                              fill="edge").fit_transform(spex.data[:50])
    out = InstrumentAugmenter(n_gaps=3, gap_width=0.1, random_state=0).fit_transform(batch)
    new = out.mask & ~batch.mask
    assert new.any()
    assert np.all(out.ivar[new] == 0) and np.all(np.isnan(out.flux[new]))
    np.testing.assert_array_equal(out.flux[~new], batch.flux[~new])
    for row in new:  # at most 3 runs of at most 20 pixels
        runs = np.flatnonzero(np.diff(np.r_[0, row.astype(int), 0]) == 1)
        assert len(runs) <= 3
        assert row.sum() <= 60


def test_edge_loss_masks_the_ends_only():
    out = InstrumentAugmenter(edge_loss=0.3, random_state=2).fit_transform(np.ones((50, 100)))
    bad = np.isnan(out)
    for row in bad:
        left = np.argmin(row) if row.any() else 0
        right = np.argmin(row[::-1]) if row.any() else 0
        assert not row[left:100 - right].any()  # one run at each end at most
        assert left <= 30 and right <= 30
    assert bad[:, 0].any() and bad[:, -1].any()
    # never everything: at least 2 pixels stay
    heavy = InstrumentAugmenter(edge_loss=0.99, n_gaps=5, gap_width=1.0, random_state=0)
    assert np.all(np.isfinite(heavy.fit_transform(np.ones((30, 10)))).sum(axis=1) >= 2)


def test_fixed_random_state_is_reproducible_and_order_free(spex):
    batch = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=100,
                              fill="edge").fit_transform(spex.data[:30])
    aug = InstrumentAugmenter(shift=1.0, noise=1.0, slope=0.2, n_gaps=1, random_state=3)
    a, b = aug.fit_transform(batch), aug.fit_transform(batch)
    np.testing.assert_array_equal(a.flux, b.flux)
    order = np.random.default_rng(0).permutation(30)
    c = aug.fit_transform(batch[order])
    np.testing.assert_array_equal(c.flux, a.flux[order])
    d = aug.set_params(random_state=4).fit_transform(batch)
    assert not np.allclose(np.nan_to_num(d.flux), np.nan_to_num(a.flux))


def test_pieces_draw_independently_of_each_other(spex):
    batch = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=100,
                              fill="edge").fit_transform(spex.data[:10])
    alone = InstrumentAugmenter(n_gaps=2, random_state=0).fit_transform(batch)
    both = InstrumentAugmenter(n_gaps=2, shift=0.5, random_state=0).fit_transform(batch)
    np.testing.assert_array_equal(alone.mask & ~batch.mask,
                                  both.mask & ~batch.mask & np.isnan(both.flux))


def _features():
    return [SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=80,
                              fill="edge"),
            ContinuumNormalizer(method="window", window=(1.2, 1.3))]


def _spex_model(model):
    return make_pipeline(MaskedPixelInterpolator(), *_features(), FluxPixels(),
                         StandardScaler(), model)


def test_training_sees_the_copies_and_prediction_does_not(spex):
    X, y = spex.data[:60], spex.target_class[:60]
    model = AugmentedTrainingClassifier(_spex_model(KNeighborsClassifier(1)),
                                        InstrumentAugmenter(shift=1.0), n_copies=3,
                                        random_state=0).fit(X, y)
    assert model.estimator_[-1].n_samples_fit_ == 4 * 60
    np.testing.assert_array_equal(model.classes_, np.unique(y))
    # no test-time augmentation: the fitted pipeline's own predictions
    np.testing.assert_array_equal(model.predict(X), model.estimator_.predict(X))
    alone = AugmentedTrainingClassifier(_spex_model(KNeighborsClassifier(1)),
                                        InstrumentAugmenter(shift=1.0), n_copies=2,
                                        keep_original=False, random_state=0).fit(X, y)
    assert alone.estimator_[-1].n_samples_fit_ == 2 * 60


def test_tta_averages_the_probabilities_of_the_copies(spex):
    X, y = spex.data[:80], spex.target_class[:80]
    tta = InstrumentAugmenter(noise=1.0, shift=0.5)
    model = AugmentedTrainingClassifier(_spex_model(LogisticRegression(max_iter=500)),
                                        InstrumentAugmenter(noise=1.0), n_copies=1,
                                        n_tta=3, tta_augmenter=tta, random_state=0).fit(X, y)
    proba = model.predict_proba(X)
    expected = model.estimator_.predict_proba(X)
    for seed in model.tta_seeds_:
        copy = InstrumentAugmenter(noise=1.0, shift=0.5, random_state=int(seed)).transform(X)
        expected = expected + model.estimator_.predict_proba(copy)
    np.testing.assert_allclose(proba, expected / 4)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(proba, axis=1)])
    assert not np.allclose(proba, model.estimator_.predict_proba(X))
    order = np.random.default_rng(0).permutation(80)  # a spectrum's answer, wherever it is
    np.testing.assert_allclose(model.predict_proba(X[order]), proba[order])


def test_tta_with_an_svc_averages_decision_values(spex):
    X, y = spex.data[:80], spex.target_class[:80]
    model = AugmentedTrainingClassifier(_spex_model(SVC()), InstrumentAugmenter(noise=1.0),
                                        n_copies=1, n_tta=2, random_state=0).fit(X, y)
    assert not hasattr(model, "predict_proba")
    scores = model.decision_function(X)
    np.testing.assert_array_equal(model.predict(X), model.classes_[np.argmax(scores, axis=1)])


def test_works_in_cross_val_score_and_grid_search(spex):
    X, y = spex.data, spex.target_class
    model = AugmentedTrainingClassifier(_spex_model(SVC(C=10.0)),
                                        InstrumentAugmenter(shift=0.5), n_copies=1,
                                        random_state=0)
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.8  # M/L/T letters of the SpeX sample
    search = GridSearchCV(model, {"augmenter__shift": [0.0, 1.0], "n_copies": [1, 2]},
                          cv=2).fit(X[:120], y[:120])
    assert search.best_params_["n_copies"] in (1, 2)
    assert "augmenter__noise" in model.get_params(deep=True)


def test_sample_weight_is_repeated_with_the_samples():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 6)), np.repeat([0, 1], 20)
    w = rng.uniform(0.5, 2.0, 40)
    model = AugmentedTrainingClassifier(LogisticRegression(), InstrumentAugmenter(),
                                        n_copies=2, random_state=0).fit(X, y, sample_weight=w)
    # identity copies with tiled weights: the same fit as weights * 3 on the originals
    ref = LogisticRegression().fit(np.vstack([X] * 3), np.tile(y, 3), sample_weight=np.tile(w, 3))
    np.testing.assert_allclose(model.estimator_.coef_, ref.coef_)


def test_nothing_to_train_on_is_an_error():
    with pytest.raises(ValueError, match="nothing to train on"):
        AugmentedTrainingClassifier(n_copies=0, keep_original=False).fit(np.ones((4, 3)),
                                                                       [0, 1, 0, 1])


def test_sklearn_ensembles_work_on_our_pipelines(spex):
    """Ensembling needs no code of ours: VotingClassifier takes the spectra pipelines."""
    X, y = spex.data, spex.target_class
    vote = VotingClassifier([("svc", TemperatureScaledClassifier(_spex_model(SVC(C=10.0)),
                                                                 cv=3)),
                             ("logreg", _spex_model(LogisticRegression(max_iter=1000)))],
                            voting="soft")
    assert cross_val_score(vote, X, y, cv=3).mean() > 0.8
    # BaggingClassifier validates X as an array: spectra on one grid first
    features = make_pipeline(*_features()).fit_transform(X)
    bag = BaggingClassifier(make_pipeline(StandardScaler(), SVC(C=10.0)), n_estimators=5,
                            random_state=0)
    assert cross_val_score(bag, np.asarray(features), y, cv=3).mean() > 0.8
