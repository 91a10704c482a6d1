"""Fuzzing the readers: damaged real files and random bytes may only raise SpectrumReadError.

Real files of every format we have are truncated at random points, have random
bytes overwritten, are replaced by random bytes or emptied, and are read both
with ``format=None`` (identification) and with an explicit format drawn from
every format registered at the time (so formats added later are fuzzed too).
A valid Spectrum (or batch) may come back; any exception other than
:class:`SpectrumReadError` -- or a leaked warning, which the project's warning
filters turn into an error -- fails the test.
"""

import contextlib
import functools
import gzip
import importlib.util
import io
import re
import signal
import tarfile
import tracemalloc
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
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


# ---------------------------------------------------------------------------
# Valid-then-damaged files for every registered format (no data home needed).
#
# The seeds are the committed fixtures (tests/fixtures, one small valid file per
# registered format, written by make_fixtures.py); a format registered without
# one fails test_every_registered_format_is_fuzzed, so it cannot be left out.
# FITS seeds are damaged where the format is fragile -- truncated at every HDU
# boundary and inside the data, header cards removed or changed, a wrong BITPIX,
# NaN/Inf payloads, NAXISn claiming up to 10^15 -- and text seeds line by line.
# Each read is bounded in time (an alarm, and hypothesis' deadline) and in
# memory (tracemalloc's peak), and must give valid spectra or the project's
# reading error naming the file.

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TIME_BOUND = 20  # seconds for one read: far beyond any valid read of these files
MEMORY_BOUND = 200 * 2**20  # peak bytes traced during one read


def _load_fixture_paths():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fixture_paths()


FIXTURE_PATHS = _load_fixture_paths()


class _Hang(BaseException):
    """A read that did not end within TIME_BOUND (BaseException: no reader catches it)."""


