"""Start-up time of the command line and of the package's imports.

Each command runs in a fresh interpreter, timed as a whole process (best of
``--repeat`` interleaved rounds), beside ``python -c pass`` as the floor:

- ``spectra-sklearn --help`` and an argument error (target: under 1 s;
  neither imports torch, scikit-learn, astropy or numba);
- ``import spectra_sklearn`` (the containers are imported on first use);
- ``import spectra_sklearn.preprocessing`` and ``import spectra_sklearn.nn``
  (scikit-learn, numba; torch and skorch), what a command that trains pays.

Run from the repository root with the venv active::

    python benchmarks/bench_startup.py [--repeat 5]
"""

import argparse
import subprocess
import sys

try:
    from .common import best_of_interleaved, print_table
except ImportError:  # run as a script
    from common import best_of_interleaved, print_table

COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "spectra-sklearn --help": [sys.executable, "-m", "spectra_sklearn.cli", "--help"],
    "spectra-sklearn evaluate nope (argument error)": [
        sys.executable, "-m", "spectra_sklearn.cli", "evaluate", "nope"],
    "import spectra_sklearn": [sys.executable, "-c", "import spectra_sklearn"],
    "import spectra_sklearn.preprocessing": [
        sys.executable, "-c", "import spectra_sklearn.preprocessing"],
    "import spectra_sklearn.nn": [sys.executable, "-c", "import spectra_sklearn.nn"],
}


def _runner(argv):
    def run():
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved rounds, best kept (default 5)")
    args = parser.parse_args(argv)
    best = best_of_interleaved({k: _runner(v) for k, v in COMMANDS.items()},
                               repeat=args.repeat)
    floor = best["python -c pass (floor)"]
    print_table(["command", "seconds", "minus floor"],
                [[name, round(t, 3), round(t - floor, 3)] for name, t in best.items()],
                title=f"start-up, best of {args.repeat} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
