"""``bench_transfer.py --calibration`` and ``--labels``: neural calibration and trustworthy labels.

Calibration (``calibration_rows``): a
:class:`~spectra_sklearn.nn.SpectrumCNNClassifier` on the SpeX letter (M/L/T)
and on the SMASSII main groups, split by object 60/10/10/20 into training,
temperature, conformal and test parts. On the test part: the accuracy, the
expected calibration error (15 bins) of the raw softmax, after
:class:`~spectra_sklearn.calibration.TemperatureScaledClassifier` (the
trained network frozen, ``T`` fitted on the temperature part) and after
scikit-learn's :class:`~sklearn.calibration.CalibratedClassifierCV` (sigmoid,
same part), and MAPIE's split-conformal coverage and mean set size at 90 %
(conformalised on the conformal part).

Trustworthy labels (``label_rows``): out-of-fold predictions (5-fold
:class:`~sklearn.model_selection.StratifiedGroupKFold` by object) of an SVC
on every labelled spectrum, scored on all of them and on the spectra whose
catalogues agree -- SpeX: the ``SPEX_TYPE`` letter equals every letter given
by ``OPT_TYPE`` and ``NIR_TYPE`` (else ``LIT_TYPE``) of ``sources.csv``;
SMASSII: the main group equals that of DeMeo et al. (2009) and of every
Mahlke et al. (2022) spectrum of the asteroid. Also: the model trained and
tested on the agreeing spectra only, and how many of the model's errors sit
exactly where the catalogues disagree.
"""

import warnings

import numpy as np
from common import print_table
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold
from sklearn.pipeline import make_pipeline
from transfer_tasks import (
    MAHLKE_TO_MAIN,
    _arr,
    spex_features,
    spex_letters_agree,
)

from spectra_sklearn.calibration import TemperatureScaledClassifier, expected_calibration_error


def _four_parts(y, groups, seed=0):
    """Object-grouped 60/10/10/20 split: train, temperature, conformal, test."""
    rows = np.arange(len(y))
    rest, test = next(GroupShuffleSplit(1, test_size=0.2, random_state=seed)
                      .split(rows, groups=groups))
    train, cal = next(GroupShuffleSplit(1, test_size=0.25, random_state=seed)
                      .split(rest, groups=groups[rest]))
    train, cal = rest[train], rest[cal]
    temp, conf = next(GroupShuffleSplit(1, test_size=0.5, random_state=seed)
                      .split(cal, groups=groups[cal]))
    return train, cal[temp], cal[conf], test


