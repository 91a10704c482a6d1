"""Temperature scaling, the expected calibration error and abstention.

Real-data tests use the SpeX sample embedded in the package (300 M/L/T dwarfs,
split by object) and the SpeX preset pipeline, which reads the sample's files.
"""

import numpy as np
import pytest
import sklearn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVC

from spectra_sklearn import predict_files
from spectra_sklearn.calibration import (
    AbstainingClassifier,
    TemperatureScaledClassifier,
    expected_calibration_error,
)
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.pipelines import make_spex_pipeline


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


@pytest.fixture(scope="module")
def spex_split(spex):
    """Train and test indices of the SpeX sample, split by object (60/40)."""
    return next(GroupShuffleSplit(1, test_size=0.4, random_state=0).split(
        spex.filenames, spex.target_class, spex.groups))


# -- expected_calibration_error ------------------------------------------------------


def test_ece_by_hand():
    # bins of 0.2: {0.9 right} {0.8 right, 0.7 wrong} {0.6 right}
    y_proba = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]
    ece = expected_calibration_error(["a", "b", "a", "b"], y_proba, n_bins=5)
    assert ece == pytest.approx(0.25 * 0.1 + 0.5 * 0.25 + 0.25 * 0.4)


def test_ece_of_calibrated_probabilities_is_small():
    # labels drawn from the probabilities themselves: calibrated by construction
    rng = np.random.default_rng(0)
    p1 = rng.uniform(0.0, 1.0, 20000)
    y = (rng.uniform(size=p1.size) < p1).astype(int)
    proba = np.column_stack([1 - p1, p1])
    assert expected_calibration_error(y, proba) < 0.01
    # the same predictions made over-confident are not
    sharp = np.column_stack([1 - p1, p1]) ** 4
    sharp /= sharp.sum(axis=1, keepdims=True)
    assert expected_calibration_error(y, sharp) > 0.05


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(2, 4)),
              elements=st.floats(1e-3, 1.0)), st.integers(1, 20), st.data())
def test_ece_is_in_unit_interval_and_zero_when_always_right(raw, n_bins, data):
    proba = raw / raw.sum(axis=1, keepdims=True)
    labels = np.arange(proba.shape[1])
    y = np.array(data.draw(st.lists(st.sampled_from(labels.tolist()), min_size=len(proba),
                                    max_size=len(proba))))
    ece = expected_calibration_error(y, proba, n_bins=n_bins, labels=labels)
    assert 0.0 <= ece <= 1.0
    one_hot = np.eye(proba.shape[1])[y]
    assert expected_calibration_error(y, one_hot, n_bins=n_bins, labels=labels) == 0.0


def test_ece_errors_name_the_problem():
    with pytest.raises(ValueError, match="2-D"):
        expected_calibration_error([0, 1], [0.2, 0.8])
    with pytest.raises(ValueError, match="labels=estimator.classes_"):
        expected_calibration_error([0, 0], [[0.2, 0.8], [0.4, 0.6]])
    with pytest.raises(ValueError, match="3 samples but y_proba has 2 rows"):
        expected_calibration_error([0, 1, 1], [[0.2, 0.8], [0.4, 0.6]])
    with pytest.raises(ValueError, match="n_bins"):
        expected_calibration_error([0, 1], [[0.2, 0.8], [0.4, 0.6]], n_bins=0)


# -- TemperatureScaledClassifier ------------------------------------------------------


def test_temperature_softens_an_overconfident_model_and_keeps_predictions():
    X, y = make_classification(n_samples=600, n_features=20, n_informative=5, n_redundant=10,
                               n_classes=3,
                               flip_y=0.15, random_state=0)
    # naive Bayes on correlated features: over-confident probabilities
    base = GaussianNB()
    model = TemperatureScaledClassifier(base, cv=5).fit(X[:400], y[:400])
    raw = sklearn.base.clone(base).fit(X[:400], y[:400])
    assert model.temperature_ > 2.0  # measured 4.2
    np.testing.assert_array_equal(model.predict(X[400:]), raw.predict(X[400:]))
    before = expected_calibration_error(y[400:], raw.predict_proba(X[400:]))
    after = expected_calibration_error(y[400:], model.predict_proba(X[400:]))
    assert after < 0.6 * before  # measured 0.19 -> 0.09


