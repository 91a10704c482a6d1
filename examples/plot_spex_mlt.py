"""
M, L or T? Classifying SpeX prism spectra of ultracool dwarfs with a 1-D CNN
============================================================================

The SpeX Prism Library (Burgasser 2014) holds low-resolution (R ~ 75-200)
near-infrared spectra, 0.65-2.5 µm, of late-M, L and T dwarfs. Their spectral
class shows in the broad-band shape: the water and, in T dwarfs, methane
absorption bands deepen from M to T, and the flux peak moves.

This example classifies the 300-spectrum sample shipped with the package
(:func:`spectra_sklearn.datasets.load_spex_sample`: 100 M, 100 L, 100 T) with a
scikit-learn :class:`~sklearn.pipeline.Pipeline` that starts from the FITS
file paths:

reader -> :class:`~spectra_sklearn.preprocessing.SpectralResampler` ->
:class:`~spectra_sklearn.preprocessing.ContinuumNormalizer` ->
:class:`~spectra_sklearn.nn.SpectrumCNNClassifier`

Some objects were observed more than once, so the folds are split by object
(``SOURCE_KEY``) with :class:`~sklearn.model_selection.StratifiedGroupKFold`:
no star is in both the training and the test set.

Run it with ``python examples/plot_spex_mlt.py [--quick] [--output-dir DIR]``;
the figures go to ``DIR`` (default ``./example_output``; existing files are
kept unless ``--force`` is given). It takes about a minute on one core;
``--quick`` (or ``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) trains for 3 epochs on 3
folds, to check that everything runs -- its numbers are not results.
"""

# %%
# Setup: one torch thread (fastest for a network this small), and a
# non-interactive matplotlib backend when run as a script.
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

if not hasattr(sys, "ps1") and "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import check_outputs, example_arguments, save_figure
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict, cross_val_score
from sklearn.pipeline import make_pipeline

from spectra_sklearn.datasets import load_spex_sample
from spectra_sklearn.io import SpectrumReader
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.preprocessing import ContinuumNormalizer, SpectralResampler

args = example_arguments("SpeX M/L/T classification example", data_home=False)
check_outputs(args, ["spex_class_means.png", "spex_confusion_matrix.png"])


def save(fig, name):
    save_figure(fig, args, name)


# %%
# The data: file paths, letter classes and the object of each spectrum
# ---------------------------------------------------------------------
spex = load_spex_sample()
X = list(spex.filenames)  # the pipeline reads the files itself
y = spex.target_class
groups = spex.groups
classes, counts = np.unique(y, return_counts=True)
print(f"{len(X)} spectra of {len(np.unique(groups))} objects: "
      + ", ".join(f"{c} {n}" for c, n in zip(classes, counts)))

# %%
# The pipeline
# ------------
# Every file has its own wavelength grid (445-800 pixels): resample onto 256
# pixels uniform in log-wavelength (constant resolution), bins outside a
# spectrum's coverage filled from the nearest valid pixels (and masked). The
# flux units differ between files, so divide each spectrum by its median flux
# at 1.2-1.3 µm, the J-band peak at which SpeX prism spectra are
# conventionally normalised; a polynomial continuum would remove the very
# broad-band shape that tells the classes apart.
pipeline = make_pipeline(
    SpectrumReader(format="spex"),
    SpectralResampler(wavelength_min=0.65, wavelength_max=2.45, n_pixels=256,
                      spacing="log", wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(1.2, 1.3), wavelength_unit="um"),
    SpectrumCNNClassifier(max_epochs=3 if args.quick else 40, class_weight="balanced",
                          random_state=0,
                          n_threads=1),
)
print(pipeline)

# %%
# Group-aware cross-validation
# ----------------------------
n_splits = 3 if args.quick else 5
cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=0)
scores = cross_val_score(pipeline, X, y, groups=groups, cv=cv)
print("fold accuracies:", np.round(scores, 3))
print(f"accuracy: {scores.mean():.3f} ± {scores.std():.3f} ({n_splits} folds, split by object)"
      + (" [QUICK]" if args.quick else ""))

# %%
# What the network sees: class-mean normalised spectra
# ----------------------------------------------------
# The preprocessing steps alone (every step but the classifier) give a
# SpectrumBatch on the common grid. The band is the 16th-84th percentile of
# each class.
normalised = pipeline[:-1].fit_transform(X)
wavelength = normalised.wavelength
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for name, colour in [("M", "tab:red"), ("L", "tab:orange"), ("T", "tab:blue")]:
    flux = normalised.flux[y == name]
    ax.plot(wavelength, np.nanmean(flux, axis=0), color=colour,
            label=f"{name} ({len(flux)})")
    lo, hi = np.nanpercentile(flux, [16, 84], axis=0)
    ax.fill_between(wavelength, lo, hi, color=colour, alpha=0.2, linewidth=0)
ax.axvspan(1.2, 1.3, color="0.85", zorder=0, label="normalisation window")
ax.set_xlabel(f"wavelength [{normalised.wavelength_unit}]")
ax.set_ylabel("flux / median flux at 1.2-1.3 µm")
ax.set_ylim(0, 1.6)
ax.set_title("SpeX sample: class mean ± 16-84 % spread")
ax.legend()
save(fig, "spex_class_means.png")

# %%
# Where the mistakes are: out-of-fold confusion matrix
# ----------------------------------------------------
# The same folds and seed, so each spectrum is predicted by the model that did
# not see its object.
y_pred = cross_val_predict(pipeline, X, y, groups=groups, cv=cv)
fig, ax = plt.subplots(figsize=(4.5, 4), layout="constrained")
ConfusionMatrixDisplay.from_predictions(y, y_pred, labels=["M", "L", "T"], ax=ax,
                                        colorbar=False)
ax.set_title("SpeX sample, out-of-fold predictions")
save(fig, "spex_confusion_matrix.png")
plt.show()
