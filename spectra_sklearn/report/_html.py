"""``write_report``: one self-contained HTML page of predictions against truth."""

import base64
import html
import json
from importlib import resources
from pathlib import Path

import numpy as np

from ..utils import atomic_write
from ._collect import collect_predictions
from ._encode import encode_array, encode_spectrum, encode_spectrum_object, unit_label

__all__ = ["page_html", "summarize", "write_report", "write_report_data"]

_ID_KEYS = ("name", "sdss_id", "source_key", "data_key", "designation", "number",
            "object_name", "miles_id", "object_id", "path")


def summarize(y_true, y_pred, classes, p_max=None, *, n_bins=10, n_misclassified=500):
    """Accuracy, per-class scores, confusion matrix and reliability of labelled rows.

    Parameters
    ----------
    y_true, y_pred : sequence of str or None
        None where unknown (true label) or failed (prediction); such rows are left out.
    classes : list of str
        The model's classes (confusion-matrix order); true labels the model does
        not know are appended.
    p_max : sequence of float or None, default=None
        The highest class probability of each prediction: gives the
        reliability diagram (:func:`sklearn.calibration.calibration_curve` of
        "prediction correct" against it) and orders the misclassified objects.

    Returns
    -------
    dict
        As :meth:`Catalog.summary`, with ``misclassified`` a list of row indices.
    """
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    keep = [i for i, (t, p) in enumerate(zip(y_true, y_pred)) if t is not None and p is not None]
    labels = list(classes) + sorted({y_true[i] for i in keep} - set(classes))
    out = {"n": len(keep), "classes": labels, "accuracy": None, "per_class": [],
           "confusion": [[0] * len(labels) for _ in labels], "reliability": [],
           "misclassified": []}
    if not keep:
        return out
    t = np.asarray([y_true[i] for i in keep], dtype=object)
    p = np.asarray([y_pred[i] for i in keep], dtype=object)
    out["accuracy"] = float(accuracy_score(t, p))
    precision, recall, f1, support = precision_recall_fscore_support(
        t, p, labels=labels, zero_division=0)
    out["per_class"] = [{"class": c, "precision": float(a), "recall": float(b), "f1": float(d),
                         "support": int(s)}
                        for c, a, b, d, s in zip(labels, precision, recall, f1, support)]
    out["confusion"] = confusion_matrix(t, p, labels=labels).tolist()
    wrong = [i for i in keep if y_true[i] != y_pred[i]]
    if p_max is not None:
        conf = np.asarray([p_max[i] for i in keep], dtype=float)
        correct = (t == p).astype(int)
        frac, mean = calibration_curve(correct, conf, n_bins=n_bins, strategy="uniform",
                                       pos_label=1)
        # the bins calibration_curve uses, to give each point its count
        edges = np.linspace(0.0, 1.0 + 1e-8, n_bins + 1)
        counts = np.bincount(np.searchsorted(edges[1:-1], conf), minlength=n_bins)
        counts = counts[counts > 0]
        out["reliability"] = [{"confidence": float(m), "accuracy": float(f), "count": int(k)}
                              for m, f, k in zip(mean, frac, counts)]
        wrong.sort(key=lambda i: -p_max[i])
    out["misclassified"] = wrong[:n_misclassified]
    return out


