"""Tests for spectra_sklearn.nn.SpectrumRNNClassifier."""

import numpy as np
import pytest
import torch

from spectra_sklearn.nn import SpectrumRNNClassifier
from spectra_sklearn.nn.modules import SpectrumRNNModule

FAST = dict(max_epochs=12, hidden_size=12, lr=1e-2, batch_size=32)


def _line_spectra(n_spectra=90, n_pixels=48, seed=0):
    rng = np.random.default_rng(seed)
    label = np.arange(n_spectra) % 3
    centre = np.array([0.2, 0.5, 0.8])[label] * n_pixels
    pixels = np.arange(n_pixels)
    flux = 1 - 0.5 * np.exp(-0.5 * ((pixels - centre[:, None]) / 2.0) ** 2)
    return flux + rng.normal(0, 0.05, flux.shape), np.array(["K", "M", "L"])[label]


def test_learns_line_position_and_generalises():
    X, y = _line_spectra()
    clf = SpectrumRNNClassifier(random_state=0, **FAST).fit(X, y)
    assert list(clf.classes_) == ["K", "L", "M"]
    X_new, y_new = _line_spectra(n_spectra=60, seed=1)
    assert clf.score(X_new, y_new) > 0.9
    proba = clf.predict_proba(X_new)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_same_seed_same_predictions():
    X, y = _line_spectra()
    a = SpectrumRNNClassifier(random_state=1, max_epochs=2, hidden_size=4).fit(X, y)
    b = SpectrumRNNClassifier(random_state=1, max_epochs=2, hidden_size=4).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("n_pixels, bin_size", [(1, 4), (7, 3), (40, 1)])
def test_module_shapes(bidirectional, n_pixels, bin_size):
    module = SpectrumRNNModule(3, hidden_size=5, n_layers=2, bin_size=bin_size,
                               bidirectional=bidirectional)
    out = module(torch.randn(4, n_pixels))
    assert out.shape == (4, 3) and torch.isfinite(out).all()
