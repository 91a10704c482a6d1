"""predict_files: classify survey-sized lists of spectrum files in chunks."""

import glob
import os
import pickle
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np

from ._chunk import STATUSES, predict_chunk, split_model
from ._output import columns_for, open_writer

__all__ = ["PredictFilesResult", "predict_files"]

_ON_ERROR = ("record", "raise")


@dataclass
class PredictFilesResult:
    """What :func:`predict_files` did.

    Attributes
    ----------
    n_files : int
        Paths given.
    n_skipped : int
        Paths skipped because the output already held them (``resume=True``).
    n_done : int
        Paths processed in this run (``n_files - n_skipped``).
    status_counts : dict of str to int
        Paths of this run per ``status`` (``"ok"``, ``"read_error"``,
        ``"non_finite"``, ``"error"``).
    class_counts : dict of str to int
        Files of this run classified as each class.
    seconds : float
        Wall time of this run.
    output : pathlib.Path or None
        Where the table was written.
    classes : ndarray or None
        The model's classes (the order of the probability columns).
    table : dict of str to ndarray or None
        With ``output=None``, the table itself: one array per column
        (``name``, ``predicted``, ``probability``, ``probability_<class>``,
        ``status``, ``error``); ``pandas.DataFrame(result.table)`` makes a
        frame of it. None when written to ``output``.
    """

    n_files: int
    n_skipped: int
    n_done: int
    status_counts: dict
    class_counts: dict
    seconds: float
    output: Path | None = None
    classes: np.ndarray | None = None
    table: dict | None = field(default=None, repr=False)

    @property
    def n_failed(self):
        """Paths of this run that were not classified."""
        return self.n_done - self.status_counts.get("ok", 0)

    @property
    def rate(self):
        """Files per second in this run."""
        return self.n_done / self.seconds if self.seconds > 0 else float("nan")

    def summary(self):
        """One line: counts, rate and failures."""
        failures = ", ".join(f"{s} {n}" for s, n in self.status_counts.items()
                             if s != "ok" and n)
        line = (f"{self.n_done} files in {self.seconds:.1f} s ({self.rate:.0f} files/s): "
                f"{self.status_counts.get('ok', 0)} classified, {self.n_failed} failed")
        if failures:
            line += f" ({failures})"
        if self.n_skipped:
            line += f"; {self.n_skipped} already in {self.output}, skipped"
        if self.class_counts:
            line += "; " + ", ".join(f"{c} {n}" for c, n in sorted(self.class_counts.items()))
        return line


def _as_path_list(paths):
    """A list of path strings from a sequence, a text file of paths, or a glob pattern."""
    if isinstance(paths, (str, os.PathLike)):
        text = os.fspath(paths)
        if os.path.isfile(text):
            from ..cli._files import read_path_list

            try:
                return read_path_list(text)
            except UnicodeDecodeError:
                raise ValueError(
                    f"paths={text!r} is not a text file listing spectrum paths (one per "
                    f"line); to classify that one file, pass [{text!r}]") from None
        if glob.has_magic(text):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise ValueError(f"the pattern {text!r} matches no file")
            return found
        raise FileNotFoundError(
            f"paths={text!r} is neither a text file listing spectrum paths nor a glob "
            "pattern that matches files"
        )
    try:
        items = list(paths)
    except TypeError:
        raise TypeError(
            "paths must be a sequence of file paths, a text file listing them (one per "
            f"line) or a glob pattern; got {type(paths).__name__}."
        ) from None
    for i, item in enumerate(items):
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f"paths[{i}] is a {type(item).__name__}, not a file path.")
    return [os.fspath(p) for p in items]


def _load(model):
    """``(pipeline, model file or None)`` from a model file path or a fitted Pipeline."""
    if isinstance(model, (str, os.PathLike)):
        from ..cli._model_file import load_model

        pipeline, _ = load_model(model)
        return pipeline, os.fspath(model)
    return model, None


def _check(chunk_size, on_error, n_jobs, client, resume, force, output):
    if not isinstance(chunk_size, Integral) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int; got {chunk_size!r}.")
    if on_error not in _ON_ERROR:
        raise ValueError(
            f"on_error must be one of {', '.join(map(repr, _ON_ERROR))}; got {on_error!r}.")
    if not isinstance(n_jobs, Integral) or not (n_jobs >= 1 or n_jobs == -1):
        raise ValueError(f"n_jobs must be a positive int or -1; got {n_jobs!r}.")
    if client is not None and n_jobs != 1:
        raise ValueError("pass either n_jobs (local processes) or client (Dask), not both.")
    if resume and force:
        raise ValueError("resume=True continues the output and force=True replaces it: "
                         "pass one of them.")
    if (resume or force) and output is None:
        raise ValueError("resume and force need an output file.")


