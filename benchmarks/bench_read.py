"""Reading spectrum files: ours against astropy, fitsio and specutils, in one run.

Competitors, per format, on the real files of the data home:

SpeX prism (~2,480 gzipped FITS images, ``spex_prism/spectra``):

- ``read_spectra(paths, format="spex")`` (ours, format named): parse, check
  and convert each file into a :class:`~spectra_sklearn.Spectrum`
  (wavelength, flux, inverse variance, mask, units, header metadata);
- ``read_spectra(paths)`` (ours, ``format=None``): the same after
  identifying each file's format from its name and first bytes;
- a bare ``astropy.io.fits.getdata`` loop: decompress and return the raw
  image array, nothing else;
- a bare ``fitsio.read`` loop (cfitsio), the same;
- specutils ``Spectrum.read``: none of its loaders reads the Spextool
  layout (auto-identification fails, ``wcs1d-fits`` finds no spectral axis,
  ``tabular-fits`` wants a table), so SpeX has no specutils row.

MILES (985 1-D WCS images, ``miles/spectra``) and SDSS (the two DR18
``spec`` files, each read ``--sdss-repeat`` times), where specutils has
loaders: ours (format named and ``None``) against specutils
``Spectrum.read`` with the loader named (``wcs1d-fits``, ``SDSS-III/IV
spec``) and auto-identified (``format`` omitted), and the bare astropy /
fitsio loops.

All timings of a format are interleaved, best of ``--repeat`` rounds, so the
ratios are comparable even on a loaded machine. Run from the repository
root with the venv active::

    python benchmarks/bench_read.py [--n-files N] [--repeat 5] [--formats sdss]
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


def miles_paths(home=None, n_files=None):
    folder = data_home(home) / "miles" / "spectra"
    paths = sorted(folder.glob("*.fits"))[:n_files]
    if not paths:
        raise NotImplementedError(f"no MILES files in {folder}")
    return paths


def sdss_paths(home=None, repeat=50):
    folder = data_home(home) / "sdss_spectra"
    paths = sorted(folder.glob("*.fits"))
    if not paths:
        raise NotImplementedError(f"no SDSS files in {folder}")
    return paths * repeat


class _ReadBench:
    """One competitor reading one list of files (``setup`` picks the list)."""

    files = staticmethod(spex_paths)
    n_files = None  # all

    def setup(self, home=None):
        self.paths = self.files(home, self.n_files)
        self.n_timed = len(self.paths)


class ReadOurs(_ReadBench):
    """Ours, ``read_spectra(paths, format=...)``."""

    format = "spex"

    def time_read(self):
        from spectra_sklearn.io import read_spectra

        read_spectra(self.paths, format=self.format)

    def peakmem_read(self):
        self.time_read()


class ReadIdentify(_ReadBench):
    """Ours, ``format=None`` (identify every file)."""

    def time_read(self):
        from spectra_sklearn.io import read_spectra

        read_spectra(self.paths)


class ReadGetdata(_ReadBench):
    """Bare ``astropy.io.fits.getdata`` per file (``ext`` for table formats)."""

    ext = 0

    def time_read(self):
        from astropy.io import fits

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # non-standard header cards
            for path in self.paths:
                fits.getdata(path, ext=self.ext)

    def peakmem_read(self):
        self.time_read()


class ReadFitsio(_ReadBench):
    """Bare ``fitsio.read`` per file."""

    ext = 0

    def time_read(self):
        import fitsio

        for path in self.paths:
            fitsio.read(str(path), ext=self.ext)


class ReadSpecutils(_ReadBench):
    """specutils ``Spectrum.read`` per file (``loader=None``: auto-identify)."""

    loader = None

    def time_read(self):
        from specutils import Spectrum

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for path in self.paths:
                if self.loader is None:
                    Spectrum.read(path)
                else:
                    Spectrum.read(path, format=self.loader)


def _make(cls, files, **attrs):
    return type(cls.__name__, (cls,), {"files": staticmethod(files), **attrs})()


def _suite(name, files, fmt, ext, loader):
    """Label -> unset-up benchmark object for one format."""
    suite = {
        f"ours format={fmt!r}": _make(ReadOurs, files, format=fmt),
        "ours format=None": _make(ReadIdentify, files),
        "astropy getdata loop": _make(ReadGetdata, files, ext=ext),
        "fitsio.read loop": _make(ReadFitsio, files, ext=ext),
    }
    if loader:
        suite[f"specutils read format={loader!r}"] = _make(ReadSpecutils, files, loader=loader)
        suite["specutils read (auto-identify)"] = _make(ReadSpecutils, files, loader=None)
    return suite


def _run(title, suite, home, n_files, repeat, memory):
    for obj in suite.values():
        obj.n_files = n_files
        obj.setup(home)
    n = next(iter(suite.values())).n_timed
    times, peaks = run_benchmarks(suite, repeat=repeat, memory=memory)
    t = {key.rsplit(".", 1)[0]: value / n for key, value in times.items()}
    p = {key.rsplit(".", 1)[0]: value for key, value in peaks.items()}
    ours = next(iter(t.values()))
    floor = t["astropy getdata loop"]
    print_table(
        ["method", "ms/file", "time / ours", "getdata / time", "peak MiB"],
        [[label, 1e3 * t[label], t[label] / ours, floor / t[label],
          p[label] / 2**20 if label in p else float("nan")] for label in t],
        title=f"{title}: {n} files; best of {repeat} interleaved rounds",
    )
    return t


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-files", type=int, default=None,
                        help="read only the first N files of each format (default: all)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved rounds, best kept (default 5)")
    parser.add_argument("--sdss-repeat", type=int, default=50,
                        help="times each of the two SDSS files is read per round")
    parser.add_argument("--data-home", default=None,
                        help="data home (default: $SPECTRA_SKLEARN_DATA)")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc peaks")
    parser.add_argument("--formats", nargs="+", default=None, metavar="FORMAT",
                        help="only these formats (spex, miles, sdss; default: all)")
    args = parser.parse_args(argv)

    def sdss(home, n_files):
        return sdss_paths(home, args.sdss_repeat)

    formats = [
        ("SpeX prism (gzipped FITS image)", spex_paths, "spex", 0, None),
        ("MILES (1-D WCS FITS image)", miles_paths, "miles", 0, "wcs1d-fits"),
        ("SDSS DR18 spec (COADD table)", sdss, "sdss", 1, "SDSS-III/IV spec"),
    ]
    summary = []
    if args.formats:
        formats = [f for f in formats if f[2] in args.formats]
    for title, files, fmt, ext, loader in formats:
        try:
            t = _run(title, _suite(title, files, fmt, ext, loader), args.data_home,
                     args.n_files, args.repeat, not args.no_memory)
        except NotImplementedError as exc:
            print(f"{exc}: skipped (set SPECTRA_SKLEARN_DATA or --data-home)\n")
            continue
        ours = t[f"ours format={fmt!r}"]
        row = [fmt, t["astropy getdata loop"] / ours, t["fitsio.read loop"] / ours,
               t["ours format=None"] / ours]
        row += [t[f"specutils read format={loader!r}"] / ours,
                t["specutils read (auto-identify)"] / ours] if loader else [float("nan")] * 2
        summary.append(row)
    if summary:
        print_table(
            ["format", "getdata / ours", "fitsio.read / ours", "ours None / ours named",
             "specutils named / ours", "specutils auto / ours"],
            summary,
            title="Ratios (> 1: ours is faster; '-': specutils cannot read the format)",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