def test_temperature_scaling_the_spex_pipeline_by_object(spex, spex_split):
    train, test = spex_split
    X, y, groups = spex.filenames, spex.target_class, spex.groups
    cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    # the SVC has no probabilities: its decision values are tempered into some
    model = TemperatureScaledClassifier(make_spex_pipeline(model="svc"), cv=cv)
    model.fit(X[train], y[train], groups=groups[train])
    proba = model.predict_proba(X[test])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == ["L", "M", "T"]
    assert np.mean(model.predict(X[test]) == y[test]) > 0.9
    # measured 0.057 on this split (seeded); the softmax of untempered decision values: 0.3
    assert expected_calibration_error(y[test], proba, labels=model.classes_) < 0.1


def test_frozen_estimator_is_not_refitted(spex, spex_split):
    train, test = spex_split
    X, y = spex.filenames, spex.target_class
    fitted = make_spex_pipeline(model="svc").fit(X[train[::2]], y[train[::2]])
    model = TemperatureScaledClassifier(FrozenEstimator(fitted), cv=3).fit(X[train[1::2]],
                                                                          y[train[1::2]])
    np.testing.assert_array_equal(model.predict(X[test]), fitted.predict(X[test]))


def test_calibrated_classifier_cv_works_on_our_pipeline(spex, spex_split):
    train, test = spex_split
    X, y, groups = spex.filenames, spex.target_class, spex.groups
    cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        model = CalibratedClassifierCV(make_spex_pipeline(model="svc"), cv=cv)
        model.fit(X[train], y[train], groups=groups[train])
    proba = model.predict_proba(X[test])
    assert proba.shape == (len(test), 3)
    assert np.mean(model.predict(X[test]) == y[test]) > 0.9
    assert expected_calibration_error(y[test], proba, labels=model.classes_) < 0.15


def test_temperature_needs_two_classes():
    with pytest.raises(ValueError, match="at least 2 classes"):
        TemperatureScaledClassifier(cv=2).fit(np.ones((6, 2)), np.zeros(6))


# -- AbstainingClassifier ---------------------------------------------------------------


def test_abstains_exactly_below_the_threshold():
    X, y = make_classification(n_samples=300, n_classes=3, n_informative=4, random_state=0)
    model = AbstainingClassifier(threshold=0.7).fit(X, y)
    proba = model.predict_proba(X)
    pred = model.predict(X)
    unsure = proba.max(axis=1) < 0.7
    assert unsure.any() and not unsure.all()
    assert all(p == "unknown" for p in pred[unsure])
    np.testing.assert_array_equal(pred[~unsure].astype(int),
                                  model.classes_[np.argmax(proba[~unsure], axis=1)])
    # an abstention counts as an error in the score
    assert model.score(X, y) == pytest.approx(np.mean(pred[~unsure].astype(int)
                                                      == y[~unsure]) * np.mean(~unsure))
    np.testing.assert_array_equal(AbstainingClassifier(threshold=0.0).fit(X, y).predict(X),
                                  LogisticRegression().fit(X, y).predict(X))


def test_unknown_label_must_not_be_a_class():
    with pytest.raises(ValueError, match="unknown_label='a' is one of the classes"):
        AbstainingClassifier(unknown_label="a").fit(np.eye(4), ["a", "b", "a", "b"])


def test_abstention_in_predict_and_predict_files_alike(spex, spex_split):
    train, test = spex_split
    X, y = spex.filenames, spex.target_class
    pipeline = make_spex_pipeline(model="svc")
    pipeline.steps[-1] = ("abstain", AbstainingClassifier(TemperatureScaledClassifier(SVC(), cv=3),
                                                          threshold=0.9, unknown_label="?"))
    pipeline.fit(X[train], y[train])
    paths = list(X[test])
    pred = pipeline.predict(paths)
    assert "?" in set(pred) and set(pred) - {"?"} <= {"L", "M", "T"}
    table = predict_files(pipeline, paths, chunk_size=25, progress=False).table
    assert list(table["predicted"]) == list(pred)
    # the abstentions are the less reliable predictions
    sure = pred != "?"
    argmax = pipeline[-1].classes_[np.argmax(pipeline.predict_proba(paths), axis=1)]
    assert np.mean(pred[sure] == y[test][sure]) > np.mean(argmax == y[test])
