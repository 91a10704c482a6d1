"""Tests for the spectrum + catalogue-column fusion estimators of spectra_sklearn.nn."""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from spectra_sklearn.nn import SpectrumFusionClassifier, SpectrumFusionRegressor, load
from spectra_sklearn.nn.modules._fusion import SpectrumFusionModule, TabularEncoder

TINY = dict(n_filters=4, n_blocks=2, pooled_length=4, embed_dim=16, n_heads=2,
            tabular_hidden_size=16, lr=1e-2, batch_size=32)


def _two_cue_data(n=160, n_pixels=24, seed=0, missing=0.0):
    """4 classes: the line position (blue/red) AND a catalogue value (low/high).

    Neither input alone tells more than 2 of the 4 classes apart; a second
    catalogue column is pure noise and missing a fraction ``missing`` of the time.
    """
    rng = np.random.default_rng(seed)
    red = rng.integers(0, 2, n)
    high = rng.integers(0, 2, n)
    centre = np.where(red, 0.75, 0.25) * n_pixels
    flux = 1 - 0.5 * np.exp(-0.5 * ((np.arange(n_pixels) - centre[:, None]) / 1.5) ** 2)
    flux += rng.normal(0, 0.03, flux.shape)
    magnitude = 12 + 3 * high + rng.normal(0, 0.3, n)
    noise = rng.normal(0, 1, n)
    noise[rng.random(n) < missing] = np.nan
    X = np.column_stack([flux, magnitude, noise])
    y = np.array(["blue-faint", "blue-bright", "red-faint", "red-bright"])[2 * red + high]
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _two_cue_data(missing=0.5)
    clf = SpectrumFusionClassifier(n_tabular_features=2, max_epochs=30, random_state=0,
                                   **TINY).fit(X, y)
    return clf, X, y


def test_fused_model_needs_both_branches_and_each_head_sees_one(fitted):
    clf, _, _ = fitted
    X_new, y_new = _two_cue_data(n=200, seed=1, missing=0.5)
    assert clf.branch_names_ == ("fused", "spectrum", "tabular")
    assert clf.score(X_new, y_new) > 0.9
    # each branch alone separates only its own cue: at most about half right
    red = np.char.startswith(y_new.astype(str), "red")
    bright = np.char.endswith(y_new.astype(str), "bright")
    for branch, cue, read in (("spectrum", red, lambda p: np.char.startswith(p, "red")),
                              ("tabular", bright, lambda p: np.char.endswith(p, "bright"))):
        pred = clf.predict(X_new, branch=branch)
        assert np.mean(pred == y_new) < 0.7
        # ... but gets its own cue right
        assert np.mean(read(pred.astype(str)) == cue) > 0.9
        proba = clf.predict_proba(X_new, branch=branch)
        assert proba.shape == (200, 4)
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-12)


def test_attention_weights_over_the_three_tokens(fitted):
    clf, X, _ = fitted
    weights = clf.attention_weights(X)
    assert weights.shape == (len(X), 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1, atol=1e-5)
    assert (weights >= 0).all()


def test_missing_values_are_information_not_errors():
    # the class is whether the catalogue value was measured at all
    rng = np.random.default_rng(0)
    n = 120
    measured = rng.integers(0, 2, n).astype(bool)
    flux = rng.normal(1, 0.05, (n, 16))  # the spectrum carries nothing
    value = np.where(measured, rng.normal(20, 5, n), np.nan)
    X = np.column_stack([flux, value])
    clf = SpectrumFusionClassifier(max_epochs=25, random_state=0, **TINY).fit(X, measured)
    np.testing.assert_allclose(clf.tabular_mean_, [np.nanmean(value)])
    np.testing.assert_allclose(clf.tabular_scale_, [np.nanstd(value)])
    assert np.mean(clf.predict(X, branch="tabular") == measured) > 0.95
    assert np.isfinite(clf.predict_proba(X)).all()


def test_same_seed_same_model_and_state_restored():
    X, y = _two_cue_data(n=64)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = SpectrumFusionClassifier(n_tabular_features=2, max_epochs=2, random_state=3,
                                 **TINY).fit(X, y)
    after = torch.rand(1)
    b = SpectrumFusionClassifier(n_tabular_features=2, max_epochs=2, random_state=3,
                                 **TINY).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert before == after  # torch's global stream is untouched by fit


