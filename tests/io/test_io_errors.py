"""Every read failure is a SpectrumReadError that names the file and says why.

The bad files are real SpeX / MILES files damaged in ``tmp_path``.
"""

import gzip
import os
import pickle
import re

import numpy as np
import pytest
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, read_spectra, read_spectrum


@pytest.fixture
def spex_file(shared_data):
    return shared_data / "spex_prism" / "spectra" / "10001_10443.fits.gz"


def _raises(path, why, **kwargs):
    pattern = re.escape(os.path.basename(path)) + ".*" + why
    with pytest.raises(SpectrumReadError, match=pattern) as info:
        read_spectrum(path, **kwargs)
    return info.value


@pytest.mark.parametrize("format", ["spex", "fits", None])
def test_truncated_gzip_file(tmp_path, spex_file, format):
    data = spex_file.read_bytes()
    bad = tmp_path / "10001_10443.fits.gz"
    bad.write_bytes(data[: len(data) // 2])
    if format is None:  # the first bytes are intact: identified, then the read fails
        err = _raises(bad, "truncated or corrupt")
        assert err.format == "spex"
    else:
        _raises(bad, "truncated or corrupt", format=format)


@pytest.mark.parametrize("keep", [2880 + 1000, 2880 * 2])
def test_truncated_plain_fits_data(tmp_path, spex_file, keep):
    raw = gzip.decompress(spex_file.read_bytes())
    bad = tmp_path / "cut.fits"
    bad.write_bytes(raw[:keep])
    _raises(bad, "truncated or corrupt", format="spex")


def test_truncated_gzip_copy_of_cut_data(tmp_path, spex_file):
    raw = gzip.decompress(spex_file.read_bytes())
    bad = tmp_path / "cut.fits.gz"
    bad.write_bytes(gzip.compress(raw[: 2880 + 3000]))
    _raises(bad, "truncated or corrupt", format="spex")


def test_random_bytes(tmp_path):
    bad = tmp_path / "noise.fits"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    _raises(bad, "not a readable FITS file", format="spex")
    _raises(bad, "no registered format recognises this file")


def test_empty_file(tmp_path):
    bad = tmp_path / "empty.fits"
    bad.write_bytes(b"")
    _raises(bad, "truncated or corrupt", format="fits")


def test_header_without_end_card(tmp_path, spex_file):
    raw = gzip.decompress(spex_file.read_bytes())
    bad = tmp_path / "headless.fits"
    bad.write_bytes(raw[:800])
    _raises(bad, "truncated or corrupt", format="spex")


def test_missing_file_and_directory(tmp_path):
    _raises(tmp_path / "gone.fits", "no such file")
    _raises(tmp_path / "gone.fits", "no such file", format="spex")
    folder = tmp_path / "folder.fits"
    folder.mkdir()
    _raises(folder, "directory")
    _raises(folder, "directory", format="fits")


def test_unknown_format_lists_known_formats(spex_file):
    err = _raises(spex_file, r"unknown format 'nope'; known formats: .*fits.*smass.*spex",
                  format="nope")
    assert err.path == str(spex_file)


def test_wrong_hdu_shape_in_real_miles_file(tmp_path, shared_data):
    flux = fits.getdata(shared_data / "miles/spectra/MILES_res2.50_star_m0001V.fits")
    bad = tmp_path / "MILES_stacked.fits"
    fits.PrimaryHDU(np.vstack([flux] * 5), header=fits.Header({"CRVAL1": 3540.5, "CDELT1": 0.9})
                    ).writeto(bad)
    _raises(bad, r"expected a 1-D spectrum image.*\(5, 4300\)", format="fits")


def test_zero_length_image(tmp_path):
    bad = tmp_path / "10001_10443.fits"
    fits.PrimaryHDU().writeto(bad)
    _raises(bad, "no data", format="spex")


def test_unknown_unit_in_real_file(tmp_path, spex_file):
    with fits.open(spex_file) as hdul:
        data = hdul[0].data.copy()
    bad = tmp_path / "10001_10443.fits"
    fits.PrimaryHDU(data, header=fits.Header({"XUNITS": "cubits"})).writeto(bad)
    _raises(bad, "unknown XUNITS 'cubits'", format="spex")


def test_read_spectra_names_the_bad_file_among_good_ones(tmp_path, spex_file):
    bad = tmp_path / "broken.fits.gz"
    bad.write_bytes(spex_file.read_bytes()[:100])
    with pytest.raises(SpectrumReadError, match=r"broken\.fits\.gz"):
        read_spectra([spex_file, bad, spex_file], format="spex")


def test_error_pickles_and_is_a_value_error():
    err = SpectrumReadError("x.fits", "all flux values are NaN", format="fits")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.path == "x.fits" and again.format == "fits"
    assert isinstance(err, ValueError)
