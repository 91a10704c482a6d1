"""
SpeX dwarfs from the spectrum and catalogue columns together: the fusion classifier
===================================================================================

The SDSS stellar-subclass seed classifies a star from two inputs at once, its
flux and a few catalogue columns, with a dense network for the table, a
bidirectional LSTM for the flux, and multi-head attention to fuse them; it
shows each branch's own prediction beside the fused one. This example does the
same with :class:`~spectra_sklearn.nn.SpectrumFusionClassifier` on the SpeX
Prism Library (Burgasser 2014, ASI Conf. Ser. 11, 7), for the **surface-gravity
class** of late-M and L dwarfs (``SPEX_GRAVITY_CLASSIFICATION``: FLD-G field
dwarfs, INT-G intermediate gravity, VL-G very low gravity, i.e. young; 1,394
spectra), where kinematics and luminosity should add to the spectrum: young
dwarfs are over-luminous and move slowly.

From the files to predictions:

1. :func:`~spectra_sklearn.datasets.fetch_spex_prism` reads the spectra and
   puts each object's catalogue values (``sources.csv``, joined on
   ``SOURCE_KEY``) in its ``meta``;
2. :class:`~spectra_sklearn.preprocessing.SpectralResampler` and
   :class:`~spectra_sklearn.preprocessing.ContinuumNormalizer` put the flux on
   256 log pixels over 0.65-2.45 µm, 1 at 1.2-1.3 µm;
3. :func:`~spectra_sklearn.preprocessing.make_flux_metadata_union` with
   :class:`~spectra_sklearn.preprocessing.MetadataFeatures` gives one array
   ``[flux | catalogue columns]``: 2MASS J, H, Ks, J-Ks, the absolute
   magnitudes where a parallax is known (13 %), the proper motion ``MU`` and
   ``MEDIAN_SNR``, missing values as NaN plus indicators -- never a column
   derived from a spectral type;
4. the fusion classifier: a CNN over the flux, an MLP over the catalogue
   columns, self-attention over one token per branch, and a head per branch.

Scored with 5-fold cross-validation grouped by object (``SOURCE_KEY``) against
gradient boosting on the catalogue columns alone and the CNN on the spectrum
alone; the figure shows the scores and how much the fused token attends to
each branch. The full benchmark (3 tasks, 3 seeds, BiLSTM too) is
``benchmarks/bench_accuracy.py --tasks spex-fusion,...`` (see
``benchmarks/README.md``).

Run it with ``python examples/plot_spex_fusion.py [--quick] [--output-dir
DIR]``; the full run takes several minutes on two cores. ``--quick`` subsamples
and trains for two epochs, only to check that everything runs. Existing output
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
import matplotlib.pyplot as plt
import numpy as np
from _common import Results, check_outputs, example_arguments, print_table, save_figure
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import make_pipeline

from spectra_sklearn.datasets import fetch_spex_prism
from spectra_sklearn.nn import SpectrumCNNClassifier, SpectrumFusionClassifier
from spectra_sklearn.preprocessing import (
    ContinuumNormalizer,
    MetadataFeatures,
    SpectralResampler,
    make_flux_metadata_union,
)

args = example_arguments("SpeX gravity class from spectrum + catalogue columns")
results = Results("spex_fusion", args)
check_outputs(args, ["spex_fusion_scores.png", results.filename])
QUICK = args.quick
N_SPLITS = 3 if QUICK else 5
EPOCHS = 2 if QUICK else 30
CLASSES = ["FLD-G", "INT-G", "VL-G"]
started = time.perf_counter()

# %%
# Files to one array [flux | catalogue columns]
# ---------------------------------------------
spex = fetch_spex_prism(data_home=args.data_home)
gravity = np.asarray(spex.frame["SPEX_GRAVITY_CLASSIFICATION"]).astype(str)
keep = np.flatnonzero(np.isin(gravity, CLASSES))
if QUICK:  # 60 spectra of each class
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([rng.choice(keep[gravity[keep] == c], 60, replace=False)
                                   for c in CLASSES]))
spectra, y, groups = spex.data[keep], gravity[keep], np.asarray(spex.groups)[keep]

N_PIXELS = 256
catalogue = MetadataFeatures(
    ["J_2MASS", "H_2MASS", "KS_2MASS", "PARALLAX", "MU", "MEDIAN_SNR"],
    colours=["J_2MASS-KS_2MASS"], absolute_magnitudes=["J_2MASS", "H_2MASS", "KS_2MASS"],
    missing="nan")  # one column per feature, whatever the data: a fixed n_tabular_features
features = make_pipeline(
    SpectralResampler(wavelength_min=0.65, wavelength_max=2.45, n_pixels=N_PIXELS,
                      spacing="log", wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(1.2, 1.3), wavelength_unit="um"),
    make_flux_metadata_union(catalogue),
)
# These steps learn nothing from the labels (a fixed grid and window; which
# catalogue columns have missing values, hence indicator columns), so they run
# once and the folds refit only the models.
X = features.fit_transform(spectra)
names = features[-1].get_feature_names_out()[N_PIXELS:]
n_catalogue = X.shape[1] - N_PIXELS
print(f"{len(y)} spectra of {len(np.unique(groups))} objects: "
      + ", ".join(f"{c} {np.sum(y == c)}" for c in CLASSES))
print(f"X: {N_PIXELS} flux pixels + {n_catalogue} catalogue columns "
      f"({', '.join(n.removeprefix('metadata__') for n in names)})")

folds = list(StratifiedGroupKFold(n_splits=N_SPLITS, shuffle=True, random_state=0)
             .split(X, y, groups))


def columns(part):
    """Select the flux (first N_PIXELS columns) or the catalogue columns."""
    from sklearn.compose import ColumnTransformer

    chosen = slice(0, N_PIXELS) if part == "flux" else slice(N_PIXELS, None)
    return ColumnTransformer([(part, "passthrough", chosen)])


# %%
# Three models, each branch's own prediction
# ------------------------------------------
models = {
    "catalogue only (gradient boosting)": make_pipeline(
        columns("catalogue"),
        HistGradientBoostingClassifier(class_weight="balanced", random_state=0)),
    "spectrum only (CNN)": make_pipeline(columns("flux"), SpectrumCNNClassifier(
        max_epochs=EPOCHS, class_weight="balanced", shift_augmentation=1.0,
        random_state=0)),
    "fused (CNN + MLP, attention)": SpectrumFusionClassifier(
        n_tabular_features=n_catalogue, max_epochs=EPOCHS, class_weight="balanced",
        shift_augmentation=1.0, random_state=0),
}
predictions, attention = {}, np.zeros((len(y), 3))
for name, model in models.items():
    t0 = time.perf_counter()
    for train, test in folds:
        fitted = model.fit(X[train], y[train])
        branches = getattr(fitted, "branch_names_", None)
        if branches is None:
            predictions.setdefault(name, np.empty(len(y), dtype=object))[test] = \
                fitted.predict(X[test])
            continue
        for branch in branches:  # the fused model's own three predictions
            label = name if branch == "fused" else f"fused model, {branch} head"
            predictions.setdefault(label, np.empty(len(y), dtype=object))[test] = \
                fitted.predict(X[test], branch=branch)
        attention[test] = fitted.attention_weights(X[test])
    print(f"  {name}: {time.perf_counter() - t0:.0f} s")

rows, scores = [], {}
for name, pred in predictions.items():
    per_fold = [f1_score(y[t], pred[t].astype(str), average="macro") for _, t in folds]
    scores[name] = per_fold
    per_class = f1_score(y, pred.astype(str), labels=CLASSES, average=None)
    rows.append((name, f"{np.mean(per_fold):.3f} ± {np.std(per_fold):.3f}",
                 *(f"{v:.3f}" for v in per_class)))
    results.add("SpeX gravity class FLD-G/INT-G/VL-G", name, "macro-F1", rows[-1][1],
                setup=f"{N_SPLITS}-fold by object")
print_table(f"SpeX gravity class, {N_SPLITS}-fold CV by object"
            + (" [QUICK: subsample, not a result]" if QUICK else ""),
            ("model", "macro-F1", *(f"F1 {c}" for c in CLASSES)), rows)

# dual-model predictions of a few held-out spectra, as the seed shows them
filenames = np.asarray(spex.frame["filename"])[keep]
test = folds[0][1][:6]
print_table("held-out spectra: fused, spectrum-head and catalogue-head predictions",
            ("file", "catalogue class", "fused", "spectrum head", "catalogue head"),
            [(filenames[i], y[i], predictions["fused (CNN + MLP, attention)"][i],
              predictions["fused model, spectrum head"][i],
              predictions["fused model, tabular head"][i]) for i in test])

# %%
# Scores and attention
# --------------------
fig, (ax_score, ax_attention) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
labels = list(scores)
ax_score.barh(range(len(labels)), [np.mean(scores[k]) for k in labels],
              xerr=[np.std(scores[k]) for k in labels], color="tab:blue", alpha=0.8)
ax_score.set_yticks(range(len(labels)), labels)
ax_score.invert_yaxis()
ax_score.set_xlabel(f"macro-F1, {N_SPLITS}-fold CV by object (mean ± std)")
ax_score.set_title("SpeX gravity class")
tokens = ["fused token", "spectrum", "catalogue"]
width = 0.25
for k, (cls, colour) in enumerate(zip(CLASSES, ["tab:green", "tab:orange", "tab:red"])):
    mean = attention[y == cls].mean(axis=0)
    ax_attention.bar(np.arange(3) + (k - 1) * width, mean, width, color=colour, label=cls)
ax_attention.set_xticks(range(3), tokens)
ax_attention.set_ylabel("attention of the fused token (out of fold)")
ax_attention.set_title("attention per branch")
ax_attention.legend(title="true class", loc="lower right")
save_figure(fig, args, "spex_fusion_scores.png")
results.write()
print(f"\ntotal time {time.perf_counter() - started:.0f} s")
plt.show()