@contextlib.contextmanager
def _bounded():
    """Fail a read that takes longer than TIME_BOUND or traces more than MEMORY_BOUND."""
    def hang(signum, frame):
        raise _Hang(f"a read did not end within {TIME_BOUND} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, TIME_BOUND)
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
        assert peak < MEMORY_BOUND, f"a read traced {peak / 2**20:.0f} MiB"
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _assert_valid(spectrum):
    """What a reader may return: a Spectrum that passes the container's own validation
    and the readers' usability checks."""
    assert isinstance(spectrum, Spectrum)
    w = spectrum.wavelength
    assert w.ndim == 1 and w.size >= 1 and np.isfinite(w).all() and (w > 0).all()
    assert w.size == 1 or (w[1:] > w[:-1]).all()
    assert spectrum.flux.shape == w.shape and np.isfinite(spectrum.flux).any()
    assert isinstance(spectrum.wavelength_unit, u.UnitBase)
    # rebuilding it from its own arrays passes Spectrum's validation
    Spectrum(w, spectrum.flux, spectrum.ivar, spectrum.mask,
             wavelength_unit=spectrum.wavelength_unit, flux_unit=spectrum.flux_unit)


def _read_bounded(path, format):
    """_only_read_errors within the time and memory bounds: the list of spectra read,
    each validated, or None for a SpectrumReadError naming the file."""
    with _bounded():
        result = _only_read_errors(path, format)
    if result is None:
        return None
    spectra = [result] if isinstance(result, Spectrum) else list(result)
    for spectrum in spectra:
        _assert_valid(spectrum)
    return spectra


def _plain(raw):
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


@functools.cache
def _seed(format):
    """(file name, decompressed bytes, compressed?, HDU layout or None) of a fixture."""
    path = FIXTURE_PATHS[format]
    raw = path.read_bytes()
    plain = _plain(raw)
    layout = None
    if plain.startswith(b"SIMPLE  ="):
        with fits.open(io.BytesIO(plain)) as hdul:
            hdul.readall()
            layout = []
            for i, hdu in enumerate(hdul):
                info = hdul.fileinfo(i)
                layout.append((info["hdrLoc"], info["datLoc"],
                               info["datLoc"] + hdu._data_size, list(hdu.header)))
    return path.name, plain, raw[:2] == b"\x1f\x8b", layout


def _package_formats():
    return sorted(f for f in available_formats()
                  if get_format(f).read.__module__.startswith("spectra_sklearn."))


def test_every_registered_format_is_fuzzed(tmp_path):
    """Every format the package registers has a valid seed here, read intact and valid."""
    missing = [f for f in _package_formats() if f not in FIXTURE_PATHS]
    assert not missing, f"formats without a seed (tests/fixtures): {missing}"
    for format in _package_formats():
        name, plain, compressed, _ = _seed(format)
        path = tmp_path / name
        path.write_bytes(gzip.compress(plain) if compressed else plain)
        for result in (_read_bounded(path, format), _read_bounded(path, None)):
            assert result is not None and len(result) >= 1, format


def _boundaries(layout, size):
    """Offsets to cut at: each HDU's header start, first card, END block, data start,
    middle and last byte, and the end of its data."""
    cuts = set()
    for header, data, end, _ in layout:
        cuts |= {header, header + 80, data - 2880, data - 1, data, (data + end) // 2,
                 end - 1, end}
    return sorted(c for c in cuts if 0 <= c < size)


FITS_SEEDS = [f for f in sorted(FIXTURE_PATHS)
              if FIXTURE_PATHS[f].read_bytes()[:2] == b"\x1f\x8b"
              or FIXTURE_PATHS[f].read_bytes().startswith(b"SIMPLE  =")]


@pytest.mark.parametrize("format", FITS_SEEDS)
def test_truncation_at_every_hdu_boundary(tmp_path, format):
    """Deterministic sweep: each FITS seed cut at every HDU boundary and inside the
    data, read as its own format and identified."""
    name, plain, compressed, layout = _seed(format)
    for cut in _boundaries(layout, len(plain)):
        path = tmp_path / name
        damaged = plain[:cut]
        path.write_bytes(gzip.compress(damaged) if compressed else damaged)
        _read_bounded(path, format)
        _read_bounded(path, None)


_STRUCTURAL = ["BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "PCOUNT", "GCOUNT",
               "TFIELDS", "TFORM1", "TFORM2", "TTYPE1", "EXTEND", "XTENSION", "SIMPLE",
               "BSCALE", "BZERO", "CRVAL1", "CDELT1", "CRPIX1", "CD1_1", "COEFF0", "COEFF1",
               "BUNIT", "CUNIT1"]
_VALUES = st.one_of(
    st.sampled_from([0, 1, -1, 2, 3, 8, -32, -64, 16, 7, 10**6, 10**9, 10**12, 10**15,
                     -(10**12), 2**63, "NAN", "INF", "-INF", "1E309", "'junk    '", "T",
                     "F", "", "'1E'", "'D'", "'99PJ'", "0.0", "-0.0"]),
    st.integers(-(10**16), 10**16),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x).upper()),
)


def _card_offset(raw, header, data, key):
    pattern = key.encode("ascii").ljust(8) + b"= "
    pos = raw.find(pattern, header, data)
    while pos >= 0 and (pos - header) % 80:
        pos = raw.find(pattern, pos + 1, data)
    return pos


def _set_card(raw, header, data, key, value):
    pos = _card_offset(raw, header, data, key)
    if pos < 0:
        return raw
    card = (key.ljust(8) + "= " + str(value).rjust(20)).ljust(80)[:80].encode("ascii")
    return raw[:pos] + card + raw[pos + 80:]


def _drop_card(raw, header, data, index):
    """``raw`` without card ``index`` of the header (a blank card closes the gap)."""
    pos = header + index * 80
    if pos + 80 > data:
        return raw
    body = raw[header:data]
    rel = pos - header
    body = body[:rel] + body[rel + 80:] + b" " * 80
    return raw[:header] + body + raw[data:]


