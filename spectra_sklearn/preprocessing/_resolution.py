"""ResolutionDegrader: bring spectra to one (lower) spectral resolution."""

from numbers import Real

import numpy as np
from astropy import units as u
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from .._quantity import as_unit
from ._base import BaseSpectrumTransformer, spectrum_label
from ._inputs import convert_wavelength
from ._line_spread import FWHM_PER_SIGMA, gaussian_matrix

__all__ = ["ResolutionDegrader"]


def masked_convolution(matrix, flux, ivar, mask):
    """Normalised convolution of rows by a non-negative sparse operator.

    Masked pixels get zero weight and each output pixel is divided by the
    weight of the valid pixels it uses (Knutsson & Westin 1993), so masks
    do not spread; the variance is ``sum(w**2 sigma**2) / sum(w)**2``.
    Masked pixels are passed through unchanged; a pixel whose kernel holds
    no valid pixel is masked.

    Parameters
    ----------
    matrix : sparse array of shape (n_pixels, n_pixels)
        Non-negative weights (row = output pixel), no stored zeros.
    flux, ivar : ndarray of shape (n_spectra, n_pixels)
    mask : ndarray of bool of shape (n_spectra, n_pixels)

    Returns
    -------
    flux, ivar, mask : ndarrays of shape (n_spectra, n_pixels)
    """
    valid = (~mask & np.isfinite(flux)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        variance = np.where(valid > 0, 1.0 / ivar, 0.0)
        weighted = np.where(valid > 0, flux, 0.0)
        num = (matrix @ weighted.T).T
        den = (matrix @ valid.T).T
        var_num = ((matrix * matrix) @ variance.T).T
        out = num / den
        out_ivar = den**2 / var_num
    empty = den <= 0
    out_mask = mask | empty
    out = np.where(mask, flux, np.where(empty, np.nan, out))
    out_ivar = np.where(mask, ivar, np.where(empty, 0.0, out_ivar))
    return out, out_ivar, out_mask


class ResolutionDegrader(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Degrade spectra to a common, lower spectral resolution.

    Each spectrum is convolved with a Gaussian whose FWHM at wavelength
    ``lambda`` is ``sqrt(FWHM_target(lambda)**2 - FWHM_input(lambda)**2)``
    (Gaussian line-spread functions add in quadrature), with ``sigma =
    FWHM / (2 sqrt(2 ln 2)) = FWHM / 2.3548``. A resolving power ``R``
    means ``FWHM(lambda) = lambda / R`` (constant in log-wavelength, as
    SDSS and X-shooter); a FWHM means the same width at every wavelength
    (MILES: 2.5 Angstrom, Falcon-Barroso et al. 2011 [1]_).

    The target is set by at most one of ``target_resolution`` and
    ``target_fwhm``; with neither (the default) the step is the identity
    (spectra and metadata pass through unchanged, no input resolution is
    needed), so that a pipeline can carry it and a grid search can set the
    target. The input resolution of a spectrum comes from the
    ``input_resolution`` or ``input_fwhm`` parameter when one is given,
    else from its metadata: ``meta[resolution_key]`` (R) or
    ``meta[fwhm_key]`` (FWHM, a number in the spectrum's wavelength unit or
    an astropy Quantity). The output metadata holds the new resolution
    under the same key as the target (the other key is removed).

    Parameters
    ----------
    target_resolution : float > 0, default=None
        Target resolving power ``R = lambda / FWHM``. ``None`` (and no
        ``target_fwhm``): no degradation.
    target_fwhm : float > 0, default=None
        Target FWHM, in ``wavelength_unit``. ``None`` (and no
        ``target_resolution``): no degradation.
    input_resolution : float > 0, default=None
        Resolving power of every input spectrum (overrides metadata).
    input_fwhm : float >= 0, default=None
        FWHM of every input spectrum, in ``wavelength_unit`` (overrides
        metadata; 0 = perfectly sharp).
    wavelength_unit : astropy unit or str, default=None
        Unit of ``target_fwhm`` and ``input_fwhm``. ``None``: each
        spectrum's own wavelength unit (for plain arrays: pixels).
    resolution_key : str, default='resolution'
        Metadata key of the resolving power (the key the SpeX reader fills
        from ``RES``/``RP``).
    fwhm_key : str, default='fwhm'
        Metadata key of the FWHM.
    truncate : float > 0, default=4.0
        Kernel half-width in standard deviations (as
        :func:`scipy.ndimage.gaussian_filter1d`).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    SpectrumSmoother : Smoothing with a width in pixels.

    Notes
    -----
    The kernel weight of input pixel ``j`` for output pixel ``i`` is the
    Gaussian centred on ``lambda_i`` evaluated at ``lambda_j`` times the
    width of pixel ``j`` (half way to its neighbours), so unevenly spaced
    grids are handled and line widths add in quadrature exactly; the width
    is that at the output pixel (for a constant ``R`` this is convolution
    in ``ln(lambda)`` to first order in ``1/R``). Kernels much narrower
    than a pixel leave the spectrum nearly unchanged, as they should; a
    target equal to the input returns the spectrum unchanged.

    Masked pixels get zero weight and each output pixel is divided by the
    total weight of the valid pixels in its kernel (normalised convolution,
    Knutsson & Westin 1993 [2]_), so a masked pixel does not spread; masked
    pixels themselves pass through unchanged and stay masked. At the ends
    of a spectrum the kernel is renormalised the same way. Away from masks
    and ends the integrated flux ``sum(flux * d_lambda)`` is conserved. The
    variance is propagated through the weights: ``ivar_out = (sum_j w_ij)**2
    / sum_j w_ij**2 / ivar_j`` (an input pixel with inverse variance 0
    makes every output pixel it touches 0; unknown stays unknown). The
    correlation the convolution introduces between pixels is not recorded.

    A target sharper than the input at any pixel is an error (resolution
    can only be degraded). Spectra on a common grid with the same input
    resolution share one sparse kernel matrix.

    References
    ----------
    .. [1] Falcon-Barroso, J. et al. 2011, "An updated MILES stellar library
       and stellar population models", A&A 532, A95.
    .. [2] Knutsson, H. & Westin, C.-F. 1993, "Normalized and differential
       convolution", Proc. IEEE CVPR, 515.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import ResolutionDegrader
    >>> wavelength = np.arange(6500.0, 6600.0, 0.5)
    >>> line = np.exp(-0.5 * ((wavelength - 6550.0) / (2.5 / 2.3548)) ** 2)
    >>> miles_like = Spectrum(wavelength, line, wavelength_unit="Angstrom", meta={"fwhm": 2.5})
    >>> out = ResolutionDegrader(target_fwhm=5.0).fit_transform(miles_like)
    >>> round(float(line.sum() * 0.5), 4), round(float(out.flux.sum() * 0.5), 4)  # flux kept
    (2.6612, 2.6612)
    >>> round(float(out.flux.max() / line.max()), 2)  # peak drops by 2.5 / 5
    0.5
    >>> out.meta[0]["fwhm"]
    5.0
    """

    # The Gaussian kernel is normalised: the integrated flux is kept
    # (spectra_sklearn.utils.estimator_checks.check_flux_conserved).
    _conserves_flux = True

    _parameter_constraints: dict = {
        "target_resolution": [Interval(Real, 0, None, closed="neither"), None],
        "target_fwhm": [Interval(Real, 0, None, closed="neither"), None],
        "input_resolution": [Interval(Real, 0, None, closed="neither"), None],
        "input_fwhm": [Interval(Real, 0, None, closed="left"), None],
        "wavelength_unit": [str, u.UnitBase, None],
        "resolution_key": [str],
        "fwhm_key": [str],
        "truncate": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        target_resolution=None,
        target_fwhm=None,
        input_resolution=None,
        input_fwhm=None,
        wavelength_unit=None,
        resolution_key="resolution",
        fwhm_key="fwhm",
        truncate=4.0,
    ):
        self.target_resolution = target_resolution
        self.target_fwhm = target_fwhm
        self.input_resolution = input_resolution
        self.input_fwhm = input_fwhm
        self.wavelength_unit = wavelength_unit
        self.resolution_key = resolution_key
        self.fwhm_key = fwhm_key
        self.truncate = truncate

    def _check_params(self):
        name = type(self).__name__
        as_unit(self.wavelength_unit, "wavelength_unit", name)
        if self.target_resolution is not None and self.target_fwhm is not None:
            raise ValueError(
                f"{name} takes at most one of 'target_resolution' (R = lambda / FWHM) "
                "and 'target_fwhm'; got target_resolution="
                f"{self.target_resolution!r} and target_fwhm={self.target_fwhm!r}."
            )
        if self.input_resolution is not None and self.input_fwhm is not None:
            raise ValueError(
                f"{name} takes at most one of 'input_resolution' and 'input_fwhm'; got "
                f"input_resolution={self.input_resolution!r} and "
                f"input_fwhm={self.input_fwhm!r}."
            )

    def _fwhm_scale(self, unit):
        """Factor turning FWHM parameters into ``unit``."""
        target = as_unit(self.wavelength_unit, "wavelength_unit", type(self).__name__)
        if target is None:
            return 1.0
        return convert_wavelength(1.0, target, unit, "wavelength_unit", type(self).__name__)

    def _input_fwhm(self, wavelength, unit, meta, row):
        """FWHM of the input line-spread function at each pixel, in ``unit``."""
        name = type(self).__name__
        if self.input_resolution is not None:
            return wavelength / self.input_resolution
        if self.input_fwhm is not None:
            return np.full(wavelength.shape, self.input_fwhm * self._fwhm_scale(unit))
        if self.resolution_key in meta and meta[self.resolution_key] is not None:
            value = meta[self.resolution_key]
            try:
                r = float(value)
            except (TypeError, ValueError):
                r = np.nan
            if not (np.isfinite(r) and r > 0):
                raise ValueError(
                    f"{name}: {spectrum_label(meta, row)} has meta[{self.resolution_key!r}]"
                    f" = {value!r}; a resolving power must be a number > 0."
                )
            return wavelength / r
        if self.fwhm_key in meta and meta[self.fwhm_key] is not None:
            value = meta[self.fwhm_key]
            try:
                if isinstance(value, u.Quantity):
                    fwhm = float(value.to_value(unit))
                else:
                    fwhm = float(value)
            except (TypeError, ValueError, u.UnitConversionError):
                fwhm = np.nan
            if not (np.isfinite(fwhm) and fwhm >= 0):
                raise ValueError(
                    f"{name}: {spectrum_label(meta, row)} has meta[{self.fwhm_key!r}] = "
                    f"{value!r}; a FWHM must be a number >= 0 (in the spectrum's "
                    f"wavelength unit, {unit}) or a length Quantity."
                )
            return np.full(wavelength.shape, fwhm)
        raise ValueError(
            f"{name}: the input resolution of {spectrum_label(meta, row)} is unknown: "
            f"its metadata has neither {self.resolution_key!r} nor {self.fwhm_key!r}. "
            "Give input_resolution= or input_fwhm=, or set resolution_key/fwhm_key."
        )

    def _sigma(self, wavelength, unit, meta, row):
        fwhm_in = self._input_fwhm(wavelength, unit, meta, row)
        if self.target_resolution is not None:
            fwhm_out = wavelength / self.target_resolution
        else:
            fwhm_out = np.full(wavelength.shape, self.target_fwhm * self._fwhm_scale(unit))
        excess = fwhm_out**2 - fwhm_in**2
        sharper = excess < -1e-12 * fwhm_out**2
        if np.any(sharper):
            i = int(np.argmax(sharper))
            raise ValueError(
                f"{type(self).__name__}: the target resolution is sharper than that of "
                f"{spectrum_label(meta, row)} at {wavelength[i]:.6g} {unit} (target FWHM "
                f"{fwhm_out[i]:.6g}, input FWHM {fwhm_in[i]:.6g} {unit}); resolution can "
                "only be degraded."
            )
        return np.sqrt(np.maximum(excess, 0.0)) / FWHM_PER_SIGMA

    def _transform_group(self, g):
        if self.target_resolution is None and self.target_fwhm is None:
            return g  # no target: the identity (documented)
        unit = g.wavelength_unit
        sigmas = [self._sigma(g.wavelength, unit, m, r) for m, r in zip(g.meta, g.rows)]
        flux = np.empty_like(g.flux)
        ivar = np.empty_like(g.ivar)
        mask = np.empty_like(g.mask)
        groups = {}  # spectra with the same kernel widths share one matrix
        for k, sigma in enumerate(sigmas):
            groups.setdefault(sigma.tobytes(), []).append(k)
        for rows in groups.values():
            if not np.any(sigmas[rows[0]] > 0):  # already at the target
                flux[rows], ivar[rows], mask[rows] = g.flux[rows], g.ivar[rows], g.mask[rows]
                continue
            matrix = gaussian_matrix(g.wavelength, sigmas[rows[0]], self.truncate)
            flux[rows], ivar[rows], mask[rows] = masked_convolution(
                matrix, g.flux[rows], g.ivar[rows], g.mask[rows]
            )
        meta = []
        for m in g.meta:
            m = dict(m)
            if self.target_resolution is not None:
                m[self.resolution_key] = float(self.target_resolution)
                m.pop(self.fwhm_key, None)
            else:
                fwhm = self.target_fwhm * self._fwhm_scale(unit)
                m[self.fwhm_key] = float(fwhm)
                m.pop(self.resolution_key, None)
            meta.append(m)
        return g.replace(flux=flux, ivar=ivar, mask=mask, meta=meta)
