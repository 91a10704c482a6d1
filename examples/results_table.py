"""Write the results page's table (docs/results.md) from the seed examples' results files.

Each seed example (``plot_asteroid_taxonomy.py``, ``plot_spitzer_irs.py``,
``plot_stellar_mk_types.py``, ``plot_spex_subtypes.py``) writes
``<name>_results.csv`` beside its figures. This script reads those files from
``--output-dir`` and replaces the part of ``docs/results.md`` (``--readme``:
another Markdown file) between the lines
``<!-- results-table:start -->`` and ``<!-- results-table:end -->`` with one
Markdown table (numbers, setup, seed-style baseline), so the page always
shows what a run printed, never numbers typed by hand.

Results of ``--quick`` runs are refused (they are smoke tests, not results)
unless ``--allow-quick`` is given, and then every such row is marked QUICK.
The page is replaced atomically (a temporary file renamed over it), and
nothing is written when a results file is missing or malformed.

Usage::

    python examples/plot_asteroid_taxonomy.py --output-dir example_output
    ...  # the other seed examples, same --output-dir
    python examples/results_table.py --output-dir example_output
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
        if not path.is_file():
            sys.exit(f"{path} is missing: run python examples/{script} "
                     f"--output-dir {output_dir} first.")
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = set(RESULT_COLUMNS) - set(reader.fieldnames or ())
            if missing:
                sys.exit(f"{path}: expected the columns {', '.join(RESULT_COLUMNS)}; "
                         f"missing {', '.join(sorted(missing))}.")
            these = list(reader)
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


def replace_section(text, table, readme):
    """``text`` with the lines between the two markers replaced by ``table``."""
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        sys.exit(f"{readme}: expected one line {START} followed by one line {END}.")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table}\n{END}{tail}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output-dir", type=Path, default=Path("example_output"),
                        help="where the examples wrote their *_results.csv")
    parser.add_argument("--readme", type=Path,
                        default=Path(__file__).resolve().parents[1] / "docs" / "results.md")
    parser.add_argument("--allow-quick", action="store_true",
                        help="accept quick-mode results (marked QUICK in the table)")
    args = parser.parse_args(argv)
    table = markdown_table(read_results(args.output_dir, allow_quick=args.allow_quick))
    text = replace_section(args.readme.read_text(encoding="utf-8"), table, args.readme)
    with atomic_write(args.readme, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote the results table ({table.count(chr(10)) - 1} rows) into {args.readme}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
