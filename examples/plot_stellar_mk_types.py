"""
Stellar MK types across libraries: MILES to the SDSS/BOSS templates
===================================================================

MK spectral types (O B A F G K M, with a subclass 0-9.5) are read from the
optical spectrum: the Balmer lines peak at A0, metal lines and the G band
grow towards G and K, TiO bands dominate M stars. A classifier trained on one
spectral library should type the stars of another -- if the two are made
comparable first. This example trains on the MILES library
(:func:`~spectra_sklearn.datasets.fetch_miles`, 944 stars with a type;
Sánchez-Blázquez et al. 2006, MNRAS 371, 703; Cenarro et al. 2007, MNRAS 374,
664) and tests on the stellar templates of the SDSS/BOSS pipeline
(:func:`~spectra_sklearn.datasets.fetch_sdss_templates`, ``spEigenStar``
55734 and 53724, labelled with the SDSS ``SUBCLASS``; Bolton et al. 2012, AJ
144, 144). The libraries differ in every way that matters:

=================  =========================  ================================
                   MILES                      SDSS/BOSS templates
=================  =========================  ================================
wavelengths        air, 3540-7410 Å, linear   vacuum, 3049-11951 Å, log-linear
resolution         2.5 Å FWHM (constant)      R ~ 2000 (FWHM 1.8-3.7 Å here)
flux               relative F_lambda          arbitrary scale
=================  =========================  ================================

so both go through :class:`~spectra_sklearn.preprocessing.AirToVacuum` (MILES
only; IAU, Morton 2000), :class:`~spectra_sklearn.preprocessing.WavelengthCropper`,
:class:`~spectra_sklearn.preprocessing.ResolutionDegrader` (both to 5 Å FWHM,
coarser than either over 3700-7200 Å),
:class:`~spectra_sklearn.preprocessing.SpectralResampler` (one log-spaced
vacuum grid, 1,024 pixels) and :class:`~spectra_sklearn.preprocessing.FluxScaler`
(median flux 1; the continuum slope is kept, it carries the temperature).

It reports the **MK class** (O-M) with a tuned SVM and the 1-D CNN
(:class:`~spectra_sklearn.nn.SpectrumCNNClassifier`), within MILES (5-fold
cross-validation by star) and MILES -> templates; and the **subclass** as a
number (O0 = 0, B0 = 10 ... M9 = 69) by regression (tuned SVR, the CNN
regressor with the squared error and with ``loss='log_loss'``, which treats
each catalogue subclass as a class and predicts the expected subclass),
scored by the mean absolute error in subclasses.

Data come from the data home (``--data-home``, else ``$SPECTRA_SKLEARN_DATA``,
else ``~/spectra_sklearn_data``). Run it with ``python
examples/plot_stellar_mk_types.py [--quick] [--output-dir DIR]``; the full run
takes a few minutes on two cores. ``--quick`` (or
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
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR

from spectra_sklearn.datasets import fetch_miles, fetch_sdss_templates
from spectra_sklearn.nn import SpectrumCNNClassifier, SpectrumCNNRegressor
from spectra_sklearn.plotting import plot_class_means, plot_confusion_matrix
from spectra_sklearn.preprocessing import (
    AirToVacuum,
    FluxScaler,
    ResolutionDegrader,
    SpectralResampler,
    WavelengthCropper,
)

args = example_arguments("MILES -> SDSS templates MK type example")
results = Results("stellar_mk_types", args)
check_outputs(args, ["mk_class_means.png", "mk_templates_confusion_matrix.png",
                     results.filename])

QUICK = args.quick
N_SPLITS = 3 if QUICK else 5
CNN_EPOCHS = 2 if QUICK else 30
MK = list("OBAFGKM")
started = time.perf_counter()


def save(fig, name):
    save_figure(fig, args, name)


def type_number(subclass):
    """'B2.5' -> 12.5, 'M0' -> 60; NaN when there is no numeric subclass."""
    if len(subclass) < 2 or subclass[0] not in MK:
        return np.nan
    try:
        return 10 * MK.index(subclass[0]) + float(subclass[1:])
    except ValueError:
        return np.nan


# %%
# The two libraries on one footing
# --------------------------------
miles = fetch_miles(target="mk_class", data_home=args.data_home)
templates = fetch_sdss_templates(template_set="all", data_home=args.data_home)
in_mk = np.isin(miles.target, MK)  # drops the 3 carbon (R, S) stars
in_mk_t = np.isin(templates.target_class, MK)  # drops WD, C, L, T templates
grid = SpectralResampler(wavelength_min=3700.0, wavelength_max=7200.0,
                         n_pixels=256 if QUICK else 1024, spacing="log",
                         wavelength_unit="Angstrom", fill="edge")
crop = WavelengthCropper(wavelength_min=3650.0, wavelength_max=7300.0, wavelength_unit="Angstrom")
# MILES: 2.5 Å FWHM read from each spectrum's metadata ("fwhm").
miles_steps = make_pipeline(AirToVacuum(), crop,
                            ResolutionDegrader(target_fwhm=5.0, wavelength_unit="Angstrom"),
                            grid, FluxScaler(method="median"))
# SDSS/BOSS: resolving power about 2000 (Smee et al. 2013, AJ 146, 32).
template_steps = make_pipeline(crop, ResolutionDegrader(target_fwhm=5.0, input_resolution=2000.0,
                                                        wavelength_unit="Angstrom"),
                               grid, FluxScaler(method="median"))
X_miles_batch = miles_steps.fit_transform(miles.data[np.flatnonzero(in_mk)])
X_tmpl_batch = template_steps.fit_transform(templates.data[np.flatnonzero(in_mk_t)])
X_miles, X_tmpl = np.asarray(X_miles_batch), np.asarray(X_tmpl_batch)
y_miles, y_tmpl = miles.target[in_mk], templates.target_class[in_mk_t]
stars = miles.groups[in_mk]
n_miles = np.array([type_number(s) for s in miles.frame["mk_subclass"][in_mk]])
n_tmpl = np.array([type_number(s) for s in templates.frame["mk_subclass"][in_mk_t]])
if QUICK:  # at most 40 stars per class
    rng = np.random.default_rng(0)
    keep = np.sort(np.concatenate([
        rng.choice(np.flatnonzero(y_miles == c), min(40, np.sum(y_miles == c)), replace=False)
        for c in MK]))
    X_miles, y_miles, stars, n_miles = X_miles[keep], y_miles[keep], stars[keep], n_miles[keep]
for name, y in [("MILES", y_miles), ("SDSS templates", y_tmpl)]:
    print(f"{name}: {len(y)} spectra, " + ", ".join(f"{c} {np.sum(y == c)}" for c in MK))

# %%
# MK class: within MILES, and MILES -> templates
# ----------------------------------------------
# Within MILES the folds are split by star name, so a star is never on both
# sides; the 3 O stars are too few for 5 stratified folds and sit out the
# within-MILES score only (they are in the training set for the templates).


def classifiers():
    return {
        "SVM (tuned)": GridSearchCV(
            make_pipeline(StandardScaler(), SVC(class_weight="balanced")),
            {"svc__C": [1.0, 10.0, 100.0], "svc__gamma": ["scale", 1e-4]}
            if not QUICK else {"svc__C": [10.0]},
            cv=GroupKFold(n_splits=3)),
        "CNN": SpectrumCNNClassifier(max_epochs=CNN_EPOCHS, class_weight="balanced",
                                     shift_augmentation=1.0, random_state=0, n_threads=1),
    }


def fit(model, X, y, groups):
    return model.fit(X, y, groups=groups) if isinstance(model, GridSearchCV) else model.fit(X, y)


cv_rows = np.flatnonzero(y_miles != "O")
folds = list(StratifiedGroupKFold(n_splits=N_SPLITS, shuffle=True, random_state=0)
             .split(X_miles[cv_rows], y_miles[cv_rows], stars[cv_rows]))
rows, template_pred = [], {}
for name in classifiers():
    t0 = time.perf_counter()
    scores = []
    for train, test in folds:
        train, test = cv_rows[train], cv_rows[test]
        model = fit(classifiers()[name], X_miles[train], y_miles[train], stars[train])
        scores.append(accuracy_score(y_miles[test], model.predict(X_miles[test])))
    model = fit(classifiers()[name], X_miles, y_miles, stars)
    template_pred[name] = model.predict(X_tmpl)
    rows.append((name, f"{np.mean(scores):.3f} ± {np.std(scores):.3f}",
                 "0.82 (small CNN)" if name == "CNN" else "-",
                 f"{accuracy_score(y_tmpl, template_pred[name]):.3f}",
                 f"{time.perf_counter() - t0:.0f} s"))
    print(f"  MK class, {name}: MILES CV {rows[-1][1]}, MILES -> templates {rows[-1][3]}")
    results.add("MILES MK class O-M", name, "accuracy", rows[-1][1], baseline=rows[-1][2],
                setup=f"{N_SPLITS}-fold by star (B-M)")
    results.add("MILES -> SDSS templates, MK class", name, "accuracy", rows[-1][3],
                setup=f"{len(y_tmpl)} templates")
print_table("MK class O-M" + (" [QUICK: subsample, not a result]" if QUICK else ""),
            ("model", f"MILES {N_SPLITS}-fold CV (B-M)", "seed-style baseline",
             f"MILES -> SDSS templates (n={len(y_tmpl)})", "time"), rows)

# %%
# Subclass as a number
# --------------------
# Regression on O0 = 0 ... M9 = 69 keeps the order of the sequence; spectra
# without a numeric subclass (e.g. 'Am', 'B') sit out.


def regressors():
    return {
        "SVR (tuned)": GridSearchCV(
            make_pipeline(StandardScaler(), SVR()),
            {"svr__C": [10.0, 100.0], "svr__epsilon": [0.1, 1.0]}
            if not QUICK else {"svr__C": [100.0]},
            cv=GroupKFold(n_splits=3), scoring="neg_mean_absolute_error"),
        "CNN regressor": SpectrumCNNRegressor(max_epochs=CNN_EPOCHS, random_state=0, n_threads=1),
        "CNN, log loss": SpectrumCNNRegressor(loss="log_loss", max_epochs=CNN_EPOCHS,
                                              random_state=0, n_threads=1),
    }


has_n, has_n_t = np.isfinite(n_miles), np.isfinite(n_tmpl)
rows = []
for name in regressors():
    t0 = time.perf_counter()
    errors = []
    for train, test in folds:
        train, test = cv_rows[train], cv_rows[test]
        train, test = train[has_n[train]], test[has_n[test]]
        model = fit(regressors()[name], X_miles[train], n_miles[train], stars[train])
        errors.append(np.abs(model.predict(X_miles[test]) - n_miles[test]))
    errors = np.concatenate(errors)
    model = fit(regressors()[name], X_miles[has_n], n_miles[has_n], stars[has_n])
    t_err = np.abs(model.predict(X_tmpl[has_n_t]) - n_tmpl[has_n_t])
    rows.append((name, f"{errors.mean():.2f}", f"{np.mean(errors <= 1):.3f}",
                 f"{t_err.mean():.2f}", f"{np.mean(t_err <= 1):.3f}",
                 f"{time.perf_counter() - t0:.0f} s"))
    print(f"  subclass, {name}: MILES CV MAE {rows[-1][1]}, templates MAE {rows[-1][3]}")
    results.add("MILES MK subclass (O0=0 ... M9=69)", name, "MAE [subclasses]", rows[-1][1],
                setup=f"{N_SPLITS}-fold by star")
    results.add("MILES -> SDSS templates, MK subclass", name, "MAE [subclasses]",
                rows[-1][3], setup=f"{has_n_t.sum()} templates")
print_table("MK subclass as a number (O0=0 ... M9=69), errors in subclasses"
            + (" [QUICK: subsample, not a result]" if QUICK else "") + "; no seed baseline",
            ("model", "MILES CV MAE", "MILES CV within ±1",
             f"templates MAE (n={has_n_t.sum()})", "templates within ±1", "time"), rows)

# %%
# Plots: the class means of both libraries, and the template confusions
# ---------------------------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, layout="constrained")
plot_class_means(X_miles_batch[np.flatnonzero(np.isin(miles.target[in_mk], list("BAFGKM")))],
                 miles.target[in_mk][np.isin(miles.target[in_mk], list("BAFGKM"))],
                 classes=list("BAFGKM"), ax=axes[0])
axes[0].set_title("MILES (vacuum, 5 Å FWHM, median 1)")
plot_class_means(X_tmpl_batch[np.flatnonzero(np.isin(y_tmpl, list("BAFGKM")))],
                 y_tmpl[np.isin(y_tmpl, list("BAFGKM"))], classes=list("BAFGKM"), ax=axes[1])
axes[1].set_title("SDSS/BOSS templates, same steps")
axes[0].set_ylim(0, 4)  # the M-star TiO bands and their spread run off the top
save(fig, "mk_class_means.png")

fig, ax = plt.subplots(figsize=(5.5, 4.8), layout="constrained")
plot_confusion_matrix(y_tmpl, template_pred["SVM (tuned)"], labels=MK, ax=ax,
                      title="MILES -> SDSS templates (SVM)")
save(fig, "mk_templates_confusion_matrix.png")
results.write()
print(f"\ntotal time {time.perf_counter() - started:.0f} s")
plt.show()
