"""
M, L and T dwarfs from SpeX prism spectra: letter class and numeric subtype
===========================================================================

The SpeX Prism Library (Burgasser 2014, ASI Conf. Ser. 11, 7) holds about
2,500 low-resolution (R ~ 75-200) near-infrared spectra, 0.65-2.5 µm, of
late-M, L and T dwarfs with their near-infrared spectral types (``SPEX_TYPE``,
M0-T9). The water and, in T dwarfs, methane bands deepen and the flux peak
moves along the sequence, so the type can be read from the broad-band shape.

This example works on all spectra of good quality with a type
(:func:`~spectra_sklearn.datasets.fetch_spex_prism`, 2,010 spectra of 1,792
objects) and predicts

1. the **letter class** (M, L, T) with the seed study's k-nearest neighbours
   and random forest, a tuned RBF :class:`~sklearn.svm.SVC` and the 1-D CNN
   :class:`~spectra_sklearn.nn.SpectrumCNNClassifier`;
2. the **numeric subtype** (M0 = 0 ... L0 = 10 ... T9 = 29) by regression:
   the seed's 1-nearest neighbour, a tuned :class:`~sklearn.svm.SVR`,
   :class:`~spectra_sklearn.nn.SpectrumCNNRegressor`, and, on the
   0.87-1.39 µm band alone -- the band near-infrared types are assigned from
   by comparison with spectral standards (Kirkpatrick et al. 2010, ApJS 190,
   100) -- 5 nearest neighbours and the CNN regressor with
   ``loss='log_loss'`` (a classifier over the whole subtypes that predicts
   the expected subtype); scored by the mean absolute error in subtypes
   and the share predicted within ±1 subtype, as predicted and rounded to
   whole subtypes (the precision of the catalogue types).

Each spectrum is resampled onto 256 pixels uniform in log-wavelength over
0.65-2.45 µm and divided by its median flux at 1.2-1.3 µm (the J-band peak),
as :func:`spectra_sklearn.pipelines.make_spex_pipeline` does; these steps
learn nothing, so they run once before the cross-validation. Some objects have
several spectra: the 5 folds are split by object (``SOURCE_KEY``) with
:class:`~sklearn.model_selection.StratifiedGroupKFold` (stratified by
half-class: M0-M4, M5-M9, L0-L4...), and the same folds serve every model.

Data come from the data home (``--data-home``, else ``$SPECTRA_SKLEARN_DATA``,
else ``~/spectra_sklearn_data``; downloaded when missing). Run it with
``python examples/plot_spex_subtypes.py [--quick] [--output-dir DIR]``; the
full run takes a few minutes on two cores (the CNNs dominate). ``--quick`` (or
``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) subsamples and trains briefly, to check
that everything runs -- its numbers are not results. Existing output files are
kept unless ``--force`` is given.
"""

# %%
# Setup
# -----
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

if not hasattr(sys, "ps1") and "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import Results, check_outputs, example_arguments, print_table, save_figure
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedGroupKFold
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from spectra_sklearn.datasets import fetch_spex_prism
from spectra_sklearn.nn import SpectrumCNNClassifier, SpectrumCNNRegressor
from spectra_sklearn.plotting import plot_confusion_matrix
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler

args = example_arguments("SpeX M/L/T class and subtype example")
results = Results("spex_subtypes", args)
check_outputs(args, ["spex_subtype_regression.png", "spex_letter_confusion_matrix.png",
                     results.filename])

QUICK = args.quick
N_SPLITS = 3 if QUICK else 5
CNN_EPOCHS = 2 if QUICK else 40
started = time.perf_counter()


def save(fig, name):
    save_figure(fig, args, name)


