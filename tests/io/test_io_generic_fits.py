"""The generic 1-D FITS reader: MILES and SDSS files, and synthetic files with known grids."""

import gzip
import re
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Table

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectra, read_spectrum

# -- real files ------------------------------------------------------------------------


def test_every_miles_file_reads_on_the_documented_grid(shared_data):
    files = sorted((shared_data / "miles" / "spectra").glob("*.fits"))
    assert len(files) == 985
    batch = read_spectra(files, format="fits")  # format=None identifies them as "miles"
    # miles/PROVENANCE.md: 4300 px, CRVAL1 = 3540.5, CDELT1 = 0.9 A, CRPIX1 = 1 (air)
    expected = 3540.5 + 0.9 * np.arange(4300)
    assert batch.on_common_grid
    np.testing.assert_allclose(batch.wavelength, expected, rtol=0, atol=1e-9)
    assert batch.wavelength_unit == u.AA
    assert batch.flux_units == [None] * 985
    assert {m["format"] for m in batch.meta} == {"fits"}
    for i in (0, 500, 984):
        np.testing.assert_array_equal(batch.flux[i], fits.getdata(files[i]))


@pytest.fixture(scope="module")
def sdss_files(shared_data):
    files = sorted((shared_data / "sdss_spectra").glob("*.fits"))
    assert len(files) == 2
    return files


def test_sdss_coadd_table(sdss_files):
    for path in sdss_files:
        with fits.open(path) as hdul:
            coadd = hdul["COADD"].data
            loglam = np.asarray(coadd["loglam"], dtype=np.float64)
            flux = np.asarray(coadd["flux"], dtype=np.float64)
            ivar = np.asarray(coadd["ivar"], dtype=np.float64)
            and_mask = np.asarray(coadd["and_mask"])
        s = read_spectrum(path, format="fits")
        assert identify_format(path) == "sdss" and s.meta["hdu"] == 1
        np.testing.assert_allclose(s.wavelength, 10.0**loglam, rtol=1e-12)
        np.testing.assert_array_equal(s.flux, flux)
        np.testing.assert_array_equal(s.ivar, np.where(ivar > 0, ivar, 0.0))
        np.testing.assert_array_equal(s.mask, (and_mask != 0) | ~(ivar > 0))
        assert s.wavelength_unit == u.AA
        # PRIMARY BUNIT '1E-17 erg/cm^2/s/Ang'
        assert s.flux_unit == 1e-17 * u.erg / u.s / u.cm**2 / u.AA
        assert 3790 < s.wavelength[0] < 3830 and 9200 < s.wavelength[-1] < 9210


def test_sdss_hdu_option(sdss_files):
    path = sdss_files[0]
    by_index = read_spectrum(path, format="fits", hdu=1)
    by_name = read_spectrum(path, format="fits", hdu="COADD")
    np.testing.assert_array_equal(by_index.flux, by_name.flux)
    pattern = re.escape(path.name) + ".*SPECOBJ.*needs a wavelength"
    with pytest.raises(SpectrumReadError, match=pattern):
        read_spectrum(path, format="fits", hdu="SPECOBJ")
    with pytest.raises(SpectrumReadError, match=re.escape(path.name) + ".*there is no HDU 99"):
        read_spectrum(path, format="fits", hdu=99)


def test_iso_sws_auto_analysis_table_is_rejected_clearly(shared_data):
    path = shared_data / "iso_sws" / "spectra" / "sws_ngc6790.fits"
    with pytest.raises(SpectrumReadError, match=r"sws_ngc6790\.fits.*SWAAWAVE"):
        read_spectrum(path, format="fits")


def test_iso_sws_atlas_image_is_not_generic_fits(shared_data):
    path = shared_data / "iso_sws" / "spectra" / "02400714_sws.fit"
    assert identify_format(path) == "iso_sws"
    with pytest.raises(SpectrumReadError, match=r"02400714_sws\.fit.*'fits'"):
        read_spectrum(path, format="fits")


# -- synthetic files with known answers ------------------------------------------------


def _image(tmp_path, name, flux, **cards):
    path = tmp_path / name
    fits.PrimaryHDU(np.asarray(flux, dtype=np.float64), header=fits.Header(cards)).writeto(path)
    return path


