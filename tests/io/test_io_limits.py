"""Memory bombs are refused before allocation, by every registered format.

A small file whose header claims a huge image or table, and a gzip stream
that expands a thousand-fold, must end in the project's reading error naming
the file (what the header claims and what the file holds; the bound of the
decompression) -- not a raw ``MemoryError``, not gigabytes allocated. The
seeds are the committed fixtures (``tests/fixtures``, one per registered
format), so these tests run without the data home.
"""

import gzip
import importlib.util
import io
import tracemalloc
import zlib
from pathlib import Path

import pytest
from astropy.io import fits

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.io import SpectrumReadError, read_spectra_file
from spectra_sklearn.io._limits import (
    MAX_COMPRESSION_RATIO,
    MAX_DECOMPRESSED_BYTES,
    MIN_DECOMPRESSED_BYTES,
    decompression_limit,
    gunzip,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MEMORY_BOUND = 200 * 2**20  # peak bytes traced while reading one bomb


def _fixture_paths():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fixture_paths()


SEEDS = _fixture_paths()


def _decompressed(path):
    raw = path.read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


FITS_FORMATS = sorted(f for f in SEEDS if _decompressed(SEEDS[f]).startswith(b"SIMPLE  ="))


def set_card(raw, header_start, data_start, key, value):
    """``raw`` with the (first) card ``key`` of the header at ``header_start`` set to ``value``."""
    pattern = key.encode("ascii").ljust(8) + b"= "
    pos = raw.find(pattern, header_start, data_start)
    while pos >= 0 and (pos - header_start) % 80:
        pos = raw.find(pattern, pos + 1, data_start)
    assert pos >= 0, key
    card = pattern + str(value).encode("ascii").rjust(20).ljust(70)
    return raw[:pos] + card + raw[pos + 80:]


def hdu_layout(raw):
    """``[(header_start, data_start, header), ...]`` of each HDU of a valid FITS file."""
    with fits.open(io.BytesIO(raw)) as hdul:
        hdul.readall()
        return [(hdul.fileinfo(i)["hdrLoc"], hdul.fileinfo(i)["datLoc"], hdul[i].header.copy())
                for i in range(len(hdul))]


def inflate(raw, index):
    """``raw`` whose HDU ``index`` claims a 10^6 x 10^6 image or a table of 10^12 rows."""
    start, data, header = hdu_layout(raw)[index]
    if header.get("XTENSION") in ("BINTABLE", "TABLE"):
        return set_card(raw, start, data, "NAXIS2", 10**12)
    if header["NAXIS"] >= 2:
        raw = set_card(raw, start, data, "NAXIS1", 10**6)
        return set_card(raw, start, data, "NAXIS2", 10**6)
    return set_card(raw, start, data, "NAXIS1", 10**12)


def read_traced(path, format):
    """read_spectra_file under tracemalloc: (result or SpectrumReadError, peak bytes)."""
    tracemalloc.start()
    try:
        try:
            result = read_spectra_file(path, format=format)
        except SpectrumReadError as exc:
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


CASES = [(f, i, gz) for f in FITS_FORMATS
         for i, (_, _, header) in enumerate(hdu_layout(_decompressed(SEEDS[f])))
         if header["NAXIS"] > 0 for gz in (False, True)]


@pytest.mark.parametrize("format, index, gz", CASES)
def test_huge_header_claims_are_refused_before_allocation(tmp_path, format, index, gz):
    """Every HDU of every FITS fixture, made to claim terabytes: refused, naming the
    file, the HDU, what its header claims and what the file holds (before: sdss raised
    a raw MemoryError asking for 14.6 TiB, or read on when HDU 2 claimed 10^12 rows
    of a gzipped file; the others refused with a message of their own)."""
    bomb = inflate(_decompressed(SEEDS[format]), index)
    available = len(bomb) - hdu_layout(_decompressed(SEEDS[format]))[index][1]
    path = tmp_path / ("bomb.fits.gz" if gz else "bomb.fits")
    path.write_bytes(gzip.compress(bomb) if gz else bomb)
    result, peak = read_traced(path, format)
    assert isinstance(result, SpectrumReadError), f"read as {result!r}"
    assert result.path == str(path) and path.name in str(result)
    assert f"HDU {index}" in result.reason or (index == 0 and "primary HDU" in result.reason)
    assert "claims" in result.reason and f"the file has {available:,} bytes" in result.reason
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB traced"


@pytest.mark.parametrize("format", FITS_FORMATS)
def test_an_appended_extension_claiming_terabytes_costs_nothing(tmp_path, format):
    """A table HDU claiming 10^12 rows after a valid file: refused with the claim, or
    (a reader that never opens that HDU) the spectrum -- never the allocation."""
    out = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(
        [fits.Column("flux", "E", array=[1.0])])]).writeto(out)
    table = out.getvalue()[2880:]
    table = set_card(table, 0, len(table), "NAXIS2", 10**12)
    path = tmp_path / "appended.fits"
    path.write_bytes(_decompressed(SEEDS[format]) + table)
    result, peak = read_traced(path, format)
    if isinstance(result, SpectrumReadError):
        assert "claims 4,000,000,000,000 bytes" in result.reason and path.name in str(result)
    else:
        assert isinstance(result, SpectrumBatch) and len(result) >= 1
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB traced"


