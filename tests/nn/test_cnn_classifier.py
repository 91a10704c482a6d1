"""Tests for spectra_sklearn.nn.SpectrumCNNClassifier."""

import csv
import pickle
import warnings

import joblib
import numpy as np
import pytest
import torch
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupShuffleSplit
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
)

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.nn.modules import FluxStandardizer, SpectrumCNNModule

FAST = dict(max_epochs=8, n_filters=8, batch_size=32)


def _line_spectra(n_spectra=90, n_pixels=48, seed=0):
    """Flat continuum with one Gaussian absorption line at one of 3 positions."""
    rng = np.random.default_rng(seed)
    pixels = np.arange(n_pixels)
    label = np.arange(n_spectra) % 3
    centre = np.array([0.2, 0.5, 0.8])[label] * n_pixels
    flux = 1 - 0.5 * np.exp(-0.5 * ((pixels - centre[:, None]) / 2.0) ** 2)
    flux += rng.normal(0, 0.05, flux.shape)
    return flux, np.array(["K", "M", "L"])[label]


@pytest.fixture(scope="module")
def line_data():
    return _line_spectra()


@pytest.fixture(scope="module")
def fitted(line_data):
    X, y = line_data
    return SpectrumCNNClassifier(random_state=0, **FAST).fit(X, y)


# ---------------------------------------------------------------- basic contract


def test_fit_attributes_and_probabilities(fitted, line_data):
    X, y = line_data
    assert list(fitted.classes_) == ["K", "L", "M"]
    assert fitted.n_features_in_ == X.shape[1]
    assert fitted.n_iter_ == FAST["max_epochs"] == len(fitted.history_)
    assert fitted.history_ is fitted.net_.history
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[proba.argmax(axis=1)]
    )
    assert fitted.score(X, y) > 0.9


def test_generalises_to_new_synthetic_spectra(fitted):
    X_new, y_new = _line_spectra(n_spectra=60, seed=1)
    assert fitted.score(X_new, y_new) > 0.9


def test_infinite_flux_raises_nan_is_missing(line_data):
    X, y = line_data
    X = X.copy()
    X[3, 5] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        SpectrumCNNClassifier(**FAST).fit(X, y)
    X[3, 5] = np.nan  # a missing pixel (issue 17): 0 after input scaling
    proba = SpectrumCNNClassifier(**FAST).fit(X, y).predict_proba(X)
    assert np.isfinite(proba).all()


def test_predict_rejects_other_number_of_pixels(fitted, line_data):
    X, _ = line_data
    with pytest.raises(ValueError, match="48 features"):
        fitted.predict(X[:, :40])


def test_one_class_raises(line_data):
    X, _ = line_data
    with pytest.raises(ValueError, match="at least 2 classes.*got 1 class"):
        SpectrumCNNClassifier(**FAST).fit(X, np.full(len(X), "M"))


@pytest.mark.parametrize(
    "params, name",
    [
        ({"kernel_size": 0}, "kernel_size"),
        ({"dropout": 1.0}, "dropout"),
        ({"class_weight": "uniform"}, "class_weight"),
        ({"input_scaling": "pixel"}, "input_scaling"),
        ({"validation_fraction": 0.0}, "validation_fraction"),
        ({"n_threads": 0}, "n_threads"),
    ],
)
def test_invalid_parameters_name_the_parameter(line_data, params, name):
    X, y = line_data
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SpectrumCNNClassifier(**params).fit(X, y)


def test_unknown_device_names_the_parameter(line_data):
    X, y = line_data
    with pytest.raises(ValueError, match="'device' parameter.*'gpu'"):
        SpectrumCNNClassifier(device="gpu", **FAST).fit(X, y)


def test_sklearn_checks_outside_parametrize_with_checks():
    # parameter validation and pandas feature names, as sklearn's own test_common
    estimator = SpectrumCNNClassifier(max_epochs=3, n_filters=4, random_state=0)
    check_param_validation("SpectrumCNNClassifier", estimator)
    check_dataframe_column_names_consistency("SpectrumCNNClassifier", estimator)


def test_unfitted_predict_raises(line_data):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        SpectrumCNNClassifier().predict(line_data[0])


# ---------------------------------------------------------------- reproducibility


def _weights(clf):
    return {k: v.clone() for k, v in clf.net_.module_.state_dict().items()}


