"""Masked pixels flow through pipelines (issue 17).

The neural estimators take NaN / masked pixels natively (0 after input
scaling, inverse variance 0); a plain scikit-learn estimator after resampling
gets the project's error naming the spectra instead of scikit-learn's.
"""

import numpy as np
import pytest
import torch
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.nn import SpectrumCNNClassifier, SpectrumCNNRegressor, SpectrumRNNClassifier
from spectra_sklearn.nn.modules import SpectrumInput
from spectra_sklearn.preprocessing import (
    ContinuumNormalizer,
    MaskedPixelInterpolator,
    SpectralResampler,
    UndeterminedContinuumWarning,
)


def _batch(n=30, p=24, seed=0):
    rng = np.random.default_rng(seed)
    flux = rng.normal(1.0, 0.1, (n, p))
    y = np.where(np.arange(n) % 2 == 0, "a", "b")
    flux[y == "a", 5:9] -= 0.4
    mask = np.zeros_like(flux, dtype=bool)
    flux[3, 10:14] = np.nan  # missing
    mask[4, :3] = True       # masked, finite flux (a bad value)
    flux[4, :3] = 1e6
    meta = [{"source": f"star{i}.fits"} for i in range(n)]
    return SpectrumBatch.from_arrays(np.linspace(1.0, 2.0, p), flux, np.full((n, p), 100.0),
                                     mask, meta=meta), y


@pytest.mark.parametrize("mode", ["dataset", "spectrum"])
def test_nan_is_zero_after_scaling_and_does_not_count(mode):
    module = SpectrumInput(input_scaling=mode, input_shift=1.0, input_scale=0.5,
                           use_ivar=True).eval()
    flux = torch.tensor([[1.0, 2.0, float("nan"), 3.0]])
    ivar = torch.tensor([[4.0, 4.0, 0.0, 4.0]])
    out = module(torch.stack([flux, ivar], dim=1))
    assert torch.isfinite(out).all() and out[0, 0, 2] == 0 and out[0, 1, 2] == 0
    clean = module(torch.stack([flux[:, [0, 1, 3]], ivar[:, [0, 1, 3]]], dim=1))
    torch.testing.assert_close(out[..., [0, 1, 3]], clean)  # NaN changed no other pixel


@pytest.mark.parametrize("est", [
    SpectrumCNNClassifier(max_epochs=2, n_filters=4, random_state=0),
    SpectrumCNNClassifier(max_epochs=2, n_filters=4, use_ivar=True, random_state=0),
    SpectrumRNNClassifier(max_epochs=2, hidden_size=4, random_state=0),
], ids=lambda e: repr(e))
def test_neural_classifiers_take_masked_pixels(est):
    X, y = _batch()
    assert est.__sklearn_tags__().input_tags.allow_nan
    proba = est.fit(X, y).predict_proba(X)
    assert np.isfinite(proba).all()
    # a masked pixel is missing whatever value it holds
    flux = X.flux.copy()
    flux[4, :3] = -5.0
    other = SpectrumBatch.from_arrays(X.wavelength, flux, X.ivar, X.mask)
    np.testing.assert_allclose(est.predict_proba(other)[4], proba[4], rtol=1e-6)
    if not est.use_ivar:  # plain arrays with NaN too
        assert np.isfinite(est.predict_proba(np.where(X.mask, np.nan, X.flux))).all()


def test_neural_regressor_takes_masked_pixels():
    X, y = _batch()
    out = SpectrumCNNRegressor(max_epochs=2, n_filters=4, random_state=0).fit(
        X, (y == "a") * 1.0).predict(X)
    assert np.isfinite(out).all()


def test_plain_estimator_after_resampling_gets_a_project_error():
    X, y = _batch()
    nan_batch = SpectrumBatch.from_arrays(X.wavelength, np.where(X.mask, np.nan, X.flux),
                                          meta=X.meta)
    with pytest.raises(ValueError, match=r"2 of 30 spectra have masked pixels .*"
                       r"spectrum 3 \('star3.fits'\).*LogisticRegression does not accept "
                       r"NaN.*fill='edge'.*MaskedPixelInterpolator"):
        LogisticRegression().fit(nan_batch, y)
    # estimators that take NaN natively, and plain conversions, still get the NaN
    HistGradientBoostingClassifier(max_iter=5).fit(nan_batch, y)
    assert np.isnan(np.asarray(nan_batch)).sum() == 7
    # the fixes the message suggests work
    filled = make_pipeline(MaskedPixelInterpolator(), LogisticRegression()).fit(nan_batch, y)
    assert filled.score(nan_batch, y) > 0.5


def test_default_pipeline_runs_on_the_spex_library(shared_data):
    from spectra_sklearn.datasets import fetch_spex_prism

    X, y = fetch_spex_prism(data_home=shared_data, download_if_missing=False,
                            return_X_y=True)
    pre = make_pipeline(
        SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=200),
        ContinuumNormalizer())
    with pytest.warns(UndeterminedContinuumWarning):
        Xt = pre.fit_transform(X)
    y = np.asarray(y)
    masked = np.flatnonzero(Xt.mask.any(axis=1))
    assert masked.size >= 12  # 12 with masked pixels inside the grid (issue 17), and more
    rows = np.r_[masked, np.arange(0, len(y), 25)]
    with pytest.raises(ValueError, match="MaskedPixelInterpolator"):
        LogisticRegression().fit(Xt[rows], y[rows])
    # the CNN with its defaults (fewer epochs, for the test's time)
    clf = SpectrumCNNClassifier(max_epochs=2, random_state=0).fit(Xt[rows], y[rows])
    proba = clf.predict_proba(Xt[masked])
    assert np.isfinite(proba).all() and proba.shape == (masked.size, len(clf.classes_))


def test_a_skipped_file_reaches_a_plain_estimator_as_an_error_naming_it(tmp_path):
    # on_error="skip" keeps the row as a fully masked placeholder; the estimator after it
    # must say which file that was, not scikit-learn's bare "Input X contains NaN"
    from spectra_sklearn.datasets import load_spex_sample
    from spectra_sklearn.io import SpectrumReader

    sample = load_spex_sample()
    files = [str(f) for f in sample.filenames[:20]]
    bad = tmp_path / "damaged.fits"
    bad.write_bytes(b"not a FITS file at all " * 10)
    files[3] = str(bad)
    pipeline = make_pipeline(
        SpectrumReader(on_error="skip"),
        SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=100),
        LogisticRegression())
    with pytest.raises(ValueError, match=r"spectrum 3 \('.*damaged\.fits'\).*"
                       r"LogisticRegression does not accept NaN"):
        pipeline.fit(files, sample.target_class[:20])
