"""ISO Short-Wavelength Spectrometer spectra: format ``"iso_sws"``.

Two layouts, both with ``TELESCOP = 'ISO'`` and ``INSTRUME = 'SWS'``:

**The SWS atlas** (Sloan, Kraemer, Price & Shipman 2003, ApJS 147, 379),
``<TDT>_sws.fit``: a float32 primary image of shape ``(N, 4)``, N = 12,000
to 49,000; the columns, from the header's ``COMMENT`` cards, are wavelength
(micron, 2.36-45.39), flux density (Jy), spectroscopic error (Jy) and
normalisation error (Jy). ``NSEGnn`` give the lengths of the 12 SWS band
segments. Flux is negative at low S/N (kept). ``ivar = 1 / error**2`` from
the spectroscopic error; the normalisation error is a per-segment
systematic (not per pixel noise) and is not folded in. In all atlas files of
the data home the grid already increases; any other order is sorted.

**The SWS Auto-Analysis product** (SWAA; ESA ISO archive, e.g.
``sws_ngc6790.fits``): an empty primary HDU and a binary table in HDU 1 with
``SWAAWAVE`` (micron), ``SWAAFLUX`` (Jy), ``SWAASTDV`` (standard deviation
in **uV/s**, the detector's units, so it gives no flux uncertainty: ``ivar``
is NaN), ``SWAAFLAG`` and scan columns. The rows are in detector/scan
order, so they are sorted by wavelength and exact repeats dropped (the
first kept). A pixel is **masked** when its ``SWAAFLAG`` has one of the
data-quality bits 0-4 (1 glitch, 2 glitches, partly or all points out of
limit, no data) or bit 30 (ISAP's mask bit) set; the other bits encode the
grating order and gain (ISAP, "Bad data flags", IPAC ISO documentation).

``meta``: ``source``, ``format``, ``layout`` (``"atlas"`` or ``"swaa"``),
``tdt`` (the 8-digit ISO Target Dedicated Time number as an int -- the
``tdt`` column of the Kraemer et al. 2002 class table -- from the file name
or the ``FILENAME`` card ``SWAA<TDT>``), ``object`` (``OBJECT``),
``n_segments`` (atlas: non-empty ``NSEGnn``), ``n_flagged`` (SWAA) and
``wavelength_medium = "vacuum"`` (a space telescope).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> header = fits.Header({"TELESCOP": "ISO", "INSTRUME": "SWS", "OBJECT": "NGC6543",
...                       "FILENAME": "SWAA02400714"})
>>> rows = np.array([[2.36, 1.0, 0.5, 0.1], [2.37, 2.0, 0.0, 0.1], [2.38, -0.5, 0.25, 0.1]])
>>> path = os.path.join(tempfile.mkdtemp(), "02400714_sws.fit")
>>> fits.PrimaryHDU(rows.astype("float32"), header=header).writeto(path)
>>> s = read_spectrum(path)
>>> s.ivar.tolist(), s.mask.tolist(), s.meta["tdt"], s.meta["object"]
([4.0, 0.0, 16.0], [False, True, False], 2400714, 'NGC6543')
"""

import os
import re

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._errors import SpectrumReadError
from ._fits import as_float64, header_cards, open_fitsio, read_primary_image
from ._grid import check_usable, clean_grid, inverse_variance
from ._registry import register_format
from ._units import parse_flux_unit, parse_wavelength_unit

__all__ = ["read_iso_sws", "identify_iso_sws"]

FORMAT = "iso_sws"
_TDT_NAME = re.compile(r"^(\d{8})")
_TDT_CARD = re.compile(r"(\d{8})$")
_BAD_FLAG_BITS = 0b11111 | (1 << 30)  # glitches, out of limit, no data; ISAP mask bit


def identify_iso_sws(path, head):
    """Whether ``path`` is an ISO SWS spectrum (``TELESCOP = 'ISO'``,
    ``INSTRUME = 'SWS'``; first header blocks only)."""
    cards = head.fits_header or {}
    return (str(cards.get("TELESCOP") or "").strip().upper() == "ISO"
            and str(cards.get("INSTRUME") or "").strip().upper() == "SWS")


def _tdt(path, cards):
    match = _TDT_NAME.match(os.path.basename(os.fspath(path)))
    if not match:
        match = _TDT_CARD.search(str(cards.get("FILENAME") or "").strip())
    return int(match.group(1)) if match else None


