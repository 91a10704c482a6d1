"""ContinuumNormalizer: divide spectra by (or subtract) their continuum."""

import warnings
from numbers import Integral, Real

import numpy as np
from astropy import units as u
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._batch import SpectrumBatch
from .._spectrum import Spectrum, _as_unit
from ._continuum_fit import polynomial_continuum, window_continuum
from ._inputs import (
    convert_wavelength,
    float_dtype,
    read_spectra_input,
    unit_scale,
)

__all__ = ["ContinuumNormalizer", "UndeterminedContinuumWarning"]


class UndeterminedContinuumWarning(UserWarning):
    """The continuum of some spectra could not be determined.

    Emitted once per :meth:`ContinuumNormalizer.transform` call; those spectra
    come out all-NaN and fully masked. Filter it with
    ``warnings.filterwarnings("ignore", category=UndeterminedContinuumWarning)``
    when that is expected.
    """


class ContinuumNormalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Normalise every spectrum by its own continuum.

    Stateless: each spectrum's continuum is estimated from that spectrum
    alone, in ``transform``. ``fit`` only validates the parameters (and, for
    arrays, records ``n_features_in_``).

    Parameters
    ----------
    method : {'polynomial', 'window'}, default='polynomial'
        ``'polynomial'``: an iteratively sigma-clipped Chebyshev polynomial
        fit of the flux against the wavelength scaled to ``[-1, 1]`` over the
        spectrum's valid pixels (the classic continuum fit of IRAF
        ``continuum`` [1]_ and specutils ``fit_generic_continuum`` [2]_).
        Masked pixels are never used; each iteration drops the pixels whose
        residual is more than ``sigma_lower`` robust standard deviations
        (1.4826 * median absolute deviation) below, or ``sigma_upper`` above,
        the median residual. ``'window'``: the continuum is the constant
        median flux of the valid pixels with ``window[0] <= wavelength <=
        window[1]`` (asteroid reflectance spectra are normalised to 1 at
        0.55 µm [3]_: ``window=(0.54, 0.56)``, ``wavelength_unit='um'``).
    degree : int >= 0, default=3
        Degree of the Chebyshev polynomial (``method='polynomial'``).
    sigma_lower, sigma_upper : float > 0, default=2.0 and 3.0
        Clipping thresholds below and above the fit, in robust standard
        deviations. The lower one is tighter so that absorption features
        are excluded from the continuum.
    maxiters : int >= 0, default=5
        Maximum number of clipping iterations (0: one plain fit). Named as in
        :func:`astropy.stats.sigma_clip`; scikit-learn reserves ``max_iter``
        for estimators that learn iteratively in ``fit`` and report
        ``n_iter_``.
    window : tuple of 2 floats, default=None
        ``(lo, hi)`` wavelength limits for ``method='window'`` (required
        then), in ``wavelength_unit``; an :class:`~astropy.units.Quantity`
        brings its own unit. For plain arrays the wavelengths are pixel
        indices.
    wavelength_unit : astropy unit or str, default=None
        Unit of ``window``. ``None``: each spectrum's own wavelength unit.
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

    Notes
    -----
    A spectrum whose continuum cannot be determined -- fewer than ``degree +
    1`` valid pixels, no valid pixel in the window, or (``mode='divide'``) a
    continuum ``<= 0`` at any of its valid pixels -- comes out all-NaN and
    fully masked with inverse variance 0, and ``transform`` emits one
    :class:`UndeterminedContinuumWarning` giving how many spectra that
    happened to. Masked pixels
    stay masked.

    Spectra on a common grid are fitted all at once (batched normal
    equations of the Chebyshev design matrix); spectra on their own grids
    one by one.

    References
    ----------
    .. [1] Tody, D. 1986, "The IRAF Data Reduction and Analysis System",
       Proc. SPIE 627, 733 (task ``onedspec.continuum``: iterative
       ``low_reject``/``high_reject`` sigma clipping of a Chebyshev or
       spline fit).
    .. [2] specutils, ``specutils.fitting.fit_generic_continuum`` (an
       astropy ``Chebyshev1D`` of degree 3 fitted to the spectrum).
    .. [3] Bus, S. J. & Binzel, R. P. 2002, "Phase II of the Small Main-Belt
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
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"polynomial", "window"})],
        "degree": [Interval(Integral, 0, None, closed="left")],
        "sigma_lower": [Interval(Real, 0, None, closed="neither")],
        "sigma_upper": [Interval(Real, 0, None, closed="neither")],
        "maxiters": [Interval(Integral, 0, None, closed="left")],
        "window": ["array-like", None],
        "wavelength_unit": [str, u.UnitBase, None],
        "mode": [StrOptions({"divide", "subtract"})],
    }

    def __init__(
        self,
        *,
        method="polynomial",
        degree=3,
        sigma_lower=2.0,
        sigma_upper=3.0,
        maxiters=5,
        window=None,
        wavelength_unit=None,
        mode="divide",
    ):
        self.method = method
        self.degree = degree
        self.sigma_lower = sigma_lower
        self.sigma_upper = sigma_upper
        self.maxiters = maxiters
        self.window = window
        self.wavelength_unit = wavelength_unit
        self.mode = mode

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters (and record ``n_features_in_`` for arrays).

        Parameters
        ----------
        X : SpectrumBatch, Spectrum, list of Spectrum, or array-like of shape (n_spectra, n_pixels)
            Spectra (arrays: flux on the pixel grid).
        y : None
            Ignored.

        Returns
        -------
        self : ContinuumNormalizer

        Raises
        ------
        ValueError
            If ``method='window'`` without a valid ``window``, or
            ``wavelength_unit`` cannot be parsed.
        """
        self._window_limits()
        read_spectra_input(self, X, reset=True)
        return self

    def __sklearn_is_fitted__(self):
        # Stateless: nothing is learnt, transform works without fit.
        return True

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
            ``wavelength_unit``.

        Warns
        -----
        UndeterminedContinuumWarning
            When the continuum of some spectra cannot be determined (they
            come out all-NaN and masked).
        """
        check_is_fitted(self)
        self._validate_params()
        window = self._window_limits()
        batch, from_array = read_spectra_input(self, X, reset=False)
        dtype = float_dtype(batch)
        if batch.on_common_grid:
            flux, ivar, mask, ok = self._normalise(
                batch.wavelength, batch.wavelength_unit,
                np.asarray(batch.flux, dtype=np.float64),
                np.asarray(batch.ivar, dtype=np.float64),
                batch.mask, window,
            )
            self._warn_undetermined(ok)
            flux = flux.astype(dtype, copy=False)
            if from_array:
                return flux
            return SpectrumBatch.from_arrays(
                batch.wavelength, flux, ivar.astype(dtype, copy=False), mask,
                wavelength_unit=batch.wavelength_unit,
                flux_unit=self._flux_units(batch.flux_units),
                meta=batch.meta,
            )
        spectra = []
        oks = []
        for s, funit in zip(batch.spectra, self._flux_units(batch.flux_units)):
            flux, ivar, mask, ok = self._normalise(
                s.wavelength, s.wavelength_unit, s.flux[None, :], s.ivar[None, :],
                s.mask[None, :], window,
            )
            oks.append(ok[0])
            spectra.append(Spectrum(
                s.wavelength, flux[0], ivar[0], mask[0],
                wavelength_unit=s.wavelength_unit, flux_unit=funit, meta=s.meta,
            ))
        self._warn_undetermined(np.array(oks, dtype=bool))
        return SpectrumBatch(spectra)

    def _flux_units(self, units):
        if self.mode == "divide":
            return [u.dimensionless_unscaled] * len(units)
        return list(units)

    def _window_limits(self):
        """``(lo, hi, unit)`` of the window (unit may be None), or None."""
        name = type(self).__name__
        unit = _as_unit(self.wavelength_unit, "wavelength_unit", name)
        if self.method != "window":
            return None
        window = self.window
        if window is None:
            raise ValueError(
                f"{name} with method='window' needs the 'window' parameter: the "
                "(lo, hi) wavelength limits of the continuum window, e.g. "
                "window=(0.54, 0.56) with wavelength_unit='um'; got None."
            )
        if isinstance(window, u.Quantity):
            if unit is None:
                unit = window.unit
            try:
                window = window.to_value(unit)
            except u.UnitConversionError:
                raise ValueError(
                    f"The 'window' parameter of {name} is in {window.unit}, which cannot "
                    f"be converted to wavelength_unit={unit}."
                ) from None
        try:
            limits = np.asarray(window, dtype=np.float64)
        except (TypeError, ValueError):
            limits = None
        if (
            limits is None
            or limits.shape != (2,)
            or not np.all(np.isfinite(limits))
            or not limits[0] <= limits[1]
        ):
            raise ValueError(
                f"The 'window' parameter of {name} must be two finite wavelengths "
                f"(lo, hi) with lo <= hi; got {self.window!r}."
            )
        return float(limits[0]), float(limits[1]), unit

    def _normalise(self, wavelength, wavelength_unit, flux, ivar, mask, window):
        valid = ~mask
        if window is not None:
            lo, hi, unit = window
            if unit is not None:
                # Check in the direction of the message ("wavelengths in X cannot ...").
                unit_scale(wavelength_unit, unit, "wavelength_unit", type(self).__name__)
                lo, hi = convert_wavelength(
                    np.array([lo, hi]), unit, wavelength_unit, "wavelength_unit",
                    type(self).__name__,
                )
            level = window_continuum(wavelength, flux, valid, lo, hi)
            continuum = np.repeat(level[:, None], flux.shape[1], axis=1)
            ok = np.isfinite(level)
        else:
            continuum, ok = polynomial_continuum(
                wavelength, flux, valid, degree=self.degree,
                sigma_lower=self.sigma_lower, sigma_upper=self.sigma_upper,
                maxiters=self.maxiters,
            )
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.mode == "divide":
                ok &= ~np.any(valid & ~(continuum > 0), axis=1)
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
        if n_bad:
            reason = (
                f"an empty window {tuple(self.window)!r}"
                if self.method == "window"
                else f"fewer than degree + 1 = {self.degree + 1} valid pixels"
            )
            if self.mode == "divide":
                reason += " or a continuum <= 0 (mode='divide')"
            warnings.warn(
                f"ContinuumNormalizer could not determine the continuum of {n_bad} of "
                f"{ok.shape[0]} spectra ({reason}); their flux is set to NaN and "
                "masked.",
                UndeterminedContinuumWarning,
                stacklevel=3,
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