def _encode_saliency(data, max_points):
    """Per-spectrum saliency (0..1 of its maximum) and the network's grid per display unit."""
    if data.saliency is None:
        return None, None
    sal = data.saliency
    n_pixels = sal.shape[1]
    size = max(1, -(-n_pixels // max_points))
    n_bins = -(-n_pixels // size)
    padded = np.zeros((len(sal), n_bins * size))
    padded[:, :n_pixels] = sal
    sal = padded.reshape(len(sal), n_bins, size).max(axis=2)
    peak = sal.max(axis=1, keepdims=True)
    sal = np.divide(sal, peak, out=np.zeros_like(sal), where=peak > 0)
    grid = data.network_wavelength
    if grid is None:
        grid = np.arange(n_pixels, dtype=float)
    grid = np.pad(grid, (0, n_bins * size - n_pixels), mode="edge")
    grid = grid.reshape(n_bins, size).mean(axis=1)
    grids = {unit_label(data.network_wavelength_unit): encode_array(grid)}
    if data.spectra is not None and data.network_wavelength_unit is not None:
        import astropy.units as u

        for spectrum in data.spectra:
            label = unit_label(spectrum.wavelength_unit)
            if label in grids or spectrum.wavelength_unit is None:
                continue
            try:
                converted = (grid * data.network_wavelength_unit).to(
                    spectrum.wavelength_unit, equivalencies=u.spectral()).value
            except u.UnitConversionError:
                continue
            grids[label] = encode_array(converted)
    # 8 bits are plenty for a 0..1 overlay: half the size of the 16-bit spectra
    codes = np.round(sal * 255).astype(np.uint8)
    return [base64.b64encode(c.tobytes()).decode("ascii") for c in codes], grids


def _payload(data, *, title, max_points):
    rows = data.rows
    classes = data.classes
    ids = [{k: str(r[k]) for k in _ID_KEYS if r.get(k) not in (None, "")} for r in rows]
    # the folders of the paths once, each object's as an index (paths are long)
    folders, folder_of = [], {}
    for entry in ids:
        if "path" in entry:
            folder, _, base = entry.pop("path").rpartition("/")
            if base != entry.get("name"):
                entry["file"] = base
            entry["dir"] = folder_of.setdefault(folder, len(folders))
            if entry["dir"] == len(folders):
                folders.append(folder)
    for entry, r in zip(ids, rows):
        if r.get("plate") is not None:
            entry.update(plate=str(r["plate"]), mjd=str(r["mjd"]), fiberid=str(r["fiberid"]))

    def probabilities(p):
        return None if p is None else [round(float(p.get(c, 0.0)), 4) for c in classes]

    p_max = [max(r["proba"].values()) if r.get("proba") else None for r in rows]
    if data.spectra is not None:
        encoded = {}  # a spectrum shown for several objects is encoded once
        spectra = []
        for s, r in zip(data.spectra, rows):
            if r["status"] != "ok":
                spectra.append(None)
                continue
            if id(s) not in encoded:
                encoded[id(s)] = encode_spectrum_object(s, max_points)
            spectra.append(encoded[id(s)])
    elif data.network_input is not None:
        grid = (data.network_wavelength if data.network_wavelength is not None
                else np.arange(data.network_input.shape[1], dtype=float))
        spectra = [encode_spectrum(grid, x, wavelength_unit=data.network_wavelength_unit,
                                   max_points=max_points) for x in data.network_input]
    else:
        spectra = [None] * len(rows)
    saliency, grids = _encode_saliency(data, max_points)
    branches = sorted({b for r in rows for b in (r.get("branches") or {})},
                      key=list(data.branch_proba).index if data.branch_proba else str)
    return {
        "title": title, "classes": classes, "folders": folders,
        "summary": summarize([r["y_true"] for r in rows], [r["y_pred"] for r in rows], classes,
                             p_max if any(v is not None for v in p_max) else None),
        "objects": {
            "ids": ids,
            "y_true": [r["y_true"] for r in rows], "y_pred": [r["y_pred"] for r in rows],
            "proba": [probabilities(r.get("proba")) for r in rows],
            "branches": {b: [probabilities((r.get("branches") or {}).get(b)) for r in rows]
                         for b in branches},
            "status": [r["status"] for r in rows], "error": [r.get("error") for r in rows],
            "format": [r.get("format") for r in rows],
        },
        "spectra": spectra, "saliency": saliency, "saliency_grid": grids,
    }


def _asset(name):
    return resources.files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


def page_html(*, title, data_json=None, mode="report"):
    """The page: styles, plotly.js, the viewer script and (for a report) the data.

    Parameters
    ----------
    title : str
    data_json : str, default=None
        The embedded data (``mode='report'``).
    mode : {'report', 'server'}, default='report'
        A server page fetches each object from the ``/api`` routes instead.
    """
    from plotly.offline import get_plotlyjs

    body = _asset("page.html")
    data_script = ""
    if data_json is not None:
        # "</" cannot close the script element: JSON strings may contain it
        data_script = ('<script type="application/json" id="report-data">'
                       + data_json.replace("</", "<\\/") + "</script>")
    return (body.replace("{{title}}", html.escape(title))
            .replace("{{style}}", _asset("page.css"))
            .replace("{{mode}}", mode)
            .replace("{{plotly}}", _script_safe(get_plotlyjs()))
            .replace("{{data}}", data_script)
            .replace("{{script}}", _script_safe(_asset("page.js"))))


def _script_safe(script):
    """Script text that cannot end its ``<script>`` element early."""
    return script.replace("</script", "<\\/script")


def write_report(model, X, y_true=None, *, path, ids=None, force=False, title=None,
                 max_points=None, saliency=True):
    """Write a self-contained HTML report of ``model``'s predictions on ``X``.

    One file that works offline (plotly.js from the installed ``plotly``
    package is inlined; nothing is fetched at view time): a search box that
    finds an object by any of its ids (file name, ``PLATE-MJD-FIBERID`` typed
    as one string or in three fields, SpeX ``SOURCE_KEY``/``DATA_KEY`` or
    designation, asteroid number or name, MILES id; partial ids list
    candidates); for each object its spectrum with the uncertainty band
    (``1/sqrt(ivar)``) and masked pixels in its units, the predicted class
    with every class's probability, the true label, each branch's
    prediction for models that have branches (``branch_names_`` and
    ``predict_proba(X, branch=...)``) and, for a :mod:`spectra_sklearn.nn`
    network, the gradient saliency of the predicted class
    (:func:`spectra_sklearn.plotting.saliency_map`) over it; and a summary:
    accuracy, per-class precision/recall/F1, the confusion matrix (a click on
    a cell lists its objects), the reliability diagram of the highest
    probability, and the misclassified objects, most confident first.

    The data are embedded once as JSON (spectra binned to ``max_points`` and
    quantised to 16 bits) and each object is drawn only when shown: a
    report of 10,000 spectra (about 21 MB) had its search box and tables
    ready 0.6 s after navigation in headless Chromium on a 2-core machine
    at load 12; evaluating the inlined plotly.js (4.8 MB), after which the
    plots are drawn, took 3 s more there (tests/report/test_browser.py
    prints both).

    Parameters
    ----------
    model : fitted classifier or Pipeline
        E.g. the pipeline ``spectra-sklearn fit`` saves.
    X : sequence of paths, SpectrumBatch or ndarray of shape (n_spectra, n_pixels)
        What the model takes.
    y_true : array-like of shape (n_spectra,), default=None
        True labels; without them the summary has no scores.
    path : str or os.PathLike
        The HTML file to write.
    ids : sequence of mapping or DataFrame, default=None
        Extra ids per spectrum (see :func:`~spectra_sklearn.report.ids_from_meta`).
    force : bool, default=False
        Overwrite an existing ``path``.
    title : str, default=None
    max_points : int, default=None
        Pixels per spectrum on the page (binned); by default 300, fewer for
        more than 5,000 spectra (1.5 million in all, at least 100 each).
    saliency : bool, default=True
        Compute the saliency overlay for networks.

    Returns
    -------
    ReportData
        What the report shows (its ``rows`` can go to
        :func:`~spectra_sklearn.report.write_catalog`).

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``force`` is False (checked before predicting).
    """
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; refusing to overwrite it (pass force=True / "
                              "--force to replace it)")
    data = collect_predictions(model, X, y_true, ids=ids, saliency=saliency)
    title = title or f"{type(model).__name__}: {len(data.rows)} spectra"
    return write_report_data(data, path=path, title=title, force=force, max_points=max_points)


def write_report_data(data, *, path, title, force=False, max_points=None):
    """Write the report of already gathered predictions (:class:`ReportData`).

    For predictions gathered elsewhere, e.g. the out-of-fold predictions of a
    cross-validation (``spectra-sklearn demo``) merged with
    :func:`~spectra_sklearn.report._collect.merge_report_data`. Parameters as
    :func:`write_report`; returns ``data``.
    """
    if max_points is None:  # keep the page small: about 1.5 million pixels in all
        max_points = int(np.clip(1_500_000 // max(len(data.rows), 1), 100, 300))
    payload = _payload(data, title=title, max_points=max_points)
    text = page_html(title=title, data_json=json.dumps(payload, separators=(",", ":"),
                                                       allow_nan=False, default=_default))
    with atomic_write(path, "w", overwrite=force, encoding="utf-8") as f:
        f.write(text)
    return data


def _default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot put {type(value).__name__} in the report")
