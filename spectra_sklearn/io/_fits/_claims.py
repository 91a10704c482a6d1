"""What a FITS file's headers claim, checked against the bytes it has -- before any allocation.

A FITS library sizes its arrays from the header (``BITPIX``, ``NAXISn``,
``PCOUNT``, ``GCOUNT``; Pence et al. 2010, A&A 524, A42, sect. 4.4.1 and
7), so a small file whose header claims a 10^6 x 10^6 image or a table of
10^12 rows makes fitsio or astropy ask for terabytes (a raw ``MemoryError``)
or read for ever. :func:`check_data_claims` walks the headers, HDU by HDU,
and refuses the file as soon as one claims more data than the file has
after that header; the FITS layer runs it before handing a file to a
library (:func:`~spectra_sklearn.io._fits.open_fits`,
:func:`~spectra_sklearn.io._fits.open_fitsio`).
"""

import os

from .._errors import SpectrumReadError, open_spectrum_file
from .._limits import GZIP_MAGIC, gunzip
from ._cards import _BLOCK, _CARD, card_value

_READ_BLOCKS = 16  # header blocks read at a time from a file on disk
_MAX_HDUS = 10_000  # HDUs walked at most (spectrum files have a handful)
_MAX_HEADER_BYTES = 2**24  # a header is searched this far for its END card


_STRUCTURAL = (b"BITPIX", b"NAXIS", b"PCOUNT", b"GCOUNT", b"GROUPS")


def _header_cards(header):
    """keyword -> parsed value of the first card of each structural keyword
    (``BITPIX``, ``NAXIS``, ``NAXISn``, ``PCOUNT``, ``GCOUNT``, ``GROUPS``)."""
    cards = {}
    for start in range(0, len(header), _CARD):
        key = header[start:start + 8]
        if key.startswith(_STRUCTURAL) and header[start + 8:start + 10] == b"= ":
            name = key.rstrip().decode("ascii", "replace")
            if name not in cards:
                cards[name] = card_value(header[start + 10:start + _CARD].decode("ascii",
                                                                                   "replace"))
    return cards


def claimed_data_bytes(cards, primary):
    """Bytes of data (before padding) the structural ``cards`` of one HDU claim.

    ``|BITPIX| / 8 * GCOUNT * (PCOUNT + NAXIS1 * ... * NAXISn)`` (``NAXIS1``
    left out of the product for random groups), or ``None`` when the cards
    are not integers (the library then says what is wrong).

    Examples
    --------
    >>> from spectra_sklearn.io._fits._claims import claimed_data_bytes
    >>> claimed_data_bytes({"BITPIX": -32, "NAXIS": 2, "NAXIS1": 10, "NAXIS2": 3}, True)
    120
    """
    bitpix, naxis = cards.get("BITPIX"), cards.get("NAXIS")
    if not isinstance(bitpix, int) or not isinstance(naxis, int) or not 0 <= naxis <= 999:
        return None
    if naxis == 0:
        return 0
    lengths = [cards.get(f"NAXIS{i}") for i in range(1, naxis + 1)]
    if not all(isinstance(n, int) for n in lengths):
        return None
    groups = primary and cards.get("GROUPS") is True and lengths[0] == 0
    pcount, gcount = cards.get("PCOUNT", 0), cards.get("GCOUNT", 1)
    if not isinstance(pcount, int) or not isinstance(gcount, int):
        return None
    if primary and not groups:
        pcount, gcount = 0, 1
    count = 1
    for n in lengths[1:] if groups else lengths:
        count *= max(n, 0)
    return abs(bitpix) // 8 * max(gcount, 0) * (max(pcount, 0) + count)


def _describe(cards):
    naxis = cards.get("NAXIS")
    keys = ["BITPIX", "NAXIS", *(f"NAXIS{i}" for i in range(1, min(naxis, 9) + 1))]
    keys += [k for k in ("PCOUNT", "GCOUNT") if cards.get(k) not in (None, 0, 1)]
    return ", ".join(f"{k} = {cards.get(k)}" for k in keys)


def refuse_claim(path, format, index, cards, claimed, available):
    """Raise the error of a header claiming ``claimed`` bytes where ``available`` are."""
    where = "primary HDU" if index == 0 else f"HDU {index}"
    raise SpectrumReadError(
        path, f"the header of the {where} claims {claimed:,} bytes of data "
        f"({_describe(cards)}) but the file has {max(available, 0):,} bytes after that "
        "header: truncated, or a corrupt header; refused before reading the data",
        format=format)


