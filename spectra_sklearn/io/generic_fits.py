"""Generic one-dimensional FITS spectra: format ``"fits"``.

Two layouts are read, from the primary HDU when it holds data, else from the
first extension that does (or from the HDU given as ``hdu=``):

**A 1-D image with a wavelength solution in the header** (pixel ``p`` counts
from 1, as in FITS):

* linear -- ``CRVAL1 + (p - CRPIX1) * CDELT1`` (``CD1_1`` replaces ``CDELT1``
  when present; ``CRPIX1`` defaults to 1), the FITS WCS convention
  (Greisen & Calabretta 2002, A&A 395, 1061);
* log-linear, FITS style -- ``CTYPE1`` ending in ``-LOG`` (e.g. ``WAVE-LOG``):
  ``CRVAL1 * exp(CDELT1 * (p - CRPIX1) / CRVAL1)`` (Greisen et al. 2006,
  A&A 446, 747);
* log-linear, IRAF style -- ``DC-FLAG = 1``: ``10 ** (CRVAL1 + (p - CRPIX1) * CDELT1)``;
* log-linear, SDSS style -- ``COEFF0``/``COEFF1`` with no ``CRVAL1``:
  ``10 ** (COEFF0 + COEFF1 * (p - 1))``.

The wavelength unit comes from ``CUNIT1``, else from ``units=`` in IRAF's
``WAT1_001`` card, else it is the Angstrom (the IRAF and SDSS convention, and
what MILES uses). The flux unit comes from ``BUNIT`` (``None`` if absent) and
the inverse variance is unknown (NaN).

**A binary or ASCII table** with one row per pixel (or one row holding
array cells), whose column names are matched case-insensitively:

* wavelength -- ``wavelength``, ``wave``, ``lambda`` (unit from ``TUNITn``,
  else Angstrom) or ``loglam`` (log10 of the wavelength in Angstrom, SDSS);
* flux -- ``flux`` (unit from ``TUNITn``, else the HDU's or the primary
  header's ``BUNIT``, else ``None``);
* inverse variance -- ``ivar``, ``inverse_variance``, ``invvar``; or an
  uncertainty -- ``error``, ``err``, ``uncertainty``, ``sigma``,
  ``flux_error``, ``flux_err``, turned into ``1 / sigma**2``;
* mask -- ``and_mask`` (SDSS: bad in every exposure) or ``mask``; nonzero
  masks the pixel.

Pixels with no information -- inverse variance 0, negative or non-finite, or
an uncertainty that is 0, negative or non-finite -- get ``ivar = 0`` and are
masked. In both layouts, non-finite or non-positive wavelengths are dropped and
a grid out of order is sorted (duplicates dropped; ``meta`` records this).

``meta`` holds ``source``, ``format``, ``hdu`` (the index read), ``object``
(``OBJECT`` card, if any) and ``wavelength_solution`` (``"linear"``,
``"log"``, ``"log10"`` or ``"table"``).

Tested on the MILES library (Sanchez-Blazquez et al. 2006, MNRAS 371, 703;
linear WCS, air wavelengths in Angstrom) and SDSS DR18 spectra (``COADD``
table in HDU 1). The ISO SWS atlas files (Sloan et al. 2003) are neither: an
(N, 4) image and an SWS Auto-Analysis table without these column names.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> header = fits.Header({"CRVAL1": 4000.0, "CDELT1": 2.0, "CRPIX1": 1.0,
...                       "CUNIT1": "Angstrom", "BUNIT": "erg/s/cm2/A"})
>>> path = os.path.join(tempfile.mkdtemp(), "star.fits")
>>> fits.PrimaryHDU(np.array([1.0, 2.0, 3.0]), header=header).writeto(path)
>>> s = read_spectrum(path)
>>> s.wavelength.tolist(), s.wavelength_unit, s.flux_unit
([4000.0, 4002.0, 4004.0], Unit("Angstrom"), Unit("erg / (Angstrom s cm2)"))
"""

