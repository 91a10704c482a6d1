"""read_images and ImageReader: image file paths to an ImageBatch."""

import os
import warnings
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..io._errors import ReadFailure, summarise_failures
from ..io._read import _check_batch_options, _progress_bar
from ..io._reader import BaseFileReader, as_items, file_stamp
from ._batch import ImageBatch
from ._errors import ImageReadError, ImageReadWarning
from ._read import FORMATS, read_one
from ._stretch import check_percentile, check_stretch

__all__ = ["ImageReader", "read_images"]


def _read_or_fail(index, path, catch, options):
    """One file: ``(pixels, bands, meta)`` or a ReadFailure when caught (joblib-safe)."""
    try:
        return read_one(path, **options)
    except ImageReadError as exc:
        if not catch:
            raise
        where = exc.path if exc.path is not None else os.fspath(path)
        return ReadFailure(index, where, str(exc), exc.format)


def _read_each(paths, options, n_jobs, on_error, progress, what):
    _check_batch_options(on_error, progress)
    check_stretch(options["stretch"])
    check_percentile(options["percentile"])
    catch = on_error != "raise"
    jobs = list(enumerate(paths))
    if n_jobs in (None, 1) or len(paths) < 2:
        results = (_read_or_fail(i, p, catch, options) for i, p in jobs)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_read_or_fail)(i, p, catch, options) for i, p in jobs
        )
    out = list(_progress_bar(results, len(paths), progress, "reading images"))
    failures = [r for r in out if isinstance(r, ReadFailure)]
    if failures and on_error == "warn":
        warnings.warn(summarise_failures(failures, len(paths), what=what),
                      ImageReadWarning, stacklevel=3)
    return out


def _batch(results):
    good = [r for r in results if not isinstance(r, ReadFailure)]
    return ImageBatch([r[0] for r in good], band_names=[r[1] for r in good],
                      meta=[r[2] for r in good])


