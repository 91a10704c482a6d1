"""read_spectrum / read_spectra: files to Spectrum / SpectrumBatch."""

import inspect
import os
import struct
import warnings
import zlib
from collections.abc import Iterable

import numpy as np
from joblib import Parallel, delayed

from .._batch import SpectrumBatch
from .._spectrum import Spectrum
from ._errors import ReadFailure, SpectrumReadError, SpectrumReadWarning, summarise_failures
from ._registry import get_format, identify_format

__all__ = ["read_spectrum", "read_spectra", "read_spectra_file"]


def read_spectrum(path: str | os.PathLike, format: str | None = None,
                  index: int | None = None, **options) -> Spectrum:
    """Read one spectrum file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    format : str, default=None
        A registered format name (see
        :func:`~spectra_sklearn.io.available_formats`), e.g. ``"spex"`` (SpeX
        prism FITS), ``"smass"`` (SMASSII text), ``"fits"`` (generic 1-D FITS),
        ``"ascii"`` (ECSV/CSV text table), ``"demeo2009"`` / ``"mahlke2022"``
        (asteroid tables, one spectrum per row).
        ``None`` identifies the format from the file name and first bytes;
        naming it skips that step (faster, and the only way for files no
        identifier claims).
    index : int, default=None
        Which spectrum to take from a file that holds several (a format
        registered with ``multiple=True``, e.g. a template library); ``None``
        is allowed only when the file holds exactly one.
    **options
        Passed to the format's reader (e.g. ``hdu=1`` for ``"fits"``).

    Returns
    -------
    Spectrum

    Raises
    ------
    SpectrumReadError
        If the format is unknown or cannot be identified, or the file cannot
        be read (the message names the file and says why). Errors the
        libraries raise inside a reader on a bad file (``OSError``,
        ``KeyError``, ``zlib.error`` ...) are converted to it, with the
        original as ``__cause__``; so is a ``MemoryError`` while reading the
        file. A file whose header claims more data than it holds, or a gzip
        stream that decompresses beyond the bound of
        :mod:`spectra_sklearn.io._limits` (64 MiB or 100 times the compressed
        size, at most 1 GiB), is refused before anything is allocated.
    TypeError
        If ``path`` is not a path, or an option is not one the reader takes.
    IndexError
        If ``index`` is out of range for the spectra the file holds, or is
        given for a format that holds one spectrum per file.

    See Also
    --------
    read_spectra : Read many files into a SpectrumBatch.
    read_spectra_file : Read every spectrum of a file that holds several.
    SpectrumReader : The same as a Pipeline step.

    Examples
    --------
    >>> import os, tempfile
    >>> from spectra_sklearn.io import read_spectrum
    >>> path = os.path.join(tempfile.mkdtemp(), "a000001.[2]")
    >>> with open(path, "w") as f:
    ...     _ = f.write("0.435 0.90 0.015\\n0.4375 0.92 0.013\\n")
    >>> read_spectrum(path).meta["designation"]
    '1'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"read_spectrum needs a path (str or os.PathLike); got {type(path).__name__}."
        )
    if format is None:
        format = identify_format(path)
    spec = get_format(format, path)
    result = _call_reader(spec, path, options)
    if not spec.multiple:
        if index not in (None, 0, -1):
            raise IndexError(
                f"{os.fspath(path)!r} ({format!r}) holds one spectrum; index={index!r} is "
                "out of range."
            )
        return result
    n = len(result)
    if index is None:
        if n == 1:
            return result[0]
        raise SpectrumReadError(
            path,
            f"the file holds {n} spectra; pass index= to read_spectrum, or read them all "
            "with read_spectra_file",
            format=format,
        )
    if not -n <= index < n:
        raise IndexError(
            f"index={index!r} is out of range for {os.fspath(path)!r}, which holds {n} spectra."
        )
    return result[index]


def read_spectra_file(path: str | os.PathLike, format: str | None = None,
                      **options) -> list[Spectrum]:
    """Read every spectrum held by one file (a template library, a table of spectra).

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    format : str, default=None
        A registered format name, or ``None`` to identify it from the file.
    **options
        Passed to the format's reader.

    Returns
    -------
    SpectrumBatch
        All the spectra in the file, in file order (one for a format that
        holds a single spectrum per file).

    Raises
    ------
    SpectrumReadError
        If the format is unknown or cannot be identified, or the file cannot
        be read.

    See Also
    --------
    read_spectrum : Read one spectrum (``index=`` picks one from such a file).

    Examples
    --------
    >>> import os, tempfile
    >>> from spectra_sklearn.io import read_spectra_file
    >>> path = os.path.join(tempfile.mkdtemp(), "a000001.[2]")
    >>> with open(path, "w") as f:
    ...     _ = f.write("0.435 0.90 0.015\\n0.4375 0.92 0.013\\n")
    >>> len(read_spectra_file(path))
    1
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"read_spectra_file needs a path (str or os.PathLike); got {type(path).__name__}."
        )
    if format is None:
        format = identify_format(path)
    spec = get_format(format, path)
    result = _call_reader(spec, path, options)
    return SpectrumBatch(list(result) if spec.multiple else [result])