import os
import re

import numpy as np
from astropy import units as u
from astropy.io import fits

from .._spectrum import Spectrum
from ._errors import SpectrumReadError
from ._fits import open_fits
from ._grid import check_usable, clean_grid, inverse_variance
from ._registry import register_format
from ._units import parse_flux_unit, parse_wavelength_unit

__all__ = ["read_fits", "identify_fits"]

FORMAT = "fits"
_WAVELENGTH = ("wavelength", "wave", "lambda", "loglam")
_FLUX = ("flux",)
_IVAR = ("ivar", "inverse_variance", "inverse variance", "invvar")
_SIGMA = ("error", "err", "uncertainty", "sigma", "flux_error", "flux_err")
_MASK = ("and_mask", "mask")
_WAT_UNITS = re.compile(r"units=(\S+)")
_FITS_NAME = re.compile(r"\.(fits|fit|fts)(\.gz)?$", re.IGNORECASE)


def identify_fits(path, head):
    """Whether ``path`` is a FITS file whose primary HDU is 1-D (after dropping
    length-1 axes) or empty.

    An empty primary HDU (``NAXIS = 0``) is accepted so that spectra stored
    in an extension table are recognised; the reader then says clearly
    if no extension holds a spectrum. Files that a survey format recognises
    (SDSS ``spec``, MILES, ISO SWS, CASSIS, SDSS templates) are left to that
    format by priority (``"fits"`` registers at -10); ``format="fits"`` still
    reads them where the generic layouts apply.
    """
    cards = head.fits_header
    if not cards or not (_FITS_NAME.search(path.name) or head.is_fits):
        return False
    naxis = cards.get("NAXIS")
    if naxis == 0:
        return True
    if not isinstance(naxis, int) or naxis < 1:
        return False
    lengths = [cards.get(f"NAXIS{i}") for i in range(1, naxis + 1)]
    return sum(n != 1 for n in lengths) == 1  # 1-D once length-1 axes are dropped


def _is_table(hdu):
    return isinstance(hdu, (fits.BinTableHDU, fits.TableHDU))


def _find(names, wanted):
    lower = {name.lower(): name for name in names}
    for key in wanted:
        if key in lower:
            return lower[key]
    return None


def _describe(hdul):
    parts = []
    for i, hdu in enumerate(hdul):
        if _is_table(hdu):
            what = "table with columns " + ", ".join(hdu.columns.names)
        else:
            shape = hdu.shape if hdu.header.get("NAXIS", 0) else ()
            what = f"image of shape {shape}" if shape else "no data"
        parts.append(f"HDU {i} {hdu.name!r}: {what}")
    return "; ".join(parts)


def _choose_hdu(hdul, path):
    for i, hdu in enumerate(hdul):
        if _is_table(hdu):
            if _find(hdu.columns.names, _WAVELENGTH) is not None:
                return i
        elif hdu.header.get("NAXIS", 0) > 0 and all(
            hdu.header.get(f"NAXIS{k}", 0) > 0 for k in range(1, hdu.header["NAXIS"] + 1)
        ):
            return i
    raise SpectrumReadError(
        path,
        "no HDU holds a 1-D spectrum image or a table with a wavelength column "
        f"(looked for {', '.join(_WAVELENGTH)}); the file has: {_describe(hdul)}",
        format=FORMAT,
    )