def test_linear_wcs_with_cd_and_reference_pixel(tmp_path):
    path = _image(tmp_path, "lin.fits", [1, 2, 3, 4, 5],
                  CRVAL1=5000.0, CD1_1=1.5, CDELT1=99.0, CRPIX1=3.0)
    s = read_spectrum(path)
    assert s.wavelength.tolist() == [4997.0, 4998.5, 5000.0, 5001.5, 5003.0]
    assert s.meta["wavelength_solution"] == "linear" and s.wavelength_unit == u.AA
    assert np.isnan(s.ivar).all() and s.flux_unit is None


def test_linear_wcs_units_from_cunit1_and_wat(tmp_path):
    nm = _image(tmp_path, "nm.fits", [1, 2, 3], CRVAL1=500.0, CDELT1=0.5, CUNIT1="nm",
                BUNIT="Jy")
    s = read_spectrum(nm)
    assert s.wavelength_unit == u.nm and s.flux_unit == u.Jy
    assert s.wavelength.tolist() == [500.0, 500.5, 501.0]
    wat = _image(tmp_path, "wat.fits", [1, 2, 3], CRVAL1=1.0, CDELT1=0.5,
                 WAT1_001="wtype=linear label=Wavelength units=microns")
    assert read_spectrum(wat).wavelength_unit == u.um


def test_fits_log_wcs(tmp_path):
    # Greisen et al. 2006: WAVE-LOG, lambda = CRVAL1 exp(CDELT1 (p - CRPIX1) / CRVAL1)
    path = _image(tmp_path, "log.fits", np.ones(4), CTYPE1="WAVE-LOG", CRVAL1=2.0,
                  CDELT1=0.02, CRPIX1=2.0, CUNIT1="um")
    s = read_spectrum(path)
    p = np.arange(1, 5)
    np.testing.assert_allclose(s.wavelength, 2.0 * np.exp(0.02 * (p - 2.0) / 2.0), rtol=1e-14)
    assert s.meta["wavelength_solution"] == "log" and s.wavelength_unit == u.um


def test_iraf_dc_flag_log10(tmp_path):
    path = _image(tmp_path, "iraf.fits", np.ones(3), CRVAL1=3.6, CDELT1=1e-4, **{"DC-FLAG": 1})
    s = read_spectrum(path)
    np.testing.assert_allclose(s.wavelength, [10**3.6, 10**3.6001, 10**3.6002], rtol=1e-13)


def test_sdss_coefficients_log10(tmp_path):
    path = _image(tmp_path, "coeff.fits", np.ones(3), COEFF0=3.5793, COEFF1=1e-4)
    s = read_spectrum(path)
    np.testing.assert_allclose(s.wavelength, [10**3.5793, 10**3.5794, 10**3.5795], rtol=1e-13)


def test_length_one_axes_are_squeezed_and_gzip_works(tmp_path):
    path = tmp_path / "row.fits"
    header = fits.Header({"CRVAL1": 1.0, "CDELT1": 1.0})
    fits.PrimaryHDU(np.ones((1, 4)), header=header).writeto(path)
    packed = tmp_path / "row.fits.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert read_spectrum(packed).wavelength.tolist() == [1.0, 2.0, 3.0, 4.0]


def _table(tmp_path, name, columns, units=None, primary=None):
    table = Table(columns)
    for column, unit in (units or {}).items():
        table[column].unit = unit
    hdul = fits.HDUList([fits.PrimaryHDU(header=fits.Header(primary or {})),
                         fits.table_to_hdu(table)])
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's unit-format notes for odd strings
        hdul.writeto(path)
    return path


def test_table_with_uncertainty_column(tmp_path):
    path = _table(tmp_path, "err.fits", {
        "WAVE": [1.0, 1.1, 1.2, 1.3], "FLUX": [1.0, 2.0, 3.0, 4.0],
        "ERR": [0.5, 0.0, -1.0, np.nan],
    }, units={"WAVE": "um", "FLUX": "W m-2 um-1"})
    s = read_spectrum(path)
    assert s.ivar.tolist() == [4.0, 0.0, 0.0, 0.0]
    assert s.mask.tolist() == [False, True, True, True]
    assert s.wavelength_unit == u.um and s.flux_unit == u.W / u.m**2 / u.um
    assert s.meta["hdu"] == 1 and s.meta["wavelength_solution"] == "table"