@pytest.mark.parametrize("spectrum_branch", ["cnn", "lstm"])
@pytest.mark.parametrize("fusion", ["attention", "concat"])
def test_save_load_round_trip(tmp_path, spectrum_branch, fusion):
    X, y = _two_cue_data(n=64, missing=0.3)
    clf = SpectrumFusionClassifier(n_tabular_features=2, spectrum_branch=spectrum_branch,
                                   fusion=fusion, hidden_size=4, bin_size=2, max_epochs=2,
                                   class_weight="balanced", random_state=0, **TINY)
    clf.fit(X, y)
    path = tmp_path / "fusion.zip"
    clf.save(path)
    loaded = load(path)
    assert type(loaded) is SpectrumFusionClassifier
    for branch in loaded.branch_names_:
        np.testing.assert_array_equal(loaded.predict_proba(X, branch=branch),
                                      clf.predict_proba(X, branch=branch))
    if fusion == "attention":
        np.testing.assert_array_equal(loaded.attention_weights(X), clf.attention_weights(X))
    else:
        with pytest.raises(ValueError, match=r"fusion='concat'\) has no attention"):
            clf.attention_weights(X)


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "huber", "log_loss"])
def test_regressor_losses_and_round_trip(tmp_path, loss):
    rng = np.random.default_rng(0)
    subtype = rng.integers(0, 6, 150).astype(float)
    flux = 1 - 0.6 * np.exp(-0.5 * ((np.arange(30) - 4 - 4 * subtype[:, None]) / 1.5) ** 2)
    X = np.column_stack([flux + rng.normal(0, 0.02, flux.shape), rng.normal(size=150)])
    reg = SpectrumFusionRegressor(loss=loss, max_epochs=30, random_state=0, **TINY)
    reg.fit(X, subtype)
    pred = reg.predict(X)
    assert pred.shape == (150,)
    assert np.mean(np.abs(np.round(pred) - subtype) <= 1) > 0.85
    if loss == "log_loss":
        np.testing.assert_array_equal(reg.target_values_, np.arange(6.0))
        assert pred.min() >= 0 and pred.max() <= 5  # an expectation over 0..5
    else:
        assert not hasattr(reg, "target_values_")
    path = tmp_path / "reg.zip"
    reg.save(path)
    np.testing.assert_array_equal(load(path).predict(X, branch="spectrum"),
                                  reg.predict(X, branch="spectrum"))


def test_regressor_multi_output_and_log_loss_refuses_it():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=(40, 10)), rng.normal(size=40)])
    Y = rng.normal(size=(40, 2))
    reg = SpectrumFusionRegressor(max_epochs=2, random_state=0, **TINY).fit(X, Y)
    assert reg.predict(X).shape == (40, 2) and reg.n_outputs_ == 2
    with pytest.raises(ValueError, match="log_loss' learns a single target"):
        SpectrumFusionRegressor(loss="log_loss", **TINY).fit(X, Y)


def test_early_stopping_keeps_the_best_epoch():
    X, y = _two_cue_data(n=120)
    clf = SpectrumFusionClassifier(n_tabular_features=2, max_epochs=40, early_stopping=True,
                                   n_iter_no_change=2, random_state=0, **TINY).fit(X, y)
    losses = clf.history_[:, "valid_loss"]
    assert clf.n_iter_ == len(losses) <= 40
    assert "valid_acc" in clf.history_[0]


@pytest.mark.parametrize("make_X, message", [
    (lambda X: X[:, -2:], r"X has 2 feature\(s\).*n_tabular_features=2"),
    (lambda X: np.where(np.arange(X.shape[1]) == 3, np.nan, X),
     "NaN or infinity in its flux columns.*column 3"),
    (lambda X: np.where(np.arange(X.shape[1]) == X.shape[1] - 1, np.inf, X),
     "Input X contains infinity"),
    (lambda X: np.where(np.arange(X.shape[1]) == X.shape[1] - 1, np.nan, X),
     "Catalogue column 1 of 2 .* NaN for every training spectrum"),
])
def test_bad_input_is_named(make_X, message):
    X, y = _two_cue_data(n=20)
    clf = SpectrumFusionClassifier(n_tabular_features=2, max_epochs=1, **TINY)
    with pytest.raises(ValueError, match=message):
        clf.fit(make_X(X), y)


