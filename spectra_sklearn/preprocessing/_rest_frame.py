"""RestFrameShifter: move spectra to their rest frame using their redshift."""

from numbers import Real

import numpy as np
from sklearn.base import OneToOneFeatureMixin
from sklearn.utils._param_validation import Interval

from ._base import BaseSpectrumTransformer, spectrum_label

__all__ = ["RestFrameShifter"]


class RestFrameShifter(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Shift spectra to the rest frame: ``lambda_rest = lambda_obs / (1 + z)``.

    The redshift ``z`` of each spectrum is read from ``meta[redshift_key]``
    (SDSS's ``Z``, for instance), unless ``redshift`` gives one value for
    all spectra.

    With ``conserve_flux=True`` the flux density per unit wavelength is
    multiplied by ``(1 + z)``, so that the integrated flux ``sum(flux *
    d_lambda)`` is unchanged while the wavelength intervals shrink by ``1 +
    z`` (the usual convention for rest-frame ``f_lambda``, e.g. Hogg et al.
    2002 [1]_, eq. 8 up to the distance factor); the inverse variance is
    divided by ``(1 + z)**2``. With ``conserve_flux=False`` only the
    wavelengths change (for spectra already normalised to a continuum).

    Each spectrum keeps its pixels, so spectra at different redshifts end up
    on different grids: the output is a ragged batch even when the input
    was on a common grid. Follow this step with a
    :class:`SpectralResampler` to get a 2-D array again.

    Parameters
    ----------
    redshift_key : str, default='z'
        Metadata key holding each spectrum's redshift (a number > -1).
    redshift : float > -1, default=None
        One redshift for every spectrum; overrides the metadata.
    conserve_flux : bool, default=True
        Scale flux by ``1 + z`` (and inverse variance by ``(1 + z)**-2``).

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    SpectralResampler : Put the shifted spectra back on a common grid.

    Notes
    -----
    Each output spectrum's metadata gets ``'rest_frame': True`` and
    ``'rest_frame_redshift'``: the ``z`` that was removed. A spectrum whose
    metadata already says ``'rest_frame': True`` is an error (it would be
    shifted twice).

    Plain 2-D arrays carry neither wavelengths nor metadata, so they are
    returned unchanged (only their shape is checked).

    References
    ----------
    .. [1] Hogg, D. W., Baldry, I. K., Blanton, M. R. & Eisenstein, D. J.
       2002, "The K correction", arXiv:astro-ph/0210394.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import RestFrameShifter
    >>> galaxy = Spectrum([6600.0, 6700.0], [1.0, 2.0], ivar=[4.0, 4.0],
    ...                   wavelength_unit="Angstrom", meta={"z": 0.1})
    >>> out = RestFrameShifter().fit_transform(galaxy)
    >>> out.wavelength.round(6), out.flux.round(6), out.ivar.round(6)
    (array([6000.      , 6090.909091]), array([[1.1, 2.2]]), array([[3.305785, 3.305785]]))
    """

    _array_identity = True

    _parameter_constraints: dict = {
        "redshift_key": [str],
        "redshift": [Interval(Real, -1, None, closed="neither"), None],
        "conserve_flux": ["boolean"],
    }

    def __init__(self, *, redshift_key="z", redshift=None, conserve_flux=True):
        self.redshift_key = redshift_key
        self.redshift = redshift
        self.conserve_flux = conserve_flux

    def _redshift(self, meta, row):
        name = type(self).__name__
        if meta.get("rest_frame") is True:
            raise ValueError(
                f"{name}: {spectrum_label(meta, row)} is already in the rest frame "
                f"(meta['rest_frame'] is True, redshift {meta.get('rest_frame_redshift')!r} "
                "removed); it would be shifted twice."
            )
        if self.redshift is not None:
            return float(self.redshift)
        if self.redshift_key not in meta:
            raise ValueError(
                f"{name}: {spectrum_label(meta, row)} has no redshift: its metadata has "
                f"no {self.redshift_key!r} key. Set redshift_key to the key holding it, "
                "or give one redshift for all spectra with redshift=."
            )
        value = meta[self.redshift_key]
        try:
            z = float(value)
        except (TypeError, ValueError):
            z = np.nan
        if not (np.isfinite(z) and z > -1):
            raise ValueError(
                f"{name}: {spectrum_label(meta, row)} has meta[{self.redshift_key!r}] = "
                f"{value!r}; a redshift must be a finite number > -1."
            )
        return z

    def _transform_group(self, g):
        z = np.array([self._redshift(m, r) for m, r in zip(g.meta, g.rows)])
        factor = 1.0 + z
        wavelength = g.wavelength[None, :] / factor[:, None]
        if np.all(z == z[0]):
            wavelength = wavelength[0]
        flux, ivar = g.flux, g.ivar
        if self.conserve_flux:
            flux = flux * factor[:, None]
            ivar = ivar / factor[:, None] ** 2
        meta = [
            {**m, "rest_frame": True, "rest_frame_redshift": float(zi)}
            for m, zi in zip(g.meta, z)
        ]
        return g.replace(wavelength=wavelength, flux=flux, ivar=ivar, meta=meta)
