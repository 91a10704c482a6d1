"""Generic text tables of one spectrum: format ``"ascii"`` (ECSV, CSV, whitespace columns).

One row per pixel, read with :func:`astropy.io.ascii.read` (ECSV with its
column units and metadata; comma-separated; or whitespace/tab-separated with
the column names in the first line, which may start with ``#``). Columns are
found by name, case-insensitively, with an optional unit in brackets
(``"Wavelength [um]"``, ``"flux (Jy)"``; in comma-separated files only, as a
space would split the name in a whitespace-separated one):

* wavelength -- ``wavelength``, ``wave``, ``lambda``, ``wl`` or ``loglam``
  (log10 of the wavelength in Angstrom);
* flux -- ``flux``, ``flux_density``, ``reflectance``, ``fnu``, ``flam``;
* inverse variance -- ``ivar``, ``inverse_variance``, ``invvar``; or an
  uncertainty -- ``error``, ``err``, ``uncertainty``, ``sigma``, ``flux_error``,
  ``flux_err``, ``reflectance_error``, turned into ``1 / sigma**2``;
* mask -- ``mask``: nonzero masks the pixel.

Units come from the ECSV header, else from the brackets in the column name,
else from ``wavelength_unit=`` / ``flux_unit=``. A table with no wavelength
unit anywhere is an error (the reader does not guess between micron and
Angstrom); an absent flux unit means *unknown* (``None``). Unit strings are
parsed as in :mod:`spectra_sklearn.io._units`; an unknown one is an error.

Empty fields are NaN (masked). Pixels whose uncertainty is zero, negative or
non-finite get ``ivar = 0`` and are masked; non-finite or non-positive
wavelengths are dropped and a grid out of order is sorted (``meta`` records
both). ``meta`` holds ``source``, ``format``, the ECSV table metadata (if any)
under ``table_meta``, and the column names used under ``columns``.

Identification (``format=None``) needs a ``.ecsv``, ``.csv``, ``.txt`` or
``.dat`` name (optionally ``.gz``) *and* a header line naming both a
wavelength and a flux column, so catalogues, SMASSII files (``*.[2]``) and the
DeMeo/Mahlke tables (columns named by wavelength) are not claimed.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.table import Table
>>> from spectra_sklearn.io import read_spectrum
>>> path = os.path.join(tempfile.mkdtemp(), "star.ecsv")
>>> t = Table({"wavelength": [1.0, 1.1, 1.2], "flux": [2.0, 2.1, 2.2],
...            "error": [0.5, 0.0, 0.25]})
>>> t["wavelength"].unit, t["flux"].unit = "um", "W m-2 um-1"
>>> t.write(path)
>>> s = read_spectrum(path)
>>> s.wavelength_unit, s.flux_unit, s.ivar.tolist(), s.mask.tolist()
(Unit("um"), Unit("W / (um m2)"), [4.0, 0.0, 16.0], [False, True, False])
"""

import csv
import os
import re
import warnings
import zlib

import numpy as np
from astropy import units as u
from astropy.io import ascii as astropy_ascii

from .._spectrum import Spectrum
from ._errors import SpectrumReadError, check_regular_file
from ._grid import check_usable, clean_grid, inverse_variance
from ._limits import read_file_bytes
from ._registry import register_format
from ._units import parse_flux_unit, parse_wavelength_unit

__all__ = ["identify_ascii", "read_ascii"]

FORMAT = "ascii"
_WAVELENGTH = ("wavelength", "wave", "lambda", "wl", "loglam")
_FLUX = ("flux", "flux_density", "reflectance", "fnu", "flam")
_IVAR = ("ivar", "inverse_variance", "invvar")
_SIGMA = ("error", "err", "uncertainty", "sigma", "flux_error", "flux_err",
          "reflectance_error")
_MASK = ("mask",)
_SUFFIX = re.compile(r"\.(ecsv|csv|txt|dat)$", re.IGNORECASE)
_NAME_UNIT = re.compile(r"^\s*([^\[\(]*?)\s*(?:[\[\(]\s*([^\]\)]*?)\s*[\]\)])?\s*$")
_TOKEN = re.compile(r"[^\s,;|\t]+(?:\s*[\[\(][^\]\)]*[\]\)])?")
_ERRORS = (ValueError, TypeError, IndexError, KeyError, OSError, EOFError,
           UnicodeDecodeError, AttributeError, zlib.error)


