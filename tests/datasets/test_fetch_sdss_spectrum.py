"""fetch_sdss_spectrum: lookup by PLATE-MJD-FIBERID in the real data home."""

import pytest
from _formats import require_format

from spectra_sklearn.datasets import fetch_sdss_spectrum, sdss_spectrum_filename
from spectra_sklearn.datasets._sdss import _find_local

# PLATE-MJD-FIBERID, CLASS of the two files of sdss_spectra/ (from their SPECOBJ HDU)
KNOWN = [((945, 52652, 470), "STAR"), ((2488, 54149, 1), "GALAXY")]


def _specobj(path):
    from astropy.io import fits

    with fits.open(path) as hdul:
        row = hdul["SPECOBJ"].data[0]
        return (int(row["PLATE"]), int(row["MJD"]), int(row["FIBERID"])), row["CLASS"].strip()


def test_files_found_by_header_whatever_their_name(shared_data):
    for path in sorted((shared_data / "sdss_spectra").glob("*.fits")):
        ids, _ = _specobj(path)
        assert path.name != sdss_spectrum_filename(*ids)  # named by the galaxy, not the ids
        assert _find_local(shared_data, *ids) == path
    assert _find_local(shared_data, 945, 52652, 471) is None


@pytest.mark.parametrize("ids, sdss_class", KNOWN)
def test_fetch_by_plate_mjd_fiber(shared_data, ids, sdss_class):
    require_format("sdss")
    spectrum = fetch_sdss_spectrum(*ids, data_home=shared_data, download_if_missing=False)
    assert spectrum.meta["class"] == sdss_class
    assert (spectrum.meta["plate"], spectrum.meta["mjd"], spectrum.meta["fiberid"]) == ids
    assert 3700 < spectrum.wavelength[0] < 3900 and 9100 < spectrum.wavelength[-1] < 9300


def test_unknown_spectrum_without_download(shared_data):
    with pytest.raises(FileNotFoundError, match="spec-0945-52652-0471.fits"):
        fetch_sdss_spectrum(945, 52652, 471, data_home=shared_data, download_if_missing=False)


def test_filename():
    assert sdss_spectrum_filename(266, 51602, 1) == "spec-0266-51602-0001.fits"
