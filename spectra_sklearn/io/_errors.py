"""The one exception every reader raises for a file it cannot turn into a spectrum."""

import os

__all__ = ["SpectrumReadError"]


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
