"""The hot path for one-image files (SpeX): the primary image straight from the bytes.

:func:`read_primary_image` reads the file (gunzipping with the standard
library), splits the primary header's cards (:mod:`._cards`) and returns the
image as a :func:`numpy.frombuffer` view of the bytes. It reads nothing but
plain ``BITPIX``/``NAXISn`` images; any other primary HDU (scaled integers,
random groups ...) goes to the library fallback. Three to four times faster
than fitsio and seven times faster than :func:`astropy.io.fits.getdata` on
the small gzipped SpeX files, because the costs there are the library's, not
the disk's (``benchmarks/bench_read.py``).
"""


import numpy as np

from .._errors import SpectrumReadError
from ._cards import _BLOCK, _DTYPES, card_value, read_raw, split_cards
from ._claims import check_claims_in_bytes, refuse_claim
from ._library import read_with_library

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
        If the file is missing, not FITS, or truncated (header or data), a
        header of any HDU claims more data than the file holds, or the gzip
        stream is corrupt or beyond the bound of
        :func:`~spectra_sklearn.io._limits.gunzip`.

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
    raw = read_raw(path, format)
    texts, end, raw = split_cards(raw, path, format)
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
        return read_with_library(path, format)
    shape = [cards.get(f"NAXIS{i}") for i in range(naxis, 0, -1)]
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise SpectrumReadError(
            path, f"corrupt FITS header: NAXISn cards {shape[::-1]} are not lengths",
            format=format)
    offset = (end // _BLOCK + 1) * _BLOCK
    count = 1 if naxis else 0
    for n in shape:
        count *= n
    dtype = np.dtype(_DTYPES[bitpix])
    size = count * dtype.itemsize
    if size and offset + size > len(raw):
        refuse_claim(path, format, 0, cards, size, len(raw) - offset)
    # nor may any extension claim more than the file has
    check_claims_in_bytes(raw, path, format, start=offset + -(-size // _BLOCK) * _BLOCK,
                          first=1)
    if naxis == 0:
        return None, cards
    return np.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape), cards

def as_float64(data):
    """``data`` as a float64 array, quietly: converting the signalling NaNs a
    damaged file can hold raises numpy's "invalid value" warning. Float64
    data (MILES, SDSS templates) is only byte-swapped, which cannot raise it,
    so it skips the ``errstate`` context (a quarter of the conversion's cost
    on a 4,300-pixel spectrum)."""
    if data.dtype.kind == "f" and data.dtype.itemsize == 8:
        return data.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(data, dtype=np.float64)