# Errors that libraries raise inside a reader on a bad file: converted to
# SpectrumReadError (with the original as __cause__) by _call_reader.
_DATA_ERRORS = (
    OSError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
    OverflowError, ZeroDivisionError, UnicodeDecodeError, zlib.error, struct.error,
)


def _check_options(spec, path, options):
    """A TypeError (a mistake in the call, not the file) for options the reader lacks."""
    if not options:  # every reader takes the path alone
        return
    try:
        inspect.signature(spec.read).bind(path, **options)
    except TypeError as exc:
        raise TypeError(
            f"The {spec.name!r} reader does not take the options {sorted(options)}: {exc}"
        ) from None
    except ValueError:  # pragma: no cover - builtins without a signature
        pass


def _call_reader(spec, path, options):
    """Run a format's reader; library errors on a bad file become SpectrumReadError.

    Floating-point warnings (overflow, invalid casts) are silenced inside the
    reader: on damaged data they produce inf/NaN, which the readers' checks
    (finite wavelengths, not all-NaN flux) then reject with a clear error.
    """
    _check_options(spec, path, options)
    try:
        with np.errstate(all="ignore"):
            return spec.read(path, **options)
    except SpectrumReadError:
        raise
    except _DATA_ERRORS as exc:
        raise SpectrumReadError(
            path, f"{type(exc).__name__}: {str(exc)[:300]}", format=spec.name
        ) from exc
    except MemoryError as exc:
        # what the file asked for does not fit: an error of that file (so that
        # on_error="skip"/"warn" leaves it out), not of the whole batch
        raise SpectrumReadError(
            path, f"not enough memory to read it (MemoryError: {str(exc)[:200]}); a file "
            "that claims more data than it holds is corrupt", format=spec.name
        ) from exc


_ON_ERROR = ("raise", "warn", "skip")
_PROGRESS_DELAY = 2.0  # seconds before an automatic progress bar appears


def _read_or_fail(index, path, format, catch, options):
    """``read_spectrum`` for one item of a batch: a Spectrum, or a ReadFailure when caught.

    Module level so that joblib workers can run it.
    """
    try:
        return read_spectrum(path, format, **options)
    except SpectrumReadError as exc:
        if not catch:
            raise
        where = exc.path if exc.path is not None else os.fspath(path)
        return ReadFailure(index, where, str(exc), exc.format)


def _progress_bar(iterable, total, progress, desc):
    """Wrap ``iterable`` in a tqdm bar: ``None`` = only on a terminal and after 2 s."""
    if progress is False:
        return iterable
    from tqdm.auto import tqdm

    if progress is None:
        return tqdm(iterable, total=total, desc=desc, unit="file", disable=None,
                    delay=_PROGRESS_DELAY, leave=False)
    return tqdm(iterable, total=total, desc=desc, unit="file")


def _check_batch_options(on_error, progress):
    if on_error not in _ON_ERROR:
        raise ValueError(
            f"on_error must be one of {', '.join(map(repr, _ON_ERROR))}; got {on_error!r}."
        )
    if progress not in (None, True, False):
        raise ValueError(f"progress must be None, True or False; got {progress!r}.")


def read_each(paths, format, n_jobs, options, *, on_error="raise", progress=None,
              what="left out of the batch"):
    """Read each path; return a list with a Spectrum or a :class:`ReadFailure` per path.

    The engine of :func:`read_spectra` and :class:`SpectrumReader` (see
    :func:`read_spectra` for the parameters). With ``on_error="raise"`` the
    list holds only spectra; with ``"warn"`` one :class:`SpectrumReadWarning`
    lists the failures.
    """
    _check_batch_options(on_error, progress)
    paths = list(paths)
    if format is not None:
        get_format(format, paths[0] if paths else None)  # fail before any work
    catch = on_error != "raise"
    jobs = ((i, p) for i, p in enumerate(paths))
    if n_jobs in (None, 1) or len(paths) < 2:
        results = (_read_or_fail(i, p, format, catch, options) for i, p in jobs)
    else:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_read_or_fail)(i, p, format, catch, options) for i, p in jobs
        )
    out = list(_progress_bar(results, len(paths), progress, "reading spectra"))
    failures = [item for item in out if isinstance(item, ReadFailure)]
    if failures and on_error == "warn":
        warnings.warn(
            summarise_failures(failures, len(paths), what=what),
            SpectrumReadWarning, stacklevel=3,
        )
    return out


