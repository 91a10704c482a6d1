"""Ways to open a FITS file, shared by every reader.

:func:`read_primary_image` is the hot path for one-image files (SpeX): the
file is read and, if gzipped, decompressed with the standard library, the
primary header's cards are split as the FITS standard lays them out (80-byte
cards in 2880-byte blocks; Pence et al. 2010, A&A 524, A42) and the image is
a :func:`numpy.frombuffer` view of the bytes. It reads nothing but plain
``BITPIX``/``NAXISn`` images; any other primary HDU (scaled integers, random
groups ...) is handed to fitsio. This is three to four times faster than
fitsio and seven times faster than :func:`astropy.io.fits.getdata` on the
small gzipped SpeX files, because the costs there are the library's, not
the disk's (``benchmarks/bench_read.py``).

:func:`open_fitsio` opens with fitsio (cfitsio), about five times faster
than astropy for the small files spectra come in, also for ``.gz`` files
(cfitsio decompresses in memory); it yields a :class:`fitsio.FITS` and its
:func:`header_cards` give the cards as a dict. The readers of the survey
formats use it.

:func:`open_fits` opens with :func:`astropy.io.fits.open`; a gzip-compressed
file (``.gz``) is decompressed into memory first and parsed from there, with
memory mapping off (faster than astropy's seeks in a gzip stream),
silences the warnings astropy raises about the non-standard header cards that
real spectrum files carry (SpeX headers, for instance, hold cards such as
``COMMENT = 'FITS comment'= ...`` and non-ASCII bytes), and turns every
astropy or operating-system error -- missing file, truncated or corrupt data,
a missing HDU -- into :class:`~spectra_sklearn.io.SpectrumReadError` naming
the file.
"""

import contextlib
import gzip
import io
import os
import re
import warnings
import zlib

import fitsio
import numpy as np
from astropy.io import fits
from astropy.io.fits.verify import VerifyError, VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning

from ._errors import SpectrumReadError

__all__ = [
    "open_fits", "open_fitsio", "read_primary_image", "header_cards", "is_gzip", "card_value", 
    "as_float64", "LayoutNotHandled", "RawHDU", "split_hdus",
    "bintable_column_names", "read_bintable", "read_bintable_rows",
    "read_hdus",
]

# Header-card complaints that do not affect the data we read.
_HARMLESS = (
    "The following header keyword is invalid",
    "non-ASCII characters are present in the FITS file header",
    "Card is too long",
    "Invalid 'BLANK' keyword",
)
_ERRORS = (
    OSError, EOFError, ValueError, TypeError, IndexError, KeyError, VerifyError, zlib.error,
)


def is_gzip(path):
    """Whether ``path`` names a gzip-compressed file (by its ``.gz`` suffix)."""
    return os.fspath(path).lower().endswith(".gz")


