"""Transfer across surveys: train on one survey, test on another (issue 16).

One command::

    python benchmarks/bench_transfer.py --data-home ../shared/data

For every task (``--tasks``, default all; see ``transfer_tasks.py``) and
every preprocessing setup, the spectra of both surveys are put on one grid,
:class:`~spectra_sklearn.model_selection.CrossSurveySplit` gives the training
and the test survey, and any object of the test survey is removed from the
training set. The model (``--model``; default an RBF
:class:`~sklearn.svm.SVC`, ``C=10``, on standardised pixels: fast on two
shared cores) is scored:

- **transfer**: accuracy and macro-F1 on the other survey (MAE for the
  subclass regression);
- **in-survey**: 5-fold :class:`~sklearn.model_selection.StratifiedGroupKFold`
  (by object) accuracy of the same model within the training survey(s);
- **ceiling**: where the two catalogues share objects, how often their own
  labels agree;
- **probabilities**: the SVC's decision values tempered into probabilities by
  :class:`~spectra_sklearn.calibration.TemperatureScaledClassifier` (group
  3-fold), expected calibration error (15 bins) in-survey and across;
- **conformal prediction sets** by MAPIE's
  :class:`~mapie.classification.SplitConformalClassifier` at 90 %
  confidence (LAC score), conformalised on in-survey spectra: empirical
  coverage and mean set size on held-out in-survey objects and on the other
  survey. The training survey is split by object 60/20/20 into fit,
  conformalise and in-survey test parts; the numbers are the mean of 3 such
  random splits.

Augmentation (issue 16, item 2): the setups named ``"<setup> + aug <piece>"``,
``"<setup> + TTA"`` and ``"<setup> + aug all + TTA"`` (Mahlke leave-one-survey-
out on ``all pixels (edge-filled)``, MILES -> SDSS templates on ``5 Å FWHM,
median 1``; pieces in ``transfer_tasks.MAHLKE_PIECES`` / ``MILES_PIECES``) wrap
the same model in
:class:`~spectra_sklearn.preprocessing.AugmentedTrainingClassifier` (2 copies of
the training spectra by one
:class:`~spectra_sklearn.preprocessing.InstrumentAugmenter` piece; TTA: 4 mild
test-time copies averaged), with masked pixels filled as the data sets fill
theirs. ``--setups`` takes names separated by ``;``. Conformal rows are not
computed for them.

Leave-one-survey-out tasks report the mean over held-out surveys (as the
baseline did) and, in the CSV, each survey; their ceiling is, per held-out
survey, the agreement of its labels with the training surveys' labels of the
same objects (mean over the surveys; n summed). The Mahlke tasks add the
albedo setups (``+ log10 pV``, ``log10 pV only``: the table's pV with a
missing indicator; a median ``SimpleImputer`` fitted on the training rows
precedes the model wherever ``X`` has NaN) and the accuracy on the held-out
spectra with a pV (column *on subset*). ``--models hgb``: scikit-learn's
``HistGradientBoostingClassifier``. ``--calibration`` adds the
neural rows: :class:`~spectra_sklearn.nn.SpectrumCNNClassifier` on the SpeX
letter and SMASSII main groups, ECE before and after temperature scaling,
and MAPIE coverage. ``--labels`` adds the trustworthy-label study.

Prints a table; writes ``--output`` (CSV, default ``transfer_results.csv``).
``--quick`` subsamples the surveys and shortens everything, to check the
plumbing: its numbers are not results.
"""

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import data_home, print_table, single_thread  # noqa: E402

single_thread()

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error  # noqa: E402
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

from spectra_sklearn.calibration import (  # noqa: E402
    TemperatureScaledClassifier,
    expected_calibration_error,
)
from spectra_sklearn.model_selection import CrossSurveySplit  # noqa: E402

CONFIDENCE = 0.9
CONFORMAL_REPEATS = 3


def make_model(name):
    if name == "svc":
        return make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale"))
    if name == "svc-balanced":
        return make_pipeline(StandardScaler(), SVC(C=10.0, gamma="scale",
                                                   class_weight="balanced"))
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=3000))
    if name == "ensemble":  # soft vote of three calibrated, different models
        from sklearn.ensemble import VotingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.neighbors import KNeighborsClassifier

        return VotingClassifier([
            ("svc", TemperatureScaledClassifier(make_model("svc"), cv=3)),
            ("logreg", make_model("logreg")),
            ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(7, weights="distance"))),
        ], voting="soft")
    if name == "hgb":  # trees: no scaling; NaN would pass, the imputer fills it anyway
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=0)
    raise ValueError(f"unknown --model {name!r}")


def make_regressor():
    return make_pipeline(StandardScaler(), SVR(C=10.0))


def _split(problem):
    """Training and test rows: CrossSurveySplit, then no test object in training."""
    cv = CrossSurveySplit(train=list(problem.train), test=list(problem.test))
    train, test = next(cv.split(problem.X, groups=problem.survey.astype(str)))
    train = train[~np.isin(problem.objects[train], problem.objects[test])]
    return train, test


def _kfold(y, groups, n_splits, seed=0):
    """Stratified group folds; classes with fewer members than folds are left out."""
    labels, counts = np.unique(y, return_counts=True)
    rows = np.flatnonzero(np.isin(y, labels[counts >= n_splits]))
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return [(rows[a], rows[b]) for a, b in folds.split(rows, y[rows], groups[rows])]


def _conformal(model, X, y, objects, fit_rows, test_sets, seed=0):
    """MAPIE split conformal at 90 %: fit on 60 %, conformalise on 20 % (by object).

    Returns ``{name: (coverage, mean set size, ECE)}`` for each ``test_sets``
    entry (``"in-survey"`` is the remaining 20 %).
    """
    from mapie.classification import SplitConformalClassifier
    from mapie.metrics.classification import (
        classification_coverage_score,
        classification_mean_width_score,
    )

    outer = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    a, held = next(outer.split(fit_rows, groups=objects[fit_rows]))
    inner = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
    b, cal = next(inner.split(a, groups=objects[fit_rows[a]]))
    fit_part, cal_part = fit_rows[a[b]], fit_rows[a[cal]]
    test_sets = {"in-survey": fit_rows[held], **test_sets}
    calibrated = TemperatureScaledClassifier(
        model, cv=StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed))
    calibrated.fit(X[fit_part], y[fit_part], groups=objects[fit_part])
    classes = calibrated.classes_
    cal_part = cal_part[np.isin(y[cal_part], classes)]  # rare classes absent from fit_part
    mapie = SplitConformalClassifier(calibrated, confidence_level=CONFIDENCE, prefit=True)
    mapie.conformalize(X[cal_part], y[cal_part])
    out = {}
    for name, rows in test_sets.items():
        rows = rows[np.isin(y[rows], classes)]  # a class never trained on has no set
        _, sets = mapie.predict_set(X[rows])
        y_enc = np.searchsorted(classes, y[rows])
        proba = calibrated.predict_proba(X[rows])
        out[name] = (float(classification_coverage_score(y_enc, sets)[0]),
                     float(classification_mean_width_score(sets)[0]),
                     expected_calibration_error(y[rows], proba, labels=classes))
    return out


AUGMENT_SEED = 0  # --augment-seed


def _augmented_model(problem, model):
    """The model inside AugmentedTrainingClassifier, and X as spectra on the problem's grid."""
    from sklearn.pipeline import Pipeline

    from spectra_sklearn import SpectrumBatch
    from spectra_sklearn.preprocessing import (
        AugmentedTrainingClassifier,
        FluxPixels,
        MaskedPixelInterpolator,
    )

    X = SpectrumBatch.from_arrays(problem.wavelength, problem.X,
                                  wavelength_unit=problem.wavelength_unit,
                                  meta=[dict(problem.meta) for _ in range(len(problem.X))])
    # masked gaps and lost coverage are filled as the data sets fill theirs
    inner = Pipeline([("fill", MaskedPixelInterpolator()), ("pixels", FluxPixels()),
                      ("model", model)])
    return AugmentedTrainingClassifier(inner, random_state=AUGMENT_SEED, **problem.augment), X


_IN_SURVEY_CACHE = {}


def evaluate(problem, model_name, n_splits, conformal=True):
    X, y, objects = problem.X, problem.y, problem.objects
    train, test = _split(problem)
    row = {"task": problem.task, "setup": problem.setup, "part": problem.part,
           "model": model_name, "n_train": len(train), "n_test": len(test),
           "baseline": problem.baseline, "target": problem.target,
           "ceiling": problem.ceiling, "ceiling_n": problem.ceiling_n}
    row.update(problem.extra or {})
    regression = problem.kind == "regression"
    model = make_regressor() if regression else make_model(model_name)
    if np.isnan(X).any():  # catalogue columns (Mahlke's pV): median of the training rows
        from sklearn.impute import SimpleImputer

        model = make_pipeline(SimpleImputer(strategy="median"), model)
    if problem.augment is not None and not regression:
        model, X = _augmented_model(problem, model)
    cv_rows = train if problem.in_survey_rows is None else problem.in_survey_rows
    key = (problem.task, problem.setup, model_name, len(cv_rows))
    if key not in _IN_SURVEY_CACHE:
        scores = []
        strat = np.round(y[cv_rows].astype(float) / 10) if regression else y[cv_rows]
        for a, b in _kfold(strat, objects[cv_rows], n_splits):
            a, b = cv_rows[a], cv_rows[b]
            pred = clone(model).fit(X[a], y[a]).predict(X[b])
            scores.append(mean_absolute_error(y[b], pred) if regression
                          else accuracy_score(y[b], pred))
        _IN_SURVEY_CACHE[key] = float(np.mean(scores))
    row["in_survey"] = _IN_SURVEY_CACHE[key]
    fitted = clone(model).fit(X[train], y[train])
    pred = fitted.predict(X[test])
    if regression:
        row["transfer"] = mean_absolute_error(y[test], pred)
        row["within_1"] = float(np.mean(np.abs(pred - y[test]) <= 1))
        return row
    row["transfer"] = accuracy_score(y[test], pred)
    row["macro_f1"] = f1_score(y[test], pred, average="macro")
    for name, mask in (problem.subsets or {}).items():
        inside = mask[test]
        row[f"n_test_{name}"] = int(inside.sum())
        row[f"transfer_{name}"] = (accuracy_score(y[test][inside], pred[inside]) if inside.any()
                                   else float("nan"))
    if problem.disagree is not None:
        wrong = pred != y[test]
        dis = problem.disagree[test]
        row["errors_where_catalogues_disagree"] = (
            f"{int((wrong & dis).sum())}/{int(wrong.sum())} errors; "
            f"{int(dis.sum())} test rows disagree")
        row["transfer_on_agreeing"] = accuracy_score(y[test][~dis], pred[~dis])
    if conformal and model_name != "ensemble" and problem.augment is None:
        # mean over CONFORMAL_REPEATS random 60/20/20 splits by object: one split of
        # ~200 spectra moves the coverage by +-0.03
        runs = []
        for seed in range(CONFORMAL_REPEATS):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # MAPIE's small-set notes
                runs.append(_conformal(model, X, y, objects, train, {"transfer": test},
                                       seed=seed))
        for name in runs[0]:
            key = name.replace("-", "_")
            cov, size, ece = np.mean([r[name] for r in runs], axis=0)
            row[f"coverage_{key}"], row[f"set_size_{key}"] = float(cov), float(size)
            row[f"ece_{key}"] = float(ece)
    return row


def _aggregate(rows):
    """Mean over the parts (held-out surveys) of each (task, setup, model)."""
    groups = {}
    for r in rows:
        groups.setdefault((r["task"], r["setup"], r["model"]), []).append(r)
    out = []
    for rs in groups.values():
        agg = dict(rs[0])
        if len(rs) > 1:
            agg["part"] = f"mean over {len(rs)}"
            agg["n_test"] = sum(r["n_test"] for r in rs)
            agg["n_train"] = int(np.mean([r["n_train"] for r in rs]))
            for k in rs[0]:
                vals = [r.get(k) for r in rs]
                if all(isinstance(v, float) for v in vals):
                    agg[k] = float(np.nanmean(vals)) if not all(np.isnan(vals)) else np.nan
            agg["ceiling_n"] = sum(r["ceiling_n"] for r in rs)
            for k in rs[0]:
                if k.startswith("n_test_"):
                    agg[k] = sum(r[k] for r in rs)
            if "errors_where_catalogues_disagree" in agg:
                agg.pop("errors_where_catalogues_disagree")
        out.append(agg)
    return out


def _fmt(v, digits=3):
    if isinstance(v, float):
        return "-" if np.isnan(v) else f"{v:.{digits}f}"
    return str(v)


def print_rows(rows):
    headers = ("task", "setup", "model", "n test", "transfer", "macro-F1", "in-survey CV",
               "ceiling (n)", "baseline", "target", "cov. in/across", "set size in/across",
               "ECE in/across", "on subset (n)")
    table = []
    for r in rows:
        regression = "within_1" in r
        cov = ("-" if "coverage_in_survey" not in r else
               f"{r['coverage_in_survey']:.3f} / {r['coverage_transfer']:.3f}")
        size = ("-" if "set_size_in_survey" not in r else
                f"{r['set_size_in_survey']:.2f} / {r['set_size_transfer']:.2f}")
        ece = ("-" if "ece_in_survey" not in r else
               f"{r['ece_in_survey']:.3f} / {r['ece_transfer']:.3f}")
        subset = "; ".join(f"{k[7:]} {_fmt(r['transfer_' + k[7:]])} ({r[k]})" for k in r
                           if k.startswith("n_test_")) or "-"
        table.append((r["task"], r["setup"], r["model"], str(r["n_test"]),
                      _fmt(r["transfer"], 2 if regression else 3)
                      + (" MAE" if regression else ""),
                      _fmt(r.get("macro_f1", float("nan"))),
                      _fmt(r["in_survey"], 2 if regression else 3),
                      "-" if np.isnan(r["ceiling"]) else f"{r['ceiling']:.3f} ({r['ceiling_n']})",
                      r["baseline"], r["target"], cov, size, ece, subset))
    print_table(headers, table,
                title="Transfer across surveys (transfer = accuracy on the other survey)")


def write_csv(rows, path):
    import csv

    from spectra_sklearn.utils import atomic_write

    keys = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with atomic_write(path, mode="w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _fmt(v, 4) if isinstance(v, float) else v for k, v in r.items()})


def _subsample(problem, rng, per_survey=300):
    keep = []
    for s in np.unique(problem.survey.astype(str)):
        rows = np.flatnonzero(problem.survey.astype(str) == s)
        keep.append(rng.choice(rows, min(per_survey, len(rows)), replace=False))
    keep = np.sort(np.concatenate(keep))
    for name in ("X", "y", "survey", "objects"):
        setattr(problem, name, getattr(problem, name)[keep])
    if problem.disagree is not None:
        problem.disagree = problem.disagree[keep]
    if problem.subsets:  # a new dict: the setups of one part share theirs
        problem.subsets = {k: v[keep] for k, v in problem.subsets.items()}
    if problem.in_survey_rows is not None:
        problem.in_survey_rows = np.arange(len(keep))
    return problem


def main(argv=None):
    from transfer_tasks import TASKS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma-separated, from {','.join(TASKS)}")
    parser.add_argument("--models", default="svc",
                        help="comma-separated: svc, svc-balanced, logreg, ensemble, hgb")
    parser.add_argument("--setups", default=None,
                        help="semicolon-separated setup names to keep (default all; names "
                             "hold commas), e.g. 'all pixels (edge-filled);all pixels "
                             "(edge-filled) + aug slope'")
    parser.add_argument("--no-conformal", action="store_true")
    parser.add_argument("--calibration", action="store_true",
                        help="also the CNN calibration rows (SpeX letter, SMASSII)")
    parser.add_argument("--labels", action="store_true",
                        help="also the trustworthy-label study (SpeX, SMASSII)")
    parser.add_argument("--cnn-epochs", type=int, default=30)
    parser.add_argument("--augment-seed", type=int, default=0,
                        help="random_state of the augmented setups' copies")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default="transfer_results.csv")
    args = parser.parse_args(argv)
    global AUGMENT_SEED
    AUGMENT_SEED = args.augment_seed
    home = data_home(args.data_home)
    n_splits = 3 if args.quick else 5
    rng = np.random.default_rng(0)
    rows = []
    for task in args.tasks.split(","):
        if not task:
            continue
        if task not in TASKS:
            parser.error(f"unknown task {task!r}; choose from {', '.join(TASKS)}")
        t0 = time.perf_counter()
        problems = TASKS[task](home, args.quick)
        if args.setups:
            keep = [name.strip() for name in args.setups.split(";")]
            problems = [p for p in problems if p.setup in keep]
        for problem in problems:
            if args.quick:
                problem = _subsample(problem, rng)
            for model in args.models.split(","):
                row = evaluate(problem, model, n_splits, conformal=not args.no_conformal)
                row["seconds"] = round(time.perf_counter() - t0, 1)
                rows.append(row)
                subsets = "".join(f", {k[9:]} {v:.3f}" for k, v in row.items()
                                  if k.startswith("transfer_") and isinstance(v, float))
                print(f"  {task} | {problem.setup} | {problem.part} | {model}: transfer "
                      f"{row['transfer']:.3f}{subsets}, in-survey {row['in_survey']:.3f}",
                      flush=True)
    extra = []
    if args.calibration:
        from transfer_extras import calibration_rows

        extra += calibration_rows(home, quick=args.quick, epochs=args.cnn_epochs)
    if args.labels:
        from transfer_extras import label_rows

        extra += label_rows(home, quick=args.quick)
    summary = _aggregate(rows)
    if summary:
        print_rows(summary)
    if extra:
        from transfer_extras import print_extra

        print_extra(extra)
    if args.quick:
        print("[QUICK: subsampled surveys, not results]")
    for r in summary + rows + extra:  # results_table.py refuses quick rows
        r["quick"] = args.quick
    write_csv(summary + [r for r in rows if r["part"]] + extra, args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