def _calibration_row(task, X, y, groups, epochs, quick):
    from mapie.classification import SplitConformalClassifier
    from mapie.metrics.classification import (
        classification_coverage_score,
        classification_mean_width_score,
    )

    from spectra_sklearn.nn import SpectrumCNNClassifier

    train, temp, conf, test = _four_parts(y, groups)
    cnn = SpectrumCNNClassifier(max_epochs=2 if quick else epochs, class_weight="balanced",
                                shift_augmentation=1.0, random_state=0, n_threads=1)
    cnn.fit(X[train].astype(np.float32), y[train])
    Xf = X.astype(np.float32)
    classes = cnn.classes_
    out = {"task": task, "model": f"CNN ({cnn.max_epochs} epochs)", "n_test": len(test),
           "accuracy": accuracy_score(y[test], cnn.predict(Xf[test])),
           "ece_raw": expected_calibration_error(y[test], cnn.predict_proba(Xf[test]),
                                                 labels=classes)}
    tsc = TemperatureScaledClassifier(FrozenEstimator(cnn), cv=StratifiedGroupKFold(
        n_splits=3, shuffle=True, random_state=0)).fit(Xf[temp], y[temp], groups=groups[temp])
    out["temperature"] = tsc.temperature_
    out["ece_temperature"] = expected_calibration_error(
        y[test], tsc.predict_proba(Xf[test]), labels=classes)
    sig = CalibratedClassifierCV(FrozenEstimator(cnn), method="sigmoid").fit(Xf[temp], y[temp])
    out["ece_sigmoid"] = expected_calibration_error(y[test], sig.predict_proba(Xf[test]),
                                                    labels=sig.classes_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mapie = SplitConformalClassifier(tsc, confidence_level=0.9, prefit=True)
        mapie.conformalize(Xf[conf], y[conf])
        _, sets = mapie.predict_set(Xf[test])
    out["coverage"] = float(classification_coverage_score(np.searchsorted(classes, y[test]),
                                                          sets)[0])
    out["set_size"] = float(classification_mean_width_score(sets)[0])
    print(f"  calibration {task}: {out}", flush=True)
    return out


def _smass_features(smass):
    from spectra_sklearn.preprocessing import (
        ContinuumNormalizer,
        SpectralResampler,
        SpectrumSmoother,
    )

    return _arr(make_pipeline(
        SpectralResampler(wavelength_min=0.44, wavelength_max=0.92, n_pixels=97,
                          wavelength_unit="um", fill="edge"),
        ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um"),
    ), smass.data), _arr(make_pipeline(
        SpectralResampler(wavelength_min=0.44, wavelength_max=0.92, n_pixels=97,
                          wavelength_unit="um", fill="edge"),
        SpectrumSmoother(sigma=6.0),
        ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um"),
    ), smass.data)


def _spex_letters(home, quick):
    from spectra_sklearn.datasets import fetch_spex_prism

    spex = fetch_spex_prism(data_home=home)
    keep = np.isin(spex.target_class, ["M", "L", "T"])
    X = spex_features(spex)[keep]
    y = spex.target_class[keep]
    groups = np.asarray(spex.groups)[keep]
    if quick:
        rows = np.random.default_rng(0).choice(len(y), 500, replace=False)
        X, y, groups = X[rows], y[rows], groups[rows]
    return X, y, groups


def calibration_rows(home, quick=False, epochs=30):
    from spectra_sklearn.datasets import fetch_smass2

    rows = []
    X, y, groups = _spex_letters(home, quick)
    rows.append(_calibration_row("SpeX letter (in-survey)", X, y, groups, epochs, quick))
    smass = fetch_smass2(data_home=home)
    X_s, _ = _smass_features(smass)
    rows.append(_calibration_row("SMASSII main groups (in-survey)", X_s,
                                 smass.target_main_group, np.asarray(smass.groups), epochs,
                                 quick))
    return [dict(r, kind="calibration") for r in rows]


def _oof(model, X, y, groups, rows=None):
    """Out-of-fold predictions on ``rows`` (default all), 5-fold by object."""
    from sklearn.base import clone

    rows = np.arange(len(y)) if rows is None else rows
    pred = np.empty(len(rows), dtype=object)
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    for a, b in folds.split(rows, y[rows], groups[rows]):
        pred[b] = clone(model).fit(X[rows[a]], y[rows[a]]).predict(X[rows[b]])
    return pred.astype(str)


def _label_row(task, setup, X, y, groups, agree, model):
    pred = _oof(model, X, y, groups)
    wrong = pred != y
    agreeing_only = _oof(model, X, y, groups, rows=np.flatnonzero(agree))
    row = {
        "task": task, "setup": setup, "model": "SVC", "n": len(y), "n_agree": int(agree.sum()),
        "accuracy_all": float(np.mean(~wrong)),
        "accuracy_on_agreeing": float(np.mean(~wrong[agree])),
        "accuracy_on_disagreeing": float(np.mean(~wrong[~agree])) if (~agree).any() else np.nan,
        "accuracy_trained_on_agreeing": float(np.mean(agreeing_only == y[agree])),
        "errors_where_catalogues_disagree": f"{int((wrong & ~agree).sum())}/{int(wrong.sum())}",
    }
    print(f"  labels {task} {setup}: {row}", flush=True)
    return dict(row, kind="labels")


def label_rows(home, quick=False):
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from spectra_sklearn.datasets import (
        BUS_DEMEO_MAIN_GROUPS,
        fetch_demeo2009,
        fetch_mahlke2022,
        fetch_smass2,
        fetch_spex_prism,
    )

    def svc():
        return make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale"))

    rows = []
    # SpeX: SPEX_TYPE letter against OPT_TYPE and NIR_TYPE (else LIT_TYPE) letters
    spex = fetch_spex_prism(data_home=home)
    keep = np.isin(spex.target_class, ["M", "L", "T"])
    X = spex_features(spex)[keep]
    y = spex.target_class[keep]
    groups = np.asarray(spex.groups)[keep]
    agree = spex_letters_agree(groups, y, home)
    if quick:
        rows_q = np.random.default_rng(0).choice(len(y), 500, replace=False)
        X, y, groups, agree = X[rows_q], y[rows_q], groups[rows_q], agree[rows_q]
    rows.append(_label_row("SpeX letter", "SPEX_TYPE = OPT and NIR/LIT letters", X, y, groups,
                           agree, svc()))
    # SMASSII: main group against DeMeo 2009 and Mahlke 2022 (all its spectra)
    smass = fetch_smass2(data_home=home)
    demeo = fetch_demeo2009(data_home=home)
    mahlke = fetch_mahlke2022(reflectance="linear", data_home=home)
    other = {}
    for o, c in zip(demeo.groups, demeo.target_base):
        other.setdefault(o, set()).add(BUS_DEMEO_MAIN_GROUPS[c])
    for o, c in zip(mahlke.object_id, mahlke.target):
        other.setdefault(o, set()).add(MAHLKE_TO_MAIN[c])
    y_s = smass.target_main_group
    agree_s = np.array([o in other and other[o] == {lab} for o, lab in zip(smass.groups, y_s)])
    print(f"  SMASSII: {np.sum([o in other for o in smass.groups])} asteroids also in DeMeo "
          f"or Mahlke, {agree_s.sum()} agreeing", flush=True)
    X_plain, X_smooth = _smass_features(smass)
    shared = np.array([o in other for o in smass.groups])
    for setup, Xs in [("97 px", X_plain), ("97 px smoothed", X_smooth)]:
        # only the asteroids another catalogue classified: agree vs disagree among them
        r = np.flatnonzero(shared)
        rows.append(_label_row("SMASSII main groups (asteroids in DeMeo/Mahlke)", setup,
                               Xs[r], y_s[r], np.asarray(smass.groups)[r], agree_s[r], svc()))
    return rows


def print_extra(rows):
    cal = [r for r in rows if r["kind"] == "calibration"]
    if cal:
        print_table(("task", "model", "n test", "accuracy", "ECE raw", "T", "ECE tempered",
                     "ECE sigmoid", "coverage 90 %", "set size"),
                    [(r["task"], r["model"], r["n_test"], r["accuracy"], r["ece_raw"],
                      r["temperature"], r["ece_temperature"], r["ece_sigmoid"], r["coverage"],
                      r["set_size"]) for r in cal],
                    title="Calibration of the CNN (in-survey, split by object)")
    lab = [r for r in rows if r["kind"] == "labels"]
    if lab:
        print_table(("task", "setup", "n", "n agree", "acc. all", "acc. agreeing",
                     "acc. disagreeing", "trained+tested agreeing", "errors where disagree"),
                    [(r["task"], r["setup"], r["n"], r["n_agree"], r["accuracy_all"],
                      r["accuracy_on_agreeing"], r["accuracy_on_disagreeing"],
                      r["accuracy_trained_on_agreeing"], r["errors_where_catalogues_disagree"])
                     for r in lab],
                    title="Trustworthy labels: out-of-fold SVC (5-fold by object)")
