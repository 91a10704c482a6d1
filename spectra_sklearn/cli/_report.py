"""``spectra-sklearn report``: the HTML report (and its SQLite catalogue) of a saved model."""

from pathlib import Path

from ._model_file import add_trust_pickle_option

__all__ = ["add_report_parser", "run_report"]


def add_report_parser(sub, datasets_help, dataset_names):
    report = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a saved model's predictions",
        description="Predict spectrum files (arguments, --files-from) or a dataset "
                    "(--dataset with --data-home, true labels included) with a model "
                    "saved by 'fit', and write one HTML page that works offline: search "
                    "by any id, each object's spectrum, probabilities and true label, "
                    "accuracy, confusion matrix, reliability diagram. --catalog also "
                    "writes the SQLite catalogue 'serve' serves. Datasets -- "
                    + datasets_help,
    )
    report.add_argument("model_file", type=Path, help="a file written by 'spectra-sklearn fit'")
    report.add_argument("files", nargs="*", type=Path, help="spectrum files")
    report.add_argument("--files-from", type=Path, default=None,
                        help="a text file with one spectrum path per line, or a CSV "
                             "with columns path,label (labels become the true classes)")
    report.add_argument("--dataset", choices=dataset_names, default=None,
                        help="report on a dataset of the data home, with its labels")
    report.add_argument("--data-home", type=Path, default=None,
                        help="folder laid out like the shared data (with --dataset)")
    report.add_argument("--no-download", action="store_true",
                        help="with --dataset: fail instead of downloading missing files")
    report.add_argument("--format", default=None,
                        help="the files' format (default: the one the model was trained on)")
    report.add_argument("--output", type=Path, default=Path("report.html"),
                        help="the HTML report (default: ./report.html)")
    report.add_argument("--catalog", type=Path, default=None,
                        help="also write the predictions to this SQLite catalogue")
    report.add_argument("--force", action="store_true",
                        help="overwrite --output (and --catalog) if they exist")
    add_trust_pickle_option(report)
    return report


def _inputs(args):
    """``(X, y_true or None, title)`` from the files, the file list or the dataset."""
    from ._files import read_path_list, read_training_table

    sources = [bool(args.files), args.files_from is not None, args.dataset is not None]
    if sum(sources) != 1:
        raise ValueError("report needs exactly one of: spectrum files, --files-from LIST, "
                         "--dataset NAME")
    if args.dataset is not None:
        from ._datasets import load_dataset

        data = load_dataset(args.dataset, args.data_home, not args.no_download)
        return data.X, data.y, data.title
    if args.files_from is not None:
        with open(args.files_from, encoding="utf-8") as f:
            first = f.readline()
        if first.strip().lower().startswith("path,") or ",label" in first.lower():
            paths, labels, _ = read_training_table(args.files_from)
            return paths, labels, f"files of {args.files_from}"
        return read_path_list(args.files_from), None, f"files of {args.files_from}"
    return [str(p) for p in args.files], None, f"{len(args.files)} files"


def run_report(args):
    from ..report import write_catalog, write_report
    from ._model_file import load_model

    for path in (args.output, args.catalog):
        if path is not None and path.exists() and not args.force:
            raise FileExistsError(f"{path} already exists; pass --force to overwrite it, or "
                                  "choose another path")
    pipeline, info = load_model(args.model_file, trust_pickle=args.trust_pickle)
    if args.format is not None:
        pipeline.steps[0][1].set_params(format=args.format)
    X, y_true, title = _inputs(args)
    trained = info.get("trained_on", "?") if isinstance(info, dict) else "?"
    data = write_report(pipeline, X, y_true, path=args.output, force=args.force,
                        title=f"{args.model_file.name} (trained on {trained}) on {title}")
    print(f"{len(data.rows)} spectra" + ("" if y_true is None else
          f"; accuracy {sum(r['y_true'] == r['y_pred'] for r in data.rows) / len(data.rows):.3f}"))
    print(f"wrote {args.output}")
    if args.catalog is not None:
        write_catalog(args.catalog, data.rows, classes=data.classes, info=info,
                      overwrite=args.force)
        print(f"wrote {args.catalog}")
    return 0
