"""Units at the boundary: astropy Quantities given to Spectrum / SpectrumBatch.

One function, :func:`convert_inputs`, turns the ``wavelength``, ``flux`` and
``ivar`` a user gives (plain arrays or :class:`~astropy.units.Quantity`) and
the declared ``wavelength_unit`` / ``flux_unit`` into plain float arrays and
the two units the containers store:

* a wavelength Quantity keeps its unit, or is converted to an explicitly
  declared ``wavelength_unit`` with the :func:`~astropy.units.spectral`
  equivalency; a frequency, energy or wavenumber grid (a Quantity, or plain
  numbers with such a ``wavelength_unit``) becomes wavelengths in ``um``
  (or the declared length unit);
* a flux Quantity keeps its unit, or is converted to an explicit
  ``flux_unit``, F_nu <-> F_lambda included
  (:func:`~astropy.units.spectral_density` at each pixel's wavelength); the
  inverse variance is converted with the same per-pixel factor;
* a unit that cannot be converted to the declared one, a wavelength unit that
  is no wavelength, frequency, energy or wavenumber (nor ``pix``), and a flux
  unit that is no flux-like quantity (:func:`is_flux_like`) are errors.
"""

import functools

import numpy as np
from astropy import units as u

__all__ = ["as_unit", "convert_inputs", "is_flux_like"]

# What a spectrum's flux can be, once a solid angle, a pixel and a spectral
# interval (per Angstrom / per Hz) are multiplied back in: an energy or photon
# flux, a luminosity or photon rate, counts / electrons / ADU (or their rates),
# a brightness temperature, or a plain number (normalised or relative flux).
_FLUX_BASES = (
    u.W / u.m**2, u.ph / u.s / u.m**2, u.W, u.ph / u.s,
    u.ct, u.ct / u.s, u.electron, u.electron / u.s, u.adu, u.adu / u.s,
    u.K, u.dimensionless_unscaled,
)
_SPECTRAL_INTERVALS = (u.dimensionless_unscaled, u.AA, u.Hz)
_SOLID_ANGLE_OR_PIXEL = (u.dimensionless_unscaled, u.sr, u.pix, u.sr * u.pix)


@functools.lru_cache(maxsize=256)
def is_flux_like(unit):
    """Whether ``unit`` can be the unit of a spectrum's flux.

    True for flux densities per wavelength or frequency (``erg s-1 cm-2 AA-1``,
    ``Jy``), energy and photon fluxes, luminosity (densities), counts,
    electrons and ADU and their rates, brightness temperature and
    dimensionless (normalised) flux, each optionally per steradian or per
    pixel. False for anything else (``kg``, ``m``, ``s``, magnitudes).

    Examples
    --------
    >>> from astropy import units as u
    >>> from spectra_sklearn._quantity import is_flux_like
    >>> is_flux_like(u.Jy), is_flux_like(u.erg / u.s / u.cm**2 / u.AA), is_flux_like(u.kg)
    (True, True, False)
    """
    if not isinstance(unit, u.UnitBase):
        return False
    for extra in _SOLID_ANGLE_OR_PIXEL:
        for interval in _SPECTRAL_INTERVALS:
            candidate = unit * extra * interval
            if any(candidate.is_equivalent(base) for base in _FLUX_BASES):
                return True
    return False


@functools.lru_cache(maxsize=256)
def _is_wavelength_axis(unit):
    return unit == u.pix or unit.is_equivalent(u.m)


@functools.lru_cache(maxsize=256)
def same_unit(a, b):
    """``a == b`` for astropy units, cached (astropy's ``==`` converts, ~0.1 ms)."""
    return a is b or a == b


def is_spectral_not_length(wavelength, wavelength_unit):
    """Whether the grid is given as frequency, energy or wavenumber (not length)."""
    unit = wavelength.unit if isinstance(wavelength, u.Quantity) else wavelength_unit
    if unit is None:
        return False
    try:
        unit = u.Unit(unit)
    except (ValueError, TypeError):
        return False
    return not _is_wavelength_axis(unit)


def as_unit(unit, name, owner="a Spectrum"):
    """Return ``unit`` as an astropy unit (``None`` stays ``None``).

    Raises
    ------
    ValueError
        Naming ``name`` of ``owner`` when astropy cannot parse ``unit``.
    """
    if unit is None or isinstance(unit, u.UnitBase):
        return unit
    try:
        return u.Unit(unit)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"The {name!r} parameter of {owner} must be an astropy unit or a string "
            f"astropy understands (e.g. 'um', 'Angstrom', 'pix'); got {unit!r} ({exc})."
        ) from None


def check_flux_unit(unit, owner="a Spectrum"):
    """Return ``unit`` (parsed) if flux-like or None; raise ValueError otherwise."""
    unit = as_unit(unit, "flux_unit", owner)
    if unit is not None and not is_flux_like(unit):
        raise ValueError(
            f"The flux_unit of {owner} must be a flux-like unit (a flux density such as "
            f"'Jy' or 'erg s-1 cm-2 Angstrom-1', counts, or dimensionless); got "
            f"{unit.to_string()!r} ({unit.physical_type})."
        )
    return unit


