"""One chunk of files through a fitted pipeline: read and preprocess once, predict once.

This is the unit of work of :func:`~spectra_sklearn.predict_files`, run in
the calling process, in a local worker process or on a Dask worker; it is
module level and takes only picklable arguments so that all three can run it.
"""

import os
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from ..io import SpectrumReader

__all__ = ["ChunkResult", "STATUSES", "predict_chunk", "split_model"]

#: Values of the ``status`` column: the file was classified, could not be
#: read, gave non-finite features after preprocessing, or failed in a step.
STATUSES = ("ok", "read_error", "non_finite", "error")


@dataclass
class ChunkResult:
    """What one chunk gives back: one entry per input path, in order.

    Attributes
    ----------
    predicted : ndarray of object, shape (n,)
        The predicted class (``None`` where ``status != "ok"``).
    proba : ndarray of shape (n, n_classes) or None
        Class probabilities (NaN rows where ``status != "ok"``); None when
        the final estimator has no ``predict_proba``.
    status : list of str
        One of :data:`STATUSES` per path.
    error : list of str
        The reason of a failure, ``""`` for ``"ok"``.
    """

    predicted: np.ndarray
    proba: np.ndarray | None
    status: list
    error: list

    def __len__(self):
        return len(self.status)


def split_model(pipeline):
    """``(reader, preprocess, final)`` of a fitted Pipeline whose input is file paths.

    ``reader`` is the first step when it is a
    :class:`~spectra_sklearn.io.SpectrumReader` (else None), ``preprocess``
    the steps between it and the final estimator (a Pipeline, or None when
    there are none), ``final`` the last step.

    Raises
    ------
    TypeError
        If ``pipeline`` is not a scikit-learn Pipeline, or its final step has
        neither ``predict_proba`` nor ``predict``.
    """
    if not isinstance(pipeline, Pipeline):
        raise TypeError(
            "predict_files needs a fitted sklearn Pipeline whose first step reads file "
            "paths (a SpectrumReader), or the path of a model file written by "
            f"'spectra-sklearn fit'; got {type(pipeline).__name__}."
        )
    steps = list(pipeline.steps)
    final = steps[-1][1]
    if not (hasattr(final, "predict_proba") or hasattr(final, "predict")):
        raise TypeError(
            f"The final step of the pipeline ({type(final).__name__}) has neither "
            "predict_proba nor predict."
        )
    reader = None
    if isinstance(steps[0][1], SpectrumReader) and len(steps) > 1:
        reader = steps.pop(0)[1]
    middle = steps[:-1]
    preprocess = Pipeline(middle) if middle else None
    return reader, preprocess, final


def _reading_copy(reader, format, catch):
    """A copy of the pipeline's reader that records unreadable files as placeholders."""
    params = reader.get_params()
    params.update(progress=False, n_jobs=None)
    if format is not None:
        params["format"] = format
    if catch:
        params["on_error"] = "skip"
    return SpectrumReader(**params)


def _non_finite_rows(X):
    """Boolean mask of the rows of the preprocessed features holding NaN or inf."""
    try:
        flux = np.asarray(X)
    except (ValueError, TypeError):  # ragged spectra: check each one
        return np.array([not np.all(np.isfinite(s.flux)) for s in X], dtype=bool)
    if flux.ndim != 2 or not np.issubdtype(flux.dtype, np.number):
        return np.zeros(len(flux), dtype=bool)
    return ~np.isfinite(flux).all(axis=1)


def _message(exc):
    return f"{type(exc).__name__}: {exc}"


