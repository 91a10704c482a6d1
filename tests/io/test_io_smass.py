"""The SMASSII reader on every member of the real archive, parsed in memory."""

import io
import re
import tarfile

import numpy as np
import pytest
from astropy import units as u

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectrum
from spectra_sklearn.io.smass import designation_from_name, parse_smass_text


@pytest.fixture(scope="module")
def members(shared_data):
    """name -> bytes of every regular file in smass2data.tar.gz (nothing extracted)."""
    with tarfile.open(shared_data / "smass2" / "smass2data.tar.gz", "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


@pytest.fixture(scope="module")
def taxonomy_names(shared_data):
    """The first column of Bus.Taxonomy.txt: numbers and provisional designations."""
    names = set()
    text = (shared_data / "smass2" / "Bus.Taxonomy.txt").read_text(errors="replace")
    for line in text.splitlines()[21:]:
        first = line.split("\t")[0]
        if not first.strip():
            continue
        parts = first.split()
        if first[0].isdigit():  # "1 Ceres"
            names.add(parts[0])
        else:  # unnumbered, indented: "      1995 BM2"
            names.add(" ".join(parts[:2]))
    return names


def _spectra(members):
    return {n: b for n, b in members.items() if n.endswith(".[2]") and ".spfit." not in n}


def test_every_spectrum_member_parses(members, taxonomy_names):
    spectra = _spectra(members)
    assert len(spectra) == 1341
    for name, data in spectra.items():
        s = parse_smass_text(data, source=name)
        table = np.loadtxt(io.BytesIO(data), ndmin=2)  # independent parse
        good = table[:, 0] > 0
        np.testing.assert_array_equal(s.wavelength, table[good, 0])
        np.testing.assert_array_equal(s.flux, table[good, 1])
        np.testing.assert_allclose(s.ivar, table[good, 2] ** -2.0)
        assert s.wavelength_unit == u.um and s.flux_unit == u.dimensionless_unscaled
        assert 0.43 <= s.wavelength[0] and s.wavelength[-1] <= 0.93
        assert s.meta["source"] == name and s.meta["spline_fit"] is False
        # PROVENANCE.md: with this naming rule all 1341 spectra match a taxonomy row
        assert s.meta["designation"] in taxonomy_names
        assert s.meta.get("n_dropped_rows", 0) == int((~good).sum())


@pytest.mark.parametrize("member, n_bad", [("smass2/a003861.[2]", 1), ("smass2/a006847.[2]", 23)])
def test_rows_with_zero_wavelength_are_dropped(members, member, n_bad):
    data = members[member]
    n_rows = len([line for line in data.decode().splitlines() if line.strip()])
    s = parse_smass_text(data, source=member)
    assert s.meta["n_dropped_rows"] == n_bad
    assert s.n_pixels == n_rows - n_bad
    assert np.all(s.wavelength > 0) and not s.mask.any()


def test_every_spline_fit_member_parses(members):
    fits_ = {n: b for n, b in members.items() if n.endswith(".spfit.[2]")}
    assert len(fits_) == 1341
    for name, data in fits_.items():
        s = parse_smass_text(data.decode(), source=name)
        assert s.meta["spline_fit"] is True
        assert np.isnan(s.ivar).all()
        assert s.n_pixels == len(data.split()) // 2


def test_designations_from_names():
    assert designation_from_name("smass2/a000001.[2]") == (1, "1", False)
    assert designation_from_name("a006847.[2]") == (6847, "6847", False)
    assert designation_from_name("smass2/au1996PW.[2]") == (None, "1996 PW", False)
    assert designation_from_name("au1997CZ5.spfit.[2]") == (None, "1997 CZ5", True)
    assert designation_from_name("notes.txt") == (None, None, False)


def test_member_written_to_disk_reads_by_path(members, tmp_path):
    path = tmp_path / "a000004.[2]"
    path.write_bytes(members["smass2/a000004.[2]"])
    assert identify_format(path) == "smass"
    auto = read_spectrum(path)
    explicit = read_spectrum(path, format="smass")
    np.testing.assert_array_equal(auto.flux, explicit.flux)
    assert auto.meta["number"] == 4 and auto.meta["designation"] == "4"
    assert auto.meta["source"] == str(path)


def test_crlf_and_text_input_parse_alike(members):
    data = members["smass2/a000001.[2]"]
    crlf = data.replace(b"\n", b"\r\n")
    a = parse_smass_text(data)
    b = parse_smass_text(crlf.decode())
    np.testing.assert_array_equal(a.flux, b.flux)
    assert a.meta["designation"] is None and a.meta["source"] is None


def test_nonpositive_uncertainty_masks_pixel():
    s = parse_smass_text("0.50 1.0 0.01\n0.51 1.1 0.0\n0.52 1.2 -0.1\n")
    assert s.ivar.tolist() == [pytest.approx(1e4), 0.0, 0.0]
    assert s.mask.tolist() == [False, True, True]


@pytest.mark.parametrize(
    "text, why",
    [
        ("", "empty"),
        ("0.5 1.0 0.1\n0.6 1.1\n", "mismatched lengths: row 2"),
        ("0.5 1.0 0.1 4\n", "expected 2 or 3 columns"),
        ("0.5 abc 0.1\n", "non-numeric"),
        ("0.0 0.0 0.0\n", "no row has a positive wavelength"),
        ("0.5 1.0 0.1\n0.7 1.0 0.1\n0.6 1.0 0.1\n", "strictly increasing"),
        (b"\xff\xfe", "not an ASCII text file"),
    ],
)
def test_bad_text_names_the_source(text, why):
    with pytest.raises(SpectrumReadError, match=re.escape("'smass2/a000009.[2]'") + ".*" + why):
        parse_smass_text(text, source="smass2/a000009.[2]")


def test_missing_file_is_a_read_error(tmp_path):
    with pytest.raises(SpectrumReadError, match=re.escape("a000001.[2]") + ".*no such file"):
        read_spectrum(tmp_path / "a000001.[2]", format="smass")