def _payload(data, raw, start, end):
    """NaN/Inf (or all-ones bytes) written over values of the data in [start, end)."""
    if end <= start:
        return raw
    word = data.draw(st.sampled_from([b"\x7f\xc0\x00\x00", b"\x7f\x80\x00\x00",
                                      b"\xff\x80\x00\x00", b"\x7f\xf8" + bytes(6),
                                      b"\x7f\xf0" + bytes(6), b"\xff" * 4]))
    if data.draw(st.booleans()):  # the whole payload
        count = (end - start) // len(word)
        return raw[:start] + word * count + raw[start + count * len(word):]
    raw = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 20))):
        at = start + data.draw(st.integers(0, max((end - start) // 4 - 1, 0))) * 4
        raw[at:at + len(word)] = word
    return bytes(raw[:len(raw)])


def _damage_fits(data, plain, layout):
    kind = data.draw(st.sampled_from(["truncate", "drop card", "set card", "bitpix",
                                      "payload", "huge naxis"]))
    if kind == "truncate":
        cut = data.draw(st.one_of(st.sampled_from(_boundaries(layout, len(plain))),
                                  st.integers(0, len(plain) - 1)))
        return plain[:cut]
    raw = plain
    for _ in range(data.draw(st.integers(1, 3))):
        header, start, end, keys = layout[data.draw(st.integers(0, len(layout) - 1))]
        if kind == "drop card":
            raw = _drop_card(raw, header, start, data.draw(st.integers(0, len(keys))))
        elif kind == "set card":
            key = data.draw(st.sampled_from(sorted(set(keys) | set(_STRUCTURAL))))
            raw = _set_card(raw, header, start, key, data.draw(_VALUES))
        elif kind == "bitpix":
            raw = _set_card(raw, header, start, "BITPIX",
                            data.draw(st.sampled_from([8, 16, 32, 64, -32, -64, 0, 24, -16])))
        elif kind == "payload":
            raw = _payload(data, raw, start, end)
        else:
            axis = data.draw(st.integers(1, 3))
            raw = _set_card(raw, header, start, f"NAXIS{axis}",
                            10 ** data.draw(st.integers(4, 15)))
    return raw


_TOKENS = ["nan", "NaN", "inf", "-inf", "1e309", "-1e309", "0", "-0", "", "x", "1e-320",
           "999999999999999999999", ",", "|", "#", "'"]


def _damage_text(data, plain):
    lines = plain.splitlines(keepends=True)
    kind = data.draw(st.sampled_from(["truncate", "drop line", "token", "duplicate",
                                      "swap"]))
    if kind == "truncate" or len(lines) < 2:
        at = data.draw(st.one_of(st.integers(0, len(lines)),
                                 st.integers(0, max(len(plain) - 1, 0))))
        return b"".join(lines[:at]) if data.draw(st.booleans()) else plain[:at]
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        if kind == "drop line":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            tokens = re.split(rb"([\s,|]+)", lines[i])
            k = data.draw(st.integers(0, len(tokens) - 1))
            tokens[k] = data.draw(st.sampled_from(_TOKENS)).encode()
            lines[i] = b"".join(tokens)
        if len(lines) < 2:
            break
    return b"".join(lines)


@settings(max_examples=150, deadline=timedelta(seconds=TIME_BOUND),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_fixtures_give_valid_spectra_or_read_errors(tmp_path, data):
    """A valid file of a registered format, damaged where it is fragile, read as its
    own format, identified, and read as another format: valid spectra or
    SpectrumReadError naming the file, within the time and memory bounds."""
    format = data.draw(st.sampled_from(_package_formats()))
    name, plain, compressed, layout = _seed(format)
    damaged = _damage_text(data, plain) if layout is None else _damage_fits(data, plain,
                                                                            layout)
    path = tmp_path / name
    path.write_bytes(gzip.compress(damaged) if compressed else damaged)
    _read_bounded(path, format)
    _read_bounded(path, None)
    _read_bounded(path, data.draw(st.sampled_from(_package_formats())))
