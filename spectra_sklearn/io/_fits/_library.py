"""FITS files opened with astropy or fitsio, errors translated to SpectrumReadError.

:func:`open_fits` opens with :func:`astropy.io.fits.open`; a gzip-compressed
file (``.gz``) is decompressed into memory first and parsed from there, with
memory mapping off (faster than astropy's seeks in a gzip stream), silences
the warnings astropy raises about the non-standard header cards that real
spectrum files carry (SpeX headers hold cards such as ``COMMENT = 'FITS
comment'= ...`` and non-ASCII bytes), and turns every astropy or
operating-system error -- missing file, truncated or corrupt data, a missing
HDU -- into :class:`~spectra_sklearn.io.SpectrumReadError` naming the file.
:func:`open_fitsio` opens with fitsio (cfitsio), about five times faster than
astropy for the small files spectra come in, also for ``.gz`` files;
:func:`header_cards` gives a fitsio HDU's cards as a dict. The library
fallback of the byte-level readers is :func:`read_with_library`.
"""

import contextlib
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

from .._errors import SpectrumReadError, check_regular_file
from .._limits import read_file_bytes
from ._cards import card_value, read_raw, split_cards
from ._claims import check_claims_in_bytes, check_data_claims

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
        If the file is missing, is not FITS, is truncated or corrupt, a header
        claims more data than the file holds (checked before astropy sees the
        file: :func:`check_data_claims`), a gzip stream passes the bound of
        :func:`~spectra_sklearn.io._limits.gunzip`, or the body of the
        ``with`` block hits an astropy, numpy or OS error while reading it (a
        :class:`SpectrumReadError` raised in the body passes through
        unchanged).

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
        check_regular_file(path, format)
        stream = None
        if is_gzip(path):
            # Decompressing the whole (small) file once and parsing from memory
            # is ~30% faster than astropy's seeks in a GzipFile.
            raw = read_file_bytes(path, format)
            check_claims_in_bytes(raw, path, format)
        else:
            check_data_claims(path, format=format)
        try:
            if is_gzip(path):
                hdul = fits.open(io.BytesIO(raw), memmap=False)
            else:
                # our own handle, closed below even when astropy fails half-way
                # through opening (it leaves its own open on a truncated file)
                stream = open(path, "rb")
                hdul = fits.open(stream)
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
        a header claims more data than the file holds (checked before cfitsio
        sees the file: :func:`check_data_claims`), a gzip stream passes the
        bound of :func:`~spectra_sklearn.io._limits.gunzip`, or the body hits
        a fitsio/numpy/OS error (a :class:`SpectrumReadError` raised in the
        body passes through).

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
    check_regular_file(path, format)
    if not fitsio_can_open(path):
        raise SpectrumReadError(
            path, "the file name has characters cfitsio reads as extended syntax "
            "([ ] ( )); rename the file", format=format)
    check_data_claims(path, format=format)
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
    without the ``HIERARCH``); the first card of a repeated keyword wins;
    string values are stripped of trailing blanks (FITS pads them);
    ``COMMENT``/``HISTORY`` cards are left out.

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
        texts, _, _ = split_cards(read_raw(path, format), path, format)
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

def read_with_library(path, format):
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
    texts, _, _ = split_cards(read_raw(path, format), path, format)
    return data, {k: card_value(v.decode("ascii", "replace")) for k, v in texts.items()}
