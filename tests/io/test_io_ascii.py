"""Generic text tables (format "ascii"): ECSV, CSV and whitespace columns."""

import gzip

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectrum


@pytest.fixture(scope="module")
def spex(one_spex_file):
    """A real SpeX spectrum (with uncertainties) to write out as text."""
    return read_spectrum(one_spex_file)


def _sigma(s):
    with np.errstate(divide="ignore"):
        return np.where(s.ivar > 0, 1.0 / np.sqrt(s.ivar), np.nan)


def test_ecsv_round_trip_of_a_real_spectrum(spex, tmp_path):
    table = Table({"wavelength": spex.wavelength * spex.wavelength_unit,
                   "flux": spex.flux * spex.flux_unit,
                   "uncertainty": _sigma(spex) * spex.flux_unit})
    table.meta["object"] = "2MASS J0000"
    path = tmp_path / "spex.ecsv"
    table.write(path)
    assert identify_format(path) == "ascii"
    back = read_spectrum(path)
    np.testing.assert_allclose(back.wavelength, spex.wavelength)
    np.testing.assert_allclose(back.flux[~spex.mask], spex.flux[~spex.mask])
    np.testing.assert_allclose(back.ivar[~spex.mask], spex.ivar[~spex.mask], rtol=1e-12)
    assert back.wavelength_unit == spex.wavelength_unit
    assert back.flux_unit == spex.flux_unit
    assert back.meta["table_meta"]["object"] == "2MASS J0000"
    assert back.meta["columns"]["uncertainty"] == "uncertainty"


def test_csv_with_units_in_the_column_names(spex, tmp_path):
    path = tmp_path / "spex.csv"
    rows = ["Wavelength [um],FLUX (W m-2 um-1),ivar"]
    wave = spex.wavelength_quantity.to_value(u.um)
    flux = spex.flux_quantity.to_value(u.W / u.m**2 / u.um)
    rows += [f"{float(w)!r},{float(f)!r},1.0" for w, f in zip(wave, flux)]
    path.write_text("\n".join(rows) + "\n")
    assert identify_format(path) == "ascii"
    back = read_spectrum(path)
    assert back.wavelength_unit == u.um and back.flux_unit == u.W / u.m**2 / u.um
    np.testing.assert_allclose(back.wavelength, wave)
    np.testing.assert_allclose(back.flux, flux, rtol=1e-12)
    assert (back.ivar == 1.0).all()


def test_whitespace_table_with_commented_header_and_mask(tmp_path):
    path = tmp_path / "star.txt"
    path.write_text("# lambda flux err mask\n5000 1.0 0.5 0\n5001 2.0 0.5 1\n5002 nan 0.5 0\n")
    s = read_spectrum(path, wavelength_unit="Angstrom", flux_unit="Jy")
    assert s.wavelength_unit == u.AA and s.flux_unit == u.Jy
    assert s.mask.tolist() == [False, True, True]
    assert s.ivar.tolist() == [4.0, 4.0, 4.0]


def test_decreasing_and_unordered_grids_are_sorted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("wave [um],flux\n1.2,3\n1.0,1\n1.1,2\n1.1,9\n-1,5\n")
    s = read_spectrum(path)
    assert s.wavelength.tolist() == [1.0, 1.1, 1.2] and s.flux.tolist() == [1.0, 2.0, 3.0]
    assert s.meta["sorted"] and s.meta["n_dropped_pixels"] == 2


def test_gzip_text(tmp_path):
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(b"wave [um],flux\n1.0,1\n1.1,2\n"))
    assert identify_format(path) == "ascii"
    assert read_spectrum(path).flux.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "name, text, why",
    [
        ("nounit.csv", "wave,flux\n1,2\n2,3\n", "no wavelength unit"),
        ("badunit.csv", "wave [cubits],flux\n1,2\n2,3\n", "unknown unit of 'wave \\[cubits\\]'"),
        ("notlength.csv", "wave [Jy],flux\n1,2\n2,3\n", "not a unit of length"),
        ("short.dat", "wave flux\n1 2\n2 3 4\n", "mismatched lengths"),
        ("text.csv", "wave [um],flux\n1,a\n2,b\n", "column 'flux' is not numeric"),
        ("noflux.csv", "wave [um],counts\n1,2\n2,3\n", "needs a wavelength column"),
        ("header.csv", "wave [um],flux\n", "no rows"),
        ("allnan.csv", "wave [um],flux\n1,nan\n2,nan\n", "all flux values are NaN"),
        ("nowave.csv", "wave [um],flux\n-1,1\n0,2\n", "no pixel has a finite, positive"),
        ("empty.csv", "", "not a readable text table"),
        ("binary.csv", "\x00\x01\x02" * 40, "not a readable text table|needs a wavelength"),
    ],
)
def test_bad_tables(tmp_path, name, text, why):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SpectrumReadError, match=rf"{name.replace('.', '[.]')}.*({why})"):
        read_spectrum(path, format="ascii")


def test_unknown_unit_in_ecsv_header(tmp_path):
    path = tmp_path / "u.ecsv"
    t = Table({"wavelength": [1.0, 2.0], "flux": [1.0, 2.0]})
    t["wavelength"].unit = u.Unit("cubit", parse_strict="silent")
    t.write(path)
    with pytest.raises(SpectrumReadError, match="u[.]ecsv.*unknown unit of 'wavelength'"):
        read_spectrum(path)


def test_identification_needs_both_columns_and_a_text_suffix(tmp_path):
    for name, text in [("a.dat", "wave_number,flux\n1,2\n"), ("b.csv", "wavelength,counts\n"),
                       ("c.fits", "wavelength,flux\n1,2\n")]:
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(SpectrumReadError, match="no registered format"):
            identify_format(path)
    smass = tmp_path / "a000001.[2]"
    smass.write_text("0.5 1.0 0.1\n")
    assert identify_format(smass) == "smass"
