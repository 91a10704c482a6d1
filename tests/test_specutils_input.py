"""specutils objects in and out of every step (issue 17)."""

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.preprocessing import (
    ContinuumNormalizer,
    FluxScaler,
    MaskedPixelInterpolator,
    ResolutionDegrader,
    SpectralResampler,
    SpectrumSmoother,
    WavelengthCropper,
)

specutils = pytest.importorskip("specutils")

STEPS = [
    lambda: SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=100),
    lambda: WavelengthCropper(wavelength_min=1.0, wavelength_max=2.0),
    lambda: ContinuumNormalizer(),
    lambda: FluxScaler(),
    lambda: SpectrumSmoother(),
    lambda: MaskedPixelInterpolator(),
    lambda: ResolutionDegrader(),
]


@pytest.fixture(scope="module")
def sample():
    X, y = load_spex_sample(return_X_y=True)
    rows = np.r_[0:4, 100:104, 200:204]
    return X[rows], np.asarray(y)[rows]


def _same(a, b):
    assert len(a) == len(b)
    for s, t in zip(a, b):
        np.testing.assert_array_equal(s.wavelength, t.wavelength)
        np.testing.assert_array_equal(s.flux, t.flux)
        np.testing.assert_array_equal(s.mask, t.mask)
        assert s.wavelength_unit == t.wavelength_unit and s.flux_unit == t.flux_unit


@pytest.mark.parametrize("make_step", STEPS, ids=lambda f: type(f()).__name__)
@pytest.mark.parametrize("form", ["list", "single", "collection"])
def test_every_step_takes_specutils_like_spectra(sample, make_step, form):
    X, _ = sample
    # a SpectrumCollection holds like-shaped spectra: all three forms on a common grid
    X = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3,
                          n_pixels=100).fit_transform(X)
    # ... and in one flux unit (the sample mixes two, and unknown)
    X = SpectrumBatch.from_arrays(X.wavelength, X.flux, X.ivar, X.mask,
                                  wavelength_unit=X.wavelength_unit,
                                  flux_unit="erg s-1 cm-2 Angstrom-1", meta=X.meta)
    if form == "collection":
        given = specutils.SpectrumCollection.from_spectra(X.to_specutils())
    elif form == "single":
        X = X[[0]]
        given = X.to_specutils()[0]
    else:
        given = X.to_specutils()
    _same(make_step().fit_transform(given), make_step().fit_transform(X))


def test_ragged_specutils_spectra_are_resampled_like_ours(sample):
    X, _ = sample
    assert not X.on_common_grid
    step = SpectralResampler(wavelength_min=0.9, wavelength_max=2.3, n_pixels=100)
    _same(step.fit_transform(X.to_specutils()), step.fit_transform(X))


def test_a_network_fits_on_specutils_spectra(sample):
    X, y = sample
    pipe = make_pipeline(SpectralResampler(wavelength_min=0.9, wavelength_max=2.3,
                                           n_pixels=64),
                         SpectrumCNNClassifier(max_epochs=2, n_filters=4, random_state=0))
    proba = pipe.fit(X.to_specutils(), y).predict_proba(X.to_specutils())
    np.testing.assert_allclose(proba, pipe.predict_proba(X), rtol=1e-6)
    resampled = pipe[0].transform(X)
    direct = pipe[-1].predict_proba(resampled.to_specutils())
    np.testing.assert_allclose(direct, proba, rtol=1e-6)


def test_to_specutils_on_ragged_and_common_grid_batches(sample):
    X, _ = sample
    for batch in (X, SpectralResampler(n_pixels=50, wavelength_min=1.0,
                                       wavelength_max=2.0).fit_transform(X)):
        out = batch.to_specutils()
        assert len(out) == len(batch)
        assert all(isinstance(s, specutils.Spectrum) for s in out)
        np.testing.assert_array_equal(out[1].flux.value, batch[1].flux)
        assert out[1].spectral_axis.unit == batch.wavelength_unit
