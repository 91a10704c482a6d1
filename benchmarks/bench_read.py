"""Reading the SpeX Prism Library FITS files of the data home.

Competitors, on the same ~2,480 gzipped FITS files of
``$SPECTRA_SKLEARN_DATA/spex_prism/spectra``:

- ``read_spectra(paths, format="spex")`` (ours, format named): parse, check
  and convert each file into a :class:`~spectra_sklearn.Spectrum` (wavelength,
  flux, inverse variance, mask, units, header metadata), into one batch;
- ``read_spectra(paths)`` (ours, ``format=None``): the same after identifying
  each file's format from its name and first bytes;
- a bare ``astropy.io.fits.getdata`` loop: decompress and return the raw
  image array, nothing else -- the floor.

Run from the repository root with the venv active::

    python benchmarks/bench_read.py [--n-files N] [--repeat 5]
"""

import argparse
import sys
import warnings

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import data_home, print_table, run_benchmarks, single_thread
except ImportError:  # run as a script
    from common import data_home, print_table, run_benchmarks, single_thread

single_thread()


def spex_paths(home=None, n_files=None):
    """Sorted SpeX FITS paths of the data home (the first ``n_files``)."""
    folder = data_home(home) / "spex_prism" / "spectra"
    paths = sorted(folder.glob("*.fits.gz"))[:n_files]
    if not paths:
        raise NotImplementedError(f"no SpeX files in {folder}")
    return paths


class _ReadBench:
    n_files = None  # all

    def setup(self, home=None):
        self.paths = spex_paths(home, self.n_files)
        self.n_timed = len(self.paths)


class ReadSpexFormat(_ReadBench):
    """Ours, ``format='spex'``."""

    def time_read(self):
        from spectra_sklearn.io import read_spectra

        read_spectra(self.paths, format="spex")

    def peakmem_read(self):
        self.time_read()


class ReadIdentify(_ReadBench):
    """Ours, ``format=None`` (identify every file)."""

    def time_read(self):
        from spectra_sklearn.io import read_spectra

        read_spectra(self.paths)


class ReadGetdata(_ReadBench):
    """The floor: ``astropy.io.fits.getdata`` per file."""

    def time_read(self):
        from astropy.io import fits

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-standard header cards
            for path in self.paths:
                fits.getdata(path)

    def peakmem_read(self):
        self.time_read()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-files", type=int, default=None,
                        help="read only the first N files (default: all)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved rounds, best kept (default 5)")
    parser.add_argument("--data-home", default=None,
                        help="data home with spex_prism/ (default: $SPECTRA_SKLEARN_DATA)")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc peaks")
    args = parser.parse_args(argv)
    _ReadBench.n_files = args.n_files

    benches = {}
    try:
        for label, cls in [("read_spectra format='spex'", ReadSpexFormat),
                           ("read_spectra format=None", ReadIdentify),
                           ("fits.getdata loop", ReadGetdata)]:
            obj = cls()
            obj.setup(args.data_home)
            benches[label] = obj
    except NotImplementedError as exc:
        print(f"{exc}: skipped (set SPECTRA_SKLEARN_DATA or --data-home)")
        return 0
    n = benches["fits.getdata loop"].n_timed
    times, peaks = run_benchmarks(benches, repeat=args.repeat, memory=not args.no_memory)
    t = {key.rsplit(".", 1)[0]: value / n for key, value in times.items()}
    p = {key.rsplit(".", 1)[0]: value for key, value in peaks.items()}
    ours = t["read_spectra format='spex'"]
    floor = t["fits.getdata loop"]
    print_table(
        ["method", "ms/file", "time / format='spex'", "time / getdata", "peak MiB"],
        [[label, 1e3 * t[label], t[label] / ours, t[label] / floor,
          p[label] / 2**20 if label in p else float("nan")] for label in t],
        title=(f"Reading {n} SpeX prism files (gzipped FITS); best of {args.repeat} "
               "interleaved rounds"),
    )
    print(f"format='spex' / getdata = {ours / floor:.2f}x   "
          f"format=None / format='spex' = {t['read_spectra format=None'] / ours:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
