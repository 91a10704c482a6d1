"""Run a fitted model over spectra and gather what a report shows of each one."""

import dataclasses
import os

import numpy as np

from ._catalog import ids_from_meta

__all__ = ["ReportData", "collect_predictions", "merge_report_data"]


@dataclasses.dataclass
class ReportData:
    """Predictions, probabilities and the spectra shown, one entry per input spectrum."""

    classes: list
    rows: list  # catalogue rows: ids, y_true, y_pred, proba (dict), branches, status, error
    spectra: list  # Spectrum (as read, in its units), or None when X was a plain array
    network_input: object  # ndarray (n, n_pixels) the final estimator received
    network_wavelength: object  # its common grid, or None
    network_wavelength_unit: object
    proba: object  # ndarray (n_readable, n_classes) or None: the spectra that were read
    branch_proba: dict  # branch name -> ndarray (n_readable, n_classes)
    saliency: object  # ndarray (n, n_pixels) of |gradient| or None


def _split(model, X):
    """``(raw spectra or None, the input of the final step, the final step, readable)``.

    ``readable`` indexes the spectra that were read (the final step's input
    holds only those); None when all were.
    """
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    from .._batch import SpectrumBatch
    from ..io import SpectrumReader

    raw = X if isinstance(X, SpectrumBatch) else None
    if not isinstance(model, Pipeline):
        return raw, X, model, None
    steps, readable = model, None
    Xt = X
    if isinstance(model[0], SpectrumReader) and raw is None and not _is_array(X):
        reader = clone(model[0]).set_params(on_error="skip")
        raw = Xt = reader.transform(X)
        steps = model[1:]
        failed = [bool(s.meta.get("read_error")) for s in raw]
        if any(failed):  # the model sees only the spectra that were read
            readable = np.flatnonzero(~np.asarray(failed))
            Xt = raw[readable]
    elif raw is not None:
        Xt = raw
    if len(steps) > 1:
        Xt = steps[:-1].transform(Xt)
    return raw, Xt, steps[-1], readable


def _is_array(X):
    return isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "fiu"


def _network_array(Xt):
    from .._batch import SpectrumBatch

    if isinstance(Xt, SpectrumBatch) and Xt.on_common_grid:
        return np.asarray(Xt, dtype=np.float64), Xt.wavelength, Xt.wavelength_unit
    try:
        array = np.asarray(Xt, dtype=np.float64)
    except (TypeError, ValueError):
        return None, None, None
    return (array, None, None) if array.ndim == 2 else (None, None, None)


def _saliency(final, array, batch_size=512):
    """|d logit / d flux| of the predicted class (plotting's saliency computation)."""
    try:
        from ..plotting._common import torch_module
        from ..plotting._saliency import _saliency as gradient

        torch_module(final)
    except (ImportError, TypeError):
        return None
    try:
        chunks = [np.abs(gradient(final, array[i:i + batch_size], "predicted")[0])
                  for i in range(0, len(array), batch_size)]
    except TypeError:  # a network of several inputs (fusion): no single-input saliency
        return None
    return np.concatenate(chunks) if chunks else None


def _expand(values, rows, n, fill):
    out = np.full((n,) + values.shape[1:], fill, dtype=float)
    out[rows] = values
    return out


def _ids_table(ids, n):
    if ids is None:
        return [{} for _ in range(n)]
    if hasattr(ids, "to_dict") and hasattr(ids, "columns"):
        ids = ids.to_dict(orient="records")
    ids = list(ids)
    if len(ids) != n:
        raise ValueError(f"ids has {len(ids)} entries for {n} spectra")
    out = []
    for entry in ids:
        if isinstance(entry, dict):
            out.append({k: v for k, v in entry.items() if v is not None and v == v})
        else:
            out.append({"object_id": str(entry)})
    return out


