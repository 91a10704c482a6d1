"""Unit strings found in spectrum files, mapped to astropy units.

Real headers do not always follow the FITS unit standard (Greisen et al. 2006,
A&A 446, 747). The strings this package has met in its data, and how they are
read:

==========================  =====================================  ==========
string                      unit                                   where
==========================  =====================================  ==========
``ergss-1cm-2A-1``          erg s-1 cm-2 Angstrom-1                SpeX YUNITS
``ergs s-1 cm-2 A-1``       erg s-1 cm-2 Angstrom-1                SpeX YUNITS
``Wm-2um-1``                W m-2 um-1                             SpeX YUNITS
``W m-2 um-1``              W m-2 um-1                             SpeX YUNITS
``um``, ``Microns``         um                                     SpeX XUNITS
``1E-17 erg/cm^2/s/Ang``    1e-17 erg s-1 cm-2 Angstrom-1          SDSS BUNIT
``Angstroms``, ``Jy``       Angstrom, Jy                           various
==========================  =====================================  ==========

Any other string is parsed by :func:`astropy.units.Unit` after these
rewrites: a standalone ``A``, ``Ang``, ``AA`` or ``Angstroms`` is the
Angstrom (never the ampere, which no spectrum flux uses), ``ergs`` is ``erg``
and ``micron(s)`` is ``um``. A string that still does not parse raises
:class:`~spectra_sklearn.io.SpectrumReadError` naming the file and the string.
An empty or absent flux unit means *unknown* (``None``); an empty or absent
wavelength unit takes the default the format documents, or is an error where
the format has none.

Parsed strings are cached, so a batch of files with the same header strings
parses each string once.
"""

import functools
import re
import warnings

from astropy import units as u

from .._quantity import is_flux_like
from ._errors import SpectrumReadError

__all__ = ["parse_flux_unit", "parse_wavelength_unit"]

# Strings astropy cannot tokenise (no separators), keyed by lower-case text.
_ALIASES = {
    "ergss-1cm-2a-1": u.erg / u.s / u.cm**2 / u.AA,
    "wm-2um-1": u.W / u.m**2 / u.um,
}

_REWRITES = [
    (re.compile(r"(?<![A-Za-z])(?:A|AA|Ang|Angs|Angstroms|\u00c5)(?![A-Za-z])"), "Angstrom"),
    (re.compile(r"(?<![A-Za-z])ergs(?![A-Za-z])"), "erg"),
    (re.compile(r"(?<![A-Za-z])[Mm]icrons?(?![A-Za-z])"), "um"),
    (re.compile("\u00b5m"), "um"),
]


@functools.lru_cache(maxsize=512)
def _parse(text):
    """Return ``(unit, None)`` or ``(None, why)`` for a non-empty unit string."""
    alias = _ALIASES.get("".join(text.split()).lower())
    if alias is not None:
        return alias, None
    rewritten = text
    for pattern, repl in _REWRITES:
        rewritten = pattern.sub(repl, rewritten)
    with warnings.catch_warnings():
        # "multiple slashes" and similar style warnings: the unit is still exact.
        warnings.simplefilter("ignore", u.UnitsWarning)
        try:
            return u.Unit(rewritten, parse_strict="raise"), None
        except (ValueError, TypeError) as exc:
            return None, str(exc)


def _blank(text):
    return text is None or (isinstance(text, str) and not text.strip())


def parse_flux_unit(text, *, source=None, format=None, keyword="flux unit"):
    """Return the astropy unit of a flux unit string, ``None`` when absent.

    Parameters
    ----------
    text : str or None
        The header or column unit string (``None`` when the card is absent).
    source : str or os.PathLike, default=None
        The file the string comes from (named in the error).
    format : str, default=None
        The format being read (named in the error).
    keyword : str, default="flux unit"
        The card or column the string comes from (named in the error).

    Returns
    -------
    astropy.units.UnitBase or None
        ``None`` for an empty or absent string (unknown unit).

    Raises
    ------
    SpectrumReadError
        If the string is not a unit astropy or the table above knows, or is a
        unit no flux can have (e.g. ``kg``; see
        :func:`spectra_sklearn._quantity.is_flux_like`).

    Examples
    --------
    >>> from spectra_sklearn.io._units import parse_flux_unit
    >>> parse_flux_unit("ergss-1cm-2A-1")
    Unit("erg / (Angstrom s cm2)")
    >>> parse_flux_unit("W m-2 um-1")
    Unit("W / (um m2)")
    >>> parse_flux_unit("") is None
    True
    """
    if _blank(text):
        return None
    unit, why = _parse(str(text).strip())
    if unit is None:
        raise SpectrumReadError(
            source, f"unknown {keyword} {str(text)!r} ({why})", format=format
        )
    if not is_flux_like(unit):
        raise SpectrumReadError(
            source, f"{keyword} {str(text)!r} is {unit} ({unit.physical_type}), not a "
            "flux-like unit", format=format
        )
    return unit


def parse_wavelength_unit(text, *, default=None, source=None, format=None,
                          keyword="wavelength unit"):
    """Return the astropy unit of a wavelength unit string.

    Parameters
    ----------
    text : str or None
        The header or column unit string (``None`` when the card is absent).
    default : astropy unit or str, default=None
        The unit the format documents for an empty or absent string; ``None``
        makes an empty string an error.
    source, format, keyword
        Named in the error, as in :func:`parse_flux_unit`.

    Returns
    -------
    astropy.units.UnitBase
        A unit of length.

    Raises
    ------
    SpectrumReadError
        If the string is unknown, is not a length, or is absent with no default.

    Examples
    --------
    >>> from spectra_sklearn.io._units import parse_wavelength_unit
    >>> parse_wavelength_unit("Microns")
    Unit("um")
    >>> parse_wavelength_unit(None, default="um")
    Unit("um")
    """
    if _blank(text):
        if default is None:
            raise SpectrumReadError(
                source, f"no {keyword} given and the format has no default", format=format
            )
        return u.Unit(default)
    unit, why = _parse(str(text).strip())
    if unit is None:
        raise SpectrumReadError(
            source, f"unknown {keyword} {str(text)!r} ({why})", format=format
        )
    if not unit.is_equivalent(u.m):
        raise SpectrumReadError(
            source, f"{keyword} {str(text)!r} is {unit}, not a unit of length", format=format
        )
    return unit
