"""
Spitzer IRS point sources: from AOR tables to a CNN and a predictions file
==========================================================================

The Spitzer Infrared Spectrograph (IRS) took low-resolution 5-37 µm spectra of
thousands of point sources; CASSIS (Lebouteiller et al. 2011, ApJS 196, 8)
extracted them uniformly. The project's seed study classified evolved stars,
young stellar objects, planetary nebulae and galaxies from these spectra,
trained on the Magellanic Clouds -- the SMC sample of Ruffle et al. (2015,
MNRAS 451, 3504) and the LMC sample of Jones et al. (2017, MNRAS 470, 3250) --
tested on a Galactic Plane set, and applied to an unlabelled Galactic Bulge
set (both supplied by IRIS, the Institute for Research in Schools). This
example is that workflow, end to end:

1. the AOR tables -> :func:`~spectra_sklearn.datasets.fetch_spitzer_irs_sets`
   (labels mapped to the 10 coarse classes of
   :data:`~spectra_sklearn.datasets.SPITZER_IRS_COARSE_CLASSES`);
2. each spectrum -> :func:`~spectra_sklearn.datasets.fetch_cassis` (read with
   the ``'cassis'`` reader: µm, Jy);
3. resampled onto the CASSIS low-resolution grid (taken from the most complete
   spectrum at hand) by :class:`~spectra_sklearn.preprocessing.SpectralResampler`
   and scaled to [0, 1] per spectrum
   (:class:`~spectra_sklearn.preprocessing.FluxScaler`, the seed's scaling);
4. a 1-D CNN (:class:`~spectra_sklearn.nn.SpectrumCNNClassifier`) trained on
   the Magellanic Clouds and tested on the Galactic Plane
   (:class:`~spectra_sklearn.model_selection.CrossSurveySplit`);
5. refitted on every labelled spectrum and applied to the Bulge (and to any
   other CASSIS file in the data home), written to ``predictions.csv``: one row
   per spectrum with *its own* predicted class and probability.

**Network.** The spectra are downloaded from CASSIS, one request each (1,567
in all), only with ``--download``. Without it the example uses what the data
home holds. The project's offline data home has the label tables and seven
real CASSIS files, none of which is in the labelled sets: then nothing can be
trained, the example says so, shows the local spectra on the CASSIS grid and
writes no predictions (it never invents labels). With the downloaded sets it
runs the whole workflow.

Run it with ``python examples/plot_spitzer_irs.py [--download] [--quick]
[--output-dir DIR]``; with the full sets the CNN takes a few minutes on two
cores. ``--quick`` (or ``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) trains for 2
epochs only. Existing output files are kept unless ``--force`` is given.
"""

# %%
# Setup
# -----
import csv
import os
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

if not hasattr(sys, "ps1") and "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import Results, check_outputs, example_arguments, save_figure
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.pipeline import make_pipeline

from spectra_sklearn import SpectrumBatch
from spectra_sklearn.datasets import fetch_cassis, fetch_spitzer_irs_sets, get_data_home
from spectra_sklearn.model_selection import CrossSurveySplit
from spectra_sklearn.nn import SpectrumCNNClassifier
from spectra_sklearn.plotting import plot_confusion_matrix, plot_spectra
from spectra_sklearn.preprocessing import FluxScaler, SpectralResampler
from spectra_sklearn.utils import atomic_write

args = example_arguments(
    "Spitzer IRS point-source classification example",
    add_arguments=lambda parser: parser.add_argument(
        "--download", action="store_true",
        help="download missing CASSIS spectra (1,567 requests)"))
results = Results("spitzer_irs", args)
check_outputs(args, ["irs_local_spectra.png", "irs_galactic_plane_confusion_matrix.png",
                     "predictions.csv", results.filename])

CNN_EPOCHS = 2 if args.quick else 40
TRAIN_SETS, TEST_SETS = ["SMC", "LMC"], ["galactic_plane"]
home = get_data_home(args.data_home)
started = time.perf_counter()
status = []  # (step, outcome) lines of the final report


