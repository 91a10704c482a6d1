"""Helpers shared by the dataset loaders: metadata tables and descriptions."""

import csv
import io
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from importlib import resources
from pathlib import Path

import numpy as np
from sklearn.utils._optional_dependencies import check_pandas_support

from ._download import DownloadError, DownloadTimeoutError, fetch_file

__all__ = [
    "download_all",
    "download_jobs",
    "fetch_spectrum_files",
    "load_descr",
    "make_frame",
    "read_csv_rows",
]

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


#: Connections of a fetcher whose ``n_jobs`` is ``None``.
DEFAULT_CONNECTIONS = 4


def download_jobs(n_jobs):
    """Download threads for a fetcher's ``n_jobs``: ``None`` means
    :data:`DEFAULT_CONNECTIONS`, negative values count as joblib's do."""
    if n_jobs is None:
        return DEFAULT_CONNECTIONS
    from joblib import effective_n_jobs

    return max(1, effective_n_jobs(n_jobs))


def download_all(items, fetch, *, n_jobs, progress, desc, home, stop_on_error=False):
    """Call ``fetch(item)`` for every item, ``n_jobs`` at a time, with a progress bar.

    The one engine of the fetchers that download many files: a
    :class:`~concurrent.futures.ThreadPoolExecutor` of ``n_jobs`` threads
    (so never more than ``n_jobs`` connections at a time), a tqdm bar of the
    files done, and a stop for the whole batch when the call's time runs out.
    Each file is written atomically by
    :func:`~spectra_sklearn.datasets._download.fetch_file`, so what arrived
    is kept and a new call resumes.

    Parameters
    ----------
    items : sequence
        What to download (passed to ``fetch``).
    fetch : callable
        ``fetch(item)`` downloads one item and returns its local path.
    n_jobs : int
        Most downloads at the same time (threads), >= 1.
    progress : bool or None
        tqdm bar: ``None`` only on a terminal (after 2 s), ``True`` always,
        ``False`` never.
    desc : str
        Label of the bar.
    home : path-like
        The data home, for messages.
    stop_on_error : bool or callable, default=False
        Stop at the first failure (cancel the downloads not started) instead
        of trying every item; a callable ``stop_on_error(exc)`` says which
        failures stop.

    Returns
    -------
    list
        Per item, its path or the :class:`FileNotFoundError` /
        :class:`~spectra_sklearn.datasets.DownloadError` it failed with.

    Raises
    ------
    spectra_sklearn.datasets.DownloadTimeoutError
        If the time ran out; the message also counts the files that arrived.
    """
    from ..io._read import _progress_bar

    results = [None] * len(items)
    if not items:
        return results
    stop = stop_on_error if callable(stop_on_error) else (lambda exc: stop_on_error)
    pool = ThreadPoolExecutor(max_workers=max(1, int(n_jobs)))
    futures, out_of_time = {}, None
    try:
        futures = {pool.submit(fetch, item): i for i, item in enumerate(items)}
        for future in _progress_bar(as_completed(futures), len(futures), progress, desc):
            i = futures[future]
            try:
                results[i] = future.result()
            except DownloadTimeoutError as exc:
                out_of_time = exc
                break
            except (FileNotFoundError, DownloadError) as exc:
                results[i] = exc
                if stop(exc):
                    break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for future, i in futures.items():  # those that ended after the loop stopped
        if results[i] is None and future.done() and not future.cancelled():
            exc = future.exception()
            if exc is not None and not isinstance(exc, (FileNotFoundError, DownloadError)):
                raise exc
            results[i] = future.result() if exc is None else exc
    if out_of_time is not None:
        done = sum(isinstance(r, Path) for r in results)
        raise DownloadTimeoutError(
            f"{done} of the {len(items)} files to download had arrived in the data home "
            f"{home} when {out_of_time}"
        ) from None
    return results


def fetch_spectrum_files(remotes, home, *, missing, caller, stacklevel=4, n_jobs=4,
                         progress=None, **kwargs):
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
    n_jobs : int, default=4
        Most downloads at the same time (see :func:`download_all`).
    progress : bool or None, default=None
        tqdm bar of the downloads (see :func:`download_all`).
    **kwargs
        Passed to :func:`~spectra_sklearn.datasets._download.fetch_file`
        (``download_if_missing``, ``n_retries``, ``delay``, ``deadline``,
        ``verify``).

    Returns
    -------
    list of pathlib.Path or None
        One entry per remote; ``None`` for a skipped file.

    Raises
    ------
    spectra_sklearn.datasets.DownloadTimeoutError
        If the ``deadline`` passes (whatever ``missing`` says).
    """
    if missing not in MISSING_OPTIONS:
        raise ValueError(
            f"The 'missing' parameter of {caller} must be one of {MISSING_OPTIONS}; "
            f"got {missing!r}."
        )
    home = Path(home)
    paths = [r.local_path(home) for r in remotes]
    todo = [i for i, p in enumerate(paths) if not p.is_file()]
    offline = threading.Event()

    def fetch(i):
        options = {**kwargs, "download_if_missing": False} if offline.is_set() else kwargs
        try:
            return fetch_file(remotes[i], home, fetcher=caller, **options)
        except DownloadError as exc:
            if missing == "skip" and not _is_not_found(exc) \
                    and not isinstance(exc, DownloadTimeoutError):
                offline.set()  # do not wait for every other file to time out too
            raise

    results = download_all(
        todo, fetch, n_jobs=n_jobs, progress=progress, desc=caller, home=home,
        stop_on_error=missing == "raise",
    )
    skipped, first_error = [], None
    for i, result in zip(todo, results):
        if isinstance(result, Exception):
            if missing == "raise":
                raise result
            paths[i] = None
            skipped.append(Path(remotes[i].path).name)
            first_error = first_error or result
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
