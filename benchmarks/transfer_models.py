"""Model choice and label limits of the unmet issue-16 transfer targets.

Hyper-parameters are chosen ONLY by in-survey cross-validation on the
training survey (never by the test-survey score). Measures:

1. MILES -> SDSS/BOSS stellar templates (``transfer_tasks.miles_sdss``, setup
   "5 Å FWHM, median 1"), MK class: ``GridSearchCV`` on MILES
   (``StratifiedGroupKFold`` by star, 5 folds; classes with < 5 stars left out
   of the folds, as in ``bench_transfer.py``) of an RBF SVC, logistic
   regression, PCA + SVC, k-NN (``--cnn``: the default SpectrumCNNClassifier):
   chosen parameters, in-survey CV accuracy there (the grid's best score,
   slightly optimistic), transfer accuracy and macro-F1 on the 143 templates.
   Subclass (O0=0 ... M9=69): SVR, kernel ridge (``--cnn``: the default
   SpectrumCNNRegressor), MAE in-survey and across. Then the SVC and logistic
   grids on each of the three preprocessing setups of ``miles_sdss``.
2. Where the MK-class errors sit: every transfer error (SDSS name, true
   subclass, predicted class, distance in subclasses to it), errors by the
   distance of the true subclass to another class (templates and MILES out of
   fold), supergiants, and the accuracy of a perfect subclass predictor seen
   through Gaussian N(0, sigma) label noise.
3. SpeX letters on the spectra whose SPEX_TYPE letter agrees with the
   ``sources.csv`` OPT and NIR (else LIT) letters (as ``transfer_extras``):
   out-of-fold SVC(C=10) errors by SPEX_TYPE, error rate and catalogue
   disagreement by distance to the M/L, L/T boundary, SPEX_TYPE vs OPT/NIR
   subtypes, and a nested-CV grid SVC (inner 3-fold by object) trained on all
   or on the agreeing spectra only.

Command (about 5 minutes on one core; ``--cnn`` adds about 10, ``--cnn-only``
runs only the CNN rows and the untuned SVC/SVR of part 1)::

    nice -n 5 python benchmarks/transfer_models.py --data-home /work/shared/data

``--quick`` shrinks data and grids to check the plumbing (not results).
Prints markdown tables.
"""

import argparse
import csv
import os
import re
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import data_home, single_thread  # noqa: E402

single_thread()

import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.kernel_ridge import KernelRidge  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

MK = list("OBAFGKM")


def _folds(strata, groups, rows, n_splits=5, seed=0):
    """Stratified group folds over ``rows`` (positions into ``rows``'s arrays).

    As ``bench_transfer._kfold``: classes with fewer members than folds are
    left out of the folds (they stay in the final refit).
    """
    labels, counts = np.unique(strata[rows], return_counts=True)
    keep = rows[np.isin(strata[rows], labels[counts >= n_splits])]
    pos = np.searchsorted(rows, keep)
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(pos[a], pos[b]) for a, b in cv.split(keep, strata[keep], groups[keep])]


