"""``spectra-sklearn --help`` and argument errors start at once.

The heavy libraries (torch, skorch, numba, scikit-learn, astropy) are imported
only by the command that needs them; the subprocess checks which modules the
help and an argument error pulled in, and prints how long they took
(``benchmarks/bench_startup.py`` measures it against ``python -c pass``).
"""

import subprocess
import sys
import time

import pytest

# numpy (~0.1 s) may load; these take seconds together
HEAVY = ("torch", "skorch", "numba", "sklearn", "astropy", "scipy", "matplotlib", "pandas")

PROBE = """
import sys
from spectra_sklearn.cli import main
try:
    main({argv!r})
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
sys.exit(code)
"""


@pytest.mark.parametrize("argv, returncode", [
    (["--help"], 0),
    (["predict", "--help"], 0),
    (["evaluate", "no-such-dataset"], 2),
    (["--no-such-option"], 2),
])
def test_help_and_argument_errors_import_nothing_heavy(argv, returncode):
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)],
        capture_output=True, text=True, timeout=120,
    )
    elapsed = time.perf_counter() - start
    print(f"spectra-sklearn {' '.join(argv)}: {elapsed:.2f} s")
    assert result.returncode == returncode, result.stderr
    assert "HEAVY=\n" in result.stdout, (
        f"'spectra-sklearn {' '.join(argv)}' imported {result.stdout.split('HEAVY=')[-1]}"
    )
    # a generous bound: the machine may be loaded; the module check above is the real test
    assert elapsed < 20
