"""The format registry, identification from names and first bytes, and unit parsing."""

import re

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits

from spectra_sklearn import Spectrum
from spectra_sklearn.io import (
    SpectrumReadError,
    _registry,
    available_formats,
    identify_format,
    read_spectrum,
    register_format,
)
from spectra_sklearn.io._units import parse_flux_unit, parse_wavelength_unit


def test_builtin_formats_are_registered():
    assert {"spex", "smass", "fits"} <= set(available_formats())
    assert available_formats() == sorted(available_formats())


@pytest.fixture
def scratch_format():
    """Register a throw-away format and remove it afterwards."""
    names = []

    def register(name, **kwargs):
        register_format(name, **kwargs)
        names.append(name)

    yield register
    for name in names:
        _registry._FORMATS.pop(name, None)


def test_register_a_new_format_and_read_with_it(tmp_path, scratch_format):
    calls = []

    def identify(path, head):
        calls.append(path.name)
        return head.first_bytes.startswith(b"TWOCOL")

    def read(path, scale=1.0):
        w, f = np.loadtxt(path, skiprows=1, unpack=True)
        return Spectrum(w, f * scale, meta={"source": str(path)})

    scratch_format("twocol-test", identify=identify, read=read)
    path = tmp_path / "spec.dat"
    path.write_text("TWOCOL\n1.0 2.0\n1.5 3.0\n")
    assert identify_format(path) == "twocol-test"
    assert read_spectrum(path).flux.tolist() == [2.0, 3.0]
    assert read_spectrum(path, format="twocol-test", scale=2.0).flux.tolist() == [4.0, 6.0]
    with pytest.raises(TypeError, match="does not take the options"):
        read_spectrum(path, format="twocol-test", hdu=1)
    with pytest.raises(ValueError, match="already registered"):
        register_format("twocol-test", identify=identify, read=read)
    with pytest.raises(TypeError, match="callables"):
        register_format("other", identify=None, read=read)


def test_two_formats_claiming_a_file_ask_for_an_explicit_one(tmp_path, scratch_format):
    path = tmp_path / "a000001.[2]"
    path.write_text("0.5 1.0 0.1\n0.6 1.0 0.1\n")
    scratch_format("greedy-test", identify=lambda p, h: True, read=lambda p: None)
    with pytest.raises(SpectrumReadError, match=r"several formats recognise.*greedy-test"):
        read_spectrum(path)
    assert read_spectrum(path, format="smass").n_pixels == 2


def test_identification_reads_only_the_name_for_smass(tmp_path):
    path = tmp_path / "au1995BM2.[2]"
    path.write_text("0.5 1.0 0.1\n")
    head = _registry.FileHead(path)
    assert _registry._FORMATS["smass"].identify(head.path, head)
    assert head._bytes is None  # decided from the name: no I/O


def test_file_head_parses_cards_of_a_real_spex_file(shared_data):
    path = shared_data / "spex_prism/spectra/10001_10443.fits.gz"
    head = _registry.FileHead(path)
    with fits.open(path) as hdul:
        shape = hdul[0].data.shape
    assert head.is_fits and head.name == "10001_10443.fits"
    assert (head.fits_header["NAXIS2"], head.fits_header["NAXIS1"]) == shape
    assert head.fits_header["BITPIX"] == -32