def convert_wavelength(wavelength, wavelength_unit, owner):
    """Return ``(values, unit)`` of a wavelength grid given plainly or as a Quantity."""
    declared = as_unit(wavelength_unit, "wavelength_unit", owner)
    if isinstance(wavelength, u.Quantity):
        source = wavelength.unit
        values = np.array(wavelength.value, dtype=np.float64, copy=True)
    else:
        source = declared if declared is not None else u.um
        values = np.array(wavelength, dtype=np.float64, copy=True)
    if declared is None:
        declared = source
    target = declared if _is_wavelength_axis(declared) else u.um
    if same_unit(source, target):
        return values, target
    if source == u.pix or target == u.pix or not source.is_equivalent(
        target, equivalencies=u.spectral()
    ):
        given = "the wavelength Quantity" if isinstance(wavelength, u.Quantity) else (
            "wavelength_unit")
        raise ValueError(
            f"The wavelength of {owner} must be a wavelength, frequency, energy or "
            f"wavenumber (or 'pix'); {given} is in {source.to_string()!r} "
            f"({source.physical_type}), which cannot be converted to "
            f"{target.to_string()!r}."
        )
    with np.errstate(divide="ignore"):
        values = (values * source).to_value(target, equivalencies=u.spectral())
    return values, target


def convert_flux(flux, flux_unit, wavelength, wavelength_unit, owner, *, per_row=False):
    """Return ``(values, unit, factor)``; ``factor`` multiplies the flux (None = 1).

    ``flux_unit`` may be a list (one unit per row) when ``per_row``; a flux
    Quantity then needs one declared unit or none.
    """
    if per_row and flux_unit is not None and not isinstance(flux_unit, (str, u.UnitBase)):
        if isinstance(flux, u.Quantity):
            raise ValueError(
                f"{owner}: give either a flux Quantity or one flux_unit per row, not both."
            )
        units = [check_flux_unit(f, owner) for f in flux_unit]
        return np.asarray(flux), units, None
    declared = check_flux_unit(flux_unit, owner)
    if not isinstance(flux, u.Quantity):
        return flux, declared, None
    source = check_flux_unit(flux.unit, owner)
    values = np.asarray(flux.value)
    if declared is None or same_unit(declared, source):
        return values, source, None
    equivalencies = []
    if _is_wavelength_axis(wavelength_unit) and wavelength_unit != u.pix:
        equivalencies = u.spectral_density(u.Quantity(wavelength, wavelength_unit))
    try:
        factor = (np.ones(np.shape(wavelength)) * source).to_value(
            declared, equivalencies=equivalencies)
    except u.UnitConversionError:
        raise ValueError(
            f"The flux Quantity given to {owner} is in {source.to_string()!r} "
            f"({source.physical_type}), which contradicts flux_unit="
            f"{declared.to_string()!r} ({declared.physical_type}): they cannot be "
            "converted into each other."
        ) from None
    if np.all(factor == factor.flat[0]):
        factor = float(factor.flat[0])
    return values * factor, declared, factor


def convert_ivar(ivar, flux_unit, source_unit, factor, owner):
    """Return plain ivar values in ``flux_unit ** -2`` (``source_unit`` before conversion)."""
    if ivar is None:
        return None
    if isinstance(ivar, u.Quantity):
        unit = flux_unit if not isinstance(flux_unit, list) else None
        if unit is None:
            raise ValueError(
                f"An ivar Quantity given to {owner} needs one known flux unit to be "
                "converted to (flux_unit ** -2)."
            )
        try:
            return np.asarray(ivar.to_value(unit**-2))
        except u.UnitConversionError:
            pass
        if source_unit is not None:
            try:
                values = np.asarray(ivar.to_value(source_unit**-2))
            except u.UnitConversionError:
                values = None
            if values is not None:
                return values / np.square(factor) if factor is not None else values
        raise ValueError(
            f"The ivar Quantity given to {owner} is in {ivar.unit.to_string()!r}; "
            f"expected the inverse square of the flux unit, {(unit**-2).to_string()!r}."
        )
    if factor is None:
        return ivar
    return np.asarray(ivar, dtype=np.float64) / np.square(factor)


def convert_inputs(wavelength, flux, ivar, wavelength_unit, flux_unit, owner, *,
                   per_row=False):
    """Plain arrays and units from possibly-Quantity inputs (see the module docstring).

    Returns
    -------
    wavelength, flux, ivar, wavelength_unit, flux_unit
        ``wavelength`` float64 (a copy); ``flux``/``ivar`` plain (``ivar`` may
        stay None); ``flux_unit`` a unit, None, or a list when ``per_row``.

    Raises
    ------
    ValueError
        For units that contradict the declared ones, or that are no
        wavelength / no flux.
    """
    wavelength, wunit = convert_wavelength(wavelength, wavelength_unit, owner)
    source = flux.unit if isinstance(flux, u.Quantity) else None
    flux, funit, factor = convert_flux(flux, flux_unit, wavelength, wunit, owner,
                                       per_row=per_row)
    ivar = convert_ivar(ivar, funit, source, factor, owner)
    return wavelength, flux, ivar, wunit, funit