@contextlib.contextmanager
def open_fits(path, *, format=None):
    """Open a FITS file; yield its :class:`~astropy.io.fits.HDUList`.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` compressed files are read without memory mapping).
    format : str, default=None
        The format being read, named in errors.

    Yields
    ------
    astropy.io.fits.HDUList
        Valid only inside the ``with`` block: copy the arrays you need there.

    Raises
    ------
    SpectrumReadError
        If the file is missing, is not FITS, is truncated or corrupt, or the
        body of the ``with`` block hits an astropy, numpy or OS error while
        reading it (a :class:`SpectrumReadError` raised in the body passes
        through unchanged).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import open_fits
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.fits")
    >>> fits.PrimaryHDU(np.arange(3.0)).writeto(path)
    >>> with open_fits(path) as hdul:
    ...     hdul[0].data.tolist()
    [0.0, 1.0, 2.0]
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)
        for message in _HARMLESS:
            warnings.filterwarnings("ignore", message=message, category=AstropyUserWarning)
        # A short file is an error here, not a warning.
        warnings.filterwarnings(
            "error", message="File may have been truncated", category=AstropyUserWarning
        )
        stream = None
        try:
            if is_gzip(path):
                # Decompressing the whole (small) file once and parsing from memory
                # is ~30% faster than astropy's seeks in a GzipFile.
                with open(path, "rb") as stream:
                    source = io.BytesIO(gzip.decompress(stream.read()))
                hdul = fits.open(source, memmap=False)
            else:
                # our own handle, closed below even when astropy fails half-way
                # through opening (it leaves its own open on a truncated file)
                stream = open(path, "rb")
                hdul = fits.open(stream)
        except FileNotFoundError:
            raise SpectrumReadError(path, "no such file", format=format) from None
        except IsADirectoryError:
            raise SpectrumReadError(
                path, "this is a directory, not a file", format=format
            ) from None
        except (*_ERRORS, AstropyUserWarning) as exc:
            if stream is not None:
                stream.close()
            raise SpectrumReadError(
                path, f"not a readable FITS file: truncated or corrupt ({type(exc).__name__}: "
                f"{exc})", format=format
            ) from exc
        try:
            yield hdul
        except SpectrumReadError:
            raise
        except AstropyUserWarning as exc:
            raise SpectrumReadError(
                path, f"truncated or corrupt FITS file ({exc})", format=format
            ) from exc
        except _ERRORS as exc:
            raise SpectrumReadError(
                path, f"truncated or corrupt FITS file ({type(exc).__name__}: {exc})",
                format=format,
            ) from exc
        finally:
            hdul.close()
            if stream is not None:
                stream.close()


# cfitsio's extended file-name syntax gives these characters a meaning
# ("spec.fits[1]" is HDU 1 of spec.fits); such names are opened by astropy.
_CFITSIO_SPECIAL = re.compile(r"[\[\]()]|^[-!]|^\w+://")


def fitsio_can_open(path):
    """Whether cfitsio reads ``path`` as a plain file name (no extended syntax)."""
    return not _CFITSIO_SPECIAL.search(os.path.basename(os.fspath(path)))


@contextlib.contextmanager
def open_fitsio(path, *, format=None):
    """Open a FITS file with fitsio; yield the :class:`fitsio.FITS`.

    cfitsio opens ``.gz`` files too (decompressed in memory). Every fitsio,
    numpy or OS error while opening or inside the ``with`` block -- missing
    file, not FITS, truncated data, a missing HDU or column -- becomes
    :class:`~spectra_sklearn.io.SpectrumReadError` naming the file.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file. Names that use cfitsio's extended syntax (brackets,
        parentheses) are refused with an error; use :func:`open_fits`.
    format : str, default=None
        The format being read, named in errors.

    Yields
    ------
    fitsio.FITS
        Valid only inside the ``with`` block.

    Raises
    ------
    SpectrumReadError
        If the file is missing, a directory, not FITS, truncated or corrupt,
        or the body hits a fitsio/numpy/OS error (a
        :class:`SpectrumReadError` raised in the body passes through).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import open_fitsio, header_cards
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.fits")
    >>> fits.PrimaryHDU(np.arange(3.0), header=fits.Header({"OBJECT": "Vega"})).writeto(path)
    >>> with open_fitsio(path) as f:
    ...     f[0].read().tolist(), header_cards(f[0])["OBJECT"]
    ([0.0, 1.0, 2.0], 'Vega')
    """
    if not os.path.isfile(path):
        why = "this is a directory, not a file" if os.path.isdir(path) else "no such file"
        raise SpectrumReadError(path, why, format=format)
    if not fitsio_can_open(path):
        raise SpectrumReadError(
            path, "the file name has characters cfitsio reads as extended syntax "
            "([ ] ( )); rename the file", format=format)
    try:
        handle = fitsio.FITS(os.fspath(path))
    except (*_ERRORS, RuntimeError) as exc:
        raise SpectrumReadError(
            path, f"not a readable FITS file: truncated or corrupt ({_fitsio_message(exc)})",
            format=format) from None
    try:
        yield handle
    except SpectrumReadError:
        raise
    except (*_ERRORS, RuntimeError) as exc:
        raise SpectrumReadError(
            path, f"truncated or corrupt FITS file ({_fitsio_message(exc)})", format=format
        ) from None
    finally:
        handle.close()


def _fitsio_message(exc):
    """The first line of a (multi-line) cfitsio error message."""
    text = " ".join(str(exc).split("\n")[:1]).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def header_cards(hdu, path=None, *, format=None):
    """The header cards of a fitsio HDU as a dict keyword -> value.

    Keywords are upper case (as astropy gives them, HIERARCH ones included,
    without the ``HIERARCH``); the first card of a repeated keyword wins; string values are stripped of
    trailing blanks (FITS pads them); ``COMMENT``/``HISTORY`` cards are left
    out (see :func:`header_comments`).

    cfitsio refuses a whole header when one card's value is malformed (an
    unquoted string such as ``spc0070.a.fits``: two SpeX files). With
    ``path`` given, such a primary header is then split into cards from the
    file's bytes and parsed card by card with :func:`card_value` (a
    malformed value comes back as text).
    """
    try:
        records = hdu.read_header_list()
    except OSError:
        if path is None or hdu.get_extnum() != 0:
            raise
        texts, _, _ = _split_cards(_read_bytes(path, format), path, format)
        return {k: card_value(v.decode("ascii", "replace")) for k, v in texts.items()}
    cards = {}
    for record in records:
        name = record.get("name")
        if name and not name.isupper():
            name = name.upper()  # HIERARCH keywords keep their case in fitsio
        if not name or name in ("COMMENT", "HISTORY") or name in cards:
            continue
        value = record.get("value")
        if isinstance(value, str):
            value = value.rstrip()
        cards[name] = value
    return cards


_DTYPES = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
_CARD, _BLOCK = 80, 2880
_STRUCTURE = ("SIMPLE", "BITPIX", "NAXIS", "BSCALE", "BZERO", "GROUPS")


def read_primary_image(path, *, format=None, keys=None):
    """Read the primary image and header cards of a FITS file, fast.

    Parameters
    ----------
    path : str or os.PathLike
        A FITS file, gzip-compressed (``.gz``, or starting with the gzip
        magic bytes) or not.
    format : str, default=None
        The format being read, named in errors.
    keys : iterable of str, default=None
        The keywords whose values are wanted (upper case); ``None`` parses
        every card. Parsing only the few a reader needs saves time on long
        headers.

    Returns
    -------
    data : ndarray or None
        The primary image (big-endian dtype of ``BITPIX``, shape
        ``(NAXISn, ..., NAXIS1)`` as numpy orders it), ``None`` if
        ``NAXIS = 0``. It is a read-only view of the file's bytes.
    cards : dict
        keyword -> value of the primary-header cards with a value (all, or
        ``keys`` and the structural ones; first occurrence wins; values
        parsed by :func:`card_value`, so a malformed value comes back as
        text rather than failing).

    Raises
    ------
    SpectrumReadError
        If the file is missing, not FITS, or truncated (header or data),
        or the gzip stream is corrupt.

    Notes
    -----
    A primary HDU this function does not handle itself -- ``BSCALE`` or
    ``BZERO`` cards, ``GROUPS = T``, an unknown ``BITPIX`` -- is read with
    fitsio instead (:func:`open_fitsio`), so the result is always the
    physical values.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import read_primary_image
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.fits.gz")
    >>> header = fits.Header({"OBJECT": "Vega", "AIRMASS": 1.2})
    >>> fits.PrimaryHDU(np.arange(6.0).reshape(2, 3), header=header).writeto(path)
    >>> data, cards = read_primary_image(path)
    >>> data.tolist(), cards["OBJECT"], cards["AIRMASS"]
    ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], 'Vega', 1.2)
    """
    raw = _read_bytes(path, format)
    texts, end, raw = _split_cards(raw, path, format)
    wanted = texts if keys is None else (*_STRUCTURE, *keys)
    cards = {k: card_value(texts[k].decode("ascii", "replace")) for k in wanted if k in texts}
    naxis = cards.get("NAXIS")
    if isinstance(naxis, int) and keys is not None:
        for key in (f"NAXIS{i}" for i in range(1, min(naxis, 999) + 1)):
            if key in texts:
                cards[key] = card_value(texts[key].decode("ascii", "replace"))
    bitpix = cards.get("BITPIX")
    plain = (
        bitpix in _DTYPES and isinstance(naxis, int) and 0 <= naxis <= 999
        and "BSCALE" not in cards and "BZERO" not in cards and cards.get("GROUPS") is not True
    )
    if not plain:
        return _read_primary_with_library(path, format)
    shape = [cards.get(f"NAXIS{i}") for i in range(naxis, 0, -1)]
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise SpectrumReadError(
            path, f"corrupt FITS header: NAXISn cards {shape[::-1]} are not lengths",
            format=format)
    if naxis == 0:
        return None, cards
    offset = (end // _BLOCK + 1) * _BLOCK
    count = 1
    for n in shape:
        count *= n
    dtype = np.dtype(_DTYPES[bitpix])
    if offset + count * dtype.itemsize > len(raw):
        raise SpectrumReadError(
            path, f"truncated FITS file: the primary image needs {count * dtype.itemsize} "
            f"bytes of data, the file has {max(len(raw) - offset, 0)}", format=format)
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape), cards


def _read_primary_with_library(path, format):
    """What :func:`read_primary_image` returns, read by fitsio (astropy for
    file names cfitsio cannot take)."""
    if fitsio_can_open(path):
        with open_fitsio(path, format=format) as handle:
            hdu = handle[0]
            data = hdu.read() if hdu.has_data() else None
            return data, header_cards(hdu, path, format=format)
    with open_fits(path, format=format) as hdul:
        data = hdul[0].data
        data = None if data is None else np.array(data)
    texts, _, _ = _split_cards(_read_bytes(path, format), path, format)
    return data, {k: card_value(v.decode("ascii", "replace")) for k, v in texts.items()}


def as_float64(data):
    """``data`` as a float64 array, quietly: converting the signalling NaNs a
    damaged file can hold raises numpy's "invalid value" warning."""
    with np.errstate(invalid="ignore"):
        return np.asarray(data, dtype=np.float64)


