"""ContinuumNormalizer: divide spectra by (or subtract) their continuum."""

import warnings
from numbers import Integral, Real

import numpy as np
from astropy import units as u
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions

from .._quantity import as_unit
from ._base import BaseSpectrumTransformer
from ._continuum_envelope import convex_hull_continuum, running_percentile_continuum
from ._continuum_fit import (
    polynomial_continuum,
    spline_continuum,
    spline_knots,
    window_continuum,
)
from ._continuum_regions import as_regions, check_wavelength_unit, region_mask
from ._inputs import convert_wavelength, unit_scale

__all__ = ["ContinuumNormalizer", "UndeterminedContinuumWarning"]


class UndeterminedContinuumWarning(UserWarning):
    """The continuum of some spectra could not be determined.

    Emitted once per :meth:`ContinuumNormalizer.transform` (or
    :meth:`~ContinuumNormalizer.continuum`) call; those spectra come out
    all-NaN and fully masked. Filter it with
    ``warnings.filterwarnings("ignore", category=UndeterminedContinuumWarning)``
    when that is expected.
    """


class ContinuumNormalizer(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Normalise every spectrum by its own continuum.

    Stateless: each spectrum's continuum is estimated from that spectrum
    alone, in ``transform``. ``fit`` only validates the parameters (and, for
    arrays, records ``n_features_in_``). Masked pixels and pixels inside
    ``exclude`` never shape the continuum ("pixels to fit" below).

    Parameters
    ----------
    method : {'polynomial', 'spline', 'running_percentile', 'convex_hull', \
'window'}, default='polynomial'
        How the continuum is estimated:

        - ``'polynomial'``: an iteratively sigma-clipped Chebyshev or
          Legendre polynomial (``polynomial_kind``) of ``degree``, fitted by
          least squares to the flux against the wavelength scaled to
          ``[-1, 1]`` (the classic continuum fit of IRAF ``continuum`` [1]_
          and specutils ``fit_generic_continuum`` [2]_). Each iteration
          drops the pixels whose residual is more than ``sigma_lower`` robust
          standard deviations (1.4826 * median absolute deviation) below, or
          ``sigma_upper`` above, the median residual, and refits, at most
          ``maxiters`` times.
        - ``'spline'``: the same clipping around a least-squares cubic
          B-spline [3]_ with ``n_knots`` interior knots evenly spaced over
          the spectrum's wavelength range (or one every ``knot_spacing``);
          a vanishing penalty on the jumps of the third derivative at the
          knots (a difference penalty as in [4]_; it leaves cubic
          polynomials unbiased) continues the spline smoothly across gaps in
          the pixels to fit (IRAF's ``spline3`` continuum [1]_).
        - ``'running_percentile'``: at each pixel, the ``percentile`` of the
          flux of the pixels to fit within ``window_width / 2`` of it in
          wavelength: a rank filter with a wavelength window (as
          :func:`scipy.ndimage.percentile_filter` [5]_ on a pixel window),
          an upper envelope for ``percentile`` near 90 that rides above
          absorption lines and noise; windows shrink at the spectrum's ends;
          pixels whose window holds no pixel to fit are interpolated
          linearly.
        - ``'convex_hull'``: the upper convex hull of the points
          (wavelength, flux) of the pixels to fit, linear between the hull's
          vertices -- the continuum of asteroid and mineral band analysis
          [6]_ [7]_ (divided out: the normalised reflectance is ``<= 1``
          and touches 1 at the vertices).
        - ``'window'``: the constant median flux of the pixels to fit with
          ``window[0] <= wavelength <= window[1]`` (asteroid reflectance
          spectra are normalised to 1 at 0.55 µm [8]_: ``window=(0.54,
          0.56)``, ``wavelength_unit='um'``).
    degree : int >= 0, default=3
        Polynomial degree (``method='polynomial'``).
    polynomial_kind : {'chebyshev', 'legendre'}, default='chebyshev'
        Polynomial basis (``method='polynomial'``). Both span the same
        polynomials: the fits agree to rounding.
    n_knots : int >= 0, default=6
        Interior knots of the spline (``method='spline'``), evenly spaced;
        ignored when ``knot_spacing`` is given.
    knot_spacing : float > 0 or Quantity, default=None
        Spline knot spacing in ``wavelength_unit`` (``method='spline'``):
        ``round(range / knot_spacing) - 1`` interior knots, evenly spaced
        over each spectrum's range.
    sigma_lower, sigma_upper : float > 0, default=2.0 and 3.0
        Clipping thresholds below and above the fit (``'polynomial'``,
        ``'spline'``), in robust standard deviations. The lower one is
        tighter so that absorption features are excluded from the continuum.
    maxiters : int >= 0, default=5
        Maximum number of clipping iterations (0: one plain fit). Named as in
        :func:`astropy.stats.sigma_clip`; scikit-learn reserves ``max_iter``
        for estimators that learn iteratively in ``fit`` and report
        ``n_iter_``.
    window_width : float > 0 or Quantity, default=None
        Full width of the running window in ``wavelength_unit``
        (``method='running_percentile'``, required then). For plain arrays
        the wavelengths are pixel indices, so it is a number of pixels
        (``window_width=20`` spans 21 pixels).
    percentile : float in [0, 100], default=90.0
        Percentile of the running window (``method='running_percentile'``);
        50 is a running median.
    window : tuple of 2 floats, default=None
        ``(lo, hi)`` wavelength limits for ``method='window'`` (required
        then), in ``wavelength_unit``; an :class:`~astropy.units.Quantity`
        brings its own unit. For plain arrays the wavelengths are pixel
        indices.
    exclude : array-like of shape (n_regions, 2) or Quantity, default=None
        ``(lo, hi)`` wavelength ranges (inclusive) left out of every method's
        estimate -- emission lines, telluric bands
        (:data:`TELLURIC_BANDS_NIR`) -- in ``wavelength_unit`` (a Quantity
        brings its own unit). They are still normalised.
    wavelength_unit : astropy unit or str, default=None
        Unit of ``window``, ``exclude``, ``window_width`` and
        ``knot_spacing``. ``None``: each spectrum's own wavelength unit.
    mode : {'divide', 'subtract'}, default='divide'
        ``'divide'``: ``flux / continuum``, inverse variance ``ivar *
        continuum**2`` (sigma / continuum), flux unit dimensionless.
        ``'subtract'``: ``flux - continuum``, inverse variance and flux unit
        unchanged.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    SpectralResampler : Put spectra on a common wavelength grid first.
    TELLURIC_BANDS_NIR : Near-infrared telluric bands, for ``exclude``.

    Notes
    -----
    A spectrum whose continuum cannot be determined comes out all-NaN and
    fully masked with inverse variance 0, and ``transform`` emits one
    :class:`UndeterminedContinuumWarning` giving how many spectra that
    happened to. That is the case with too few pixels to fit (fewer than
    ``degree + 1`` for ``'polynomial'``, 4 for ``'spline'``, 2 for
    ``'convex_hull'``, none for ``'running_percentile'`` or inside the
    ``window``), or, with ``mode='divide'``, a continuum ``<= 0`` at any
    valid pixel. Masked pixels stay masked. Inverse variances are never made
    negative (``ivar * continuum**2``; unknown, NaN, stays NaN).

    Outside the range of its pixels to fit the continuum is extrapolated
    (polynomial, spline), or held constant (convex hull, running
    percentile).

    Spectra on a common grid are processed all at once: the polynomial and
    spline fits share one design matrix, so the normal equations of every
    spectrum come from a few matrix products, and each clipping iteration
    refits only the spectra whose clipped pixels changed; the running
    percentile sorts all windows together and the convex hull is found for
    all spectra by vectorised passes. Spectra on their own grids are
    processed one by one.

    References
    ----------
    .. [1] Tody, D. 1986, "The IRAF Data Reduction and Analysis System",
       Proc. SPIE 627, 733 (task ``onedspec.continuum``: iterative
       ``low_reject``/``high_reject`` sigma clipping of a Chebyshev,
       Legendre or spline fit).
    .. [2] specutils, ``specutils.fitting.fit_generic_continuum`` (an
       astropy ``Chebyshev1D`` of degree 3 fitted to the spectrum).
    .. [3] de Boor, C. 1978, "A Practical Guide to Splines", Springer.
    .. [4] Eilers, P. H. C. & Marx, B. D. 1996, "Flexible smoothing with
       B-splines and penalties", Statistical Science 11, 89.
    .. [5] Virtanen, P. et al. 2020, "SciPy 1.0: fundamental algorithms for
       scientific computing in Python", Nature Methods 17, 261
       (``scipy.ndimage.percentile_filter``).
    .. [6] Clark, R. N. & Roush, T. L. 1984, "Reflectance spectroscopy:
       quantitative analysis techniques for remote sensing applications",
       J. Geophys. Res. 89, 6329 (continuum removal with a convex hull).
    .. [7] Cloutis, E. A. et al. 1986, "Calibrations of phase abundance,
       composition, and particle size distribution for olivine-orthopyroxene
       mixtures from reflectance spectra", J. Geophys. Res. 91, 11641.
    .. [8] Bus, S. J. & Binzel, R. P. 2002, "Phase II of the Small Main-Belt
       Asteroid Spectroscopic Survey: The Observations", Icarus 158, 106.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import ContinuumNormalizer
    >>> wavelength = np.linspace(0.45, 0.90, 10)
    >>> spectrum = Spectrum(wavelength, 2.0 * wavelength, ivar=np.full(10, 4.0))
    >>> norm = ContinuumNormalizer(method="window", window=(0.54, 0.56), wavelength_unit="um")
    >>> out = norm.fit_transform(spectrum)
    >>> out.flux.round(3)
    array([[0.818, 0.909, 1.   , 1.091, 1.182, 1.273, 1.364, 1.455, 1.545,
            1.636]])
    >>> round(float(out.ivar[0, 0]), 6), out.flux_units[0]  # 4 * 1.1**2
    (4.84, Unit(dimensionless))
    >>> poly = ContinuumNormalizer(degree=1).fit_transform(2.0 * wavelength[None, :] + 1.0)
    >>> np.allclose(poly, 1.0)
    True

    The convex hull of a spectrum with one absorption band:

    >>> band = 1.0 + wavelength - 0.5 * np.exp(-0.5 * ((wavelength - 0.7) / 0.05) ** 2)
    >>> hull = ContinuumNormalizer(method="convex_hull")
    >>> hull.fit_transform(band[None, :]).round(2)  # 0.7: (1.7 - 0.5) / 1.7
    array([[1.  , 1.  , 1.  , 0.96, 0.82, 0.71, 0.83, 0.96, 1.  , 1.  ]])
    >>> hull.continuum(band[None, :]).round(2)  # the hull: the chord 1 + wavelength
    array([[1.45, 1.5 , 1.55, 1.6 , 1.65, 1.7 , 1.75, 1.8 , 1.85, 1.9 ]])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions(
            {"polynomial", "spline", "running_percentile", "convex_hull", "window"}
        )],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "polynomial_kind": [StrOptions({"chebyshev", "legendre"})],
        "n_knots": [Interval(Integral, 0, None, closed="left")],
        "knot_spacing": [Interval(Real, 0, None, closed="neither"), u.Quantity, None],
        "sigma_lower": [Interval(Real, 0, None, closed="neither")],
        "sigma_upper": [Interval(Real, 0, None, closed="neither")],
        "maxiters": [Interval(Integral, 0, None, closed="left")],
        "window_width": [Interval(Real, 0, None, closed="neither"), u.Quantity, None],
        "percentile": [Interval(Real, 0, 100, closed="both")],
        "window": ["array-like", None],
        "exclude": ["array-like", None],
        "wavelength_unit": [str, u.UnitBase, None],
        "mode": [StrOptions({"divide", "subtract"})],
    }

    def __init__(
        self,
        *,
        method="polynomial",
        degree=3,
        polynomial_kind="chebyshev",
        n_knots=6,
        knot_spacing=None,
        sigma_lower=2.0,
        sigma_upper=3.0,
        maxiters=5,
        window_width=None,
        percentile=90.0,
        window=None,
        exclude=None,
        wavelength_unit=None,
        mode="divide",
    ):
        self.method = method
        self.degree = degree
        self.polynomial_kind = polynomial_kind
        self.n_knots = n_knots
        self.knot_spacing = knot_spacing
        self.sigma_lower = sigma_lower
        self.sigma_upper = sigma_upper
        self.maxiters = maxiters
        self.window_width = window_width
        self.percentile = percentile
        self.window = window
        self.exclude = exclude
        self.wavelength_unit = wavelength_unit
        self.mode = mode

    def _check_params(self):
        # fit and transform: a window for method='window', a width for
        # 'running_percentile', (lo, hi) pairs for exclude, a parsable unit.
        self._wavelength_parameters()

    def transform(self, X):
        """Divide (or subtract) each spectrum's continuum.

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra to normalise.

        Returns
        -------
        X_out : SpectrumBatch or ndarray of shape (n_spectra, n_pixels)
            The same kind as ``X``: an array for an array (float32 kept), a
            batch on the same grid(s) otherwise (a single Spectrum gives a
            batch of one).

        Raises
        ------
        ValueError
            If the parameters are invalid, an array has the wrong number of
            columns, or a spectrum's wavelength unit cannot be converted to
            ``wavelength_unit`` (or the unit of a Quantity parameter).

        Warns
        -----
        UndeterminedContinuumWarning
            When the continuum of some spectra cannot be determined (they
            come out all-NaN and masked).
        """
        return self._normalise(X, normalise=True)

    def continuum(self, X):
        """The continuum that :meth:`transform` divides out (or subtracts).

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra.

        Returns
        -------
        continuum : SpectrumBatch or ndarray of shape (n_spectra, n_pixels)
            The same kind as ``X``: for spectra, a batch on the same grid(s)
            whose flux is the continuum at every pixel (masked ones
            included), in the input's flux unit, with unknown (NaN) inverse
            variance, masked only where undetermined (NaN).

        Raises
        ------
        ValueError
            As :meth:`transform`.

        Warns
        -----
        UndeterminedContinuumWarning
            As :meth:`transform`.
        """
        return self._normalise(X, normalise=False)

    # -- implementation -----------------------------------------------------

    def _normalise(self, X, *, normalise):
        """The base's dispatch with the continuum hook; warns once for all groups."""
        params = self._wavelength_parameters()
        determined = []

        def hook(group):
            flux, ivar, mask, ok = self._process(
                group.wavelength, group.wavelength_unit, group.flux, group.ivar,
                group.mask, params, normalise,
            )
            determined.append(ok)
            units = self._flux_units(group.flux_units) if normalise else group.flux_units
            return group.replace(flux=flux, ivar=ivar, mask=mask, flux_units=units)

        out = self._apply(X, hook)
        self._warn_undetermined(np.concatenate(determined))
        return out

    def _flux_units(self, units):
        if self.mode == "divide":
            return [u.dimensionless_unscaled] * len(units)
        return list(units)

    def _wavelength_parameters(self):
        """Wavelength-valued parameters as ``{name: (value, unit)}`` (unit may be None)."""
        name = type(self).__name__
        unit = as_unit(self.wavelength_unit, "wavelength_unit", name)
        params = {}
        if self.exclude is not None:
            params["exclude"] = as_regions(self.exclude, unit, "exclude", name)
        if self.method == "window":
            if self.window is None:
                raise ValueError(
                    f"{name} with method='window' needs the 'window' parameter: the "
                    "(lo, hi) wavelength limits of the continuum window, e.g. "
                    "window=(0.54, 0.56) with wavelength_unit='um'; got None."
                )
            window = self.window
            if not isinstance(window, u.Quantity) and np.ndim(window) != 1:
                window = None  # a 2-D array is not "two finite wavelengths"
            try:
                regions, wunit = as_regions(window, unit, "window", name)
            except ValueError:
                regions = None
            if regions is None or regions.shape != (1, 2):
                raise ValueError(
                    f"The 'window' parameter of {name} must be two finite wavelengths "
                    f"(lo, hi) with lo <= hi; got {self.window!r}."
                )
            params["window"] = (regions[0], wunit)
        for param, method, example in [
            ("window_width", "running_percentile", "window_width=0.05 with "
             "wavelength_unit='um' (for plain arrays: a number of pixels)"),
            ("knot_spacing", "spline", None),
        ]:
            value = getattr(self, param)
            if self.method != method:
                continue
            if value is None:
                if example is None:
                    continue
                raise ValueError(
                    f"{name} with method={method!r} needs the {param!r} parameter, "
                    f"e.g. {example}; got None."
                )
            params[param] = self._length(value, unit, param, name)
        return params

    @staticmethod
    def _length(value, unit, param, name):
        vunit = unit
        if isinstance(value, u.Quantity):
            check_wavelength_unit(value, param, name)
            if vunit is None:
                vunit = value.unit
            try:
                value = value.to_value(vunit)
            except u.UnitConversionError:
                raise ValueError(
                    f"The {param!r} parameter of {name} is in {value.unit}, which cannot "
                    f"be converted to wavelength_unit={vunit}."
                ) from None
        value = float(np.asarray(value))
        if not (np.isfinite(value) and value > 0):
            raise ValueError(
                f"The {param!r} parameter of {name} must be a finite wavelength > 0; "
                f"got {value!r}."
            )
        return value, vunit

    def _to_spectrum_unit(self, value, unit, wavelength_unit):
        if unit is None:
            return value
        name = type(self).__name__
        # Check in the direction of the message ("wavelengths in X cannot ...").
        unit_scale(wavelength_unit, unit, "wavelength_unit", name)
        return convert_wavelength(value, unit, wavelength_unit, "wavelength_unit", name)

    def _estimate(self, wavelength, wavelength_unit, flux, use, params):
        """``(continuum (n, p), determined (n,))`` on one grid."""
        method = self.method
        if method == "window":
            lo, hi = self._to_spectrum_unit(np.asarray(params["window"][0]),
                                            params["window"][1], wavelength_unit)
            level = window_continuum(wavelength, flux, use, lo, hi)
            return np.repeat(level[:, None], flux.shape[1], axis=1), np.isfinite(level)
        if method == "polynomial":
            return polynomial_continuum(
                wavelength, flux, use, degree=self.degree, kind=self.polynomial_kind,
                sigma_lower=self.sigma_lower, sigma_upper=self.sigma_upper,
                maxiters=self.maxiters,
            )
        if method == "spline":
            spacing = None
            if "knot_spacing" in params:
                spacing = self._to_spectrum_unit(*params["knot_spacing"], wavelength_unit)
            knots = spline_knots(wavelength, n_knots=self.n_knots, knot_spacing=spacing)
            return spline_continuum(
                wavelength, flux, use, knots=knots, sigma_lower=self.sigma_lower,
                sigma_upper=self.sigma_upper, maxiters=self.maxiters,
            )
        if method == "running_percentile":
            width = self._to_spectrum_unit(*params["window_width"], wavelength_unit)
            return running_percentile_continuum(
                wavelength, flux, use, width=width, percentile=self.percentile,
            )
        return convex_hull_continuum(wavelength, flux, use)

    def _process(self, wavelength, wavelength_unit, flux, ivar, mask, params, normalise):
        valid = ~mask
        use = valid
        if "exclude" in params:
            regions = self._to_spectrum_unit(*params["exclude"], wavelength_unit)
            use = valid & ~region_mask(wavelength, regions)[None, :]
        continuum, ok = self._estimate(wavelength, wavelength_unit, flux, use, params)
        ok = ok & ~np.any(valid & ~np.isfinite(continuum), axis=1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.mode == "divide":
                ok &= ~np.any(valid & ~(continuum > 0), axis=1)
            if not normalise:
                continuum[~ok] = np.nan
                undetermined = np.repeat(~ok[:, None], flux.shape[1], axis=1)
                return continuum, np.full(flux.shape, np.nan), undetermined, ok
            if self.mode == "divide":
                out = flux / continuum
                out_ivar = ivar * continuum**2
            else:
                out = flux - continuum
                out_ivar = ivar.copy()
        out[~ok] = np.nan
        out_ivar[~ok] = 0.0
        return out, out_ivar, mask | ~ok[:, None], ok

    def _warn_undetermined(self, ok):
        n_bad = int(np.sum(~ok))
        if not n_bad:
            return
        reason = {
            "window": f"an empty window {tuple(np.ravel(self.window))!r}",
            "polynomial": f"fewer than degree + 1 = {self.degree + 1} valid pixels to fit",
            "spline": "fewer than 4 valid pixels to fit",
            "running_percentile": "no valid pixel to fit",
            "convex_hull": "fewer than 2 valid pixels to fit",
        }[self.method]
        if self.mode == "divide":
            reason += " or a continuum <= 0 (mode='divide')"
        warnings.warn(
            f"ContinuumNormalizer could not determine the continuum of {n_bad} of "
            f"{ok.shape[0]} spectra ({reason}); their flux is set to NaN and masked.",
            UndeterminedContinuumWarning,
            stacklevel=4,
        )
