"""What the image readers raise and warn when a file cannot be read.

The image side mirrors :mod:`spectra_sklearn.io._errors`:
:class:`ImageReadError` is the sibling of
:class:`~spectra_sklearn.io.SpectrumReadError` (both are :class:`ValueError`:
the file's *content* is wrong), and :class:`ImageReadWarning` the sibling of
:class:`~spectra_sklearn.io.SpectrumReadWarning`. Failures skipped with
``on_error="warn"``/``"skip"`` are recorded as the same
:class:`~spectra_sklearn.io.ReadFailure` records.
"""

import os

__all__ = ["ImageReadError", "ImageReadWarning"]


class ImageReadError(ValueError):
    """A file could not be read as an image.

    Raised by :func:`~spectra_sklearn.images.read_images` and
    :class:`~spectra_sklearn.images.ImageReader` for missing files, files
    that are not regular files (directories, FIFOs, devices), truncated or
    corrupt JPEG/PNG files, random bytes, FITS files without an image HDU,
    all-NaN images and images larger than the decompression-bomb limit.
    Errors that Pillow, astropy, numpy or the standard library raise on a bad
    file are converted to it, with the original as ``__cause__``.

    Parameters
    ----------
    path : str or os.PathLike or None
        The file that failed.
    reason : str
        Why it could not be read, and what to do where that is known.
    format : str or None, default=None
        The format it was read as (``'jpeg'``, ``'png'``, ``'fits'``), if known.

    Attributes
    ----------
    path : str or None
    reason : str
    format : str or None

    Examples
    --------
    >>> from spectra_sklearn.images import ImageReadError
    >>> print(ImageReadError("m31.jpeg", "the file is truncated", format="jpeg"))
    Cannot read 'm31.jpeg' as format 'jpeg': the file is truncated.
    >>> isinstance(ImageReadError("x", "y"), ValueError)
    True
    """

    def __init__(self, path, reason, format=None):
        self.path = None if path is None else os.fspath(path)
        self.reason = str(reason).rstrip(".")
        self.format = format
        what = "<bytes>" if self.path is None else repr(self.path)
        how = f" as format {format!r}" if format else ""
        super().__init__(f"Cannot read {what}{how}: {self.reason}.")

    def __reduce__(self):
        # picklable: joblib sends it back from worker processes
        return (type(self), (self.path, self.reason, self.format))


class ImageReadWarning(UserWarning):
    """Some image files could not be read and were skipped (``on_error="warn"``).

    Examples
    --------
    >>> from spectra_sklearn.images import ImageReadWarning
    >>> issubclass(ImageReadWarning, UserWarning)
    True
    """
