"""fetch_smass2 on the real data home (SMASSII, Bus & Binzel 2002)."""

import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.datasets import BUS_MAIN_GROUPS, fetch_smass2
from spectra_sklearn.datasets._smass2 import _parse_taxonomy

# Class counts over the 1,341 spectra, from smass2/PROVENANCE.md.
PROVENANCE_COUNTS = {
    "S": 383, "C": 142, "Ch": 138, "X": 111, "B": 60, "Xc": 60, "Sq": 52, "Sl": 49,
    "Xk": 39, "V": 35, "L": 34, "Sa": 34, "Cb": 33, "K": 31, "Xe": 28, "Sk": 16,
    "A": 16, "Cgh": 15, "Sr": 15, "T": 14, "Ld": 13, "Cg": 9, "D": 9, "R": 4, "O": 1,
}  # fmt: skip


def _snapshot(folder):
    return {
        p.name: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(Path(folder).iterdir())
        if p.is_file()
    }


@pytest.fixture(scope="module")
def smass(shared_data):
    before = _snapshot(shared_data / "smass2")
    bunch = fetch_smass2(data_home=shared_data, download_if_missing=False)
    assert _snapshot(shared_data / "smass2") == before  # the data home is not modified
    return bunch


def test_counts_match_provenance(smass):
    assert len(smass.data) == len(smass.target) == len(smass.groups) == 1341
    assert isinstance(smass.data, SpectrumBatch)
    assert dict(Counter(smass.target.tolist())) == PROVENANCE_COUNTS
    assert smass.target_names.tolist() == sorted(PROVENANCE_COUNTS)


def test_one_spectrum_per_asteroid_with_its_designation(smass):
    groups = smass.groups.tolist()
    assert len(set(groups)) == 1341
    by_designation = dict(zip(groups, smass.target.tolist()))
    # rows of Bus.Taxonomy.txt: "1 Ceres  G  C", "4 Vesta  V  V",
    # "      1995 BM2    Sq", "5646 1990 TR  -" (no class, no spectrum)
    assert by_designation["1"] == "C"
    assert by_designation["4"] == "V"
    assert by_designation["1995 BM2"] == "Sq"
    assert "5646" not in by_designation
    for designation, spectrum in zip(groups, smass.data):
        assert spectrum.meta["designation"] == designation


def test_frame_columns(smass):
    frame = smass.frame
    assert frame.dtype.names == (
        "designation", "number", "name", "tholen_class", "bus_class", "main_group",
        "filename",
    )  # fmt: skip
    ceres = frame[frame["designation"] == "1"][0]
    assert (ceres["number"], ceres["name"], ceres["tholen_class"]) == (1, "Ceres", "G")
    assert ceres["filename"] == "a000001.[2]"
    provisional = frame[frame["number"] == 0]
    assert len(provisional) == 8
    assert all(re.fullmatch(r"\d{4} [A-Z]{2}\d*", d) for d in provisional["designation"])
    for row in frame:
        stem = row["filename"].removesuffix(".[2]")
        if row["number"]:
            assert stem == f"a{row['number']:06d}"
        else:
            assert stem == "au" + row["designation"].replace(" ", "")
    assert np.array_equal(frame["bus_class"], smass.target)
    assert np.array_equal(frame["main_group"], smass.target_main_group)


def test_spectra_are_reflectance_normalised_at_550nm(smass):
    for spectrum in smass.data:
        assert isinstance(spectrum, Spectrum)
        good = ~spectrum.mask
        assert spectrum.wavelength[good].min() >= 0.43
        assert spectrum.wavelength[good].max() <= 0.93
        near = good & (np.abs(spectrum.wavelength - 0.55) <= 0.0101)  # ~9 pixels
        assert np.median(spectrum.flux[near]) == pytest.approx(1.0, abs=0.06)


def test_main_groups(smass):
    assert set(BUS_MAIN_GROUPS) == set(PROVENANCE_COUNTS) | {"Q"}  # 26 Bus classes
    assert {k for k, v in BUS_MAIN_GROUPS.items() if v == "C"} == {
        "B", "C", "Cb", "Cg", "Cgh", "Ch"
    }  # fmt: skip
    assert {k for k, v in BUS_MAIN_GROUPS.items() if v == "S"} == {
        "S", "Sa", "Sk", "Sl", "Sq", "Sr"
    }  # fmt: skip
    assert {k for k, v in BUS_MAIN_GROUPS.items() if v == "X"} == {"X", "Xc", "Xe", "Xk"}
    counts = Counter(smass.target_main_group.tolist())
    assert counts == {
        "C": 142 + 138 + 60 + 33 + 15 + 9,
        "S": 383 + 52 + 49 + 34 + 16 + 15,
        "X": 111 + 60 + 39 + 28,
        "Other": 35 + 34 + 31 + 16 + 14 + 13 + 9 + 4 + 1,
    }


def test_as_frame_and_return_x_y(shared_data):
    pd = pytest.importorskip("pandas")
    bunch = fetch_smass2(data_home=shared_data, as_frame=True)
    assert isinstance(bunch.frame, pd.DataFrame)
    assert bunch.frame.shape == (1341, 7)
    assert bunch.frame["number"].dtype == np.int64
    data, target = fetch_smass2(data_home=shared_data, return_X_y=True)
    assert isinstance(data, SpectrumBatch) and target.shape == (1341,)
    assert "Bus & Binzel" in bunch.DESCR and "Icarus 158, 146" in bunch.DESCR


def test_taxonomy_layout_errors_name_the_file_and_line():
    header = "\n" * 21
    with pytest.raises(ValueError, match=r"tax.txt, line 22: expected 'name<TAB>"):
        _parse_taxonomy(header + "1 Ceres\tG\tC\tX\n", "tax.txt")
    with pytest.raises(ValueError, match=r"tax.txt, line 23: a line that is not indented"):
        _parse_taxonomy(header + "1 Ceres\tG\tC\nCeres\t\tC\n", "tax.txt")
    with pytest.raises(ValueError, match="21-line header"):
        _parse_taxonomy("too short\n", "tax.txt")


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError, match="'n_retries' parameter of fetch_smass2"):
        fetch_smass2(n_retries=-1)
    with pytest.raises(TypeError):
        fetch_smass2("positional")


def test_spectra_without_a_class_are_left_out_with_a_warning(shared_data, tmp_path):
    home = tmp_path / "home" / "smass2"
    home.mkdir(parents=True)
    (home / "smass2data.tar.gz").symlink_to(shared_data / "smass2" / "smass2data.tar.gz")
    text = (shared_data / "smass2" / "Bus.Taxonomy.txt").read_text()
    lines = [line for line in text.splitlines(True) if not line.startswith("2 Pallas")]
    assert len(lines) == len(text.splitlines()) - 1
    (home / "Bus.Taxonomy.txt").write_text("".join(lines))
    with pytest.warns(UserWarning, match="1 spectra .* no SMASSII class .*a000002") as record:
        smass = fetch_smass2(data_home=home.parent, download_if_missing=False)
    assert record[0].filename == __file__
    assert len(smass.data) == 1340 and "2" not in smass.groups.tolist()
