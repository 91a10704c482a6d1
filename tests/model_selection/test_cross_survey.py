"""CrossSurveySplit on real survey labels (CAST/CASSIS fields, SpeX slit set-ups)."""

import csv

import numpy as np
import pytest
import sklearn
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.svm import SVC

from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.model_selection import CrossSurveySplit
from spectra_sklearn.pipelines import make_spex_pipeline

FIELDS = {
    "SMC": "small_magellanic_cloud.csv",
    "LMC": "large_magellanic_cloud.csv",
    "GP": "galactic_plane.csv",
    "Bulge": "bulge.csv",
}


@pytest.fixture(scope="module")
def cast_fields(shared_data):
    """AOR keys and the field (survey) each comes from, as the CAST label lists give them."""
    folder = shared_data / "cassis_irs" / "cast_labels"
    aor, field = [], []
    for name, filename in FIELDS.items():
        # utf-8-sig: some files start with a BOM; the SMC header has leading spaces.
        with open(folder / filename, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        for row in rows[1:]:
            aor.append(int(row[0]))
            field.append(name)
    return np.array(aor), np.array(field)


@pytest.fixture(scope="module")
def spex():
    return load_spex_sample()


def _setup_labels(spex):
    """The SpeX slit set-up of each spectrum, by its resolving power (R~75, 120, 150...)."""
    return np.array([f"R{r:g}" for r in spex.frame["RESOLUTION"]])


def test_magellanic_clouds_train_galactic_plane_test(cast_fields):
    aor, field = cast_fields
    cv = CrossSurveySplit(train=["SMC", "LMC"], test=["GP"])
    splits = list(cv.split(aor, groups=field))
    assert len(splits) == cv.get_n_splits() == 1
    train, test = splits[0]
    assert set(field[train]) == {"SMC", "LMC"}
    assert set(field[test]) == {"GP"}
    assert len(train) == np.isin(field, ["SMC", "LMC"]).sum()
    assert len(test) == (field == "GP").sum()
    # the Bulge is in neither set
    assert not np.isin(np.flatnonzero(field == "Bulge"), np.concatenate([train, test])).any()


def test_per_test_group_gives_one_split_per_field_in_order(cast_fields):
    aor, field = cast_fields
    cv = CrossSurveySplit(train=["SMC", "LMC"], test=["Bulge", "GP"], per_test_group=True)
    splits = list(cv.split(aor, groups=field))
    assert cv.get_n_splits() == len(splits) == 2
    assert [set(field[test]) for _, test in splits] == [{"Bulge"}, {"GP"}]
    np.testing.assert_array_equal(splits[0][0], splits[1][0])
    combined = CrossSurveySplit(train=["SMC", "LMC"], test=["Bulge", "GP"])
    (_, test), = combined.split(aor, groups=field)
    np.testing.assert_array_equal(np.sort(test), np.sort(np.concatenate([s[1] for s in splits])))


def test_cross_validate_and_grid_search_with_groups(spex):
    setups = _setup_labels(spex)
    cv = CrossSurveySplit(train=["R120"], test=["R75", "R150"], per_test_group=True)
    pipe = make_spex_pipeline(model="svc")
    result = cross_validate(pipe, spex.data, spex.target_class, groups=setups, cv=cv,
                            return_indices=True)
    assert len(result["test_score"]) == 2
    for k, label in enumerate(["R75", "R150"]):
        assert set(setups[result["indices"]["test"][k]]) == {label}
        assert set(setups[result["indices"]["train"][k]]) == {"R120"}
        # M/L/T is easy across slit widths: far above the 1/3 of guessing
        assert result["test_score"][k] > 0.7
    search = GridSearchCV(pipe, {"svc__C": [1.0, 10.0]}, cv=cv)
    search.fit(spex.data, spex.target_class, groups=setups)
    assert search.cv_results_["split1_test_score"].shape == (2,)
    # the same splits through metadata routing
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate(pipe, spex.data, spex.target_class, cv=cv,
                                params={"groups": setups})
    np.testing.assert_allclose(routed["test_score"], result["test_score"])


def test_absent_label_is_named(cast_fields):
    aor, field = cast_fields
    cv = CrossSurveySplit(train=["SMC", "LMCC"], test=["GP"])
    with pytest.raises(ValueError, match=r"\['LMCC'\] have no sample.*'Bulge', 'GP'"):
        list(cv.split(aor, groups=field))


def test_train_test_overlap_is_an_error():
    cv = CrossSurveySplit(train=["SMC", "GP"], test=["GP"])
    with pytest.raises(ValueError, match=r"\['GP'\] are in both 'train' and 'test'"):
        list(cv.split(np.zeros(2), groups=["SMC", "GP"]))
    with pytest.raises(ValueError, match="both"):
        cv.get_n_splits()


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"train": "SMC", "test": ["GP"]}, TypeError,
         r"must be a list of group labels, e.g. train=\['SMC'\]"),
        ({"train": ["SMC"], "test": []}, ValueError, "'test' parameter must name at least one"),
        ({"train": ["SMC"], "test": ["GP"], "per_test_group": "yes"}, TypeError, "per_test_group"),
    ],
)
def test_bad_parameters(params, error, match):
    cv = CrossSurveySplit(**params)
    with pytest.raises(error, match=match):
        list(cv.split(np.zeros(2), groups=["SMC", "GP"]))


def test_groups_required_and_same_length():
    cv = CrossSurveySplit(train=["SMC"], test=["GP"])
    with pytest.raises(ValueError, match="needs groups"):
        list(cv.split(np.zeros(2)))
    with pytest.raises(ValueError, match="3 labels for 2 samples"):
        list(cv.split(np.zeros(2), groups=["SMC", "GP", "GP"]))
    with pytest.raises(ValueError, match="needs groups"):
        cross_validate(SVC(), np.zeros((2, 1)), [0, 1], cv=cv)


def test_repr_and_clone_like_sklearn_splitters():
    cv = CrossSurveySplit(train=[1, 2], test=[3], per_test_group=True)
    assert repr(cv) == "CrossSurveySplit(per_test_group=True, test=[3], train=[1, 2])"
    # integer labels work as well as strings
    (train, test), = cv.split(np.zeros(4), groups=np.array([1, 2, 3, 4]))
    assert train.tolist() == [0, 1] and test.tolist() == [2]
