"""The whole path on real files: reader -> resampler -> continuum -> classifier.

These are the acceptance paths of the walking skeleton: file paths and batches of
spectra as ``X`` through ``cross_val_score``, ``GridSearchCV`` and nested
group-aware tuning.
"""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedGroupKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.io import SpectrumReader, read_spectra
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.pipelines import make_spex_pipeline
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler


@pytest.fixture(scope="module")
def spex_subset():
    """90 embedded SpeX spectra, 30 per letter class, with their source keys."""
    bunch = load_spex_sample()
    letters = np.array([str(t)[0] for t in bunch.target])
    rng = np.random.default_rng(0)
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(letters == c), 30, replace=False) for c in "MLT"]
    )
    paths = [bunch.filenames[i] for i in keep]
    return paths, letters[keep], np.asarray(bunch.groups)[keep]


def _pipe(final):
    return make_pipeline(
        SpectrumReader(format="spex"),
        SpectralResampler(wavelength_min=0.7, wavelength_max=2.4, n_pixels=128,
                          spacing="log", fill="edge"),
        ContinuumNormalizer(method="window", window=(1.2, 1.3)),
        final,
    )


def test_cross_val_score_on_file_paths_with_cnn(spex_subset):
    paths, y, groups = spex_subset
    # 60 training spectra: batches of 16 give the residual trunk enough optimiser steps
    # (with the default 64 every epoch is a single step).
    pipe = _pipe(SpectrumCNNClassifier(max_epochs=15, batch_size=16, random_state=0))
    scores = cross_val_score(pipe, paths, y, groups=groups, cv=GroupKFold(3))
    assert scores.shape == (3,)
    # M, L and T dwarfs are very different near-IR shapes: far above the 1/3 of chance.
    assert scores.mean() > 0.8


def test_grid_search_over_cnn_learning_rate_on_file_paths(spex_subset):
    paths, y, groups = spex_subset
    pipe = _pipe(SpectrumCNNClassifier(max_epochs=5, random_state=0))
    search = GridSearchCV(pipe, {"spectrumcnnclassifier__lr": [1e-3, 1e-2]},
                          cv=GroupKFold(3))
    search.fit(paths, y, groups=groups)
    assert search.best_params_["spectrumcnnclassifier__lr"] in (1e-3, 1e-2)
    assert search.cv_results_["mean_test_score"].shape == (2,)
    assert set(search.predict(paths[:5])) <= set("MLT")


def test_same_pipeline_with_svc_on_file_paths(spex_subset):
    paths, y, groups = spex_subset
    pipe = _pipe(SVC())
    scores = cross_val_score(pipe, paths, y, groups=groups, cv=GroupKFold(3))
    assert scores.mean() > 0.8
    search = GridSearchCV(pipe, {"svc__C": [1.0, 10.0]}, cv=GroupKFold(3))
    search.fit(paths, y, groups=groups)
    assert search.best_score_ > 0.8


def test_batch_of_spectra_as_X(spex_subset):
    """X as a ragged SpectrumBatch: sklearn indexes it per fold, the grid travels."""
    paths, y, groups = spex_subset
    batch = read_spectra(paths, format="spex")
    assert isinstance(batch, SpectrumBatch) and not batch.on_common_grid
    pipe = make_pipeline(
        SpectralResampler(wavelength_min=0.7, wavelength_max=2.4, n_pixels=128,
                          fill="edge"),
        ContinuumNormalizer(method="window", window=(1.2, 1.3)),
        SVC(),
    )
    search = GridSearchCV(pipe, {"svc__C": [1.0, 10.0]}, cv=GroupKFold(3))
    search.fit(batch, y, groups=groups)
    # the resampled batch is an ordinary 2-D float array for the SVC
    resampled = search.best_estimator_[:-1].transform(batch)
    assert resampled.on_common_grid
    flux = np.asarray(resampled)
    assert flux.shape == (len(paths), 128) and flux.dtype == np.float64
    assert search.best_estimator_[-1].n_features_in_ == 128


def test_nested_group_aware_tuning_needs_metadata_routing(spex_subset):
    """cross_val_score(GridSearchCV(cv=GroupKFold())) routes groups to the inner CV."""
    paths, y, groups = spex_subset
    inner = GridSearchCV(_pipe(SVC()), {"svc__C": [1.0, 10.0]}, cv=GroupKFold(3))
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_val_score(
            inner, paths, y, cv=StratifiedGroupKFold(3),
            params={"groups": groups},
        )
    assert scores.mean() > 0.8


def test_cli_pipeline_clones_and_pickles():
    import pickle

    pipe = make_spex_pipeline(model="cnn")
    clone(pipe)
    restored = pickle.loads(pickle.dumps(pipe))
    assert restored.get_params()["spectrumcnnclassifier__random_state"] == 0