def collect_predictions(model, X, y_true=None, *, ids=None, saliency=True):
    """Predict ``X`` with ``model`` and gather ids, labels, probabilities and spectra.

    Parameters
    ----------
    model : fitted classifier or Pipeline
        A Pipeline starting with :class:`~spectra_sklearn.io.SpectrumReader`
        reads each file once (unreadable files become rows with status
        ``'error'``); the spectra shown are the files as read, in their units.
    X : sequence of paths, SpectrumBatch or ndarray of shape (n, n_pixels)
    y_true : array-like of shape (n,), default=None
    ids : sequence of mapping or DataFrame, default=None
        Extra ids per spectrum (columns of
        :data:`~spectra_sklearn.report.ID_COLUMNS`), added to those read
        from each spectrum's ``meta``.
    saliency : bool, default=True
        For a :mod:`spectra_sklearn.nn` network, also compute each spectrum's
        gradient saliency (:func:`spectra_sklearn.plotting.saliency_map`).

    Returns
    -------
    ReportData
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    raw, Xt, final, readable = _split(model, X)
    n = len(raw) if raw is not None else len(Xt)
    position = {int(i): k for k, i in enumerate(readable)} if readable is not None else None
    if y_true is not None:
        y_true = np.asarray(y_true)
        if len(y_true) != n:
            raise ValueError(f"y_true has {len(y_true)} labels for {n} spectra")
    y_pred = np.asarray(final.predict(Xt))
    classes = [str(c) for c in getattr(final, "classes_", np.unique(y_pred))]
    proba = np.asarray(final.predict_proba(Xt)) if hasattr(final, "predict_proba") else None
    branch_proba = {}
    for branch in getattr(final, "branch_names_", None) or ():
        branch_proba[str(branch)] = np.asarray(final.predict_proba(Xt, branch=branch))
    array, grid, grid_unit = _network_array(Xt)
    sal = _saliency(final, array) if saliency and array is not None else None
    if position is not None:  # back to one entry per input spectrum (NaN/0 where unread)
        if array is not None:
            array = _expand(array, readable, n, np.nan)
        if sal is not None:
            sal = _expand(sal, readable, n, 0.0)
    extra = _ids_table(ids, n)
    paths = None
    if raw is not None and not _is_array(X) and not hasattr(X, "spectra"):
        paths = [os.fspath(p) for p in X]
    rows = []
    for i in range(n):
        meta = raw[i].meta if raw is not None else {}
        row = ids_from_meta(meta, path=paths[i] if paths else None)
        if not row.get("name"):
            row["name"] = str(meta.get("name") or meta.get("object") or f"spectrum {i}")
        row.update({k: str(v) if k not in ("plate", "mjd", "fiberid") else int(v)
                    for k, v in extra[i].items()})
        error = meta.get("read_error")
        k = i if position is None else position.get(i)
        row.update(
            y_true=None if y_true is None else str(y_true[i]),
            y_pred=None if error else str(y_pred[k]),
            proba=None if proba is None or error else dict(zip(classes, proba[k].tolist())),
            branches=({b: dict(zip(classes, p[k].tolist())) for b, p in branch_proba.items()}
                      if branch_proba and not error else None),
            status="error" if error else "ok", error=str(error) if error else None,
            format=meta.get("format"),
        )
        rows.append(row)
    spectra = list(raw) if raw is not None else None
    return ReportData(classes=classes, rows=rows, spectra=spectra, network_input=array,
                      network_wavelength=grid, network_wavelength_unit=grid_unit,
                      proba=proba, branch_proba=branch_proba, saliency=sal)


def merge_report_data(parts, indices, n):
    """One :class:`ReportData` of ``n`` spectra from parts covering disjoint ``indices``.

    For cross-validation: each fold's model gathers its test spectra; the
    parts are put back in the original order. The classes are the union, in
    the order first seen; the saliency grids must agree (one preprocessing).
    """
    order = np.empty(n, dtype=object)
    classes = []
    for part, idx in zip(parts, indices):
        classes += [c for c in part.classes if c not in classes]
        for j, i in enumerate(idx):
            order[i] = (part, j)
    if any(o is None for o in order):
        raise ValueError("the parts do not cover every spectrum")
    first = parts[0]

    def gather(attr):
        values = [getattr(p, attr) for p in parts]
        if any(v is None for v in values):
            return None
        return [getattr(part, attr)[j] for part, j in order]

    spectra = gather("spectra")
    saliency = gather("saliency")
    network = gather("network_input")
    return ReportData(
        classes=classes, rows=[part.rows[j] for part, j in order], spectra=spectra,
        network_input=None if network is None else np.asarray(network),
        network_wavelength=first.network_wavelength,
        network_wavelength_unit=first.network_wavelength_unit,
        proba=None, branch_proba={b: None for b in first.branch_proba},
        saliency=None if saliency is None else np.asarray(saliency))
