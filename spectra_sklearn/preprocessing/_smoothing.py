"""SpectrumSmoother: Gaussian or Savitzky-Golay smoothing along the pixels."""

from numbers import Integral, Real

import numpy as np
from scipy.ndimage import convolve1d
from scipy.signal import savgol_coeffs, savgol_filter
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseSpectrumTransformer
from ._mask_interpolation import fill_masked

__all__ = ["SpectrumSmoother"]


def _gaussian_kernel(sigma, truncate):
    """The point-sampled kernel of :func:`scipy.ndimage.gaussian_filter1d`."""
    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def _gaussian(flux, ivar, mask, sigma, truncate):
    """Normalised convolution (masked pixels weight 0), ends renormalised."""
    kernel = _gaussian_kernel(sigma, truncate)
    valid = (~mask & np.isfinite(flux)).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        variance = np.where(valid > 0, 1.0 / ivar, 0.0)
        num = convolve1d(np.where(valid > 0, flux, 0.0), kernel, axis=1, mode="constant")
        den = convolve1d(valid, kernel, axis=1, mode="constant")
        var_num = convolve1d(variance, kernel**2, axis=1, mode="constant")
        out = num / den
        out_ivar = den**2 / var_num
    empty = den <= 0
    out = np.where(mask, flux, np.where(empty, np.nan, out))
    out_ivar = np.where(mask, ivar, np.where(empty, 0.0, out_ivar))
    return out, out_ivar, mask | empty


def _linear_operator_variance(variance, apply, apply_abs):
    """Variance through a linear filter: ``apply(var)`` with squared weights.

    ``apply(x)`` applies the squared weights, ``apply_abs(x)`` the absolute
    weights (to find the outputs touched by infinite or NaN variances, which
    must not meet zero weights as ``0 * inf``).
    """
    infinite = np.isinf(variance).astype(np.float64)
    unknown = np.isnan(variance).astype(np.float64)
    finite = np.where(np.isfinite(variance), variance, 0.0)
    out = apply(finite)
    out = np.where(apply_abs(infinite) > 0, np.inf, out)
    return np.where(apply_abs(unknown) > 0, np.nan, out)


def _savgol(wavelength, flux, ivar, mask, window_length, polyorder):
    """Savitzky-Golay on rows; masked pixels interpolated over first."""
    bad = mask | ~np.isfinite(flux)
    filled = fill_masked(wavelength, flux, bad)
    filled[bad.all(axis=1)] = 0.0  # nothing to fill from; restored below
    with np.errstate(divide="ignore", over="ignore"):
        variance = np.where(bad, np.inf, 1.0 / ivar)
    n = flux.shape[1]
    if n < window_length:
        # The window covers the whole spectrum: one least-squares polynomial.
        degree = min(polyorder, n - 1)
        x = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        vander = np.vander(x, degree + 1)
        hat = vander @ np.linalg.pinv(vander)  # (n, n), row = output pixel
        out = filled @ hat.T
        with np.errstate(over="ignore", invalid="ignore"):
            var = _linear_operator_variance(
                variance, lambda v: v @ (hat**2).T, lambda v: v @ np.abs(hat).T
            )
    else:
        out = savgol_filter(filled, window_length, polyorder, axis=1, mode="interp")
        centre = savgol_coeffs(window_length, polyorder, use="dot")
        half = window_length // 2
        left = np.array([
            savgol_coeffs(window_length, polyorder, pos=p, use="dot") for p in range(half)
        ])
        right = np.array([
            savgol_coeffs(window_length, polyorder, pos=p, use="dot")
            for p in range(window_length - half, window_length)
        ])

        def apply(v, power):
            res = convolve1d(v, np.abs(centre[::-1]) ** power, axis=1, mode="constant")
            if half:
                res[:, :half] = v[:, :window_length] @ (np.abs(left) ** power).T
                res[:, n - half:] = v[:, n - window_length:] @ (np.abs(right) ** power).T
            return res

        with np.errstate(over="ignore", invalid="ignore"):
            var = _linear_operator_variance(
                variance, lambda v: apply(v, 2), lambda v: apply(v, 1)
            )
    with np.errstate(divide="ignore", over="ignore"):
        out_ivar = 1.0 / var
    # All-bad rows: nothing to fill from; masked pixels pass through.
    out = np.where(mask, flux, out)
    out_ivar = np.where(mask, ivar, out_ivar)
    return out, out_ivar, mask | ~np.isfinite(out)


