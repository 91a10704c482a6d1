"""The ISO SWS reader on the real atlas and SWAA files, labels, damaged copies."""

import csv

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectrum


@pytest.fixture(scope="module")
def iso(shared_data):
    folder = shared_data / "iso_sws"
    with open(folder / "labels" / "kraemer_class_fixed.csv", newline="") as f:
        classes = {int(r["tdt"]): r for r in csv.DictReader(f, delimiter=";")}
    return folder / "spectra", classes


def test_atlas_files(iso):
    spectra, classes = iso
    files = sorted(spectra.glob("*_sws.fit"))
    assert len(files) == 7
    for path in files:
        assert identify_format(path) == "iso_sws"
        s = read_spectrum(path)
        with fits.open(path) as hdul:
            data = hdul[0].data.astype(float)
            obj = hdul[0].header["OBJECT"].strip()
        assert s.meta["layout"] == "atlas" and s.meta["object"] == obj
        assert s.meta["tdt"] == int(path.name[:8]) and s.meta["tdt"] in classes
        assert s.wavelength_unit == u.um and s.flux_unit == u.Jy
        assert 2.3 < s.wavelength[0] < 2.4 and 45.3 < s.wavelength[-1] < 45.4
        np.testing.assert_array_equal(s.flux, data[:, 1])
        np.testing.assert_allclose(s.ivar, 1.0 / data[:, 2] ** 2)
        assert (s.ivar >= 0).all() and not s.mask.any()


def test_swaa_file(iso):
    spectra, classes = iso
    path = spectra / "sws_ngc6790.fits"
    assert identify_format(path) == "iso_sws"
    s = read_spectrum(path)
    with fits.open(path) as hdul:
        table = hdul[1].data
        wave = table["SWAAWAVE"].astype(float)
        flags = table["SWAAFLAG"].astype(np.int64)
    assert s.meta["layout"] == "swaa" and s.meta["object"] == "NGC 6790"
    assert s.meta["tdt"] == 13401107 and classes[13401107]["group"] == "4"
    assert (np.diff(s.wavelength) > 0).all()
    assert s.n_pixels == np.unique(wave).size
    assert np.isnan(s.ivar).all()  # SWAASTDV is in uV/s, not a flux error
    assert s.meta["n_flagged"] == int(((flags & 0b11111) != 0).sum())


def test_damaged_copies(iso, tmp_path):
    spectra, _ = iso
    path = spectra / "06401081_sws.fit"
    bad = tmp_path / path.name
    bad.write_bytes(path.read_bytes()[:50000])
    with pytest.raises(SpectrumReadError, match="truncated") as info:
        read_spectrum(bad)
    assert path.name in str(info.value)
    wrong = tmp_path / "00000001_sws.fit"
    fits.PrimaryHDU(np.ones((10, 3)), header=fits.Header(
        {"TELESCOP": "ISO", "INSTRUME": "SWS"})).writeto(wrong)
    with pytest.raises(SpectrumReadError, match=r"wrong HDU.*\(N, 4\)"):
        read_spectrum(wrong)
    empty = tmp_path / "00000002_sws.fit"
    fits.PrimaryHDU(header=fits.Header({"TELESCOP": "ISO", "INSTRUME": "SWS"})).writeto(empty)
    with pytest.raises(SpectrumReadError, match="SWAA"):
        read_spectrum(empty)
    nan = tmp_path / "00000003_sws.fit"
    rows = np.array([[2.4, np.nan, 1, 1], [2.5, np.nan, 1, 1]])
    fits.PrimaryHDU(rows, header=fits.Header({"TELESCOP": "ISO", "INSTRUME": "SWS"})).writeto(nan)
    with pytest.raises(SpectrumReadError, match="NaN"):
        read_spectrum(nan)
