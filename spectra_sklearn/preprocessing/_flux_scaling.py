"""FluxScaler: per-spectrum flux normalisation (median, L2, min-max, ...)."""

import warnings

import numpy as np
from astropy import units as u
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import StrOptions

from ._base import BaseSpectrumTransformer

__all__ = ["FluxScaler"]


def flux_scale(flux, valid, method):
    """Per-row ``(offset, scale)`` of ``flux`` over its ``valid`` pixels.

    A scale that is zero or not finite (constant spectrum, no valid pixel)
    becomes 1, and a non-finite offset 0, as scikit-learn does for
    zero-variance features.
    """
    x = np.where(valid, flux, np.nan)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
        offset = np.zeros(flux.shape[0])
        if method == "median":
            scale = np.nanmedian(x, axis=1)
        elif method == "l2":
            scale = np.sqrt(np.nansum(x**2, axis=1))
        elif method == "max":
            scale = np.nanmax(np.abs(x), axis=1)
        elif method == "minmax":
            offset = np.nanmin(x, axis=1)
            scale = np.nanmax(x, axis=1) - offset
        else:  # standardize
            offset = np.nanmean(x, axis=1)
            scale = np.nanstd(x, axis=1)
    # nanmedian/nanmean can overflow to inf on huge values; treat like zero.
    scale = np.where(np.isfinite(scale) & (scale != 0), scale, 1.0)
    offset = np.where(np.isfinite(offset), offset, 0.0)
    return offset, scale


class FluxScaler(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Scale the flux of each spectrum on its own.

    ``flux_out = (flux - offset) / scale`` with ``offset`` and ``scale``
    computed per spectrum from its unmasked, finite pixels only (like
    scikit-learn's :class:`~sklearn.preprocessing.Normalizer`, per row, not
    per feature as :class:`~sklearn.preprocessing.StandardScaler`):

    ============== ============================ ==========================
    ``method``     ``offset``                   ``scale``
    ============== ============================ ==========================
    'median'       0                            median flux
    'l2'           0                            ``sqrt(sum(flux**2))``
    'max'          0                            ``max(abs(flux))``
    'minmax'       min flux                     max - min flux
    'standardize'  mean flux                    standard deviation (ddof=0)
    ============== ============================ ==========================

    'minmax' maps each spectrum to ``[0, 1]`` (the per-spectrum scaling the
    project's Spitzer IRS seed classifier used); 'median' makes the median
    flux 1.

    Parameters
    ----------
    method : {'median', 'l2', 'max', 'minmax', 'standardize'}, default='median'
        How to compute the offset and scale (table above).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    ContinuumNormalizer : Divide by a fitted continuum instead.

    Notes
    -----
    The inverse variance is multiplied by ``scale**2`` (it is ``1 /
    sigma**2`` and sigma is divided by ``scale``), so it stays >= 0; NaN
    (unknown) stays NaN. Masked pixels are scaled like the others but never
    enter the statistics. A scale that is zero or not finite -- a constant
    spectrum, no valid pixel -- is taken as 1 (so a constant spectrum comes
    out 0 with 'minmax' and 'standardize', as in scikit-learn's scalers).
    A negative median flips the sign of the spectrum. The flux unit of the
    output is dimensionless.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.preprocessing import FluxScaler
    >>> X = np.array([[1.0, 2.0, 3.0, np.nan], [2.0, 4.0, 4.0, 10.0]])
    >>> FluxScaler().fit_transform(X)
    array([[0.5, 1. , 1.5, nan],
           [0.5, 1. , 1. , 2.5]])
    >>> FluxScaler(method="minmax").fit_transform(X)
    array([[0.  , 0.5 , 1.  ,  nan],
           [0.  , 0.25, 0.25, 1.  ]])
    """

    _parameter_constraints: dict = {
        "method": [StrOptions({"median", "l2", "max", "minmax", "standardize"})],
    }

    def __init__(self, *, method="median"):
        self.method = method

    def _transform_group(self, g):
        valid = ~g.mask & np.isfinite(g.flux)
        offset, scale = flux_scale(g.flux, valid, self.method)
        with np.errstate(over="ignore", invalid="ignore"):
            flux = (g.flux - offset[:, None]) / scale[:, None]
            ivar = g.ivar * scale[:, None] ** 2
        return g.replace(
            flux=flux, ivar=ivar, flux_units=[u.dimensionless_unscaled] * len(g.flux_units)
        )
