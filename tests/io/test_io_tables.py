"""DeMeo 2009 and Mahlke 2022 asteroid tables: one spectrum per CSV row, on the real files."""

import gzip

import numpy as np
import pandas as pd
import pytest
from astropy import units as u

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.io import (
    SpectrumReadError,
    identify_format,
    read_spectra_file,
    read_spectrum,
)


@pytest.fixture(scope="module")
def demeo_path(shared_data):
    return shared_data / "demeo2009" / "demeo2009_splined_spectra.csv"


@pytest.fixture(scope="module")
def visnir_path(shared_data):
    return shared_data / "mahlke2022" / "csv" / "class_visnir.csv"


@pytest.fixture(scope="module")
def vis_path(shared_data):
    return shared_data / "mahlke2022" / "csv" / "class_vis.csv"


@pytest.fixture(scope="module")
def demeo(demeo_path):
    return read_spectra_file(demeo_path)


@pytest.fixture(scope="module")
def visnir(visnir_path):
    return read_spectra_file(visnir_path)


def test_identification_from_the_header(demeo_path, visnir_path, vis_path, shared_data):
    assert identify_format(demeo_path) == "demeo2009"
    assert identify_format(visnir_path) == "mahlke2022"
    assert identify_format(vis_path) == "mahlke2022"
    # the other CSV files of these folders are not spectra tables: nobody claims them
    for other in ["demeo2009/demeo2009_scores.csv", "demeo2009/demeo2009_templates.csv",
                  "mahlke2022/templates.csv", "mahlke2022/csv/class_asteroids.csv",
                  "mahlke2022/csv/reference_spectra.csv"]:
        with pytest.raises(SpectrumReadError, match="no registered format recognises"):
            identify_format(shared_data / other)


def test_demeo_table_matches_pandas(demeo, demeo_path):
    frame = pd.read_csv(demeo_path)
    spectral = [c for c in frame.columns if c[0].isdigit()]
    assert isinstance(demeo, SpectrumBatch) and demeo.on_common_grid
    assert len(demeo) == len(frame) == 372
    np.testing.assert_allclose(demeo.wavelength, [float(c) for c in spectral])
    np.testing.assert_allclose(demeo.wavelength, np.arange(41) * 0.05 + 0.45)
    assert demeo.wavelength_unit == u.um
    assert all(unit == u.dimensionless_unscaled for unit in demeo.flux_units)
    np.testing.assert_array_equal(demeo.flux, frame[spectral].to_numpy(float))
    assert np.isnan(demeo.ivar).all()  # the table gives no uncertainties
    assert not demeo.mask.any()  # and no missing values
    # normalised to unity at 0.55 micron
    np.testing.assert_allclose(demeo.flux[:, 2], 1.0, atol=1e-3)
    assert [m["class"] for m in demeo.meta] == frame["class_"].tolist()
    assert [m["name"] for m in demeo.meta] == frame["name"].tolist()
    assert [m["row"] for m in demeo.meta] == list(range(372))


def test_demeo_meta_identifiers_and_base_classes(demeo):
    numbers = [m["number"] for m in demeo.meta]
    assert numbers.count(None) == 1  # one row without a number (2002 AV)
    unnumbered = demeo.meta[numbers.index(None)]
    assert unnumbered["designation"] == unnumbered["name"] == "2002 AV"
    numbered = [m for m in demeo.meta if m["number"] is not None]
    assert all(m["designation"] == str(m["number"]) for m in numbered)
    assert len({m["number"] for m in numbered}) == 371
    bases = {m["class_base"] for m in demeo.meta}
    assert not any(b.endswith("w") for b in bases)
    pairs = {(m["class"], m["class_base"]) for m in demeo.meta}
    assert {("Sw", "S"), ("Sqw", "Sq"), ("Vw", "V"), ("S", "S")} <= pairs
    assert len(bases) <= 24


def test_mahlke_visnir_matches_pandas(visnir, visnir_path):
    frame = pd.read_csv(visnir_path, dtype={"ref_spectrum": str})
    spectral = [c for c in frame.columns if c[0].isdigit()]
    assert len(visnir) == len(frame) == 2983
    assert visnir.on_common_grid and visnir.wavelength.size == 53
    expected_grid = np.concatenate([np.arange(25) * 0.025 + 0.45, np.arange(28) * 0.05 + 1.1])
    np.testing.assert_allclose(visnir.wavelength, expected_grid)
    np.testing.assert_array_equal(visnir.flux, frame[spectral].to_numpy(float))
    np.testing.assert_array_equal(visnir.mask, frame[spectral].isna().to_numpy())
    assert [m["class"] for m in visnir.meta] == frame["class_"].tolist()
    assert [m["class_base"] for m in visnir.meta] == frame["class_sf"].tolist()
    # as given, without the empty key of a trailing ";" ("31;" -> "31")
    assert [m["ref_spectrum"] for m in visnir.meta] == [
        r.strip(";") for r in frame["ref_spectrum"]]
    assert sum(m["source_survey"] == "1" for m in visnir.meta) >= 1477  # SMASS first
    assert {m["reflectance"] for m in visnir.meta} == {"preprocessed"}
    albedo = np.array([m["log10_albedo"] for m in visnir.meta])
    np.testing.assert_array_equal(np.isnan(albedo), frame["pV"].isna().to_numpy())


