"""The CASSIS readers (FITS and IPAC table) on every real file, and damaged copies."""

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn.io import SpectrumReadError, identify_format, read_spectrum

LOWRES = ("SL1", "SL2", "SL3", "LL1", "LL2", "LL3")


def truncated(path, tmp_path, fraction=0.5):
    out = tmp_path / f"truncated_{path.name}"
    data = path.read_bytes()
    out.write_bytes(data[: int(len(data) * fraction)])
    return out


@pytest.fixture(scope="module")
def spectra(shared_data):
    return shared_data / "cassis_irs" / "spectra"


def _raw(path):
    with fits.open(path) as hdul:
        return hdul[0].data.astype(float), hdul[0].header


def test_every_lowres_file(spectra):
    files = sorted(spectra.glob("cassis_yaaar_spcfw_*.fits"))
    assert len(files) == 7
    for path in files:
        assert identify_format(path) == "cassis"
        s = read_spectrum(path)
        data, header = _raw(path)
        assert s.wavelength_unit == u.um and s.flux_unit == u.Jy
        assert s.meta["aorkey"] == int(header["AORKEY"])
        assert s.meta["object"] == header["OBJECT"].strip()
        assert s.meta["wavelength_medium"] == "vacuum"
        assert np.isfinite(s.wavelength).all() and (np.diff(s.wavelength) > 0).all()
        assert (s.ivar >= 0).all()
        # stitching: every first/second-order pixel kept, bonus orders only
        # where no first/second order covers them
        module, order = data[:, 8], data[:, 9]
        main = order != 3
        assert np.isin(data[main, 0], s.wavelength).all()
        kept = main.copy()
        for i in np.flatnonzero(~main):
            kept[i] = not any(
                data[main & (module == m) & (order == o), 0].min() <= data[i, 0]
                <= data[main & (module == m) & (order == o), 0].max()
                for m, o in set(zip(module[main], order[main])))
        assert s.n_pixels == kept.sum()
        np.testing.assert_array_equal(s.wavelength, np.sort(data[kept, 0]))
        names = [seg[0] for seg in s.meta["segments"]]
        assert set(names) <= set(LOWRES)
        assert sum(seg[3] for seg in s.meta["segments"]) == s.n_pixels
        flags = (data[:, 12:15] != 0).any(axis=1)
        assert s.meta["n_flagged"] == int(flags[kept].sum())
        # non-finite flux (two pixels of 20838656) is masked, like zero/NaN errors
        bad_flux = ~np.isfinite(s.flux)
        assert s.mask[bad_flux].all()
        assert s.mask[s.ivar == 0].all()


def test_stitch_all_and_mask_flags(spectra):
    path = spectra / "cassis_yaaar_spcfw_14191360t.fits"
    data, _ = _raw(path)
    s_all = read_spectrum(path, stitch="all")
    # bonus-order pixels sit on the first-order wavelength grid: repeats go
    assert s_all.n_pixels == np.unique(data[:, 0]).size
    assert s_all.meta["n_repeated_dropped"] == data.shape[0] - s_all.n_pixels
    s_flag = read_spectrum(path, mask_flags=True)
    assert s_flag.mask.sum() == s_flag.meta["n_flagged"] > 0
    with pytest.raises(ValueError, match="stitch"):
        read_spectrum(path, stitch="scale")


def test_ipac_tables_match_the_fits_files(spectra):
    for aor in ("14191360", "14203136"):
        tbl = spectra / f"cassis_tbl_spcfw_{aor}t.tbl"
        assert identify_format(tbl) == "cassis_tbl"
        t = read_spectrum(tbl)
        f = read_spectrum(spectra / f"cassis_yaaar_spcfw_{aor}t.fits")
        assert t.meta["aorkey"] == int(aor) == f.meta["aorkey"]
        assert t.wavelength_unit == u.um and t.flux_unit == u.Jy
        assert [s[0] for s in t.meta["segments"]] == [s[0] for s in f.meta["segments"]]
        np.testing.assert_allclose(t.wavelength, f.wavelength, rtol=1e-6)
        np.testing.assert_allclose(t.flux, f.flux, rtol=1e-3, atol=1e-6)


def test_other_cassis_products_read(spectra):
    for path in sorted(spectra.glob("cassis_yaaar_*.fits")):
        if "spcfw" in path.name:
            continue
        assert identify_format(path) == "cassis"
        s = read_spectrum(path)
        assert s.flux_unit is None and s.meta["bunit"] == "e-/sec"
        assert np.isfinite(s.wavelength).all() and (s.ivar >= 0).all()


def test_damaged_copies(spectra, tmp_path):
    path = spectra / "cassis_yaaar_spcfw_14191360t.fits"
    bad = truncated(path, tmp_path)
    with pytest.raises(SpectrumReadError, match="truncated") as info:
        read_spectrum(bad, format="cassis")
    assert bad.name in str(info.value)
    wrong = tmp_path / "cassis_wrong.fits"
    fits.PrimaryHDU(np.ones((5, 3)), header=fits.Header({"TELESCOP": "Spitzer"})).writeto(wrong)
    with pytest.raises(SpectrumReadError, match="COLnnDEF"):
        read_spectrum(wrong, format="cassis")
    empty = tmp_path / "cassis_empty.fits"
    fits.PrimaryHDU().writeto(empty)
    with pytest.raises(SpectrumReadError, match="wrong HDU"):
        read_spectrum(empty, format="cassis")
    tbl = spectra / "cassis_tbl_spcfw_14191360t.tbl"
    cut = tmp_path / "cut.tbl"
    cut.write_text(tbl.read_text()[:3000])
    with pytest.raises(SpectrumReadError, match="IPAC") as info:
        read_spectrum(cut, format="cassis_tbl")
    assert "cut.tbl" in str(info.value)
