"""Resampling spectra that each have their own wavelength grid onto one grid.

Competitors, all on the same spectra:

- ``SpectralResampler`` (ours), ``method='flux_conserving'``, propagating the
  inverse variance and the mask, all spectra in one call (compiled kernels);
  also ``method='linear'`` and ``'cubic_spline'`` for reference;
- SpectRes (Carnall 2017, ``spectres.spectres``), flux-conserving with
  uncertainties, called once per spectrum because every spectrum has its own
  input grid (SpectRes takes one input grid per call); it has no mask;
- specutils ``FluxConservingResampler`` with inverse variance and mask, one
  spectrum at a time, only when specutils is importable;
- a bare ``np.interp`` loop over the spectra: linear interpolation of the
  flux only, no uncertainty, no mask, not flux conserving -- the floor.

Synthetic data: ``n_spectra`` spectra of 4,000 irregularly spaced pixels
(each its own grid, ~0.62-2.58 µm, 1 % masked pixels) -> 1,000 pixels on a
linear 0.70-2.40 µm grid. Real data: the SpeX Prism Library files of the data
home (``$SPECTRA_SKLEARN_DATA/spex_prism``) read with
:func:`spectra_sklearn.io.read_spectra` -> 256 log-spaced pixels, 0.65-2.45 µm.

Run from the repository root with the venv active::

    python benchmarks/bench_resample.py [--quick] [--n-spectra 500 2000 8000] [--repeat 3]
        [--timer wall|cpu]

``--timer cpu`` times with :func:`time.process_time` (CPU time of this
process) instead of the wall clock: on a shared, overloaded machine it leaves
out the time spent waiting for a core, so the ratios are steadier. The first
run on a machine also compiles our kernels (numba, cached afterwards); the
untimed warm-up round absorbs it.
"""

import argparse
import functools
import gc
import sys
import time
import warnings

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import data_home, peak_memory, print_table, run_benchmarks, single_thread
except ImportError:  # run as a script
    from common import data_home, peak_memory, print_table, run_benchmarks, single_thread

single_thread()

import numpy as np  # noqa: E402

N_PIXELS_IN = 4000
N_PIXELS_OUT = 1000
DEFAULT_N_SPECTRA = 500
SPEX_N_PIXELS = 256
# Competitors called once per spectrum cost the same for every spectrum: they
# are timed on at most this many spectra (ms per spectrum is what we report).
MAX_LOOP_SPECTRA = 100


@functools.lru_cache(maxsize=1)
def synthetic_spectra(n_spectra, seed=0):
    """``n_spectra`` spectra of 4,000 irregular pixels, each on its own grid.

    Returns a dict of 2-D arrays ``wavelength`` (µm), ``flux``, ``ivar``,
    ``sigma`` (= ivar**-0.5) and ``mask`` (True = bad), one row per spectrum,
    and the output ``grid``. Masked pixels keep a finite (spiky) flux so that
    the competitors without a mask still see finite numbers.
    """
    rng = np.random.default_rng(seed)
    steps = rng.uniform(0.3, 1.7, size=(n_spectra, N_PIXELS_IN - 1))
    start = rng.uniform(0.60, 0.64, size=(n_spectra, 1))
    stop = rng.uniform(2.56, 2.60, size=(n_spectra, 1))
    frac = np.concatenate([np.zeros((n_spectra, 1)), np.cumsum(steps, axis=1)], axis=1)
    frac /= frac[:, -1:]
    wavelength = start + (stop - start) * frac
    temperature = rng.uniform(1500.0, 3500.0, size=(n_spectra, 1))
    x = 1.4388e4 / (wavelength * temperature)  # hc / (lambda k T), lambda in µm
    continuum = 1.0 / (wavelength**5 * np.expm1(x))
    continuum /= continuum.max(axis=1, keepdims=True)
    lines = np.zeros_like(wavelength)
    for centre, depth in [(1.15, 0.4), (1.4, 0.6), (1.8, 0.5), (2.2, 0.3)]:
        lines += depth * np.exp(-0.5 * ((wavelength - centre) / 0.03) ** 2)
    sigma = rng.uniform(0.01, 0.05, size=wavelength.shape)
    flux = continuum * (1.0 - lines.clip(0, 0.9)) + sigma * rng.standard_normal(wavelength.shape)
    mask = rng.random(wavelength.shape) < 0.01
    flux[mask] += 10.0  # cosmic-ray-like spikes on the bad pixels
    return {
        "wavelength": wavelength,
        "flux": flux,
        "ivar": sigma**-2,
        "sigma": sigma,
        "mask": mask,
        "grid": np.linspace(0.70, 2.40, N_PIXELS_OUT),
    }