def test_bad_parameters_and_branch_are_named(fitted):
    clf, X, _ = fitted
    X, y = _two_cue_data(n=20)
    with pytest.raises(ValueError, match="n_heads=3 must divide embed_dim=16"):
        SpectrumFusionClassifier(**{**TINY, "n_heads": 3}, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="branch must be one of"):
        clf.predict(X, branch="spectral")
    with pytest.raises(ValueError, match="X has 25 features"):
        clf.predict(X[:, 1:])


@pytest.mark.parametrize("spectrum_branch", ["cnn", "lstm"])
@pytest.mark.parametrize("fusion", ["attention", "concat"])
@pytest.mark.parametrize("n_pixels", [1, 9])
def test_module_shapes(spectrum_branch, fusion, n_pixels):
    params = ({"n_filters": 4, "n_blocks": 2} if spectrum_branch == "cnn"
              else {"hidden_size": 3, "bin_size": 2})
    module = SpectrumFusionModule(3, [0.0, 1.0], [1.0, 2.0], spectrum_branch, params,
                                  fusion, embed_dim=8, n_heads=2)
    tabular = torch.tensor([[1.0, np.nan], [np.nan, np.nan], [0.5, 2.0], [0.0, 0.0]])
    outputs = module(torch.randn(4, n_pixels), tabular)
    assert len(outputs) == 3
    assert all(o.shape == (4, 3) and torch.isfinite(o).all() for o in outputs)


def test_tabular_encoder_standardises_and_flags_missing():
    encoder = TabularEncoder([10.0], [2.0], hidden_size=4, out_features=3)
    with torch.no_grad():  # read the first layer's input through a hook
        seen = []
        encoder.mlp[0].register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
        encoder(torch.tensor([[14.0], [np.nan]]))
    np.testing.assert_allclose(seen[0].numpy(), [[2.0, 0.0], [0.0, 1.0]])


# --- the benchmark's catalogue columns never carry the label ----------------------------

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def fusion_tasks():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import fusion_tasks
    finally:
        sys.path.remove(str(BENCHMARKS))
    return fusion_tasks


def test_benchmark_columns_exclude_spectral_type_derived_ones(fusion_tasks):
    used = set(fusion_tasks.SOURCE_COLUMNS) | set(fusion_tasks.SPECTRUM_COLUMNS)
    for forbidden in ("OPT_TYPE", "NIR_TYPE", "LIT_TYPE", "SIMBAD_SPT", "DISTANCE_PHOT",
                      "SPEX_TYPE", "SPEX_GRAVITY_CLASSIFICATION", "VTAN", "DISTANCE"):
        assert forbidden in fusion_tasks.LEAKING_COLUMNS
    assert not used & set(fusion_tasks.LEAKING_COLUMNS)
    for name in used | set(fusion_tasks.CATALOGUE_FEATURES):
        assert not any(word in name for word in ("TYPE", "SPT", "GRAVITY", "CLASS",
                                                 "DISTANCE"))


def test_benchmark_table_reads_no_other_column(fusion_tasks, tmp_path):
    """Poisoning every other column of sources.csv leaves the features unchanged."""
    header = ["SOURCE_KEY", *fusion_tasks.SOURCE_COLUMNS, *fusion_tasks.LEAKING_COLUMNS]
    rows = [[1, 14.0, 13.5, 13.0, 50.0, 300.0], [2, 15.0, 14.0, 13.2, "", 100.0]]

    def write(path, leak):
        lines = [",".join(header)] + [",".join(map(str, row + [leak] * len(
            fusion_tasks.LEAKING_COLUMNS))) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return fusion_tasks.read_sources(path)

    clean = fusion_tasks.catalogue_table([1, 2, 3], [50, 60, 70],
                                         write(tmp_path / "a.csv", ""))
    poisoned = fusion_tasks.catalogue_table([1, 2, 3], [50, 60, 70],
                                            write(tmp_path / "b.csv", "99.0"))
    np.testing.assert_array_equal(clean, poisoned)
    names = list(fusion_tasks.CATALOGUE_FEATURES)
    # absolute magnitude M = m + 5 log10(parallax / mas) - 10; VTAN = 4.74 mu / parallax
    assert clean[0, names.index("M_J")] == pytest.approx(14.0 + 5 * np.log10(50) - 10)
    assert clean[0, names.index("VTAN_PARALLAX")] == pytest.approx(4.74 * 300 / 50)
    assert np.isnan(clean[1, names.index("M_J")])  # no parallax: no absolute magnitude
    assert np.isnan(clean[2, :-1]).all()  # unknown source: all missing but MEDIAN_SNR
