"""
Galaxy morphology from SDSS images: a CNN with rotations and label-aware mirrors
================================================================================

Galaxy Zoo 1 (Lintott et al. 2008, MNRAS 389, 1179) asked volunteers to sort
SDSS galaxy images into ellipticals, clockwise (CW) and anticlockwise (ACW)
spirals, edge-on discs, mergers and "don't know". The data home's
``galaxy_zoo1/`` holds 5,331 of those gri colour cutouts (423 × 423 pixels)
with their class. This example is the image side of the package, end to end,
in one scikit-learn :class:`~sklearn.pipeline.Pipeline` on the file paths:

1. :func:`~spectra_sklearn.datasets.fetch_galaxy_zoo1` -> the JPEG paths and
   the six classes; the class balance is plotted (70 % ellipticals);
2. :class:`~spectra_sklearn.images.ImageReader` reads them,
   :class:`~spectra_sklearn.images.CenterCrop` keeps the central 144 pixels
   (the galaxy; the rest is mostly sky and neighbours) and
   :class:`~spectra_sklearn.images.ImageResizer` area-averages them to 48 × 48;
3. :class:`~spectra_sklearn.nn.ImageCNNClassifier` (compact 4-block CNN)
   trains on random 90° rotations and mirrors of the images -- the sky has no
   preferred orientation -- with ``flip_swap_classes`` swapping the CW and ACW
   labels of mirrored images (a mirror reverses a spiral's sense of winding),
   class weights against the imbalance, and test-time averaging over the 8
   orientations (``tta=True``);
4. scored on a stratified 20 % held out: accuracy and macro-F1 for the six
   classes and merged to three (elliptical / spiral / other), with a
   confusion matrix and a grid of test images with predicted vs true class.

The cross-validated numbers (5 folds, 2 seeds) are in ``benchmarks/README.md``
(``python benchmarks/bench_accuracy.py --tasks galaxy-zoo1``).

Run it with ``python examples/plot_galaxy_morphology.py [--quick]
[--output-dir DIR] [--data-home D]``: about 10 CPU-minutes on one core for
the full set. ``--quick`` (or ``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) uses 300
images at 32 × 32 and 3 epochs: a smoke test, not a result. Existing output
files are kept unless ``--force`` is given.
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
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    Results,
    check_outputs,
    example_arguments,
    print_table,
    save_figure,
)
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from spectra_sklearn.datasets import (  # noqa: E402
    GALAXY_ZOO1_MIRROR_PAIRS,
    GALAXY_ZOO1_TO_3CLASS,
    fetch_galaxy_zoo1,
)
from spectra_sklearn.images import CenterCrop, ImageReader, ImageResizer  # noqa: E402
from spectra_sklearn.nn import ImageCNNClassifier  # noqa: E402
from spectra_sklearn.plotting import ClassBalanceDisplay, ImageGridDisplay  # noqa: E402

args = example_arguments("Galaxy Zoo 1 morphology from SDSS images example")
FIGURES = ["galaxy_class_balance.png", "galaxy_confusion_matrix.png",
           "galaxy_predictions.png"]
results = Results("galaxy_morphology", args)
check_outputs(args, FIGURES + [results.filename])
start = time.perf_counter()

# %%
# The data: paths and classes
# ---------------------------
gz = fetch_galaxy_zoo1(data_home=args.data_home)
paths, y = np.asarray(gz.data), np.asarray(gz.target)
names = list(gz.target_names)
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
ClassBalanceDisplay.from_labels(y, labels=range(len(names)), display_labels=names, ax=ax)
ax.set_title(f"Galaxy Zoo 1: {len(y)} SDSS images")
save_figure(fig, args, FIGURES[0])

if args.quick:  # a stratified subsample: every class present
    paths, _, y, _ = train_test_split(paths, y, train_size=300, stratify=y, random_state=0)
crop, size, epochs = (128, 32, 3) if args.quick else (144, 48, 15)
train_paths, test_paths, y_train, y_test = train_test_split(
    paths, y, test_size=0.2, stratify=y, random_state=0)

# %%
# The pipeline: read, crop, resize, CNN
# -------------------------------------
# ``flip_swap_classes`` names the codes of the CW and ACW spirals, which a
# mirror exchanges. Class weights: the square root of 'balanced' (weight
# ``sqrt(n / (k n_c))``), half-way between none (the rare classes are never
# predicted) and 'balanced' (the 41 "don't know" images weigh 20 ellipticals).
classes, counts = np.unique(y_train, return_counts=True)
weights = {int(c): float(np.sqrt(len(y_train) / (len(classes) * n)))
           for c, n in zip(classes, counts)}
pipeline = make_pipeline(
    ImageReader(),
    CenterCrop(size=crop),
    ImageResizer(size=size),
    ImageCNNClassifier(max_epochs=epochs, lr=2e-3, class_weight=weights,
                       flip_swap_classes=[list(p) for p in GALAXY_ZOO1_MIRROR_PAIRS],
                       tta=True, random_state=0),
)
pipeline.fit(list(train_paths), y_train)
X_test = pipeline[:-1].transform(list(test_paths))  # the 48 x 48 test images
model = pipeline[-1]
proba = model.predict_proba(X_test)
y_pred = model.classes_[proba.argmax(axis=1)]

# %%
# Scores: six classes, and merged to three
# ----------------------------------------
to3 = np.vectorize(GALAXY_ZOO1_TO_3CLASS.get)
scores = {
    "accuracy (6)": accuracy_score(y_test, y_pred),
    "macro-F1 (6)": f1_score(y_test, y_pred, average="macro", zero_division=0),
    "accuracy (3)": accuracy_score(to3(y_test), to3(y_pred)),
    "macro-F1 (3)": f1_score(to3(y_test), to3(y_pred), average="macro", zero_division=0),
}
majority = np.mean(y_test == np.bincount(y_train).argmax())
setup = f"{crop}px crop -> {size}x{size}, {epochs} epochs, 20% held out"
for metric, value in scores.items():
    results.add("galaxy-zoo1", "ImageCNNClassifier (compact, tta)", metric, f"{value:.3f}",
                baseline=f"{majority:.3f}" if metric.startswith("accuracy (6)") else "-",
                setup=setup)
print_table(f"Galaxy Zoo 1, {len(y_test)} test images ({setup})",
            ["metric", "score"], [[m, f"{v:.3f}"] for m, v in scores.items()]
            + [["majority class", f"{majority:.3f}"]])
per_class = f1_score(y_test, y_pred, average=None, labels=range(len(names)),
                    zero_division=0)
print_table("F1 per class", ["class", "n test", "F1"],
            [[n, int(np.sum(y_test == i)), f"{f:.3f}"]
             for i, (n, f) in enumerate(zip(names, per_class))])

# %%
# Figures: confusion matrix, test images
# --------------------------------------
fig, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
ConfusionMatrixDisplay.from_predictions(
    y_test, y_pred, labels=range(len(names)), display_labels=names, ax=ax,
    colorbar=False, xticks_rotation=45)
ax.set_title(f"accuracy {scores['accuracy (6)']:.3f}, macro-F1 {scores['macro-F1 (6)']:.3f}")
save_figure(fig, args, FIGURES[1])

display = ImageGridDisplay.from_predictions(
    X_test, y_test, y_pred, proba, labels=model.classes_, display_labels=names,
    max_images=16, order="mistakes_first")
save_figure(display.figure_, args, FIGURES[2])
results.write()
print(f"done in {time.perf_counter() - start:.0f} s")
