"""InstrumentAugmenter: random copies of spectra as another instrument would record them."""

import zlib
from numbers import Integral, Real

import numpy as np
from astropy import units as u
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._quantity import as_unit
from ._base import BaseSpectrumTransformer, spectrum_label
from ._line_spread import FWHM_PER_SIGMA, gaussian_matrix
from ._resolution import ResolutionDegrader, masked_convolution

__all__ = ["InstrumentAugmenter", "shift_rows"]


def shift_rows(flux, ivar, mask, shift, stretch):
    """Move the features of each row by ``shift`` pixels and stretch them about the centre.

    Output pixel ``i`` of row ``k`` takes the linear interpolation of the
    input at the fractional position ``p = c + (i - c) / (1 + stretch[k]) -
    shift[k]`` (``c`` the central pixel), so a feature at input pixel ``x``
    lands at ``c + (x + shift - c) (1 + stretch)``; the variance follows the
    weights (``a**2 var_j + b**2 var_{j+1}``). Positions outside the row
    repeat the edge value and are masked with inverse variance 0 (the
    instrument did not see them); an output pixel is masked when an input
    pixel it takes weight from is masked.

    Parameters
    ----------
    flux, ivar : ndarray of shape (n_spectra, n_pixels)
    mask : ndarray of bool of shape (n_spectra, n_pixels)
    shift, stretch : ndarray of shape (n_spectra,)
        Shift in pixels (positive: to larger indices) and fractional stretch.

    Returns
    -------
    flux, ivar, mask : ndarrays of shape (n_spectra, n_pixels)
    """
    n = flux.shape[1]
    if n < 2:
        return flux.copy(), ivar.copy(), mask.copy()
    centre = 0.5 * (n - 1)
    i = np.arange(n, dtype=float)
    pos = centre + (i[None, :] - centre) / (1.0 + stretch[:, None]) - shift[:, None]
    outside = (pos < -1e-9) | (pos > n - 1 + 1e-9)
    pos = np.clip(pos, 0.0, n - 1.0)
    lo = np.minimum(np.floor(pos).astype(np.intp), n - 2)
    b = pos - lo
    a = 1.0 - b
    rows = np.arange(flux.shape[0])[:, None]
    f_lo, f_hi = flux[rows, lo], flux[rows, lo + 1]
    used_lo, used_hi = a > 1e-12, b > 1e-12
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v_lo, v_hi = 1.0 / ivar[rows, lo], 1.0 / ivar[rows, lo + 1]
        out = np.where(used_lo, a * f_lo, 0.0) + np.where(used_hi, b * f_hi, 0.0)
        var = np.where(used_lo, a**2 * v_lo, 0.0) + np.where(used_hi, b**2 * v_hi, 0.0)
        out_ivar = np.where(var > 0, 1.0 / var, np.where(np.isnan(var), np.nan, np.inf))
    out_mask = (used_lo & mask[rows, lo]) | (used_hi & mask[rows, lo + 1]) | outside
    out_ivar = np.where(outside, 0.0, out_ivar)
    return out, out_ivar, out_mask


def _pair(value, name, owner, low):
    """``value`` as an ordered pair (lo, hi) with ``low <= lo <= hi``; None stays None."""
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{owner}: {name} must be None or a pair (low, high) of numbers; got {value!r}."
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and low < lo <= hi):
        raise ValueError(
            f"{owner}: {name} must be a pair (low, high) with {low} < low <= high; "
            f"got {value!r}."
        )
    return lo, hi


def _log_uniform(rng, pair):
    lo, hi = pair
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


