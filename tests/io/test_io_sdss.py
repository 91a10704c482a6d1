"""The SDSS spec reader on the real DR18 files of the data home and damaged copies."""

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectrum


def truncated(path, tmp_path, fraction=0.5):
    """A copy of ``path`` cut to ``fraction`` of its bytes."""
    out = tmp_path / f"truncated_{path.name}"
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


def wrong_hdu(tmp_path, name, data=None, header=None):
    """A FITS file named like a survey file whose primary HDU is something else."""
    out = tmp_path / name
    fits.PrimaryHDU(data, header=fits.Header(header or {})).writeto(out)
    return out

# PROVENANCE.md of sdss_spectra: PLATE-MJD-FIBER, CLASS / SUBCLASS, z
EXPECTED = {
    "NGC3073_SDSS_DR18.fits": (945, 52652, 470, "STAR", "A0", 0.00376),
    "NGC3522_SDSS_DR18.fits": (2488, 54149, 1, "GALAXY", "BROADLINE", 0.00402),
}


@pytest.fixture(scope="module")
def sdss_files(shared_data):
    files = sorted((shared_data / "sdss_spectra").glob("*.fits"))
    assert [f.name for f in files] == sorted(EXPECTED)
    return files


def test_every_file_reads_with_labels_units_ivar_mask(sdss_files):
    for path in sdss_files:
        assert identify_format(path) == "sdss"
        s = read_spectrum(path)
        plate, mjd, fiber, cls, subclass, z = EXPECTED[path.name]
        assert (s.meta["plate"], s.meta["mjd"], s.meta["fiberid"]) == (plate, mjd, fiber)
        assert (s.meta["class"], s.meta["subclass"]) == (cls, subclass)
        assert s.meta["z"] == pytest.approx(z, abs=1e-5)
        assert s.meta["wavelength_medium"] == "vacuum"
        assert s.wavelength_unit == u.AA
        assert s.flux_unit == 1e-17 * u.erg / u.s / u.cm**2 / u.AA
        assert np.isfinite(s.wavelength).all()
        assert 3700 < s.wavelength[0] < 3900 and 9100 < s.wavelength[-1] < 9300
        assert (s.ivar >= 0).all()
        with fits.open(path) as hdul:
            coadd = hdul["COADD"].data
            expected_mask = (coadd["and_mask"] != 0) | (coadd["ivar"] <= 0)
            np.testing.assert_allclose(s.wavelength, 10.0 ** coadd["loglam"].astype(float))
            np.testing.assert_array_equal(s.flux, coadd["flux"].astype(float))
        np.testing.assert_array_equal(s.mask, expected_mask)


def test_and_mask_pixels_are_masked(sdss_files):
    # NGC3522 has two and_mask pixels (PROVENANCE / measured with astropy)
    s = read_spectrum(sdss_files[1], format="sdss")
    with fits.open(sdss_files[1]) as hdul:
        n_and = int((hdul["COADD"].data["and_mask"] != 0).sum())
    assert n_and > 0
    assert s.mask.sum() >= n_and


def test_truncated_copy_names_the_file(sdss_files, tmp_path):
    bad = truncated(sdss_files[0], tmp_path, 0.1)
    with pytest.raises(SpectrumReadError, match="truncated") as info:
        read_spectrum(bad, format="sdss")
    assert str(bad) in str(info.value)


def test_wrong_hdu_layout(tmp_path):
    bad = wrong_hdu(tmp_path, "spec-0001.fits", np.ones((2, 3)), {"TELESCOP": "SDSS 2.5-M"})
    with pytest.raises(SpectrumReadError, match="no COADD HDU") as info:
        read_spectrum(bad, format="sdss")
    assert "spec-0001.fits" in str(info.value)
    # an image where the COADD table should be
    two = tmp_path / "spec-0002.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.ones(4))]).writeto(two)
    with pytest.raises(SpectrumReadError, match="is an image"):
        read_spectrum(two, format="sdss")


def test_missing_columns_and_zero_rows(tmp_path):
    primary = fits.PrimaryHDU(header=fits.Header({"TELESCOP": "SDSS 2.5-M"}))
    table = fits.BinTableHDU.from_columns(
        [fits.Column("flux", "E", array=[1.0, 2.0])], name="COADD")
    path = tmp_path / "nolam.fits"
    fits.HDUList([primary, table]).writeto(path)
    with pytest.raises(SpectrumReadError, match="loglam"):
        read_spectrum(path)
    empty = fits.BinTableHDU.from_columns(
        [fits.Column(n, "E", array=np.zeros(0)) for n in ("flux", "loglam", "ivar")],
        name="COADD")
    path = tmp_path / "empty.fits"
    fits.HDUList([primary, empty]).writeto(path)
    with pytest.raises(SpectrumReadError, match="zero-length"):
        read_spectrum(path, format="sdss")


