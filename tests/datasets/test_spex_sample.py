"""load_spex_sample: the SpeX sample shipped with the package."""

import filecmp
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GroupKFold

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.datasets._make_spex_sample import make_sample

SAMPLE = (Path(__file__).resolve().parents[2] / "spectra_sklearn" / "datasets" / "data"
          / "spex_sample")


@pytest.fixture(scope="module")
def sample():
    return load_spex_sample()


def test_loads_without_any_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SPECTRA_SKLEARN_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    bunch = load_spex_sample()
    assert len(bunch.data) == 300
    assert list(tmp_path.iterdir()) == []  # nothing written to the home folder


def test_three_balanced_classes_of_ok_quality(sample):
    assert isinstance(sample.data, SpectrumBatch)
    assert Counter(sample.target_class.tolist()) == {"M": 100, "L": 100, "T": 100}
    assert set(sample.frame["QUALITY_FLAG"].tolist()) == {"OK"}
    for letter in "MLT":
        subtypes = np.floor(sample.frame["subtype"][sample.target_class == letter])
        assert len(set(subtypes.tolist())) == 10  # every integer subtype 0-9


def test_groups_need_group_aware_splitting(sample):
    per_object = Counter(sample.groups.tolist())
    assert len(per_object) == 270
    assert Counter(per_object.values()) == {1: 240, 2: 30}
    # an object never straddles two classes
    for group in (g for g, n in per_object.items() if n == 2):
        assert len(set(sample.target_class[sample.groups == group].tolist())) == 1
    for train, test in GroupKFold(n_splits=5).split(sample.data, sample.target, sample.groups):
        assert not set(sample.groups[train].tolist()) & set(sample.groups[test].tolist())


def test_files_are_byte_identical_to_the_library(sample, shared_data):
    library = shared_data / "spex_prism"
    assert len(sample.filenames) == 300
    for path in map(Path, sample.filenames):
        assert path.parent == SAMPLE / "spectra"
        assert filecmp.cmp(path, library / "spectra" / path.name, shallow=False)
    assert sorted(p.name for p in (SAMPLE / "spectra").iterdir()) == sorted(
        Path(f).name for f in sample.filenames
    )
    assert filecmp.cmp(SAMPLE / "LICENSE.splat", library / "LICENSE.splat", shallow=False)
    original = (library / "metadata" / "spectral_data.txt").read_bytes().split(b"\r")
    embedded = (SAMPLE / "spectral_data.txt").read_bytes().split(b"\r")
    assert embedded[0] == original[0]  # same header, same 22 columns
    assert embedded[-1] == b""
    assert set(embedded[1:-1]) <= set(original[1:])  # rows copied byte for byte
    assert len(embedded) - 2 == 300


def test_sample_script_is_deterministic(shared_data, tmp_path):
    rows = make_sample(shared_data, tmp_path / "out")
    assert len(rows) == 300
    made = sorted(p.name for p in (tmp_path / "out" / "spectra").iterdir())
    assert made == sorted(p.name for p in (SAMPLE / "spectra").iterdir())
    for name in ("spectral_data.txt", "sources.csv", "LICENSE.splat"):
        assert filecmp.cmp(tmp_path / "out" / name, SAMPLE / name, shallow=False)


def test_sample_sources_are_library_lines_of_its_objects(sample, shared_data):
    original = (shared_data / "spex_prism" / "metadata" / "sources.csv").read_bytes()
    embedded = (SAMPLE / "sources.csv").read_bytes()
    original_lines, embedded_lines = original.split(b"\r\n"), embedded.split(b"\r\n")
    assert embedded_lines[0] == original_lines[0] and embedded_lines[-1] == b""
    assert set(embedded_lines[1:-1]) <= set(original_lines[1:])
    keys = {int(line.split(b",")[4]) for line in embedded_lines[1:-1]}
    assert keys == set(sample.groups.tolist())  # one line per object of the sample
    assert np.isfinite(sample.frame["J_2MASS"]).mean() > 0.95
    assert all("PARALLAX" in m and "MEDIAN_SNR" in m for m in sample.data.meta)


def test_same_fields_as_fetch_spex_prism(sample):
    assert set(sample) == {"data", "target", "target_class", "groups", "frame", "filenames",
                           "DESCR"}
    assert "LICENSE.splat" in sample.DESCR and "Burgasser" in sample.DESCR
    data, target = load_spex_sample(return_X_y=True)
    assert np.array_equal(target, sample.target)