def save(fig, name):
    save_figure(fig, args, name)


# %%
# 1. The AOR tables
# -----------------
tables = fetch_spitzer_irs_sets(load_spectra=False, data_home=args.data_home,
                                download_if_missing=args.download)
print("AOR tables:")
for name in ["SMC", "LMC", "galactic_plane", "bulge"]:
    rows = tables.groups == name
    classes, counts = np.unique(tables.target[rows], return_counts=True)
    labels = ", ".join(f"{c} {n}" for c, n in zip(classes, counts) if c) or "unlabelled"
    print(f"  {name:15s} {rows.sum():4d} AORs: {labels}")
status.append(("AOR tables", f"{len(tables.target)} rows read"))

# %%
# 2. The spectra: from the data home, or downloaded from CASSIS
# -------------------------------------------------------------
# ``missing='skip'`` leaves out the spectra that are neither in the data home
# nor downloadable, with one warning, caught here and summarised.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", UserWarning)
    irs = fetch_spitzer_irs_sets(data_home=args.data_home, download_if_missing=args.download,
                                 missing="skip")
for w in caught:
    if not issubclass(w.category, UserWarning):
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
available = {name: int(np.sum(irs.groups == name)) for name in ["SMC", "LMC", "galactic_plane",
                                                                 "bulge"]}
for name, n in available.items():
    status.append((f"spectra of {name}",
                   f"{n} of {int(np.sum(tables.groups == name))} available"))

# Every other CASSIS low-resolution file in the data home is predicted too.
local_files = sorted((home / "cassis_irs" / "spectra").glob("cassis_yaaar_spcfw_*t.fits"))
in_sets = set(Path(f).name for f in irs.filenames)
local = []
for path in local_files:
    if path.name in in_sets:
        continue
    key = path.name[len("cassis_yaaar_spcfw_"):-len("t.fits")]
    aor, _, pointing = key.partition("_")
    local.append(fetch_cassis(int(aor), int(pointing) if pointing else None,
                              data_home=args.data_home, download_if_missing=False))
status.append(("other CASSIS files in the data home", f"{len(local)} read (no labels)"))

# %%
# 3. One grid: the CASSIS low-resolution grid
# -------------------------------------------
# CASSIS puts every low-resolution (SL + LL) spectrum on the same wavelengths;
# the most complete spectrum at hand gives them. Partial spectra are filled
# from their nearest pixel outside their coverage (the mask keeps track, and
# the coverage goes into the predictions file).
everything = [*irs.data, *local]
if not everything:
    sys.exit("No CASSIS spectrum in the data home and --download not given: nothing to do.")
cassis_grid = max(everything, key=lambda s: s.n_pixels).wavelength
print(f"CASSIS grid: {len(cassis_grid)} pixels, {cassis_grid[0]:.3f}-{cassis_grid[-1]:.3f} µm")
preprocess = make_pipeline(
    SpectralResampler(wavelength_grid=cassis_grid, wavelength_unit="um", fill="edge"),
    FluxScaler(method="minmax"),
)

if local:
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    local_batch = preprocess.fit_transform(SpectrumBatch(local))
    objects = [s.meta.get("object", "?") for s in local]
    plot_spectra(local_batch, np.array(objects), max_per_class=1, offset=1.1, ax=ax)
    ax.set_title("CASSIS files in the data home, on the CASSIS grid, scaled to [0, 1]")
    save(fig, "irs_local_spectra.png")

# %%
# 4. Train on the Magellanic Clouds, test on the Galactic Plane
# -------------------------------------------------------------
labelled = np.flatnonzero(irs.target != "")
can_train = all(available[s] > 0 for s in TRAIN_SETS + TEST_SETS)
model = None
if not can_train:
    status.append(("train SMC+LMC, test Galactic Plane",
                   "SKIPPED: the labelled spectra are not in the data home "
                   "(run with --download, network needed)"))
    results.add("Spitzer IRS, SMC + LMC -> Galactic Plane", "CNN", "accuracy",
                "not run offline", setup="needs the CASSIS spectra (--download)")
