"""fetch_spex_prism on the real data home (SpeX Prism Library, Burgasser 2014)."""

import csv
import hashlib
import io
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import fetch_spex_prism

# An M/L/T type as SPLAT writes it: letter, subtype, optional ':' marks.
MLT = re.compile(r"([MLT])(\d(?:\.\d+)?)(:*)")


def _raw_rows(shared_data):
    """The metadata rows read independently of the package (csv module)."""
    text = (shared_data / "spex_prism" / "metadata" / "spectral_data.txt").read_text()
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="\t"))


def _stat_tree(folder):
    return {p: p.stat().st_mtime_ns for p in sorted(Path(folder).rglob("*"))}


@pytest.fixture(scope="module")
def spex(shared_data):
    before = _stat_tree(shared_data / "spex_prism")
    bunch = fetch_spex_prism(data_home=shared_data, download_if_missing=False)
    assert _stat_tree(shared_data / "spex_prism") == before  # nothing modified
    return bunch


def test_default_keeps_typed_mlt_spectra_of_ok_quality(spex, shared_data):
    rows = _raw_rows(shared_data)
    assert len(rows) > 2000
    expected = [
        r for r in rows if r["QUALITY_FLAG"] == "OK" and MLT.fullmatch(r["SPEX_TYPE"].strip())
    ]
    assert len(spex.data) == len(spex.target) == len(expected)
    assert isinstance(spex.data, SpectrumBatch)
    assert Counter(spex.target_class.tolist()) == Counter(r["SPEX_TYPE"][0] for r in expected)
    assert set(spex.target_class.tolist()) == {"M", "L", "T"}
    assert spex.frame["DATA_KEY"].tolist() == [int(r["DATA_KEY"]) for r in expected]
    assert spex.target.tolist() == [r["SPEX_TYPE"].strip().rstrip(":") for r in expected]


def test_groups_are_the_source_key_of_each_file(spex):
    # files are named <DATA_KEY>_<SOURCE_KEY>.fits.gz
    for group, filename, spectrum in zip(spex.groups, spex.filenames, spex.data):
        data_key, source_key = Path(filename).name.removesuffix(".fits.gz").split("_")
        assert group == int(source_key)
        assert spectrum.meta["source"] == filename
    assert spex.groups.dtype == np.int64
    assert len(set(spex.groups.tolist())) < len(spex.groups)  # repeated objects exist


def test_spectra_are_near_infrared(spex):
    for spectrum in spex.data[:200]:
        assert 0.6 < spectrum.wavelength[0] < 0.7
        assert 2.4 < spectrum.wavelength[-1] < 2.6
        assert spectrum.wavelength_unit == "um"


def test_frame_derived_columns(spex):
    frame = spex.frame
    assert frame.dtype.names[:3] == ("DATA_KEY", "SOURCE_KEY", "DATA_FILE")
    assert len(frame.dtype.names) == 22 + 6 + 14  # + the sources.csv catalogue columns
    assert np.array_equal(frame["SOURCE_KEY"], spex.groups)
    offsets = {"M": 0, "L": 10, "T": 20}
    for row in frame[:300]:
        match = MLT.fullmatch(row["SPEX_TYPE"])
        assert row["spectral_class"] == match[1]
        assert row["subtype"] == float(match[2])
        assert row["spectral_index"] == offsets[match[1]] + float(match[2])
        assert row["type_uncertain"] == bool(match[3])
        assert row["filename"] == row["DATA_FILE"] + ".gz"
    assert frame["spectral_index"].min() >= 0 and frame["spectral_index"].max() <= 29.5
    assert frame["MEDIAN_SNR"].dtype == np.float64


def _subset_home(shared_data, tmp_path, n_each=4):
    """A data home holding a few rows of every kind (OK/POOR/BG, typed or not)."""
    rows = _raw_rows(shared_data)
    kinds = Counter()
    keep = []
    for row in rows:
        kind = (row["QUALITY_FLAG"], bool(MLT.fullmatch(row["SPEX_TYPE"].strip())))
        if kinds[kind] < n_each:
            kinds[kind] += 1
            keep.append(row)
    raw = (shared_data / "spex_prism" / "metadata" / "spectral_data.txt").read_bytes()
    lines = raw.split(b"\r")
    wanted = {r["DATA_KEY"].encode() for r in keep}
    chosen = [line for line in lines[1:] if line.split(b"\t")[0] in wanted]
    home = tmp_path / "home"
    (home / "spex_prism" / "metadata").mkdir(parents=True)
    (home / "spex_prism" / "spectra").mkdir()
    (home / "spex_prism" / "metadata" / "spectral_data.txt").write_bytes(
        b"\r".join([lines[0], *chosen]) + b"\r"
    )
    (home / "spex_prism" / "metadata" / "sources.csv").symlink_to(
        shared_data / "spex_prism" / "metadata" / "sources.csv"
    )
    for r in keep:
        name = r["DATA_FILE"] + ".gz"
        (home / "spex_prism" / "spectra" / name).symlink_to(
            shared_data / "spex_prism" / "spectra" / name
        )
    return home, keep