def read_images(paths, *, format=None, mode=None, stretch="asinh", percentile=(0.5, 99.5),
                max_pixels=None, n_jobs=None, on_error="raise", progress=None,
                return_failures=False):
    """Read many image files (JPEG, PNG, FITS), in order, into an ImageBatch.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files.
    format, mode, stretch, percentile, max_pixels
        As in :func:`read_image` (``stretch`` and ``percentile`` apply to FITS
        files; JPEG/PNG are scaled to ``[0, 1]``).
    n_jobs : int, default=None
        Processes reading in parallel (joblib); ``None`` or 1 reads here.
        The order of ``paths`` is kept.
    on_error : {"raise", "warn", "skip"}, default="raise"
        A file that cannot be read: ``"raise"`` raises its
        :class:`ImageReadError`; ``"warn"`` leaves it out and issues one
        :class:`ImageReadWarning` naming every such file; ``"skip"`` leaves it
        out silently.
    progress : bool or None, default=None
        tqdm progress bar: ``None`` only on a terminal and after 2 s, ``True``
        always, ``False`` never.
    return_failures : bool, default=False
        Also return the :class:`~spectra_sklearn.io.ReadFailure` records.

    Returns
    -------
    batch : ImageBatch
        One image per readable file; of a common shape when all share one
        (``batch.pixels`` of shape ``(n_images, n_bands, height, width)``),
        ragged otherwise.
    failures : list of ReadFailure
        Only with ``return_failures=True``.

    Raises
    ------
    ImageReadError
        With ``on_error="raise"``, for the first file that cannot be read.
    TypeError
        If ``paths`` is a single path.
    ValueError
        If an option is invalid.

    Warns
    -----
    ImageReadWarning
        With ``on_error="warn"``, when files were left out.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from spectra_sklearn.images import read_images
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.png") for i in range(3)]
    >>> for i, p in enumerate(paths):
    ...     Image.fromarray(np.full((5, 4, 3), 60 * i, dtype=np.uint8)).save(p)
    >>> batch = read_images(paths)
    >>> batch.pixels.shape, batch.band_names, float(batch.pixels[2].max())
    ((3, 3, 5, 4), ('r', 'g', 'b'), 0.47058823704719543)
    >>> batch, failures = read_images(paths + [folder], on_error="skip",
    ...                               return_failures=True)
    >>> len(batch), failures[0].index
    (3, 3)
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(
            "read_images needs a sequence of paths; got a single path "
            f"{os.fspath(paths)!r}. Use read_image, or wrap it in a list."
        )
    options = dict(format=format, mode=mode, stretch=stretch, percentile=percentile,
                   max_pixels=max_pixels)
    results = _read_each(list(paths), options, n_jobs, on_error, progress,
                         "left out of the batch")
    batch = _batch(results)
    if return_failures:
        return batch, [r for r in results if isinstance(r, ReadFailure)]
    return batch


class ImageReader(BaseFileReader):
    """Read the image files named in ``X``: the first step of a Pipeline on paths.

    The image counterpart of :class:`~spectra_sklearn.io.SpectrumReader`.
    Stateless: ``fit`` only validates the parameters and ``transform`` reads
    the files, so a Pipeline whose ``X`` is a list of paths works under
    ``cross_val_score`` and ``GridSearchCV``. An :class:`ImageBatch` passes
    through unchanged.

    Parameters
    ----------
    format : {'jpeg', 'png', 'fits'} or None, default=None
        ``None`` identifies each file from its first bytes.
    mode : {None, 'RGB', 'L'}, default=None
        JPEG/PNG: force colour or greyscale (see :func:`read_image`).
    stretch : {'asinh', 'log', 'sqrt', 'linear'}, astropy stretch or None, default='asinh'
        FITS: the stretch into ``[0, 1]`` (Lupton et al. 2004 for arcsinh).
    percentile : (float, float), float, astropy interval or None, default=(0.5, 99.5)
        FITS: the limits mapped to 0 and 1.
    max_pixels : int or None, default=None
        Decompression-bomb limit on width x height (``None``: Pillow's).
    n_jobs : int, default=None
        Processes reading in parallel (joblib).
    on_error : {"raise", "warn", "skip"}, default="raise"
        A file that cannot be read raises its :class:`ImageReadError`, or --
        with ``"warn"`` (one :class:`ImageReadWarning`) or ``"skip"`` -- keeps
        its row, so that the output stays aligned with ``y``, as a
        *placeholder*: an all-NaN image of the shape and bands of the first
        image read (one 1 x 1 band if none was), whose ``meta`` holds
        ``source`` and ``read_error``.
    progress : bool or None, default=None
        tqdm progress bar (``None``: on a terminal after 2 s).
    memory : str, joblib.Memory or None, default=None
        Cache the images read, keyed by the list of files with their sizes
        and modification times and the reading options (as
        :class:`~spectra_sklearn.io.SpectrumReader`'s ``memory``).

    See Also
    --------
    read_images : The same as a function.
    ImageBatch : What ``transform`` returns.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from spectra_sklearn.images import ImageReader
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.jpeg") for i in range(2)]
    >>> for p in paths:
    ...     Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(p)
    >>> batch = ImageReader().fit_transform(paths)
    >>> batch
    ImageBatch(n_images=2, common shape (3, 8, 8), band_names=('r', 'g', 'b'))
    >>> ImageReader().transform(batch) is batch
    True
    """

    _parameter_constraints = {
        "format": [StrOptions(set(FORMATS)), None],
        "mode": [StrOptions({"RGB", "L"}), None],
        "stretch": "no_validation",  # a name, an astropy stretch or None: checked below
        "percentile": "no_validation",  # checked by check_percentile
        "max_pixels": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Integral, None],
        "on_error": [StrOptions({"raise", "warn", "skip"})],
        "progress": ["boolean", None],
        "memory": [None, str, HasMethods(["cache"])],
    }

    def __init__(self, format=None, mode=None, stretch="asinh", percentile=(0.5, 99.5),
                 max_pixels=None, n_jobs=None, on_error="raise", progress=None, memory=None):
        self.format = format
        self.mode = mode
        self.stretch = stretch
        self.percentile = percentile
        self.max_pixels = max_pixels
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.progress = progress
        self.memory = memory

    def _check(self):
        self._validate_params()
        name = type(self).__name__
        check_stretch(self.stretch, name)
        check_percentile(self.percentile, name)

    def transform(self, X):
        """Read the files named in ``X``.

        Parameters
        ----------
        X : sequence of str or os.PathLike, array-like of shape (n_files,) or (n_files, 1), \
or ImageBatch
            Paths (a one-column DataFrame or 2-D array works too); an
            ImageBatch is returned unchanged.

        Returns
        -------
        ImageBatch
            One image per item of ``X``, in order.

        Raises
        ------
        ImageReadError
            If a file cannot be read and ``on_error="raise"``.
        TypeError
            If ``X`` is a single path or holds something other than paths.
        ValueError
            If ``X`` is a 2-D array with more than one column.
        """
        self._check()
        if isinstance(X, ImageBatch):
            return X
        paths = [os.fspath(p) for p in as_items(X, type(self).__name__, (str, os.PathLike),
                                                "file paths (str or os.PathLike)")]
        options = dict(format=self.format, mode=self.mode, stretch=self.stretch,
                       percentile=self.percentile, max_pixels=self.max_pixels)
        results = self._reader(_read_files)(paths, [file_stamp(p) for p in paths], options,
                                            self.on_error, self.n_jobs, self.progress)
        return _with_placeholders(results)


def _read_files(paths, stamps, options, on_error, n_jobs, progress):
    """Read ``paths`` (``stamps`` only make cached results of changed files stale)."""
    return _read_each(paths, options, n_jobs, on_error, progress,
                      "replaced by all-NaN placeholders")


def _with_placeholders(results):
    """An ImageBatch with an all-NaN image in place of each ReadFailure."""
    template = next((r for r in results if not isinstance(r, ReadFailure)), None)
    if template is None:
        shape, bands = (1, 1, 1), ("band0",)
    else:
        shape, bands = template[0].shape, template[1]
    pixels, names, meta = [], [], []
    for r in results:
        if isinstance(r, ReadFailure):
            pixels.append(np.full(shape, np.nan, dtype=np.float32))
            names.append(bands)
            meta.append({"source": r.path, "format": r.format, "read_error": r.reason})
        else:
            pixels.append(r[0])
            names.append(r[1])
            meta.append(r[2])
    return ImageBatch(pixels, band_names=names, meta=meta)