def _split_name(name):
    """``"Wavelength [um]"`` -> ``("wavelength", "um")``; ``"flux"`` -> ``("flux", None)``."""
    match = _NAME_UNIT.match(str(name))
    if match is None:  # pragma: no cover - the pattern matches any string
        return str(name).strip().lower(), None
    return match.group(1).lower(), match.group(2) or None


def _header_names(head):
    """Column names the file's header announces, lower case, units stripped."""
    try:
        text = head.first_bytes.decode("utf-8")
    except UnicodeDecodeError:
        return set()
    lines = text.splitlines()
    if lines and lines[0].startswith("# %ECSV"):
        found = set()
        for line in lines:
            if not line.startswith("#"):
                break
            match = re.search(r"name:\s*['\"]?([^,'\"}]+)", line)
            if match:
                found.add(_split_name(match.group(1))[0])
        return found
    for line in lines:
        if line.strip():
            return {_split_name(t)[0] for t in _TOKEN.findall(line.lstrip("#"))}
    return set()


def identify_ascii(path, head):
    """Whether ``path`` is a text table with a wavelength and a flux column
    (decided from the name and the header line)."""
    if not _SUFFIX.search(head.name):
        return False
    names = _header_names(head)
    return bool(names & set(_WAVELENGTH)) and bool(names & set(_FLUX))


def _find(columns, wanted):
    """The first column whose base name is in ``wanted``: ``(name, unit_in_name)``."""
    parsed = {name: _split_name(name) for name in columns}
    for key in wanted:
        for name, (base, unit) in parsed.items():
            if base == key:
                return name, unit
    return None, None


def _read_table(path):
    """The file as an astropy Table; the bytes are read (and un-gzipped) here so that
    no file handle is left open when the data are bad."""
    raw = read_file_bytes(path, FORMAT)  # gunzipped within a bound (a gzip bomb is refused)
    text = raw.decode("utf-8")
    if "\x00" in text:
        raise ValueError("not a text file (NUL bytes)")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ValueError("the file is empty")
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        name = name[:-3]
    kwargs = {"guess": False}
    if name.endswith(".ecsv") or lines[0].startswith("# %ECSV"):
        kwargs["format"] = "ecsv"
    else:
        kwargs["fast_reader"] = False
        line = next(line for line in lines if line.strip())
        if line.lstrip().startswith("#"):
            kwargs["format"] = "commented_header"
            if "," in line:
                kwargs["delimiter"] = ","
        elif "," in line:
            kwargs["format"] = "csv"
            _check_row_lengths(lines)
        else:
            kwargs["format"] = "basic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)  # unknown units are checked below
        warnings.simplefilter("error")
        return astropy_ascii.read(lines, **kwargs)


def _check_row_lengths(lines):
    """Refuse CSV rows with fewer or more fields than the header.

    astropy's CSV reader pads a short row with masked values; a short row is
    a damaged or truncated line, not missing data (an empty field ``1.1,``
    is how CSV says *missing*), so it is an error, as for the whitespace
    tables.
    """
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    parsed = csv.reader(rows)
    n_header = len(next(parsed, []))
    for number, fields in enumerate(parsed, start=1):
        if len(fields) != n_header:
            raise astropy_ascii.InconsistentTableError(
                f"data row {number} has {len(fields)} fields, the header {n_header} "
                f"({rows[number][:80]!r})")


def _floats(table, name, path):
    column = table[name]
    if column.dtype.kind not in "biuf":
        raise SpectrumReadError(
            path, f"column {name!r} is not numeric (found {column.dtype}: e.g. "
            f"{str(column[0])[:30]!r})", format=FORMAT)
    if hasattr(column, "filled"):
        return np.asarray(column.filled(np.nan), dtype=np.float64)
    return np.asarray(column, dtype=np.float64)


def _unit_text(table, name, unit_in_name):
    unit = table[name].unit
    if unit is not None:
        return unit.to_string() if not isinstance(unit, u.UnrecognizedUnit) else str(unit)
    return unit_in_name