def test_all_nan_flux_and_unknown_unit(tmp_path):
    def write(name, flux, bunit):
        primary = fits.PrimaryHDU(header=fits.Header({"TELESCOP": "SDSS", "BUNIT": bunit}))
        table = fits.BinTableHDU.from_columns([
            fits.Column("flux", "E", array=flux),
            fits.Column("loglam", "E", array=[3.6, 3.6001, 3.6002]),
            fits.Column("ivar", "E", array=[1.0, 1.0, 1.0])], name="COADD")
        fits.HDUList([primary, table]).writeto(tmp_path / name)
        return tmp_path / name

    with pytest.raises(SpectrumReadError, match="NaN"):
        read_spectrum(write("nan.fits", [np.nan] * 3, "1E-17 erg/cm^2/s/Ang"))
    with pytest.raises(SpectrumReadError, match="BUNIT"):
        read_spectrum(write("unit.fits", [1.0, 2.0, 3.0], "furlongs per fortnight"))


def test_fast_path_matches_fitsio_on_real_files(sdss_files):
    # the byte-level reader and the fitsio reader give the same cards, columns, labels
    from spectra_sklearn.io.sdss import _read_fast, _read_fitsio

    for path in sdss_files:
        fast, slow = _read_fast(path), _read_fitsio(path)
        assert fast[0] == {k: slow[0][k] for k in fast[0]}
        assert set(fast[0]) == {"BUNIT", "PLATEID", "MJD", "FIBERID", "PLUG_RA", "PLUG_DEC"}
        assert fast[1].keys() == slow[1].keys() == {"loglam", "flux", "ivar", "and_mask"}
        for name in fast[1]:
            np.testing.assert_array_equal(fast[1][name], slow[1][name])
        assert fast[2] == slow[2]


def test_read_bintable_matches_astropy(tmp_path):
    from spectra_sklearn.io._fits import read_bintable, read_hdus

    rng = np.random.default_rng(0)
    n = 7
    cols = [
        fits.Column("b", "B", array=rng.integers(0, 255, n)),
        fits.Column("i", "I", array=rng.integers(-300, 300, n)),
        fits.Column("j", "J", array=rng.integers(-10**6, 10**6, n)),
        fits.Column("k", "K", array=rng.integers(-10**12, 10**12, n)),
        fits.Column("s", "5A", array=["a", "bb", "ccc", "dddd", "eeeee", "", "x"]),
        fits.Column("e", "E", array=rng.normal(size=n)),
        fits.Column("v", "3D", array=rng.normal(size=(n, 3))),
        fits.Column("l", "L", array=rng.integers(0, 2, n).astype(bool)),
        fits.Column("d", "D", array=rng.normal(size=n)),
    ]
    path = tmp_path / "table.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(cols)]).writeto(path)
    raw, hdus = read_hdus(path, 3)
    assert len(hdus) == 2
    names = ["b", "i", "j", "k", "s", "e", "v", "d"]
    got = read_bintable(raw, hdus[1], names)
    one = read_bintable(raw, hdus[1], ["d", "s"], rows=slice(2, 4))
    with fits.open(path) as hdul:
        data = hdul[1].data
        for name in names:
            expected = data[name]
            if name == "s":
                expected = np.char.encode(expected)
            np.testing.assert_array_equal(got[name], expected)
        np.testing.assert_array_equal(one["d"], data["d"][2:4])


def test_layouts_the_fast_path_leaves_to_fitsio(tmp_path):
    # an unsigned and_mask (TZERO card) and COADD in HDU 2 still read right
    from spectra_sklearn.io._fits import LayoutNotHandled
    from spectra_sklearn.io.sdss import _read_fast

    primary = fits.PrimaryHDU(header=fits.Header({"TELESCOP": "SDSS 2.5-M",
                                                  "BUNIT": "1E-17 erg/cm^2/s/Ang"}))
    coadd = fits.BinTableHDU.from_columns([
        fits.Column("flux", "E", array=[1.0, 2.0, 3.0]),
        fits.Column("loglam", "E", array=[3.6, 3.6001, 3.6002]),
        fits.Column("ivar", "E", array=[1.0, 1.0, 1.0]),
        fits.Column("and_mask", "J", bzero=2**31,
                    array=np.array([0, 2**31 + 5, 0], dtype=np.uint32))], name="COADD")
    scaled = tmp_path / "scaled.fits"
    fits.HDUList([primary, coadd]).writeto(scaled)
    moved = tmp_path / "moved.fits"
    fits.HDUList([primary, fits.ImageHDU(np.ones(2), name="EXTRA"), coadd]).writeto(moved)
    for path in (scaled, moved):
        with pytest.raises(LayoutNotHandled):
            _read_fast(path)
        s = read_spectrum(path, format="sdss")
        assert s.mask.tolist() == [False, True, False]
        np.testing.assert_allclose(s.wavelength, 10.0 ** np.float32([3.6, 3.6001, 3.6002]))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SpectrumReadError, match="no such file"):
        read_spectrum(tmp_path / "spec-none.fits", format="sdss")
    with pytest.raises(SpectrumReadError, match="directory"):
        read_spectrum(tmp_path, format="sdss")