def _read_bytes(path, format):
    """The file's bytes, gunzipped if they start with the gzip magic."""
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        raise SpectrumReadError(path, "no such file", format=format) from None
    except IsADirectoryError:
        raise SpectrumReadError(path, "this is a directory, not a file", format=format) from None
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open the file ({exc})", format=format) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = zlib.decompress(raw, wbits=31)
        except zlib.error as exc:
            raise SpectrumReadError(
                path, f"truncated or corrupt gzip stream ({exc})", format=format) from None
    return raw


def _split_cards(raw, path, format):
    """Raw value text of each primary-header card, the END card's offset, raw."""
    if not raw.startswith(b"SIMPLE  ="):
        raise SpectrumReadError(
            path, "not a readable FITS file: it does not start with a SIMPLE card "
            "(truncated or corrupt?)", format=format)
    texts, end = {}, None
    for start in range(0, len(raw) - _CARD + 1, _CARD):
        key = raw[start:start + 8]
        if key == b"END     ":
            end = start
            break
        if raw[start + 8:start + 10] == b"= ":
            texts.setdefault(key.rstrip().decode("ascii", "replace"),
                             raw[start + 10:start + _CARD])
        elif key == b"HIERARCH":  # HIERARCH long name = value: keyed as astropy does
            name, equals, value = raw[start + 9:start + _CARD].partition(b"=")
            if equals:
                texts.setdefault(" ".join(name.decode("ascii", "replace").split()).upper(),
                                 value)
    if end is None:
        raise SpectrumReadError(
            path, "truncated or corrupt FITS file: the primary header has no END card",
            format=format)
    return texts, end, raw