def _md(headers, rows, title=None):
    if title:
        print(f"\n**{title}**\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for r in rows:
        print("| " + " | ".join(_f(v) for v in r) + " |")
    sys.stdout.flush()


def _f(v):
    if isinstance(v, (float, np.floating)):
        return "-" if np.isnan(v) else f"{v:.3f}"
    return str(v)


def _params(best):
    return ", ".join(f"{k.split('__')[-1]}={v:.3g}" if isinstance(v, float)
                     else f"{k.split('__')[-1]}={v}" for k, v in sorted(best.items()))


# -- MILES -> templates ------------------------------------------------------------


def miles_data(home, quick):
    """The class problems (3 setups), the subclass one (setup 0), per-row subclass numbers,
    SpT names and whether the star is a supergiant (luminosity class I, Ia, Iab, Ib)."""
    from transfer_tasks import _type_number, miles_sdss

    from spectra_sklearn.datasets import fetch_miles, fetch_sdss_templates

    setups = miles_sdss(home, quick)[:3]
    sub = miles_sdss(home, quick, subclass=True)[0]
    miles = fetch_miles(target="mk_class", data_home=home)
    templates = fetch_sdss_templates(template_set="all", data_home=home)
    in_mk = np.isin(miles.target, MK)
    in_mk_t = np.isin(templates.target_class, MK)
    subclass = np.concatenate([miles.frame["mk_subclass"][in_mk],
                               templates.frame["mk_subclass"][in_mk_t]]).astype(str)
    names = np.concatenate([miles.frame["sptype"][in_mk],
                            templates.frame["sdss_subclass"][in_mk_t]]).astype(str)
    if len(subclass) != len(setups[0].y):
        raise RuntimeError("rows dropped by miles_sdss: subclass alignment lost")
    number = np.array([_type_number(s) for s in subclass])
    sg = np.concatenate([np.isin(miles.frame["lum_class"][in_mk], ["I", "Ia", "Iab", "Ib"]),
                         [bool(re.search(r"\d(Ia|Ib|I)(?![IV])", n)) for n in
                          templates.frame["sdss_subclass"][in_mk_t]]])
    return setups, sub, number, names, sg


def miles_setups(setups, quick):
    """The SVC and logistic-regression grids on each preprocessing setup."""
    rows = []
    for p in setups:
        X, y = p.X, p.y.astype(str)
        train, test = _split(p)
        cv = _folds(y, p.objects, train)
        for name in ("SVC (RBF)", "LogisticRegression"):
            s = _grid(*classifiers(X.shape[1], quick)[name], X, y, train, cv, "accuracy")
            rows.append((p.setup, name, _params(s.best_params_), s.best_score_,
                         accuracy_score(y[test], s.predict(X[test]))))
    best = max(rows, key=lambda r: r[3])
    _md(("setup", "model", "chosen by MILES CV", "in-survey CV acc.", "transfer acc."), rows,
        title="MILES -> templates: preprocessing setups (setup and model could be chosen by "
              f"the in-survey CV: {best[0]}, {best[1]} -> transfer {best[4]:.3f})")


def _split(problem):
    train = np.flatnonzero(np.isin(problem.survey, problem.train))
    test = np.flatnonzero(np.isin(problem.survey, problem.test))
    train = train[~np.isin(problem.objects[train], problem.objects[test])]
    return train, test


def classifiers(n_features, quick):
    g = np.array([0.25, 1.0, 4.0] if quick else [0.25, 0.5, 1.0, 2.0, 4.0]) / n_features
    scaler = ("scale", StandardScaler())
    return {
        "SVC (RBF)": (Pipeline([scaler, ("m", SVC())]), {
            "m__C": [1.0, 10.0, 100.0] if quick else [1.0, 3.0, 10.0, 30.0, 100.0, 300.0],
            "m__gamma": list(g), "m__class_weight": [None, "balanced"]}),
        "LogisticRegression": (Pipeline([scaler, ("m", LogisticRegression(max_iter=3000))]), {
            "m__C": [0.01, 1.0] if quick else [0.001, 0.01, 0.1, 1.0, 10.0]}),
        "PCA + SVC": (Pipeline([scaler, ("pca", PCA(random_state=0)), ("m", SVC())]), {
            "pca__n_components": [10, 40] if quick else [10, 20, 40, 80, 160],
            "m__C": [1.0, 10.0, 100.0]}),
        "k-NN": (Pipeline([scaler, ("m", KNeighborsClassifier())]), {
            "scale": [StandardScaler(), "passthrough"],
            "m__n_neighbors": [1, 3, 5, 9, 15], "m__weights": ["uniform", "distance"]}),
    }


def regressors(n_features, quick):
    g = np.array([0.5, 1.0, 2.0] if quick else [0.25, 0.5, 1.0, 2.0, 4.0]) / n_features
    scaler = ("scale", StandardScaler())
    return {
        "SVR (RBF)": (Pipeline([scaler, ("m", SVR())]), {
            "m__C": [3.0, 30.0] if quick else [1.0, 3.0, 10.0, 30.0, 100.0, 300.0],
            "m__gamma": list(g), "m__epsilon": [0.1, 1.0] if quick else [0.1, 0.5, 1.0]}),
        # standardised target: the RBF kernel ridge has no intercept
        "KernelRidge (RBF)": (TransformedTargetRegressor(
            Pipeline([scaler, ("m", KernelRidge(kernel="rbf"))]), transformer=StandardScaler()), {
            "regressor__m__alpha": [0.01, 0.1] if quick else [0.001, 0.01, 0.1, 1.0],
            "regressor__m__gamma": list(g)}),
    }


def _to_class(subclass_number):
    """Class of a (predicted) subclass number: boundaries half-way, O below 9.5, M above."""
    k = np.clip(np.floor((np.asarray(subclass_number) + 0.5) / 10), 0, 6).astype(int)
    return np.array(MK)[k]


def _class_distance(number, predicted):
    """Subclasses from the true subclass number to the predicted class's range."""
    lo = 10.0 * np.array([MK.index(p) for p in predicted])
    hi = lo + 9.0
    return np.maximum(0, np.maximum(lo - number, number - hi))


def _boundary_distance(number):
    """Subclasses from the true subclass to the nearest other class (inner boundaries)."""
    digit = np.mod(number, 10)
    k = np.floor(number / 10)
    to_next = np.where(k < 6, 10 - digit, np.inf)  # K9 -> M0 is 1
    to_prev = np.where(k > 0, digit + 1, np.inf)   # A0 -> B9 is 1
    return np.where(np.isnan(number), np.nan, np.minimum(to_next, to_prev))


def _noise_ceiling(number, sigma):
    """Accuracy of the true subclass seen through N(0, sigma) label noise."""
    k = np.floor(number / 10)
    lo = np.where(k > 0, 10 * k - 0.5, -np.inf)
    hi = np.where(k < 6, 10 * k + 9.5, np.inf)
    return float(np.mean(norm.cdf((hi - number) / sigma) - norm.cdf((lo - number) / sigma)))


def _grid(model, grid, X, y, train, cv, scoring):
    search = GridSearchCV(model, grid, cv=cv, scoring=scoring, n_jobs=1, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X[train], y[train])
    return search


def _cv_fixed(model, X, y, train, cv, regression=False):
    scores = []
    for a, b in cv:
        pred = clone(model).fit(X[train[a]], y[train[a]]).predict(X[train[b]])
        scores.append(mean_absolute_error(y[train[b]], pred) if regression
                      else accuracy_score(y[train[b]], pred))
    return float(np.mean(scores))


def miles_models(cls, sub, number, quick, cnn, grids=True):
    X, y = cls.X, cls.y.astype(str)
    train, test = _split(cls)
    cv = _folds(y, cls.objects, train)
    rows, preds = [], {}
    base = Pipeline([("scale", StandardScaler()), ("m", SVC(C=10.0))])
    t0 = time.perf_counter()
    base_fit = clone(base).fit(X[train], y[train])
    preds["untuned SVC(C=10)"] = base_fit.predict(X[test])
    rows.append(("untuned SVC(C=10) (bench_transfer)", "C=10, gamma=scale",
                 _cv_fixed(base, X, y, train, cv), accuracy_score(y[test], preds[
                     "untuned SVC(C=10)"]), f1_score(y[test], preds["untuned SVC(C=10)"],
                                                     average="macro"),
                 f"{time.perf_counter() - t0:.0f}"))
    best_name, best_cv = None, -1.0
    for name, (model, grid) in (classifiers(X.shape[1], quick) if grids else {}).items():
        t0 = time.perf_counter()
        s = _grid(model, grid, X, y, train, cv, "accuracy")
        pred = s.predict(X[test])
        preds[name] = pred
        rows.append((name, _params(s.best_params_), s.best_score_,
                     accuracy_score(y[test], pred), f1_score(y[test], pred, average="macro"),
                     f"{time.perf_counter() - t0:.0f}"))
        print(f"  {rows[-1]}", flush=True)
        if s.best_score_ > best_cv:
            best_name, best_cv = name, s.best_score_
    if cnn:
        t0 = time.perf_counter()
        Xf = X.astype(np.float32)
        from spectra_sklearn.nn import SpectrumCNNClassifier

        model = SpectrumCNNClassifier(random_state=0, n_threads=1)  # the defaults
        cv_score = _cv_fixed(model, Xf, y, train, cv)
        pred = clone(model).fit(Xf[train], y[train]).predict(Xf[test])
        preds["CNN"] = pred
        rows.append(("SpectrumCNNClassifier (defaults)", "30 epochs, no grid", cv_score,
                     accuracy_score(y[test], pred), f1_score(y[test], pred, average="macro"),
                     f"{time.perf_counter() - t0:.0f}"))
        print(f"  {rows[-1]}", flush=True)
    _md(("model", "chosen by MILES CV", "in-survey CV acc.", "transfer acc.", "macro-F1", "s"),
        rows, title=f"MILES -> SDSS templates, MK class ({len(train)} MILES, {len(test)} "
                    "templates; params chosen by in-survey CV only)")

    # subclass regression
    Xs, ys = sub.X, sub.y.astype(float)
    tr_s, te_s = _split(sub)
    strata = np.round(ys / 10)
    cv_s = _folds(strata, sub.objects, tr_s)
    rrows, sub_pred = [], {}
    base_r = Pipeline([("scale", StandardScaler()), ("m", SVR(C=10.0))])
    pred = clone(base_r).fit(Xs[tr_s], ys[tr_s]).predict(Xs[te_s])
    sub_pred["untuned SVR"] = pred
    rrows.append(("untuned SVR(C=10) (bench_transfer)", "C=10",
                  _cv_fixed(base_r, Xs, ys, tr_s, cv_s, regression=True),
                  mean_absolute_error(ys[te_s], pred), np.mean(np.abs(pred - ys[te_s]) <= 1),
                  accuracy_score(_to_class(ys[te_s]), _to_class(pred))))
    regs = regressors(Xs.shape[1], quick) if grids else {}
    if cnn:
        regs["SpectrumCNNRegressor (defaults)"] = None
    for name, spec in regs.items():
        t0 = time.perf_counter()
        if spec is None:
            Xf = Xs.astype(np.float32)
            from spectra_sklearn.nn import SpectrumCNNRegressor

            model = SpectrumCNNRegressor(random_state=0, n_threads=1)  # the defaults
            cv_mae = _cv_fixed(model, Xf, ys, tr_s, cv_s, regression=True)
            pred = clone(model).fit(Xf[tr_s], ys[tr_s]).predict(Xf[te_s])
            chosen = "30 epochs, no grid"
        else:
            s = _grid(*spec, Xs, ys, tr_s, cv_s, "neg_mean_absolute_error")
            pred, cv_mae, chosen = s.predict(Xs[te_s]), -s.best_score_, _params(s.best_params_)
        sub_pred[name] = pred
        rrows.append((name, chosen, cv_mae, mean_absolute_error(ys[te_s], pred),
                      np.mean(np.abs(pred - ys[te_s]) <= 1),
                      accuracy_score(_to_class(ys[te_s]), _to_class(pred))))
        print(f"  {rrows[-1]} {time.perf_counter() - t0:.0f} s", flush=True)
    _md(("model", "chosen by MILES CV", "in-survey CV MAE", "transfer MAE", "within ±1",
         "class from subclass"), rrows,
        title=f"MILES -> SDSS templates, subclass (O0=0 ... M9=69; {len(tr_s)} MILES, "
              f"{len(te_s)} templates with a numeric subclass)")
    return train, test, preds, best_name, sub, te_s, sub_pred


def miles_errors(cls, number, names, sg, train, test, preds, best_name, sub, te_s, sub_pred):
    y = cls.y.astype(str)
    # the SVR's predicted subclass of each template (NaN where it has no numeric subclass)
    svr = np.full(len(test), np.nan)
    if np.isfinite(number[test]).sum() == len(te_s):  # same templates, same order
        svr[np.isfinite(number[test])] = sub_pred["SVR (RBF)"]
    keys = ["untuned SVC(C=10)", best_name]
    wrong = np.zeros(len(test), bool)
    for k in keys:
        wrong |= preds[k] != y[test]
    table = []
    for i in np.flatnonzero(wrong):
        r = test[i]
        d = [_class_distance(np.array([number[r]]), [preds[k][i]])[0] for k in keys]
        table.append((names[r], y[r], "-" if np.isnan(number[r]) else f"{number[r]:g}",
                      *(f"{preds[k][i]} ({dd:g})" for k, dd in zip(keys, d)),
                      "-" if np.isnan(svr[i]) else f"{svr[i]:.1f}"))
    table.sort(key=lambda t: float(t[2]) if t[2] != "-" else -1)
    _md(("template (SDSS name)", "class", "subclass no.", f"{keys[0]} (dist.)",
         f"{keys[1]} (dist.)", "SVR subclass"), table,
        title="Transfer errors: predicted class (distance in subclasses from the true "
              "subclass to the predicted class)")
    summary = []
    num_t = number[test]
    has = np.isfinite(num_t)
    for k in keys:
        w = preds[k] != y[test]
        d = _class_distance(num_t[w & has], preds[k][w & has])
        summary.append((f"transfer, {k}", int(w.sum()), int((w & ~has).sum()),
                        int((d <= 1).sum()), int((d <= 2).sum()), int((d > 2).sum())))
    # in-survey out-of-fold errors of the chosen model's family (untuned SVC, fixed folds)
    base = Pipeline([("scale", StandardScaler()), ("m", SVC(C=10.0))])
    cv = _folds(y, cls.objects, train)
    oof = np.empty(len(train), dtype=object)
    covered = np.zeros(len(train), bool)
    for a, b in cv:
        oof[b] = clone(base).fit(cls.X[train[a]], y[train[a]]).predict(cls.X[train[b]])
        covered[b] = True
    oof_y, oof_p, oof_n = y[train][covered], oof[covered].astype(str), number[train][covered]
    w = oof_p != oof_y
    hw = w & np.isfinite(oof_n)
    d = _class_distance(oof_n[hw], oof_p[hw])
    summary.append(("MILES out-of-fold, untuned SVC", int(w.sum()), int((w & ~np.isfinite(
        oof_n)).sum()), int((d <= 1).sum()), int((d <= 2).sum()), int((d > 2).sum())))
    _md(("errors of", "n errors", "no numeric subclass", "within 1 subclass of the "
         "predicted class", "within 2", "further"), summary,
        title="Where the MK-class errors sit")
    # accuracy by how close the true subclass is to another class
    bt, bm = _boundary_distance(num_t), _boundary_distance(oof_n)
    w_t = {k: preds[k] != y[test] for k in keys}
    buckets = [("1 (e.g. B9, A0, F9)", lambda d: d <= 1), ("2 (e.g. B8, A1)", lambda d: d == 2),
               ("> 2", lambda d: d > 2), ("no numeric subclass", np.isnan)]
    table = []
    for label, sel in buckets:
        mt, mm = sel(bt), sel(bm)
        table.append((label, f"{int(mt.sum())} ({np.mean(mt):.2f})",
                      *(f"{int((w & mt).sum())}" for w in w_t.values()),
                      f"{int(mm.sum())} ({np.mean(mm):.2f})", f"{int((w & mm).sum())}"))
    _md(("subclasses to another class", "templates (share)", *(f"errors {k}" for k in keys),
         "MILES out-of-fold rows (share)", "errors untuned SVC"), table,
        title="Errors by distance of the true subclass to another class")
    print("supergiants (luminosity class I, Ia, Iab, Ib): "
          f"{int(sg[train].sum())} of the {len(train)} MILES training rows, "
          f"{int(sg[test].sum())} of the {len(test)} templates; " + "; ".join(
              f"{k}: {int((w & sg[test]).sum())} errors on them, {int((w & ~sg[test]).sum())} "
              "on the rest" for k, w in w_t.items()))
    for k in keys:
        d = _class_distance(num_t, preds[k])
        for m in (1, 2):
            ok = (preds[k] == y[test]) | (d <= m)
            print(f"{k}: transfer accuracy counting errors within {m} subclass(es) of the "
                  f"predicted class as right: {np.mean(ok):.3f}")
    bm_all = np.isfinite(number[train])
    ceil = [(f"{s:g}", _noise_ceiling(num_t[has], s),
             _noise_ceiling(number[train][bm_all], s))
            for s in (0.5, 1.0, 1.5, 2.0)]
    _md(("label noise sigma (subclasses)", "templates: accuracy of a perfect subclass model",
         "MILES: same"), ceil, title="Label-noise ceiling: true subclass seen through "
                                     "N(0, sigma) (boundaries half-way between subclasses)")
    sp = names[train]
    marks = [("':' (uncertain)", int(np.sum([":" in s for s in sp]))),
             ("'/' (range, e.g. G8/K0)", int(np.sum(["/" in s for s in sp]))),
             ("no numeric subclass", int(np.sum(~np.isfinite(number[train])))),
             ("MILES training rows", len(train))]
    _md(("MILES SpT string", "n"), marks, title="MILES literature types in the training set")


# -- SpeX ------------------------------------------------------------------------------


def spex_data(home, quick):
    from transfer_tasks import spex_features, spex_letters_agree

    from spectra_sklearn.datasets import fetch_spex_prism

    spex = fetch_spex_prism(data_home=home)
    keep = np.isin(spex.target_class, ["M", "L", "T"])
    X = spex_features(spex)[keep]
    y = spex.target_class[keep].astype(str)
    groups = np.asarray(spex.groups)[keep]
    sptype = np.asarray(spex.frame["SPEX_TYPE"])[keep].astype(str)
    index = np.asarray(spex.frame["spectral_index"], dtype=float)[keep]
    agree = spex_letters_agree(groups, y, home)
    if quick:
        r = np.random.default_rng(0).choice(len(y), 500, replace=False)
        X, y, groups, sptype, index, agree = (a[r] for a in (X, y, groups, sptype, index, agree))
    return X, y, groups, sptype, index, agree


def _letter_distance(index):
    """Subtypes to the other letter: M9 (9) and L0 (10) are 1, L9 (19) and T0 (20) are 1."""
    return np.minimum(np.abs(index - 9.5), np.abs(index - 19.5)) + 0.5


def _subtype_index(spectral_type):
    """'M9.5' -> 9.5, 'L0:' -> 10, 'sdT2' -> 22 (M0 = 0, L0 = 10, T0 = 20); NaN if none."""
    m = re.match(r"\s*(?:sd|esd|usd|d)?([MLT])\s*(\d+(?:\.\d+)?)", str(spectral_type))
    return 10.0 * "MLT".index(m.group(1)) + float(m.group(2)) if m else np.nan


def spex_catalogues(y, groups, index, agree, wrong, home):
    """Error rates by distance to a letter boundary; how often catalogues disagree there."""
    from transfer_tasks import _letter

    from spectra_sklearn.datasets import get_data_home

    path = get_data_home(home) / "spex_prism" / "metadata" / "sources.csv"
    with open(path, newline="", encoding="utf-8") as f:
        src = {int(r["SOURCE_KEY"]): r for r in csv.DictReader(f) if r["SOURCE_KEY"].strip()}
    get = [src.get(int(k), {}) for k in groups]
    opt = np.array([_subtype_index(r.get("OPT_TYPE", "")) for r in get])
    nir = np.array([_subtype_index(r.get("NIR_TYPE", "")) for r in get])
    nir_spl = np.array([r.get("NIR_TYPE_REF", "") == "SPL" for r in get])
    other = np.array([_letter(r.get("OPT_TYPE", "")) or _letter(r.get("NIR_TYPE", ""))
                      or _letter(r.get("LIT_TYPE", "")) for r in get]) != ""
    d = _letter_distance(index)
    rows = []
    for label, sel in (("1 (M9, L0, L9, T0)", d <= 1), ("2 (M8, L1, L8, T1)", d == 2),
                       ("> 2", d > 2)):
        a = sel & agree
        rows.append((label, int(a.sum()), int((wrong & a).sum()),
                     float(np.mean(wrong[a])) if a.any() else np.nan, int((sel & other).sum()),
                     float(np.mean(~agree[sel & other])) if (sel & other).any() else np.nan))
    _md(("subtypes to the other letter (SPEX_TYPE)", "agreeing spectra", "SVC errors",
         "error rate", "spectra with another catalogue type", "share whose catalogue "
         "letters disagree"), rows, title="SpeX: error rate and catalogue disagreement by "
                                          "distance to a letter boundary")
    both = np.isfinite(opt) & np.isfinite(index)
    dif = np.abs(index[both] - opt[both])
    near = both & (d <= 1)
    print(f"\nSPEX_TYPE vs OPT_TYPE subtype, {int(both.sum())} spectra with both: median "
          f"|diff| {np.median(dif):.1f}, share |diff| >= 1: {np.mean(dif >= 1):.3f}, >= 2: "
          f"{np.mean(dif >= 2):.3f}; of those within 1 subtype of a boundary ({int(near.sum())}):"
          f" |diff| >= 1 {np.mean(np.abs(index[near] - opt[near]) >= 1):.3f}")
    bn = np.isfinite(nir) & np.isfinite(index) & ~nir_spl
    print(f"SPEX_TYPE vs NIR_TYPE (NIR_TYPE_REF not 'SPL'), {int(bn.sum())} spectra: share "
          f"|diff| >= 1: {np.mean(np.abs(index[bn] - nir[bn]) >= 1):.3f}; NIR_TYPE_REF = 'SPL'"
          f" (the SpeX library itself) for {int(nir_spl[agree].sum())} of the "
          f"{int(agree.sum())} agreeing spectra")



def _nested(model, grid, X, y, groups, rows, inner=3):
    """Out-of-fold predictions on ``rows`` with the grid chosen inside each outer fold."""
    pred = np.empty(len(rows), dtype=object)
    chosen = []
    outer = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    for a, b in outer.split(rows, y[rows], groups[rows]):
        ra = rows[a]
        cv = StratifiedGroupKFold(n_splits=inner, shuffle=True, random_state=1)
        s = GridSearchCV(model, grid, cv=list(cv.split(ra, y[ra], groups[ra])), n_jobs=1)
        s.fit(X[ra], y[ra])
        pred[b] = s.predict(X[rows[b]])
        chosen.append(_params(s.best_params_))
    return pred.astype(str), chosen


def spex_study(X, y, groups, sptype, index, agree, quick, home):
    from transfer_extras import _oof

    base = Pipeline([("scale", StandardScaler()), ("m", SVC(C=10.0, gamma="scale"))])
    pred = _oof(base, X, y, groups)
    wrong = pred != y
    wa = wrong & agree
    d_err = _letter_distance(index[wa])
    d_all = _letter_distance(index[agree])
    na = int(agree.sum())
    print(f"\nSpeX: {len(y)} M/L/T spectra, {na} with agreeing letters; untuned SVC "
          f"out-of-fold accuracy on agreeing {1 - wa.sum() / na:.3f} ({int(wa.sum())} errors; "
          f"0.99 allows {int(np.floor(0.01 * na))})")
    table = []
    for t in np.unique(sptype[wa]):
        m = wa & (sptype == t)
        table.append((t, int(m.sum()), ", ".join(f"{p}" for p in np.unique(pred[m])),
                      f"{_letter_distance(index[m])[0]:g}"))
    table.sort(key=lambda r: float(index[wa][sptype[wa] == r[0]][0]))
    _md(("SPEX_TYPE (true)", "errors", "predicted", "subtypes to the other letter"), table,
        title="SpeX agreeing labels: out-of-fold errors of SVC(C=10)")
    _md(("", "n", "within 1 subtype of M/L or L/T", "within 2", "further"),
        [("errors on agreeing", int(wa.sum()), int((d_err <= 1).sum()),
          int((d_err <= 2).sum()), int((d_err > 2).sum())),
         ("all agreeing spectra", na, f"{int((d_all <= 1).sum())} "
          f"({np.mean(d_all <= 1):.3f})", f"{int((d_all <= 2).sum())} ({np.mean(d_all <= 2):.3f})",
          int((d_all > 2).sum()))],
        title="SpeX: errors and spectra next to a letter boundary")
    unc = np.char.find(sptype.astype(str), ":") >= 0
    print(f"\nSPEX_TYPE with ':' (uncertain): {int(unc[agree].sum())} of the agreeing, "
          f"{int((unc & wa).sum())} of their errors")
    kept = np.mean(~wa[agree] | (_letter_distance(index[agree]) <= 1))
    print(f"accuracy on agreeing counting the errors within 1 subtype of a boundary as "
          f"right: {kept:.3f}")
    spex_catalogues(y, groups, index, agree, wrong, home)
    n = X.shape[1]
    grid = {"m__C": [1.0, 10.0, 100.0] if not quick else [10.0],
            "m__gamma": [0.5 / n, 1.0 / n, 2.0 / n] if not quick else [1.0 / n],
            "m__class_weight": [None, "balanced"]}
    model = Pipeline([("scale", StandardScaler()), ("m", SVC())])
    rows = []
    t0 = time.perf_counter()
    all_rows = np.arange(len(y))
    p_all, ch_all = _nested(model, grid, X, y, groups, all_rows)
    rows.append(("grid SVC, trained on all", float(np.mean(p_all == y)),
                 float(np.mean(p_all[agree] == y[agree])), "; ".join(sorted(set(ch_all)))))
    ag = np.flatnonzero(agree)
    p_ag, ch_ag = _nested(model, grid, X, y, groups, ag)
    rows.append(("grid SVC, trained on agreeing only", "-", float(np.mean(p_ag == y[ag])),
                 "; ".join(sorted(set(ch_ag)))))
    rows.insert(0, ("untuned SVC(C=10), trained on all", float(np.mean(~wrong)),
                    float(np.mean(~wrong[agree])), "C=10, gamma=scale"))
    _md(("model (5-fold by object; grid chosen by inner 3-fold)", "acc. all",
         "acc. agreeing", "chosen in the outer folds"), rows,
        title=f"SpeX letter, nested CV ({time.perf_counter() - t0:.0f} s)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cnn", action="store_true", help="also the default CNNs (slow)")
    parser.add_argument("--cnn-only", action="store_true",
                        help="MILES: only the untuned SVC/SVR and the CNNs (no grids, no errors)")
    parser.add_argument("--parts", default="miles,spex", help="comma-separated: miles, spex")
    args = parser.parse_args(argv)
    home = data_home(args.data_home)
    parts = args.parts.split(",")
    t0 = time.perf_counter()
    if "miles" in parts:
        setups, sub, number, names, sg = miles_data(home, args.quick)
        if args.quick:  # half of MILES
            m = np.flatnonzero(setups[0].survey == "MILES")
            keep = np.setdiff1d(np.arange(len(number)), np.random.default_rng(0).choice(
                m, len(m) // 2, replace=False))
            kept = setups[0].objects[keep]
            for p in setups:  # the same stars in every setup
                r = (p.survey != "MILES") | np.isin(p.objects, kept)
                for k in ("X", "y", "survey", "objects"):
                    setattr(p, k, getattr(p, k)[r])
            number, names, sg = number[keep], names[keep], sg[keep]
        res = miles_models(setups[0], sub, number, args.quick, args.cnn or args.cnn_only,
                           grids=not args.cnn_only)
        if not args.cnn_only:
            miles_errors(setups[0], number, names, sg, *res)
            miles_setups(setups, args.quick)
    if "spex" in parts and not args.cnn_only:
        spex_study(*spex_data(home, args.quick), args.quick, home)
    print(f"\n[{time.perf_counter() - t0:.0f} s{'; QUICK: not results' if args.quick else ''}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