def read_spectra(paths: Iterable[str | os.PathLike], format: str | None = None,
                 n_jobs: int | None = None, *, on_error: str = "raise",
                 progress: bool | None = None, return_failures: bool = False,
                 **options) -> SpectrumBatch | tuple[SpectrumBatch, list[ReadFailure]]:
    """Read many spectrum files, in order, into a SpectrumBatch.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The files.
    format : str, default=None
        One format for all files, or ``None`` to identify each file's format.
    n_jobs : int, default=None
        Number of processes reading in parallel (joblib); ``None`` or 1 reads
        in this process, -1 uses all cores. The order of ``paths`` is kept.
    on_error : {"raise", "warn", "skip"}, default="raise"
        What a file that cannot be read does: ``"raise"`` raises its
        :class:`SpectrumReadError` (after the files before it were read);
        ``"warn"`` leaves it out of the batch and issues one
        :class:`SpectrumReadWarning` naming every file left out and why;
        ``"skip"`` leaves it out silently. Only :class:`SpectrumReadError` is
        caught (a ``MemoryError`` while reading one file is reported as one):
        a bad option (``TypeError``) still raises.
    progress : bool or None, default=None
        Show a tqdm progress bar. ``None`` shows one only when the output is
        a terminal and reading takes longer than 2 seconds; ``True`` always,
        ``False`` never.
    return_failures : bool, default=False
        Also return the list of :class:`ReadFailure` records (empty with
        ``on_error="raise"``).
    **options
        Passed to the format's reader.

    Returns
    -------
    batch : SpectrumBatch
        One spectrum per readable path, in order; ragged unless all grids are
        equal. With ``on_error="raise"`` (or no failure) ``len(batch) ==
        len(paths)``.
    failures : list of ReadFailure
        Only with ``return_failures=True``: the files left out, with their
        position in ``paths`` and the reason.

    Raises
    ------
    SpectrumReadError
        With ``on_error="raise"``, for the first file that cannot be read
        (named in the message); with any ``on_error``, for an unknown
        ``format``.
    TypeError
        If ``paths`` is a single path rather than a sequence of paths, or an
        option is not one the reader takes.
    ValueError
        If ``on_error`` or ``progress`` is not one of the allowed values.

    Warns
    -----
    SpectrumReadWarning
        With ``on_error="warn"``, when files were left out.

    See Also
    --------
    SpectrumReader : The same as a Pipeline step (a failing file there becomes
        a fully masked placeholder, so rows stay aligned with ``y``).

    Examples
    --------
    >>> import os, tempfile
    >>> from spectra_sklearn.io import read_spectra
    >>> folder = tempfile.mkdtemp()
    >>> paths = []
    >>> for name, r in [("a000001.[2]", 0.9), ("a000002.[2]", 1.1)]:
    ...     paths.append(os.path.join(folder, name))
    ...     with open(paths[-1], "w") as f:
    ...         _ = f.write(f"0.435 {r} 0.015\\n0.4375 {r} 0.013\\n")
    >>> batch = read_spectra(paths, format="smass")
    >>> batch.shape, [m["number"] for m in batch.meta]
    ((2, 2), [1, 2])

    A file that cannot be read is left out and reported:

    >>> paths.insert(1, os.path.join(folder, "a000003.[2]"))  # does not exist
    >>> batch, failures = read_spectra(paths, on_error="skip", return_failures=True)
    >>> len(batch), [(f.index, os.path.basename(f.path)) for f in failures]
    (2, [(1, 'a000003.[2]')])
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(
            "read_spectra needs a sequence of paths; got a single path "
            f"{os.fspath(paths)!r}. Use read_spectrum, or wrap it in a list."
        )
    results = read_each(paths, format, n_jobs, options, on_error=on_error, progress=progress)
    batch = SpectrumBatch([r for r in results if not isinstance(r, ReadFailure)])
    if return_failures:
        return batch, [r for r in results if isinstance(r, ReadFailure)]
    return batch
