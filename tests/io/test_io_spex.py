"""The SpeX prism reader on every real file of the library, and on damaged copies."""

import gzip
import re
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectra, read_spectrum

ERG = u.erg / u.s / u.cm**2 / u.AA
WATT = u.W / u.m**2 / u.um
# YUNITS strings of the library (PROVENANCE.md) and what they mean
YUNITS = {"ergss-1cm-2A-1": ERG, "ergs s-1 cm-2 A-1": ERG, "Wm-2um-1": WATT, "W m-2 um-1": WATT}


def _raw(path):
    """The file as plain astropy sees it: rows (n_rows, N), layout facts, cards."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with fits.open(path) as hdul:
            data = np.array(hdul[0].data, dtype=np.float64)
            header = hdul[0].header
            cards = {k: header.get(k) for k in ("YUNITS", "XUNITS", "OBJECT", "AIRMASS")}
    facts = {"ndim": data.ndim}
    if data.ndim == 3:
        facts["n_apertures"] = data.shape[0]
        data = data[0]
    if data.shape[0] > data.shape[1]:
        facts["transposed"] = True
        data = data.T
    return data, facts, cards


@pytest.fixture(scope="module")
def spex_files(shared_data):
    files = sorted((shared_data / "spex_prism" / "spectra").glob("*.fits.gz"))
    assert len(files) == 2480  # PROVENANCE.md: the public subset staged here
    return files


@pytest.fixture(scope="module")
def raw_spex(spex_files):
    return {path: _raw(path) for path in spex_files}


@pytest.fixture(scope="module")
def all_spex(spex_files):
    return read_spectra(spex_files, format="spex")


def test_every_spex_file_reads(spex_files, all_spex, raw_spex):
    assert isinstance(all_spex, SpectrumBatch) and len(all_spex) == len(spex_files)
    n_transposed = n_cube = n_no_sigma = n_flagged_files = 0
    for path, spectrum in zip(spex_files, all_spex):
        rows, facts, cards = raw_spex[path]
        assert spectrum.meta["source"] == str(path)
        assert spectrum.wavelength_unit == u.um
        assert np.all(np.diff(spectrum.wavelength) > 0)
        assert 0.3 < spectrum.wavelength[0] and spectrum.wavelength[-1] < 2.7
        assert np.isfinite(spectrum.flux).any()
        # nothing dropped in the library as it is: the arrays are the file's rows
        np.testing.assert_array_equal(spectrum.wavelength, rows[0])
        np.testing.assert_array_equal(spectrum.flux, rows[1])
        assert spectrum.meta.get("transposed", False) == facts.get("transposed", False)
        assert spectrum.meta.get("n_apertures") == facts.get("n_apertures")
        n_transposed += facts.get("transposed", False)
        n_cube += "n_apertures" in facts
        if rows.shape[0] == 2:
            n_no_sigma += 1
            assert np.isnan(spectrum.ivar).all()
        else:
            sigma = rows[2]
            good = np.isfinite(sigma) & (sigma > 0)
            np.testing.assert_allclose(spectrum.ivar[good], sigma[good] ** -2.0, rtol=1e-12)
            assert np.all(spectrum.ivar[~good] == 0)
            assert np.all(spectrum.mask[~good])
        expected_mask = ~np.isfinite(rows[1])
        if rows.shape[0] >= 3:
            expected_mask |= ~(np.isfinite(rows[2]) & (rows[2] > 0))
        if rows.shape[0] == 4:
            expected_mask |= rows[3] != 0
            n_flagged_files += bool(np.any(rows[3] != 0))
            assert spectrum.meta.get("n_flagged", 0) == int(np.sum(rows[3] != 0))
        np.testing.assert_array_equal(spectrum.mask, expected_mask)
        yunits = cards["YUNITS"]
        if yunits is None or not yunits.strip():
            assert spectrum.flux_unit is None
        else:
            assert spectrum.flux_unit == YUNITS[yunits.strip()]
    # the layout counts measured over the library (project brief, PROVENANCE.md)
    assert n_transposed == 46
    assert n_flagged_files == 37
    assert n_no_sigma + n_cube == 16 and n_cube == 3


def test_units_of_every_yunits_variant_occur(all_spex):
    units = {str(s.flux_unit) for s in all_spex}
    assert units == {str(ERG), str(WATT), "None"}


def test_meta_from_file_name_and_header(spex_files, all_spex, raw_spex):
    for path, spectrum in zip(spex_files, all_spex):
        match = re.match(r"(\d+)_(\d+)", path.name)
        assert spectrum.meta["data_key"] == int(match.group(1))
        assert spectrum.meta["source_key"] == int(match.group(2))
        obj = raw_spex[path][2]["OBJECT"]
        if isinstance(obj, str) and obj.strip():
            assert spectrum.meta["object"] == obj.strip()
        airmass = raw_spex[path][2]["AIRMASS"]
        if isinstance(airmass, float):
            assert spectrum.meta["airmass"] == pytest.approx(airmass)
    (copy,) = [s for s in all_spex if s.meta["source"].endswith("12090_11825 copy.fits.gz")]
    assert (copy.meta["data_key"], copy.meta["source_key"]) == (12090, 11825)


def test_identification_finds_spex_for_every_file(spex_files):
    assert {identify_format(p) for p in spex_files[::40]} == {"spex"}
    one = spex_files[0]
    auto = read_spectrum(one)
    explicit = read_spectrum(one, format="spex")
    np.testing.assert_array_equal(auto.flux, explicit.flux)


def test_unparsable_header_card_still_reads(shared_data):
    # 12201_11938 has SLIT = 0.5x15 unquoted and non-ASCII header bytes
    s = read_spectrum(shared_data / "spex_prism/spectra/12201_11938.fits.gz", format="spex")
    assert s.meta["slit"] == "0.5x15"


# -- damaged copies of real files ---------------------------------------------------


def _write(path, rows, header=None):
    fits.PrimaryHDU(np.asarray(rows, dtype=np.float32), header=header).writeto(path)
    return path


@pytest.fixture
def real_rows(shared_data):
    rows, _, _ = _raw(shared_data / "spex_prism/spectra/10001_10443.fits.gz")
    assert rows.shape[0] == 3
    return rows


def test_bad_wavelength_rows_are_dropped_and_grid_sorted(tmp_path, real_rows):
    rows = real_rows.copy()
    n = rows.shape[1]
    rows[0, 10] = 0.0
    rows[0, 20] = -1.0
    rows[0, 30] = np.nan
    rows[:, [100, 101]] = rows[:, [101, 100]]  # out of order
    path = _write(tmp_path / "10001_10443.fits", rows)
    s = read_spectrum(path, format="spex")
    assert s.n_pixels == n - 3
    assert s.meta["n_dropped_pixels"] == 3 and s.meta["sorted"] is True
    assert np.all(np.diff(s.wavelength) > 0)
    keep = np.ones(n, dtype=bool)
    keep[[10, 20, 30]] = False
    order = np.argsort(rows[0, keep])
    np.testing.assert_allclose(s.flux, rows[1, keep][order].astype(np.float32))


def test_duplicate_wavelengths_keep_first(tmp_path, real_rows):
    rows = real_rows[:, :50].copy()
    rows[0, 5] = rows[0, 4]
    path = _write(tmp_path / "dup.fits", rows)
    s = read_spectrum(path, format="spex")
    assert s.n_pixels == 49 and s.meta["n_dropped_pixels"] == 1


def test_zero_and_negative_uncertainty_give_zero_ivar(tmp_path, real_rows):
    rows = real_rows.copy()
    rows[2, 200] = 0.0
    rows[2, 201] = -rows[2, 201]
    s = read_spectrum(_write(tmp_path / "u.fits", rows), format="spex")
    assert s.ivar[200] == 0 and s.ivar[201] == 0
    assert s.mask[200] and s.mask[201]
    assert s.ivar[202] == pytest.approx(float(np.float32(rows[2, 202])) ** -2)


def test_flag_row_masks_but_keeps_values(tmp_path, real_rows):
    flags = np.zeros(real_rows.shape[1])
    flags[[300, 310]] = [1, 208]
    rows = np.vstack([real_rows, flags])
    s = read_spectrum(_write(tmp_path / "flag.fits", rows), format="spex")
    assert s.meta["n_flagged"] == 2
    assert s.mask[300] and s.mask[310]
    assert np.isfinite(s.flux[300]) and s.ivar[300] > 0


def test_float64_transposed_copy_equals_original(tmp_path, real_rows):
    path = tmp_path / "t.fits"
    fits.PrimaryHDU(real_rows.T.astype(np.float64)).writeto(path)
    s = read_spectrum(path, format="spex")
    assert s.meta["transposed"] is True
    np.testing.assert_array_equal(s.wavelength, real_rows[0])


def test_gzip_copy_reads_like_the_plain_file(tmp_path, real_rows):
    plain = _write(tmp_path / "p.fits", real_rows)
    packed = tmp_path / "p.fits.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = read_spectrum(plain, format="spex"), read_spectrum(packed, format="spex")
    np.testing.assert_array_equal(a.flux, b.flux)
    assert read_spectrum(packed).meta["format"] == "spex"


def test_all_nan_flux_is_an_error(tmp_path, real_rows):
    rows = real_rows.copy()
    rows[1] = np.nan
    path = _write(tmp_path / "nanflux_1_2.fits", rows)
    with pytest.raises(SpectrumReadError, match=r"nanflux_1_2\.fits.*all flux values are NaN"):
        read_spectrum(path, format="spex")


def test_no_valid_wavelength_is_an_error(tmp_path, real_rows):
    rows = real_rows.copy()
    rows[0] = 0.0
    path = _write(tmp_path / "nowave.fits", rows)
    with pytest.raises(SpectrumReadError, match=r"nowave\.fits.*no pixel has a finite, positive"):
        read_spectrum(path, format="spex")


@pytest.mark.parametrize("shape", [(5, 40), (1, 40), (3, 3), (2, 5, 40), (40,)])
def test_wrong_image_shape_is_an_error(tmp_path, shape):
    path = tmp_path / "shape.fits"
    fits.PrimaryHDU(np.ones(shape, dtype=np.float32)).writeto(path)
    with pytest.raises(SpectrumReadError, match=r"shape\.fits.*expected"):
        read_spectrum(path, format="spex")


def test_unknown_yunits_is_an_error(tmp_path, real_rows):
    header = fits.Header({"YUNITS": "furlongs per fortnight"})
    path = _write(tmp_path / "units.fits", real_rows, header)
    with pytest.raises(SpectrumReadError, match=r"units\.fits.*unknown YUNITS 'furlongs"):
        read_spectrum(path, format="spex")


def test_reader_leaks_no_warning(spex_files):
    # pytest turns warnings into errors; the non-standard cards must stay silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spectra = [read_spectrum(p, format="spex") for p in spex_files[:60]]
    assert all(isinstance(s, Spectrum) for s in spectra)