def predict_files(model, paths, *, output=None, chunk_size=500, format=None,
                  on_error="record", resume=False, force=False, n_jobs=1, client=None,
                  progress=True):
    """Classify spectrum files in chunks: bounded memory, resumable, parallel.

    Each chunk of ``chunk_size`` files is read, preprocessed and classified
    once: the pipeline's steps before the last transform the chunk, and the
    final estimator's ``predict_proba`` gives the probabilities, whose argmax
    is the predicted class (its ``predict`` when it has no
    ``predict_proba``). Memory is bounded by the chunk size (times the
    chunks in flight, two per worker), not by the number of files.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline or str or os.PathLike
        A fitted Pipeline whose first step reads file paths
        (:class:`~spectra_sklearn.io.SpectrumReader`), or the path of a
        model file written by ``spectra-sklearn fit``.
    paths : sequence of str or os.PathLike, or str
        The files, in the order of the output rows; or a text file listing
        them (one per line, ``#`` comments, relative to the list's folder);
        or a glob pattern (``"spectra/**/*.fits.gz"``, sorted).
    output : str or os.PathLike, default=None
        Where to write the table, by suffix: ``.csv``; ``.parquet`` (a
        directory of one part file per chunk; needs pyarrow); ``.sqlite`` /
        ``.db`` (table ``predictions``). Each chunk is made durable before
        the next, so a killed run leaves a valid table of its finished
        chunks. ``None`` returns the table in ``result.table`` instead.
    chunk_size : int, default=500
        Files per chunk.
    format : str, default=None
        The files' format, overriding the reader's.
    on_error : {"record", "raise"}, default="record"
        ``"record"``: a file that cannot be read (``status="read_error"``),
        whose preprocessed spectrum is not finite (``"non_finite"``, e.g. an
        empty continuum window) or on which a step raises (``"error"``) gets
        a row with that status and the reason in ``error``, and the run goes
        on. ``"raise"``: the first failure raises (the chunks before it are
        kept in ``output``).
    resume : bool, default=False
        Continue an existing ``output``: files it already holds are skipped
        (a path listed k times is skipped k times at most).
    force : bool, default=False
        Replace an existing ``output``.
    n_jobs : int, default=1
        Local worker processes (``-1``: one per core). Each loads the model
        once and runs torch on one thread; rows stay in input order.
    client : dask.distributed.Client, default=None
        Run the chunks on this Dask cluster: the model is sent once to every
        worker, workers read the files themselves (the paths must be valid
        there: a shared file system or the same data home), and the results
        stream back to ``output`` in input order.
    progress : bool, default=True
        A tqdm progress bar (files/s and ETA) on standard error.

    Returns
    -------
    PredictFilesResult
        Counts per status and class, wall time, rate; with ``output=None``
        the table (``result.table``).

    Raises
    ------
    FileExistsError
        If ``output`` exists and neither ``resume`` nor ``force`` is given
        (nothing is read or written).
    ValueError
        For invalid parameters, an output whose suffix names no known format,
        resuming an output written for other classes, or with
        ``on_error="raise"`` a non-finite preprocessed spectrum.
    SpectrumReadError
        With ``on_error="raise"``, for a file that cannot be read.

    See Also
    --------
    spectra_sklearn.io.read_spectra : Read files without classifying them.

    Notes
    -----
    The columns are ``name`` (the path as given), ``predicted``,
    ``probability`` (of the predicted class), ``probability_<class>`` for
    each class (absent without ``predict_proba``), ``status`` and ``error``.
    A failed row has no class and no probabilities (empty in CSV, null in
    Parquet and SQLite).

    Examples
    --------
    >>> from spectra_sklearn import predict_files
    >>> from spectra_sklearn.pipelines import make_spex_pipeline
    >>> from spectra_sklearn.datasets import load_spex_sample
    >>> spex = load_spex_sample()
    >>> model = make_spex_pipeline(model="svc").fit(spex.filenames, spex.target_class)
    >>> result = predict_files(model, list(spex.filenames[:4]) + ["missing.fits"],
    ...                        progress=False)
    >>> list(result.table["status"])
    ['ok', 'ok', 'ok', 'ok', 'read_error']
    >>> result.table["predicted"][:4].tolist() == model.predict(spex.filenames[:4]).tolist()
    True
    """
    start = time.perf_counter()
    _check(chunk_size, on_error, n_jobs, client, resume, force, output)
    paths = _as_path_list(paths)
    writer = None
    if output is not None:
        output = Path(output)
        if output.exists() and not (resume or force):
            raise FileExistsError(
                f"{output} already exists; pass resume=True (--resume) to finish it or "
                "force=True (--force) to replace it, or choose another output")
    pipeline, model_file = _load(model)
    split_model(pipeline)  # fail before any work
    final = pipeline.steps[-1][1]
    has_proba = hasattr(final, "predict_proba")
    classes = getattr(final, "classes_", None)
    if has_proba and classes is None:
        raise TypeError(f"{type(final).__name__} has predict_proba but no classes_.")
    columns = columns_for(classes, has_proba)
    todo = paths
    if output is not None:
        writer = open_writer(output, columns)
        if writer.exists() and force:
            writer.remove()
        if writer.exists():
            done = writer.resume()
            todo = []
            for p in paths:
                if done[p] > 0:
                    done[p] -= 1
                else:
                    todo.append(p)
        writer.open()
    chunks = [todo[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]
    status_counts = Counter({s: 0 for s in STATUSES})
    class_counts = Counter()
    kept = []
    bar = _progress_bar(len(todo), progress)
    try:
        for chunk, result in zip(chunks, _run(pipeline, model_file, chunks, on_error, format,
                                              n_jobs, client)):
            if writer is not None:
                writer.write(chunk, result)
            else:
                kept.append((chunk, result))
            status_counts.update(result.status)
            class_counts.update(str(c) for c, s in zip(result.predicted, result.status)
                                if s == "ok")
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    return PredictFilesResult(
        n_files=len(paths), n_skipped=len(paths) - len(todo), n_done=len(todo),
        status_counts={s: n for s, n in status_counts.items() if n or s == "ok"},
        class_counts=dict(class_counts), seconds=time.perf_counter() - start,
        output=output, classes=None if classes is None else np.asarray(classes),
        table=None if writer is not None else _table(kept, columns),
    )


def _progress_bar(total, progress):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="file", desc="predicting", file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


def _table(kept, columns):
    from ._output import _rows

    rows = [row for chunk, result in kept for row in _rows(chunk, result)]
    table = {}
    for j, c in enumerate(columns):
        values = [row[j] for row in rows]
        if c.startswith("probability"):
            table[c] = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            table[c] = np.array(values, dtype=object)
    return table


# -- running the chunks ----------------------------------------------------------------


def _run(pipeline, model_file, chunks, on_error, format, n_jobs, client):
    """Chunk results in chunk order: here, in local processes or on a Dask cluster."""
    if not chunks:
        return iter(())
    if client is not None:
        return _run_dask(client, pipeline, chunks, on_error, format)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    n_jobs = min(n_jobs, len(chunks))
    if n_jobs == 1:
        return (predict_chunk(pipeline, c, on_error=on_error, format=format) for c in chunks)
    # workers load the model file themselves, or unpickle the pipeline once each
    payload = (("file", model_file) if model_file is not None else
               ("pickle", pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)))
    return _run_processes(payload, chunks, on_error, format, n_jobs)