def _synthetic_batch(n_spectra):
    from spectra_sklearn import Spectrum, SpectrumBatch

    d = synthetic_spectra(n_spectra)
    return SpectrumBatch([
        Spectrum(w, f, ivar=i, mask=m, wavelength_unit="um")
        for w, f, i, m in zip(d["wavelength"], d["flux"], d["ivar"], d["mask"])
    ])


# ----------------------------------------------------------------------------
# Synthetic irregular grids
# ----------------------------------------------------------------------------
class SyntheticSpectralResampler:
    """Ours: one ``transform`` call on a ragged SpectrumBatch."""

    params = [DEFAULT_N_SPECTRA, 2000, 8000]
    param_names = ["n_spectra"]

    def setup(self, n_spectra):
        from spectra_sklearn.preprocessing import SpectralResampler

        self.batch = _synthetic_batch(n_spectra)
        self.resampler = SpectralResampler(
            wavelength_grid=synthetic_spectra(n_spectra)["grid"], wavelength_unit="um",
            method="flux_conserving",
        ).fit(self.batch)

    def time_transform(self, n_spectra=None):
        self.resampler.transform(self.batch)

    def peakmem_transform(self, n_spectra=None):
        self.resampler.transform(self.batch)


class SyntheticSpectralResamplerLinear(SyntheticSpectralResampler):
    """Ours with ``method='linear'`` (ivar + mask), for reference."""

    def setup(self, n_spectra):
        super().setup(n_spectra)
        self.resampler.set_params(method="linear")


class SyntheticSpectralResamplerCubic(SyntheticSpectralResampler):
    """Ours with ``method='cubic_spline'`` (ivar + mask), for reference."""

    def setup(self, n_spectra):
        super().setup(n_spectra)
        self.resampler.set_params(method="cubic_spline")


class SyntheticSpectRes:
    """SpectRes, one call per spectrum (each has its own input grid).

    Its cost is the same for every spectrum, so only the first
    ``max_spectra`` are resampled (``n_timed``) to keep the run short.
    """

    params = [DEFAULT_N_SPECTRA, 2000, 8000]
    param_names = ["n_spectra"]
    max_spectra = MAX_LOOP_SPECTRA

    def setup(self, n_spectra):
        from spectres import spectres

        self.spectres = spectres
        self.data = synthetic_spectra(n_spectra)
        self.n_timed = min(n_spectra, self.max_spectra)

    def time_resample(self, n_spectra=None):
        d, spectres, k = self.data, self.spectres, self.n_timed
        grid = d["grid"]
        for w, f, s in zip(d["wavelength"][:k], d["flux"][:k], d["sigma"][:k]):
            spectres(grid, w, f, spec_errs=s, fill=np.nan, verbose=False)

    def peakmem_resample(self, n_spectra=None):
        self.time_resample()