def _image(hdu, path):
    data = hdu.data
    if data is None:
        raise SpectrumReadError(path, f"HDU {hdu.name!r} holds no data (zero-length arrays)",
                                format=FORMAT)
    flux = np.array(data, dtype=np.float64)
    if flux.ndim > 1:
        flux = flux.reshape([n for n in flux.shape if n != 1] or [1])
    if flux.ndim != 1:
        raise SpectrumReadError(
            path, f"expected a 1-D spectrum image; HDU {hdu.name!r} has shape {data.shape}",
            format=FORMAT)
    header = hdu.header
    n = flux.size
    pixel = np.arange(1, n + 1, dtype=np.float64)
    ctype = str(header.get("CTYPE1", "")).strip().upper()
    crpix = float(header.get("CRPIX1", 1.0))
    step = header.get("CD1_1", header.get("CDELT1"))
    if "CRVAL1" in header and step is None:
        raise SpectrumReadError(
            path, "CRVAL1 is given but neither CDELT1 nor CD1_1: no wavelength step",
            format=FORMAT)
    try:
        step_value = float(step) if step is not None else np.nan
    except (TypeError, ValueError):
        step_value = np.nan
    if "CRVAL1" in header and n > 1 and not (np.isfinite(step_value) and step_value != 0):
        raise SpectrumReadError(
            path, f"the wavelength step {'CD1_1' if 'CD1_1' in header else 'CDELT1'} = "
            f"{step!r} is zero or not a finite number: no wavelength grid (every pixel "
            "would be at the same wavelength)", format=FORMAT)
    if ctype.endswith("-LOG") and "CRVAL1" in header:
        crval = float(header["CRVAL1"])
        wavelength = crval * np.exp(float(step) * (pixel - crpix) / crval)
        solution = "log"
    elif "CRVAL1" in header:
        x = float(header["CRVAL1"]) + (pixel - crpix) * float(step)
        if header.get("DC-FLAG") == 1:
            wavelength, solution = 10.0**x, "log10"
        else:
            wavelength, solution = x, "linear"
    elif "COEFF0" in header and "COEFF1" in header:
        wavelength = 10.0 ** (float(header["COEFF0"]) + float(header["COEFF1"]) * (pixel - 1))
        solution = "log10"
    else:
        raise SpectrumReadError(
            path, "the 1-D image has no wavelength solution: expected CRVAL1 with CDELT1 or "
            "CD1_1 (linear, CTYPE1 '-LOG' or DC-FLAG = 1 for log), or COEFF0/COEFF1 (SDSS)",
            format=FORMAT)
    unit_text = header.get("CUNIT1")
    if not unit_text:
        match = _WAT_UNITS.search(str(header.get("WAT1_001", "")))
        unit_text = match.group(1) if match else None
    units = (unit_text, "CUNIT1", header.get("BUNIT"), "BUNIT")
    return wavelength, flux, None, None, units, solution


def _column(data, name, n, path):
    values = np.array(data[name], dtype=np.float64)
    if values.ndim == 2 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 1:
        raise SpectrumReadError(
            path, f"column {name!r} has shape {values.shape}; expected one value per pixel "
            "(one spectrum per file)", format=FORMAT)
    if n is not None and values.size != n:
        raise SpectrumReadError(
            path, f"mismatched lengths: column {name!r} has {values.size} values, the "
            f"wavelength column {n}", format=FORMAT)
    return values


