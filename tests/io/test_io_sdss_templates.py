"""The SDSS template reader: one file, many spectra; labels from the CSV."""

import csv

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.io import (
    SpectrumReadError,
    identify_format,
    read_spectra_file,
    read_spectrum,
)


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


@pytest.fixture(scope="module")
def folder(shared_data):
    return shared_data / "sdss_templates"


@pytest.fixture(scope="module")
def labels(folder):
    with open(folder / "labels" / "stellar_templates_labels.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_file_reads_row_by_row(folder):
    files = sorted((folder / "templates").glob("*.fits"))
    assert len(files) == 5
    for path in files:
        assert identify_format(path) == "sdss_templates"
        batch = read_spectra_file(path)
        assert isinstance(batch, SpectrumBatch)
        with fits.open(path) as hdul:
            image = hdul[0].data
            c0, c1 = hdul[0].header["COEFF0"], hdul[0].header["COEFF1"]
        assert len(batch) == image.shape[0]
        expected_grid = 10.0 ** (c0 + c1 * np.arange(image.shape[1]))
        for i, s in enumerate(batch.spectra):
            np.testing.assert_allclose(s.wavelength, expected_grid)
            np.testing.assert_array_equal(s.flux, image[i].astype(float))
            assert s.wavelength_unit == u.AA and s.flux_unit is None
            assert np.isnan(s.ivar).all()
            assert s.meta["row"] == i and s.meta["wavelength_medium"] == "vacuum"


def test_subclass_matches_the_csv(folder, labels):
    for name in ("spEigenStar-55734.fits", "spEigenStar-53724.fits"):
        rows = [r for r in labels if r["file"] == f"templates/{name}"]
        batch = read_spectra_file(folder / "templates" / name, format="sdss_templates")
        assert len(rows) == len(batch)
        for row in rows:
            s = batch[int(row["row"])]
            assert s.meta["subclass"] == row["sdss_subclass"]
            assert s.n_pixels == int(row["npix"])
            assert s.wavelength[0] == pytest.approx(float(row["wmin_A"]), abs=0.01)
            assert s.wavelength[-1] == pytest.approx(float(row["wmax_A"]), abs=0.01)


def test_index_picks_one_and_padding_is_masked(folder):
    path = folder / "templates" / "spEigenStar-53724.fits"
    with fits.open(path) as hdul:
        row = hdul[0].data[0].astype(float)
    s = read_spectrum(path, index=0)
    zero_ends = np.zeros(row.size, dtype=bool)
    nz = np.flatnonzero(row != 0)
    zero_ends[: nz[0]] = True
    zero_ends[nz[-1] + 1:] = True
    assert zero_ends.any()  # the SDSS-I/II templates are zero-padded
    np.testing.assert_array_equal(s.mask, zero_ends)
    assert s.meta["n_padded"] == zero_ends.sum()
    with pytest.raises(SpectrumReadError, match="index="):
        read_spectrum(path)
    with pytest.raises(IndexError):
        read_spectrum(path, index=40)


def test_damaged_copies(folder, tmp_path):
    path = folder / "templates" / "spEigenGal-56436.fits"
    bad = truncated(path, tmp_path, 0.5)
    with pytest.raises(SpectrumReadError, match="truncated") as info:
        read_spectra_file(bad, format="sdss_templates")
    assert bad.name in str(info.value)
    one_d = wrong_hdu(tmp_path, "spEigenX.fits", np.ones(5), {"COEFF0": 3.5, "COEFF1": 1e-4})
    with pytest.raises(SpectrumReadError, match="wrong HDU"):
        read_spectra_file(one_d, format="sdss_templates")
    no_wcs = wrong_hdu(tmp_path, "spEigenY.fits", np.ones((2, 5)), {"OBJECT": "STAR"})
    with pytest.raises(SpectrumReadError, match="COEFF0"):
        read_spectra_file(no_wcs, format="sdss_templates")