def _atlas(path, data, cards):
    if data.ndim != 2 or data.shape[1] != 4 or data.shape[0] < 2:
        raise SpectrumReadError(
            path, f"wrong HDU: expected the SWS atlas primary image of shape (N, 4) "
            f"(wavelength, flux, error, normalisation error); found {data.shape}",
            format=FORMAT)
    rows = as_float64(data)
    n_segments = sum(1 for i in range(1, 100) if isinstance(cards.get(f"NSEG{i:02d}"), int)
                     and cards[f"NSEG{i:02d}"] > 0)
    ivar, unusable = inverse_variance(rows[:, 2])
    facts = {"layout": "atlas"}
    if n_segments:
        facts["n_segments"] = n_segments
    return rows[:, 0], rows[:, 1], ivar, unusable, (u.um, u.Jy), facts


def _swaa(path):
    with open_fitsio(path, format=FORMAT) as handle:
        cards = header_cards(handle[0], path, format=FORMAT)
        if len(handle) < 2 or handle[1].get_exttype() == "IMAGE_HDU":
            raise SpectrumReadError(
                path, "wrong HDU: the primary HDU is empty and HDU 1 is not the SWAA table "
                "(SWAAWAVE, SWAAFLUX, SWAAFLAG)", format=FORMAT)
        hdu = handle[1]
        names = {n.upper(): n for n in hdu.get_colnames()}
        missing = [c for c in ("SWAAWAVE", "SWAAFLUX") if c not in names]
        if missing:
            raise SpectrumReadError(
                path, f"the SWAA table lacks {', '.join(missing)}; it has "
                f"{', '.join(hdu.get_colnames())}", format=FORMAT)
        if hdu.get_nrows() == 0:
            raise SpectrumReadError(path, "the SWAA table has no rows (zero-length arrays)",
                                    format=FORMAT)
        wanted = [names[c] for c in ("SWAAWAVE", "SWAAFLUX", "SWAAFLAG") if c in names]
        table = hdu.read(columns=wanted)
        header = header_cards(hdu, path, format=FORMAT)
    col_units = {str(header.get(f"TTYPE{i}", "")).strip().upper(): header.get(f"TUNIT{i}")
                 for i in range(1, 1 + int(header.get("TFIELDS", 0) or 0))}
    wavelength = as_float64(table[names["SWAAWAVE"]])
    flux = as_float64(table[names["SWAAFLUX"]])
    mask = np.zeros(wavelength.size, dtype=bool)
    facts = {"layout": "swaa"}
    if "SWAAFLAG" in names:
        flags = np.asarray(table[names["SWAAFLAG"]], dtype=np.int64)
        mask = (flags & _BAD_FLAG_BITS) != 0
        facts["n_flagged"] = int(mask.sum())
    wave_unit = parse_wavelength_unit(col_units.get("SWAAWAVE"), default=u.um, source=path,
                                      format=FORMAT, keyword="TUNIT of SWAAWAVE")
    flux_unit = parse_flux_unit(col_units.get("SWAAFLUX"), source=path, format=FORMAT,
                                keyword="TUNIT of SWAAFLUX")
    return cards, (wavelength, flux, None, mask, (wave_unit, flux_unit), facts)


def read_iso_sws(path):
    """Read an ISO SWS atlas spectrum or SWAA product (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).

    Returns
    -------
    Spectrum
        Wavelength in micron, flux density in Jy; ivar from the atlas's
        spectroscopic error (NaN for SWAA).

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; it has neither an
        ``(N, 4)`` primary image nor the SWAA table in HDU 1 (wrong HDU);
        columns are missing; or no pixel is usable.
    """
    data, cards = read_primary_image(path, format=FORMAT)
    if data is None:
        cards, (wavelength, flux, ivar, mask, units, facts) = _swaa(path)
    else:
        wavelength, flux, ivar, mask, units, facts = _atlas(path, data, cards)
    arrays = [flux, mask] + ([ivar] if ivar is not None else [])
    wavelength, arrays, grid_facts = clean_grid(wavelength, arrays)
    flux, mask = arrays[0], arrays[1]
    ivar = arrays[2] if ivar is not None else None
    check_usable(path, wavelength, flux, FORMAT, grid_facts)
    meta = {"source": os.fspath(path), "format": FORMAT, "wavelength_medium": "vacuum"}
    tdt = _tdt(path, cards)
    if tdt is not None:
        meta["tdt"] = tdt
    obj = str(cards.get("OBJECT") or "").strip()
    if obj:
        meta["object"] = obj
    meta.update(facts)
    meta.update(grid_facts)
    return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=units[0],
                    flux_unit=units[1], meta=meta)


register_format(
    FORMAT,
    identify=identify_iso_sws,
    read=read_iso_sws,
    description="ISO SWS atlas FITS image (N, 4) (Sloan et al. 2003) or SWS "
    "Auto-Analysis (SWAA) table",
)
