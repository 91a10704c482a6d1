"""Nested tuning with groups: GridSearchCV inside cross_validate, groups routed."""

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate

from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.model_selection import RepeatedStratifiedGroupKFold
from spectra_sklearn.pipelines import make_spex_pipeline


class _RecordingStratifiedGroupKFold(StratifiedGroupKFold):
    """StratifiedGroupKFold remembering the groups it was asked to split."""

    seen = []

    def split(self, X, y=None, groups=None):
        type(self).seen.append(None if groups is None else np.asarray(groups).copy())
        return super().split(X, y, groups)


def test_inner_search_gets_the_outer_training_groups():
    spex = load_spex_sample()
    _RecordingStratifiedGroupKFold.seen = []
    inner = GridSearchCV(make_spex_pipeline(model="svc"), {"svc__C": [1.0, 10.0]},
                         cv=_RecordingStratifiedGroupKFold(n_splits=3))
    outer = RepeatedStratifiedGroupKFold(n_splits=3, n_repeats=1, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(inner, spex.data, spex.target_class, cv=outer,
                                params={"groups": spex.groups}, return_indices=True)
    seen = _RecordingStratifiedGroupKFold.seen
    assert len(seen) == 3
    for inner_groups, train, test in zip(seen, result["indices"]["train"],
                                         result["indices"]["test"]):
        # exactly the groups of the outer training fold, in its order
        np.testing.assert_array_equal(inner_groups, spex.groups[train])
        assert not set(inner_groups) & set(spex.groups[test])
    assert result["test_score"].min() > 0.8


def test_without_routing_the_inner_splitter_gets_no_groups():
    """The documented reason for routing: ``groups=`` reaches the outer splitter only."""
    spex = load_spex_sample()
    inner = GridSearchCV(make_spex_pipeline(model="svc"), {"svc__C": [1.0]},
                         cv=StratifiedGroupKFold(n_splits=2))
    with pytest.raises(ValueError, match="number of groups: 1"):
        cross_validate(inner, spex.data, spex.target_class, groups=spex.groups,
                       cv=StratifiedGroupKFold(n_splits=2), error_score="raise")
