"""
Asteroid taxonomy: SVM, MLP and CNN, latent clusters, and transfer across surveys
=================================================================================

Visible reflectance spectra of asteroids sort them into the C, S and X
complexes and a handful of rarer classes (Bus & Binzel 2002, Icarus 158, 146;
:data:`spectra_sklearn.datasets.BUS_MAIN_GROUPS`). This example reproduces
the experiments of the project's seed study on the SMASSII survey
(:func:`~spectra_sklearn.datasets.fetch_smass2`, 1,341 spectra, Bus & Binzel
2002, Icarus 158, 106) and takes them further:

1. **X vs non-X** and **C / S / X / Other** with an RBF
   :class:`~sklearn.svm.SVC`, a :class:`~sklearn.neural_network.MLPClassifier`
   (both tuned by :class:`~sklearn.model_selection.GridSearchCV` inside each
   training fold) and a small 1-D CNN
   (:class:`~spectra_sklearn.nn.SpectrumCNNClassifier`), scored by 5-fold
   :class:`~spectra_sklearn.model_selection.RepeatedStratifiedGroupKFold`
   repeated 5 times, as the seed did;
2. an **autoencoder** (:class:`~spectra_sklearn.nn.SpectrumAutoencoder`)
   trained without labels, whose latent space a
   :class:`~sklearn.mixture.GaussianMixture` clusters: how well do the
   clusters recover the taxonomy (adjusted Rand index, against PCA + the same
   mixture)?
3. **across surveys**: on the Mahlke et al. (2022, A&A 665, A26) compilation
   (:func:`~spectra_sklearn.datasets.fetch_mahlke2022`, 0.45-2.45 µm) leave
   one source survey out, and train on SMASSII, test on the Bus-DeMeo set
   (:func:`~spectra_sklearn.datasets.fetch_demeo2009`, DeMeo et al. 2009,
   Icarus 202, 160). An asteroid in the test survey is always removed from
   the training set, so no object is scored on its own spectrum.

The printed tables put the seed-style baselines (the seed study's numbers on
the same task) next to ours. The preprocessing here -- resampling onto a fixed
grid and dividing each spectrum by its reflectance at 0.55 µm -- works
spectrum by spectrum and learns nothing from the data, so it is done once
before the cross-validation; everything that learns (scaling, tuning, the
models) is refitted inside each training fold.

Data come from the data home (``--data-home``, else ``$SPECTRA_SKLEARN_DATA``,
else ``~/spectra_sklearn_data``; downloaded when missing). Run it with
``python examples/plot_asteroid_taxonomy.py [--quick] [--output-dir DIR]``.
The full run takes roughly 10-20 minutes on two cores (the CNN dominates;
``--repeats 1`` is five times faster); ``--quick`` (or
``SPECTRA_SKLEARN_EXAMPLES_QUICK=1``) subsamples and trains for a few epochs
only, to check that everything runs -- its numbers are not results. Figures
go to ``--output-dir`` (default ``./example_output``); existing files are kept
unless ``--force`` is given.
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
import sklearn
from _common import Results, check_outputs, example_arguments, mean_std, print_table, save_figure
from sklearn.decomposition import PCA
from sklearn.metrics import accuracy_score, adjusted_rand_score, f1_score, make_scorer
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, cross_validate
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from spectra_sklearn.datasets import (
    BUS_DEMEO_MAIN_GROUPS,
    BUS_MAIN_GROUPS,
    fetch_demeo2009,
    fetch_mahlke2022,
    fetch_smass2,
)
from spectra_sklearn.model_selection import RepeatedStratifiedGroupKFold
from spectra_sklearn.nn import SpectrumAutoencoder, SpectrumCNNClassifier
from spectra_sklearn.plotting import plot_confusion_matrix, plot_latent_space
from spectra_sklearn.preprocessing import (
    ContinuumNormalizer,
    MaskedPixelInterpolator,
    SpectralResampler,
)

args = example_arguments(
    "Asteroid taxonomy example (SMASSII, Mahlke, DeMeo)",
    add_arguments=lambda parser: parser.add_argument(
        "--repeats", type=int, default=None,
        help="repetitions of the 5-fold CV (default 5; 1 with --quick)"))
results = Results("asteroid_taxonomy", args)
check_outputs(args, ["asteroid_confusion_matrices.png", "asteroid_latent_space.png",
                     "asteroid_cross_survey.png", results.filename])

QUICK = args.quick
N_SPLITS = 3 if QUICK else 5
N_REPEATS = args.repeats or (1 if QUICK else 5)
CNN_EPOCHS = 2 if QUICK else 40
AE_EPOCHS = 2 if QUICK else 40
RNG = np.random.default_rng(0)
started = time.perf_counter()


def save(fig, name):
    save_figure(fig, args, name)


# %%
# SMASSII: one grid, reflectance 1 at 0.55 µm
# -------------------------------------------
# 97 pixels of 0.005 µm over 0.44-0.92 µm (pixels a spectrum does not cover
# are filled from its nearest valid pixel), each spectrum divided by its
# median reflectance at 0.54-0.56 µm, the survey's own normalisation.
smass = fetch_smass2(data_home=args.data_home)
preprocess = make_pipeline(
    SpectralResampler(wavelength_min=0.44, wavelength_max=0.92, n_pixels=97,
                      wavelength_unit="um", fill="edge"),
    ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um"),
)
smass_batch = preprocess.fit_transform(smass.data)
X_all = np.asarray(smass_batch)
y_all = smass.target_main_group
groups_all = smass.groups  # the asteroid
if QUICK:  # a stratified subsample of 240 spectra
    keep = np.sort(np.concatenate([
        RNG.choice(np.flatnonzero(y_all == c), size=min(60, np.sum(y_all == c)), replace=False)
        for c in np.unique(y_all)]))
else:
    keep = np.arange(len(y_all))
X, y, groups = X_all[keep], y_all[keep], groups_all[keep]
y_x = np.where(y == "X", "X", "non-X")
classes, counts = np.unique(y, return_counts=True)
print(f"SMASSII: {len(y)} spectra of {len(np.unique(groups))} asteroids, {X.shape[1]} pixels: "
      + ", ".join(f"{c} {n}" for c, n in zip(classes, counts)))

# %%
# Three models, tuned inside each training fold
# ---------------------------------------------
# The SVM and the MLP are tuned by ``GridSearchCV`` over a 3-fold split of
# the training fold (by asteroid, ``groups`` routed to both loops with
# scikit-learn's metadata routing). The CNN is not tuned (that would
# multiply the run time by the size of its grid); it uses the settings that
# measured best in ``benchmarks/bench_accuracy.py``: 40 epochs, balanced
# class weights, and training spectra redrawn from their uncertainties and
# shifted by up to one pixel at every epoch. The MLP trains on the whole training fold (no early
# stopping: holding out a tenth of a thousand spectra costs more than it
# saves) and is regularised by its L2 penalty ``alpha`` instead.


def make_models(scoring):
    inner = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
    svm = GridSearchCV(
        make_pipeline(StandardScaler(), SVC(class_weight="balanced")),
        {"svc__C": [1.0, 10.0, 100.0], "svc__gamma": ["scale", 0.003, 0.03]}
        if not QUICK else {"svc__C": [1.0, 10.0]},
        cv=inner, scoring=scoring,
    )
    mlp = GridSearchCV(
        make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=2000, random_state=0)),
        {"mlpclassifier__alpha": [0.3, 1.0, 3.0]} if not QUICK
        else {"mlpclassifier__alpha": [1.0]},
        cv=inner, scoring=scoring,
    )
    cnn = SpectrumCNNClassifier(max_epochs=CNN_EPOCHS, class_weight="balanced",
                                noise_augmentation=1.0, shift_augmentation=1.0,
                                random_state=0, n_threads=1)
    return {"SVM": svm, "MLP": mlp, "CNN": cnn}


f1_x = make_scorer(f1_score, pos_label="X")
tasks = {
    # task: (target, scoring, metric name, seed-style baselines per model)
    "C/S/X/Other": (y, "f1_weighted", "weighted F1",
                    {"SVM": "0.958 ± 0.014", "MLP": "0.960 ± 0.012", "CNN": "0.965 ± 0.011"}),
    "X vs non-X": (y_x, f1_x, "F1(X)",
                   {"SVM": "0.925-0.938", "MLP": "0.925-0.938", "CNN": "0.925-0.938"}),
}
cv = RepeatedStratifiedGroupKFold(n_splits=N_SPLITS, n_repeats=N_REPEATS, random_state=0)
rows, out_of_fold = [], {}
for task, (target, scoring, metric, seed) in tasks.items():
    for name, model in make_models(scoring).items():
        t0 = time.perf_counter()
        with sklearn.config_context(enable_metadata_routing=True):
            result = cross_validate(model, X, target, cv=cv, params={"groups": groups},
                                    scoring={"score": scoring, "accuracy": "accuracy"},
                                    return_estimator=True, return_indices=True)
        seconds = time.perf_counter() - t0
        rows.append((task, name, metric, mean_std(result["test_score"]),
                     mean_std(result["test_accuracy"]), seed[name], f"{seconds:.0f} s"))
        print(f"  {task:12s} {name}: {metric} {rows[-1][3]} ({seconds:.0f} s)")
        results.add(f"SMASSII {task}", name, metric, rows[-1][3], baseline=seed[name],
                    setup=f"{N_SPLITS}-fold x {N_REPEATS} by asteroid")
        if task == "C/S/X/Other":  # out-of-fold predictions of the first repetition
            pred = np.empty_like(target)
            for est, test in list(zip(result["estimator"], result["indices"]["test"]))[:N_SPLITS]:
                pred[test] = est.predict(X[test])
            out_of_fold[name] = pred
        if name != "CNN" and not QUICK:
            best = [str(sorted(e.best_params_.items())) for e in result["estimator"]]
            values, n = np.unique(best, return_counts=True)
            print(f"    most chosen parameters: {values[np.argmax(n)]} "
                  f"({n.max()}/{len(best)} folds)")

print_table(
    f"SMASSII, {N_SPLITS}-fold CV x {N_REPEATS} repeats, split by asteroid"
    + (" [QUICK: subsample, not a result]" if QUICK else ""),
    ("task", "model", "metric", "ours", "accuracy", "seed-style baseline", "time"), rows)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
for ax, (name, pred) in zip(axes, out_of_fold.items()):
    plot_confusion_matrix(y, pred, labels=["C", "S", "X", "Other"], ax=ax,
                          title=f"{name}, out-of-fold (repeat 1)")
save(fig, "asteroid_confusion_matrices.png")

# %%
# Without labels: autoencoder latent space + Gaussian mixture
# -----------------------------------------------------------
# The autoencoder compresses each spectrum to 8 numbers learnt from the
# spectra alone; a 4-component Gaussian mixture then groups the latent
# vectors. The adjusted Rand index (ARI; 0 = chance, 1 = identical
# partitions) compares the clusters with the main groups; PCA with the same
# number of components and the same mixture is the linear baseline.
autoencoder = SpectrumAutoencoder(n_components=8, max_epochs=AE_EPOCHS, random_state=0,
                                  n_threads=1)
latent = autoencoder.fit_transform(X)
pca_scores = PCA(n_components=8, random_state=0).fit_transform(StandardScaler().fit_transform(X))
ari_rows = []
clusters = {}
for name, features in [("autoencoder (8 latent)", latent), ("PCA (8 components)", pca_scores)]:
    z = StandardScaler().fit_transform(features)
    gmm = GaussianMixture(n_components=4, covariance_type="full", n_init=5, random_state=0)
    clusters[name] = gmm.fit_predict(z)
    ari_rows.append((name, "GMM, 4 comp.", f"{adjusted_rand_score(y, clusters[name]):.3f}",
                     f"{adjusted_rand_score(y_x, clusters[name]):.3f}"))
    results.add("SMASSII clusters vs C/S/X/Other", f"{name} + GMM", "adjusted Rand index",
                ari_rows[-1][2], setup="4 components, no labels")
print_table("Unsupervised: clusters vs taxonomy (adjusted Rand index)"
            + (" [QUICK]" if QUICK else ""),
            ("features", "clustering", "ARI vs C/S/X/Other", "ARI vs X/non-X"), ari_rows)

fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
plot_latent_space(latent, y, classes=["C", "S", "X", "Other"], ax=axes[0])
axes[0].set_title("Autoencoder latent space (PCA of 8-D), Bus main group")
plot_latent_space(latent, np.array([f"cluster {c}" for c in clusters["autoencoder (8 latent)"]]),
                  ax=axes[1])
axes[1].set_title("Same points, Gaussian-mixture cluster")
save(fig, "asteroid_latent_space.png")

# %%
# Across surveys (1): Mahlke et al. 2022, leave one source survey out
# -------------------------------------------------------------------
# The compilation's 17 classes map to main groups as Bus's letters do; E, M
# and P (X-complex spectra told apart by albedo) go to X and Z (very red,
# D-like) to Other. Many spectra lack the visible or the longest
# near-infrared pixels; they are filled from the nearest measured pixel. Each
# survey with at least 40 spectra is held out in turn; the SVM is tuned on
# the others, without the asteroids the held-out survey observed.
MAHLKE_TO_MAIN = {**BUS_MAIN_GROUPS, "E": "X", "M": "X", "P": "X", "Z": "Other"}
mahlke = fetch_mahlke2022(reflectance="linear", data_home=args.data_home)
X_m = np.asarray(MaskedPixelInterpolator().fit_transform(mahlke.data))
y_m = np.array([MAHLKE_TO_MAIN[c] for c in mahlke.target])
survey, objects = mahlke.groups, mahlke.object_id
names, sizes = np.unique(survey, return_counts=True)
held_out = names[np.argsort(-sizes)][: 3 if QUICK else None]
held_out = [s for s in held_out if np.sum(survey == s) >= 40]
reference = dict(zip(survey, mahlke.frame["survey_reference"]))


def tuned_svm():
    return GridSearchCV(
        make_pipeline(StandardScaler(), SVC(class_weight="balanced")),
        {"svc__C": [1.0, 10.0, 100.0], "svc__gamma": ["scale", 0.01]}
        if not QUICK else {"svc__C": [10.0]},
        cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0),
        scoring="f1_weighted",
    )


loso_rows = []
for s in held_out:
    test = survey == s
    train = ~test & ~np.isin(objects, objects[test])
    if QUICK:  # at most 600 training spectra
        train = np.flatnonzero(train)
        train = np.isin(np.arange(len(y_m)), RNG.choice(train, min(600, len(train)), replace=False))
    model = tuned_svm().fit(X_m[train], y_m[train], groups=objects[train])
    pred = model.predict(X_m[test])
    loso_rows.append((s, reference[s][:28], int(test.sum()), int(train.sum()),
                      f"{accuracy_score(y_m[test], pred):.3f}",
                      f"{f1_score(y_m[test], pred, average='weighted'):.3f}"))
accuracies = np.array([float(r[4]) for r in loso_rows])
loso_rows.append(("mean", f"over {len(loso_rows)} surveys", "", "", f"{accuracies.mean():.3f}",
                  f"{np.mean([float(r[5]) for r in loso_rows]):.3f}"))
results.add("Mahlke 2022, leave one survey out", "SVM (tuned)", "accuracy",
            loso_rows[-1][4], setup=f"mean over {len(loso_rows) - 1} surveys")
print_table("Mahlke 2022 (VIS-NIR), main groups, leave one survey out (tuned SVM)"
            + (" [QUICK]" if QUICK else "") + "; no seed baseline",
            ("survey", "reference", "n test", "n train", "accuracy", "weighted F1"), loso_rows)

# %%
# Across surveys (2): SMASSII -> DeMeo et al. 2009
# ------------------------------------------------
# The Bus-DeMeo table gives the visible part every 0.05 µm, so both sets are
# put on that grid (0.45-0.90 µm, 10 points) and normalised at 0.55 µm. The
# asteroids DeMeo et al. observed are removed from the SMASSII training set:
# their visible spectra are largely the SMASSII ones, so keeping them would
# test the model on its own training spectra.
demeo = fetch_demeo2009(data_home=args.data_home)
coarse = make_pipeline(
    SpectralResampler(wavelength_grid=np.arange(0.45, 0.901, 0.05), wavelength_unit="um",
                      fill="edge"),
    ContinuumNormalizer(method="window", window=(0.525, 0.575), wavelength_unit="um"),
)
X_train_d = np.asarray(coarse.fit_transform(smass.data))
X_test_d = np.asarray(coarse.fit_transform(demeo.data))
y_test_d = np.array([BUS_DEMEO_MAIN_GROUPS[c] for c in demeo.target_base])
train_d = ~np.isin(smass.groups, demeo.groups)
if QUICK:
    train_d &= np.isin(np.arange(len(y_all)), keep)
model = tuned_svm().fit(X_train_d[train_d], y_all[train_d], groups=smass.groups[train_d])
pred_d = model.predict(X_test_d)
demeo_rows = [("SMASSII -> DeMeo 2009", int(train_d.sum()), len(y_test_d),
               f"{accuracy_score(y_test_d, pred_d):.3f}",
               f"{f1_score(y_test_d, pred_d, average='weighted'):.3f}")]
results.add("SMASSII -> DeMeo 2009", "SVM (tuned)", "accuracy", demeo_rows[0][3],
            setup="visible, 0.05 µm grid")
print_table("Cross-survey, main groups, visible 0.45-0.90 µm (tuned SVM)"
            + (" [QUICK]" if QUICK else "") + "; no seed baseline",
            ("train -> test", "n train", "n test", "accuracy", "weighted F1"), demeo_rows)

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
labels = [f"{r[0]}\n({r[2]})" for r in loso_rows[:-1]]
ax.bar(labels, accuracies, color="tab:blue", label="Mahlke 2022, leave one survey out")
ax.axhline(float(demeo_rows[0][3]), color="tab:red", linestyle="--",
           label="SMASSII -> DeMeo 2009")
ax.set_ylim(0, 1)
ax.set_xlabel("held-out survey (Mahlke reference key, n spectra)")
ax.set_ylabel("accuracy, main groups")
ax.legend(loc="lower left")
ax.set_title("Transfer across surveys (tuned SVM)")
save(fig, "asteroid_cross_survey.png")
results.write()
print(f"\ntotal time {time.perf_counter() - started:.0f} s")
plt.show()
