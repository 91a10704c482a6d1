"""fetch_miles on the real data home (MILES, Sánchez-Blázquez et al. 2006)."""

import csv
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from _formats import require_format

from spectra_sklearn.datasets import fetch_miles


@pytest.fixture(scope="module")
def table(shared_data):
    with open(shared_data / "miles" / "labels" / "miles_labels.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def miles(shared_data):
    require_format("miles")
    return fetch_miles(data_home=shared_data, download_if_missing=False)


def test_labelled_stars_and_their_files(miles, table, shared_data):
    typed = [r for r in table if r["mk_class"]]
    assert len(miles.data) == len(typed)
    assert Counter(miles.target.tolist()) == Counter(r["mk_class"] for r in typed)
    assert [Path(f).name for f in miles.filenames] == [Path(r["file"]).name for r in typed]
    assert miles.groups.tolist() == [r["name"] for r in typed]
    assert all((shared_data / "miles" / r["file"]).is_file() for r in table)
    for spectrum in miles.data[:50]:
        assert 3500 < spectrum.wavelength[0] < 3600 and 7300 < spectrum.wavelength[-1] < 7500


def test_parameters_as_regression_target(shared_data, table):
    require_format("miles")
    data, teff = fetch_miles(target="teff", data_home=shared_data, return_X_y=True)
    known = [float(r["teff"]) for r in table if r["teff"] not in ("", "--")]
    assert len(data) == len(teff) == len(known)
    assert teff.dtype == np.float64 and 2000 < teff.min() and teff.max() < 60000
    everything = fetch_miles(
        target="feh", include_unlabelled=True, data_home=shared_data
    )
    assert len(everything.target) == len(table)
    assert np.isnan(everything.target).sum() == sum(r["feh"] in ("", "--") for r in table)
    assert "target_names" not in everything
    lum = everything.frame["lum_class"]
    assert Counter(lum.tolist()) == Counter(r["lum_class"] for r in table)
    assert all(math.isnan(v) or 0 <= v <= 6 for v in everything.frame["logg"])


def test_missing_label_table_is_explained(tmp_path):
    with pytest.raises(FileNotFoundError, match="miles_labels.csv.*paramsMILES_v9.1.txt"):
        fetch_miles(data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_bad_target_is_rejected(shared_data):
    with pytest.raises(ValueError, match="target"):
        fetch_miles(target="colour", data_home=shared_data)
