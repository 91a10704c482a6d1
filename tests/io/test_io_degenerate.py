"""Files whose content is silently nonsense are reading errors naming the file (issue 17)."""

import numpy as np
import pytest
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, read_spectrum


def _sdss(path, loglam):
    n = len(loglam)
    primary = fits.PrimaryHDU(header=fits.Header({"TELESCOP": "SDSS",
                                                  "BUNIT": "1E-17 erg/cm^2/s/Ang"}))
    table = fits.BinTableHDU.from_columns([
        fits.Column("flux", "E", array=np.linspace(1.0, 2.0, n)),
        fits.Column("loglam", "E", array=loglam),
        fits.Column("ivar", "E", array=np.ones(n))], name="COADD")
    fits.HDUList([primary, table]).writeto(path)
    return path


def test_sdss_loglam_all_zero_is_an_error_naming_the_file(tmp_path):
    path = _sdss(tmp_path / "zeros.fits", np.zeros(10))
    with pytest.raises(SpectrumReadError, match=r"zeros\.fits.*degenerate wavelength grid"):
        read_spectrum(path, format="sdss")
    # a real grid with one repeated pixel still reads (the repeat is dropped)
    good = _sdss(tmp_path / "good.fits", [3.6, 3.6001, 3.6001, 3.6002])
    assert read_spectrum(good, format="sdss").n_pixels == 3


@pytest.mark.parametrize("card", ["CDELT1", "CD1_1"])
def test_zero_wavelength_step_is_an_error(tmp_path, card):
    path = tmp_path / "step.fits"
    hdu = fits.PrimaryHDU(np.ones(10, dtype=np.float32))
    hdu.header.update({"CRVAL1": 4000.0, card: 0.0, "CRPIX1": 1.0, "CUNIT1": "Angstrom"})
    hdu.writeto(path)
    with pytest.raises(SpectrumReadError, match=rf"step\.fits.*{card} = 0\.0 is zero"):
        read_spectrum(path, format="fits")


@pytest.mark.parametrize("shape", [(3, 2), (4, 3), (4, 2)])
def test_tiny_spex_images_are_not_guessed(tmp_path, shape):
    # (3, 2) used to be read transposed: 2 "rows" of 3 pixels, wavelength and flux
    # taken from the wrong axis.
    path = tmp_path / "tiny.fits"
    rows = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape).astype(np.float32)
    fits.PrimaryHDU(rows).writeto(path)
    with pytest.raises(SpectrumReadError, match=r"tiny\.fits.*too small to tell"):
        read_spectrum(path, format="spex")
    # the stored layout (rows, pixels) of the same size still reads as rows
    wide = tmp_path / "wide.fits"
    fits.PrimaryHDU(rows.T.copy()).writeto(wide)
    s = read_spectrum(wide, format="spex")
    np.testing.assert_array_equal(s.wavelength, rows.T[0])


def test_short_csv_rows_are_rejected(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("wavelength [um],flux\n1.0,2.0\n1.1\n1.2,3.0\n")
    with pytest.raises(SpectrumReadError, match=r"short\.csv.*data row 2 has 1 fields"):
        read_spectrum(short, format="ascii")
    # an empty field is CSV's missing value: a masked pixel
    empty = tmp_path / "empty_field.csv"
    empty.write_text("wavelength [um],flux\n1.0,2.0\n1.1,\n1.2,3.0\n")
    assert read_spectrum(empty, format="ascii").mask.tolist() == [False, True, False]


def test_short_cassis_table_rows_are_rejected(shared_data, tmp_path):
    source = shared_data / "cassis_irs" / "spectra" / "cassis_tbl_spcfw_14191360t.tbl"
    lines = source.read_text().splitlines()
    last = len(lines) - 1
    lines[last] = lines[last][:30]  # cut inside the third column
    path = tmp_path / "cut.tbl"
    path.write_text("\n".join(lines) + "\n")
    assert read_spectrum(source, format="cassis_tbl").n_pixels > 300
    with pytest.raises(SpectrumReadError, match=r"cut\.tbl.*short or damaged row"):
        read_spectrum(path, format="cassis_tbl")
