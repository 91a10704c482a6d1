"""fetch_galaxy_zoo1 on the real data home (Galaxy Zoo 1, Lintott et al. 2008, 2011)."""

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from spectra_sklearn.datasets import (
    GALAXY_ZOO1_3CLASSES,
    GALAXY_ZOO1_CLASSES,
    GALAXY_ZOO1_TO_3CLASS,
    fetch_galaxy_zoo1,
)
from spectra_sklearn.images import ImageBatch


@pytest.fixture(scope="module")
def folder(shared_data):
    path = shared_data / "galaxy_zoo1"
    if not (path / "labels" / "smallCSV_class.csv").is_file():
        pytest.skip(f"Galaxy Zoo 1 not in the data home ({path})")
    return path


@pytest.fixture(scope="module")
def table(folder):
    with open(folder / "labels" / "smallCSV_class.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def gz(folder):
    return fetch_galaxy_zoo1(folder.parent)


def test_counts_match_the_label_table_and_the_images(gz, table, folder):
    n = len(table)
    assert len(gz.data) == len(gz.target) == len(gz.target_3class) == len(gz.frame) == n
    # every image in the folder is labelled exactly once
    assert len(list((folder / "images").glob("*.jpeg"))) == n == len({r["OBJID"] for r in table})
    assert Counter(gz.target.tolist()) == Counter(int(r["CLASS"]) for r in table)
    assert [Path(p).stem for p in gz.data] == [r["OBJID"] for r in table]
    assert all(Path(p).is_file() for p in gz.filenames)
    assert gz.target_names.tolist() == list(GALAXY_ZOO1_CLASSES)


def test_class_balance_as_provenance_describes(gz):
    # PROVENANCE.md: 70 % ellipticals, CW/ACW/edge-on are spirals, few don't-know and mergers
    counts = np.bincount(gz.target, minlength=6)
    assert 0.69 < counts[0] / counts.sum() < 0.71
    assert counts[3] > counts[1] > counts[5] > counts[4] and counts[2] > counts[5]


def test_three_classes_merge_the_spirals(gz):
    assert gz.target_3class_names.tolist() == list(GALAXY_ZOO1_3CLASSES)
    expected = np.array([GALAXY_ZOO1_TO_3CLASS[c] for c in gz.target])
    np.testing.assert_array_equal(gz.target_3class, expected)
    six = np.bincount(gz.target, minlength=6)
    assert np.bincount(gz.target_3class).tolist() == [six[0], six[1:4].sum(), six[4:].sum()]


def test_frame_and_descr(folder):
    bunch = fetch_galaxy_zoo1(folder.parent, as_frame=True)
    frame = bunch.frame
    assert list(frame.columns) == ["objid", "class", "class_name", "class_3", "class_3_name",
                                   "filename"]
    assert frame["objid"].dtype == np.int64 and str(frame["objid"][0]) in bunch.filenames[0]
    assert (frame["class_name"] == bunch.target_names[bunch.target]).all()
    assert "Lintott" in bunch.DESCR and "MNRAS 389, 1179" in bunch.DESCR
    X, y = fetch_galaxy_zoo1(folder.parent, return_X_y=True)
    assert X.shape == y.shape == (len(bunch.target),)


def _small_home(folder, tmp_path, per_class=4):
    """A data home with ``per_class`` real images of each class and their label rows."""
    with open(folder / "labels" / "smallCSV_class.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    picked = []
    for code in range(6):
        picked += [r for r in rows if r["CLASS"] == str(code)][:per_class]
    home = tmp_path / "home"
    (home / "galaxy_zoo1" / "images").mkdir(parents=True)
    (home / "galaxy_zoo1" / "labels").mkdir()
    lines = ["OBJID,CLASS"] + [f"{r['OBJID']},{r['CLASS']}" for r in picked]
    (home / "galaxy_zoo1" / "labels" / "smallCSV_class.csv").write_text("\n".join(lines) + "\n")
    for r in picked:
        name = f"{r['OBJID']}.jpeg"
        (home / "galaxy_zoo1" / "images" / name).write_bytes(
            (folder / "images" / name).read_bytes())
    return home, picked


def test_load_images_crops_and_resizes_while_reading(folder, tmp_path):
    home, picked = _small_home(folder, tmp_path)
    bunch = fetch_galaxy_zoo1(home, load_images=True, crop=128, resize=32)
    assert isinstance(bunch.data, ImageBatch) and bunch.data.pixels.shape == (24, 3, 32, 32)
    assert bunch.data.band_names == ("r", "g", "b")
    assert [Path(m["source"]).stem for m in bunch.data.meta] == [r["OBJID"] for r in picked]
    assert bunch.target.tolist() == [int(r["CLASS"]) for r in picked]
    full = fetch_galaxy_zoo1(home, load_images=True, return_X_y=True)[0]
    assert full.pixels.shape == (24, 3, 423, 423)


def test_missing_files_are_explained(folder, tmp_path):
    with pytest.raises(FileNotFoundError, match="smallCSV_class.csv.*Eggochi/Proyecto_Galaxias"):
        fetch_galaxy_zoo1(tmp_path)
    home, picked = _small_home(folder, tmp_path, per_class=1)
    (home / "galaxy_zoo1" / "images" / f"{picked[2]['OBJID']}.jpeg").unlink()
    with pytest.raises(FileNotFoundError, match=r"1 of the 6 Galaxy Zoo 1 images"):
        fetch_galaxy_zoo1(home)


def test_bad_table_and_options(tmp_path):
    labels = tmp_path / "galaxy_zoo1" / "labels"
    labels.mkdir(parents=True)
    (labels / "smallCSV_class.csv").write_text("OBJID,CLASS\n123,7\n")
    with pytest.raises(ValueError, match="line 2: expected an SDSS objid.*'7'"):
        fetch_galaxy_zoo1(tmp_path)
    with pytest.raises(ValueError, match="load_images=True"):
        fetch_galaxy_zoo1(tmp_path, crop=64)
