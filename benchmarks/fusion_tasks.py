"""The SpeX spectrum + catalogue-column tasks of ``bench_accuracy.py`` (issue 12).

Each spectrum of the SpeX Prism Library is joined on ``SOURCE_KEY`` with its
source's row of ``spex_prism/metadata/sources.csv``; the model input is one
2-D array ``[flux pixels | catalogue columns]`` (the input of
:class:`~spectra_sklearn.nn.SpectrumFusionClassifier`), and the spectrum-only
and catalogue-only models select their part of it. Tasks:

- ``spex-fusion``: M/L/T letter, accuracy (grid 0.65-2.45 µm, 256 log pixels);
- ``spex-fusion-subtype``: spectral index M0 = 0 ... T9 = 29, rounded MAE and
  within ±1 (grid 0.87-1.39 µm, 128 log pixels; folds stratified by letter);
- ``spex-fusion-gravity``: ``SPEX_GRAVITY_CLASSIFICATION`` FLD-G / INT-G /
  VL-G where given, macro-F1 (grid 0.65-2.45 µm, 256 log pixels).

Models (``--models``): ``tabular`` (histogram gradient boosting on the
catalogue columns, NaN handled natively), ``cnn`` and ``rnn`` (the spectrum
alone: the CNN of the spectrum tasks; for the subtype the log-loss CNN
regressor and, as the BiLSTM, the spectrum head of ``fusion-lstm``, because
the package has no BiLSTM regressor), ``fusion`` (CNN branch) and
``fusion-lstm`` (BiLSTM branch), both with attention fusion; the fused models
also report their per-branch heads.

The catalogue columns are measurements, never quantities derived from a
spectral type: see ``CATALOGUE_FEATURES`` and ``LEAKING_COLUMNS``.
"""

import csv
from pathlib import Path

import numpy as np

# Columns read from sources.csv (by name: nothing else of the table is read).
SOURCE_COLUMNS = ("J_2MASS", "H_2MASS", "KS_2MASS", "PARALLAX", "MU")
# Column read from the per-spectrum table (spectral_data.txt, the fetcher's frame).
SPECTRUM_COLUMNS = ("MEDIAN_SNR",)
# The model's catalogue columns, in order. M_* are absolute magnitudes
# (m + 5 log10(parallax / mas) - 10) and VTAN_PARALLAX = 4.74 MU / PARALLAX
# (km/s; MU in mas/yr), both NaN without a parallax. The catalogue's own VTAN
# is NOT used: for 188 of its 413 values there is no parallax and it is
# computed from DISTANCE, which is then DISTANCE_PHOT -- a distance from the
# spectral type's absolute magnitude, i.e. the label.
CATALOGUE_FEATURES = (
    "J_2MASS", "H_2MASS", "KS_2MASS", "J-KS", "M_J", "M_H", "M_KS",
    "PARALLAX", "MU", "VTAN_PARALLAX", "MEDIAN_SNR",
)
# Columns derived from a spectral type or a gravity class (the labels), or
# from a photometric distance: never a model input.
LEAKING_COLUMNS = (
    "OPT_TYPE", "NIR_TYPE", "LIT_TYPE", "SIMBAD_SPT", "SPEX_TYPE", "DISTANCE_PHOT",
    "DISTANCE_PHOT_E", "DISTANCE", "DISTANCE_E", "VTAN", "VTAN_E",
    "SPEX_GRAVITY_CLASSIFICATION", "GRAVITY_CLASS_OPTICAL", "GRAVITY_CLASS_NIR",
    "LUMINOSITY_CLASS", "METALLICITY_CLASS", "COLOR_EXTREMITY", "JK_EXCESS",
)

FUSION_TASKS = ("spex-fusion", "spex-fusion-subtype", "spex-fusion-gravity")
FUSION_MODELS = ("tabular", "cnn", "rnn", "fusion", "fusion-lstm")
GRIDS = {"spex-fusion": (0.65, 2.45, 256), "spex-fusion-subtype": (0.87, 1.39, 128),
         "spex-fusion-gravity": (0.65, 2.45, 256)}
GRAVITY_CLASSES = ("FLD-G", "INT-G", "VL-G")


def _float(text):
    try:
        return float(text)
    except ValueError:
        return np.nan


def read_sources(path):
    """``{SOURCE_KEY: {column: float}}`` for ``SOURCE_COLUMNS`` of sources.csv."""
    with open(path, newline="", encoding="utf-8") as stream:
        return {int(row["SOURCE_KEY"]): {c: _float(row[c]) for c in SOURCE_COLUMNS}
                for row in csv.DictReader(stream)}