def test_exposures_cut_short_do_not_matter(sdss_files, tmp_path):
    # the reader needs HDUs 0-2 only: a copy cut inside the exposures still reads
    with fits.open(sdss_files[0]) as hdul:
        cut = hdul[3].fileinfo()["datLoc"] + 100
        expected = read_spectrum(sdss_files[0], format="sdss")
    short = truncated(sdss_files[0], tmp_path, cut / sdss_files[0].stat().st_size)
    s = read_spectrum(short, format="sdss")
    np.testing.assert_array_equal(s.flux, expected.flux)
    assert s.meta["class"] == expected.meta["class"]


@pytest.mark.parametrize("path_taken", ["bytes", "fitsio"])
def test_specobj_catalogue_columns_in_meta(sdss_files, path_taken, monkeypatch):
    from spectra_sklearn.io import sdss
    from spectra_sklearn.io._fits import LayoutNotHandled

    if path_taken == "fitsio":
        def refuse(path):
            raise LayoutNotHandled("forced")

        monkeypatch.setattr(sdss, "_read_fast", refuse)
    for path in sdss_files:
        meta = read_spectrum(path).meta
        with fits.open(path) as hdul:
            row = hdul["SPECOBJ"].data[0]
            for key, column in [("z", "Z"), ("z_err", "Z_ERR"),
                                ("sn_median_all", "SN_MEDIAN_ALL"),
                                ("ra", "PLUG_RA"), ("dec", "PLUG_DEC")]:
                assert isinstance(meta[key], float)
                assert meta[key] == float(row[column]), key
            for key, column in [("plate", "PLATE"), ("mjd", "MJD"),
                                ("fiberid", "FIBERID")]:
                assert meta[key] == int(row[column])
            assert meta["class"] == row["CLASS"].strip()
            assert meta["subclass"] == row["SUBCLASS"].strip()
            flux = np.asarray(row["SPECTROFLUX"], dtype=float)
        assert "SPECTROMAG" not in fits.getdata(path, "SPECOBJ").columns.names
        for band, f in zip("ugriz", flux):
            assert meta[f"spectroflux_{band}"] == f
            assert meta[f"spectromag_{band}"] == pytest.approx(22.5 - 2.5 * np.log10(f))


def test_spectromag_column_is_used_and_bad_flux_has_no_magnitude(tmp_path):
    coadd = fits.BinTableHDU.from_columns([
        fits.Column("flux", "E", array=[1.0, 2.0]),
        fits.Column("loglam", "E", array=[3.6, 3.6001]),
        fits.Column("ivar", "E", array=[1.0, 1.0])], name="COADD")
    columns = [fits.Column("Z", "E", array=[0.1]),
               fits.Column("SPECTROFLUX", "5E", array=[[100.0, -1.0, 0.0, np.nan, 1.0]])]
    path = tmp_path / "spec-0001-50000-0001.fits"
    primary = fits.PrimaryHDU(header=fits.Header({"TELESCOP": "SDSS 2.5-M"}))
    fits.HDUList([primary, coadd, fits.BinTableHDU.from_columns(
        columns, name="SPECOBJ")]).writeto(path)
    meta = read_spectrum(path).meta
    assert meta["spectromag_u"] == pytest.approx(17.5)
    assert meta["spectromag_z"] == pytest.approx(22.5)
    assert all(np.isnan(meta[f"spectromag_{b}"]) for b in "gri")
    columns.append(fits.Column("SPECTROMAG", "5E", array=[[1.0, 2.0, 3.0, 4.0, 5.0]]))
    path2 = tmp_path / "spec-0001-50000-0002.fits"
    fits.HDUList([primary, coadd, fits.BinTableHDU.from_columns(
        columns, name="SPECOBJ")]).writeto(path2)
    meta = read_spectrum(path2).meta
    assert [meta[f"spectromag_{b}"] for b in "ugriz"] == [1.0, 2.0, 3.0, 4.0, 5.0]