# %%
# The data: letter class, numeric subtype, object
# -----------------------------------------------
spex = fetch_spex_prism(data_home=args.data_home)
letter = spex.target_class
subtype = np.array([{"M": 0, "L": 10, "T": 20}[t[0]] + float(t[1:]) for t in spex.target])
groups = spex.groups  # SOURCE_KEY: the object
X_batch = make_pipeline(
    SpectralResampler(wavelength_min=0.65, wavelength_max=2.45, n_pixels=256, spacing="log",
                      wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(1.2, 1.3), wavelength_unit="um"),
).fit_transform(spex.data)
X = np.asarray(X_batch)
# the classification band of Kirkpatrick et al. (2010) alone, 128 log pixels
X_band = np.asarray(make_pipeline(
    SpectralResampler(wavelength_min=0.87, wavelength_max=1.39, n_pixels=128, spacing="log",
                      wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(1.2, 1.3), wavelength_unit="um"),
).fit_transform(spex.data))
if QUICK:  # 100 spectra of each class
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([rng.choice(np.flatnonzero(letter == c), 100, replace=False)
                                   for c in "MLT"]))
    X, X_band, letter, subtype, groups = (X[keep], X_band[keep], letter[keep], subtype[keep],
                                          groups[keep])
print(f"{len(X)} spectra of {len(np.unique(groups))} objects, {X.shape[1]} pixels: "
      + ", ".join(f"{c} {np.sum(letter == c)}" for c in "MLT"))