def catalogue_table(source_keys, median_snr, sources):
    """The ``CATALOGUE_FEATURES`` of each spectrum, ``(n, 11)``, NaN = unknown."""
    raw = np.array([[sources.get(int(k), {}).get(c, np.nan) for c in SOURCE_COLUMNS]
                    for k in source_keys], dtype=float).reshape(-1, len(SOURCE_COLUMNS))
    j, h, ks, parallax, mu = raw.T
    parallax = np.where(parallax > 0, parallax, np.nan)
    distance_modulus = 5 * np.log10(parallax) - 10  # parallax in mas
    columns = {
        "J_2MASS": j, "H_2MASS": h, "KS_2MASS": ks, "J-KS": j - ks,
        "M_J": j + distance_modulus, "M_H": h + distance_modulus,
        "M_KS": ks + distance_modulus, "PARALLAX": parallax, "MU": mu,
        "VTAN_PARALLAX": 4.74 * mu / parallax,
        "MEDIAN_SNR": np.asarray(median_snr, dtype=float),
    }
    return np.column_stack([columns[c] for c in CATALOGUE_FEATURES])


def load_fusion_task(task, home, preprocess):
    """Return ``(X, y, groups, stratify, kind, n_pixels)``; X = [flux | catalogue]."""
    from spectra_sklearn import datasets

    bunch = datasets.fetch_spex_prism(data_home=home, download_if_missing=False)
    frame = bunch.frame
    if task == "spex-fusion-gravity":
        gravity = np.asarray(frame["SPEX_GRAVITY_CLASSIFICATION"]).astype(str)
        keep = np.flatnonzero(np.isin(gravity, GRAVITY_CLASSES))
    else:
        keep = np.arange(len(bunch.target_class))
    low, high, n_pixels = GRIDS[task]
    batch = preprocess(bunch.data[keep], wavelength_min=low, wavelength_max=high,
                       n_pixels=n_pixels, spacing="log", window=(1.2, 1.3))
    sources = read_sources(Path(home) / "spex_prism" / "metadata" / "sources.csv")
    table = catalogue_table(np.asarray(frame["SOURCE_KEY"])[keep],
                            np.asarray(frame["MEDIAN_SNR"])[keep], sources)
    X = np.column_stack([np.asarray(batch.flux, dtype=float), table])
    letters = np.asarray(bunch.target_class)[keep]
    groups = np.asarray(bunch.groups)[keep]
    if task == "spex-fusion-subtype":
        y = np.asarray(frame["spectral_index"], dtype=float)[keep]
        return X, y, groups, letters, "regression", n_pixels
    if task == "spex-fusion-gravity":
        y = gravity[keep]
        return X, y, groups, y, "classification", n_pixels
    return X, letters, groups, letters, "classification", n_pixels


