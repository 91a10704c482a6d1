"""fetch_iso_sws on the real data home (Sloan et al. 2003 atlas, Kraemer et al. 2002 classes)."""

import csv
from collections import Counter
from pathlib import Path

import pytest
from _formats import require_format

from spectra_sklearn.datasets import KRAEMER_GROUPS, fetch_iso_sws


@pytest.fixture(scope="module")
def table(shared_data):
    with open(shared_data / "iso_sws" / "labels" / "kraemer_class_fixed.csv", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_class_table(shared_data, table):
    iso = fetch_iso_sws(data_home=shared_data, load_spectra=False)
    assert len(iso.target) == len(table)
    assert Counter(iso.target.tolist()) == Counter(r["group"] for r in table)
    assert set(iso.target.tolist()) == set(KRAEMER_GROUPS)
    assert iso.target_subclass.tolist() == [f"{r['group']}.{r['subgroup']}" for r in table]
    assert iso.groups.tolist() == [r["object_name"] for r in table]
    assert len(set(iso.groups.tolist())) < len(table)  # repeated objects
    assert iso.frame["tdt"].tolist() == [int(r["tdt"]) for r in table]
    assert "Kraemer" in iso.DESCR and "Sloan" in iso.DESCR


def test_spectra_at_hand(shared_data, table):
    require_format("iso_sws")
    present = {int(p.name[:8]) for p in (shared_data / "iso_sws" / "spectra").glob("*_sws.fit")}
    with pytest.warns(UserWarning, match=f"{len(table) - len(present)} of the {len(table)}"):
        iso = fetch_iso_sws(data_home=shared_data, download_if_missing=False, missing="skip")
    assert sorted(iso.frame["tdt"].tolist()) == sorted(present)
    assert [int(Path(f).name[:8]) for f in iso.filenames] == iso.frame["tdt"].tolist()
    for spectrum in iso.data:
        assert 2.3 < spectrum.wavelength.min() and spectrum.wavelength.max() < 46
    ngc6543 = iso.frame["object_name"].tolist().index("NGC 6543")
    assert iso.target_subclass[ngc6543] == "4.PN"


def test_missing_spectra_raise_by_default(shared_data):
    with pytest.raises(FileNotFoundError, match="_sws.fit"):
        fetch_iso_sws(data_home=shared_data, download_if_missing=False)
