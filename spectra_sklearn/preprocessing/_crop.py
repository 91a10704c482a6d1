"""WavelengthCropper: keep the pixels inside a wavelength range."""

from numbers import Real

import numpy as np
from astropy import units as u
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from .._quantity import as_unit
from ._base import BaseSpectrumTransformer, spectrum_label
from ._inputs import convert_wavelength, wavelength_limits

__all__ = ["WavelengthCropper"]


class WavelengthCropper(BaseSpectrumTransformer):
    """Keep the pixels whose wavelength lies in ``[wavelength_min, wavelength_max]``.

    Pixels are kept whole (no interpolation): a pixel is kept when its
    centre is inside the closed range. Spectra on a common grid stay on a
    common grid; ragged spectra are cropped one by one.

    Parameters
    ----------
    wavelength_min, wavelength_max : float or astropy Quantity, default=None
        Range limits, in ``wavelength_unit``; ``None`` leaves that side
        open. A Quantity (wavelength, frequency, energy or wavenumber) is
        converted with :func:`astropy.units.spectral`.
    wavelength_unit : astropy unit or str, default=None
        Unit of the limits. ``None``: each spectrum's own wavelength unit
        (for plain arrays: pixel indices ``0 .. n_features - 1``).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    SpectralResampler : Resample onto a grid (also crops, with interpolation).

    Notes
    -----
    A spectrum with no pixel in the range is an error naming it.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import WavelengthCropper
    >>> s = Spectrum([0.5, 0.6, 0.7, 0.8], [1.0, 2.0, 3.0, 4.0], wavelength_unit="um")
    >>> out = WavelengthCropper(wavelength_min=550, wavelength_max=700,
    ...                         wavelength_unit="nm").fit_transform(s)
    >>> out.wavelength, out.flux
    (array([0.6, 0.7]), array([[2., 3.]]))
    >>> WavelengthCropper(wavelength_min=1).fit_transform(np.array([[5.0, 6.0, 7.0]]))
    array([[6., 7.]])
    """

    _parameter_constraints: dict = {
        "wavelength_min": [Real, u.Quantity, None],
        "wavelength_max": [Real, u.Quantity, None],
        "wavelength_unit": [str, u.UnitBase, None],
    }

    def __init__(self, *, wavelength_min=None, wavelength_max=None, wavelength_unit=None):
        self.wavelength_min = wavelength_min
        self.wavelength_max = wavelength_max
        self.wavelength_unit = wavelength_unit

    def _check_params(self):
        name = type(self).__name__
        as_unit(self.wavelength_unit, "wavelength_unit", name)
        lo, hi = self.wavelength_min, self.wavelength_max
        if isinstance(lo, u.Quantity) or isinstance(hi, u.Quantity):
            return  # checked once converted to the spectra's unit
        for key, value in (("wavelength_min", lo), ("wavelength_max", hi)):
            if value is not None and not np.isfinite(value):
                raise ValueError(
                    f"The {key!r} parameter of {name} must be finite or None; got {value!r}."
                )
        if lo is not None and hi is not None and not lo <= hi:
            raise ValueError(
                f"{name} needs wavelength_min <= wavelength_max; got wavelength_min={lo!r} "
                f"and wavelength_max={hi!r}."
            )

    def _keep(self, wavelength, unit, meta, row):
        name = type(self).__name__
        target = as_unit(self.wavelength_unit, "wavelength_unit", name)
        w = wavelength if target is None else convert_wavelength(
            wavelength, unit, target, "wavelength_unit", name
        )
        lo, hi = wavelength_limits(self.wavelength_min, self.wavelength_max,
                                   target if target is not None else unit, name)
        if lo is not None and hi is not None and not lo <= hi:
            raise ValueError(f"{name} needs wavelength_min <= wavelength_max; got "
                             f"{self.wavelength_min!r} and {self.wavelength_max!r}.")
        keep = np.ones(w.shape, dtype=bool)
        if lo is not None:
            keep &= w >= lo
        if hi is not None:
            keep &= w <= hi
        if not keep.any():
            span = f"{w[0]:.6g}-{w[-1]:.6g}" if w.size else "no pixels"
            raise ValueError(
                f"{name}: {spectrum_label(meta, row)} has no pixel in "
                f"[{self.wavelength_min}, {self.wavelength_max}] "
                f"{target if target is not None else unit}; its wavelengths span {span} "
                f"({w.size} pixel(s))."
            )
        return keep

    def _transform_group(self, g):
        keep = self._keep(g.wavelength, g.wavelength_unit, g.meta[0], g.rows[0])
        return g.replace(
            wavelength=g.wavelength[keep], flux=g.flux[:, keep], ivar=g.ivar[:, keep],
            mask=g.mask[:, keep],
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the kept features (for a step fitted on a plain array).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names; ``None``: ``feature_names_in_`` if set, else
            ``x0 .. x{n_features_in_ - 1}``.

        Returns
        -------
        ndarray of str
            The names of the kept pixels (pixel ``i`` has wavelength ``i``
            on the pixel grid).

        Raises
        ------
        AttributeError
            If the step was not fitted on a plain array (spectra have no
            fixed set of features).
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        keep = self._keep(
            np.arange(self.n_features_in_, dtype=np.float64), u.pix, {}, 0
        )
        return np.asarray(names, dtype=object)[keep]
