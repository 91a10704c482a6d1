"""The ``spectra-sklearn`` command line.

``spectra-sklearn demo`` cross-validates the reader -> resampler -> continuum
normaliser -> CNN pipeline on the SpeX sample embedded in the package;
``spectra-sklearn evaluate {spex,smass2}`` does the same on a full dataset read
from the data home.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

__all__ = ["main"]

_DATASETS = ("spex", "smass2")


def _common_options(parser):
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where predictions.csv and confusion_matrix.png go "
                             "(default: ./<command>_output)")
    parser.add_argument("--model", choices=("cnn", "svc"), default="cnn",
                        help="final estimator: the 1-D CNN or an RBF SVC (default: cnn)")
    parser.add_argument("--n-splits", type=int, default=5,
                        help="cross-validation folds (default: 5)")
    parser.add_argument("--random-state", type=int, default=0,
                        help="seed for folds and training (default: 0)")
    parser.add_argument("--max-epochs", type=int, default=40,
                        help="CNN training epochs (default: 40)")
    parser.add_argument("--n-threads", type=int, default=1,
                        help="torch threads (default: 1, fastest on small machines)")
    parser.add_argument("--force", action="store_true",
                        help="overwrite predictions.csv / confusion_matrix.png if they "
                             "exist in the output directory")


def _parser():
    parser = argparse.ArgumentParser(
        prog="spectra-sklearn",
        description="Classify astronomical spectra with scikit-learn pipelines.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="cross-validate the CNN pipeline on the embedded SpeX sample (M/L/T)",
        description="Reader -> resampler -> continuum normaliser -> CNN on the SpeX "
                    "sample shipped with the package; group-aware stratified CV.",
    )
    _common_options(demo)
    evaluate = sub.add_parser(
        "evaluate",
        help="cross-validate on a full dataset from the data home",
        description="spex: SpeX Prism Library, letter class M/L/T, groups = SOURCE_KEY. "
                    "smass2: SMASSII asteroids, main group C/S/X/Other from the Bus "
                    "class (Bus & Binzel 2002), groups = asteroid.",
    )
    evaluate.add_argument("dataset", choices=_DATASETS)
    evaluate.add_argument("--data-home", type=Path, default=None,
                          help="folder laid out like the shared data "
                               "(default: $SPECTRA_SKLEARN_DATA or ~/spectra_sklearn_data)")
    evaluate.add_argument("--no-download", action="store_true",
                          help="fail instead of downloading missing files")
    _common_options(evaluate)
    return parser


def _load(args):
    """Return (title, X, y, groups, names, class order, pipeline builder)."""
    from .. import datasets
    from ._pipelines import make_smass2_pipeline, make_spex_pipeline

    if args.command == "demo":
        bunch = datasets.load_spex_sample()
        title = "SpeX sample (embedded), letter class"
    elif args.dataset == "spex":
        bunch = datasets.fetch_spex_prism(
            data_home=args.data_home, download_if_missing=not args.no_download
        )
        title = "SpeX Prism Library, letter class"
    else:
        bunch = datasets.fetch_smass2(
            data_home=args.data_home, download_if_missing=not args.no_download
        )
        names = [str(g) for g in bunch.groups]
        return ("SMASSII, main group C/S/X/Other", bunch.data,
                np.asarray(bunch.target_main_group), bunch.groups, names,
                ["C", "S", "X", "Other"], make_smass2_pipeline)
    y = np.asarray(bunch.target_class)
    names = [Path(f).name for f in bunch.filenames]
    # the spectral sequence, not the alphabet
    return (title, list(bunch.filenames), y, bunch.groups, names, ["M", "L", "T"],
            make_spex_pipeline)


def _run(args):
    from ._cross_validation import OUTPUT_FILES, cross_validate_grouped, write_outputs

    output_dir = args.output_dir or Path(f"{args.command}_output")
    existing = [output_dir / name for name in OUTPUT_FILES if (output_dir / name).exists()]
    if existing and not args.force:
        raise FileExistsError(
            f"{', '.join(map(str, existing))} already exist(s); pass --force to overwrite, "
            "or choose another --output-dir"
        )
    start = time.perf_counter()
    title, X, y, groups, names, class_order, make_pipeline = _load(args)
    pipeline = make_pipeline(model=args.model, random_state=args.random_state,
                             n_threads=args.n_threads, max_epochs=args.max_epochs)
    counts = {c: int(np.sum(y == c)) for c in class_order}
    print(f"{title}: {len(y)} spectra of {len(np.unique(groups))} objects; "
          + ", ".join(f"{c} {n}" for c, n in counts.items()))
    print("pipeline: " + " -> ".join(type(step).__name__ for _, step in pipeline.steps))
    print(f"cross-validation: {args.n_splits}-fold StratifiedGroupKFold "
          "(no object in both train and test)")
    result = cross_validate_grouped(
        pipeline, X, y, groups, names=names, classes=class_order,
        n_splits=args.n_splits, random_state=args.random_state,
    )
    acc, acc_std = result.accuracy
    f1, f1_std = result.f1_weighted
    print(f"accuracy: {acc:.3f} ± {acc_std:.3f}   weighted F1: {f1:.3f} ± {f1_std:.3f}")
    for path in write_outputs(result, output_dir, title=title):
        print(f"wrote {path}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


def main(argv=None):
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name (``sys.argv[1:]`` when None).
    """
    args = _parser().parse_args(argv)
    if args.n_splits < 2:
        print("spectra-sklearn: error: --n-splits must be at least 2", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", str(args.n_threads))
    try:
        return _run(args)
    except (OSError, ValueError) as exc:
        print(f"spectra-sklearn: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
