"""fetch_spitzer_irs_sets / fetch_cassis on the real data home (CAST AOR tables, CASSIS)."""

import csv
import shutil
from collections import Counter

import numpy as np
import pytest
from _formats import require_format

from spectra_sklearn.datasets import (
    SPITZER_IRS_COARSE_CLASSES,
    SPITZER_IRS_FINE_TO_COARSE,
    SPITZER_IRS_SETS,
    fetch_cassis,
    fetch_spitzer_irs_sets,
)

FILES = {name: spec[0] for name, spec in SPITZER_IRS_SETS.items()}


def _rows(shared_data, name):
    path = shared_data / "cassis_irs" / "cast_labels" / FILES[name]
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return [r for r in reader if r]


@pytest.fixture(scope="module")
def labels(shared_data):
    return fetch_spitzer_irs_sets(data_home=shared_data, load_spectra=False)


def test_every_table_row_is_read_with_its_set(labels, shared_data):
    expected = {name: len(_rows(shared_data, name)) for name in FILES}
    assert Counter(labels.groups.tolist()) == expected
    assert labels.data is None and set(labels.filenames.tolist()) == {""}
    for name in FILES:
        rows = _rows(shared_data, name)
        mine = labels.frame[labels.groups == name]
        assert mine["aor_key"].tolist() == [int(r[0]) for r in rows]
        assert mine["pointing"].tolist() == [-1 if r[1] == "None" else int(r[1]) for r in rows]


def test_fine_to_coarse_mapping(labels, shared_data):
    for name in ("SMC", "LMC"):
        fine = [r[2] for r in _rows(shared_data, name)]
        mine = labels.groups == name
        assert labels.target_fine[mine].tolist() == fine
        assert labels.target[mine].tolist() == [SPITZER_IRS_FINE_TO_COARSE[c] for c in fine]
    plane = labels.groups == "galactic_plane"
    assert labels.target[plane].tolist() == [r[2] for r in _rows(shared_data, "galactic_plane")]
    assert set(labels.target_fine[plane].tolist()) == {""}
    assert set(labels.target[labels.groups == "bulge"].tolist()) == {""}
    assert set(labels.target.tolist()) - {""} <= set(SPITZER_IRS_COARSE_CLASSES)
    assert set(SPITZER_IRS_FINE_TO_COARSE.values()) <= set(SPITZER_IRS_COARSE_CLASSES)
    assert labels.target_names.tolist() == list(SPITZER_IRS_COARSE_CLASSES)


def test_set_selection_and_unknown_set(shared_data):
    plane = fetch_spitzer_irs_sets(["galactic_plane"], data_home=shared_data, load_spectra=False)
    assert set(plane.groups.tolist()) == {"galactic_plane"}
    with pytest.raises(ValueError, match="'sets' parameter of fetch_spitzer_irs_sets"):
        fetch_spitzer_irs_sets("M31", data_home=shared_data)


def test_local_data_home_has_none_of_the_spectra(shared_data):
    # the reference data home holds CASSIS files of other AOR keys only
    with pytest.warns(UserWarning, match="50 of the 50 spectrum files"):
        plane = fetch_spitzer_irs_sets(
            "galactic_plane", data_home=shared_data, download_if_missing=False, missing="skip"
        )
    assert len(plane.target) == 0 and len(plane.data) == 0
    with pytest.raises(FileNotFoundError, match="cassis_yaaar_spcfw_"):
        fetch_spitzer_irs_sets("galactic_plane", data_home=shared_data, download_if_missing=False)


def _home_with_labelled_local_files(shared_data, tmp_path):
    """A data home whose SMC table lists AOR keys the real files have."""
    home = tmp_path / "home"
    (home / "cassis_irs" / "cast_labels").mkdir(parents=True)
    spectra = home / "cassis_irs" / "spectra"
    spectra.mkdir()
    local = sorted((shared_data / "cassis_irs" / "spectra").glob("cassis_yaaar_spcfw_*t.fits"))
    for path in local:
        (spectra / path.name).symlink_to(path)
    aors = [p.name.removeprefix("cassis_yaaar_spcfw_").removesuffix("t.fits") for p in local]
    lines = ["AOR,Index,Class"] + [f"{aor},None,C-AGB" for aor in aors] + ["99999999,None,WR"]
    (home / "cassis_irs" / "cast_labels" / FILES["SMC"]).write_text("\n".join(lines) + "\n")
    return home, aors


def test_spectra_of_the_rows_whose_files_exist(shared_data, tmp_path):
    require_format("cassis")
    home, aors = _home_with_labelled_local_files(shared_data, tmp_path)
    with pytest.warns(UserWarning, match="1 of the .* spectrum files .*_99999999t.fits"):
        smc = fetch_spitzer_irs_sets("SMC", data_home=home, download_if_missing=False,
                                     missing="skip")
    assert smc.aor_key.tolist() == [int(a) for a in aors]
    assert len(smc.data) == len(aors) and set(smc.target.tolist()) == {"C-Rich Evolved"}
    for spectrum, aor in zip(smc.data, smc.aor_key):
        assert spectrum.meta["aorkey"] == aor
        assert 5 < spectrum.wavelength.min() < spectrum.wavelength.max() < 40
        assert str(spectrum.wavelength_unit) == "um"


def test_fetch_cassis_reads_fits_or_ipac_table(shared_data):
    require_format("cassis")
    spectrum = fetch_cassis(14203136, data_home=shared_data, download_if_missing=False)
    assert 300 < spectrum.n_pixels <= 387  # 387 rows; the reader may merge order overlaps
    assert spectrum.meta["aorkey"] == 14203136
    assert str(spectrum.wavelength_unit) == "um"
    assert 5.2 < spectrum.wavelength[0] and spectrum.wavelength[-1] < 38


def test_fetch_cassis_falls_back_to_the_ipac_table(shared_data, tmp_path):
    require_format("cassis_tbl")
    home = tmp_path / "home"
    (home / "cassis_irs" / "spectra").mkdir(parents=True)
    shutil.copyfile(
        shared_data / "cassis_irs" / "spectra" / "cassis_tbl_spcfw_14191360t.tbl",
        home / "cassis_irs" / "spectra" / "cassis_tbl_spcfw_14191360t.tbl",
    )
    spectrum = fetch_cassis("14191360", data_home=home, download_if_missing=False)
    assert np.all(np.diff(spectrum.wavelength) > 0)


def test_fetch_cassis_missing_and_bad_key(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"cassis_yaaar_spcfw_123_2t\.fits"):
        fetch_cassis(123, 2, data_home=tmp_path, download_if_missing=False)
    with pytest.raises(ValueError, match="aor_key must be a number"):
        fetch_cassis("AOR-1", data_home=tmp_path)