# The folds: by object, stratified by half-class (M0-M4, M5-M9, L0-L4...; single
# subtypes are too rare to stratify on: one T9), shared by all models.
strata = (subtype // 5).astype(int)
folds = list(StratifiedGroupKFold(n_splits=N_SPLITS, shuffle=True, random_state=0)
             .split(X, strata, groups))
inner = GroupKFold(n_splits=3)


def out_of_fold(model, target, features=X):
    """Out-of-fold predictions of ``model`` trained on ``features``."""
    pred = np.empty(len(target), dtype=target.dtype)
    for train, test in folds:
        fit_params = {"groups": groups[train]} if isinstance(model, GridSearchCV) else {}
        pred[test] = model.fit(features[train], target[train], **fit_params).predict(
            features[test])
    return pred


def per_fold(metric, target, pred):
    scores = [metric(target[test], pred[test]) for _, test in folds]
    return f"{np.mean(scores):.3f} ± {np.std(scores):.3f}"


# %%
# Letter class
# ------------
classifiers = {
    "5-NN": (KNeighborsClassifier(n_neighbors=5), "0.959"),
    "random forest": (RandomForestClassifier(n_estimators=100 if QUICK else 300, random_state=0),
                      "0.959"),
    "SVM (tuned)": (GridSearchCV(make_pipeline(StandardScaler(), SVC()),
                                 {"svc__C": [1.0, 10.0, 100.0], "svc__gamma": ["scale", 1e-3]}
                                 if not QUICK else {"svc__C": [10.0]}, cv=inner), "-"),
    "CNN": (SpectrumCNNClassifier(max_epochs=CNN_EPOCHS, class_weight="balanced",
                                  shift_augmentation=1.0, random_state=0, n_threads=1), "-"),
}
rows, letter_pred = [], {}
for name, (model, seed) in classifiers.items():
    t0 = time.perf_counter()
    letter_pred[name] = out_of_fold(model, letter)
    rows.append((name, per_fold(accuracy_score, letter, letter_pred[name]), seed,
                 f"{time.perf_counter() - t0:.0f} s"))
    print(f"  letter class, {name}: accuracy {rows[-1][1]}")
    results.add("SpeX M/L/T letter", name, "accuracy", rows[-1][1], baseline=seed,
                setup=f"{N_SPLITS}-fold by object")
print_table(f"SpeX letter class M/L/T, {N_SPLITS}-fold CV by object"
            + (" [QUICK: subsample, not a result]" if QUICK else ""),
            ("model", "accuracy", "seed-style baseline", "time"), rows)

# %%
# Numeric subtype
# ---------------
# Regression keeps the order of the types: predicting L1 for an L2 costs one
# subtype, predicting T2 twelve. The catalogue types are whole subtypes, so
# the predictions are also scored rounded to whole subtypes. Below
# 0.87 µm the prism spectra of late dwarfs are faint and noisy; the models
# on the classification band alone avoid that part. The types are read
# against standards and scatter by about a subtype between spectra of one
# object: the log loss treats each subtype as a class and predicts the
# probability-weighted mean subtype, which learns them better than a
# squared-error fit.
regressors = {
    "1-NN": (KNeighborsRegressor(n_neighbors=1), X, "0.59", "0.89"),
    "SVR (tuned)": (GridSearchCV(make_pipeline(StandardScaler(), SVR()),
                                 {"svr__C": [10.0, 100.0], "svr__epsilon": [0.1, 0.5]}
                                 if not QUICK else {"svr__C": [10.0]},
                                 cv=inner, scoring="neg_mean_absolute_error"), X, "-", "-"),
    "CNN regressor": (SpectrumCNNRegressor(max_epochs=CNN_EPOCHS, shift_augmentation=1.0,
                                           random_state=0, n_threads=1), X, "-", "-"),
    "5-NN, 0.87-1.39 µm": (KNeighborsRegressor(n_neighbors=5, weights="distance"), X_band,
                           "-", "-"),
    "CNN, log loss, 0.87-1.39 µm": (
        SpectrumCNNRegressor(loss="log_loss", max_epochs=CNN_EPOCHS, shift_augmentation=1.0,
                             random_state=0, n_threads=1), X_band, "-", "-"),
}


def mae(t, p):
    return np.mean(np.abs(t - p))


def within_one(t, p):
    return np.mean(np.abs(t - p) <= 1.0)


rows, subtype_pred = [], {}
for name, (model, features, seed_mae, seed_within) in regressors.items():
    t0 = time.perf_counter()
    subtype_pred[name] = out_of_fold(model, subtype, features)
    rounded = np.round(subtype_pred[name])
    rows.append((name, per_fold(mae, subtype, subtype_pred[name]), seed_mae,
                 per_fold(within_one, subtype, subtype_pred[name]), seed_within,
                 per_fold(mae, subtype, rounded), per_fold(within_one, subtype, rounded),
                 f"{time.perf_counter() - t0:.0f} s"))
    print(f"  subtype, {name}: MAE {rows[-1][1]}, within ±1 {rows[-1][3]}")
    results.add("SpeX subtype (M0=0 ... T9=29)", name, "MAE [subtypes]", rows[-1][1],
                baseline=seed_mae, setup=f"{N_SPLITS}-fold by object")
    results.add("SpeX subtype (M0=0 ... T9=29)", name, "within ±1 subtype", rows[-1][3],
                baseline=seed_within, setup=f"{N_SPLITS}-fold by object")
    results.add("SpeX subtype (M0=0 ... T9=29)", name, "MAE, rounded to whole subtypes",
                rows[-1][5], setup=f"{N_SPLITS}-fold by object")
    results.add("SpeX subtype (M0=0 ... T9=29)", name, "within ±1, rounded", rows[-1][6],
                setup=f"{N_SPLITS}-fold by object")
print_table(f"SpeX numeric subtype (M0=0 ... T9=29), {N_SPLITS}-fold CV by object"
            + (" [QUICK: subsample, not a result]" if QUICK else ""),
            ("model", "MAE [subtypes]", "seed MAE", "within ±1", "seed within ±1",
             "MAE, rounded", "within ±1, rounded", "time"), rows)

# %%
# Plots: predicted against true subtype, and the CNN's letter confusions
# ----------------------------------------------------------------------
fig, ax = plt.subplots(figsize=(5.5, 5), layout="constrained")
jitter = np.random.default_rng(1).uniform(-0.2, 0.2, len(subtype))
for name, colour in [("CNN, log loss, 0.87-1.39 µm", "tab:blue"),
                     ("5-NN, 0.87-1.39 µm", "tab:orange")]:
    ax.scatter(subtype + jitter, subtype_pred[name], s=6, alpha=0.5, color=colour, label=name)
ax.plot([0, 29], [0, 29], color="k", linewidth=1)
ax.fill_between([0, 29], [-1, 28], [1, 30], color="0.85", zorder=0, label="±1 subtype")
ticks = [0, 5, 10, 15, 20, 25, 29]
names = [f"{'MLT'[t // 10]}{t % 10}" for t in ticks]
ax.set_xticks(ticks, names)
ax.set_yticks(ticks, names)
ax.set_xlabel("SpeX type (catalogue)")
ax.set_ylabel("predicted type (out of fold)")
ax.legend(loc="upper left")
ax.set_title("SpeX subtype regression")
save(fig, "spex_subtype_regression.png")

fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
plot_confusion_matrix(letter, letter_pred["CNN"], labels=["M", "L", "T"], ax=ax,
                      title="CNN letter class, out of fold")
save(fig, "spex_letter_confusion_matrix.png")
results.write()
print(f"\ntotal time {time.perf_counter() - started:.0f} s")
plt.show()