def predict_chunk(pipeline, paths, *, on_error="record", format=None):
    """Read, preprocess and classify ``paths`` with the fitted ``pipeline``.

    Parameters
    ----------
    pipeline : sklearn.pipeline.Pipeline
        Fitted; its first step reads file paths.
    paths : list of str
        The chunk's files.
    on_error : {"record", "raise"}, default="record"
        ``"record"`` gives a failed file a status and an error message and
        classifies the others; ``"raise"`` raises at the first failure.
    format : str, default=None
        Overrides the reader's ``format``.

    Returns
    -------
    ChunkResult

    Raises
    ------
    SpectrumReadError
        With ``on_error="raise"``, for a file that cannot be read.
    ValueError
        With ``on_error="raise"``, for a file whose preprocessed spectrum is
        not finite (the message names the file).
    """
    catch = on_error == "record"
    reader, preprocess, final = split_model(pipeline)
    paths = [os.fspath(p) for p in paths]
    n = len(paths)
    status = ["ok"] * n
    error = [""] * n
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if reader is not None:
            X = _reading_copy(reader, format, catch).transform(paths)
            for i, meta in enumerate(X.meta):
                if "read_error" in meta:
                    status[i], error[i] = "read_error", meta["read_error"]
        else:
            X = paths
        if reader is not None and all(st == "read_error" for st in status):
            # nothing to preprocess (placeholders on a 1-pixel grid would not resample)
            return _classify(final, None, status, error)
        try:
            Xt = X if preprocess is None else preprocess.transform(X)
        except Exception:
            if not catch or n == 1:
                raise
            Xt = None
    if Xt is None:  # a step failed on the chunk: find the file(s) by running each alone
        return _one_by_one(pipeline, paths, format, status, error)
    bad = _non_finite_rows(Xt)
    reasons = "; ".join(dict.fromkeys(str(w.message) for w in caught))
    for i in np.flatnonzero(bad):
        if status[i] == "ok":
            status[i] = "non_finite"
            error[i] = ("non-finite flux after preprocessing"
                        + (f" ({reasons})" if reasons else ""))
    if not catch:
        failed = [i for i in range(n) if status[i] != "ok"]
        if failed:
            raise ValueError(f"{paths[failed[0]]}: {error[failed[0]]}")
    failed_rows = np.array([s != "ok" for s in status], dtype=bool)
    if not failed_rows.any():
        for w in caught:  # nothing they explain: pass them on
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return _classify(final, Xt, status, error)


def _classify(final, Xt, status, error):
    n = len(status)
    good = np.array([s == "ok" for s in status], dtype=bool)
    has_proba = hasattr(final, "predict_proba")
    classes = getattr(final, "classes_", None)
    predicted = np.full(n, None, dtype=object)
    proba = None
    if has_proba:
        proba = np.full((n, len(classes)), np.nan)
    if good.any():
        X_good = Xt if good.all() else _take(Xt, good)
        if has_proba:
            p = final.predict_proba(X_good)
            proba[good] = p
            # a final step that decides from its probabilities otherwise (e.g.
            # calibration.AbstainingClassifier's "unknown") says so by this method
            decide = getattr(final, "predict_from_proba", None)
            predicted[good] = (decide(p) if decide is not None
                               else np.asarray(classes)[np.argmax(p, axis=1)])
        else:
            predicted[good] = final.predict(X_good)
    return ChunkResult(predicted, proba, status, error)


def _take(X, rows):
    if isinstance(X, list):
        return [x for x, keep in zip(X, rows) if keep]
    return X[rows]


def _one_by_one(pipeline, paths, format, status, error):
    """Each file of a chunk alone; a file whose preprocessing raises is recorded."""
    results = []
    for path, s, e in zip(paths, status, error):
        if s != "ok":
            results.append(ChunkResult(np.array([None], dtype=object), None, [s], [e]))
            continue
        try:
            results.append(predict_chunk(pipeline, [path], format=format))
        except Exception as exc:  # the step's own message, kept for the row
            results.append(ChunkResult(np.array([None], dtype=object), None, ["error"],
                                       [_message(exc)]))
    return concatenate(results, getattr(pipeline, "classes_", None),
                       hasattr(pipeline, "predict_proba"))


def concatenate(results, classes, has_proba):
    """One ChunkResult from several, in order (rows without probabilities get NaN)."""
    predicted = np.concatenate([r.predicted for r in results])
    proba = None
    if has_proba:
        width = len(classes)
        proba = np.concatenate([
            r.proba if r.proba is not None else np.full((len(r), width), np.nan)
            for r in results
        ])
    return ChunkResult(predicted, proba, sum((r.status for r in results), []),
                       sum((r.error for r in results), []))
