"""fetch_mahlke2022 on the real data home (Mahlke et al. 2022 via classy)."""

import csv
from collections import Counter

import numpy as np
import pytest
from sklearn.model_selection import LeaveOneGroupOut

from spectra_sklearn.datasets import fetch_mahlke2022


def _table(shared_data, name):
    with open(shared_data / "mahlke2022" / "csv" / name, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def mahlke(shared_data):
    return fetch_mahlke2022(data_home=shared_data, download_if_missing=False)


def test_counts_and_labels_follow_the_table(mahlke, shared_data):
    table = _table(shared_data, "class_visnir.csv")
    assert len(mahlke.data) == len(table)
    assert mahlke.target.tolist() == [r["class_sf"] for r in table]
    assert mahlke.target_with_features.tolist() == [r["class_"] for r in table]
    assert len(mahlke.target_names) == 17  # the paper's 17 classes
    for base, full in zip(mahlke.target, mahlke.target_with_features):
        assert full.startswith(base)


def test_groups_are_the_source_survey(mahlke, shared_data):
    table = _table(shared_data, "class_visnir.csv")
    first_key = [r["ref_spectrum"].replace(",", ";").split(";")[0].strip() for r in table]
    assert mahlke.groups.tolist() == first_key
    references = {r["key"] for r in _table(shared_data, "reference_spectra.csv")}
    not_keys = set(mahlke.groups.tolist()) - references
    assert len(not_keys) < 3  # the table gives a bibcode instead of a key once or twice
    for value in not_keys:
        reference = mahlke.frame["survey_reference"][mahlke.groups == value][0]
        assert "%" not in reference and len(reference) == 19  # an unquoted bibcode
    assert Counter(mahlke.groups.tolist()).most_common(1)[0][0] == "1"  # SMASS
    assert mahlke.frame["survey_reference"][0].startswith("SMASS")
    # object_id: the asteroid, repeated across spectra
    expected = [r["number"] and str(int(float(r["number"]))) or r["name"] for r in table]
    assert mahlke.object_id.tolist() == expected
    assert len(set(expected)) < len(expected)
    splits = list(LeaveOneGroupOut().split(mahlke.data, mahlke.target, mahlke.groups))
    assert len(splits) == len(set(first_key))


def test_visible_subset_and_linear_reflectance(shared_data):
    vis = fetch_mahlke2022(subset="vis", data_home=shared_data, reflectance="linear")
    assert len(vis.data) == len(_table(shared_data, "class_vis.csv"))
    flux = np.asarray(vis.data)
    at = np.flatnonzero(np.isclose(vis.data.wavelength, 0.55))[0]
    finite = np.isfinite(flux[:, at]) & ~vis.data.mask[:, at]
    assert np.allclose(flux[finite, at], 1.0)
    assert vis.data.mask[:, vis.data.wavelength > 1.2].mean() > 0.9  # visible only


def test_bad_subset_is_rejected(shared_data):
    with pytest.raises(ValueError, match="subset"):
        fetch_mahlke2022(subset="nir", data_home=shared_data)