else:
    X = preprocess.fit_transform(irs.data[labelled])
    y, sets = irs.target[labelled], irs.groups[labelled]
    cnn = SpectrumCNNClassifier(max_epochs=CNN_EPOCHS, class_weight="balanced",
                                random_state=0, n_threads=1)
    (train, test), = CrossSurveySplit(train=TRAIN_SETS, test=TEST_SETS).split(X, y, sets)
    cnn.fit(X[train], y[train])
    pred = cnn.predict(X[test])
    acc, bacc = accuracy_score(y[test], pred), balanced_accuracy_score(y[test], pred)
    print(f"\nCNN trained on {len(train)} Magellanic Cloud spectra, tested on {len(test)} "
          f"Galactic Plane spectra: accuracy {acc:.3f}, balanced accuracy {bacc:.3f}"
          + (" [QUICK: 2 epochs, not a result]" if args.quick else ""))
    status.append(("train SMC+LMC, test Galactic Plane",
                   f"accuracy {acc:.3f}, balanced accuracy {bacc:.3f} (n={len(test)})"))
    results.add("Spitzer IRS, SMC + LMC -> Galactic Plane", "CNN", "accuracy", f"{acc:.3f}",
                setup=f"{len(train)} train, {len(test)} test spectra")
    fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
    plot_confusion_matrix(y[test], pred, labels=np.unique(np.concatenate([y[test], pred])),
                          ax=ax, title="Trained on SMC + LMC, tested on the Galactic Plane")
    save(fig, "irs_galactic_plane_confusion_matrix.png")
    # the final model learns from every labelled spectrum
    model = SpectrumCNNClassifier(max_epochs=CNN_EPOCHS, class_weight="balanced",
                                  random_state=0, n_threads=1).fit(X, y)

# %%
# 5. Predict the Bulge (and the other local files) to predictions.csv
# -------------------------------------------------------------------
# Each row carries its own spectrum's predicted class and the probability the
# model gives that class, taken from the same row of ``predict_proba``.
to_predict = [(s, "bulge", int(irs.aor_key[i]), int(irs.frame["pointing"][i]))
              for i, s in enumerate(irs.data) if irs.groups[i] == "bulge"]
to_predict += [(s, "data home", int(s.meta.get("aorkey", -1)), int(s.meta.get("pointing", -1)))
               for s in local]
if model is None:
    status.append(("predictions.csv", f"NOT written: no trained model ({len(to_predict)} "
                   "spectra were ready to predict)"))
else:
    batch = preprocess.fit_transform(SpectrumBatch([s for s, *_ in to_predict]))
    proba = model.predict_proba(batch)
    best = np.argmax(proba, axis=1)
    coverage = 1.0 - np.asarray(batch.mask).mean(axis=1)
    path = args.output_dir / "predictions.csv"
    with atomic_write(path, "w", overwrite=args.force, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source", "aor_key", "pointing", "object", "file", "coverage",
                         "predicted_class", "probability"])
        for (s, source, aor, pointing), k, p, cov in zip(to_predict, best, proba, coverage):
            writer.writerow([source, aor, pointing, s.meta.get("object", ""),
                             Path(s.meta.get("source", "")).name, f"{cov:.3f}",
                             model.classes_[k], f"{p[k]:.4f}"])
    print(f"wrote {path}")
    status.append(("predictions.csv", f"{len(to_predict)} rows written"))

# %%
# What could and could not be done
# --------------------------------
widths = max(len(step) for step, _ in status)
print("\nWorkflow status" + (" [QUICK]" if args.quick else ""))
for step, outcome in status:
    print(f"  {step.ljust(widths)}  {outcome}")
results.write()
print(f"\ntotal time {time.perf_counter() - started:.0f} s")
plt.show()
