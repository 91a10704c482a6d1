"""MaskedPixelInterpolator: fill masked pixels from their good neighbours."""

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import StrOptions

from ._base import BaseSpectrumTransformer

__all__ = ["MaskedPixelInterpolator", "fill_masked"]


def fill_masked(wavelength, flux, bad):
    """``flux`` with its ``bad`` pixels linearly interpolated along ``wavelength``.

    Row by row what :func:`numpy.interp` over the good pixels gives, but
    vectorised: between the nearest good pixels on either side a straight
    line, beyond the first/last good pixel the nearest good value. Rows
    with no good pixel are all-NaN. Returns a new float64 array.

    Parameters
    ----------
    wavelength : ndarray of shape (n_pixels,)
        Increasing pixel centres.
    flux : ndarray of shape (n_spectra, n_pixels)
    bad : ndarray of bool of shape (n_spectra, n_pixels)
    """
    flux = np.asarray(flux, dtype=np.float64)
    n, m = flux.shape
    good = ~bad
    cols = np.arange(m)
    prev = np.maximum.accumulate(np.where(good, cols, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(good, cols, m)[:, ::-1], axis=1)[:, ::-1]
    p = np.clip(prev, 0, m - 1)
    q = np.clip(nxt, 0, m - 1)
    rows = np.arange(n)[:, None]
    fp, fq = flux[rows, p], flux[rows, q]
    wp, wq = wavelength[p], wavelength[q]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (wavelength[None, :] - wp) / (wq - wp)
        inner = fp + t * (fq - fp)
    value = np.where(prev < 0, fq, np.where(nxt >= m, fp, inner))
    value = np.where(prev == nxt, fp, value)  # the pixel itself is good
    value[~good.any(axis=1)] = np.nan
    return np.where(good, flux, value)


class MaskedPixelInterpolator(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Fill masked and non-finite pixels by interpolating along wavelength.

    Each bad pixel (masked, or with non-finite flux) gets the value of the
    straight line through the nearest good pixels on either side, in
    wavelength (like :func:`numpy.interp`); before the first and after the
    last good pixel, the nearest good value. This makes spectra usable by
    estimators that cannot handle NaN, without inventing information: the
    filled pixels get inverse variance 0.

    Parameters
    ----------
    method : {'linear'}, default='linear'
        Interpolation method (only linear for now).
    clear_mask : bool, default=False
        ``False``: filled pixels stay masked. ``True``: their mask is
        cleared (their inverse variance 0 still says they carry no
        information).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    SpectralResampler : Its ``fill='edge'`` does the same after resampling.

    Notes
    -----
    A spectrum with no good pixel at all stays all-NaN and masked. Good
    pixels are unchanged. Vectorised over the spectra of a common grid.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.preprocessing import MaskedPixelInterpolator
    >>> X = np.array([[np.nan, 1.0, np.nan, 3.0, np.inf]])
    >>> MaskedPixelInterpolator().fit_transform(X)
    array([[1., 1., 2., 3., 3.]])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"linear"})],
        "clear_mask": ["boolean"],
    }

    def __init__(self, *, method="linear", clear_mask=False):
        self.method = method
        self.clear_mask = clear_mask

    def _transform_group(self, g):
        bad = g.mask | ~np.isfinite(g.flux)
        flux = fill_masked(g.wavelength, g.flux, bad)
        ivar = np.where(bad, 0.0, g.ivar)
        mask = bad & ~np.isfinite(flux) if self.clear_mask else bad
        return g.replace(flux=flux, ivar=ivar, mask=mask)
