"""One spectrum: wavelength grid, flux, inverse variance, mask and metadata."""

import math
from dataclasses import dataclass, field

import numpy as np
from astropy import units as u

from ._quantity import convert_inputs

__all__ = ["Spectrum"]


@dataclass(frozen=True, eq=False)
class Spectrum:
    """One spectrum on its own wavelength grid.

    A small immutable record; the arrays are validated and converted on
    construction. A grid given in decreasing order is reversed (with every array
    that goes with it); any other disorder is an error.

    Parameters
    ----------
    wavelength : array-like or astropy Quantity of shape (n_pixels,)
        Pixel centres, strictly monotonic and finite, in ``wavelength_unit``.
        A Quantity keeps its unit, or is converted to an explicit
        ``wavelength_unit`` with :func:`astropy.units.spectral`; a frequency,
        energy or wavenumber grid becomes wavelengths (in ``um`` unless
        ``wavelength_unit`` names a length), reordered to increase.
    flux : array-like or astropy Quantity of shape (n_pixels,)
        Flux (density) in ``flux_unit``. NaN is allowed; such pixels are masked.
        A Quantity keeps its unit, or is converted to an explicit ``flux_unit``
        (F_nu <-> F_lambda with :func:`astropy.units.spectral_density`).
    ivar : array-like or astropy Quantity of shape (n_pixels,), default=None
        Inverse variance of ``flux``, in ``flux_unit ** -2``. ``0`` means the
        pixel carries no information; ``NaN`` means the uncertainty is unknown
        (``None`` gives an all-NaN array). Negative values are an error.
        Converted with the flux when the flux is converted.
    mask : array-like of bool of shape (n_pixels,), default=None
        ``True`` marks a bad pixel (the numpy.ma / specutils convention). Pixels
        with non-finite flux are always masked. ``None`` masks just those.
    wavelength_unit : astropy unit, str or None, default=None
        Unit of ``wavelength``; ``"pix"`` for a plain pixel index. ``None``
        means the unit of a Quantity ``wavelength``, else ``"um"``.
    flux_unit : astropy unit, str or None, default=None
        Unit of ``flux``, a flux-like unit (flux density, counts, or
        dimensionless); ``None`` when the source does not say (or the unit of
        a Quantity ``flux``).
    meta : dict, default=None
        Free-form metadata (header cards, catalogue fields, source file).

    Attributes
    ----------
    n_pixels : int
        Number of pixels.

    Raises
    ------
    ValueError
        If the arrays are not 1-D, differ in length, the wavelengths are not
        finite and strictly monotonic, the inverse variance is negative, a
        unit cannot be parsed, a Quantity's unit cannot be converted to the
        declared unit, the wavelength unit is no wavelength (frequency,
        energy, wavenumber) or the flux unit is not flux-like (e.g. ``kg``).

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> s = Spectrum([1.0, 1.1, 1.2], [2.0, float("nan"), 2.2], flux_unit="W m-2 um-1")
    >>> s.mask
    array([False,  True, False])
    >>> s.wavelength_quantity
    <Quantity [1. , 1.1, 1.2] um>
    >>> from astropy import units as u
    >>> Spectrum([500.0, 600.0] * u.nm, [1.0, 2.0] * u.Jy)
    Spectrum(n_pixels=2, 500-600 nm, flux_unit=Jy, n_masked=0)
    """

    wavelength: np.ndarray
    flux: np.ndarray
    ivar: np.ndarray | None = None
    mask: np.ndarray | None = None
    wavelength_unit: u.UnitBase | str | None = None
    flux_unit: u.UnitBase | str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        wavelength, flux, ivar_in, wavelength_unit, flux_unit = convert_inputs(
            self.wavelength, self.flux, self.ivar, self.wavelength_unit,
            self.flux_unit, "a Spectrum",
        )
        flux = np.array(flux, dtype=np.float64, copy=True)
        if wavelength.ndim != 1 or flux.ndim != 1:
            raise ValueError(
                "A Spectrum needs 1-D wavelength and flux arrays; got shapes "
                f"{wavelength.shape} and {flux.shape}."
            )
        n = wavelength.shape[0]
        if flux.shape[0] != n:
            raise ValueError(
                f"wavelength has {n} pixels but flux has {flux.shape[0]}; they must match."
            )
        if ivar_in is None:
            ivar = np.empty(n)  # np.full costs 3x this on a reader's 4,000 pixels
            ivar.fill(np.nan)
        else:
            ivar = np.array(ivar_in, dtype=np.float64, copy=True)
            if ivar.shape != (n,):
                raise ValueError(
                    f"ivar must have shape ({n},) like flux; got {ivar.shape}."
                )
            if (ivar < 0).any():
                raise ValueError(
                    "ivar (inverse variance) must be >= 0 or NaN (unknown); got "
                    f"{int(np.sum(ivar < 0))} negative values."
                )
        if self.mask is None:
            mask = np.zeros(n, dtype=bool)
        else:
            mask = np.array(self.mask, dtype=bool, copy=True)
            if mask.shape != (n,):
                raise ValueError(
                    f"mask must have shape ({n},) like flux; got {mask.shape}."
                )
        mask |= ~np.isfinite(flux)
        # Method calls and no np.diff: readers build a Spectrum per file, and
        # np.all(np.diff(...)) costs ~3x these on a 4,000-pixel grid. A grid
        # that increases strictly between finite ends is finite (a NaN breaks
        # every comparison), so the full finiteness pass runs only otherwise.
        increasing = n < 2 or bool((wavelength[1:] > wavelength[:-1]).all())
        if not (increasing and (n == 0 or (math.isfinite(wavelength[0])
                                           and math.isfinite(wavelength[-1])))):
            if not np.isfinite(wavelength).all():
                raise ValueError(
                    f"wavelength must be finite; got {int(np.sum(~np.isfinite(wavelength)))} "
                    "non-finite values. Drop those pixels before building a Spectrum."
                )
            if not increasing:
                if not (wavelength[1:] < wavelength[:-1]).all():
                    raise ValueError(
                        "wavelength must be strictly increasing (or strictly decreasing); "
                        f"found {int(np.sum(np.diff(wavelength) <= 0))} steps that are not. "
                        "Sort the pixels or drop duplicates before building a Spectrum."
                    )
                wavelength, flux, ivar, mask = (
                    a[::-1].copy() for a in (wavelength, flux, ivar, mask)
                )
        set_ = object.__setattr__
        set_(self, "wavelength", wavelength)
        set_(self, "flux", flux)
        set_(self, "ivar", ivar)
        set_(self, "mask", mask)
        set_(self, "wavelength_unit", wavelength_unit)
        set_(self, "flux_unit", flux_unit)
        set_(self, "meta", dict(self.meta) if self.meta is not None else {})

    @property
    def n_pixels(self):
        """Number of pixels."""
        return self.wavelength.shape[0]

    @property
    def wavelength_quantity(self):
        """:class:`astropy.units.Quantity` of the wavelength grid."""
        return u.Quantity(self.wavelength, self.wavelength_unit, copy=False)

    @property
    def flux_quantity(self):
        """:class:`~astropy.units.Quantity` of the flux (dimensionless if unknown)."""
        unit = self.flux_unit if self.flux_unit is not None else u.dimensionless_unscaled
        return u.Quantity(self.flux, unit, copy=False)

    @property
    def uncertainty(self):
        """1-sigma flux uncertainty, ``1 / sqrt(ivar)`` (``inf`` where ivar is 0)."""
        with np.errstate(divide="ignore"):
            return 1.0 / np.sqrt(self.ivar)

    def __repr__(self):
        w = self.wavelength
        span = f"{w[0]:.6g}-{w[-1]:.6g} {self.wavelength_unit}" if w.size else "empty"
        name = self.meta.get("source", None)
        src = f", source={name!r}" if name else ""
        return (
            f"Spectrum(n_pixels={self.n_pixels}, {span}, "
            f"flux_unit={self.flux_unit}, n_masked={int(self.mask.sum())}{src})"
        )