def _gzip_bomb(prefix, decompressed):
    """A gzip file: ``prefix`` then ``decompressed`` zero bytes, as concatenated members."""
    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = member.compress(bytes(2**24)) + member.flush()
    return gzip.compress(prefix) + block * (decompressed // 2**24)


@pytest.mark.parametrize("format", sorted(SEEDS))
def test_gzip_bombs_are_refused_within_the_bound(tmp_path, format):
    """The fixture followed by 1 GiB of zeros in a 1 MB gzip file: a reading error
    naming the file and the bound, and never the gigabyte in memory (before: ascii,
    demeo2009, mahlke2022 and the FITS readers decompressed all of it)."""
    raw = _decompressed(SEEDS[format])
    path = tmp_path / f"bomb_{SEEDS[format].name.removesuffix('.gz')}.gz"
    path.write_bytes(_gzip_bomb(raw, 2**30))
    result, peak = read_traced(path, format)
    assert isinstance(result, SpectrumReadError), f"read as {result!r}"
    assert path.name in str(result)
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB traced"
    if format not in ("smass", "cassis_tbl"):  # these two do not read gzip at all
        assert "gzip bomb" in result.reason and \
            f"{decompression_limit(path.stat().st_size):,} bytes" in result.reason


def test_gunzip_bound_and_its_documented_constants():
    assert (MIN_DECOMPRESSED_BYTES, MAX_COMPRESSION_RATIO, MAX_DECOMPRESSED_BYTES) == (
        64 * 2**20, 100, 2**30)
    assert decompression_limit(0) == MIN_DECOMPRESSED_BYTES
    assert decompression_limit(2 * 2**20) == 200 * 2**20
    assert decompression_limit(2**40) == MAX_DECOMPRESSED_BYTES
    # exactly at the bound is fine, one byte beyond is not
    text = b"x" * MIN_DECOMPRESSED_BYTES
    packed = gzip.compress(text, 1)
    assert gunzip(packed, "ok.gz") == text
    with pytest.raises(SpectrumReadError, match=r"'over\.gz'.*more than 67,108,864 bytes"):
        gunzip(gzip.compress(text + b"x", 1), "over.gz")
    # several members, as gzip.decompress reads them; truncation and junk are errors
    assert gunzip(gzip.compress(b"ab") + gzip.compress(b"cd"), "two.gz") == b"abcd"
    with pytest.raises(SpectrumReadError, match=r"'cut\.gz'.*truncated or corrupt gzip"):
        gunzip(packed[:-20], "cut.gz")
    with pytest.raises(SpectrumReadError, match=r"'junk\.gz'.*bytes after the end"):
        gunzip(gzip.compress(b"ab") + b"junk", "junk.gz")


def test_a_valid_fixture_still_reads_after_the_checks():
    """The checks refuse only what a file cannot hold: each fixture still reads."""
    for format, path in SEEDS.items():
        assert isinstance(read_spectra_file(path, format=format), SpectrumBatch)
