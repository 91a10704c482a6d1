"""Air and vacuum wavelengths: the IAU standard conversion and two transformers."""

import numpy as np
from astropy import units as u
from sklearn.base import OneToOneFeatureMixin

from ._base import BaseSpectrumTransformer, spectrum_label
from ._inputs import convert_wavelength

__all__ = ["air_to_vacuum", "vacuum_to_air", "AirToVacuum", "VacuumToAir"]

#: Below this wavelength (in Angstrom) wavelengths are quoted in vacuum by
#: convention, so no conversion is made (IAU; Morton 2000, sect. 3).
AIR_VACUUM_LIMIT_ANGSTROM = 2000.0

_AIR = {"air"}
_VACUUM = {"vacuum", "vac", "vacuo", "in vacuo"}


def _refractive_index(vacuum_angstrom):
    """Refractive index of standard air at vacuum wavelengths (Angstrom).

    Morton 2000, ApJS 130, 403, eq. 8 (from Birch & Downs 1994, the IAU
    standard): ``n - 1 = 8.34254e-5 + 2.406147e-2 / (130 - s**2) +
    1.5998e-4 / (38.9 - s**2)`` with ``s = 1e4 / lambda_vacuum`` in inverse
    micron.
    """
    s2 = (1e4 / vacuum_angstrom) ** 2
    return 1.0 + 8.34254e-5 + 2.406147e-2 / (130.0 - s2) + 1.5998e-4 / (38.9 - s2)


def _angstrom(wavelength, unit, name):
    """``(values in Angstrom, unit to return in, was a Quantity)``."""
    if isinstance(wavelength, u.Quantity):
        if unit is not None:
            raise ValueError(
                f"{name}: give either a Quantity or an array with 'unit', not both; got a "
                f"Quantity in {wavelength.unit} and unit={unit!r}."
            )
        unit = wavelength.unit
        values = wavelength.value
        quantity = True
    else:
        unit = u.Angstrom if unit is None else u.Unit(unit)
        values = wavelength
        quantity = False
    values = np.asarray(values, dtype=np.float64)
    if unit.physical_type != "length":
        raise ValueError(
            f"{name} needs wavelengths in a length unit (e.g. Angstrom, nm, um); got "
            f"{unit} ({unit.physical_type})."
        )
    return convert_wavelength(values, unit, u.Angstrom, "unit", name), unit, quantity


def _back(angstrom, unit, quantity, name):
    values = convert_wavelength(angstrom, u.Angstrom, unit, "unit", name)
    return u.Quantity(values, unit) if quantity else values


def vacuum_to_air(wavelength, unit=None):
    """Convert vacuum wavelengths to air wavelengths (IAU standard).

    ``lambda_air = lambda_vacuum / n(lambda_vacuum)`` with the refractive
    index of standard air of Morton (2000, eq. 8) [1]_, the IAU standard
    (Birch & Downs 1994 [2]_, as used by VALD and SDSS [3]_). Wavelengths
    below 2000 Angstrom are returned unchanged: by the IAU convention they
    are always quoted in vacuum.

    Parameters
    ----------
    wavelength : astropy.units.Quantity or array-like of float
        Vacuum wavelengths; a Quantity in any length unit, or numbers in
        ``unit``.
    unit : astropy unit or str, default=None
        Unit of plain numbers (``None``: Angstrom). Not allowed with a
        Quantity.

    Returns
    -------
    Quantity or ndarray of float64
        Air wavelengths, of the same kind, shape and unit as the input.

    Raises
    ------
    ValueError
        If the unit is not a length, or both a Quantity and ``unit`` are
        given.

    See Also
    --------
    air_to_vacuum : The exact inverse.

    References
    ----------
    .. [1] Morton, D. C. 2000, "Atomic Data for Resonance Absorption Lines.
       II. Wavelengths Longward of the Lyman Limit for Heavy Elements", ApJS
       130, 403, eq. 8.
    .. [2] Birch, K. P. & Downs, M. J. 1994, Metrologia 31, 315.
    .. [3] SDSS, "Vacuum vs. air wavelengths",
       https://www.sdss4.org/dr17/spectro/spectro_basics/ (``AIR = VAC /
       (1 + 2.735182e-4 + 131.4182 / VAC**2 + 2.76249e8 / VAC**4)``, Morton
       1991; it agrees with this formula to better than 0.01 Angstrom over
       3000-11000 Angstrom, and Ciddor 1996 to 1e-4 Angstrom).

    Examples
    --------
    >>> from astropy import units as u
    >>> from spectra_sklearn.preprocessing import vacuum_to_air
    >>> vacuum_to_air(6564.61 * u.Angstrom).round(2)  # H-alpha
    <Quantity 6562.8 Angstrom>
    >>> vacuum_to_air([1.0, 2.0], unit="um").round(6)
    array([0.999726, 1.999454])
    """
    name = "vacuum_to_air"
    angstrom, unit, quantity = _angstrom(wavelength, unit, name)
    air = np.where(
        angstrom >= AIR_VACUUM_LIMIT_ANGSTROM,
        angstrom / _refractive_index(np.maximum(angstrom, AIR_VACUUM_LIMIT_ANGSTROM)),
        angstrom,
    )
    return _back(air, unit, quantity, name)


