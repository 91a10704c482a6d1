"""Confusion matrix, training curves, latent space and saliency of a tiny CNN."""

import copy

import numpy as np
import pytest
import torch
from scipy.special import softmax
from sklearn.metrics import confusion_matrix, recall_score
from sklearn.pipeline import make_pipeline

from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.pipelines import make_spex_pipeline
from spectra_sklearn.plotting import (
    latent_features,
    plot_confusion_matrix,
    plot_latent_space,
    plot_saliency,
    plot_training_history,
    saliency_map,
)

CENTRES = (8, 24)


@pytest.fixture(scope="module")
def lines():
    """Absorption line at pixel 8 or 24 of 32: the class is where the line is."""
    rng = np.random.default_rng(0)
    centre = np.where(np.arange(60) % 2 == 0, *CENTRES)
    X = 1 - 0.5 * np.exp(-0.5 * ((np.arange(32) - centre[:, None]) / 1.5) ** 2)
    X += rng.normal(0, 0.03, X.shape)
    return X, np.where(centre == CENTRES[0], "blue", "red")


@pytest.fixture(scope="module")
def cnn(lines):
    X, y = lines
    return SpectrumCNNClassifier(n_filters=4, n_blocks=2, pooled_length=4, max_epochs=15,
                                 early_stopping=True, validation_fraction=0.2,
                                 n_iter_no_change=100, random_state=0).fit(X, y)


def _logits64(clf, X):
    """The network's logits in float64 (a double copy), for finite differences."""
    module = copy.deepcopy(clf.net_.module_).double().eval()
    with torch.no_grad():
        return module(torch.tensor(X, dtype=torch.float64)).numpy()


def test_confusion_matrix_wraps_sklearn():
    y_true = ["M", "M", "L", "T", "T", "T"]
    y_pred = ["M", "L", "L", "T", "T", "M"]
    display = plot_confusion_matrix(y_true, y_pred, labels=["M", "L", "T"], title="SpeX")
    np.testing.assert_array_equal(display.confusion_matrix,
                                  confusion_matrix(y_true, y_pred, labels=["M", "L", "T"]))
    assert display.ax_.get_title() == "SpeX\naccuracy 0.667"
    normalised = plot_confusion_matrix(y_true, y_pred, labels=["M", "L", "T"], normalize="true")
    np.testing.assert_allclose(np.diag(normalised.confusion_matrix),
                               recall_score(y_true, y_pred, labels=["M", "L", "T"], average=None))
    assert normalised.text_[0, 0].get_text() == "0.50"


def test_training_history_from_estimator_and_pipeline(cnn, lines):
    ax_loss, ax_acc = plot_training_history(cnn)
    train, valid, best = ax_loss.lines
    np.testing.assert_allclose(train.get_ydata(), cnn.history_[:, "train_loss"])
    np.testing.assert_allclose(valid.get_ydata(), cnn.history_[:, "valid_loss"])
    assert best.get_ydata()[0] == pytest.approx(min(cnn.history_[:, "valid_loss"]))
    np.testing.assert_allclose(ax_acc.lines[0].get_ydata(), cnn.history_[:, "valid_acc"])
    np.testing.assert_array_equal(train.get_xdata(), np.arange(1, cnn.n_iter_ + 1))
    # without a validation split: the training loss only
    X, y = lines
    pipe = make_pipeline(SpectrumCNNClassifier(n_filters=2, n_blocks=1, max_epochs=2,
                                               random_state=0)).fit(X, y)
    ax_loss, ax_acc = plot_training_history(pipe)
    assert ax_acc is None and len(ax_loss.lines) == 1
    ax_loss, _ = plot_training_history(pipe[-1].net_)  # a skorch net
    assert len(ax_loss.lines[0].get_ydata()) == 2


