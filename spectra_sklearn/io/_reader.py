"""SpectrumReader: the Pipeline step that turns file paths into spectra."""

import os
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_memory

from .._batch import SpectrumBatch
from .._spectrum import Spectrum
from ._errors import ReadFailure
from ._read import read_each
from ._registry import available_formats

__all__ = ["SpectrumReader"]


class BaseFileReader(TransformerMixin, BaseEstimator):
    """What the Pipeline steps reading files share (:class:`SpectrumReader`, ``ImageReader``).

    Stateless: ``fit`` validates the parameters (``_check``) and reads no
    file; ``transform`` reads. Subclasses set ``_parameter_constraints`` with
    ``memory`` among them and call :meth:`_reader` to get their file-reading
    function, cached by ``memory``.
    """

    def _check(self):
        self._validate_params()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters; nothing is learned and no file is read.

        Parameters
        ----------
        X : ignored
            Accepted for the Pipeline API.
        y : ignored
            Accepted for the Pipeline API.

        Returns
        -------
        self
            The reader itself.
        """
        self._check()
        return self

    def _reader(self, read_files):
        """``read_files``, cached in ``memory`` (``n_jobs`` and ``progress`` not in the key)."""
        if self.memory is None:
            return read_files
        return check_memory(self.memory).cache(read_files, ignore=["n_jobs", "progress"])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []
        return tags


class SpectrumReader(BaseFileReader):
    """Read spectrum files named in ``X``: the first step of a Pipeline on paths.

    Stateless: ``fit`` only validates the parameters, and ``transform`` reads
    the files, so a Pipeline whose ``X`` is a list of file paths works under
    :func:`~sklearn.model_selection.cross_val_score` and
    :class:`~sklearn.model_selection.GridSearchCV` (each fold reads its own
    files). Spectra that were read already pass through unchanged.

    Parameters
    ----------
    format : str, default=None
        A registered format (see :func:`~spectra_sklearn.io.available_formats`),
        e.g. ``"spex"``, ``"smass"`` or ``"fits"``. ``None`` identifies each
        file's format from its name and first bytes; naming it is faster.
    n_jobs : int, default=None
        Number of processes reading in parallel (joblib); ``None`` reads in
        this process, ``-1`` uses all cores. The order of ``X`` is kept.
    on_error : {"raise", "warn", "skip"}, default="raise"
        What a file that cannot be read does. ``"raise"`` raises its
        :class:`~spectra_sklearn.io.SpectrumReadError`. ``"warn"`` and
        ``"skip"`` keep the row -- so that the output stays aligned with ``y``
        in a Pipeline -- as a *placeholder*: a fully masked spectrum (flux NaN,
        ivar 0, mask True) on the grid of the first spectrum that was read
        (one pixel at 1 ``pix`` if none was), whose ``meta`` holds ``source``,
        ``format`` and ``read_error`` (the reason); ``"warn"`` also issues one
        :class:`~spectra_sklearn.io.SpectrumReadWarning` naming every failed
        file. Find placeholders with ``"read_error" in meta``.
    progress : bool or None, default=None
        Show a tqdm progress bar while reading: ``None`` only when the output
        is a terminal and reading takes longer than 2 seconds, ``True``
        always, ``False`` never.
    memory : str, joblib.Memory or None, default=None
        Cache the spectra read, as :class:`~sklearn.pipeline.Pipeline`'s
        ``memory`` does for fitted steps: a folder (or a
        :class:`joblib.Memory`) where each call's list of files is stored
        with the files' sizes and modification times, ``format`` and
        ``on_error``; the same files, unchanged, are then read from the
        cache instead of parsed again. ``Pipeline(memory=...)`` caches only
        ``fit_transform`` (the training folds); this also caches the
        ``transform`` of the test folds, which a grid search repeats for
        every candidate. ``None`` caches nothing. A cached call does not
        repeat the :class:`~spectra_sklearn.io.SpectrumReadWarning` of
        ``on_error="warn"`` (the placeholders still carry ``read_error``).

    See Also
    --------
    read_spectra : The same as a function.
    spectra_sklearn.SpectrumBatch : What ``transform`` returns.

    Notes
    -----
    ``X`` may be a list, tuple or 1-D array of paths (``str`` or
    :class:`os.PathLike`), a 2-D ``(n, 1)`` array or one-column DataFrame of
    paths, a :class:`~spectra_sklearn.SpectrumBatch`, a
    :class:`~spectra_sklearn.Spectrum`, or a list mixing paths and spectra.

    Examples
    --------
    >>> import os, tempfile
    >>> from spectra_sklearn.io import SpectrumReader
    >>> folder = tempfile.mkdtemp()
    >>> paths = []
    >>> for i, r in enumerate([0.9, 1.1, 1.3], start=1):
    ...     paths.append(os.path.join(folder, f"a{i:06d}.[2]"))
    ...     with open(paths[-1], "w") as f:
    ...         _ = f.write(f"0.435 {r} 0.015\\n0.4375 {r} 0.013\\n")
    >>> batch = SpectrumReader(format="smass").fit_transform(paths)
    >>> batch
    SpectrumBatch(n_spectra=3, common grid of 2 pixels 0.435-0.4375, wavelength_unit=um)
    >>> SpectrumReader().transform(batch) is batch
    True
    """

    _parameter_constraints = {
        "format": [str, None],
        "n_jobs": [Integral, None],
        "on_error": [StrOptions({"raise", "warn", "skip"})],
        "progress": ["boolean", None],
        "memory": [None, str, HasMethods(["cache"])],
    }

    def __init__(self, format=None, n_jobs=None, on_error="raise", progress=None,
                 memory=None):
        self.format = format
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.progress = progress
        self.memory = memory

    def _check(self):
        self._validate_params()
        if self.format is not None and self.format not in available_formats():
            raise InvalidParameterError(
                f"The 'format' parameter of {type(self).__name__} must be a str among "
                f"{set(available_formats())} or None. Got {self.format!r} instead."
            )

    def transform(self, X):
        """Read the files named in ``X``.

        Parameters
        ----------
        X : sequence of str or os.PathLike, array-like of shape (n_files,) or (n_files, 1), \
