"""The committed reader fixtures (``tests/fixtures``): one small file per format.

They run without the data home: each is identified and read by the
registry, and the reader must return what ``tests/fixtures/make_fixtures.py``
wrote (its layouts are checked against the real files when the data home is
there). Every format the package registers needs one, and the script must
reproduce the committed files byte for byte.
"""

import importlib.util
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from numpy.testing import assert_allclose, assert_array_equal

from spectra_sklearn.io import (
    SpectrumReader,
    available_formats,
    identify_format,
    read_spectra,
    read_spectra_file,
    read_spectrum,
)
from spectra_sklearn.io._registry import get_format

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mf = _load_script()
PATHS = mf.fixture_paths()


def _package_formats():
    """Formats registered by spectra_sklearn itself (not by other tests)."""
    return sorted(name for name in available_formats()
                  if get_format(name).read.__module__.startswith("spectra_sklearn."))


def test_every_registered_format_has_a_fixture():
    formats = _package_formats()
    assert len(formats) >= 12
    missing = [name for name in formats if name not in PATHS]
    assert not missing, f"formats without a fixture in tests/fixtures: {missing}"
    assert set(mf.WRITERS) == set(formats), "make_fixtures.WRITERS must list every format"


@pytest.mark.parametrize("name", sorted(mf.WRITERS))
def test_fixture_is_small(name):
    assert PATHS[name].stat().st_size <= 20_000


def _same_fits(a, b):
    """Same HDUs, cards and data (what matters if astropy's writer changes)."""
    with fits.open(a) as x, fits.open(b) as y:
        return len(x) == len(y) and all(
            [(c.keyword, c.value, c.comment) for c in p.header.cards]
            == [(c.keyword, c.value, c.comment) for c in q.header.cards]
            and np.array_equal(np.asarray(p.data), np.asarray(q.data))
            for p, q in zip(x, y)
        )


def test_the_script_reproduces_the_committed_files(tmp_path):
    written = mf.make_all(tmp_path)
    assert set(written) == set(PATHS)
    for name, path in written.items():
        committed = PATHS[name]
        assert path.name == committed.name
        if path.read_bytes() != committed.read_bytes():
            # Byte-for-byte today; a FITS file may differ only in how a newer
            # astropy formats the same cards and data.
            assert path.suffix in (".fits", ".fit") and _same_fits(path, committed), (
                f"{name}: {committed} is not what make_fixtures.py writes; rerun it"
            )
    licence = FIXTURES / "spex" / "LICENSE.splat"
    assert (tmp_path / "spex" / "LICENSE.splat").read_bytes() == licence.read_bytes()


def _read(name):
    path = PATHS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the fixtures are clean: no warning
        if get_format(name).multiple:
            return list(read_spectra_file(path))
        return [read_spectrum(path)]


def _check(spectrum, wavelength, flux, wavelength_unit, flux_unit, rtol=1e-6):
    assert spectrum.wavelength.shape == spectrum.flux.shape == (len(wavelength),)
    assert spectrum.wavelength_unit == wavelength_unit
    if flux_unit is None:
        assert spectrum.flux_unit is None
    else:
        assert u.Unit(spectrum.flux_unit) == u.Unit(flux_unit)
    assert_allclose(spectrum.wavelength, wavelength, rtol=rtol)
    assert_allclose(spectrum.flux, flux, rtol=rtol, equal_nan=True)


@pytest.mark.parametrize("name", sorted(mf.WRITERS))
def test_fixture_is_identified_as_its_format(name):
    assert identify_format(PATHS[name]) == name


def test_spex_fixture():
    (s,) = _read("spex")
    rows = fits.getdata(PATHS["spex"]).astype(np.float64)
    _check(s, rows[0], rows[1], u.um, u.erg / u.s / u.cm**2 / u.AA)
    sigma = rows[2]
    good = np.isfinite(sigma) & (sigma > 0) & np.isfinite(rows[1])
    assert good.sum() > 500
    assert_allclose(s.ivar[good], 1 / sigma[good] ** 2, rtol=1e-6)
    assert_array_equal(s.mask, ~good)
    assert (s.meta["data_key"], s.meta["source_key"]) == (12815, 10353)


def test_smass_fixture():
    (s,) = _read("smass")
    _check(s, mf.SMASS_WAVELENGTH, mf.SMASS_REFLECTANCE, u.um, u.dimensionless_unscaled)
    assert_allclose(s.ivar, 1 / mf.SMASS_ERROR ** 2)