@pytest.mark.parametrize(
    "quality, include_unlabelled",
    [("OK", False), ("POOR", False), (["OK", "BG"], True), (None, True), (None, False)],
)
def test_quality_and_label_filters(shared_data, tmp_path, quality, include_unlabelled):
    home, rows = _subset_home(shared_data, tmp_path)
    flags = {"OK", "POOR", "BG"} if quality is None else {quality} if isinstance(
        quality, str
    ) else set(quality)
    expected = [
        r["DATA_KEY"] for r in rows
        if r["QUALITY_FLAG"] in flags
        and (include_unlabelled or MLT.fullmatch(r["SPEX_TYPE"].strip()))
    ]  # fmt: skip
    bunch = fetch_spex_prism(
        data_home=home, quality=quality, include_unlabelled=include_unlabelled,
        download_if_missing=False,
    )  # fmt: skip
    assert [str(k) for k in bunch.frame["DATA_KEY"]] == expected
    unlabelled = bunch.frame["spectral_class"] == ""
    assert unlabelled.any() == include_unlabelled  # every flag has untyped rows
    assert np.isnan(bunch.frame["subtype"][unlabelled]).all()


def test_file_without_metadata_row_is_ignored(shared_data, tmp_path):
    home, rows = _subset_home(shared_data, tmp_path, n_each=1)
    extra = home / "spex_prism" / "spectra" / "12090_11825 copy.fits.gz"
    extra.symlink_to(shared_data / "spex_prism" / "spectra" / "12090_11825 copy.fits.gz")
    bunch = fetch_spex_prism(data_home=home, quality=None, include_unlabelled=True)
    assert "12090_11825 copy.fits.gz" not in [Path(f).name for f in bunch.filenames]
    assert len(bunch.data) == len(rows)


def test_as_frame_and_return_x_y(shared_data, tmp_path):
    pd = pytest.importorskip("pandas")
    home, _ = _subset_home(shared_data, tmp_path)
    bunch = fetch_spex_prism(data_home=home, as_frame=True)
    assert isinstance(bunch.frame, pd.DataFrame)
    assert list(bunch.frame["spectral_type"]) == bunch.target.tolist()
    data, target = fetch_spex_prism(data_home=home, return_X_y=True)
    assert len(data) == len(target) == len(bunch.target)
    assert "Burgasser" in bunch.DESCR and "MIT" in bunch.DESCR


@pytest.mark.parametrize("quality", ["GOOD", ["OK", "bad"], []])
def test_unknown_quality_flag_is_rejected(quality, tmp_path):
    with pytest.raises(ValueError, match="'quality' parameter of fetch_spex_prism"):
        fetch_spex_prism(data_home=tmp_path, quality=quality)


def test_malformed_metadata_names_the_file(tmp_path):
    meta = tmp_path / "spex_prism" / "metadata" / "spectral_data.txt"
    meta.parent.mkdir(parents=True)
    meta.write_bytes(b"DATA_KEY\tSOURCE_KEY\tDATA_FILE\tQUALITY_FLAG\tSPEX_TYPE\r1\t2\tx\r")
    with pytest.raises(ValueError, match="spectral_data.txt, data line 2: 3 tab-sep"):
        fetch_spex_prism(data_home=tmp_path, download_if_missing=False)
    meta.write_bytes(b"DATA_KEY\tTYPE\r1\tM1\r")
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['SOURCE_KEY'"):
        fetch_spex_prism(data_home=tmp_path, download_if_missing=False)


def test_metadata_bytes_unchanged(shared_data, spex):
    path = shared_data / "spex_prism" / "metadata" / "spectral_data.txt"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    fetch_spex_prism(data_home=shared_data, quality="POOR", return_X_y=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


CATALOGUE = ("J_2MASS", "J_2MASS_E", "H_2MASS", "H_2MASS_E", "KS_2MASS", "KS_2MASS_E",
             "PARALLAX", "PARALLAX_E", "MU", "MU_E", "MU_RA", "MU_DEC", "VTAN", "VTAN_E")


def _raw_sources(shared_data):
    """sources.csv read independently of the package: SOURCE_KEY -> row."""
    path = shared_data / "spex_prism" / "metadata" / "sources.csv"
    with open(path, newline="", encoding="latin-1") as f:
        return {int(r["SOURCE_KEY"]): r for r in csv.DictReader(f)}


def _expected(row, name):
    return float(row[name]) if row is not None and row[name].strip() else float("nan")


def test_catalogue_columns_joined_on_source_key(spex, shared_data):
    sources = _raw_sources(shared_data)
    frame = spex.frame
    for i in range(0, len(spex.data), 7):
        row = sources.get(int(frame["SOURCE_KEY"][i]))
        meta = spex.data[i].meta
        for name in CATALOGUE:
            expected = _expected(row, name)
            np.testing.assert_equal(frame[name][i], expected)
            np.testing.assert_equal(meta[name], expected)
        np.testing.assert_equal(meta["MEDIAN_SNR"], frame["MEDIAN_SNR"][i])
    # missing values are the normal case, as the issue measured on these spectra
    known = {name: np.isfinite(frame[name]).mean() for name in CATALOGUE}
    assert known["J_2MASS"] > 0.95
    assert 0.5 < known["MU"] < 0.7 and 0.15 < known["VTAN"] < 0.3
    assert 0.08 < known["PARALLAX"] < 0.2
    # the columns derived from spectral types are not joined
    for leaky in ("OPT_TYPE", "NIR_TYPE", "LIT_TYPE", "SIMBAD_SPT", "DISTANCE_PHOT",
                  "GRAVITY_CLASS_NIR", "GRAVITY_CLASS_OPTICAL"):
        assert leaky not in frame.dtype.names and leaky not in spex.data[0].meta


def test_missing_sources_file_is_reported(shared_data, tmp_path):
    home, _ = _subset_home(shared_data, tmp_path, n_each=1)
    (home / "spex_prism" / "metadata" / "sources.csv").unlink()
    with pytest.raises(FileNotFoundError, match="sources.csv"):
        fetch_spex_prism(data_home=home, download_if_missing=False)