def air_to_vacuum(wavelength, unit=None):
    """Convert air wavelengths to vacuum wavelengths (IAU standard).

    The exact inverse of :func:`vacuum_to_air`: ``lambda_vacuum`` solves
    ``lambda_vacuum / n(lambda_vacuum) = lambda_air`` with the refractive
    index of Morton (2000, eq. 8) [1]_, by fixed-point iteration to float64
    precision (a round trip agrees to about 1e-15 relative). Air
    wavelengths below 2000 Angstrom are returned unchanged (IAU convention:
    those are quoted in vacuum).

    Parameters
    ----------
    wavelength : astropy.units.Quantity or array-like of float
        Air wavelengths; a Quantity in any length unit, or numbers in
        ``unit``.
    unit : astropy unit or str, default=None
        Unit of plain numbers (``None``: Angstrom). Not allowed with a
        Quantity.

    Returns
    -------
    Quantity or ndarray of float64
        Vacuum wavelengths, of the same kind, shape and unit as the input.

    Raises
    ------
    ValueError
        If the unit is not a length, or both a Quantity and ``unit`` are
        given.

    See Also
    --------
    vacuum_to_air : The forward conversion, with references.

    References
    ----------
    .. [1] Morton, D. C. 2000, ApJS 130, 403, eq. 8.

    Examples
    --------
    >>> from astropy import units as u
    >>> from spectra_sklearn.preprocessing import air_to_vacuum
    >>> air_to_vacuum(6562.80 * u.Angstrom).round(2)  # H-alpha
    <Quantity 6564.61 Angstrom>
    """
    name = "air_to_vacuum"
    angstrom, unit, quantity = _angstrom(wavelength, unit, name)
    convert = angstrom >= AIR_VACUUM_LIMIT_ANGSTROM
    air = np.where(convert, angstrom, AIR_VACUUM_LIMIT_ANGSTROM)
    vacuum = air * _refractive_index(air)
    for _ in range(6):  # contraction factor ~1e-4 per step
        vacuum = air * _refractive_index(vacuum)
    return _back(np.where(convert, vacuum, angstrom), unit, quantity, name)


class _MediumConverter(OneToOneFeatureMixin, BaseSpectrumTransformer):
    """Shared implementation of AirToVacuum and VacuumToAir (private)."""

    _array_identity = True
    _source = None
    _target = None
    _function = None

    _parameter_constraints: dict = {"medium_key": [str, None]}

    def __init__(self, *, medium_key="wavelength_medium"):
        self.medium_key = medium_key

    def _medium(self, meta, row):
        if self.medium_key is None or meta.get(self.medium_key) in (None, ""):
            return self._source
        value = str(meta[self.medium_key]).strip().lower()
        if value in _AIR:
            return "air"
        if value in _VACUUM:
            return "vacuum"
        raise ValueError(
            f"{type(self).__name__}: {spectrum_label(meta, row)} has "
            f"meta[{self.medium_key!r}] = {meta[self.medium_key]!r}; expected 'air' or "
            "'vacuum' (or no such key, taken as "
            f"{self._source!r})."
        )

    def _transform_group(self, g):
        name = type(self).__name__
        unit = g.wavelength_unit
        if unit.physical_type != "length":
            raise ValueError(
                f"{name} needs wavelengths in a length unit (e.g. Angstrom, um); "
                f"{spectrum_label(g.meta[0], g.rows[0])} has {unit}."
            )
        media = [self._medium(m, r) for m, r in zip(g.meta, g.rows)]
        convert = np.array([m == self._source for m in media])
        new = type(self)._function(g.wavelength, unit=unit)
        if np.any(np.diff(new) <= 0):
            raise ValueError(
                f"{name}: the wavelengths of {spectrum_label(g.meta[0], g.rows[0])} "
                f"({g.wavelength[0]:.6g}-{g.wavelength[-1]:.6g} {unit}) straddle 2000 "
                "Angstrom, below which no air/vacuum conversion is made (IAU "
                "convention); the converted grid would not be increasing. Crop the "
                "spectrum first (WavelengthCropper)."
            )
        meta = []
        for m in g.meta:
            m = dict(m)
            if self.medium_key is not None:
                m[self.medium_key] = self._target
            meta.append(m)
        if convert.all():
            wavelength = new
        elif not convert.any():
            wavelength = g.wavelength
        else:
            wavelength = np.where(convert[:, None], new[None, :], g.wavelength[None, :])
        return g.replace(wavelength=wavelength, meta=meta)


