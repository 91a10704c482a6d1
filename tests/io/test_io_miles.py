"""The MILES reader on all 985 real files, against the label CSV, and damaged copies."""

import csv

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectra, read_spectrum


def truncated(path, tmp_path, fraction=0.5):
    out = tmp_path / f"truncated_{path.name}"
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.fixture(scope="module")
def miles(shared_data):
    folder = shared_data / "miles"
    with open(folder / "labels" / "miles_labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return folder, rows


def test_all_files_read_on_the_air_grid(miles):
    folder, rows = miles
    paths = [folder / row["file"] for row in rows]
    assert len(paths) == 985
    batch = read_spectra(paths, format="miles")
    assert len(batch) == 985
    # PROVENANCE: linear grid 3540.5 + 0.9 * i Angstrom, 4300 pixels, in air
    expected = 3540.5 + 0.9 * np.arange(4300)
    for row, s in zip(rows, batch.spectra):
        np.testing.assert_allclose(s.wavelength, expected)
        assert s.wavelength_unit == u.AA and s.flux_unit is None
        assert s.meta["wavelength_medium"] == "air"
        assert s.meta["miles_id"] == row["miles_id"]
        assert np.isnan(s.ivar).all()


def test_identified_and_padding_masked(miles):
    folder, _ = miles
    good = folder / "spectra" / "MILES_res2.50_star_m0001V.fits"
    odd = folder / "spectra" / "MILES_res2.50_star_m0970V.fits"  # shortened, zero-padded
    assert identify_format(good) == "miles" and identify_format(odd) == "miles"
    assert not read_spectrum(good).mask.any()
    flux = fits.getdata(odd).astype(float)
    s = read_spectrum(odd)
    last = np.flatnonzero(flux != 0)[-1]
    assert last < flux.size - 1
    np.testing.assert_array_equal(s.mask, np.arange(flux.size) > last)
    assert s.meta["n_padded"] == flux.size - 1 - last


def test_damaged_copies(miles, tmp_path):
    folder, _ = miles
    path = folder / "spectra" / "MILES_res2.50_star_m0001V.fits"
    bad = truncated(path, tmp_path)
    with pytest.raises(SpectrumReadError, match="truncated") as info:
        read_spectrum(bad, format="miles")
    assert bad.name in str(info.value)
    head = tmp_path / "MILES_head.fits"
    head.write_bytes(path.read_bytes()[:400])  # cut before the END card
    with pytest.raises(SpectrumReadError, match="END card"):
        read_spectrum(head, format="miles")
    table = tmp_path / "MILES_table.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(
        [fits.Column("flux", "E", array=[1.0])])]).writeto(table)
    with pytest.raises(SpectrumReadError, match="wrong HDU"):
        read_spectrum(table, format="miles")


def test_bad_headers(tmp_path):
    def write(name, flux, **cards):
        path = tmp_path / name
        fits.PrimaryHDU(np.asarray(flux, dtype=float), header=fits.Header(
            {"TPLLIB": "MILES", **cards})).writeto(path)
        return path

    with pytest.raises(SpectrumReadError, match="CRVAL1"):
        read_spectrum(write("a.fits", [1.0, 2.0], CDELT1=0.9))
    with pytest.raises(SpectrumReadError, match="positive"):
        read_spectrum(write("b.fits", [1.0, 2.0], CRVAL1=3540.5, CDELT1=-0.9))
    with pytest.raises(SpectrumReadError, match="NaN"):
        read_spectrum(write("c.fits", [np.nan, np.nan], CRVAL1=3540.5, CDELT1=0.9))
    with pytest.raises(SpectrumReadError, match="CUNIT1"):
        read_spectrum(write("d.fits", [1.0, 2.0], CRVAL1=3540.5, CDELT1=0.9, CUNIT1="Jy"))
