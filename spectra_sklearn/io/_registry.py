"""The registry of file formats: a name, a cheap ``identify`` and a ``read``.

Every format module registers itself here on import (see
:func:`register_format`). :func:`identify_format` asks each format's
``identify(path, head)`` whether it recognises a file from its name and its
first bytes only -- never by trying to read it -- and an explicit format skips
identification altogether (Astropy's and specutils' registries work the same
way; specutils' trial reads are what makes its auto-identification slow).
"""

import dataclasses
import os
import zlib
from collections.abc import Callable
from pathlib import Path

from ._errors import SpectrumReadError, check_regular_file
from ._fits import card_value

__all__ = [
    "FileHead",
    "available_formats",
    "get_format",
    "identify_format",
    "register_format",
]

_BLOCK = 2880  # one FITS header block: 36 cards of 80 bytes
_HEAD_BYTES = 4 * _BLOCK
_GZIP_READ = 65536  # compressed bytes read to get _HEAD_BYTES out of a .gz


@dataclasses.dataclass(frozen=True)
class Format:
    """A registered format (what :func:`get_format` returns)."""

    name: str
    identify: object
    read: object
    description: str = ""
    multiple: bool = False
    priority: int = 0


_FORMATS = {}


def register_format(
    name: str, *, identify: Callable[..., bool], read: Callable[..., object],
    description: str = "", multiple: bool = False, priority: int = 0,
    overwrite: bool = False,
) -> None:
    """Register a file format for :func:`~spectra_sklearn.io.read_spectrum`.

    Parameters
    ----------
    name : str
        The format name users pass as ``format=`` (lower case by convention).
    identify : callable
        ``identify(path, head) -> bool``: whether the file is in this format,
        decided cheaply from ``path`` (a :class:`pathlib.Path`) and ``head``
        (a :class:`FileHead`: the first bytes and, for FITS files, the first
        primary-header cards). It must not read the data.
    read : callable
        ``read(path, **options) -> Spectrum`` (or, with ``multiple=True``, a
        list of Spectrum); raises :class:`~spectra_sklearn.io.SpectrumReadError`
        for a bad file.
    description : str, default=""
        One line shown by :func:`available_formats` users.
    multiple : bool, default=False
        Whether one file holds several spectra (a template library, a table
        with one spectrum per row). Such files are read whole by
        :func:`~spectra_sklearn.io.read_spectra_file`; :func:`read_spectrum`
        takes one of them by ``index``.
    priority : int, default=0
        When several formats recognise a file, the one of highest priority
        reads it (as specutils' ``data_loader(priority=)``). A survey format
        that recognises its own files keeps the default; a generic format
        that accepts any file of a broad layout registers below 0 (the
        built-in ``"spex"`` at -5, ``"fits"`` at -10), so a new format never
        has to edit another format's ``identify``.
    overwrite : bool, default=False
        Replace an existing registration of ``name``.

    Raises
    ------
    ValueError
        If ``name`` is already registered and ``overwrite`` is False, or is
        not a non-empty string.
    TypeError
        If ``identify`` or ``read`` is not callable.

    Notes
    -----
    ``read_spectra(..., n_jobs=2)`` reads in worker processes, which know the
    formats registered when :mod:`spectra_sklearn.io` is imported; register
    your own format at import time of a module the workers import too (as
    the built-in format modules do).

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.io import register_format, available_formats
    >>> def identify(path, head):
    ...     return path.name.endswith(".twocol")
    >>> def read(path):
    ...     import numpy as np
    ...     w, f = np.loadtxt(path, unpack=True)
    ...     return Spectrum(w, f, meta={"source": str(path)})
    >>> register_format("twocol", identify=identify, read=read, overwrite=True)
    >>> "twocol" in available_formats()
    True
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"A format name must be a non-empty str; got {name!r}.")
    if not callable(identify) or not callable(read):
        raise TypeError(
            f"register_format({name!r}) needs callables identify(path, head) and "
            f"read(path); got {type(identify).__name__} and {type(read).__name__}."
        )
    if name in _FORMATS and not overwrite:
        raise ValueError(
            f"The format {name!r} is already registered; pass overwrite=True to replace it."
        )
    _FORMATS[name] = Format(name, identify, read, description, bool(multiple), int(priority))


def available_formats() -> list[str]:
    """Names of the registered formats, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from spectra_sklearn.io import available_formats
    >>> {"spex", "smass", "fits"} <= set(available_formats())
    True
    """
    return sorted(_FORMATS)


def get_format(name, path=None):
    """Return the registered :class:`Format` called ``name``.

    Raises
    ------
    SpectrumReadError
        If no such format is registered (the message lists the known ones and
        names ``path``).
    """
    try:
        return _FORMATS[name]
    except (KeyError, TypeError):
        raise SpectrumReadError(
            path,
            f"unknown format {name!r}; known formats: {', '.join(available_formats())}",
        ) from None


class FileHead:
    """What ``identify`` may look at: the file name and the first bytes.

    Both are read lazily, at most once, so an ``identify`` that decides from
    the name alone costs no I/O.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    name : str
        The file name without a ``.gz`` suffix, lower case.
    """

    def __init__(self, path):
        self.path = Path(path)
        name = self.path.name.lower()
        self.name = name[:-3] if name.endswith(".gz") else name
        self._bytes = None
        self._header = False

    @property
    def first_bytes(self):
        """bytes: up to the first 11,520 bytes, decompressed for gzip files.

        What can be decompressed of a truncated gzip file is kept, so that a
        damaged file is still identified and its reader says what is wrong.
        """
        if self._bytes is None:
            try:
                with open(self.path, "rb") as stream:
                    raw = stream.read(_GZIP_READ)
            except OSError:
                raw = b""
            if raw[:2] == b"\x1f\x8b":
                try:
                    raw = zlib.decompressobj(wbits=31).decompress(raw, _HEAD_BYTES)
                except zlib.error:
                    raw = b""
            self._bytes = raw[:_HEAD_BYTES]
        return self._bytes

    @property
    def is_fits(self):
        """bool: whether the file starts like a FITS file (``SIMPLE  =`` card)."""
        return self.first_bytes.startswith(b"SIMPLE  =")

    @property
    def fits_header(self):
        """dict or None: primary-header cards (keyword -> value) found in the first bytes.

        Only the cards within the first 11,520 bytes; ``None`` when the file
        is not FITS. Values are parsed by astropy's card parser.
        """
        if self._header is False:
            self._header = _parse_cards(self.first_bytes) if self.is_fits else None
        return self._header


def _parse_cards(data):
    cards = {}
    text = data.decode("ascii", errors="replace")
    for start in range(0, len(text) - 79, 80):
        key = text[start:start + 8].rstrip()
        if key == "END":
            break
        if key and key not in cards and text[start + 8:start + 10] == "= ":
            cards[key] = card_value(text[start + 10:start + 80])
    return cards


def _claims(spec, head):
    """``spec.identify`` on ``head``; an identifier that trips over odd bytes says no."""
    try:
        return bool(spec.identify(head.path, head))
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, OSError,
            UnicodeDecodeError, zlib.error):
        return False


def identify_format(path: str | os.PathLike) -> str:
    """Name the format of ``path`` from its name and first bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    str
        The registered format whose ``identify`` accepts the file; of
        several, the one of highest ``priority`` (see :func:`register_format`).

    Raises
    ------
    SpectrumReadError
        If the file does not exist, no format recognises it (the message lists
        the known formats), or several of the same highest priority do (pass
        ``format=`` explicitly).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io import identify_format
    >>> path = os.path.join(tempfile.mkdtemp(), "star.fits")
    >>> header = fits.Header({"CRVAL1": 4000.0, "CDELT1": 2.0, "CRPIX1": 1.0})
    >>> fits.PrimaryHDU(np.ones(5), header=header).writeto(path)
    >>> identify_format(path)
    'fits'
    """
    check_regular_file(path)
    head = FileHead(path)
    claims = [f for f in _FORMATS.values() if _claims(f, head)]
    top = max((f.priority for f in claims), default=None)
    matches = [f.name for f in claims if f.priority == top]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(available_formats())
    if not matches:
        raise SpectrumReadError(
            path,
            f"no registered format recognises this file (known formats: {known}); "
            "pass format= explicitly or register a reader with register_format",
        )
    raise SpectrumReadError(
        path,
        f"several formats recognise this file ({', '.join(matches)}); pass format= "
        "explicitly",
    )
