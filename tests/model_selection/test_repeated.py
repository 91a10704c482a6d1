"""RepeatedStratifiedGroupKFold and the corrected repeated-CV confidence interval."""

from collections import Counter

import numpy as np
import pytest
import sklearn
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import cross_validate

from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.model_selection import (
    RepeatedStratifiedGroupKFold,
    repeated_cv_confidence_interval,
)


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


def _check_repeats(splits, n_samples, groups, n_splits, n_repeats):
    assert len(splits) == n_splits * n_repeats
    for r in range(n_repeats):
        folds = splits[r * n_splits:(r + 1) * n_splits]
        tests = np.concatenate([test for _, test in folds])
        # each repeat partitions the samples into its test folds
        np.testing.assert_array_equal(np.sort(tests), np.arange(n_samples))
        for train, test in folds:
            np.testing.assert_array_equal(np.sort(np.concatenate([train, test])),
                                          np.arange(n_samples))
            assert not set(groups[train]) & set(groups[test])


def test_spex_objects_never_in_train_and_test(spex):
    y, groups = spex.target_class, spex.groups
    cv = RepeatedStratifiedGroupKFold(n_splits=5, n_repeats=3, random_state=0)
    splits = list(cv.split(spex.data, y, groups))
    assert cv.get_n_splits() == 15
    _check_repeats(splits, len(y), groups, 5, 3)
    # stratified: 100 M, 100 L, 100 T -> each test fold about a third of each
    for _, test in splits:
        counts = Counter(y[test].tolist())
        for c in "MLT":
            assert abs(counts[c] / len(test) - 1 / 3) < 0.08
    # the repeats are shuffled differently
    assert not np.array_equal(splits[0][1], splits[5][1])


def test_reproducible_with_int_random_state(spex):
    y, groups = spex.target_class, spex.groups
    a = list(RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=7)
             .split(spex.data, y, groups))
    b = list(RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=7)
             .split(spex.data, y, groups))
    for (ta, sa), (tb, sb) in zip(a, b):
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(sa, sb)
    c = list(RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=8)
             .split(spex.data, y, groups))
    assert any(not np.array_equal(sa, sc) for (_, sa), (_, sc) in zip(a, c))


# Random labels often leave a class with fewer members than folds; sklearn warns about it
# (UserWarning), but the properties checked here must hold all the same.
@pytest.mark.filterwarnings("ignore:The least populated class in y:UserWarning")
@given(
    n_groups=st.integers(3, 25),
    n_classes=st.integers(2, 4),
    n_splits=st.integers(2, 3),
    seed=st.integers(0, 2**16),
)
def test_partition_and_group_properties(n_groups, n_classes, n_splits, seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, size=4 * n_groups)
    groups[:n_groups] = np.arange(n_groups)  # every group present
    y = rng.integers(0, n_classes, size=groups.size)
    cv = RepeatedStratifiedGroupKFold(n_splits=n_splits, n_repeats=2, random_state=seed)
    splits = list(cv.split(np.zeros(groups.size), y, groups))
    _check_repeats(splits, groups.size, groups, n_splits, 2)


def test_groups_are_required():
    cv = RepeatedStratifiedGroupKFold(n_splits=2, n_repeats=1)
    with pytest.raises(ValueError, match="needs groups"):
        next(cv.split(np.zeros(4), [0, 1, 0, 1]))


def test_groups_routed_by_cross_validate(spex):
    cv = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=2, random_state=0)
    X = np.zeros((len(spex.groups), 1))
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(DummyClassifier(), X, spex.target_class, cv=cv,
                                params={"groups": spex.groups}, return_indices=True)
    plain = cross_validate(DummyClassifier(), X, spex.target_class, cv=cv,
                           groups=spex.groups, return_indices=True)
    for a, b in zip(routed["indices"]["test"], plain["indices"]["test"]):
        np.testing.assert_array_equal(a, b)
    for train, test in zip(routed["indices"]["train"], routed["indices"]["test"]):
        assert not set(spex.groups[train]) & set(spex.groups[test])


def test_confidence_interval_reduces_to_student_t_without_correction():
    scores = np.array([0.8, 0.85, 0.9, 0.82, 0.88, 0.86])
    mean, low, high = repeated_cv_confidence_interval(
        scores, n_splits=3, confidence=0.9, test_train_ratio=1e-300
    )
    expected = stats.t.interval(0.9, df=5, loc=scores.mean(), scale=stats.sem(scores))
    assert mean == pytest.approx(scores.mean())
    assert (low, high) == pytest.approx(expected)


def test_confidence_interval_is_corrected_for_overlapping_training_sets():
    scores = np.array([0.8, 0.85, 0.9, 0.82, 0.88, 0.86])
    _, low, high = repeated_cv_confidence_interval(scores, n_splits=3)
    _, low_naive, high_naive = repeated_cv_confidence_interval(
        scores, n_splits=3, test_train_ratio=1e-300
    )
    # n_test / n_train = 1/2 with 3 folds: variance factor 1/6 + 1/2 instead of 1/6
    assert (high - low) / (high_naive - low_naive) == pytest.approx(np.sqrt(4.0))


@pytest.mark.parametrize(
    "scores, match",
    [([0.5], "got 1"), ([0.5, 0.6, 0.7], "multiple of n_splits=2"), ([0.5, np.nan], "finite")],
)
def test_confidence_interval_errors(scores, match):
    with pytest.raises(ValueError, match=match):
        repeated_cv_confidence_interval(scores, n_splits=2)
