"""MILES stellar library spectra: format ``"miles"``.

MILES (Sanchez-Blazquez et al. 2006, MNRAS 371, 703; Falcon-Barroso et al.
2011, A&A 532, A95 for the v9.1 calibration) has one FITS file per star, a
1-D primary image on a linear grid in **air** wavelengths:

``wavelength = CRVAL1 + (p - CRPIX1) * CDELT1`` Angstrom, ``p = 1, 2, ...``

(3540.5 to 7409.6 Angstrom in steps of 0.9 in the MaNGA DAP copies, which
carry ``TPLLIB = 'MILES'`` and the resolution ``FWHM = 2.5`` Angstrom).
The flux is relative F_lambda, in no stated unit (``flux_unit=None``), with
no uncertainty (``ivar`` NaN).

Leading and trailing runs of exactly zero flux are padding where the star
was not observed (star m0970 ends with 270 such pixels; the DAP omits it)
and are masked, with ``meta["n_padded"]`` counting them.

``meta``: ``source``, ``format``, ``wavelength_medium = "air"``,
``miles_id`` (the four digits of ``m0001`` in the file name, as a string,
which is the ``miles_id`` of the MILES parameter table), ``fwhm`` (Angstrom,
from ``FWHM``) and ``object`` (``OBJECT``) when present.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> header = fits.Header({"TPLLIB": "MILES", "FWHM": 2.5, "CRPIX1": 1,
...                       "CRVAL1": 3540.5, "CDELT1": 0.9})
>>> path = os.path.join(tempfile.mkdtemp(), "MILES_res2.50_star_m0970V.fits")
>>> fits.PrimaryHDU(np.array([1.0, 1.1, 0.9, 0.0]), header=header).writeto(path)
>>> s = read_spectrum(path)
>>> s.wavelength.tolist(), s.mask.tolist()
([3540.5, 3541.4, 3542.3, 3543.2], [False, False, False, True])
>>> s.meta["miles_id"], s.meta["wavelength_medium"], s.meta["fwhm"]
('0970', 'air', 2.5)
"""

import os
import re

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._edges import edge_padding
from ._errors import SpectrumReadError
from ._fits import as_float64, read_primary_image
from ._grid import check_usable
from ._registry import register_format
from ._units import parse_wavelength_unit

__all__ = ["read_miles", "identify_miles"]

FORMAT = "miles"
_ID = re.compile(r"m(\d{4})V?", re.IGNORECASE)


_MILES_NAME = re.compile(r"^miles.*\.fits?(\.gz)?$", re.IGNORECASE)
#: the cards read_miles uses (parsing only these is a tenth of its header cost)
_KEYS = ("CRVAL1", "CDELT1", "CD1_1", "CRPIX1", "CUNIT1", "FWHM", "OBJECT")


def identify_miles(path, head):
    """Whether ``path`` is a MILES spectrum: ``TPLLIB = 'MILES'``, or a file
    named ``MILES*.fits`` with a 1-D primary image (first header blocks only)."""
    cards = head.fits_header or {}
    return str(cards.get("TPLLIB") or "").strip().upper() == "MILES" or (
        cards.get("NAXIS") == 1 and bool(_MILES_NAME.match(head.name))
    )


def _number(cards, key, path, default=None):
    value = cards.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpectrumReadError(
            path, f"no linear wavelength solution: {key} must be a number; found "
            f"{value!r}", format=FORMAT)
    return float(value)


def read_miles(path):
    """Read one MILES spectrum (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).

    Returns
    -------
    Spectrum
        Air wavelength in Angstrom (or ``CUNIT1``), relative flux, unknown
        inverse variance, end padding masked.

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; the primary HDU is not
        a 1-D image (wrong HDU); ``CRVAL1``/``CDELT1`` are missing or the
        step is not positive; or the flux is all NaN.
    """
    data, cards = read_primary_image(path, format=FORMAT, keys=_KEYS)
    if data is None or data.size == 0:
        raise SpectrumReadError(
            path, "wrong HDU: the primary HDU holds no data (zero-length arrays); expected "
            "a 1-D spectrum image", format=FORMAT)
    flux = as_float64(data)
    if flux.ndim != 1:
        flux = flux.reshape([n for n in flux.shape if n != 1] or [1])
    if flux.ndim != 1:
        raise SpectrumReadError(
            path, f"wrong HDU: expected a 1-D spectrum image; the primary image has shape "
            f"{data.shape}", format=FORMAT)
    crval = _number(cards, "CRVAL1", path)
    step = _number(cards, "CD1_1" if "CD1_1" in cards else "CDELT1", path)
    crpix = _number(cards, "CRPIX1", path, default=1.0)
    if step <= 0:
        raise SpectrumReadError(
            path, f"the wavelength step CDELT1 = {step} must be positive", format=FORMAT)
    wavelength = np.arange(flux.size, dtype=np.float64)  # p - 1, then in place
    wavelength *= step
    wavelength += crval + (1.0 - crpix) * step
    wavelength_unit = parse_wavelength_unit(
        cards.get("CUNIT1"), default=u.AA, source=path, format=FORMAT, keyword="CUNIT1")
    check_usable(path, wavelength, flux, FORMAT)
    if wavelength[0] <= 0:
        raise SpectrumReadError(
            path, f"the wavelength grid starts at {wavelength[0]} (not positive)",
            format=FORMAT)
    padded = edge_padding(flux)

    meta = {"source": os.fspath(path), "format": FORMAT, "wavelength_medium": "air"}
    match = _ID.search(os.path.basename(os.fspath(path)))
    if match:
        meta["miles_id"] = match.group(1)
    if isinstance(cards.get("FWHM"), (int, float)):
        meta["fwhm"] = float(cards["FWHM"])
    obj = str(cards.get("OBJECT") or "").strip()
    if obj:
        meta["object"] = obj
    if padded.any():
        meta["n_padded"] = int(padded.sum())
    return Spectrum(wavelength, flux, None, padded, wavelength_unit=wavelength_unit,
                    flux_unit=None, meta=meta)


register_format(
    FORMAT,
    identify=identify_miles,
    read=read_miles,
    description="MILES stellar library 1-D FITS image, linear grid in air wavelengths "
    "(Sanchez-Blazquez et al. 2006)",
)