def test_text_file_with_fits_name_is_not_identified(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("just some text\n")
    with pytest.raises(SpectrumReadError, match=r"notes\.fits.*no registered format"):
        identify_format(path)


def test_an_identifier_tripping_over_odd_bytes_says_no(tmp_path, scratch_format):
    def fragile(path, head):
        return head.first_bytes.decode("ascii").startswith("X")  # UnicodeDecodeError

    scratch_format("fragile-identify-test", identify=fragile, read=lambda p: None)
    path = tmp_path / "a000001.[2]"
    path.write_bytes(b"\xff\xfe0.5 1.0 0.1\n")
    assert identify_format(path) == "smass"


def test_each_real_file_is_claimed_by_at_most_one_format(shared_data):
    """Identification must be unambiguous on the real data (a sample of every folder).

    Generic formats ("fits" at priority -10, "spex" at -5) may also accept a
    survey's file; of the formats that claim it, exactly one has the highest
    priority, and that one is what identify_format names.
    """
    claimed = {}
    for folder in sorted(p for p in shared_data.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        for path in files[:40] + files[-10:]:
            head = _registry.FileHead(path)
            claims = [f for f in _registry._FORMATS.values() if f.identify(head.path, head)]
            top = max((f.priority for f in claims), default=None)
            names = [f.name for f in claims if f.priority == top]
            assert len(names) <= 1, (path, names)
            if names:
                assert identify_format(path) == names[0], path
                claimed.setdefault(names[0], path)
    assert {"spex", "demeo2009", "mahlke2022", "sdss", "miles", "iso_sws", "cassis",
            "sdss_templates"} <= set(claimed)


def test_a_generic_format_yields_to_a_survey_format_by_priority(tmp_path):
    path = tmp_path / "star.twocolpri"
    path.write_text("1 2\n2 3\n")

    def read(p):
        w, f = np.loadtxt(p, unpack=True)
        return Spectrum(w, f)

    def anything(p, head):
        return p.suffix == ".twocolpri"

    try:
        register_format("generic_test", identify=anything, read=read, priority=-20)
        register_format("survey_test", identify=anything, read=read)
        assert identify_format(path) == "survey_test"
        register_format("survey_test_2", identify=anything, read=read)
        with pytest.raises(SpectrumReadError, match="several formats"):
            identify_format(path)
    finally:
        for name in ("generic_test", "survey_test", "survey_test_2"):
            _registry._FORMATS.pop(name, None)


# -- units -----------------------------------------------------------------------------

ERG = u.erg / u.s / u.cm**2 / u.AA
WATT = u.W / u.m**2 / u.um


@pytest.mark.parametrize(
    "text, unit",
    [
        ("ergss-1cm-2A-1", ERG),
        ("ergs s-1 cm-2 A-1", ERG),
        ("erg/s/cm2/A", ERG),
        ("Wm-2um-1", WATT),
        ("W m-2 um-1", WATT),
        ("1E-17 erg/cm^2/s/Ang", 1e-17 * ERG),
        ("Jy", u.Jy),
    ],
)
def test_flux_units_from_real_headers(text, unit):
    parsed = parse_flux_unit(text)
    assert parsed == unit
    assert u.Quantity(1.0, parsed).to_value(unit) == pytest.approx(1.0)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_blank_flux_unit_is_unknown(text):
    assert parse_flux_unit(text) is None


@pytest.mark.parametrize(
    "text, unit",
    [("um", u.um), ("Microns", u.um), ("micron", u.um), ("Angstroms", u.AA),
     ("Angstrom", u.AA), ("A", u.AA), ("nm", u.nm)],
)
def test_wavelength_units(text, unit):
    assert parse_wavelength_unit(text) == unit


def test_blank_wavelength_unit_takes_the_format_default_or_fails():
    assert parse_wavelength_unit("", default=u.um) == u.um
    with pytest.raises(SpectrumReadError, match=r"'x\.fits'.*no XUNITS given"):
        parse_wavelength_unit(None, source="x.fits", keyword="XUNITS")


def test_unknown_unit_strings_fail_clearly():
    pattern = re.escape("'s.fits'") + ".*unknown YUNITS 'zorkmids'"
    with pytest.raises(SpectrumReadError, match=pattern):
        parse_flux_unit("zorkmids", source="s.fits", keyword="YUNITS")
    with pytest.raises(SpectrumReadError, match="'Jy'.*not a unit of length"):
        parse_wavelength_unit("Jy", source="s.fits")


def test_unit_strings_are_parsed_once():
    from spectra_sklearn.io import _units

    _units._parse.cache_clear()
    for _ in range(50):
        parse_flux_unit("ergss-1cm-2A-1")
        parse_flux_unit("W m-2 um-1")
    info = _units._parse.cache_info()
    assert info.misses == 2 and info.hits == 98