def test_training_history_bad_input():
    with pytest.raises(TypeError, match="fitted spectra_sklearn.nn estimator"):
        plot_training_history("history")
    with pytest.raises(ValueError, match="no epoch"):
        plot_training_history([{"epoch": 1}])


def test_latent_features_are_what_the_last_layer_maps_to_logits(cnn, lines):
    X, _ = lines
    cnn.net_.module_.train()
    features = latent_features(cnn, X)
    assert cnn.net_.module_.training  # mode restored
    head = [m for m in cnn.net_.module_.modules() if isinstance(m, torch.nn.Linear)][-1]
    logits = features @ head.weight.detach().numpy().T + head.bias.detach().numpy()
    np.testing.assert_allclose(softmax(logits, axis=1), cnn.predict_proba(X), atol=1e-5)


def test_latent_space_projection(cnn, lines):
    X, y = lines
    ax = plot_latent_space(X, y, estimator=cnn)
    assert len(ax.collections) == 2 and ax.get_xlabel().startswith("PC 1 (")
    # the two classes separate in the network's latent space along PC 1
    blue, red = (c.get_offsets()[:, 0] for c in ax.collections)
    assert blue.max() < red.min() or red.max() < blue.min()
    embedding = np.random.default_rng(1).normal(size=(60, 2))
    ax = plot_latent_space(embedding)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), embedding)
    with pytest.raises(ValueError, match="at least 2 features"):
        plot_latent_space(np.ones((5, 1)))


def test_saliency_is_the_gradient_of_the_logit(cnn, lines):
    X, y = lines
    X = X[:4]
    grad = saliency_map(cnn, X, target="red")
    red = list(cnn.classes_).index("red")
    eps = 1e-6
    for j in (0, 6, 8, 16, 24, 31):
        up, down = X.copy(), X.copy()
        up[:, j] += eps
        down[:, j] -= eps
        numeric = (_logits64(cnn, up)[:, red] - _logits64(cnn, down)[:, red]) / (2 * eps)
        # float32 network vs float64 central differences
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-3, atol=1e-4)


def test_saliency_plot_is_the_class_mean_absolute_gradient(cnn, lines):
    X, y = lines
    grads = [p.grad.clone() if p.grad is not None else None for p in cnn.net_.module_.parameters()]
    cnn.net_.module_.train()
    ax = plot_saliency(cnn, X, target=y)
    assert cnn.net_.module_.training  # mode restored
    for before, p in zip(grads, cnn.net_.module_.parameters()):
        assert (before is None and p.grad is None) or torch.equal(before, p.grad)
    assert [line.get_label() for line in ax.lines] == ["blue", "red"]
    for line, label in zip(ax.lines, ["blue", "red"]):
        expected = np.abs(saliency_map(cnn, X[y == label], target=label)).mean(axis=0)
        np.testing.assert_allclose(line.get_ydata(), expected)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(32))
    assert ax.get_xlabel() == "Pixel"
    assert ax.spectrum_ax is not None
    with pytest.raises(ValueError, match=r"\['green'\] that are not among"):
        saliency_map(cnn, X, target="green")


def test_saliency_through_a_spex_pipeline_on_the_wavelength_grid():
    spex = load_spex_sample()
    pipe = make_spex_pipeline(max_epochs=2)
    pipe.set_params(spectrumcnnclassifier__n_filters=2, spectrumcnnclassifier__n_blocks=1)
    pipe.fit(spex.data[:60], spex.target_class[:60])
    ax = plot_saliency(pipe, spex.data[:10], show_spectrum=False)
    grid = pipe[:-1].transform(spex.data[:1]).wavelength
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), grid)
    assert ax.get_xlabel() == "Wavelength [um]" and ax.spectrum_ax is None
    assert saliency_map(pipe, spex.data[:3]).shape == (3, grid.size)
    with pytest.raises(TypeError, match="net_.module_"):
        saliency_map(make_spex_pipeline(model="svc").fit(spex.data, spex.target_class),
                     spex.data[:2])