def make_fusion_model(kind, name, n_pixels, *, max_epochs, random_state, cnn_params=None):
    """The model ``name`` on X = [flux | catalogue], selecting its columns.

    ``cnn_params`` (e.g. ``{'n_filters': 8}``) go to the CNN trunk of both the
    spectrum-only CNN and the fused CNN model, so they stay comparable.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline

    from spectra_sklearn.nn import (
        SpectrumCNNClassifier,
        SpectrumCNNRegressor,
        SpectrumFusionClassifier,
        SpectrumFusionRegressor,
        SpectrumRNNClassifier,
    )

    def columns(part):
        chosen = slice(0, n_pixels) if part == "flux" else slice(n_pixels, None)
        return ColumnTransformer([(part, "passthrough", chosen)])

    regression = kind == "regression"
    if name == "tabular":
        model = (HistGradientBoostingRegressor(random_state=random_state) if regression
                 else HistGradientBoostingClassifier(class_weight="balanced",
                                                     random_state=random_state))
        return make_pipeline(columns("catalogue"), model)
    common = dict(max_epochs=max_epochs, shift_augmentation=1.0, random_state=random_state,
                  **(cnn_params if name in ("cnn", "fusion") else {}))
    if name == "cnn":
        model = (SpectrumCNNRegressor(loss="log_loss", **common) if regression
                 else SpectrumCNNClassifier(class_weight="balanced", **common))
        return make_pipeline(columns("flux"), model)
    if name == "rnn":
        return make_pipeline(columns("flux"), SpectrumRNNClassifier(
            max_epochs=max_epochs, class_weight="balanced", random_state=random_state))
    branch = "lstm" if name == "fusion-lstm" else "cnn"
    n_tabular = len(CATALOGUE_FEATURES)
    if regression:
        return SpectrumFusionRegressor(loss="log_loss", n_tabular_features=n_tabular,
                                       spectrum_branch=branch, **common)
    return SpectrumFusionClassifier(n_tabular_features=n_tabular, spectrum_branch=branch,
                                    class_weight="balanced", **common)


def cross_validate_branches(model, X, y, groups, stratify, *, kind, n_splits=5, seed=0):
    """Out-of-fold predictions ``{branch: y_pred}`` and the test folds.

    A fused model (``branch_names_``) gives one prediction per branch
    (``'fused'``, ``'spectrum'``, ``'tabular'``); other models one, ``'model'``.
    """
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedGroupKFold

    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    predictions, folds = {}, []
    for train, test in cv.split(np.zeros(len(y)), stratify, groups):
        fitted = clone(model).fit(X[train], y[train])
        branches = getattr(fitted, "branch_names_", None) or ("model",)
        for branch in branches:
            kwargs = {} if branch == "model" else {"branch": branch}
            out = predictions.setdefault(
                branch, np.empty(len(y), dtype=float if kind == "regression" else object))
            out[test] = fitted.predict(X[test], **kwargs)
        folds.append(test)
    return predictions, folds


def fusion_scores(task, y, y_pred, folds):
    """``[(metric, per-fold values)]`` of a fusion task."""
    from sklearn.metrics import accuracy_score, f1_score

    if task == "spex-fusion-subtype":
        err = np.abs(np.round(y_pred.astype(float)) - y)
        return [("MAE, rounded", [err[f].mean() for f in folds]),
                ("within ±1, rounded", [np.mean(err[f] <= 1) for f in folds])]
    if task == "spex-fusion-gravity":
        return [("macro-F1", [f1_score(y[f], y_pred[f].astype(str), average="macro")
                              for f in folds])]
    return [("accuracy", [accuracy_score(y[f], y_pred[f].astype(str)) for f in folds])]


def breakdown(task, y, y_pred, letters):
    """Per-class (gravity), per-letter and per-subtype-range (subtype) numbers."""
    from sklearn.metrics import f1_score

    if task == "spex-fusion-gravity":
        f1 = f1_score(y, y_pred.astype(str), labels=list(GRAVITY_CLASSES), average=None)
        return {c: f"F1 {v:.3f} (n={np.sum(y == c)})" for c, v in zip(GRAVITY_CLASSES, f1)}
    if task == "spex-fusion-subtype":
        err = np.abs(np.round(y_pred.astype(float)) - y)
        out = {}
        for low in range(0, 30, 5):
            sel = (y >= low) & (y < low + 5)
            if sel.any():
                name = "MLT"[low // 10] + f"{low % 10}-{low % 10 + 4}"
                out[name] = f"MAE {err[sel].mean():.3f} (n={sel.sum()})"
        return out
    wrong = y_pred.astype(str) != y
    return {c: f"error {np.mean(wrong[y == c]):.3f} (n={np.sum(y == c)})"
            for c in np.unique(y)}


FUSION_TARGETS = {
    ("spex-fusion", "accuracy"): ">= 0.975",
    ("spex-fusion-subtype", "MAE, rounded"): "< best spectrum-only - 1 std",
    ("spex-fusion-subtype", "within ±1, rounded"): "> best spectrum-only + 1 std",
    ("spex-fusion-gravity", "macro-F1"): "> best spectrum-only + 1 std",
}


def run_fusion_task(task, home, preprocess, *, models, seeds, max_epochs, n_splits,
                    cv_seed, save_predictions=None, cnn_params=None):
    """Cross-validate every model with every seed; return table rows.

    Seed by seed (all models with seed 0, then with seed 1...), printing the
    running mean ± std after each, so an interrupted run still reports.
    """
    import time

    X, y, groups, stratify, kind, n_pixels = load_fusion_task(task, home, preprocess)
    known = np.isfinite(X[:, n_pixels:]).mean(axis=0)
    print(f"{task}: {len(y)} spectra; catalogue columns present: " + ", ".join(
        f"{c} {p:.0%}" for c, p in zip(CATALOGUE_FEATURES, known)), flush=True)
    if kind == "regression" and "rnn" in models:
        print(f"{task} rnn: skipped (no BiLSTM regressor; see the spectrum head "
              "of fusion-lstm)", flush=True)
        models = [m for m in models if m != "rnn"]
    per_seed = {}  # (model label, metric) -> [mean over folds, one per seed]
    seconds = {}
    for seed in seeds:
        for name in models:
            start = time.perf_counter()
            model = make_fusion_model(kind, name, n_pixels, max_epochs=max_epochs,
                                      random_state=seed, cnn_params=cnn_params)
            predictions, folds = cross_validate_branches(
                model, X, y, groups, stratify, kind=kind, n_splits=n_splits, seed=cv_seed)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            for branch, y_pred in predictions.items():
                label = name if branch in ("model", "fused") else f"{name} ({branch} head)"
                if save_predictions:
                    np.savez(f"{save_predictions}{task}-{name}-{branch}-seed{seed}.npz",
                             y=y, y_pred=y_pred, groups=groups, stratify=stratify)
                for metric, values in fusion_scores(task, y, y_pred, folds):
                    scores = per_seed.setdefault((label, metric), [])
                    scores.append(np.mean(values))
                    print(f"{task} {label} seed {seed}: {metric} {np.mean(values):.3f} "
                          f"(running {np.mean(scores):.3f} ± {np.std(scores):.3f} over "
                          f"{len(scores)} seeds)", flush=True)
                print(f"{task} {label} seed {seed}: " + "; ".join(
                    f"{k} {v}" for k, v in breakdown(task, y, y_pred, stratify).items()),
                    flush=True)
    rows = []
    for (label, metric), values in per_seed.items():
        name = label.split(" ")[0]
        rows.append([task, label, metric, float(np.mean(values)), float(np.std(values)),
                     len(values), FUSION_TARGETS.get((task, metric), "-"), seconds[name]])
    return rows