class SyntheticSpecutils:
    """specutils FluxConservingResampler, one Spectrum1D at a time (if installed).

    Timed on the first ``max_spectra`` spectra, as SpectRes.
    """

    params = [DEFAULT_N_SPECTRA, 2000, 8000]
    param_names = ["n_spectra"]
    max_spectra = MAX_LOOP_SPECTRA

    def setup(self, n_spectra):
        try:
            from astropy import units as u
            from astropy.nddata import InverseVariance
            try:
                from specutils import Spectrum as Spectrum1D  # specutils >= 2
            except ImportError:
                from specutils import Spectrum1D
            from specutils.manipulation import FluxConservingResampler
        except ImportError:
            raise NotImplementedError("specutils not installed") from None
        d = synthetic_spectra(n_spectra)
        self.n_timed = k = min(n_spectra, self.max_spectra)
        d = {key: value[:k] for key, value in d.items() if key != "grid"} | {"grid": d["grid"]}
        self.grid = d["grid"] * u.um
        self.resampler = FluxConservingResampler(extrapolation_treatment="nan_fill")
        self.spectra = [
            Spectrum1D(flux=f * u.Jy, spectral_axis=w * u.um,
                       uncertainty=InverseVariance(i * u.Jy**-2), mask=m)
            for w, f, i, m in zip(d["wavelength"], d["flux"], d["ivar"], d["mask"])
        ]

    def time_resample(self, n_spectra=None):
        for spectrum in self.spectra:
            self.resampler(spectrum, self.grid)


class SyntheticInterp:
    """The floor: ``np.interp`` of the flux, row by row (no ivar, no mask)."""

    params = [DEFAULT_N_SPECTRA, 2000, 8000]
    param_names = ["n_spectra"]

    def setup(self, n_spectra):
        self.data = synthetic_spectra(n_spectra)

    def time_interp(self, n_spectra=None):
        d = self.data
        out = np.empty((d["flux"].shape[0], d["grid"].size))
        for k, (w, f) in enumerate(zip(d["wavelength"], d["flux"])):
            out[k] = np.interp(d["grid"], w, f)

    def peakmem_interp(self, n_spectra=None):
        self.time_interp()


# ----------------------------------------------------------------------------
# Real data: SpeX Prism Library files of the data home
# ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def spex_batch(home=None):
    """All SpeX files of the data home, read with the ``'spex'`` reader."""
    from spectra_sklearn.io import read_spectra

    folder = data_home(home) / "spex_prism" / "spectra"
    paths = sorted(folder.glob("*.fits.gz"))
    if not paths:
        raise NotImplementedError(f"no SpeX files in {folder}")
    return read_spectra(paths, format="spex")


def _spex_grid():
    return np.exp(np.linspace(np.log(0.65), np.log(2.45), SPEX_N_PIXELS))


class SpexSpectralResampler:
    """Ours on the real SpeX spectra (ragged batch, µm)."""

    def setup(self, home=None):
        from spectra_sklearn.preprocessing import SpectralResampler

        self.batch = spex_batch(home)
        self.resampler = SpectralResampler(
            wavelength_grid=_spex_grid(), wavelength_unit="um"
        ).fit(self.batch)

    def time_transform(self):
        self.resampler.transform(self.batch)


