"""Tests for spectra_sklearn.nn.SpectrumAutoencoder."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline

from spectra_sklearn.nn import SpectrumAutoencoder


def _two_families(n_spectra=120, n_pixels=48, seed=0):
    """Red-sloped spectra vs spectra with a deep band at 2/3 of the range."""
    rng = np.random.default_rng(seed)
    family = np.arange(n_spectra) % 2
    x = np.linspace(0, 1, n_pixels)
    slope = rng.uniform(0.3, 0.6, (n_spectra, 1))
    band = rng.uniform(0.3, 0.5, (n_spectra, 1))
    flux = np.where(
        family[:, None] == 0,
        1 + slope * (x - 0.5),
        1 - band * np.exp(-0.5 * ((x - 0.66) / 0.08) ** 2),
    )
    return flux + rng.normal(0, 0.01, flux.shape), family


@pytest.fixture(scope="module")
def data():
    return _two_families()


@pytest.mark.parametrize("architecture", ["conv", "dense"])
def test_reconstructs_better_than_the_mean_spectrum(data, architecture):
    X, _ = data
    ae = SpectrumAutoencoder(architecture=architecture, n_components=3, max_epochs=30,
                             lr=3e-3, n_filters=4, n_blocks=2, batch_size=32,
                             random_state=0).fit(X)
    latent = ae.transform(X)
    assert latent.shape == (len(X), 3)
    reconstruction = ae.inverse_transform(latent)
    assert reconstruction.shape == X.shape
    error = np.mean((reconstruction - X) ** 2)
    baseline = np.mean((X - X.mean(axis=0)) ** 2)
    assert error < 0.3 * baseline
    names = ae.get_feature_names_out()
    assert list(names) == [f"spectrumautoencoder{i}" for i in range(3)]


def test_feature_names_need_a_fitted_autoencoder():
    # the latent names depend on nothing learnt, but sklearn's contract is
    # that every post-fit method raises before fit
    with pytest.raises(NotFittedError):
        SpectrumAutoencoder(n_components=3).get_feature_names_out()


def test_score_samples_flags_unusual_spectra(data):
    X, _ = data
    ae = SpectrumAutoencoder(n_components=3, max_epochs=60, lr=3e-3, n_filters=8,
                             architecture="dense", random_state=0).fit(X)
    normal, _ = _two_families(n_spectra=40, seed=1)
    rng = np.random.default_rng(2)
    # emission lines at random places: nothing like the training set
    odd = normal.copy()
    for row in odd:
        row[rng.choice(len(row), 3, replace=False)] += 1.0
    scores_normal = ae.score_samples(normal)
    scores_odd = ae.score_samples(odd)
    assert scores_normal.shape == (40,)
    assert np.all(scores_normal <= 0)
    assert np.median(scores_odd) < np.min(scores_normal)


def test_pipeline_with_gaussian_mixture_recovers_families(data):
    X, family = data
    pipe = make_pipeline(
        SpectrumAutoencoder(n_components=2, max_epochs=60, lr=3e-3, n_filters=8,
                            architecture="dense", random_state=0),
        GaussianMixture(n_components=2, random_state=0),
    ).fit(X)
    assert adjusted_rand_score(family, pipe.predict(X)) > 0.9


def test_inverse_transform_checks_latent_width(data):
    X, _ = data
    ae = SpectrumAutoencoder(n_components=2, max_epochs=1, architecture="dense").fit(X)
    with pytest.raises(ValueError, match="n_components=2.*3 columns"):
        ae.inverse_transform(np.zeros((4, 3)))


def test_same_seed_same_latent(data):
    X, _ = data
    kw = dict(n_components=2, max_epochs=2, n_filters=4, random_state=7)
    a = SpectrumAutoencoder(**kw).fit(X)
    b = SpectrumAutoencoder(**kw).fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


@pytest.mark.parametrize("n_pixels", [1, 5, 33])
def test_conv_decoder_returns_the_input_length(n_pixels):
    X = np.random.default_rng(0).normal(size=(10, n_pixels))
    ae = SpectrumAutoencoder(max_epochs=1, n_filters=2, n_components=2).fit(X)
    assert ae.inverse_transform(ae.transform(X)).shape == (10, n_pixels)
