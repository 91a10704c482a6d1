"""
Asteroid main groups from SMASSII visible spectra with a tuned SVC
==================================================================

The second phase of the Small Main-Belt Asteroid Spectroscopic Survey
(SMASSII; Bus & Binzel 2002, Icarus 158, 106) observed 1,341 asteroids from
0.435 to 0.925 µm. Bus & Binzel (2002, Icarus 158, 146) sorted them into 25
classes, which group into the C, S and X complexes and the rest ("Other":
A, D, K, L, O, Q, R, T, V...), see
:data:`spectra_sklearn.datasets.BUS_MAIN_GROUPS`.

This example predicts the main group with a
:class:`~sklearn.pipeline.Pipeline` -- resample onto one grid, normalise the
reflectance to 1 at 0.55 µm, standardise, RBF :class:`~sklearn.svm.SVC` --
whose ``C`` and ``gamma`` are chosen by :class:`~sklearn.model_selection.GridSearchCV`.
The score is *nested*: the grid search runs inside each outer training fold,
so the outer test folds never influence the choice of hyper-parameters.

Both the inner and the outer folds are split by asteroid
(:class:`~sklearn.model_selection.StratifiedGroupKFold`, ``groups`` routed with
scikit-learn's metadata routing). SMASSII has one spectrum per asteroid, so
here that changes nothing, but it is what keeps the score honest as soon as
several spectra of an object are combined (other surveys, repeated nights).

The data are read from the data home (``--data-home``, else
``$SPECTRA_SKLEARN_DATA``, else ``~/spectra_sklearn_data``; downloaded from the
survey site when missing). Run it with ``python examples/plot_smass2_svc.py
[--quick]``; it takes well under a minute and writes
``smass2_confusion_matrix.png`` to ``--output-dir`` (default
``./example_output``; an existing file is kept unless ``--force`` is given).
``--quick`` (or ``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) searches a 2-point grid
over 3 outer folds, to check that everything runs.
"""

# %%
# Setup
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

if not hasattr(sys, "ps1") and "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import sklearn
from _common import check_outputs, example_arguments, save_figure
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedGroupKFold,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from spectra_sklearn.datasets import fetch_smass2
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler

args = example_arguments("SMASSII main-group SVC example")
check_outputs(args, ["smass2_confusion_matrix.png"])

# %%
# The data
# --------
smass = fetch_smass2(data_home=args.data_home)
X = smass.data  # a ragged SpectrumBatch: every spectrum has its own grid
y = smass.target_main_group
groups = smass.groups  # the asteroid
classes, counts = np.unique(y, return_counts=True)
print(f"{len(X)} spectra of {len(np.unique(groups))} asteroids: "
      + ", ".join(f"{c} {n}" for c, n in zip(classes, counts)))

# %%
# The pipeline and the grid
# -------------------------
# 97 pixels of 0.005 µm over 0.44-0.92 µm (pixels a spectrum does not cover
# are filled from its nearest valid pixels), reflectance divided by its median
# at 0.54-0.56 µm (the survey's own normalisation), then each pixel
# standardised for the RBF kernel. The resampler's grid is fixed by its
# parameters and the normaliser works spectrum by spectrum, so nothing is
# learnt from the test folds.
pipeline = make_pipeline(
    SpectralResampler(wavelength_min=0.44, wavelength_max=0.92, n_pixels=97,
                      wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um"),
    StandardScaler(),
    SVC(class_weight="balanced"),
)
param_grid = {"svc__C": [1.0, 10.0, 100.0], "svc__gamma": ["scale", 0.003, 0.03]}
if args.quick:
    param_grid = {"svc__C": [1.0, 10.0]}

# %%
# Nested, group-aware cross-validation
# ------------------------------------
# With metadata routing on, ``groups`` passed in ``params`` reaches both the
# outer splitter and, through GridSearchCV.fit, the inner one.
inner = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
outer = StratifiedGroupKFold(n_splits=3 if args.quick else 5, shuffle=True, random_state=1)
with sklearn.config_context(enable_metadata_routing=True):
    search = GridSearchCV(pipeline, param_grid, cv=inner, n_jobs=1)
    result = cross_validate(
        search, X, y, cv=outer, params={"groups": groups},
        scoring=["accuracy", "balanced_accuracy"], return_estimator=True,
        return_indices=True,
    )

for k, fitted in enumerate(result["estimator"], start=1):
    best = fitted.best_params_
    print(f"outer fold {k}: C={best['svc__C']:g} gamma={best.get('svc__gamma', 'scale')} "
          f"(inner accuracy {fitted.best_score_:.3f}) -> "
          f"test accuracy {result['test_accuracy'][k - 1]:.3f}")
acc = result["test_accuracy"]
bacc = result["test_balanced_accuracy"]
print(f"nested accuracy: {acc.mean():.3f} ± {acc.std():.3f}   "
      f"balanced accuracy: {bacc.mean():.3f} ± {bacc.std():.3f}")

# %%
# Out-of-fold confusion matrix
# ----------------------------
# Each outer model predicts its own test fold.
y_pred = np.empty_like(y)
for fitted, test in zip(result["estimator"], result["indices"]["test"]):
    y_pred[test] = fitted.predict(X[test])

# The confusions are between neighbours of the taxonomy: C with X (both nearly
# featureless; the complexes are separated by the slope of the spectrum) and S
# with "Other", whose K, L, Ld, A and R classes are S-like spectra with weaker
# or stronger 1 µm bands.
labels = ["C", "S", "X", "Other"]
fig, ax = plt.subplots(figsize=(4.8, 4.2), layout="constrained")
ConfusionMatrixDisplay.from_predictions(y, y_pred, labels=labels, ax=ax, colorbar=False)
ax.set_title("SMASSII main groups, nested CV (SVC)")
save_figure(fig, args, "smass2_confusion_matrix.png")
plt.show()