class AirToVacuum(_MediumConverter):
    """Convert the wavelength grid of spectra from air to vacuum.

    Uses :func:`air_to_vacuum` (IAU standard, Morton 2000 [1]_). Only the
    wavelengths change; flux, inverse variance and mask are unchanged (the
    flux per unit wavelength changes by less than 1e-7 relative, far below
    any calibration).

    Which medium a spectrum is in is read from ``meta[medium_key]``
    (``'air'``, or ``'vacuum'``/``'vac'``, case-insensitive): spectra
    already in vacuum pass through unchanged, and a spectrum without the
    key is taken to be in air (as the name of this step says). Every output
    spectrum has ``meta[medium_key] = 'vacuum'``. MILES is in air, SDSS and
    SpeX (``WAVETYPE``) in vacuum.

    Parameters
    ----------
    medium_key : str or None, default='wavelength_medium'
        Metadata key naming the medium of the wavelengths (the key the
        SpeX reader fills from ``WAVETYPE``). ``None``: ignore metadata and
        convert every spectrum.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    VacuumToAir : The other way.
    air_to_vacuum : The conversion of plain wavelengths.

    Notes
    -----
    Wavelengths must be in a length unit. Air wavelengths below 2000
    Angstrom are left as they are (IAU convention); a grid straddling 2000
    Angstrom is an error, since its converted pixels would overlap. Plain
    2-D arrays carry no wavelengths, so they are returned unchanged (only
    their shape is checked).

    References
    ----------
    .. [1] Morton, D. C. 2000, ApJS 130, 403, eq. 8.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import AirToVacuum
    >>> miles_like = Spectrum([6562.80, 6563.70], [1.0, 2.0], wavelength_unit="Angstrom",
    ...                       meta={"wavelength_medium": "air"})
    >>> out = AirToVacuum().fit_transform(miles_like)
    >>> out.wavelength.round(2), out.meta[0]["wavelength_medium"]
    (array([6564.61, 6565.51]), 'vacuum')
    """

    _source = "air"
    _target = "vacuum"
    _function = staticmethod(air_to_vacuum)


class VacuumToAir(_MediumConverter):
    """Convert the wavelength grid of spectra from vacuum to air.

    Uses :func:`vacuum_to_air` (IAU standard, Morton 2000 [1]_). Only the
    wavelengths change; flux, inverse variance and mask are unchanged.

    Which medium a spectrum is in is read from ``meta[medium_key]``
    (``'air'``, or ``'vacuum'``/``'vac'``, case-insensitive): spectra
    already in air pass through unchanged, and a spectrum without the key is
    taken to be in vacuum. Every output spectrum has ``meta[medium_key] =
    'air'``.

    Parameters
    ----------
    medium_key : str or None, default='wavelength_medium'
        Metadata key naming the medium of the wavelengths. ``None``: ignore
        metadata and convert every spectrum.

    Attributes
    ----------
    n_features_in_ : int
        Number of pixels of the array passed to ``fit`` (arrays only).
    feature_names_in_ : ndarray of str
        Column names of a DataFrame passed to ``fit``, when they are strings.

    See Also
    --------
    AirToVacuum : The other way, with the details.
    vacuum_to_air : The conversion of plain wavelengths.

    Notes
    -----
    Vacuum wavelengths below 2000 Angstrom are left as they are (IAU
    convention). Plain 2-D arrays carry no wavelengths, so they are returned
    unchanged (only their shape is checked).

    References
    ----------
    .. [1] Morton, D. C. 2000, ApJS 130, 403, eq. 8.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import VacuumToAir
    >>> sdss_like = Spectrum([0.656461, 0.656561], [1.0, 2.0], wavelength_unit="um")
    >>> VacuumToAir().fit_transform(sdss_like).wavelength.round(6)
    array([0.65628, 0.65638])
    """

    _source = "vacuum"
    _target = "air"
    _function = staticmethod(vacuum_to_air)