def _table(hdu, primary, path):
    names = hdu.columns.names
    wave_name = _find(names, _WAVELENGTH)
    flux_name = _find(names, _FLUX)
    if wave_name is None or flux_name is None:
        raise SpectrumReadError(
            path, f"table HDU {hdu.name!r} needs a wavelength column (one of "
            f"{', '.join(_WAVELENGTH)}) and a flux column; it has {', '.join(names)}",
            format=FORMAT)
    data = hdu.data
    if data is None or len(data) == 0:
        raise SpectrumReadError(path, f"table HDU {hdu.name!r} has no rows (zero-length arrays)",
                                format=FORMAT)
    wavelength = _column(data, wave_name, None, path)
    n = wavelength.size
    flux = _column(data, flux_name, n, path)
    units = {c.name: c.unit for c in hdu.columns}
    if wave_name.lower() == "loglam":
        wavelength = 10.0**wavelength
        wave_unit = "Angstrom"
    else:
        wave_unit = units.get(wave_name)
    ivar_name, sigma_name = _find(names, _IVAR), _find(names, _SIGMA)
    if ivar_name is not None:
        ivar = _column(data, ivar_name, n, path)
        no_info = ~np.isfinite(ivar) | (ivar <= 0)
        ivar = np.where(no_info, 0.0, ivar)
    elif sigma_name is not None:
        ivar, no_info = inverse_variance(_column(data, sigma_name, n, path))
    else:
        ivar, no_info = None, np.zeros(n, dtype=bool)
    mask_name = _find(names, _MASK)
    mask = no_info
    if mask_name is not None:
        mask = mask | (_column(data, mask_name, n, path) != 0)
    flux_unit = units.get(flux_name) or hdu.header.get("BUNIT") or primary.get("BUNIT")
    return wavelength, flux, ivar, mask, (wave_unit, f"TUNIT of {wave_name!r}", flux_unit,
                                          f"unit of {flux_name!r}"), "table"


def read_fits(path, *, hdu=None):
    """Read a 1-D FITS spectrum: an image with a wavelength solution, or a table.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).
    hdu : int or str, default=None
        Index or ``EXTNAME`` of the HDU to read. ``None`` takes the primary HDU
        if it holds data, else the first extension that is a table with a
        wavelength column or a non-empty image.

    Returns
    -------
    Spectrum
        Wavelength in the header's unit (Angstrom by default), flux in
        ``BUNIT``/``TUNITn`` (``None`` if absent), ivar from the table (NaN
        for an image).

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; the HDU does not exist,
        is not 1-D or lacks the wavelength solution or columns; arrays are
        empty or of different lengths; the flux is all NaN; or a unit string
        is unknown.
    """
    with open_fits(path, format=FORMAT) as hdul:
        if hdu is None:
            index = _choose_hdu(hdul, path)
        else:
            try:
                index = hdul.index_of(hdu)
                hdul[index]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpectrumReadError(
                    path, f"there is no HDU {hdu!r}; the file has: {_describe(hdul)}",
                    format=FORMAT) from None
        chosen = hdul[index]
        if _is_table(chosen):
            wavelength, flux, ivar, mask, units, solution = _table(chosen, hdul[0].header, path)
        else:
            wavelength, flux, ivar, mask, units, solution = _image(chosen, path)
        obj = chosen.header.get("OBJECT", hdul[0].header.get("OBJECT"))

    wave_text, wave_key, flux_text, flux_key = units
    wavelength_unit = parse_wavelength_unit(
        wave_text, default=u.AA, source=path, format=FORMAT, keyword=wave_key)
    flux_unit = parse_flux_unit(flux_text, source=path, format=FORMAT, keyword=flux_key)
    if wavelength.size == 0:
        raise SpectrumReadError(path, "the spectrum has no pixels (zero-length arrays)",
                                format=FORMAT)
    arrays = [flux] + [a for a in (ivar, mask) if a is not None]
    wavelength, arrays, facts = clean_grid(wavelength, arrays)
    flux = arrays.pop(0)
    ivar = arrays.pop(0) if ivar is not None else None
    mask = arrays.pop(0) if mask is not None else None
    check_usable(path, wavelength, flux, FORMAT, facts)
    meta = {"source": os.fspath(path), "format": FORMAT, "hdu": index,
            "wavelength_solution": solution}
    if isinstance(obj, str) and obj.strip():
        meta["object"] = obj.strip()
    meta.update(facts)
    return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=wavelength_unit,
                    flux_unit=flux_unit, meta=meta)


register_format(
    FORMAT,
    identify=identify_fits,
    read=read_fits,
    description="generic 1-D FITS: image with a linear or log-linear wavelength "
    "solution, or a table with wavelength and flux columns",
    priority=-10,  # the fallback: any format that recognises a file reads it
)
