"""Resampling spectra that each have their own wavelength grid onto one grid.

Competitors, all on the same spectra:

- ``SpectralResampler`` (ours), ``method='flux_conserving'``, propagating the
  inverse variance and the mask, all spectra in one vectorised call;
- SpectRes (Carnall 2017, ``spectres.spectres``), flux-conserving with
  uncertainties, called once per spectrum because every spectrum has its own
  input grid (SpectRes takes one input grid per call); it has no mask;
- specutils ``FluxConservingResampler``, only when specutils is importable;
- a bare ``np.interp`` loop over the spectra: linear interpolation of the
  flux only, no uncertainty, no mask, not flux conserving -- the floor.

Synthetic data: ``n_spectra`` spectra of 4,000 irregularly spaced pixels
(each its own grid, ~0.62-2.58 µm, 1 % masked pixels) -> 1,000 pixels on a
linear 0.70-2.40 µm grid. Real data: the SpeX Prism Library files of the data
home (``$SPECTRA_SKLEARN_DATA/spex_prism``) read with
:func:`spectra_sklearn.io.read_spectra` -> 256 log-spaced pixels, 0.65-2.45 µm.

Run from the repository root with the venv active::

    python benchmarks/bench_resample.py [--n-spectra 500] [--repeat 5]
"""

import argparse
import functools
import sys
import warnings

try:  # as part of an asv suite (benchmarks/ is the package)
    from .common import data_home, print_table, run_benchmarks, single_thread
except ImportError:  # run as a script
    from common import data_home, print_table, run_benchmarks, single_thread

single_thread()

import numpy as np  # noqa: E402

N_PIXELS_IN = 4000
N_PIXELS_OUT = 1000
DEFAULT_N_SPECTRA = 500
SPEX_N_PIXELS = 256
# Competitors called once per spectrum cost the same for every spectrum: they
# are timed on at most this many spectra (ms per spectrum is what we report).
MAX_LOOP_SPECTRA = 200


@functools.lru_cache(maxsize=2)
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

    params = [DEFAULT_N_SPECTRA, 2000]
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


class SyntheticSpectRes:
    """SpectRes, one call per spectrum (each has its own input grid).

    Its cost is the same for every spectrum, so only the first
    ``max_spectra`` are resampled (``n_timed``) to keep the run short.
    """

    params = [DEFAULT_N_SPECTRA, 2000]
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

    params = [DEFAULT_N_SPECTRA, 2000]
    param_names = ["n_spectra"]
    max_spectra = MAX_LOOP_SPECTRA

    def setup(self, n_spectra):
        try:
            from astropy import units as u
            from astropy.nddata import InverseVariance
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

    params = [DEFAULT_N_SPECTRA, 2000]
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


DESCRIPTION = {
    "ours": "SpectralResampler flux_conserving, ivar+mask, one call",
    "SpectRes": "spectres.spectres per spectrum, with errors, no mask",
    "specutils": "FluxConservingResampler per spectrum",
    "np.interp": "np.interp per spectrum, flux only (floor)",
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-spectra", type=int, default=DEFAULT_N_SPECTRA,
                        help=f"synthetic spectra (default {DEFAULT_N_SPECTRA}; "
                             "the issue's size is 2000)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="interleaved rounds, best kept (default 5)")
    parser.add_argument("--loop-spectra", type=int, default=MAX_LOOP_SPECTRA,
                        help="spectra the per-spectrum competitors (SpectRes, specutils) "
                             f"are timed on (default {MAX_LOOP_SPECTRA})")
    parser.add_argument("--data-home", default=None,
                        help="data home with spex_prism/ (default: $SPECTRA_SKLEARN_DATA)")
    parser.add_argument("--no-memory", action="store_true", help="skip tracemalloc peaks")
    args = parser.parse_args(argv)
    n = args.n_spectra
    for cls in (SyntheticSpectRes, SyntheticSpecutils, SpexSpectRes):
        cls.max_spectra = args.loop_spectra
    warnings.simplefilter("ignore", RuntimeWarning)  # SpectRes' out-of-range notice

    # --- synthetic ------------------------------------------------------
    benches = {}
    for label, cls in [("ours", SyntheticSpectralResampler), ("SpectRes", SyntheticSpectRes),
                       ("specutils", SyntheticSpecutils), ("np.interp", SyntheticInterp)]:
        obj = cls()
        try:
            obj.setup(n)
        except NotImplementedError as exc:
            print(f"{exc}: skipped")
            continue
        benches[label] = obj
    times, peaks = run_benchmarks(benches, repeat=args.repeat, memory=not args.no_memory)
    t = _per_spectrum(times, benches, n)
    p = {key.rsplit(".", 1)[0]: value for key, value in peaks.items()}
    rows = [
        [label, DESCRIPTION[label], getattr(benches[label], "n_timed", n), 1e3 * t[label],
         t[label] / t["ours"], p[label] / 2**20 if label in p else float("nan")]
        for label in t
    ]
    print_table(
        ["method", "what", "timed on", "ms/spectrum", "time / ours", "peak MiB"], rows,
        title=(f"Synthetic: {n} spectra x {N_PIXELS_IN} irregular pixels (each its own "
               f"grid) -> {N_PIXELS_OUT} pixels; best of {args.repeat} interleaved rounds"),
    )
    print(f"SpectRes / ours = {t['SpectRes'] / t['ours']:.1f}x   "
          f"ours / np.interp = {t['ours'] / t['np.interp']:.1f}x   (per spectrum)")
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
    times, _ = run_benchmarks(benches, repeat=args.repeat, memory=False)
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
