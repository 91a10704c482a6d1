"""Conversion between :class:`~spectra_sklearn.Spectrum` and ``specutils.Spectrum``.

specutils (Astropy's spectroscopy package) is optional: it is imported only
when one of these functions is called, and its absence is a clear
:class:`ImportError`. Both conventions agree where it matters: ``mask`` True
marks a bad pixel, and the uncertainty is carried as an
:class:`~astropy.nddata.InverseVariance` in ``flux_unit ** -2``.
"""

import numpy as np
from astropy import units as u

from .._batch import SpectrumBatch
from .._spectrum import Spectrum

__all__ = ["from_specutils", "to_specutils"]

_UNKNOWN_FLUX_UNIT = "spectra_sklearn_flux_unit_unknown"


def _specutils():
    try:
        import specutils
    except ImportError as exc:
        raise ImportError(
            "Converting to or from specutils needs the optional package specutils "
            "(pip install specutils); it is not installed."
        ) from exc
    if not hasattr(specutils, "Spectrum"):  # specutils < 2.0 calls it Spectrum1D
        specutils.Spectrum = specutils.Spectrum1D
    return specutils


def to_specutils(spectrum):
    """Convert a Spectrum (or each spectrum of a batch) to ``specutils.Spectrum``.

    Parameters
    ----------
    spectrum : Spectrum or SpectrumBatch
        What to convert.

    Returns
    -------
    specutils.Spectrum or list of specutils.Spectrum
        ``flux`` as a Quantity (dimensionless when the flux unit is unknown;
        ``meta`` then records it so that :func:`from_specutils` gives ``None``
        back), ``spectral_axis`` the wavelengths, ``uncertainty`` an
        :class:`~astropy.nddata.InverseVariance` (``None`` when every ivar is
        NaN, i.e. unknown), ``mask`` the bad pixels and ``meta`` a copy of the
        spectrum's ``meta``. A list, one per spectrum, for a batch.

    Raises
    ------
    ImportError
        If specutils is not installed.
    TypeError
        If ``spectrum`` is neither a Spectrum nor a SpectrumBatch.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.io import to_specutils
    >>> s = Spectrum([1.0, 1.1, 1.2], [2.0, 2.1, 2.2], ivar=[4.0, 4.0, 0.0],
    ...              mask=[False, False, True], flux_unit="Jy")
    >>> sp = to_specutils(s)
    >>> sp.flux.unit, sp.spectral_axis.unit, type(sp.uncertainty).__name__
    (Unit("Jy"), Unit("um"), 'InverseVariance')
    >>> sp.mask.tolist()
    [False, False, True]
    """
    if isinstance(spectrum, SpectrumBatch):
        return [to_specutils(s) for s in spectrum]
    if not isinstance(spectrum, Spectrum):
        raise TypeError(
            f"to_specutils needs a Spectrum or SpectrumBatch; got {type(spectrum).__name__}."
        )
    specutils = _specutils()
    from astropy.nddata import InverseVariance

    meta = dict(spectrum.meta)
    flux_unit = spectrum.flux_unit
    if flux_unit is None:
        flux_unit = u.dimensionless_unscaled
        meta[_UNKNOWN_FLUX_UNIT] = True
    uncertainty = None
    if not np.all(np.isnan(spectrum.ivar)):
        uncertainty = InverseVariance(spectrum.ivar.copy(), unit=flux_unit**-2)
    return specutils.Spectrum(
        flux=spectrum.flux * flux_unit,
        spectral_axis=spectrum.wavelength * spectrum.wavelength_unit,
        uncertainty=uncertainty,
        mask=spectrum.mask.copy(),
        meta=meta,
    )


def from_specutils(obj):
    """Convert a ``specutils.Spectrum`` to a Spectrum (or SpectrumBatch).

    Parameters
    ----------
    obj : specutils.Spectrum
        A spectrum whose spectral axis is a wavelength, frequency, energy or
        wavenumber (converted to wavelength with
        :func:`astropy.units.spectral`); a 2-D flux array gives one spectrum
        per row.

    Returns
    -------
    Spectrum or SpectrumBatch
        Wavelength in the spectral axis' unit (micron for a non-length
        axis), flux and its unit (``None`` if :func:`to_specutils` marked it
        unknown), ivar from any astropy uncertainty class that converts to an
        inverse variance (NaN when there is none; a zero standard deviation
        gives ``ivar = 0`` and a masked pixel, as the file readers do), mask (all False when there
        is none) and ``meta`` copied. A SpectrumBatch for a 2-D flux.

    Raises
    ------
    ImportError
        If specutils is not installed.
    TypeError
        If ``obj`` is not a ``specutils.Spectrum``.
    ValueError
        If the flux has more than 2 dimensions, or the uncertainty cannot be
        expressed as an inverse variance.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.io import from_specutils, to_specutils
    >>> s = Spectrum([1.0, 1.1, 1.2], [2.0, 2.1, 2.2], ivar=[4.0, 4.0, 0.0])
    >>> back = from_specutils(to_specutils(s))
    >>> back.flux_unit is None, back.ivar.tolist()
    (True, [4.0, 4.0, 0.0])
    """
    specutils = _specutils()
    if not isinstance(obj, specutils.Spectrum):
        raise TypeError(
            f"from_specutils needs a specutils.Spectrum; got {type(obj).__name__}."
        )
    flux = np.asarray(obj.flux.value, dtype=np.float64)
    if flux.ndim not in (1, 2):
        raise ValueError(
            f"from_specutils converts 1-D or 2-D (n_spectra, n_pixels) flux; got shape "
            f"{flux.shape}."
        )
    meta = dict(obj.meta or {})
    unknown = bool(meta.pop(_UNKNOWN_FLUX_UNIT, False))
    flux_unit = None if unknown else obj.flux.unit
    axis = obj.spectral_axis
    if axis.unit.physical_type == "length":
        wavelength, wavelength_unit = np.asarray(axis.value, dtype=np.float64), axis.unit
    else:
        wavelength = axis.to_value(u.um, equivalencies=u.spectral())
        wavelength_unit = u.um
    if obj.uncertainty is None:
        ivar = np.full(flux.shape, np.nan)
    else:
        from astropy.nddata import InverseVariance

        try:
            with np.errstate(divide="ignore", invalid="ignore"):
                uncertainty = obj.uncertainty.represent_as(InverseVariance)
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(
                f"the uncertainty ({type(obj.uncertainty).__name__}) cannot be expressed as "
                f"an inverse variance: {exc}"
            ) from None
        ivar = np.array(uncertainty.array, dtype=np.float64)
        if uncertainty.unit is not None and obj.flux.unit is not None:
            ivar = (ivar * uncertainty.unit).to_value(obj.flux.unit**-2)
    mask = np.zeros(flux.shape, dtype=bool) if obj.mask is None else np.asarray(obj.mask, bool)
    if flux.ndim == 2 and getattr(obj, "spectral_axis_index", 1) == 0:
        flux, ivar, mask = flux.T, ivar.T, mask.T  # pixels along the first axis
    infinite = np.isinf(ivar)  # a zero standard deviation: no usable uncertainty
    if infinite.any():
        ivar = np.where(infinite, 0.0, ivar)
        mask = mask | infinite
    if flux.ndim == 1:
        return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=wavelength_unit,
                        flux_unit=flux_unit, meta=meta)
    return SpectrumBatch([
        Spectrum(wavelength, flux[i], ivar[i], mask[i], wavelength_unit=wavelength_unit,
                 flux_unit=flux_unit, meta=dict(meta))
        for i in range(flux.shape[0])
    ])
