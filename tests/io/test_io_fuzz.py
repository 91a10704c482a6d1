"""Fuzzing the readers: damaged real files and random bytes may only raise SpectrumReadError.

Real files of every format we have are truncated at random points, have random
bytes overwritten, are replaced by random bytes or emptied, and are read both
with ``format=None`` (identification) and with an explicit format drawn from
every format registered at the time (so formats added later are fuzzed too).
A valid Spectrum (or batch) may come back; any exception other than
:class:`SpectrumReadError` -- or a leaked warning, which the project's warning
filters turn into an error -- fails the test.
"""

import gzip
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spectra_sklearn import Spectrum, SpectrumBatch
from spectra_sklearn.io import (
    SpectrumReadError,
    available_formats,
    read_spectra_file,
    read_spectrum,
)
from spectra_sklearn.io._registry import get_format


@pytest.fixture(scope="module")
def seeds(shared_data):
    """File name -> bytes of one small real file per format (names kept for identification)."""
    d = shared_data
    out = {}
    spex = (d / "spex_prism/spectra/10001_10443.fits.gz").read_bytes()
    out["10001_10443.fits.gz"] = spex
    out["10001_10443.fits"] = gzip.decompress(spex)
    out["MILES_res2.50_star_m0001V.fits"] = (
        d / "miles/spectra/MILES_res2.50_star_m0001V.fits").read_bytes()
    optional = {
        "NGC3522_SDSS_DR18.fits": d / "sdss_spectra/NGC3522_SDSS_DR18.fits",
        "spEigenCVstar-55734.fits": d / "sdss_templates/templates/spEigenCVstar-55734.fits",
        "cassis_yaaar_spcfw_9834496t.fits": d / "cassis_irs/spectra/"
                                                "cassis_yaaar_spcfw_9834496t.fits",
        "cassis_tbl_spcfw_14191360t.tbl": d / "cassis_irs/spectra/"
                                              "cassis_tbl_spcfw_14191360t.tbl",
        "sws_ngc6790.fits": d / "iso_sws/spectra/sws_ngc6790.fits",
    }
    for name, path in optional.items():
        if path.exists():
            out[name] = path.read_bytes()
    with tarfile.open(d / "smass2/smass2data.tar.gz", "r:gz") as tar:
        out["a000100.[2]"] = tar.extractfile("smass2/a000100.[2]").read()
    for name, path in [("demeo2009_splined_spectra.csv",
                        d / "demeo2009/demeo2009_splined_spectra.csv"),
                       ("class_visnir.csv", d / "mahlke2022/csv/class_visnir.csv")]:
        lines = path.read_bytes().splitlines(keepends=True)
        out[name] = b"".join(lines[:6])
    spectrum = read_spectrum(d / "spex_prism/spectra/10001_10443.fits.gz")
    ecsv = ["# %ECSV 1.0", "# ---", "# datatype:",
            "# - {name: wavelength, unit: um, datatype: float64}",
            "# - {name: flux, unit: W / (m2 um), datatype: float64}",
            "# schema: astropy-2.0", "wavelength flux"]
    ecsv += [f"{w!r} {f!r}" for w, f in zip(spectrum.wavelength.tolist()[:50],
                                            spectrum.flux.tolist()[:50])]
    out["spex.ecsv"] = ("\n".join(ecsv) + "\n").encode()
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _only_read_errors(path, format):
    """Read ``path``; pass on a result or a SpectrumReadError, fail on anything else."""
    try:
        if format is None or get_format(format).multiple:
            result = read_spectra_file(path, format=format)
        else:
            result = read_spectrum(path, format=format)
    except SpectrumReadError as exc:
        assert exc.path is not None and str(path.name) in str(exc)
        return None
    assert isinstance(result, (Spectrum, SpectrumBatch))
    return result


def test_every_seed_reads_intact(seeds, workdir):
    """The seeds themselves are valid: the fuzzing starts from real, readable files."""
    for name, raw in seeds.items():
        path = workdir / name
        path.write_bytes(raw)
        batch = read_spectra_file(path)
        assert len(batch) >= 1, name
        if name.endswith(".csv"):
            assert len(batch) == 5


def test_every_format_on_every_damaged_seed(seeds, workdir):
    """Deterministic sweep: each seed emptied and cut in half, read as every format."""
    for name, raw in seeds.items():
        for damaged in (b"", raw[: len(raw) // 2]):
            path = workdir / name
            path.write_bytes(damaged)
            for format in [None, *available_formats()]:
                _only_read_errors(path, format)


def _mutate(data, raw):
    kind = data.draw(st.sampled_from(["truncate", "overwrite", "random", "insert"]))
    if kind == "truncate" or not raw:
        return raw[: data.draw(st.integers(0, max(len(raw) - 1, 0)))]
    if kind == "random":
        return data.draw(st.binary(max_size=6000))
    raw = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 8))):
        # bias towards the start, where headers and identification live
        limit = data.draw(st.sampled_from([min(len(raw), 3000), len(raw)]))
        at = data.draw(st.integers(0, limit - 1))
        chunk = data.draw(st.binary(min_size=1, max_size=16))
        if kind == "overwrite":
            raw[at:at + len(chunk)] = chunk
        else:
            raw[at:at] = chunk
    return bytes(raw)


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow,
                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_real_files_raise_only_read_errors(seeds, workdir, data):
    name = data.draw(st.sampled_from(sorted(seeds)))
    path = workdir / ("m_" + name if data.draw(st.booleans()) else name)
    path.write_bytes(_mutate(data, seeds[name]))
    _only_read_errors(path, None)
    _only_read_errors(path, data.draw(st.sampled_from(available_formats())))


@settings(max_examples=20)
@given(raw=st.binary(max_size=4000),
       suffix=st.sampled_from([".fits", ".fits.gz", ".fit", ".csv", ".ecsv", ".txt", ".dat",
                               ".[2]", ".tbl", ""]))
def test_random_bytes_raise_only_read_errors(workdir, raw, suffix):
    path = workdir / f"noise{suffix}"
    path.write_bytes(raw)
    for format in [None, *available_formats()]:
        _only_read_errors(path, format)