class SpexSpectRes:
    """SpectRes per spectrum on the real SpeX spectra (every k-th, ``max_spectra``)."""

    max_spectra = MAX_LOOP_SPECTRA

    def setup(self, home=None):
        from spectres import spectres

        self.spectres = spectres
        batch = spex_batch(home)
        self.grid = _spex_grid()
        step = max(1, len(batch) // self.max_spectra)
        spectra = batch.spectra[::step][: self.max_spectra]
        self.n_timed = len(spectra)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.rows = [(s.wavelength, s.flux, s.ivar**-0.5) for s in spectra]

    def time_resample(self):
        for w, f, s in self.rows:
            self.spectres(self.grid, w, f, spec_errs=s, fill=np.nan, verbose=False)


# ----------------------------------------------------------------------------
def _agreement(n_check=20):
    """Max relative difference ours vs SpectRes on unmasked synthetic spectra."""
    from spectres import spectres

    from spectra_sklearn import Spectrum
    from spectra_sklearn.preprocessing import SpectralResampler

    d = synthetic_spectra(n_check, seed=1)
    flux = d["flux"] - 10.0 * d["mask"]  # undo the spikes: nothing is masked here
    ours = SpectralResampler(wavelength_grid=d["grid"], wavelength_unit="um").fit_transform(
        [Spectrum(w, f, ivar=i) for w, f, i in zip(d["wavelength"], flux, d["ivar"])]
    )
    worst_flux = worst_sigma = 0.0
    for k in range(n_check):
        f, e = spectres(d["grid"], d["wavelength"][k], flux[k], spec_errs=d["sigma"][k],
                        fill=np.nan, verbose=False)
        worst_flux = max(worst_flux, np.nanmax(np.abs(ours.flux[k] - f) / np.abs(f)))
        worst_sigma = max(worst_sigma,
                          np.nanmax(np.abs(ours.ivar[k] ** -0.5 - e) / e))
    return worst_flux, worst_sigma


def _per_spectrum(times, benches, n_default):
    """``{label: seconds per spectrum}`` from ``run_benchmarks`` times."""
    out = {}
    for key, seconds in times.items():
        label = key.rsplit(".", 1)[0]
        out[label] = seconds / getattr(benches[label], "n_timed", n_default)
    return out


def _batch_bytes(batch):
    """Bytes of the arrays of a batch (ragged or on a common grid)."""
    if batch.on_common_grid:
        return sum(a.nbytes for a in (batch.wavelength, batch.flux, batch.ivar, batch.mask))
    return sum(s.wavelength.nbytes + s.flux.nbytes + s.ivar.nbytes + s.mask.nbytes
               for s in batch.spectra)


DESCRIPTION = {
    "ours": "SpectralResampler flux_conserving, ivar+mask, one call",
    "SpectRes": "spectres.spectres per spectrum, with errors, no mask",
    "specutils": "FluxConservingResampler per spectrum, ivar+mask",
    "np.interp": "np.interp per spectrum, flux only (floor)",
    "ours linear": "SpectralResampler linear, ivar+mask, one call",
    "ours cubic": "SpectralResampler cubic_spline, ivar+mask, one call",
}
TARGETS = {"SpectRes": ">= 300", "specutils": ">= 1000", "np.interp": "<= 3 (ours/floor)"}


def _run(benches, args):
    """Best time of every ``time_*`` method, interleaved rounds (see ``common``)."""
    if args.timer == "wall":
        times, _ = run_benchmarks(benches, repeat=args.repeat, memory=False)
        return times
    timed = {f"{label}.{name}": getattr(obj, name) for label, obj in benches.items()
             for name in sorted(dir(obj)) if name.startswith("time_")}
    for fn in timed.values():  # warm-up (imports, kernel compilation)
        fn()
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(args.repeat):
        for key, fn in timed.items():
            gc.collect()
            start = time.process_time()
            fn()
            best[key] = min(best[key], time.process_time() - start)
    return best


def _synthetic_round(n, args):
    """Time all competitors on ``n`` synthetic spectra; return per-spectrum times, peaks."""
    benches = {}
    for label, cls in [("ours", SyntheticSpectralResampler), ("SpectRes", SyntheticSpectRes),
                       ("specutils", SyntheticSpecutils), ("np.interp", SyntheticInterp),
                       ("ours linear", SyntheticSpectralResamplerLinear),
                       ("ours cubic", SyntheticSpectralResamplerCubic)]:
        obj = cls()
        try:
            obj.setup(n)
        except NotImplementedError as exc:
            print(f"{label}: {exc}: skipped")
            continue
        benches[label] = obj
    times = _run(benches, args)
    t = _per_spectrum(times, benches, n)
    peak = None
    if not args.no_memory:
        ours = benches["ours"]
        peak = peak_memory(ours.time_transform)
        out = ours.resampler.transform(ours.batch)
        in_bytes, out_bytes = _batch_bytes(ours.batch), _batch_bytes(out)
        peak = (peak, in_bytes, out_bytes)
    return t, benches, peak


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-spectra", type=int, nargs="+", default=[500, 2000, 8000],
                        help="synthetic batch sizes (default 500 2000 8000)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (100 400), 2 rounds, few per-spectrum peers")
    parser.add_argument("--repeat", type=int, default=3,
                        help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--loop-spectra", type=int, default=MAX_LOOP_SPECTRA,
                        help="spectra SpectRes is timed on (default "
                             f"{MAX_LOOP_SPECTRA}; specutils: a fifth of it)")
    parser.add_argument("--data-home", default=None,
                        help="data home with spex_prism/ (default: $SPECTRA_SKLEARN_DATA)")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc peaks")
    parser.add_argument("--timer", choices=["wall", "cpu"], default="wall",
                        help="wall clock (default) or CPU time of this process")
    args = parser.parse_args(argv)
    sizes = args.n_spectra
    if args.quick:
        sizes, args.repeat, args.loop_spectra = [100, 400], 2, 20
    SyntheticSpectRes.max_spectra = SpexSpectRes.max_spectra = args.loop_spectra
    SyntheticSpecutils.max_spectra = max(2, args.loop_spectra // 5)
    warnings.simplefilter("ignore", RuntimeWarning)  # SpectRes' out-of-range notice
    warnings.simplefilter("ignore", UserWarning)

    # --- synthetic ------------------------------------------------------
    rows, scaling = [], []
    for n in sizes:
        t, benches, peak = _synthetic_round(n, args)
        floor = t.get("np.interp", float("nan"))
        for label in t:
            ours_like = label.startswith("ours")
            rows.append([n, label, getattr(benches[label], "n_timed", n), 1e3 * t[label],
                         float("nan") if ours_like or label == "np.interp"
                         else t[label] / t["ours"],
                         t["ours"] / floor if label == "np.interp"
                         else t[label] / floor if ours_like and label != "ours"
                         else float("nan"),
                         TARGETS.get(label, "")])
        mem = [float("nan")] * 3
        if peak is not None:
            mem = [peak[0] / 2**20, (peak[1] + peak[2]) / 2**20, peak[0] / (peak[1] + peak[2])]
        scaling.append([n, 1e3 * t["ours"] * n, 1e3 * t["ours"], *mem])
        synthetic_spectra.cache_clear()
    print_table(
        ["n_spectra", "method", "timed on", "ms/spectrum", "peer / ours", "ours / floor",
         "target"], rows,
        title=(f"Synthetic: n spectra x {N_PIXELS_IN} irregular pixels (each its own grid, "
               f"1 % masked) -> {N_PIXELS_OUT} pixels; best of {args.repeat} interleaved "
               f"rounds ({args.timer} time); per-spectrum peers timed on a subset"),
    )
    print_table(
        ["n_spectra", "ours total ms", "ours ms/spectrum", "peak MiB", "input+output MiB",
         "peak / (in+out)"], scaling,
        title="Scaling of ours with the number of spectra, and peak memory (tracemalloc)",
    )
    worst_flux, worst_sigma = _agreement()
    print(f"check on 20 unmasked spectra, ours vs SpectRes: max relative difference "
          f"flux {worst_flux:.1e}, sigma {worst_sigma:.1e}")
    print()

    # --- real SpeX files -------------------------------------------------
    benches = {}
    try:
        for label, cls in [("ours", SpexSpectralResampler), ("SpectRes", SpexSpectRes)]:
            obj = cls()
            obj.setup(args.data_home)
            benches[label] = obj
    except NotImplementedError as exc:
        print(f"SpeX row: {exc}: skipped (set SPECTRA_SKLEARN_DATA or --data-home)")
        return 0
    spex = spex_batch(args.data_home)
    lengths = [s.n_pixels for s in spex]
    times = _run(benches, args)
    t = _per_spectrum(times, benches, len(spex))
    print_table(
        ["method", "timed on", "ms/spectrum", "time / ours"],
        [[label, getattr(benches[label], "n_timed", len(spex)), 1e3 * t[label],
          t[label] / t["ours"]] for label in t],
        title=(f"Real: {len(spex)} SpeX prism spectra (each its own grid, "
               f"{min(lengths)}-{max(lengths)} pixels) -> {SPEX_N_PIXELS} log pixels "
               f"0.65-2.45 um; best of {args.repeat} interleaved rounds"),
    )
    print(f"SpectRes / ours = {t['SpectRes'] / t['ours']:.1f}x   (per spectrum)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