def test_generic_fits_fixture():
    (s,) = _read("fits")
    wavelength = mf.FITS_CRVAL1 + mf.FITS_CDELT1 * np.arange(mf.FITS_N)
    _check(s, wavelength, mf.FITS_FLUX, u.AA, u.erg / u.s / u.cm**2 / u.AA)


def test_sdss_fixture():
    (s,) = _read("sdss")
    wavelength = 10.0 ** mf.SDSS_LOGLAM.astype(np.float64)
    _check(s, wavelength, mf.SDSS_FLUX, u.AA, 1e-17 * u.erg / u.s / u.cm**2 / u.AA, rtol=1e-5)
    assert_array_equal(s.ivar, mf.SDSS_IVAR)
    assert_array_equal(np.flatnonzero(s.mask), [5, 7])  # ivar = 0 and an and_mask bit
    assert s.meta["class"] == mf.SDSS_LABELS["CLASS"]
    assert s.meta["subclass"] == mf.SDSS_LABELS["SUBCLASS"]
    assert s.meta["wavelength_medium"] == "vacuum"


def test_sdss_templates_fixture():
    spectra = _read("sdss_templates")
    assert len(spectra) == len(mf.TEMPLATES_NAMES)
    wavelength = 10.0 ** (mf.TEMPLATES_COEFF0 + 1e-4 * np.arange(mf.TEMPLATES_N))
    for s, flux, name in zip(spectra, mf.TEMPLATES_FLUX, mf.TEMPLATES_NAMES):
        _check(s, wavelength, flux, u.AA, None)
        assert s.meta["subclass"] == name


def _cassis_expected():
    rows = mf.cassis_rows().astype(np.float64)
    kept = mf.cassis_strips() != 3  # the bonus order lies on SL1's grid
    order = np.argsort(rows[kept, 0])
    return rows[kept][order]


@pytest.mark.parametrize("name", ["cassis", "cassis_tbl"])
def test_cassis_fixtures(name):
    (s,) = _read(name)
    rows = _cassis_expected()
    _check(s, rows[:, 0], rows[:, 1], u.um, u.Jy, rtol=1e-5)
    assert_allclose(s.ivar, 1 / rows[:, 2] ** 2, rtol=1e-4)
    assert [seg[0] for seg in s.meta["segments"]] == ["SL2", "SL1", "LL2", "LL1"]
    assert s.meta["aorkey"] == mf.CASSIS_AORKEY


def test_iso_sws_fixture():
    (s,) = _read("iso_sws")
    rows = mf.iso_rows().astype(np.float64)
    _check(s, rows[:, 0], rows[:, 1], u.um, u.Jy)
    assert_allclose(s.ivar, 1 / rows[:, 2] ** 2, rtol=1e-5)
    assert s.meta["tdt"] == int(mf.ISO_TDT)


def test_miles_fixture():
    (s,) = _read("miles")
    wavelength = mf.MILES_CRVAL1 + mf.MILES_CDELT1 * np.arange(mf.MILES_N)
    _check(s, wavelength, mf.MILES_FLUX, u.AA, None)
    assert s.meta["wavelength_medium"] == "air"
    assert s.meta["fwhm"] == 2.5


def test_demeo2009_fixture():
    spectra = _read("demeo2009")
    assert len(spectra) == len(mf.DEMEO_ROWS)
    for i, (s, (name, number, cls)) in enumerate(zip(spectra, mf.DEMEO_ROWS)):
        _check(s, mf.DEMEO_WAVELENGTH, mf.demeo_reflectance(i), u.um, u.dimensionless_unscaled)
        assert (s.meta["name"], s.meta["number"], s.meta["class"]) == (name, number, cls)


def test_mahlke2022_fixture():
    spectra = _read("mahlke2022")
    assert len(spectra) == len(mf.MAHLKE_ROWS)
    for i, (s, (number, _, cls, ref)) in enumerate(zip(spectra, mf.MAHLKE_ROWS)):
        values = mf.mahlke_values(i)
        _check(s, mf.MAHLKE_WAVELENGTH, values, u.um, u.dimensionless_unscaled)
        assert_array_equal(s.mask, np.isnan(values))
        assert (s.meta["number"], s.meta["class"], s.meta["ref_spectrum"]) == (number, cls, ref)


def test_ascii_fixture():
    (s,) = _read("ascii")
    _check(s, mf.ASCII_WAVELENGTH, mf.ASCII_FLUX, u.um, u.Jy)
    assert_allclose(s.ivar, 1 / mf.ASCII_ERROR ** 2)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_one_batch_of_every_single_spectrum_format(n_jobs):
    # Each file identified on its own, also in worker processes, in order.
    names = [n for n in sorted(mf.WRITERS) if not get_format(n).multiple]
    paths = [PATHS[n] for n in names]
    batch = read_spectra(paths, n_jobs=n_jobs)
    assert [m["format"] for m in batch.meta] == names
    assert [len(s.wavelength) for s in batch] == [len(read_spectrum(p).wavelength)
                                                  for p in paths]
    assert [m["format"] for m in SpectrumReader().fit_transform(paths).meta] == names


