"""One way to open a FITS file for every reader.

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
import warnings
import zlib

from astropy.io import fits
from astropy.io.fits.verify import VerifyError, VerifyWarning
from astropy.utils.exceptions import AstropyUserWarning

from ._errors import SpectrumReadError

__all__ = ["open_fits", "is_gzip", "card_value", "header_values"]

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
        try:
            if is_gzip(path):
                # Decompressing the whole (small) file once and parsing from memory
                # is ~30% faster than astropy's seeks in a GzipFile.
                with open(path, "rb") as stream:
                    source = io.BytesIO(gzip.decompress(stream.read()))
                hdul = fits.open(source, memmap=False)
            else:
                hdul = fits.open(path)
        except FileNotFoundError:
            raise SpectrumReadError(path, "no such file", format=format) from None
        except IsADirectoryError:
            raise SpectrumReadError(
                path, "this is a directory, not a file", format=format
            ) from None
        except (*_ERRORS, AstropyUserWarning) as exc:
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


def header_values(header, keys):
    """Values of the cards ``keys`` present in ``header`` (absent ones are left out).

    Reading a value through :class:`astropy.io.fits.Header` costs ~40 us a card
    (configuration look-ups on every parse), which is a quarter of the time to
    read a small SpeX file; the raw card text is parsed here instead with
    :func:`card_value`, falling back to astropy's parser for cards that have
    no raw text (or if astropy's internals change). A malformed value (such as
    an unquoted string) is returned as its text.

    Parameters
    ----------
    header : astropy.io.fits.Header
    keys : iterable of str
        Upper-case keywords (HIERARCH keywords without the ``HIERARCH``).

    Returns
    -------
    dict
        keyword -> value (str, int, float or bool).

    Examples
    --------
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import header_values
    >>> header = fits.Header.fromstring(
    ...     "OBJECT  = 'Vega    '           / target".ljust(80)
    ...     + "AIRMASS =                1.086".ljust(80))
    >>> header_values(header, ["OBJECT", "AIRMASS", "RA"])
    {'OBJECT': 'Vega', 'AIRMASS': 1.086}
    """
    values = {}
    try:
        indices, cards = header._keyword_indices, header._cards
    except AttributeError:  # pragma: no cover - astropy internals changed
        indices = cards = None
    for key in keys:
        image = None
        if indices is not None:
            where = indices.get(key)
            if not where:
                continue
            image = getattr(cards[where[0]], "_image", None)
        elif key not in header:  # pragma: no cover
            continue
        if image and "=" in image:
            values[key] = card_value(image.split("=", 1)[1])
            continue
        try:
            values[key] = header[key]
        except (VerifyError, ValueError, KeyError):
            continue
    return values
