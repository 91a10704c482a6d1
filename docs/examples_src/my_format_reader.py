"""Reader for "MySpec" spectra: format ``"myspec"``.

A MySpec file is a FITS file whose primary HDU is a 1-D image of flux
densities in erg s-1 cm-2 Angstrom-1, with a linear wavelength solution in
Angstrom (``CRVAL1``, ``CDELT1``, ``CRPIX1``), an optional 1-sigma
uncertainty image in an ``ERROR`` extension, and ``INSTRUME = 'MYSPEC'``.
Importing this module registers the format; nothing else in spectra_sklearn
changes.
"""

import os

import numpy as np
from astropy.io import fits

from spectra_sklearn import Spectrum
from spectra_sklearn.io import SpectrumReadError, register_format

FORMAT = "myspec"


def identify_myspec(path, head):
    """Whether ``path`` is a MySpec file, from its first header cards only."""
    cards = head.fits_header or {}
    return str(cards.get("INSTRUME") or "").strip().upper() == "MYSPEC"


def read_myspec(path):
    """Read one MySpec file into a :class:`~spectra_sklearn.Spectrum`.

    Raises
    ------
    SpectrumReadError
        If the primary HDU is not a 1-D image or has no wavelength solution.
    """
    try:
        with fits.open(path) as hdus:
            header = hdus[0].header
            flux = hdus[0].data
            error = hdus["ERROR"].data if "ERROR" in hdus else None
    except OSError as exc:
        raise SpectrumReadError(
            path, f"not a readable FITS file ({exc})", format=FORMAT) from exc
    if flux is None or flux.ndim != 1:
        shape = None if flux is None else flux.shape
        raise SpectrumReadError(
            path, f"expected a 1-D primary image; found shape {shape}", format=FORMAT)
    if "CRVAL1" not in header or "CDELT1" not in header:
        raise SpectrumReadError(
            path, "no wavelength solution: CRVAL1 and CDELT1 are required", format=FORMAT)
    pixel = np.arange(1, flux.size + 1) - header.get("CRPIX1", 1.0)
    wavelength = header["CRVAL1"] + header["CDELT1"] * pixel
    ivar = mask = None  # no uncertainty: ivar unknown (NaN)
    if error is not None:
        # A zero, negative or non-finite error is a bad pixel: ivar 0, masked.
        error = np.asarray(error, dtype=np.float64)
        mask = ~(np.isfinite(error) & (error > 0))
        ivar = np.zeros(error.shape)
        ivar[~mask] = 1.0 / error[~mask] ** 2
    return Spectrum(
        wavelength, np.asarray(flux, dtype=np.float64), ivar=ivar, mask=mask,
        wavelength_unit="Angstrom", flux_unit="erg / (s cm2 Angstrom)",
        meta={"source": os.fspath(path), "format": FORMAT,
              "object": str(header.get("OBJECT", "")).strip()},
    )


# priority=0 puts this format above the generic "fits" reader (priority -10),
# which also accepts any 1-D FITS image: a MySpec file is read by read_myspec.
register_format(
    FORMAT,
    identify=identify_myspec,
    read=read_myspec,
    description="MySpec 1-D FITS image with INSTRUME = 'MYSPEC'",
    priority=0,
)
