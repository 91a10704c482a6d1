"""A FITS file's bytes split into header-data units without a FITS library.
"""

import os

import numpy as np

from .._errors import SpectrumReadError, open_spectrum_file
from .._limits import GZIP_MAGIC, gunzip
from ._cards import _BLOCK, _CARD, _DTYPES, card_value


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


def structural_card(hdu, index, key):
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
    bitpix, naxis = structural_card(hdu, 1, "BITPIX"), structural_card(hdu, 2, "NAXIS")
    if not isinstance(naxis, int) or not 0 <= naxis <= 999 or bitpix not in _DTYPES:
        raise LayoutNotHandled("odd NAXIS or BITPIX")
    if naxis == 0:
        return 0
    count = 1
    for i in range(1, naxis + 1):
        n = structural_card(hdu, 2 + i, f"NAXIS{i}")
        if not isinstance(n, int) or n < 0:
            raise LayoutNotHandled(f"odd NAXIS{i}")
        count *= n
    pcount, gcount = 0, 1
    if hdu.header_start:  # an extension: PCOUNT and GCOUNT follow NAXISn
        pcount = structural_card(hdu, 3 + naxis, "PCOUNT")
        gcount = structural_card(hdu, 4 + naxis, "GCOUNT")
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
        If the file is missing, a directory, unreadable, or a corrupt gzip
        stream or one beyond the bound of :func:`~spectra_sklearn.io._limits.gunzip`.
    LayoutNotHandled
        As :func:`split_hdus` (a short file, an odd header ...).
    """
    with open_spectrum_file(path, format=format) as stream:
        try:
            raw = stream.read(_FIRST_READ)
            if raw[:2] == GZIP_MAGIC:
                raw = gunzip(raw + stream.read(), path, format)
                return raw, split_hdus(raw, n_hdus)
            chunks, size = [raw], len(raw)
            file_size = os.fstat(stream.fileno()).st_size
            while True:
                try:
                    return raw, split_hdus(raw, n_hdus, complete=False)
                except _NeedBytes as exc:
                    # never more than the file has: a header may claim terabytes
                    more = stream.read(max(min(max(exc.need - size, _CHUNK), file_size - size), 0))
                    if not more:  # the whole file is read
                        return raw, split_hdus(raw, n_hdus)
                    chunks.append(more)
                    size += len(more)
                    raw = b"".join(chunks)
        except OSError as exc:
            raise SpectrumReadError(path, f"cannot read the file ({exc})", format=format) from None


# TTYPEn / TFORMn / TSCALn / TZEROn cards, found in one pass over a header;
# a match inside another card's text would repeat an index or leave an index
# outside 1..TFIELDS, which is refused (LayoutNotHandled).
