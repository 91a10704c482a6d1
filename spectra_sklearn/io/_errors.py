"""What the readers raise, warn and report when a file cannot be read.

The documented classes -- the only ones a reader lets out for a bad *file* --
are:

* :class:`SpectrumReadError` (a :class:`ValueError`): raised for every file
  that cannot be turned into a spectrum -- missing, truncated or corrupt, of an
  unknown or unidentifiable format, with a wrong HDU layout, all-NaN flux,
  zero-length or mismatched arrays, non-monotonic wavelengths, unknown units.
  Errors that astropy, fitsio, numpy or the standard library raise inside a
  reader (``OSError``, ``ValueError``, ``KeyError``, ``zlib.error`` ...) are
  converted to it, with the original as ``__cause__``, and so is a
  ``MemoryError``; a file whose headers claim more data than it holds, or a
  gzip stream beyond the bound of :mod:`spectra_sklearn.io._limits`, is refused
  with it before anything is allocated;
* :class:`SpectrumReadWarning` (a :class:`UserWarning`): issued by
  ``on_error="warn"`` in :func:`~spectra_sklearn.io.read_spectra` and
  :class:`~spectra_sklearn.io.SpectrumReader` for the files that were skipped;
* :class:`ReadFailure`: the record of one skipped file (position, path, reason).

Mistakes in the *call* rather than the file -- a reader option that does not
exist, a path that is not a str, an out-of-range ``index`` -- stay
:class:`TypeError` / :class:`IndexError`.
"""

import os
import stat
from typing import NamedTuple

__all__ = ["ReadFailure", "SpectrumReadError", "SpectrumReadWarning"]


class SpectrumReadError(ValueError):
    """A file could not be read as a spectrum.

    Raised by every reader in :mod:`spectra_sklearn.io` for truncated or
    corrupt files, unexpected HDU layouts, all-NaN or zero-length data,
    mismatched array lengths, unknown unit strings and unknown formats. The
    message names the file and says why; the same facts are kept as
    attributes.

    It subclasses :class:`ValueError`: the file's *content* is wrong, not the
    file system (a missing file is reported as this error too, with the reason).

    Parameters
    ----------
    path : str or os.PathLike or None
        The file that failed (``None`` for text given without a file name).
    reason : str
        Why the file could not be read, and what to do where that is known.
    format : str or None, default=None
        The format the file was read as, if one was chosen.

    Attributes
    ----------
    path : str or None
        The file that failed.
    reason : str
        Why it failed.
    format : str or None
        The format the file was read as.

    Examples
    --------
    >>> from spectra_sklearn.io import SpectrumReadError
    >>> err = SpectrumReadError("star.fits", "all flux values are NaN", format="fits")
    >>> print(err)
    Cannot read 'star.fits' as format 'fits': all flux values are NaN.
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, path, reason, format=None):
        self.path = None if path is None else os.fspath(path)
        self.reason = str(reason).rstrip(".")
        self.format = format
        what = "<text>" if self.path is None else repr(self.path)
        how = f" as format {format!r}" if format else ""
        super().__init__(f"Cannot read {what}{how}: {self.reason}.")

    def __reduce__(self):
        # keep the exception picklable (joblib sends it back from workers)
        return (type(self), (self.path, self.reason, self.format))


class SpectrumReadWarning(UserWarning):
    """Some files could not be read and were skipped (``on_error="warn"``).

    The message names the files and says why; the same facts are in the
    :class:`ReadFailure` records that
    :func:`~spectra_sklearn.io.read_spectra` returns with
    ``return_failures=True``.

    Examples
    --------
    >>> from spectra_sklearn.io import SpectrumReadWarning
    >>> issubclass(SpectrumReadWarning, UserWarning)
    True
    """


class ReadFailure(NamedTuple):
    """One file that could not be read (``on_error="warn"`` or ``"skip"``).

    Attributes
    ----------
    index : int
        Position of the file in the sequence of paths given.
    path : str
        The file.
    reason : str
        The message of the :class:`SpectrumReadError` (names file and problem).
    format : str or None
        The format the file was read as, if one was chosen.

    Examples
    --------
    >>> from spectra_sklearn.io import ReadFailure
    >>> ReadFailure(3, "x.fits", "all flux values are NaN", "fits").path
    'x.fits'
    """

    index: int
    path: str
    reason: str
    format: str | None = None


def summarise_failures(failures, n_total, what="skipped"):
    """One line per failure (at most 10), for a warning message."""
    lines = [f"{len(failures)} of {n_total} files could not be read and were {what}:"]
    lines += [f"  [{f.index}] {f.reason}" for f in failures[:10]]
    if len(failures) > 10:
        lines.append(f"  ... and {len(failures) - 10} more")
    return "\n".join(lines)


def _refuse_unless_regular(path, mode, format):
    if stat.S_ISDIR(mode):
        raise SpectrumReadError(path, "this is a directory, not a file", format=format)
    if not stat.S_ISREG(mode):
        raise SpectrumReadError(
            path, "not a regular file (a FIFO, device or socket); spectra are read "
            "from regular files only", format=format)


def check_regular_file(path, format=None):
    """Raise :class:`SpectrumReadError` unless ``path`` is an existing regular file.

    The one place the readers turn a path that cannot be read into a message:
    a missing file, a directory, and anything but a regular file (a FIFO, a
    device such as ``/dev/zero``, a socket), which would block or never end.
    For paths a library opens itself; our own reads use
    :func:`open_regular_file`, which checks the file it opened.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise SpectrumReadError(path, "no such file", format=format) from None
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open the file ({exc})", format=format) from None
    _refuse_unless_regular(path, mode, format)


# O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_BINARY", 0))


def open_regular_file(path, format=None):
    """A descriptor of ``path`` open for reading, and its size: regular files only.

    The file is opened without blocking and checked with ``fstat`` on that
    descriptor, so a FIFO cannot hold the call, and the file checked is the
    file read (no window in which the path is swapped). Half the system-call
    cost of ``os.stat`` then :func:`open` on a small file.

    Returns
    -------
    fd : int
        The caller closes it (or hands it to :func:`open`).
    size : int
        ``st_size`` in bytes.

    Raises
    ------
    SpectrumReadError
        As :func:`check_regular_file`, or when the operating system refuses.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise SpectrumReadError(path, "no such file", format=format) from None
    except IsADirectoryError:
        raise SpectrumReadError(path, "this is a directory, not a file", format=format) from None
    except OSError as exc:
        raise SpectrumReadError(path, f"cannot open the file ({exc})", format=format) from None
    try:
        info = os.fstat(fd)
        _refuse_unless_regular(path, info.st_mode, format)
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def open_spectrum_file(path, mode="rb", *, format=None, **kwargs):
    """:func:`open` for a reader: a regular file only, every failure a SpectrumReadError.

    Parameters
    ----------
    path : str or path-like
    mode : str, default="rb"
    format : str, default=None
        The format named in the error.
    **kwargs
        Passed to :func:`open` (``encoding``, ``errors``).

    Raises
    ------
    SpectrumReadError
        As :func:`open_regular_file`.
    """
    fd, _ = open_regular_file(path, format)
    try:
        return open(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise
