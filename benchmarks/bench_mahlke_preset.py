"""The ``mahlke2022`` preset with and without the albedo: grouped CV and leave-one-survey-out.

Mahlke et al. (2022, A&A 665, A26) define their 17 classes from the spectrum
*and* the visual albedo pV, and the preset
(:func:`spectra_sklearn.pipelines.make_asteroid_table_pipeline` with
``albedo_key='log10_albedo'``) gives the classifier both. This script
measures, for the preset's SVC and CNN, the spectrum-only pipeline
(``albedo_key=None``) against the preset:

* **grouped CV**: 5-fold ``StratifiedGroupKFold`` by asteroid (seed 0), the
  protocol of ``spectra-sklearn evaluate mahlke2022``;
* **leave-one-survey-out**: each source survey (``groups``, the
  ``ref_spectrum`` key) with >= 40 spectra held out in turn, every asteroid it
  observed removed from training; the mean over the 11 surveys.

The CNN of the albedo preset is ``SpectrumFusionClassifier`` with one
catalogue column (40 epochs, balanced class weights). Run from the
repository root (CNN: ~20 min on one core)::

    python benchmarks/bench_mahlke_preset.py --data-home ../shared/data [--models svc,cnn]
"""

import argparse
import sys
import time
import warnings

from common import data_home, print_table, single_thread

single_thread()

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict  # noqa: E402

from spectra_sklearn.datasets import fetch_mahlke2022  # noqa: E402
from spectra_sklearn.pipelines import make_asteroid_table_pipeline  # noqa: E402


def evaluate(pipeline, X, y, objects, survey, min_size=40):
    """(grouped 5-fold accuracy, mean leave-one-survey-out accuracy, n surveys)."""
    cv = StratifiedGroupKFold(5, shuffle=True, random_state=0)
    grouped = float(np.mean(cross_val_predict(pipeline, X, y, groups=objects, cv=cv) == y))
    scores = []
    for s in [s for s in np.unique(survey) if np.sum(survey == s) >= min_size]:
        test = survey == s
        train = ~test & ~np.isin(objects, objects[test])
        fitted = clone(pipeline).fit(X[np.flatnonzero(train)], y[train])
        scores.append(np.mean(fitted.predict(X[np.flatnonzero(test)]) == y[test]))
    return grouped, float(np.mean(scores)), len(scores)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-home", default=None)
    parser.add_argument("--models", default="svc,cnn", help="comma-separated: svc, cnn")
    parser.add_argument("--max-epochs", type=int, default=40)
    args = parser.parse_args(argv)
    bunch = fetch_mahlke2022(data_home=data_home(args.data_home))
    X, y = bunch.data, np.asarray(bunch.target)
    objects, survey = np.asarray(bunch.object_id), np.asarray(bunch.groups)
    rows = []
    for model in args.models.split(","):
        for key, label in ((None, "reflectance only"), ("log10_albedo", "reflectance + log10 pV")):
            pipeline = make_asteroid_table_pipeline(53, albedo_key=key)(
                model=model, max_epochs=args.max_epochs)
            start = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # undetermined-continuum and fold warnings
                grouped, loso, n = evaluate(pipeline, X, y, objects, survey)
            rows.append([model, label, pipeline.steps[-1][1].__class__.__name__, grouped,
                         loso, n, time.process_time() - start])
            print(f"  {model} | {label}: grouped {grouped:.3f}, LOSO {loso:.3f}", flush=True)
    print_table(["model", "input", "classifier", "grouped 5-fold accuracy",
                 "leave-one-survey-out (mean)", "surveys", "CPU s"], rows,
                title=f"Mahlke 2022, 17 classes, {len(y)} spectra")
    return 0


if __name__ == "__main__":
    sys.exit(main())
