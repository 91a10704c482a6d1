"""Air/vacuum wavelength conversion: functions, transformers, real MILES spectra."""

import numpy as np
import pytest
from astropy import units as u
from hypothesis import given
from hypothesis import strategies as st

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import read_spectrum
from spectra_sklearn.preprocessing import (
    AirToVacuum,
    VacuumToAir,
    air_to_vacuum,
    vacuum_to_air,
)

# Published rest wavelengths (air, vacuum) in Angstrom of H-alpha and [O III]
# 5007 (vacuum: the SDSS DR7 line list; air: the standard air values).
LINES = [(6562.80, 6564.61), (5006.843, 5008.240)]
# H-beta for the stellar absorption test (0.6 Angstrom tolerance there).
H_BETA = (4861.35, 4862.71)


@pytest.mark.parametrize("air, vacuum", LINES)
def test_known_lines(air, vacuum):
    assert air_to_vacuum(air) == pytest.approx(vacuum, abs=0.01)
    assert vacuum_to_air(vacuum) == pytest.approx(air, abs=0.01)


def test_agrees_with_sdss_formula_and_specutils():
    vac = np.linspace(3000.0, 11000.0, 2001)
    # SDSS spectro_basics (Morton 1991): AIR = VAC / (1 + 2.735182e-4 + ...)
    sdss = vac / (1.0 + 2.735182e-4 + 131.4182 / vac**2 + 2.76249e8 / vac**4)
    assert np.max(np.abs(vacuum_to_air(vac) - sdss)) < 0.01
    wcs_utils = pytest.importorskip("specutils.utils.wcs_utils")
    ref = wcs_utils.vac_to_air(vac * u.AA, method="Morton2000").to_value(u.AA)
    np.testing.assert_allclose(vacuum_to_air(vac), ref, rtol=1e-12)
    ciddor = wcs_utils.vac_to_air(vac * u.AA, method="Ciddor1996").to_value(u.AA)
    assert np.max(np.abs(vacuum_to_air(vac) - ciddor)) < 1e-3


@given(st.floats(min_value=2001.0, max_value=1e7))
def test_round_trip(wavelength):
    assert vacuum_to_air(air_to_vacuum(wavelength)) == pytest.approx(wavelength, rel=1e-14)
    assert air_to_vacuum(vacuum_to_air(wavelength)) == pytest.approx(wavelength, rel=1e-14)
    assert vacuum_to_air(wavelength) < wavelength < air_to_vacuum(wavelength)


@given(st.lists(st.floats(min_value=2001.0, max_value=3e5), min_size=2, max_size=50,
                unique=True))
def test_keeps_grids_increasing(values):
    grid = np.sort(np.array(values))
    assert np.all(np.diff(air_to_vacuum(grid)) > 0)
    assert np.all(np.diff(vacuum_to_air(grid)) > 0)


def test_below_2000_angstrom_unchanged_and_units():
    np.testing.assert_array_equal(air_to_vacuum([1215.67, 1999.0]), [1215.67, 1999.0])
    q = air_to_vacuum(656.280 * u.nm)
    assert q.unit == u.nm and q.value == pytest.approx(656.461, abs=1e-3)
    assert vacuum_to_air([0.656461], unit="um")[0] == pytest.approx(0.656280, abs=1e-6)
    with pytest.raises(ValueError, match="not both"):
        air_to_vacuum(5000 * u.AA, unit="nm")
    with pytest.raises(ValueError, match="length unit"):
        vacuum_to_air([1.0], unit="Hz")


def _spectrum(medium=None, wavelength=(6000.0, 6500.0, 7000.0)):
    meta = {} if medium is None else {"wavelength_medium": medium}
    return Spectrum(wavelength, [1.0, 2.0, np.nan], ivar=[1.0, 2.0, 3.0],
                    wavelength_unit="Angstrom", meta=meta)