SpectrumBatch, Spectrum or sequence of Spectrum
            Paths to read; spectra pass through unchanged.

        Returns
        -------
        SpectrumBatch
            One spectrum per item of ``X``, in order (a fully masked
            placeholder for a file that failed with ``on_error`` "warn" or
            "skip"; its ``meta["read_error"]`` says why).

        Raises
        ------
        SpectrumReadError
            If a file cannot be read (the message names it) and
            ``on_error="raise"``.
        TypeError
            If ``X`` is a single path or holds something other than paths and
            spectra.
        ValueError
            If ``X`` is a 2-D array with more than one column.

        Warns
        -----
        SpectrumReadWarning
            With ``on_error="warn"``, once, naming every file that failed.
        """
        self._check()
        if isinstance(X, SpectrumBatch):
            return X
        if isinstance(X, Spectrum):
            return SpectrumBatch([X])
        items = as_items(X, type(self).__name__, (str, os.PathLike, Spectrum),
                         "file paths (str or os.PathLike) or Spectrum objects")
        positions = [i for i, item in enumerate(items) if not isinstance(item, Spectrum)]
        if positions:
            paths = [os.fspath(items[i]) for i in positions]
            read = self._reader(_read_files)(
                paths, [file_stamp(p) for p in paths], self.format, self.on_error,
                self.n_jobs, self.progress)
            for i, result in zip(positions, read):
                items[i] = result
            items = _fill_placeholders(items)
        return SpectrumBatch(items)


def file_stamp(path):
    """``(size, modification time in ns)`` of a file, part of the cache key; None if absent."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def _read_files(paths, stamps, format, on_error, n_jobs, progress):
    """Read ``paths`` (``stamps`` only make cached results of changed files stale)."""
    return read_each(paths, format, n_jobs, {}, on_error=on_error, progress=progress,
                     what="replaced by fully masked placeholders")


def as_items(X, owner, types, described):
    """``X`` as a list of items of ``types`` (paths, ...), or a clear error naming ``owner``.

    ``X`` may be a list, tuple, 1-D array, ``(n, 1)`` array, pandas Series or
    one-column DataFrame; ``described`` says what the items may be, for the
    messages.
    """
    if isinstance(X, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{owner} needs a sequence of file paths as X; got a single path "
            f"{os.fspath(X)!r}. Wrap it in a list."
        )
    if hasattr(X, "to_numpy"):  # pandas DataFrame or Series
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim == 2:
            if X.shape[1] != 1:
                raise ValueError(
                    f"{owner} reads one file per row: a 2-D X must have a single "
                    f"column of paths; got shape {X.shape}."
                )
            X = X[:, 0]
        elif X.ndim != 1:
            raise ValueError(
                f"{owner} needs a 1-D sequence of paths; got an array of shape {X.shape}."
            )
    try:
        items = list(X)
    except TypeError:
        raise TypeError(
            f"{owner} needs a sequence of {described} as X; got {type(X).__name__}."
        ) from None
    for i, item in enumerate(items):
        if not isinstance(item, types):
            raise TypeError(
                f"{owner} needs {described}; item {i} of X is a {type(item).__name__} "
                f"({item!r:.60})."
            )
    return items


def _fill_placeholders(items):
    """Replace each ReadFailure by a fully masked spectrum on the first good grid."""
    template = next((item for item in items if isinstance(item, Spectrum)), None)
    if template is None:
        wavelength, wavelength_unit, flux_unit = np.array([1.0]), "pix", None
    else:
        wavelength, wavelength_unit = template.wavelength, template.wavelength_unit
        flux_unit = template.flux_unit
    n = wavelength.size
    out = []
    for item in items:
        if isinstance(item, ReadFailure):
            item = Spectrum(
                wavelength, np.full(n, np.nan), np.zeros(n), np.ones(n, dtype=bool),
                wavelength_unit=wavelength_unit, flux_unit=flux_unit,
                meta={"source": item.path, "format": item.format, "read_error": item.reason},
            )
        out.append(item)
    return out
