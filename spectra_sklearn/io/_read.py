"""read_spectrum / read_spectra: files to Spectrum / SpectrumBatch."""

import os

from joblib import Parallel, delayed

from .._batch import SpectrumBatch
from ._errors import SpectrumReadError
from ._registry import get_format, identify_format

__all__ = ["read_spectrum", "read_spectra", "read_spectra_file"]


def read_spectrum(path, format=None, index=None, **options):
    """Read one spectrum file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    format : str, default=None
        A registered format name (see
        :func:`~spectra_sklearn.io.available_formats`): ``"spex"`` (SpeX prism
        FITS), ``"smass"`` (SMASSII text), ``"fits"`` (generic 1-D FITS).
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
        be read (the message names the file and says why).
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


def read_spectra_file(path, format=None, **options):
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


def _call_reader(spec, path, options):
    try:
        return spec.read(path, **options)
    except SpectrumReadError:
        raise
    except TypeError as exc:
        if options:
            raise TypeError(
                f"The {spec.name!r} reader does not take the options {sorted(options)}: {exc}"
            ) from None
        raise


def read_spectra(paths, format=None, n_jobs=None, **options):
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
    **options
        Passed to the format's reader.

    Returns
    -------
    SpectrumBatch
        One spectrum per path, in order; ragged unless all grids are equal.

    Raises
    ------
    SpectrumReadError
        For the first file that cannot be read (named in the message).
    TypeError
        If ``paths`` is a single path rather than a sequence of paths.

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
    """
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise TypeError(
            "read_spectra needs a sequence of paths; got a single path "
            f"{os.fspath(paths)!r}. Use read_spectrum, or wrap it in a list."
        )
    paths = list(paths)
    if format is not None:
        get_format(format, paths[0] if paths else None)  # fail before any work
    if n_jobs in (None, 1) or len(paths) < 2:
        spectra = [read_spectrum(p, format, **options) for p in paths]
    else:
        spectra = Parallel(n_jobs=n_jobs)(
            delayed(read_spectrum)(p, format, **options) for p in paths
        )
    return SpectrumBatch(spectra)