def test_same_seed_same_model_different_seed_different_weights(line_data):
    X, y = line_data
    a = SpectrumCNNClassifier(random_state=3, **FAST).fit(X, y)
    b = SpectrumCNNClassifier(random_state=3, **FAST).fit(X, y)
    c = SpectrumCNNClassifier(random_state=4, **FAST).fit(X, y)
    wa, wb, wc = _weights(a), _weights(b), _weights(c)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not torch.equal(wa["head.weight"], wc["head.weight"])


def test_fit_leaves_torch_global_state_alone(line_data):
    X, y = line_data
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        rng_before = torch.get_rng_state()
        seen = []

        class RecordingAdamW(torch.optim.AdamW):
            def __init__(self, *args, **kwargs):
                seen.append(torch.get_num_threads())
                super().__init__(*args, **kwargs)

        clf = SpectrumCNNClassifier(optimizer=RecordingAdamW, n_threads=1, **FAST)
        clf.fit(X, y)
        clf.predict(X)
        assert seen == [1]  # the optimizer was built, and training ran, on 1 thread
        assert torch.get_num_threads() == 2
        assert torch.equal(torch.get_rng_state(), rng_before)
    finally:
        torch.set_num_threads(previous_threads)


def test_pickle_and_joblib_round_trip(fitted, line_data, tmp_path):
    X, _ = line_data
    expected = fitted.predict_proba(X)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), expected)
    joblib.dump(fitted, tmp_path / "cnn.joblib")
    loaded = joblib.load(tmp_path / "cnn.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    np.testing.assert_array_equal(loaded.predict(X), fitted.predict(X))


def test_clone_is_unfitted_with_same_params(fitted):
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    assert not hasattr(copy, "net_") and not hasattr(copy, "classes_")


def test_grid_search_over_learning_rate(line_data):
    X, y = line_data
    search = GridSearchCV(
        SpectrumCNNClassifier(random_state=0, **FAST),
        {"lr": [1e-5, 3e-3]},
        cv=2,
    ).fit(X, y)
    assert search.best_params_ == {"lr": 3e-3}
    assert search.best_estimator_.lr == 3e-3
    assert search.score(X, y) > 0.9


# ---------------------------------------------------------------- options


def test_early_stopping_stops_and_records_validation_loss(line_data):
    X, y = line_data
    clf = SpectrumCNNClassifier(
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=3,
        max_epochs=300,
        lr=1e-2,
        random_state=0,
        n_filters=8,
    ).fit(X, y)
    assert clf.n_iter_ < 300
    valid_loss = clf.history_[:, "valid_loss"]
    assert len(valid_loss) == clf.n_iter_
    assert all(np.isfinite(valid_loss))
    # stopped because the last n_iter_no_change epochs did not beat the best
    assert min(valid_loss[-3:]) >= min(valid_loss[:-3]) * (1 - 1e-4)
    # 20 % of the 90 spectra (18) were held out; training saw the other 72
    last_epoch = clf.history_[-1, "batches"]
    assert sum(b["train_batch_size"] for b in last_epoch if "train_batch_size" in b) == 72
    assert sum(b["valid_batch_size"] for b in last_epoch if "valid_batch_size" in b) == 18


def test_early_stopping_without_history_of_validation_when_off(fitted):
    assert "valid_loss" not in fitted.history_[-1]


def test_early_stopping_too_few_samples_clear_error():
    X, y = _line_spectra(n_spectra=12)
    with pytest.raises(ValueError, match="validation_fraction=0.1 of the 12 samples"):
        SpectrumCNNClassifier(early_stopping=True, **FAST).fit(X, y)


def test_balanced_class_weight_sets_loss_weights():
    X, y = _line_spectra(n_spectra=90)
    keep = np.r_[np.flatnonzero(y == "K")[:10], np.flatnonzero(y != "K")]
    X, y = X[keep], y[keep]  # K: 10, L: 30, M: 30
    plain = SpectrumCNNClassifier(max_epochs=1, n_filters=4).fit(X, y)
    assert plain.net_.criterion_.weight is None
    balanced = SpectrumCNNClassifier(
        max_epochs=1, n_filters=4, class_weight="balanced"
    ).fit(X, y)
    n = len(y)
    expected = [n / (3 * 10), n / (3 * 30), n / (3 * 30)]  # classes_ K, L, M
    np.testing.assert_allclose(
        balanced.net_.criterion_.weight.numpy(), expected, rtol=1e-6
    )
    custom = SpectrumCNNClassifier(
        max_epochs=1, n_filters=4, class_weight={"K": 5.0}
    ).fit(X, y)
    np.testing.assert_allclose(custom.net_.criterion_.weight.numpy(), [5, 1, 1])


def test_spectrum_batch_input_matches_array(line_data):
    X, y = line_data
    wavelength = np.linspace(1.0, 2.4, X.shape[1])
    batch = SpectrumBatch.from_arrays(wavelength, X)
    from_batch = SpectrumCNNClassifier(random_state=1, **FAST).fit(batch, y)
    from_array = SpectrumCNNClassifier(random_state=1, **FAST).fit(X, y)
    np.testing.assert_array_equal(
        from_batch.predict_proba(batch), from_array.predict_proba(X)
    )
    np.testing.assert_array_equal(from_array.predict(batch), from_array.predict(X))


def test_raw_flux_scale_trains_like_normalised_flux(line_data):
    X, y = line_data
    X_new, y_new = _line_spectra(n_spectra=60, seed=1)
    for scale in (1.0, 3e-16):  # continuum-normalised vs erg s-1 cm-2 A-1
        clf = SpectrumCNNClassifier(random_state=0, **FAST).fit(X * scale, y)
        assert clf.score(X_new * scale, y_new) > 0.9


def test_a_few_badly_normalised_spectra_do_not_break_training(line_data):
    """Window normalisation of a spectrum with ~0 flux in the window gives values
    of 1e3 (seen in the SpeX library); such outliers must not set the scale."""
    X, y = line_data
    X = X.copy()
    X[:4] *= 2e3
    X_new, y_new = _line_spectra(n_spectra=60, seed=1)
    clf = SpectrumCNNClassifier(random_state=0, **FAST).fit(X, y)
    assert clf.score(X_new, y_new) > 0.9


def test_spectrum_scaling_ignores_brightness(line_data):
    X, y = line_data
    rng = np.random.default_rng(5)
    brightness = 10 ** rng.uniform(-17, -14, (len(X), 1))
    clf = SpectrumCNNClassifier(input_scaling="spectrum", random_state=0, **FAST)
    clf.fit(X * brightness, y)
    X_new, y_new = _line_spectra(n_spectra=60, seed=1)
    assert clf.score(X_new * 10 ** rng.uniform(-17, -14, (60, 1)), y_new) > 0.9


def test_verbose_prints_skorch_table(line_data, capsys):
    X, y = line_data
    SpectrumCNNClassifier(max_epochs=2, n_filters=4, verbose=0).fit(X, y)
    assert capsys.readouterr().out == ""
    SpectrumCNNClassifier(max_epochs=2, n_filters=4, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out


# ---------------------------------------------------------------- module properties


@settings(max_examples=30, deadline=None)
@given(
    n_pixels=st.integers(1, 40),
    n_blocks=st.integers(1, 4),
    kernel_size=st.integers(1, 8),
    dilation=st.integers(1, 4),
    pooled_length=st.integers(1, 6),
    batch=st.integers(1, 3),
    use_ivar=st.booleans(),
)
def test_module_accepts_any_number_of_pixels(
    n_pixels, n_blocks, kernel_size, dilation, pooled_length, batch, use_ivar
):
    module = SpectrumCNNModule(
        n_outputs=4, n_filters=2, kernel_size=kernel_size, n_blocks=n_blocks,
        dilation=dilation, pooled_length=pooled_length, use_ivar=use_ivar,
        noise_scale=1.0, max_shift=1.5,
    )
    x = torch.randn(batch, n_pixels)
    if use_ivar:
        x = torch.stack([x, torch.rand(batch, n_pixels)], dim=1)
    for training in (True, False):
        module.train(training)
        out = module(x)
        assert out.shape == (batch, 4)
        assert torch.isfinite(out).all()


@settings(max_examples=30, deadline=None)
@given(
    n_pixels=st.integers(2, 30),
    log_scale=st.floats(-18, 3),
    offset=st.floats(-5, 5),
    seed=st.integers(0, 2**16),
)
def test_spectrum_standardizer_is_invariant_to_scale_and_offset(
    n_pixels, log_scale, offset, seed
):
    flux = torch.as_tensor(
        np.random.default_rng(seed).normal(size=(3, n_pixels)), dtype=torch.float64
    )
    standardize = FluxStandardizer("spectrum")
    scale = 10.0**log_scale
    reference = standardize(flux)
    moved = standardize(flux * scale + offset * scale)
    np.testing.assert_allclose(moved.numpy(), reference.numpy(), atol=1e-6)
    np.testing.assert_allclose(reference.mean(dim=1).numpy(), 0.0, atol=1e-9)


# ---------------------------------------------------------------- real spectra


def _read_spex_mlt(data_dir, per_class=50, seed=0):
    """~150 SpeX prism spectra of M, L and T dwarfs on one grid, median-normalised.

    Quirks of the files (see spex_prism/PROVENANCE.md): metadata with CR line
    endings; image rows 0 = wavelength [um], 1 = flux, 2 = uncertainty, but a
    few files are transposed (N, 3), some have only 2 rows, and three hold a
    (2, 3, N) cube (skipped); flux units differ between files (hence the
    per-spectrum median); headers carry non-standard cards astropy warns about.
    """
    table = (data_dir / "metadata" / "spectral_data.txt").read_text()
    rows = [
        r
        for r in csv.DictReader(table.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
        if r["QUALITY_FLAG"] == "OK"
        and r["SPEX_TYPE"][:1] in ("M", "L", "T")
        and r["SPEX_TYPE"][1:2].isdigit()
    ]
    grid = np.linspace(0.9, 2.4, 300)  # um, covered by every spectrum
    rng = np.random.default_rng(seed)
    flux, labels, sources = [], [], []
    for letter in ("M", "L", "T"):
        candidates = [r for r in rows if r["SPEX_TYPE"][0] == letter]
        n_taken = 0
        for i in rng.permutation(len(candidates)):
            if n_taken == per_class:
                break
            row = candidates[i]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", fits.verify.VerifyWarning)
                warnings.simplefilter("ignore", AstropyUserWarning)
                image = fits.getdata(data_dir / "spectra" / f"{row['DATA_FILE']}.gz")
            image = np.asarray(image, dtype=np.float64)
            if image.ndim != 2:
                continue
            if image.shape[0] > 4:
                image = image.T
            wavelength, f = image[0], image[1]
            good = np.isfinite(wavelength) & np.isfinite(f) & (wavelength > 0)
            order = np.argsort(wavelength[good])
            resampled = np.interp(grid, wavelength[good][order], f[good][order])
            median = np.median(resampled)
            if not median > 0:
                continue
            flux.append(resampled / median)
            labels.append(letter)
            sources.append(row["SOURCE_KEY"])
            n_taken += 1
    return np.array(flux), np.array(labels), np.array(sources)


def test_learns_mlt_classes_of_real_spex_spectra(shared_data):
    X, y, sources = _read_spex_mlt(shared_data / "spex_prism")
    assert X.shape == (150, 300)
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(
            X, y, groups=sources
        )
    )
    assert not set(sources[train]) & set(sources[test])
    clf = SpectrumCNNClassifier(random_state=0, n_filters=8, max_epochs=15).fit(
        X[train], y[train])
    accuracy = clf.score(X[test], y[test])
    assert accuracy > 0.85  # chance is about 1/3


# ---------------------------------------------------------------- uncertainties


def _noise_level_classes(n_spectra=80, n_pixels=32, seed=0):
    """Same flux for both classes; only the inverse variance tells them apart."""
    rng = np.random.default_rng(seed)
    label = np.arange(n_spectra) % 2
    flux = 1 + 0.05 * rng.normal(size=(n_spectra, n_pixels))
    ivar = np.where(label[:, None] == 0, 1e4, 25.0) * rng.uniform(0.8, 1.2, flux.shape)
    batch = SpectrumBatch.from_arrays(np.linspace(0.5, 0.9, n_pixels), flux, ivar)
    return batch, np.array(["bright", "faint"])[label]


def test_ivar_channel_lets_the_network_see_uncertainties():
    batch, y = _noise_level_classes()
    new_batch, y_new = _noise_level_classes(n_spectra=40, seed=1)
    with_ivar = SpectrumCNNClassifier(use_ivar=True, random_state=0, **FAST).fit(batch, y)
    assert with_ivar.score(new_batch, y_new) > 0.95
    assert with_ivar.net_.module_.input.n_channels == 2
    without = SpectrumCNNClassifier(random_state=0, **FAST).fit(batch, y)
    assert without.score(new_batch, y_new) < 0.75  # flux alone: chance


def test_ivar_channel_needs_inverse_variance():
    batch, y = _noise_level_classes()
    with pytest.raises(ValueError, match="use_ivar=True.*inverse variance"):
        SpectrumCNNClassifier(use_ivar=True, **FAST).fit(np.asarray(batch), y)
    clf = SpectrumCNNClassifier(use_ivar=True, max_epochs=1, n_filters=2).fit(batch, y)
    with pytest.raises(ValueError, match="fitted with use_ivar=True"):
        clf.predict(np.asarray(batch))


def test_unknown_ivar_counts_as_no_information():
    batch, y = _noise_level_classes(n_spectra=20)
    clf = SpectrumCNNClassifier(use_ivar=True, max_epochs=1, n_filters=2,
                                random_state=0).fit(batch, y)
    unknown = SpectrumBatch.from_arrays(batch.wavelength, batch.flux,
                                        np.full(batch.flux.shape, np.nan))
    zero = SpectrumBatch.from_arrays(batch.wavelength, batch.flux,
                                     np.zeros(batch.flux.shape))
    np.testing.assert_array_equal(clf.predict_proba(unknown), clf.predict_proba(zero))


def test_ragged_batch_is_refused_with_advice():
    from spectra_sklearn import Spectrum

    ragged = SpectrumBatch([Spectrum([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]),
                            Spectrum([1.5, 2.5], [1.0, 1.0])])
    with pytest.raises(ValueError, match="common wavelength grid.*SpectralResampler"):
        SpectrumCNNClassifier(**FAST).fit(ragged, ["a", "b"])


def test_augmentation_is_deterministic_and_changes_training():
    batch, y = _noise_level_classes(n_spectra=40)
    kw = dict(noise_augmentation=1.0, shift_augmentation=2.0, max_epochs=2, n_filters=4)
    a = SpectrumCNNClassifier(random_state=0, **kw).fit(batch, y)
    b = SpectrumCNNClassifier(random_state=0, **kw).fit(batch, y)
    plain = SpectrumCNNClassifier(random_state=0, max_epochs=2, n_filters=4).fit(batch, y)
    np.testing.assert_array_equal(a.predict_proba(batch), b.predict_proba(batch))
    assert not np.array_equal(a.predict_proba(batch), plain.predict_proba(batch))
    # evaluation ignores augmentation: predicting twice gives the same answer
    np.testing.assert_array_equal(a.predict_proba(batch), a.predict_proba(batch))


# ---------------------------------------------------------------- schedule


def test_learning_rate_schedules(line_data):
    X, y = line_data
    cosine = SpectrumCNNClassifier(max_epochs=4, n_filters=2, lr=0.01).fit(X, y)
    lrs = cosine.history_[:, "event_lr"]
    np.testing.assert_allclose(lrs, 0.005 * (1 + np.cos(np.pi * np.arange(4) / 4)))
    constant = SpectrumCNNClassifier(max_epochs=3, n_filters=2,
                                     lr_schedule="constant").fit(X, y)
    assert "event_lr" not in constant.history_[-1]
    plateau = SpectrumCNNClassifier(max_epochs=3, n_filters=2,
                                    lr_schedule="plateau").fit(X, y)
    assert "event_lr" in plateau.history_[-1]


def test_grid_search_over_module_parameters(line_data):
    X, y = line_data
    search = GridSearchCV(
        SpectrumCNNClassifier(random_state=0, max_epochs=3, batch_size=32),
        {"n_filters": [2, 4], "dilation": [1, 3]}, cv=2,
    ).fit(X, y)
    best = search.best_estimator_
    conv = best.net_.module_.trunk.blocks[0].body[3][1]
    assert conv.out_channels == best.n_filters
    assert conv.dilation == (best.dilation,)


def test_verbose_2_adds_skorch_progress_bar(line_data):
    X, y = line_data
    clf = SpectrumCNNClassifier(max_epochs=1, n_filters=2, verbose=2).fit(X, y)
    assert "progress_bar" in dict(clf.net_.callbacks)
    quiet = SpectrumCNNClassifier(max_epochs=1, n_filters=2, verbose=1).fit(X, y)
    assert "progress_bar" not in dict(quiet.net_.callbacks)


def test_masked_pixels_count_as_no_information():
    batch, y = _noise_level_classes(n_spectra=20)
    clf = SpectrumCNNClassifier(use_ivar=True, max_epochs=1, n_filters=2,
                                random_state=0).fit(batch, y)
    mask = np.zeros(batch.flux.shape, dtype=bool)
    mask[:, 3:6] = True
    ivar_zeroed = np.where(mask, 0.0, batch.ivar)
    masked = SpectrumBatch.from_arrays(batch.wavelength, batch.flux, batch.ivar, mask)
    # a masked pixel is missing (issue 17): its flux counts as NaN, its ivar as 0
    zeroed = SpectrumBatch.from_arrays(batch.wavelength, np.where(mask, np.nan, batch.flux),
                                       ivar_zeroed)
    np.testing.assert_array_equal(clf.predict_proba(masked), clf.predict_proba(zeroed))
    assert not np.array_equal(clf.predict_proba(masked), clf.predict_proba(batch))