def test_table_loglam_ivar_mask_and_primary_bunit(tmp_path):
    path = _table(tmp_path, "sdsslike.fits", {
        "loglam": [3.6, 3.6001, 3.6002], "flux": [1.0, 2.0, 3.0],
        "ivar": [4.0, 0.0, 9.0], "and_mask": [0, 0, 16],
    }, primary={"BUNIT": "1E-17 erg/cm^2/s/Ang"})
    s = read_spectrum(path)
    np.testing.assert_allclose(s.wavelength, [10**3.6, 10**3.6001, 10**3.6002], rtol=1e-6)
    assert s.ivar.tolist() == [4.0, 0.0, 9.0]
    assert s.mask.tolist() == [False, True, True]
    assert s.flux_unit == 1e-17 * u.erg / u.s / u.cm**2 / u.AA


def test_table_with_one_row_of_array_cells(tmp_path):
    path = _table(tmp_path, "cells.fits", {
        "wavelength": [[5000.0, 5001.0, 5002.0]], "flux": [[1.0, 2.0, 3.0]],
    })
    s = read_spectrum(path)
    assert s.wavelength.tolist() == [5000.0, 5001.0, 5002.0]
    assert np.isnan(s.ivar).all()


def test_table_with_array_cells_of_different_lengths(tmp_path):
    path = tmp_path / "ragged.fits"
    cols = [fits.Column(name="wave", format="3D", array=np.array([[1.0, 2.0, 3.0]])),
            fits.Column(name="flux", format="2D", array=np.array([[1.0, 2.0]]))]
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols)]).writeto(path)
    with pytest.raises(SpectrumReadError, match=r"ragged\.fits.*mismatched lengths"):
        read_spectrum(path)


def test_table_without_rows(tmp_path):
    path = _table(tmp_path, "norows.fits", {"wave": np.zeros(0), "flux": np.zeros(0)})
    with pytest.raises(SpectrumReadError, match=r"norows\.fits.*zero-length"):
        read_spectrum(path)


@pytest.mark.parametrize(
    "cards, why",
    [
        ({"CDELT1": 1.0}, "no wavelength solution"),
        ({"CRVAL1": 1.0}, "neither CDELT1 nor CD1_1"),
        ({"CRVAL1": 1.0, "CDELT1": 1.0, "CUNIT1": "parsecs per pint"}, "unknown CUNIT1"),
        ({"CRVAL1": 1.0, "CDELT1": 1.0, "CUNIT1": "Jy"}, "not a unit of length"),
        ({"CRVAL1": 1.0, "CDELT1": 1.0, "BUNIT": "bogons"}, "unknown BUNIT"),
    ],
)
def test_bad_wcs_or_units(tmp_path, cards, why):
    path = _image(tmp_path, "bad.fits", [1.0, 2.0], **cards)
    with pytest.raises(SpectrumReadError, match=r"bad\.fits.*" + why):
        read_spectrum(path)


def test_two_dimensional_image_is_rejected(tmp_path):
    path = _image(tmp_path, "img.fits", np.ones((5, 6)), CRVAL1=1.0, CDELT1=1.0)
    with pytest.raises(SpectrumReadError, match=r"img\.fits.*expected a 1-D spectrum image"):
        read_spectrum(path, format="fits")


def test_all_nan_image_is_rejected(tmp_path):
    path = _image(tmp_path, "nan.fits", [np.nan, np.nan], CRVAL1=1.0, CDELT1=1.0)
    with pytest.raises(SpectrumReadError, match=r"nan\.fits.*all flux values are NaN"):
        read_spectrum(path)


def test_empty_primary_and_no_extension(tmp_path):
    path = tmp_path / "empty.fits"
    fits.PrimaryHDU().writeto(path)
    with pytest.raises(SpectrumReadError, match=r"empty\.fits.*no HDU holds"):
        read_spectrum(path)