def check_claims_in_bytes(raw, path, format=None, *, start=0, first=0):
    """:func:`check_data_claims` on a file's (decompressed) bytes in memory,
    from the HDU number ``first`` at offset ``start``."""
    pos, total = start, len(raw)
    for index in range(first, _MAX_HDUS):
        if pos >= total or not raw.startswith(b"XTENSION= " if index else b"SIMPLE  =", pos):
            return
        end = _find_end(raw, pos)
        if end is None:
            return  # no END card: the library says so
        cards = _header_cards(raw[pos:end])
        data_start = pos + (end - pos) // _BLOCK * _BLOCK + _BLOCK
        pos = _next_hdu(path, format, index, cards, data_start, total)
        if pos is None:
            return


def _find_end(raw, start, skip=0):
    """Offset of the END card of the header at ``start`` (a card boundary), or None;
    the first ``skip`` bytes after ``start`` are known to hold none."""
    pos = raw.find(b"END" + b" " * 5, start + skip - skip % _CARD)
    while pos >= 0 and (pos - start) % _CARD:
        pos = raw.find(b"END" + b" " * 5, pos + 1)
    return None if pos < 0 else pos


def _next_hdu(path, format, index, cards, data_start, total):
    """Offset of the next HDU, after refusing data the header claims beyond ``total``."""
    claimed = claimed_data_bytes(cards, primary=index == 0)
    if claimed is None:
        return None
    if claimed and data_start + claimed > total:
        refuse_claim(path, format, index, cards, claimed, total - data_start)
    return data_start + -(-claimed // _BLOCK) * _BLOCK


def check_data_claims(path, *, format=None):
    """Refuse a FITS file whose headers claim more data than the file holds.

    Walks the headers of ``path`` (reading only them, and seeking past the
    data, for an uncompressed file; a gzip-compressed one is decompressed
    within the bounds of :func:`~spectra_sklearn.io._limits.gunzip`) and
    compares each HDU's claimed data size with the bytes after its header.
    Anything that is not a FITS header where one is expected ends the walk
    quietly: what is wrong there is for the reader or library to say.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    format : str, default=None
        The format being read, named in errors.

    Raises
    ------
    SpectrumReadError
        Naming the file, the HDU, what its header claims and how many bytes
        the file has; or if the file cannot be opened or is a gzip stream
        that is corrupt or beyond the bound.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits._claims import check_data_claims
    >>> path = os.path.join(tempfile.mkdtemp(), "big.fits")
    >>> fits.PrimaryHDU(np.ones(10)).writeto(path)
    >>> with open(path, "rb") as f:
    ...     raw = f.read().replace(b"NAXIS1  =                   10",
    ...                            b"NAXIS1  =         999999999999")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(raw)
    >>> try:
    ...     check_data_claims(path)
    ... except ValueError as exc:
    ...     print(exc.reason[:60])
    the header of the primary HDU claims 7,999,999,999,992 bytes
    """
    with open_spectrum_file(path, format=format) as stream:
        try:
            head = stream.read(_READ_BLOCKS * _BLOCK)
            if head[:2] == GZIP_MAGIC:
                check_claims_in_bytes(gunzip(head + stream.read(), path, format), path, format)
                return
            total = os.fstat(stream.fileno()).st_size
            _walk_file(stream, head, total, path, format)
        except OSError as exc:
            raise SpectrumReadError(path, f"cannot read the file ({exc})",
                                    format=format) from None


def _walk_file(stream, head, total, path, format):
    """The header walk of :func:`check_data_claims` on an uncompressed file."""
    pos, buffer = 0, head  # buffer: the file's bytes from pos
    for index in range(_MAX_HDUS):
        if not buffer.startswith(b"XTENSION= " if index else b"SIMPLE  ="):
            return
        end = _find_end(buffer, 0)
        while end is None:
            more = stream.read(_READ_BLOCKS * _BLOCK)
            if not more or len(buffer) > _MAX_HEADER_BYTES:
                return  # no END card (in reach): the library says what is wrong
            searched, buffer = len(buffer), buffer + more
            end = _find_end(buffer, 0, searched)
        cards = _header_cards(buffer[:end])
        data_start = pos + end // _BLOCK * _BLOCK + _BLOCK
        pos = _next_hdu(path, format, index, cards, data_start, total)
        if pos is None or pos >= total:
            return
        stream.seek(pos)
        buffer = stream.read(_READ_BLOCKS * _BLOCK)
