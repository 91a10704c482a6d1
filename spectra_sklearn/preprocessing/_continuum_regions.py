"""Wavelength regions for continuum fits: exclusion masks and standard telluric bands."""

import numpy as np
from astropy import units as u

__all__ = ["TELLURIC_BANDS_NIR", "region_mask", "as_regions", "check_wavelength_unit"]

#: The strong telluric water-vapour absorption bands of the near infrared, in
#: µm, as an :class:`~astropy.units.Quantity` of shape (3, 2): the
#: 1.13 µm band inside the J window's blue edge and the two deep bands that
#: separate the J, H and K atmospheric windows. Limits are approximate and
#: generous enough for low-resolution spectra (e.g. SpeX prism). The
#: Mauna Kea Observatories near-infrared filters were designed to avoid these
#: bands (Tokunaga, Simons & Vacca 2002, PASP 114, 180: J 1.17-1.33, H
#: 1.49-1.78, K 2.03-2.37 µm); see also the telluric correction of SpeX data
#: by Vacca, Cushing & Rayner (2003, PASP 115, 389). Pass it as
#: ``ContinuumNormalizer(exclude=TELLURIC_BANDS_NIR)`` to keep these bands out
#: of the continuum fit.
TELLURIC_BANDS_NIR = np.array([[1.11, 1.16], [1.34, 1.45], [1.80, 1.96]]) * u.um


def as_regions(value, unit, name, owner):
    """``(regions, unit)``: an ``(r, 2)`` float array of ``(lo, hi)`` pairs.

    ``value`` may be an :class:`~astropy.units.Quantity` (converted to
    ``unit`` when given, else its own unit is returned), one ``(lo, hi)`` pair
    or a sequence of them.

    Raises
    ------
    ValueError
        If the value is not pairs of finite wavelengths with ``lo <= hi``, or
        its unit does not convert to ``unit``.
    """
    if isinstance(value, u.Quantity):
        check_wavelength_unit(value, name, owner)
        if unit is None:
            unit = value.unit
        try:
            value = value.to_value(unit)
        except u.UnitConversionError:
            raise ValueError(
                f"The '{name}' parameter of {owner} is in {value.unit}, which cannot be "
                f"converted to wavelength_unit={unit}."
            ) from None
    try:
        regions = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        regions = None
    if regions is not None and regions.shape == (2,):
        regions = regions[None, :]
    if (
        regions is None
        or regions.ndim != 2
        or regions.shape[1] != 2
        or not np.all(np.isfinite(regions))
        or not np.all(regions[:, 0] <= regions[:, 1])
    ):
        raise ValueError(
            f"The '{name}' parameter of {owner} must be (lo, hi) wavelength pairs "
            f"(an array of shape (n_regions, 2)) of finite values with lo <= hi; "
            f"got {value!r}."
        )
    return regions, unit


def region_mask(wavelength, regions):
    """Boolean ``(p,)``: pixels inside any of the ``(lo, hi)`` regions (inclusive)."""
    inside = np.zeros(wavelength.shape, dtype=bool)
    for lo, hi in regions:
        inside |= (wavelength >= lo) & (wavelength <= hi)
    return inside


def check_wavelength_unit(quantity, name, owner):
    """Raise ValueError unless ``quantity`` is a length (or in pixels)."""
    if not (quantity.unit.is_equivalent(u.m) or quantity.unit.is_equivalent(u.pix)):
        raise ValueError(
            f"The '{name}' parameter of {owner} is in {quantity.unit}, which is not a "
            "wavelength unit (a length, or pix)."
        )