def read_ascii(path, *, wavelength_unit=None, flux_unit=None):
    """Read a spectrum from a text table (ECSV, CSV or whitespace columns).

    Parameters
    ----------
    path : str or os.PathLike
        The file (``.gz`` allowed).
    wavelength_unit : str or astropy unit, default=None
        The wavelength unit when neither the ECSV header nor the column name
        gives one (ignored when they do).
    flux_unit : str or astropy unit, default=None
        The flux unit when neither the ECSV header nor the column name gives
        one; ``None`` leaves it unknown.

    Returns
    -------
    Spectrum
        The file's wavelength and flux, ivar from an ivar or uncertainty
        column (NaN when there is none), mask from a mask column and from
        unusable uncertainties.

    Raises
    ------
    SpectrumReadError
        If the file is missing, not a readable table (including rows of
        different lengths), lacks a wavelength or flux column, has a
        non-numeric one, no wavelength unit, an unknown unit, no usable pixel,
        or only NaN flux.
    """
    check_regular_file(path, FORMAT)
    try:
        table = _read_table(path)
    except SpectrumReadError:
        raise
    except astropy_ascii.InconsistentTableError as exc:
        raise SpectrumReadError(
            path, f"mismatched lengths: {' '.join(str(exc).split())[:200]}", format=FORMAT
        ) from exc
    except (*_ERRORS, Warning) as exc:
        raise SpectrumReadError(
            path, f"not a readable text table ({type(exc).__name__}: {str(exc)[:200]})",
            format=FORMAT) from exc
    names = table.colnames
    wave_name, wave_unit = _find(names, _WAVELENGTH)
    flux_name, flux_unit_in_name = _find(names, _FLUX)
    if wave_name is None or flux_name is None:
        raise SpectrumReadError(
            path, f"needs a wavelength column (one of {', '.join(_WAVELENGTH)}) and a flux "
            f"column (one of {', '.join(_FLUX)}); it has {', '.join(names)[:200]}",
            format=FORMAT)
    if len(table) == 0:
        raise SpectrumReadError(path, "the table has no rows (zero-length arrays)",
                                format=FORMAT)
    wavelength = _floats(table, wave_name, path)
    flux = _floats(table, flux_name, path)
    used = {"wavelength": wave_name, "flux": flux_name}
    if _split_name(wave_name)[0] == "loglam":
        wavelength = 10.0 ** wavelength
        wave_text = "Angstrom"
    else:
        wave_text = _unit_text(table, wave_name, wave_unit)
        if wave_text is None and wavelength_unit is not None:
            wave_text = u.Unit(wavelength_unit).to_string()
    if wave_text is None:
        raise SpectrumReadError(
            path, f"no wavelength unit: give it in the ECSV header, in the column name "
            f"({wave_name!r} -> 'wavelength [um]'), or pass wavelength_unit=", format=FORMAT)
    flux_text = _unit_text(table, flux_name, flux_unit_in_name)
    if flux_text is None and flux_unit is not None:
        flux_text = u.Unit(flux_unit).to_string()
    w_unit = parse_wavelength_unit(wave_text, source=path, format=FORMAT,
                                   keyword=f"unit of {wave_name!r}")
    f_unit = parse_flux_unit(flux_text, source=path, format=FORMAT,
                             keyword=f"unit of {flux_name!r}")

    ivar_name, _ = _find(names, _IVAR)
    sigma_name, _ = _find(names, _SIGMA)
    n = wavelength.size
    if ivar_name is not None:
        ivar = _floats(table, ivar_name, path)
        mask = ~np.isfinite(ivar) | (ivar <= 0)
        ivar = np.where(mask, 0.0, ivar)
        used["ivar"] = ivar_name
    elif sigma_name is not None:
        ivar, mask = inverse_variance(_floats(table, sigma_name, path))
        used["uncertainty"] = sigma_name
    else:
        ivar, mask = None, np.zeros(n, dtype=bool)
    mask_name, _ = _find(names, _MASK)
    if mask_name is not None:
        flags = _floats(table, mask_name, path)
        mask = mask | ~np.isfinite(flags) | (flags != 0)
        used["mask"] = mask_name

    arrays = [flux, mask] + ([ivar] if ivar is not None else [])
    wavelength, arrays, facts = clean_grid(wavelength, arrays)
    flux, mask = arrays[0], arrays[1]
    ivar = arrays[2] if ivar is not None else None
    check_usable(path, wavelength, flux, FORMAT, facts)
    meta = {"source": os.fspath(path), "format": FORMAT, "columns": used}
    if table.meta:
        meta["table_meta"] = dict(table.meta)
    meta.update(facts)
    try:
        return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=w_unit,
                        flux_unit=f_unit, meta=meta)
    except ValueError as exc:  # pragma: no cover - clean_grid leaves a valid grid
        raise SpectrumReadError(path, str(exc), format=FORMAT) from None


register_format(
    FORMAT,
    identify=identify_ascii,
    read=read_ascii,
    description="text table (ECSV, CSV, whitespace columns) with wavelength and flux columns",
)
