"""Input handling shared by the preprocessing transformers.

Spectra (a :class:`~spectra_sklearn.SpectrumBatch`, a
:class:`~spectra_sklearn.Spectrum` or a list of them) are used as they are;
anything else goes through scikit-learn's ``validate_data`` (so the estimator
checks see the usual errors and ``n_features_in_``) and is then taken as flux
on the pixel grid ``0 .. n_features - 1`` by
:func:`~spectra_sklearn._batch.as_spectrum_batch`.
"""

import functools

import numpy as np
from astropy import units as u
from sklearn.utils.validation import validate_data

from .._batch import SpectrumBatch, as_spectrum_batch, is_specutils
from .._spectrum import Spectrum

__all__ = [
    "is_spectra",
    "wavelength_limits",
    "read_spectra_input",
    "unit_scale",
    "convert_wavelength",
    "float_dtype",
]


def is_spectra(X):
    """Whether ``X`` holds Spectrum records (or specutils ones) rather than a plain array."""
    if isinstance(X, (SpectrumBatch, Spectrum)) or is_specutils(X):
        return True
    return (
        isinstance(X, (list, tuple))
        and len(X) > 0
        and all(isinstance(s, Spectrum) for s in X)
    )


def read_spectra_input(estimator, X, *, reset):
    """Return ``(batch, from_array)`` for a transformer's ``fit``/``transform``.

    Plain arrays are validated with ``validate_data(estimator, X, reset=reset)``
    (float64 or float32 kept, NaN and inf allowed: they become masked pixels),
    which sets or checks ``n_features_in_``.

    Raises
    ------
    ValueError
        If the batch holds no spectrum (arrays: the usual sklearn errors).
    """
    if is_spectra(X):
        batch, _ = as_spectrum_batch(X)
        if len(batch) == 0:
            raise ValueError(
                f"{type(estimator).__name__} needs at least one spectrum; got an empty "
                "SpectrumBatch."
            )
        if reset:
            # A refit on spectra must not keep the array layout of an earlier fit.
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(estimator, attr):
                    delattr(estimator, attr)
        return batch, False
    X = validate_data(
        estimator, X, reset=reset, dtype=[np.float64, np.float32], ensure_all_finite=False
    )
    batch, _ = as_spectrum_batch(X)
    return batch, True


def float_dtype(batch):
    """Output dtype: float32 when the flux is float32, else float64."""
    if batch.on_common_grid and batch.flux.dtype == np.float32:
        return np.float32
    return np.float64


@functools.lru_cache(maxsize=256)
def _factor(from_unit, to_unit):
    if from_unit == to_unit:
        return 1.0
    return float(u.Unit(from_unit).to(to_unit))


def unit_scale(from_unit, to_unit, name, owner):
    """Factor converting values in ``from_unit`` to ``to_unit`` (plain scaling).

    Raises
    ------
    ValueError
        If the units are not convertible, naming the parameter ``name``.
    """
    try:
        return _factor(from_unit, to_unit)
    except u.UnitConversionError:
        hint = (
            " Plain arrays are on the pixel grid (unit 'pix')."
            if u.pix in (from_unit, to_unit)
            else ""
        )
        raise ValueError(
            f"{owner}: wavelengths in {from_unit!s} cannot be converted to "
            f"{name}={to_unit!s}; the units are incompatible.{hint}"
        ) from None


def convert_wavelength(values, from_unit, to_unit, name, owner):
    """``values`` (float or ndarray) in ``from_unit`` converted to ``to_unit``.

    Astropy's factors between SI prefixes are not always exact powers of ten
    (``um`` to ``Angstrom`` is ``9999.999999999998``); such factors are snapped
    to the power of ten and applied by multiplying or dividing by an exact
    ``10.0 ** k``, so that ``0.54 um`` becomes exactly ``5400.0 Angstrom`` and
    ``5400 Angstrom`` exactly ``0.54 um`` (correct rounding).

    Raises
    ------
    ValueError
        If the units are not convertible (see :func:`unit_scale`).
    """
    factor = unit_scale(from_unit, to_unit, name, owner)
    if factor == 1.0:
        return values
    k = int(np.round(np.log10(factor)))
    if abs(k) <= 22 and abs(factor - 10.0**k) <= 8 * np.finfo(float).eps * factor:
        return values * 10.0**k if k >= 0 else values / 10.0 ** (-k)
    return values * factor


def wavelength_limits(lo, hi, unit, owner):
    """Wavelength limits as plain floats in ``unit``.

    ``lo`` and ``hi`` are numbers (already in ``unit``), astropy Quantities or
    None. A Quantity is converted with :func:`astropy.units.spectral`, so a
    frequency, energy or wavenumber limit works; such a limit swaps roles (the
    highest frequency is the shortest wavelength).

    Raises
    ------
    ValueError
        If a Quantity's unit cannot be converted to ``unit`` (or ``unit`` is
        ``pix``).
    """
    given = {"wavelength_min": lo, "wavelength_max": hi}
    inverted = {k: isinstance(v, u.Quantity) and not v.unit.is_equivalent(u.m)
                for k, v in given.items() if v is not None}
    if any(inverted.values()) and not all(inverted.values()):
        raise ValueError(
            f"{owner}: give wavelength_min and wavelength_max both as frequency, energy "
            "or wavenumber Quantities, or neither.")
    out = {}
    for key, value in given.items():
        if not isinstance(value, u.Quantity):
            out[key] = value
            continue
        try:
            if unit is None or u.Unit(unit) == u.pix:
                raise u.UnitConversionError("pixels")
            out[key] = float(value.to_value(unit, equivalencies=u.spectral()))
        except (u.UnitConversionError, TypeError, ValueError):
            raise ValueError(
                f"The {key!r} parameter of {owner} is {value!r}, which cannot be "
                f"converted to the spectra's wavelength unit {unit} (a wavelength, "
                "frequency, energy or wavenumber Quantity is needed)."
            ) from None
    if any(inverted.values()):  # the highest frequency is the shortest wavelength
        return out["wavelength_max"], out["wavelength_min"]
    return out["wavelength_min"], out["wavelength_max"]