class SpectrumSmoother(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Smooth each spectrum along its pixels (Gaussian or Savitzky-Golay).

    ``'gaussian'``: convolution with a Gaussian of standard deviation
    ``sigma`` pixels, the kernel of :func:`scipy.ndimage.gaussian_filter1d`
    (truncated at ``truncate * sigma``), as a normalised convolution:
    masked pixels get zero weight and each output pixel is divided by the
    weight of the valid pixels it uses (Knutsson & Westin 1993 [1]_), which
    also renormalises the kernel at the ends of the spectrum.

    ``'savgol'``: the Savitzky-Golay filter [2]_ of
    :func:`scipy.signal.savgol_filter` (``mode='interp'``: the first and
    last ``window_length // 2`` pixels take the polynomial fitted to the
    first/last window). Masked pixels are first filled by linear
    interpolation from their good neighbours (as
    :class:`MaskedPixelInterpolator`); every output pixel whose window holds
    a masked pixel gets inverse variance 0. A spectrum shorter than
    ``window_length`` is fitted by one polynomial of degree ``min(polyorder,
    n_pixels - 1)``.

    Parameters
    ----------
    method : {'gaussian', 'savgol'}, default='gaussian'
        The filter.
    sigma : float > 0, default=1.0
        Gaussian standard deviation, in pixels (``'gaussian'``).
    truncate : float > 0, default=4.0
        Gaussian kernel half-width in standard deviations (``'gaussian'``).
    window_length : odd int >= 1, default=5
        Savitzky-Golay window, in pixels (``'savgol'``).
    polyorder : int >= 0, default=2
        Savitzky-Golay polynomial degree, ``< window_length`` (``'savgol'``).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    ResolutionDegrader : Gaussian smoothing to a physical resolution (width
        in wavelength).

    Notes
    -----
    Widths are in pixels whatever the wavelength spacing. Both filters are
    linear, so the variance is propagated exactly through the squared
    weights, ``ivar_out = 1 / sum_j w_ij**2 / ivar_j`` (the correlations the
    filter introduces between neighbouring pixels are not recorded).
    Inverse variance 0 (no information) in the window gives 0, NaN
    (unknown) gives NaN. Masked pixels pass through unchanged and stay
    masked. Vectorised over the spectra of a common grid.

    References
    ----------
    .. [1] Knutsson, H. & Westin, C.-F. 1993, "Normalized and differential
       convolution", Proc. IEEE CVPR, 515.
    .. [2] Savitzky, A. & Golay, M. J. E. 1964, "Smoothing and
       Differentiation of Data by Simplified Least Squares Procedures",
       Analytical Chemistry 36, 1627.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.preprocessing import SpectrumSmoother
    >>> X = np.array([[0.0, 0.0, 3.0, 0.0, 0.0]])
    >>> SpectrumSmoother(sigma=1.0, truncate=1.0).fit_transform(X).round(3)
    array([[0.   , 0.822, 1.356, 0.822, 0.   ]])
    >>> SpectrumSmoother(method="savgol", window_length=3, polyorder=1).fit_transform(X)
    array([[-0.5,  1. ,  1. ,  1. , -0.5]])
    """

    @property
    def _conserves_flux(self):
        # a normalised Gaussian kernel keeps the integrated flux (checked by
        # spectra_sklearn.utils.estimator_checks.check_flux_conserved)
        return self.method == "gaussian"

    _parameter_constraints: dict = {
        "method": [StrOptions({"gaussian", "savgol"})],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "truncate": [Interval(Real, 0, None, closed="neither")],
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "polyorder": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, *, method="gaussian", sigma=1.0, truncate=4.0, window_length=5,
                 polyorder=2):
        self.method = method
        self.sigma = sigma
        self.truncate = truncate
        self.window_length = window_length
        self.polyorder = polyorder

    def _check_params(self):
        if self.method != "savgol":
            return
        name = type(self).__name__
        if self.window_length % 2 != 1:
            raise ValueError(
                f"The 'window_length' parameter of {name} must be odd (a window centred "
                f"on each pixel); got {self.window_length!r}."
            )
        if self.polyorder >= self.window_length:
            raise ValueError(
                f"The 'polyorder' parameter of {name} must be less than window_length="
                f"{self.window_length}; got {self.polyorder!r}."
            )

    def _transform_group(self, g):
        if self.method == "gaussian":
            flux, ivar, mask = _gaussian(g.flux, g.ivar, g.mask, self.sigma, self.truncate)
        else:
            flux, ivar, mask = _savgol(
                g.wavelength, g.flux, g.ivar, g.mask, self.window_length, self.polyorder
            )
        return g.replace(flux=flux, ivar=ivar, mask=mask)