def _in_order(submit, chunks, window):
    """Submit chunks keeping at most ``window`` in flight; yield their results in order.

    Futures still pending when the consumer stops (an error, ``on_error="raise"``)
    are cancelled.
    """
    pending = deque()
    it = iter(chunks)
    try:
        for chunk in it:
            pending.append(submit(chunk))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            for chunk in it:
                pending.append(submit(chunk))
                break
            yield result
    finally:
        for future in pending:
            future.cancel()


_WORKER_MODEL = None


def _init_worker(payload):
    """Process-pool initializer: one torch thread, the model loaded once per worker."""
    global _WORKER_MODEL
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    import torch

    torch.set_num_threads(1)
    kind, data = payload
    if kind == "file":
        from ..cli._model_file import load_model

        _WORKER_MODEL = load_model(data)[0]
    else:
        _WORKER_MODEL = pickle.loads(data)


def _worker_chunk(paths, on_error, format):
    return predict_chunk(_WORKER_MODEL, paths, on_error=on_error, format=format)


def _run_processes(payload, chunks, on_error, format, n_jobs):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "forkserver" in multiprocessing.get_all_start_methods():
        # workers fork from a server that imported the libraries once (torch,
        # sklearn, astropy): seconds of start-up per worker saved; a fork of a
        # process that started no threads, unlike forking the caller
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["spectra_sklearn.survey._chunk", "spectra_sklearn.nn"])
    else:  # pragma: no cover - Windows, macOS without forkserver
        context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=context,
                               initializer=_init_worker, initargs=(payload,))
    try:
        yield from _in_order(lambda c: pool.submit(_worker_chunk, c, on_error, format),
                             chunks, 2 * n_jobs)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(client, pipeline, chunks, on_error, format):
    model = client.scatter(pipeline, broadcast=True, hash=False)
    n_threads = sum(client.nthreads().values()) or 1
    yield from _in_order(
        lambda c: client.submit(predict_chunk, model, c, on_error=on_error, format=format,
                                pure=False),
        chunks, 2 * n_threads)
