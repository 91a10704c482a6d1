"""Write the results page's table (docs/results.md) from the seed examples' results files.

Each seed example (``plot_asteroid_taxonomy.py``, ``plot_spitzer_irs.py``,
``plot_stellar_mk_types.py``, ``plot_spex_subtypes.py``) writes
``<name>_results.csv`` beside its figures. This script reads those files from
``--output-dir`` and replaces the part of ``docs/results.md`` (``--readme``:
another Markdown file) between the lines
``<!-- results-table:start -->`` and ``<!-- results-table:end -->`` with one
Markdown table (numbers, setup, seed-style baseline), so the page always
shows what a run printed, never numbers typed by hand.

With ``--transfer FILE ...`` it also replaces the part between
``<!-- transfer-table:start -->`` and ``<!-- transfer-table:end -->`` with the
summary rows (means over the held-out surveys) of the CSV files that
``benchmarks/bench_transfer.py --output FILE`` wrote; several files (runs of
different tasks) are merged, a later file's row replacing an earlier one of
the same task, setup and model.

Results of ``--quick`` runs are refused (they are smoke tests, not results)
unless ``--allow-quick`` is given, and then every such row is marked QUICK.
The page is replaced atomically (a temporary file renamed over it), and
nothing is written when a results file is missing or malformed.

Usage::

    python examples/plot_asteroid_taxonomy.py --output-dir example_output
    ...  # the other seed examples, same --output-dir
    python examples/results_table.py --output-dir example_output
    python examples/results_table.py --output-dir example_output \
        --transfer transfer_results.csv
"""

import argparse
import csv
import sys
from pathlib import Path

from _common import RESULT_COLUMNS

from spectra_sklearn.utils import atomic_write

EXPERIMENTS = {
    "asteroid_taxonomy": "plot_asteroid_taxonomy.py",
    "spitzer_irs": "plot_spitzer_irs.py",
    "stellar_mk_types": "plot_stellar_mk_types.py",
    "spex_subtypes": "plot_spex_subtypes.py",
}
START, END = "<!-- results-table:start -->", "<!-- results-table:end -->"
TRANSFER_MARKERS = ("<!-- transfer-table:start -->", "<!-- transfer-table:end -->")
TRANSFER_COLUMNS = ("task", "setup", "model", "part", "n_test", "transfer", "macro_f1",
                    "in_survey", "ceiling", "ceiling_n", "baseline", "target")


def _read_csv(path, columns, command):
    """The rows of a results CSV; exits naming the file when it is missing or lacks a column."""
    if not path.is_file():
        sys.exit(f"{path} is missing: run {command} first.")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = set(columns) - set(reader.fieldnames or ())
        if missing:
            sys.exit(f"{path}: expected the columns {', '.join(columns)}; "
                     f"missing {', '.join(sorted(missing))}.")
        return list(reader)


def read_results(output_dir, *, allow_quick=False):
    """Rows of every experiment's results file, in ``EXPERIMENTS`` order.

    Raises
    ------
    SystemExit
        If a results file is missing, lacks a column, or holds quick-mode
        results while ``allow_quick`` is False.
    """
    rows = []
    for experiment, script in EXPERIMENTS.items():
        path = output_dir / f"{experiment}_results.csv"
        these = _read_csv(path, RESULT_COLUMNS, f"python examples/{script} "
                          f"--output-dir {output_dir}")
        quick = [r for r in these if r["quick"] == "True"]
        if quick and not allow_quick:
            sys.exit(f"{path} holds results of a --quick run (smoke tests, not results); "
                     "rerun the example without --quick, or pass --allow-quick.")
        rows.extend(these)
    return rows


def markdown_table(rows):
    """The results as a Markdown table (a QUICK mark on quick-mode rows)."""
    lines = ["| experiment | task | model | metric | ours | seed-style baseline | setup |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        score = r["score"] + (" (QUICK)" if r["quick"] == "True" else "")
        cells = [EXPERIMENTS[r["experiment"]], r["task"], r["model"], r["metric"], score,
                 r["baseline"], r["setup"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def read_transfer_results(paths, *, allow_quick=False):
    """Summary rows of ``bench_transfer.py`` CSV files, merged in order.

    Raises
    ------
    SystemExit
        If a file is missing, lacks a column, or holds quick-mode rows while
        ``allow_quick`` is False.
    """
    merged = {}
    for path in paths:
        rows = [r for r in _read_csv(path, TRANSFER_COLUMNS,
                                     f"python benchmarks/bench_transfer.py --output {path}")
                if r["transfer"] and (not r["part"] or r["part"].startswith("mean over"))]
        if any(r.get("quick") == "True" for r in rows) and not allow_quick:
            sys.exit(f"{path} holds results of a --quick run (smoke tests, not results); "
                     "rerun without --quick, or pass --allow-quick.")
        for r in rows:
            merged[r["task"], r["setup"], r["model"]] = r
    return list(merged.values())


def transfer_table(rows):
    """The transfer summary as a Markdown table."""
    lines = ["| task | setup | model | n test | transfer | macro-F1 | in-survey CV | "
             "ceiling (n shared) | baseline | target |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    def number(text, digits=3):
        try:
            value = float(text)
        except ValueError:
            return text or "-"
        return "-" if value != value else f"{value:.{digits}f}"

    for r in rows:
        regression = "MAE" in r["task"]
        digits = 2 if regression else 3
        score = number(r["transfer"], digits) + (" MAE" if regression else "")
        score += " (QUICK)" if r.get("quick") == "True" else ""
        ceiling = number(r["ceiling"])
        ceiling += f" ({r['ceiling_n']})" if ceiling != "-" else ""
        cells = [r["task"], r["setup"], r["model"], r["n_test"], score,
                 number(r["macro_f1"]), number(r["in_survey"], digits), ceiling,
                 r["baseline"], r["target"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def replace_section(text, table, readme, markers=(START, END)):
    """``text`` with the lines between the two markers replaced by ``table``."""
    start, end = markers
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        sys.exit(f"{readme}: expected one line {start} followed by one line {end}.")
    head, rest = text.split(start)
    _, tail = rest.split(end)
    return f"{head}{start}\n{table}\n{end}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where the examples wrote their *_results.csv")
    parser.add_argument("--readme", type=Path,
                        default=Path(__file__).resolve().parents[1] / "docs" / "results.md")
    parser.add_argument("--allow-quick", action="store_true",
                        help="accept quick-mode results (marked QUICK in the table)")
    parser.add_argument("--transfer", type=Path, nargs="+", default=(),
                        help="CSV files of benchmarks/bench_transfer.py (merged in order)")
    args = parser.parse_args(argv)
    if args.output_dir is None and not args.transfer:
        parser.error("give --output-dir (the examples' results), --transfer, or both")
    text = args.readme.read_text(encoding="utf-8")
    done = []
    if args.output_dir is not None:
        table = markdown_table(read_results(args.output_dir, allow_quick=args.allow_quick))
        text = replace_section(text, table, args.readme)
        done.append(f"the results table ({table.count(chr(10)) - 1} rows)")
    if args.transfer:
        rows = read_transfer_results(args.transfer, allow_quick=args.allow_quick)
        text = replace_section(text, transfer_table(rows), args.readme, TRANSFER_MARKERS)
        done.append(f"the transfer table ({len(rows)} rows)")
    with atomic_write(args.readme, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {' and '.join(done)} into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