class InstrumentAugmenter(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Randomly perturbed copies of spectra, as another instrument would record them.

    Each call to ``transform`` returns one perturbed copy of every spectrum,
    applying in this order (each perturbation off at its default, so the
    default step is the identity):

    1. **resolution** -- a Gaussian line-spread function degrades the
       spectrum to a resolving power ``R`` drawn log-uniformly in
       ``resolution`` (``FWHM = lambda / R``; the kernel and the variance
       propagation of :class:`ResolutionDegrader`, widths in quadrature over
       the input resolution, which comes from ``input_resolution``,
       ``input_fwhm`` or each spectrum's metadata as there). Pixels where the
       drawn ``R`` is not below the input's stay as they are.
    2. **slope** -- the flux (and the uncertainty) is multiplied by the power
       law ``(lambda / reference_wavelength) ** alpha``, ``alpha`` uniform in
       ``[-slope, slope]``: a change of spectral slope as from a different
       solar analogue, phase reddening or flux calibration. A plain power
       law, not an interstellar extinction curve (in the optical the curve of
       Cardelli, Clayton & Mathis 1989 is close to ``lambda ** -1.3``, so a
       small reddening is such a power law).
    3. **wavelength calibration** -- the features move by a shift uniform in
       ``[-shift, shift]`` pixels and a stretch uniform in ``[-stretch,
       stretch]`` about the central pixel, by linear interpolation
       (:func:`shift_rows`). On a logarithmic grid a pixel is a constant
       velocity ``c * d ln(lambda)``.
    4. **noise** -- the signal-to-noise ratio is divided by ``k`` uniform in
       ``[1, 1 + noise]``: Gaussian noise of standard deviation
       ``sqrt(k**2 - 1) / sqrt(ivar)`` is added (new realisations of the
       observation's own noise, e.g. Fabbro et al. 2018, MNRAS 475, 2978) and
       the inverse variance divided by ``k**2``. Pixels of unknown (NaN) or
       zero inverse variance are left alone unless ``snr`` is given: then
       they get noise of standard deviation ``median(|flux|) / s``, ``s``
       drawn log-uniformly in ``snr``, and that inverse variance.
    5. **gaps** -- up to ``n_gaps`` runs of contiguous pixels (each up to
       ``gap_width`` of the spectrum) and, at each end, up to ``edge_loss`` of
       the pixels (a shorter wavelength coverage) are masked: mask True,
       inverse variance 0, flux NaN (so that a plain array shows them; put
       :class:`MaskedPixelInterpolator` after this step for estimators that
       cannot take NaN). A spectrum whose gaps would leave fewer than 2
       pixels unmasked gets no gaps.

    Parameters
    ----------
    resolution : (float, float) or None, default=None
        Range of the target resolving power ``R = lambda / FWHM``, both > 0.
        ``None``: no resolution change.
    input_resolution : float > 0, default=None
        Resolving power of every input spectrum (else ``input_fwhm`` or the
        metadata, as in :class:`ResolutionDegrader`); only used with
        ``resolution``.
    input_fwhm : float >= 0, default=None
        FWHM of every input spectrum, in ``wavelength_unit``.
    wavelength_unit : astropy unit or str, default=None
        Unit of ``input_fwhm`` and ``reference_wavelength``; ``None``: each
        spectrum's own wavelength unit.
    slope : float >= 0, default=0.0
        Largest ``|alpha|`` of the power-law factor. Needs wavelengths > 0
        (not the pixel grid of a plain array).
    reference_wavelength : float > 0, default=None
        Where the power law is 1 (e.g. the normalisation wavelength of the
        reflectance, 0.55 um); ``None``: the middle of each grid.
    shift : float >= 0, default=0.0
        Largest shift, in pixels.
    stretch : float >= 0, default=0.0
        Largest fractional stretch of the grid about its centre.
    noise : float >= 0, default=0.0
        Largest ``k - 1``, the factor by which the S/N is reduced minus one.
    snr : (float, float) or None, default=None
        S/N range of the noise given to pixels without a known inverse
        variance. ``None``: none.
    n_gaps : int >= 0, default=0
        Largest number of masked runs per spectrum (uniform in 0 .. n_gaps).
    gap_width : float in (0, 1], default=0.1
        Largest width of a run, as a fraction of the pixels (at least 1 pixel).
    edge_loss : float in [0, 1), default=0.0
        Largest fraction of the pixels masked at each end (each end drawn
        uniformly; the right end is cut back so that 2 pixels remain).
    random_state : int, RandomState instance or None, default=None
        Seeds the draws. Each spectrum's draws are seeded by this and by a
        CRC-32 of its flux, so a spectrum gets the same perturbation wherever
        it sits in a batch (and identical spectra get identical ones); an int
        gives the same copy at every call.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    AugmentedTrainingClassifier : Trains on copies made by this step, and
        averages over copies at prediction time.
    spectra_sklearn.nn.SpectrumCNNClassifier : Its ``noise_augmentation``
        and ``shift_augmentation`` draw noise and shifts inside the network.

    Notes
    -----
    scikit-learn transformers keep the number of samples, so this step makes
    one copy per call; :class:`AugmentedTrainingClassifier` calls it with
    ``n_copies`` seeds on the training data only (the job imbalanced-learn's
    samplers do with ``fit_resample`` inside its own Pipeline).

    Measured (``benchmarks/bench_transfer.py``, SVC trained on the spectra and
    2 copies, ``benchmarks/README.md``, issue 16): no piece reached a
    transfer target. Masked gaps raised Mahlke et al. (2022) leave-one-
    survey-out accuracy on the 17 classes from 0.679 to 0.692-0.699 (two
    seeds, with or without sub-pixel shifts; main groups unchanged at
    0.826 +- 0.003); slope and S/N pieces lowered it;
    on MILES -> SDSS templates every piece stayed within 0.867 -0.021/+0.007.
    So no dataset preset uses this step by default.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import SpectrumBatch
    >>> from spectra_sklearn.preprocessing import InstrumentAugmenter
    >>> wavelength = np.linspace(5000.0, 6000.0, 201)
    >>> flux = 1.0 - 0.5 * np.exp(-0.5 * ((wavelength - 5500.0) / 2.0) ** 2)
    >>> batch = SpectrumBatch.from_arrays(wavelength, flux[None, :],
    ...                                   np.full((1, 201), 1e4), wavelength_unit="Angstrom")
    >>> aug = InstrumentAugmenter(resolution=(500.0, 500.0), input_resolution=10000.0,
    ...                           random_state=0)
    >>> out = aug.fit_transform(batch)
    >>> bool(out.flux.min() > flux.min())  # the line is shallower at R = 500
    True
    >>> same = InstrumentAugmenter().fit_transform(batch)  # all perturbations off
    >>> bool(np.array_equal(same.flux, batch.flux))
    True
    """

    _parameter_constraints: dict = {
        "resolution": ["array-like", None],
        "input_resolution": [Interval(Real, 0, None, closed="neither"), None],
        "input_fwhm": [Interval(Real, 0, None, closed="left"), None],
        "wavelength_unit": [str, u.UnitBase, None],
        "slope": [Interval(Real, 0, None, closed="left")],
        "reference_wavelength": [Interval(Real, 0, None, closed="neither"), None],
        "shift": [Interval(Real, 0, None, closed="left")],
        "stretch": [Interval(Real, 0, 0.5, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "snr": ["array-like", None],
        "n_gaps": [Interval(Integral, 0, None, closed="left")],
        "gap_width": [Interval(Real, 0, 1, closed="right")],
        "edge_loss": [Interval(Real, 0, 1, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        resolution=None,
        input_resolution=None,
        input_fwhm=None,
        wavelength_unit=None,
        slope=0.0,
        reference_wavelength=None,
        shift=0.0,
        stretch=0.0,
        noise=0.0,
        snr=None,
        n_gaps=0,
        gap_width=0.1,
        edge_loss=0.0,
        random_state=None,
    ):
        self.resolution = resolution
        self.input_resolution = input_resolution
        self.input_fwhm = input_fwhm
        self.wavelength_unit = wavelength_unit
        self.slope = slope
        self.reference_wavelength = reference_wavelength
        self.shift = shift
        self.stretch = stretch
        self.noise = noise
        self.snr = snr
        self.n_gaps = n_gaps
        self.gap_width = gap_width
        self.edge_loss = edge_loss
        self.random_state = random_state

    @property
    def _keeps_pixel_positions(self):
        # a masked pixel still weighs on the output pixel at its index only while no
        # pixel moves by a whole pixel: shifts below 1 and no stretch (a stretch moves
        # the pixels far from the centre by up to stretch * n_pixels / 2)
        return self.stretch == 0 and self.shift < 1

    def _check_params(self):
        name = type(self).__name__
        as_unit(self.wavelength_unit, "wavelength_unit", name)
        _pair(self.resolution, "resolution", name, 0.0)
        _pair(self.snr, "snr", name, 0.0)
        if self.input_resolution is not None and self.input_fwhm is not None:
            raise ValueError(
                f"{name} takes at most one of 'input_resolution' and 'input_fwhm'; got "
                f"input_resolution={self.input_resolution!r} and "
                f"input_fwhm={self.input_fwhm!r}."
            )

    def transform(self, X):
        """Return one randomly perturbed copy of every spectrum.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra (arrays: flux on the pixel grid, unit ``pix``, inverse
            variance unknown).

        Returns
        -------
        X_out : SpectrumBatch or ndarray of shape (n_spectra, n_pixels)
            The same kind as ``X``, on the same grid; masked gaps are NaN.

        Raises
        ------
        ValueError
            If the parameters are invalid; ``resolution`` is set and a
            spectrum's input resolution is unknown; ``slope`` is set and a
            grid has wavelengths <= 0 (plain arrays).
        """
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return self._apply(X, lambda g: self._augment(g, seed))

    def _rngs(self, flux, seed):
        """One generator per spectrum from ``seed`` and the CRC-32 of its flux."""
        return [np.random.default_rng([seed, zlib.crc32(np.ascontiguousarray(row).tobytes())])
                for row in flux]

    def _augment(self, g, seed):
        flux, ivar, mask = g.flux.copy(), g.ivar.copy(), g.mask.copy()
        n_spectra, n = flux.shape
        # independent streams per perturbation: turning one off leaves the others' draws
        on = [self.resolution is not None, self.slope > 0,
              (self.shift > 0 or self.stretch > 0) and n > 1,
              self.noise > 0 or self.snr is not None, self.n_gaps > 0 or self.edge_loss > 0]
        rows = [self._rngs(flux, int(np.random.SeedSequence(seed + k).generate_state(1)[0]))
                if active else None for k, active in enumerate(on)]
        if on[0]:
            flux, ivar, mask = self._degrade(g, flux, ivar, mask, rows[0])
        if on[1]:
            flux, ivar = self._tilt(g, flux, ivar, rows[1])
        if on[2]:
            shift = np.array([r.uniform(-self.shift, self.shift) for r in rows[2]])
            stretch = np.array([r.uniform(-self.stretch, self.stretch) for r in rows[2]])
            flux, ivar, mask = shift_rows(flux, ivar, mask, shift, stretch)
        if on[3]:
            flux, ivar = self._add_noise(flux, ivar, mask, rows[3])
        if on[4]:
            gaps = np.array([self._gap_row(r, n) for r in rows[4]]).reshape(n_spectra, n)
            # never mask a spectrum away: fewer than 2 pixels left -> no gaps for it
            gaps[(~(mask | gaps)).sum(axis=1) < min(2, n)] = False
            flux = np.where(gaps, np.nan, flux)
            ivar = np.where(gaps, 0.0, ivar)
            mask = mask | gaps
        return g.replace(flux=flux, ivar=ivar, mask=mask)

    def _degrade(self, g, flux, ivar, mask, rngs):
        pair = _pair(self.resolution, "resolution", type(self).__name__, 0.0)
        reader = ResolutionDegrader(input_resolution=self.input_resolution,
                                    input_fwhm=self.input_fwhm,
                                    wavelength_unit=self.wavelength_unit)
        for k, (meta, row, rng) in enumerate(zip(g.meta, g.rows, rngs)):
            r_target = _log_uniform(rng, pair)
            try:
                fwhm_in = reader._input_fwhm(g.wavelength, g.wavelength_unit, meta, row)
            except ValueError as error:
                raise ValueError(str(error).replace(type(reader).__name__,
                                                    type(self).__name__)) from None
            excess = (g.wavelength / r_target) ** 2 - fwhm_in**2
            sigma = np.sqrt(np.maximum(excess, 0.0)) / FWHM_PER_SIGMA
            if not np.any(sigma > 0):
                continue
            matrix = gaussian_matrix(g.wavelength, sigma, 4.0)
            out = masked_convolution(matrix, flux[k:k + 1], ivar[k:k + 1], mask[k:k + 1])
            flux[k], ivar[k], mask[k] = out[0][0], out[1][0], out[2][0]
        return flux, ivar, mask

    def _tilt(self, g, flux, ivar, rngs):
        wavelength = np.asarray(g.wavelength, dtype=float)
        if u.Unit(g.wavelength_unit) == u.pix or np.any(wavelength <= 0):
            raise ValueError(
                f"{type(self).__name__}: slope={self.slope!r} multiplies by a power law of "
                f"the wavelength, but {spectrum_label(g.meta[0], g.rows[0])} has wavelengths "
                f"<= 0 (unit {g.wavelength_unit}); give spectra with wavelengths, or slope=0."
            )
        if self.reference_wavelength is None:
            ref = float(np.median(wavelength))
        else:
            ref = float(self.reference_wavelength * ResolutionDegrader(
                wavelength_unit=self.wavelength_unit)._fwhm_scale(g.wavelength_unit))
        alpha = np.array([r.uniform(-self.slope, self.slope) for r in rngs])
        factor = (wavelength[None, :] / ref) ** alpha[:, None]
        return flux * factor, ivar / factor**2

    def _add_noise(self, flux, ivar, mask, rngs):
        n = flux.shape[1]
        known = np.isfinite(ivar) & (ivar > 0)
        snr = _pair(self.snr, "snr", type(self).__name__, 0.0)
        flux, ivar = flux.copy(), ivar.copy()
        for k, rng in enumerate(rngs):
            factor = rng.uniform(1.0, 1.0 + self.noise)
            draw = rng.standard_normal(n)
            s = _log_uniform(rng, snr) if snr is not None else None
            kn = known[k] & ~mask[k]
            if factor > 1 and kn.any():
                flux[k, kn] += np.sqrt(factor**2 - 1.0) / np.sqrt(ivar[k, kn]) * draw[kn]
                ivar[k, kn] /= factor**2
            unknown = np.isnan(ivar[k]) & ~mask[k] & np.isfinite(flux[k])
            if s is not None and unknown.any():
                sigma = np.median(np.abs(flux[k, unknown])) / s
                if sigma > 0:
                    flux[k, unknown] += sigma * draw[unknown]
                    ivar[k, unknown] = 1.0 / sigma**2
        return flux, ivar

    def _gap_row(self, rng, n):
        gaps = np.zeros(n, dtype=bool)
        for _ in range(int(rng.integers(0, self.n_gaps + 1)) if self.n_gaps else 0):
            width = int(rng.integers(1, max(1, round(self.gap_width * n)) + 1))
            start = int(rng.integers(0, max(1, n - width + 1)))
            gaps[start:start + width] = True
        if self.edge_loss > 0:
            top = int(np.floor(self.edge_loss * n))
            left = int(rng.integers(0, top + 1))
            gaps[:left] = True
            right = min(int(rng.integers(0, top + 1)), max(n - 2 - left, 0))
            if right:
                gaps[n - right:] = True
        return gaps