def test_mahlke_meta_for_grouping(visnir):
    first = visnir.meta[0]
    assert (first["number"], first["name"], first["designation"]) == (1, "Ceres", "1")
    unnumbered = [m for m in visnir.meta if m["number"] is None]
    assert len(unnumbered) == 93
    assert all(m["designation"] == m["name"] for m in unnumbered)
    # several samples of the same asteroid: what groups= must keep together
    designations = [m["designation"] for m in visnir.meta]
    assert len(set(designations)) < len(designations)
    combined = [m for m in visnir.meta if m["ref_spectrum"] == "1;24"]
    assert combined and all(m["source_survey"] == "1" for m in combined)


def test_mahlke_visible_table_masks_the_missing_near_infrared(vis_path):
    batch = read_spectra_file(vis_path)
    assert len(batch) == 2923
    beyond = batch.wavelength > 1.0
    assert batch.mask[:, beyond].mean() > 0.95
    assert np.isnan(batch.flux[batch.mask]).all()
    # the float-formatted keys of this file ("3.0") come out as in the other one
    assert batch.meta[0]["ref_spectrum"] == "3"


def test_mahlke_linear_reflectance_is_exp_normalised_at_055(visnir_path, visnir):
    linear = read_spectrum(visnir_path, index=10, reflectance="linear")
    raw = visnir[10]
    at = int(np.flatnonzero(np.isclose(raw.wavelength, 0.55))[0])
    np.testing.assert_allclose(linear.flux, np.exp(raw.flux) / np.exp(raw.flux[at]))
    assert linear.flux[at] == pytest.approx(1.0)
    assert linear.meta["reflectance"] == "normalised"
    with pytest.raises(ValueError, match="reflectance must be"):
        read_spectrum(visnir_path, index=0, reflectance="log")


def test_read_spectrum_takes_one_row(demeo_path, demeo):
    last = read_spectrum(demeo_path, index=-1)
    np.testing.assert_array_equal(last.flux, demeo.flux[-1])
    assert last.meta == demeo.meta[-1]
    with pytest.raises(SpectrumReadError, match="holds 372 spectra; pass index="):
        read_spectrum(demeo_path)
    with pytest.raises(IndexError, match="out of range"):
        read_spectrum(demeo_path, index=372)


def _slice(path, tmp_path, n_rows, name=None):
    lines = path.read_text().splitlines(keepends=True)
    out = tmp_path / (name or path.name)
    out.write_text("".join(lines[: n_rows + 1]))
    return out, lines


def test_gzip_copy_reads_the_same(demeo_path, tmp_path):
    small, _ = _slice(demeo_path, tmp_path, 5)
    packed = tmp_path / "demeo.csv.gz"
    packed.write_bytes(gzip.compress(small.read_bytes()))
    assert identify_format(packed) == "demeo2009"
    a, b = read_spectra_file(small), read_spectra_file(packed)
    np.testing.assert_array_equal(a.flux, b.flux)


def test_all_missing_row_is_kept_masked(visnir_path, tmp_path):
    _, lines = _slice(visnir_path, tmp_path, 0)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    for i, name in enumerate(header):
        if name[0].isdigit():
            row[i] = ""
    bad = tmp_path / "class_visnir.csv"
    bad.write_text(lines[0] + ",".join(row) + "\n" + lines[2])
    batch = read_spectra_file(bad)
    assert len(batch) == 2 and batch.mask[0].all() and not batch.mask[1].all()


@pytest.mark.parametrize("fmt", ["demeo2009", "mahlke2022"])
def test_bad_tables_raise_named_errors(fmt, demeo_path, visnir_path, tmp_path):
    path = demeo_path if fmt == "demeo2009" else visnir_path
    _, lines = _slice(path, tmp_path, 0, name="x.csv")
    header, row = lines[0], lines[1]
    fields = row.rstrip("\n").split(",")
    first = next(i for i, c in enumerate(header.split(",")) if c[0].isdigit())
    fields[first] = "abc"
    cases = {
        "short_row": (header + row.rstrip("\n") + ",extra\n", "mismatched lengths: data row 1"),
        "header_only": (header, "header but no rows"),
        "empty": ("", "empty"),
        "non_numeric": (header + ",".join(fields) + "\n", "non-numeric reflectance 'abc'"),
        "binary": ("\x00\x01" * 50, "NUL bytes|mismatched|expected columns"),
    }
    for name, (text, why) in cases.items():
        bad = tmp_path / f"{name}.csv"
        bad.write_text(text)
        with pytest.raises(SpectrumReadError, match=rf"{name}\.csv.*({why})"):
            read_spectra_file(bad, format=fmt)


def test_wavelength_columns_out_of_order(tmp_path):
    bad = tmp_path / "demeo.csv"
    bad.write_text("0.50,0.45,name,number,class_\n1,1,Ceres,1,C\n")
    with pytest.raises(SpectrumReadError, match="non-monotonic wavelengths"):
        read_spectra_file(bad, format="demeo2009")
    missing = tmp_path / "nolabel.csv"
    missing.write_text("0.45,0.50,name,number\n1,1,Ceres,1\n")
    with pytest.raises(SpectrumReadError, match="missing column.*class_"):
        read_spectra_file(missing, format="demeo2009")
