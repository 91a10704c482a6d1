"""Plumbing shared by the example scripts (not an example itself).

Command-line options, atomic output files that are never overwritten
without ``--force``, plain-text tables, and the results file
(``<name>_results.csv``) each seed experiment writes for
``examples/results_table.py``, which turns those files into the README's
results table. Python puts a script's own folder first on ``sys.path``,
so ``from _common import ...`` works however the example is started.
"""

import argparse
import csv
import io
import os
import sys
from pathlib import Path

import numpy as np

from spectra_sklearn.utils import atomic_write

RESULT_COLUMNS = ("experiment", "task", "model", "metric", "score", "baseline", "setup",
                  "quick")


def example_arguments(description, *, data_home=True, add_arguments=None):
    """Parse the options every example takes (plus ``add_arguments(parser)``'s)."""
    parser = argparse.ArgumentParser(description=description)
    if data_home:
        parser.add_argument("--data-home", default=None,
                            help="data home (default: $SPECTRA_SKLEARN_DATA)")
    parser.add_argument("--output-dir", type=Path, default=Path("example_output"))
    parser.add_argument("--quick", action="store_true",
                        default=bool(os.environ.get("SPECTRA_SKLEARN_EXAMPLES_QUICK")),
                        help="subsample and train briefly: a smoke test, not a result")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    if add_arguments is not None:
        add_arguments(parser)
    args, _ = parser.parse_known_args()
    return args


def check_outputs(args, names):
    """Create ``args.output_dir``; exit before any work if it holds one of ``names``.

    Without ``--force`` an example never replaces a file from an earlier run.
    """
    args.output_dir.mkdir(parents=True, exist_ok=True)
    existing = [name for name in names if (args.output_dir / name).exists()]
    if existing and not args.force:
        paths = ", ".join(str(args.output_dir / name) for name in existing)
        sys.exit(f"{paths} already exist(s); pass --force to overwrite, or choose "
                 "another --output-dir.")
    if args.quick:
        print("QUICK MODE: subsampled data, few epochs -- the numbers below are not results.")


def save_figure(fig, args, name):
    """Write a figure to ``args.output_dir / name`` atomically (never a half-written PNG)."""
    import matplotlib.pyplot as plt

    path = args.output_dir / name
    with atomic_write(path, "wb", overwrite=args.force) as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)
    print(f"wrote {path}")


def print_table(title, header, rows):
    """Print a plain-text table, one row per entry of ``rows``."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    print(f"\n{title}\n{line}")
    for row in [header, None, *rows]:
        print(line if row is None else "  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(line)


def mean_std(scores):
    """``'0.957 ± 0.021'``: the mean and standard deviation of per-fold scores."""
    return f"{np.mean(scores):.3f} ± {np.std(scores):.3f}"


class Results:
    """The numbers an example reports, written to ``<experiment>_results.csv``.

    Parameters
    ----------
    experiment : str
        Short name of the example (the file is ``<experiment>_results.csv``).
    args : argparse.Namespace
        The example's options (``output_dir``, ``quick``, ``force``).
    """

    def __init__(self, experiment, args):
        self.experiment = experiment
        self.args = args
        self.rows = []

    @property
    def filename(self):
        return f"{self.experiment}_results.csv"

    def add(self, task, model, metric, score, *, baseline="-", setup=""):
        """Record one result: ``score`` is the text printed (e.g. ``'0.957 ± 0.021'``)."""
        self.rows.append({"experiment": self.experiment, "task": task, "model": model,
                          "metric": metric, "score": score, "baseline": baseline,
                          "setup": setup, "quick": str(bool(self.args.quick))})

    def write(self):
        """Write the results atomically to ``args.output_dir``."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        path = self.args.output_dir / self.filename
        with atomic_write(path, "w", overwrite=self.args.force, encoding="utf-8") as f:
            f.write(buffer.getvalue())
        print(f"wrote {path}")
