"""Conformal prediction sets from MAPIE on our pipelines and estimators (no own conformal code).

MAPIE (``pip install spectra-sklearn[conformal]``) takes any classifier with
``predict_proba``: here the SpeX preset pipeline (it reads the files of the
SpeX sample embedded in the package) with its SVC's decision values tempered
into probabilities by :class:`~spectra_sklearn.calibration.TemperatureScaledClassifier`,
and the 1-D CNN. Every split is by object, so no dwarf is in two parts.
"""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, StratifiedGroupKFold
from sklearn.svm import SVC

from spectra_sklearn.calibration import TemperatureScaledClassifier
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.pipelines import make_spex_pipeline

mapie_classification = pytest.importorskip("mapie.classification")
mapie_metrics = pytest.importorskip("mapie.metrics.classification")


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


def _three_parts(groups, seed):
    """Train / conformalize / test indices, 50/25/25 by object."""
    rows = np.arange(len(groups))
    rest, test = next(GroupShuffleSplit(1, test_size=0.25, random_state=seed)
                      .split(rows, groups=groups))
    train, cal = next(GroupShuffleSplit(1, test_size=1 / 3, random_state=seed)
                      .split(rest, groups=groups[rest]))
    return rest[train], rest[cal], test


def _coverage(classes, y, sets):
    y_enc = np.searchsorted(classes, y)
    return float(mapie_metrics.classification_coverage_score(y_enc, sets)[0])


def _tempered_spex_svc():
    return TemperatureScaledClassifier(
        make_spex_pipeline(model="svc"),
        cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0))


def test_split_conformal_covers_held_out_dwarfs(spex):
    X, y, groups = spex.filenames, spex.target_class, spex.groups
    coverages, sizes = [], []
    for seed in range(4):
        train, cal, test = _three_parts(groups, seed)
        model = _tempered_spex_svc().fit(X[train], y[train], groups=groups[train])
        mapie = mapie_classification.SplitConformalClassifier(
            model, confidence_level=0.9, prefit=True)
        mapie.conformalize(X[cal], y[cal])
        predicted, sets = mapie.predict_set(X[test])
        assert sets.shape == (len(test), 3, 1)
        np.testing.assert_array_equal(predicted, model.predict(X[test]))
        coverages.append(_coverage(model.classes_, y[test], sets))
        sizes.append(float(mapie_metrics.classification_mean_width_score(sets)[0]))
    # the guarantee is on average over splits: E[coverage] >= 0.9; 4 splits of ~75
    # test spectra give a standard error of about 0.02
    assert np.mean(coverages) >= 0.9 - 0.05, coverages
    assert min(coverages) >= 0.8, coverages
    # informative sets: the letters are easy, so most sets hold one class
    assert np.mean(sizes) < 1.5, sizes


def test_higher_confidence_gives_larger_sets(spex):
    X, y, groups = spex.filenames, spex.target_class, spex.groups
    train, cal, test = _three_parts(groups, 0)
    model = _tempered_spex_svc().fit(X[train], y[train], groups=groups[train])
    mapie = mapie_classification.SplitConformalClassifier(
        model, confidence_level=[0.8, 0.95], prefit=True, conformity_score="aps")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # MAPIE: small conformalization set
        mapie.conformalize(X[cal], y[cal])
    _, sets = mapie.predict_set(X[test])
    sizes = sets.sum(axis=1).mean(axis=0)
    assert sizes[1] > sizes[0]
    assert _coverage(model.classes_, y[test], sets[:, :, 1:]) >= 0.9


def test_cross_conformal_fits_our_pipeline_by_object(spex):
    X, y, groups = spex.filenames, spex.target_class, spex.groups
    rest, test = next(GroupShuffleSplit(1, test_size=0.3, random_state=0)
                      .split(X, groups=groups))
    pipeline = make_spex_pipeline(model="svc")
    pipeline.steps[-1] = ("tempered", TemperatureScaledClassifier(SVC(), cv=3))
    mapie = mapie_classification.CrossConformalClassifier(
        pipeline, confidence_level=0.9, cv=GroupKFold(n_splits=4))
    mapie.fit_conformalize(X[rest], y[rest], groups=groups[rest])
    _, sets = mapie.predict_set(X[test])
    assert _coverage(np.unique(y), y[test], sets) >= 0.85


def test_split_conformal_on_the_cnn(spex):
    from spectra_sklearn.nn import SpectrumCNNClassifier
    from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler

    X = np.asarray(ContinuumNormalizer(method="window", window=(1.2, 1.3)).fit_transform(
        SpectralResampler(wavelength_min=0.65, wavelength_max=2.45, n_pixels=128,
                          spacing="log", fill="edge").fit_transform(spex.data)),
        dtype=np.float32)
    y, groups = spex.target_class, spex.groups
    train, cal, test = _three_parts(groups, 0)
    cnn = SpectrumCNNClassifier(max_epochs=8, n_filters=8, n_blocks=2, random_state=0)
    mapie = mapie_classification.SplitConformalClassifier(cnn, confidence_level=0.9,
                                                          prefit=False)
    mapie.fit(X[train], y[train]).conformalize(X[cal], y[cal])
    predicted, sets = mapie.predict_set(X[test])
    assert set(predicted) <= {"L", "M", "T"}
    assert _coverage(np.array(["L", "M", "T"]), y[test], sets) >= 0.8
