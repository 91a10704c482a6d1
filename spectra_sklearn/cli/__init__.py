"""The ``spectra-sklearn`` command line.

- ``spectra-sklearn demo`` cross-validates the reader -> resampler -> continuum
  normaliser -> CNN pipeline on the SpeX sample embedded in the package;
- ``spectra-sklearn evaluate DATASET`` does the same on a dataset read from the
  data home;
- ``spectra-sklearn fit DATASET --model-file M`` (or ``fit --files-from T
  --preset P``) trains the pipeline on everything and saves it;
- ``spectra-sklearn predict M FILE ...`` classifies files in chunks into ``predictions.csv``
  (or ``.parquet`` / ``.sqlite``), resumably, on local processes or a Dask cluster;
- ``spectra-sklearn report M FILE ...`` writes a self-contained HTML report, and
  ``spectra-sklearn serve CATALOG.sqlite`` serves a catalogue of predictions.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from ._model_file import add_trust_pickle_option

__all__ = ["main"]



def _data_options(parser):
    parser.add_argument("--data-home", type=Path, default=None,
                        help="folder laid out like the shared data "
                             "(default: $SPECTRA_SKLEARN_DATA or ~/spectra_sklearn_data)")
    parser.add_argument("--no-download", action="store_true",
                        help="fail instead of downloading missing files")


def _model_options(parser):
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


def _common_options(parser):
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where predictions.csv and confusion_matrix.png go "
                             "(default: ./<command>_output)")
    _model_options(parser)
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
    from ._datasets import DATASETS

    datasets_help = "; ".join(f"{d.name}: {d.help}" for d in DATASETS.values())
    evaluate = sub.add_parser(
        "evaluate",
        help="cross-validate on a full dataset from the data home",
        description="Group-aware stratified cross-validation. Datasets -- " + datasets_help,
    )
    evaluate.add_argument("dataset", choices=list(DATASETS))
    _data_options(evaluate)
    _common_options(evaluate)

    fit = sub.add_parser(
        "fit",
        help="train a pipeline on a dataset (or a table of files and labels) and save it",
        description="Train on all of DATASET, or on the files of a CSV table with "
                    "columns path,label (--files-from, with the preprocessing of "
                    "--preset), and save the fitted pipeline to --model-file: a zip "
                    "of the pipeline in skops format and each network's weights, "
                    "which loads without running code from the file. "
                    "Datasets -- " + datasets_help,
    )
    fit.add_argument("dataset", nargs="?", choices=list(DATASETS),
                     help="dataset to train on (omit with --files-from)")
    fit.add_argument("--files-from", type=Path, default=None,
                     help="CSV with columns path,label (paths relative to the CSV)")
    fit.add_argument("--preset", choices=list(DATASETS), default=None,
                     help="with --files-from: whose preprocessing to use")
    fit.add_argument("--format", default=None,
                     help="with --files-from: the files' format (default: identify each)")
    fit.add_argument("--model-file", type=Path, required=True,
                     help="where to save the fitted pipeline (e.g. model.zip: skops and "
                          "weights-only network archives, safe to load)")
    fit.add_argument("--force", action="store_true",
                     help="overwrite --model-file if it exists")
    _data_options(fit)
    _model_options(fit)

    predict = sub.add_parser(
        "predict",
        help="classify spectrum or image files with a model saved by 'fit' (chunked, resumable)",
        description="Read, preprocess and classify the files in chunks (each file read "
                    "once; memory bounded by --chunk-size) and write one row per file -- "
                    "name, predicted class, probabilities, status, error -- to --output "
                    "(.csv, .parquet or .sqlite), chunk by chunk, so that a killed run "
                    "leaves a valid table that --resume finishes. A file that cannot be "
                    "read or gives a non-finite spectrum gets a row with its status and "
                    "error instead of stopping the run (--on-error raise stops). Load only "
                    "model files you made or trust.",
    )
    predict.add_argument("model_file", type=Path, help="a file written by 'spectra-sklearn fit'")
    predict.add_argument("files", nargs="*", type=Path, help="spectrum or image files")
    predict.add_argument("--files-from", type=Path, default=None,
                         help="a text file with one spectrum path per line (relative to it)")
    predict.add_argument("--glob", default=None, metavar="PATTERN",
                         help="also the files matching this (quoted) pattern, sorted; "
                              "'**' matches folders recursively")
    predict.add_argument("--format", default=None,
                         help="the files' format (default: the one the model was trained on)")
    predict.add_argument("--output", type=Path, default=Path("predictions.csv"),
                         help="the predictions table: .csv, .parquet (a folder of one part "
                              "per chunk; needs pyarrow) or .sqlite (default: "
                              "./predictions.csv)")
    predict.add_argument("--chunk-size", type=int, default=500,
                         help="files read and classified together (default: 500)")
    predict.add_argument("--on-error", choices=("record", "raise"), default="record",
                         help="record: a failed file gets a row with status and error and "
                              "the run goes on; raise: stop at the first (default: record)")
    predict.add_argument("--resume", action="store_true",
                         help="finish an existing --output: skip the files it holds")
    predict.add_argument("--force", action="store_true",
                         help="overwrite --output if it exists")
    predict.add_argument("--n-jobs", type=int, default=1,
                         help="local worker processes, one torch thread each; -1: one per "
                              "core (default: 1)")
    predict.add_argument("--scheduler", default=None, metavar="ADDRESS",
                         help="run the chunks on this Dask scheduler (e.g. "
                              "tcp://head:8786); workers read the files themselves")
    predict.add_argument("--quiet", action="store_true",
                         help="no progress bar (the final summary line is still printed)")
    add_trust_pickle_option(predict)
    from ._report import add_report_parser
    from ._serve import add_serve_parser

    add_report_parser(sub, datasets_help, list(DATASETS))
    add_serve_parser(sub)
    return parser


def _run_cross_validation(args):
    from ._cross_validation import OUTPUT_FILES, cross_validate_grouped, write_outputs
    from ._datasets import DATASETS, load_dataset

    output_dir = args.output_dir or Path(f"{args.command}_output")
    existing = [output_dir / name for name in OUTPUT_FILES + ("report.html",)
                if (output_dir / name).exists()]
    if existing and not args.force:
        raise FileExistsError(
            f"{', '.join(map(str, existing))} already exist(s); pass --force to overwrite, "
            "or choose another --output-dir"
        )
    start = time.perf_counter()
    name = "spex-sample" if args.command == "demo" else args.dataset
    data = load_dataset(name, args.data_home if args.command != "demo" else None,
                        not getattr(args, "no_download", False))
    title, X, y, groups, names, class_order = (
        data.title, data.X, data.y, data.groups, data.names, data.classes)
    pipeline = DATASETS[name].make_pipeline(
        model=args.model, random_state=args.random_state, n_threads=args.n_threads,
        max_epochs=args.max_epochs)
    import numpy as np  # here, not at the top: --help stays fast

    counts = {c: int(np.sum(y == c)) for c in class_order}
    print(f"{title}: {len(y)} spectra of {len(np.unique(groups))} objects; "
          + ", ".join(f"{c} {n}" for c, n in counts.items()))
    print("pipeline: " + " -> ".join(type(step).__name__ for _, step in pipeline.steps))
    print(f"cross-validation: {args.n_splits}-fold StratifiedGroupKFold "
          "(no object in both train and test)")
    from ..report._collect import collect_predictions

    parts, tests = [], []  # what the report shows, gathered from each fold's model

    def gather(model, test):
        parts.append(collect_predictions(model, _safe_index(X, test), y[test]))
        tests.append(test)

    result = cross_validate_grouped(
        pipeline, X, y, groups, names=names, classes=class_order,
        n_splits=args.n_splits, random_state=args.random_state, on_fold=gather,
    )
    acc, acc_std = result.accuracy
    f1, f1_std = result.f1_weighted
    print(f"accuracy: {acc:.3f} ± {acc_std:.3f}   weighted F1: {f1:.3f} ± {f1_std:.3f}")
    for path in write_outputs(result, output_dir, title=title):
        print(f"wrote {path}")
    from ..report._collect import merge_report_data
    from ..report._html import write_report_data

    report = merge_report_data(parts, tests, len(y))
    report.classes = [c for c in class_order if c in report.classes] + [
        c for c in report.classes if c not in class_order]
    write_report_data(report, path=output_dir / "report.html", force=True,
                      title=f"{title}: out-of-fold predictions of the "
                            f"{args.n_splits}-fold cross-validation")
    print(f"wrote {output_dir / 'report.html'}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


def _run_fit(args):
    from ._datasets import DATASETS, load_dataset
    from ._files import read_training_table
    from ._model_file import save_model

    if (args.dataset is None) == (args.files_from is None):
        raise ValueError("fit needs either a DATASET or --files-from TABLE (not both)")
    if args.model_file.exists() and not args.force:
        raise FileExistsError(
            f"{args.model_file} already exists; pass --force to overwrite it, or choose "
            "another --model-file")
    if not args.model_file.parent.is_dir():  # found now, not after the training
        raise ValueError(f"--model-file {args.model_file}: the folder "
                         f"{args.model_file.parent} does not exist")
    start = time.perf_counter()
    if args.files_from is not None:
        if args.preset is None:
            raise ValueError("--files-from needs --preset (whose preprocessing to use): "
                             + ", ".join(DATASETS))
        X, y, _ = read_training_table(args.files_from)
        preset, title = args.preset, f"files of {args.files_from}"
    else:
        data = load_dataset(args.dataset, args.data_home, not args.no_download)
        X, y, preset, title = data.X, data.y, args.dataset, data.title
    pipeline = DATASETS[preset].make_pipeline(
        model=args.model, random_state=args.random_state, n_threads=args.n_threads,
        max_epochs=args.max_epochs)
    if args.files_from is not None and args.format is not None:
        pipeline.steps[0][1].set_params(format=args.format)
    import numpy as np

    classes, counts = np.unique(y, return_counts=True)
    print(f"{title}: {len(y)} spectra; " + ", ".join(f"{c} {n}" for c, n in zip(classes, counts)))
    print("pipeline: " + " -> ".join(type(step).__name__ for _, step in pipeline.steps))
    pipeline.fit(X, y)
    info = {"trained_on": title, "preset": preset, "model": args.model,
            "n_spectra": int(len(y)), "classes": [str(c) for c in classes]}
    save_model(args.model_file, pipeline, info=info, overwrite=args.force)
    print(f"wrote {args.model_file}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return 0


def _run_predict(args):
    from ..survey import predict_files
    from ._files import read_path_list

    paths = [str(p) for p in args.files]
    if args.files_from is not None:
        paths += read_path_list(args.files_from)
    if args.glob is not None:
        import glob

        found = sorted(glob.glob(args.glob, recursive=True))
        if not found:
            raise ValueError(f"--glob {args.glob!r} matches no file")
        paths += found
    if not paths:
        raise ValueError("predict needs spectrum files (arguments, --files-from or --glob)")
    if args.output.exists() and not (args.force or args.resume):
        raise FileExistsError(
            f"{args.output} already exists; pass --resume to finish it or --force to "
            "overwrite it, or choose another --output")
    client = None
    if args.scheduler is not None:
        from distributed import Client

        client = Client(args.scheduler)
    model = args.model_file
    if args.trust_pickle:
        from ._model_file import load_model

        model = load_model(model, trust_pickle=True)[0]
    try:
        result = predict_files(
            model, paths, output=args.output, chunk_size=args.chunk_size,
            format=args.format, on_error=args.on_error, resume=args.resume,
            force=args.force, n_jobs=args.n_jobs, client=client, progress=not args.quiet)
    except ImportError as exc:  # pyarrow or distributed missing: say which
        raise ValueError(str(exc)) from exc
    finally:
        if client is not None:
            client.close()
    print(result.summary())
    if args.output.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        from ..report._predictions import add_catalog  # the lookup tables 'serve' reads

        add_catalog(args.output, info={"model_file": str(args.model_file)})
    if not args.quiet:
        print(f"wrote {args.output}")
    return 0


def _safe_index(X, indices):
    from sklearn.utils import _safe_indexing

    return _safe_indexing(X, indices)


def _run_report(args):
    from ._report import run_report

    return run_report(args)


def _run_serve(args):
    from ._serve import run_serve

    return run_serve(args)


_COMMANDS = {"demo": _run_cross_validation, "evaluate": _run_cross_validation,
             "fit": _run_fit, "predict": _run_predict, "report": _run_report,
             "serve": _run_serve}


def main(argv=None):
    """Run the command line; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name (``sys.argv[1:]`` when None).
    """
    args = _parser().parse_args(argv)
    if getattr(args, "n_splits", 2) < 2:
        print("spectra-sklearn: error: --n-splits must be at least 2", file=sys.stderr)
        return 2
    os.environ.setdefault("OMP_NUM_THREADS", str(getattr(args, "n_threads", 1)))
    try:
        return _COMMANDS[args.command](args)
    except (OSError, ValueError) as exc:
        print(f"spectra-sklearn: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