def card_value(field):
    """Value of a header card from the text after ``= `` (a small, forgiving parser)."""
    field = field.strip()
    if field.startswith("'"):
        text, i = [], 1
        while i < len(field):
            if field[i] == "'":
                if field[i + 1:i + 2] == "'":
                    text.append("'")
                    i += 2
                    continue
                break
            text.append(field[i])
            i += 1
        return "".join(text).rstrip()
    field = field.split("/", 1)[0].strip()
    if field in ("T", "F"):
        return field == "T"
    for kind in (int, float):
        try:
            return kind(field.replace("D", "E") if kind is float else field)
        except ValueError:
            continue
    return field or None


class LayoutNotHandled(Exception):
    """The fast FITS functions do not handle this file; read it with a library."""


class _NeedBytes(LayoutNotHandled):
    """More of the file is needed (at least ``need`` bytes from its start)."""

    def __init__(self, need):
        super().__init__(f"need {need} bytes")
        self.need = need


_CHUNK = 16 * 2880  # the guess at the size of a header
# bytes read at first: enough for the HDUs an SDSS spec reader needs (~160 kB);
# reading more costs more than it saves (measured, benchmarks/bench_read.py)
_FIRST_READ = 3 * 2**16


_END_CARD = b"END" + b" " * 77
_BLANK_CARD = b" " * 80
_CARDS_DTYPE = np.dtype([("key", "S8"), ("rest", "S72")])
_TFORM = re.compile(rb"^\s*(\d*)\s*([LXBIJKAEDCMPQ])")
# TFORM letter -> bytes per element, numpy dtype (None: not read by the fast path)
_TFORM_TYPES = {
    b"L": (1, None), b"X": (None, None), b"B": (1, "u1"), b"I": (2, ">i2"),
    b"J": (4, ">i4"), b"K": (8, ">i8"), b"A": (1, "S"), b"E": (4, ">f4"),
    b"D": (8, ">f8"), b"C": (8, None), b"M": (16, None), b"P": (8, None),
    b"Q": (16, None),
}