# -- the synthetic files have the real files' layout (needs the data home) ----

#: format -> a real file of that format, relative to the data home.
REAL = {
    "sdss": "sdss_spectra/NGC3522_SDSS_DR18.fits",
    "sdss_templates": "sdss_templates/templates/spEigenStar-55734.fits",
    "cassis": "cassis_irs/spectra/cassis_yaaar_spcfw_14191360t.fits",
    "iso_sws": "iso_sws/spectra/06401081_sws.fit",
    "miles": "miles/spectra/MILES_res2.50_star_m0001V.fits",
}
_NUMBERED = re.compile(r"^(NAME|NSEG|MSEG)\d+$")


def _keys(header):
    return [k for k in header if k not in ("COMMENT", "HISTORY", "")]


@pytest.mark.parametrize("name", sorted(REAL))
def test_fits_fixture_has_the_real_layout(name, shared_data):
    with fits.open(shared_data / REAL[name]) as real, fits.open(PATHS[name]) as ours:
        assert len(ours) <= len(real)
        for mine, theirs in zip(ours, real):
            assert type(mine) is type(theirs) and mine.name == theirs.name
            assert mine.header["BITPIX"] == theirs.header["BITPIX"]
            assert mine.header["NAXIS"] == theirs.header["NAXIS"]
            keys, real_keys = _keys(mine.header), _keys(theirs.header)
            extra = [k for k in keys if k not in real_keys and not k.startswith("T")]
            assert not extra, f"{name}: cards the real file does not have: {extra}"
            if isinstance(mine, fits.BinTableHDU):
                real_columns = {c.name: (c.format, c.unit) for c in theirs.columns}
                columns = [c.name for c in mine.columns]
                assert [c for c in real_columns if c in columns] == columns  # same order
                for c in mine.columns:
                    assert (c.format, c.unit) == real_columns[c.name]
            elif mine.header["NAXIS"] == 2:  # the fixed axis: rows or columns
                fixed = "NAXIS1" if name in ("cassis", "iso_sws") else "NAXIS2"
                if name != "sdss_templates":
                    assert mine.header[fixed] == theirs.header[fixed]
        if name in ("cassis", "iso_sws", "miles", "sdss_templates"):
            # Every card of the real primary header is there (numbered ones
            # by their pattern).
            ours_keys = {_NUMBERED.sub(r"\1", k) for k in _keys(ours[0].header)}
            real_keys = {_NUMBERED.sub(r"\1", k) for k in _keys(real[0].header)}
            real_keys -= {"EIGEN"}  # spEigenStar has no EIGENi cards either
            assert real_keys <= ours_keys | {"SIMPLE"}, real_keys - ours_keys


def test_text_fixtures_have_the_real_layout(shared_data):
    # CASSIS table: the same column header lines and header keywords.
    real = (shared_data / "cassis_irs/spectra/cassis_tbl_spcfw_14191360t.tbl").read_text()
    ours = PATHS["cassis_tbl"].read_text()

    def bars(text):
        return [line for line in text.splitlines() if line.startswith("|")]

    def keywords(text):
        return [m.group(1) for m in re.finditer(r"^\\(\w+) = ", text, re.MULTILINE)]

    assert bars(ours) == bars(real)
    assert keywords(ours) == keywords(real)
    assert ours.splitlines()[:8] == real.splitlines()[:8]  # banner, quirky line included
    # DeMeo and Mahlke tables: the same header line.
    for name, file in [("demeo2009", "demeo2009/demeo2009_splined_spectra.csv"),
                       ("mahlke2022", "mahlke2022/csv/class_visnir.csv")]:
        with open(shared_data / file) as stream:
            assert PATHS[name].read_text().splitlines()[0] == stream.readline().rstrip("\n")
    # SMASSII: three tab-separated columns with four decimals.
    import tarfile

    with tarfile.open(shared_data / "smass2" / "smass2data.tar.gz") as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(".[2]"))
        first = tar.extractfile(member).read().decode().splitlines()[0]
    pattern = re.compile(r"^\d\.\d{4}\t\d\.\d{4}\t\d\.\d{4}$")
    assert pattern.match(first)
    assert all(pattern.match(line) for line in PATHS["smass"].read_text().splitlines())
