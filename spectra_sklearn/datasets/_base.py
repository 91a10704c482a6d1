"""Helpers shared by the dataset loaders: metadata tables and descriptions."""

import csv
import io
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils._optional_dependencies import check_pandas_support

from ._download import DownloadError, fetch_file

__all__ = ["fetch_spectrum_files", "load_descr", "make_frame", "read_csv_rows"]

#: Values of the ``missing=`` parameter of the fetchers of partial datasets.
MISSING_OPTIONS = ("raise", "skip")


def load_descr(name):
    """Return the text of ``descr/<name>`` shipped with the package."""
    path = resources.files(__package__).joinpath("descr", name)
    return path.read_text(encoding="utf-8")


def make_frame(columns, *, as_frame, caller):
    """Build the metadata table of a dataset from equal-length 1-D columns.

    Parameters
    ----------
    columns : dict of str to array-like
        Column name to values, in display order. Text columns become unicode
        (``U``) fields, numeric and boolean columns keep their dtype.
    as_frame : bool
        ``True`` for a :class:`pandas.DataFrame` (pandas is then required),
        ``False`` for a numpy structured array with the same fields.
    caller : str
        Name of the calling loader, for the error raised without pandas.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Structured array of shape (n_rows,) or a DataFrame of n_rows rows.
    """
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    n = {a.shape for a in arrays.values()}
    if len(n) > 1:  # pragma: no cover - programming error
        raise ValueError(f"Columns of different lengths: {n}.")
    if as_frame:
        pd = check_pandas_support(f"{caller} with as_frame=True")
        return pd.DataFrame({name: a for name, a in arrays.items()})
    n_rows = next(iter(n))[0] if n else 0
    dtype = []
    for name, a in arrays.items():
        if a.dtype.kind in "USO":
            a = a.astype(str)
            width = max(1, int(np.char.str_len(a).max())) if a.size else 1
            dtype.append((name, f"U{width}"))
        else:
            dtype.append((name, a.dtype))
    frame = np.empty(n_rows, dtype=dtype)
    for name, a in arrays.items():
        frame[name] = a
    return frame


def read_csv_rows(path, *, delimiter=",", required=()):
    """Read a small delimited text table into a header and a list of row dicts.

    A UTF-8 byte-order mark and spaces around the column names are removed,
    empty column names (a trailing delimiter) are dropped, and values are
    stripped.

    Parameters
    ----------
    path : path-like
        The table.
    delimiter : str, default=","
        The field separator.
    required : sequence of str, default=()
        Columns the table must have.

    Returns
    -------
    header : list of str
    rows : list of dict of str to str

    Raises
    ------
    ValueError
        If the table is empty or lacks a required column (the message names
        the file).
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ValueError(f"{path} is empty; expected a header line.") from None
    lacking = [c for c in required if c not in header]
    if lacking:
        raise ValueError(
            f"{path} lacks the column(s) {lacking}; its header is {header}."
        )
    keep = [(i, name) for i, name in enumerate(header) if name]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        values = values + [""] * (len(header) - len(values))
        rows.append({name: values[i].strip() for i, name in keep})
    return [name for _, name in keep], rows


def fetch_spectrum_files(remotes, home, *, missing, caller, stacklevel=4, **kwargs):
    """Local paths of the spectrum files of a dataset, downloading missing ones.

    Parameters
    ----------
    remotes : sequence of RemoteFile
        The files.
    home : path-like
        The data home.
    missing : {'raise', 'skip'}
        What to do with a file that is neither in the data home nor
        downloadable (``download_if_missing=False``, no network, HTTP 404):
        raise, or leave it out with one :class:`UserWarning` that counts them.
    caller : str
        Name of the fetcher, for messages.
    stacklevel : int, default=4
        Of the warning: 4 points at the code calling a fetcher wrapped in
        ``validate_params`` that calls this function directly.
    **kwargs
        Passed to :func:`~spectra_sklearn.datasets._download.fetch_file`
        (``download_if_missing``, ``n_retries``, ``delay``).

    Returns
    -------
    list of pathlib.Path or None
        One entry per remote; ``None`` for a skipped file.
    """
    if missing not in MISSING_OPTIONS:
        raise ValueError(
            f"The 'missing' parameter of {caller} must be one of {MISSING_OPTIONS}; "
            f"got {missing!r}."
        )
    paths, skipped, first_error = [], [], None
    for remote in remotes:
        try:
            paths.append(fetch_file(remote, home, fetcher=caller, **kwargs))
        except (FileNotFoundError, DownloadError) as exc:
            if missing == "raise":
                raise
            paths.append(None)
            skipped.append(Path(remote.path).name)
            first_error = first_error or exc
            if isinstance(exc, DownloadError) and not _is_not_found(exc):
                # offline: do not wait for every other file to time out too
                kwargs = {**kwargs, "download_if_missing": False}
    if skipped:
        warnings.warn(
            f"{caller}: {len(skipped)} of the {len(paths)} spectrum files are not "
            f"in the data home {home} and could not be downloaded; they are left "
            f"out (missing='skip'): {', '.join(skipped[:5])}"
            + (", ..." if len(skipped) > 5 else "")
            + f". First error: {first_error}",
            UserWarning,
            stacklevel=stacklevel,
        )
    return paths


def _is_not_found(exc):
    from ._download import RemoteFileNotFoundError

    return isinstance(exc, RemoteFileNotFoundError)