def test_transformer_reads_and_sets_medium():
    air, vac, unknown = _spectrum("Air"), _spectrum("vacuum"), _spectrum()
    out = AirToVacuum().fit_transform(SpectrumBatch([air, vac, unknown]))
    assert not out.on_common_grid  # the vacuum one was left as it was
    np.testing.assert_allclose(out[0].wavelength, air_to_vacuum(air.wavelength))
    np.testing.assert_array_equal(out[1].wavelength, vac.wavelength)
    np.testing.assert_allclose(out[2].wavelength, air_to_vacuum(air.wavelength))
    assert [m["wavelength_medium"] for m in out.meta] == ["vacuum"] * 3
    for s in out:  # flux, ivar and mask untouched
        np.testing.assert_array_equal(s.flux, air.flux)
        np.testing.assert_array_equal(s.ivar, air.ivar)
        np.testing.assert_array_equal(s.mask, air.mask)
    back = VacuumToAir().fit_transform(out)
    np.testing.assert_allclose(back[0].wavelength, air.wavelength, rtol=1e-14)
    np.testing.assert_allclose(back[1].wavelength, vacuum_to_air(vac.wavelength))
    np.testing.assert_allclose(back[2].wavelength, air.wavelength, rtol=1e-14)
    assert [m["wavelength_medium"] for m in back.meta] == ["air"] * 3
    assert air.meta == {"wavelength_medium": "Air"}  # input not modified


def test_transformer_medium_key_none_converts_everything():
    out = AirToVacuum(medium_key=None).fit_transform(_spectrum("vacuum"))
    np.testing.assert_allclose(out.wavelength, air_to_vacuum(_spectrum().wavelength))
    assert out.meta[0] == {"wavelength_medium": "vacuum"}


def test_transformer_errors():
    with pytest.raises(ValueError, match="'wavelength_medium'.*'water'.*'air' or 'vacuum'"):
        AirToVacuum().fit_transform(_spectrum("water"))
    pix = Spectrum([0.0, 1.0], [1.0, 1.0], wavelength_unit="pix")
    with pytest.raises(ValueError, match="length unit.*pix"):
        VacuumToAir().fit_transform(pix)
    straddle = Spectrum(np.linspace(1990.0, 2010.0, 101), np.ones(101),
                        wavelength_unit="Angstrom")
    with pytest.raises(ValueError, match="straddle 2000"):
        VacuumToAir().fit_transform(straddle)


def test_arrays_pass_through():
    X = np.arange(12.0).reshape(3, 4).astype(np.float32)
    out = AirToVacuum().fit(X).transform(X)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, X)


def _balmer_centroid(wavelength, flux, centre, half=15.0):
    """Flux-weighted centre of an absorption line, continuum from its sides."""
    core = np.abs(wavelength - centre) < half
    sides = (np.abs(wavelength - centre) > 2 * half) & (np.abs(wavelength - centre) < 3 * half)
    depth = np.clip(np.median(flux[sides]) - flux[core], 0.0, None)
    return np.sum(wavelength[core] * depth) / np.sum(depth)


@pytest.mark.parametrize("miles_id", ["0348", "0006"])  # A0 and A1V stars
def test_miles_balmer_lines_land_at_vacuum_wavelengths(shared_data, miles_id):
    path = shared_data / "miles" / "spectra" / f"MILES_res2.50_star_m{miles_id}V.fits"
    spectrum = read_spectrum(path, format="fits")  # MILES is in air (PROVENANCE.md)
    out = AirToVacuum().fit_transform(spectrum)
    for air, vacuum in (LINES[0], H_BETA):
        assert _balmer_centroid(spectrum.wavelength, spectrum.flux, air) == pytest.approx(
            air, abs=0.6)
        # The shift is 1.3-1.8 Angstrom: 0.6 tells the two media apart.
        assert _balmer_centroid(out.wavelength, out.flux[0], vacuum) == pytest.approx(
            vacuum, abs=0.6)