class RawHDU:
    """One HDU of a FITS file held in memory, as :func:`split_hdus` finds it.

    Cards are looked up in the header bytes when asked for (a table header
    has hundreds of cards; a reader needs a dozen), the first card of a
    repeated keyword winning.

    Attributes
    ----------
    raw : bytes
        The file's bytes.
    header_start, header_end : int
        Offsets of the header (``header_end``: the ``END`` card).
    data_start, data_end : int
        Offsets of the data (``data_end`` includes the padding to the
        2880-byte block).
    """

    __slots__ = ("raw", "header_start", "header_end", "data_start", "data_end", "_columns",
                 "_cards")

    def __init__(self, raw, header_start, header_end, data_start):
        self.raw = raw
        self.header_start = header_start
        self.header_end = header_end
        self.data_start = self.data_end = data_start
        self._columns = self._cards = None

    def cards(self):
        """Keyword (8 bytes, blank padded) -> raw value text of every card with
        a value (the first of a repeated keyword), split at once with numpy."""
        if self._cards is None:
            records = np.frombuffer(self.raw, dtype=_CARDS_DTYPE, offset=self.header_start,
                                    count=(self.header_end - self.header_start) // _CARD)
            records = records[::-1]  # the first card of a repeated keyword wins
            cards = dict(zip(records["key"].tolist(), records["rest"].tolist()))
            self._cards = {k: v[2:] for k, v in cards.items() if v[:2] == b"= "}
        return self._cards

    def offset(self, key):
        """Offset in ``raw`` of the (first) card ``key`` with a value, or -1."""
        pattern = key.encode("ascii").ljust(8) + b"= "
        start, end = self.header_start, self.header_end
        pos = self.raw.find(pattern, start, end)
        while pos >= 0 and (pos - start) % _CARD:
            pos = self.raw.find(pattern, pos + 1, end)
        return pos

    def text(self, key):
        """The raw value text (70 bytes after ``= ``) of card ``key``, or ``None``."""
        pos = self.offset(key)
        return None if pos < 0 else self.raw[pos + 10:pos + _CARD]

    def value(self, key, default=None):
        """The parsed value (:func:`card_value`) of card ``key``, or ``default``."""
        text = self.text(key)
        return default if text is None else card_value(text.decode("ascii", "replace"))

    def values(self, keys):
        """keyword -> parsed value of the cards ``keys`` present (for several
        keys: the header is split into cards once)."""
        cards, out = self.cards(), {}
        for key in keys:
            text = cards.get(key.encode("ascii").ljust(8))
            if text is not None:
                out[key] = card_value(text.decode("ascii", "replace"))
        return out


def _split_header(raw, start, complete=True):
    """The offsets of the END card of the header at ``start`` and of its data."""
    # The END card is in the last block of a header, whose last card is then
    # blank or END itself: only such blocks are searched.
    for block in range(start, len(raw) - _BLOCK + 1, _BLOCK):
        if raw[block + _BLOCK - _CARD:block + _BLOCK] not in (_BLANK_CARD, _END_CARD):
            continue
        end = raw.find(_END_CARD, block, block + _BLOCK)
        while end >= 0 and (end - start) % _CARD:
            end = raw.find(_END_CARD, end + 1, block + _BLOCK)
        if end >= 0:
            return end, block + _BLOCK
    if not complete:
        raise _NeedBytes(len(raw) + _CHUNK)
    raise LayoutNotHandled("no END card")


def _structural(hdu, index, key):
    """The integer value of the mandatory card ``key``, expected as card
    ``index`` of the header (the FITS standard fixes their order); looked
    up by name if it is elsewhere."""
    raw, pos = hdu.raw, hdu.header_start + index * _CARD
    if raw[pos:pos + 10] == key.encode("ascii").ljust(8) + b"= ":
        value = raw[pos + 10:pos + _CARD].partition(b"/")[0]
        try:
            return int(value)
        except ValueError:
            pass
    return hdu.value(key)


def _data_size(hdu):
    """Bytes of data of an HDU (before padding), from its structural cards."""
    bitpix, naxis = _structural(hdu, 1, "BITPIX"), _structural(hdu, 2, "NAXIS")
    if not isinstance(naxis, int) or not 0 <= naxis <= 999 or bitpix not in _DTYPES:
        raise LayoutNotHandled("odd NAXIS or BITPIX")
    if naxis == 0:
        return 0
    count = 1
    for i in range(1, naxis + 1):
        n = _structural(hdu, 2 + i, f"NAXIS{i}")
        if not isinstance(n, int) or n < 0:
            raise LayoutNotHandled(f"odd NAXIS{i}")
        count *= n
    pcount, gcount = 0, 1
    if hdu.header_start:  # an extension: PCOUNT and GCOUNT follow NAXISn
        pcount = _structural(hdu, 3 + naxis, "PCOUNT")
        gcount = _structural(hdu, 4 + naxis, "GCOUNT")
    else:
        if hdu.value("GROUPS") is True:
            raise LayoutNotHandled("random groups")
        pcount, gcount = hdu.value("PCOUNT", 0), hdu.value("GCOUNT", 1)
    if not isinstance(pcount, int) or not isinstance(gcount, int) or pcount < 0:
        raise LayoutNotHandled("odd PCOUNT or GCOUNT")
    return abs(bitpix) // 8 * gcount * (pcount + count)


def split_hdus(raw, n_hdus, complete=True):
    """The first ``n_hdus`` HDUs of a FITS file's bytes (fewer if the file has fewer).

    Parameters
    ----------
    raw : bytes
        The whole file (as :func:`read_file_bytes` gives it).
    n_hdus : int
        How many HDUs to split, from the primary one.
    complete : bool, default=True
        Whether ``raw`` is the whole file; if not, running out of bytes
        raises a ``LayoutNotHandled`` subclass whose ``need`` attribute is
        how many bytes from the start to try next (:func:`read_hdus`).

    Returns
    -------
    list of RawHDU

    Raises
    ------
    LayoutNotHandled
        If the file does not start with ``SIMPLE``, a header has no ``END``
        card or odd structural cards, an HDU's data (with its padding) runs
        past the end of the file, or bytes follow an HDU that are not an
        ``XTENSION`` header.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import split_hdus
    >>> out = io.BytesIO()
    >>> table = fits.BinTableHDU.from_columns([fits.Column("x", "E", array=[1.0])],
    ...                                       name="T")
    >>> fits.HDUList([fits.PrimaryHDU(), table]).writeto(out)
    >>> [hdu.value("EXTNAME") for hdu in split_hdus(out.getvalue(), 5)]
    [None, 'T']
    """
    if not raw.startswith(b"SIMPLE  ="):
        raise LayoutNotHandled("not SIMPLE")
    hdus, start = [], 0
    while len(hdus) < n_hdus:
        if not complete and start + _CARD > len(raw):
            raise _NeedBytes(start + _CHUNK)
        if start >= len(raw):
            break
        if hdus and not raw.startswith(b"XTENSION= ", start):
            raise LayoutNotHandled("bytes after the last HDU")
        hdu = RawHDU(raw, start, *_split_header(raw, start, complete))
        hdu.data_end = hdu.data_start + -(-_data_size(hdu) // _BLOCK) * _BLOCK
        if hdu.data_end > len(raw):
            if not complete:
                raise _NeedBytes(hdu.data_end + _CHUNK)
            raise LayoutNotHandled("truncated")
        hdus.append(hdu)
        start = hdu.data_end
    return hdus


def read_hdus(path, n_hdus, *, format=None):
    """The first ``n_hdus`` HDUs of a FITS file, reading only the bytes they span.

    Parameters
    ----------
    path : str or os.PathLike
        A FITS file, gzip-compressed or not (a compressed file is read whole).
    n_hdus : int
        How many HDUs, from the primary one.
    format : str, default=None
        The format being read, named in errors.

    Returns
    -------
    raw : bytes
        The bytes read (the start of the file, or all of it).
    hdus : list of RawHDU
        As :func:`split_hdus` gives them (fewer if the file has fewer).

    Raises
    ------
    SpectrumReadError
        If the file is missing, a directory, unreadable, or a corrupt gzip stream.
    LayoutNotHandled
        As :func:`split_hdus` (a short file, an odd header ...).
    """
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        raise SpectrumReadError(path, "no such file", format=format) from None
    except IsADirectoryError:
        raise SpectrumReadError(path, "this is a directory, not a file", format=format) from None
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open the file ({exc})", format=format) from None
    with stream:
        try:
            raw = stream.read(_FIRST_READ)
            if raw[:2] == b"\x1f\x8b":
                raw = zlib.decompress(raw + stream.read(), wbits=31)
                return raw, split_hdus(raw, n_hdus)
            chunks, size = [raw], len(raw)
            while True:
                try:
                    return raw, split_hdus(raw, n_hdus, complete=False)
                except _NeedBytes as exc:
                    more = stream.read(max(exc.need - size, _CHUNK))
                    if not more:  # the whole file is read
                        return raw, split_hdus(raw, n_hdus)
                    chunks.append(more)
                    size += len(more)
                    raw = b"".join(chunks)
        except zlib.error as exc:
            raise SpectrumReadError(
                path, f"truncated or corrupt gzip stream ({exc})", format=format) from None
        except OSError as exc:
            raise SpectrumReadError(path, f"cannot read the file ({exc})", format=format) from None


# TTYPEn / TFORMn / TSCALn / TZEROn cards, found in one pass over a header;
# a match inside another card's text would repeat an index or leave an index
# outside 1..TFIELDS, which is refused (LayoutNotHandled).
_TCARDS = {
    key: re.compile(key + rb"(\d{1,3}) *= *'([^']*(?:''[^']*)*)'")
    for key in (b"TTYPE", b"TFORM")
}
_TSCALED = re.compile(rb"(?:TSCAL|TZERO)(\d{1,3}) *=")
_INDEX = [str(i).encode("ascii") for i in range(1000)]
_TFORM_CACHE = {}


def _tform(text):
    """(bytes per row, numpy dtype or None, repeat) of a TFORM value."""
    got = _TFORM_CACHE.get(text)
    if got is None:
        match = _TFORM.match(text)
        if match is None:
            raise LayoutNotHandled(f"odd TFORM {text!r}")
        repeat = int(match[1]) if match[1] else 1
        width, kind = _TFORM_TYPES[match[2]]
        if kind == "S":
            kind = f"S{repeat}"
        elif kind is not None and repeat != 1:
            kind = (kind, (repeat,))
        got = ((repeat + 7) // 8 if width is None else width * repeat, kind, repeat)
        if len(_TFORM_CACHE) < 10_000:
            _TFORM_CACHE[text] = got
    return got


def _table_cards(hdu, key, n):
    """Value texts of the cards ``key1`` .. ``keyn`` (``None`` where absent)."""
    found = _TCARDS[key].findall(hdu.raw, hdu.header_start, hdu.header_end)
    cards = dict(found)
    values = [cards.get(_INDEX[i]) for i in range(1, n + 1)]
    if len(cards) != len(found) or len(cards) != n - values.count(None):
        raise LayoutNotHandled(f"odd {key.decode()}n cards")
    return [None if v is None else (v.replace(b"''", b"'") if b"''" in v else v).rstrip()
            for v in values]


# header bytes (without the NAXIS2 card) -> _table_columns: survey files of
# one release share their table headers (all SDSS SPECOBJ headers are the
# same 21 kB), and parsing 126 columns' cards costs more than the rest of a read
_LAYOUTS = {}
_N_LAYOUTS = 64


def _table_columns(hdu):
    """:func:`_parse_table_columns` of a binary-table HDU, cached."""
    if hdu._columns is None:
        rows = hdu.offset("NAXIS2")
        if rows < 0:
            raise LayoutNotHandled("no NAXIS2 card")
        raw = hdu.raw
        key = raw[hdu.header_start:rows] + raw[rows + _CARD:hdu.header_end]
        hdu._columns = _LAYOUTS.get(key)
        if hdu._columns is None:
            hdu._columns = _parse_table_columns(hdu)
            if len(_LAYOUTS) >= _N_LAYOUTS:
                _LAYOUTS.clear()
            _LAYOUTS[key] = hdu._columns
    return hdu._columns


def _parse_table_columns(hdu):
    """(names, TFORM texts, scaled column numbers, name -> first index) of a
    binary-table HDU, from its cards."""
    if hdu.value("XTENSION") != "BINTABLE" or _structural(hdu, 2, "NAXIS") != 2 \
            or _structural(hdu, 1, "BITPIX") != 8:
        raise LayoutNotHandled("not a binary table")
    n = hdu.value("TFIELDS")
    if not isinstance(n, int) or not 0 <= n <= 999:
        raise LayoutNotHandled("odd TFIELDS")
    types, forms = _table_cards(hdu, b"TTYPE", n), _table_cards(hdu, b"TFORM", n)
    if None in forms:
        raise LayoutNotHandled("a TFORMn card is missing")
    names = ["" if t is None else t.decode("ascii", "replace") for t in types]
    scaled = {int(i) for i in _TSCALED.findall(hdu.raw, hdu.header_start,
                                               hdu.header_end)}
    index = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    return names, forms, frozenset(scaled), index


def read_bintable_rows(hdu):
    """The number of rows (``NAXIS2``) of a binary-table :class:`RawHDU`."""
    rows = _structural(hdu, 4, "NAXIS2")
    if not isinstance(rows, int) or rows < 0:
        raise LayoutNotHandled("odd NAXIS2")
    return rows


def bintable_column_names(hdu):
    """Names of the columns of a binary-table :class:`RawHDU`, in order
    (``LayoutNotHandled`` if it is not a plain binary table)."""
    return list(_table_columns(hdu)[0])


def read_bintable(raw, hdu, columns, rows=None):
    """Columns of a binary-table HDU as numpy arrays, viewed in the file's bytes.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    hdu : RawHDU
        A binary-table HDU of ``raw`` (from :func:`split_hdus`).
    columns : list of str
        Column names, exactly as in ``TTYPEn`` (the first column of a name wins).
    rows : slice or list of int, default=None
        The rows to take (all by default; a slice is a view of the bytes,
        a list a copy).

    Returns
    -------
    dict of str to ndarray
        Name -> read-only big-endian array, shape ``(n_rows,)`` or
        ``(n_rows, repeat)``; text columns (``A``) as bytes (``S``).

    Raises
    ------
    LayoutNotHandled
        If a column is missing, scaled (``TSCALn``/``TZEROn``), of a type
        read here only by a library (logical, bits, complex, variable-length
        arrays), or the row layout is inconsistent with ``NAXIS1``.

    Examples
    --------
    >>> import io
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import read_bintable, split_hdus
    >>> out = io.BytesIO()
    >>> table = fits.BinTableHDU.from_columns([
    ...     fits.Column("name", "4A", array=["Vega", "Deneb"]),
    ...     fits.Column("flux", "E", array=[1.5, 2.5])])
    >>> fits.HDUList([fits.PrimaryHDU(), table]).writeto(out)
    >>> raw = out.getvalue()
    >>> got = read_bintable(raw, split_hdus(raw, 2)[1], ["flux", "name"])
    >>> got["flux"].tolist(), got["name"].tolist()
    ([1.5, 2.5], [b'Vega', b'Dene'])
    """
    layout = _table_columns(hdu)
    row_bytes, n_rows = _structural(hdu, 3, "NAXIS1"), _structural(hdu, 4, "NAXIS2")
    if not isinstance(row_bytes, int) or not isinstance(n_rows, int) or row_bytes < 0 \
            or n_rows < 0:
        raise LayoutNotHandled("odd NAXIS1/NAXIS2")
    if hdu.data_start + row_bytes * n_rows > hdu.data_end:
        raise LayoutNotHandled("rows past the data")
    key = (id(layout), row_bytes, tuple(columns))
    dtype = _DTYPE_CACHE.get(key)
    if dtype is None or dtype[0] is not layout:
        dtype = layout, _row_dtype(layout, row_bytes, columns)
        if len(_DTYPE_CACHE) >= _N_LAYOUTS:
            _DTYPE_CACHE.clear()
        _DTYPE_CACHE[key] = dtype
    dtype = dtype[1]
    start, count = 0, n_rows
    if isinstance(rows, slice) and rows.step in (None, 1):
        start, stop, _ = rows.indices(n_rows)
        count, rows = max(stop - start, 0), None
    table = np.frombuffer(hdu.raw if raw is None else raw, dtype=dtype, count=count,
                          offset=hdu.data_start + start * row_bytes)
    if rows is not None:
        table = table[rows]
    return {name: table[name] for name in columns}


_DTYPE_CACHE = {}


def _row_dtype(layout, row_bytes, columns):
    """The numpy record dtype of ``columns`` in rows of ``row_bytes`` bytes."""
    names, forms, scaled, index = layout
    missing = [c for c in columns if c not in index]
    if missing:
        raise LayoutNotHandled(f"no column(s) {missing}")
    wanted = {index[c]: c for c in columns}
    formats, offsets, offset = [], [], 0
    for i in range(max(wanted) + 1):
        width, kind, _ = _tform(forms[i])
        if i in wanted:
            if kind is None or i + 1 in scaled:
                raise LayoutNotHandled(f"column {wanted[i]!r} needs a library")
            formats.append(kind)
            offsets.append(offset)
        offset += width
    if offset > row_bytes:
        raise LayoutNotHandled("columns wider than the rows")
    order = sorted(wanted)
    return np.dtype({"names": [wanted[i] for i in order], "formats": formats,
                     "offsets": offsets, "itemsize": max(row_bytes, 1)})
