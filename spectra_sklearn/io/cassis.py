"""CASSIS Spitzer/IRS spectra: formats ``"cassis"`` (FITS) and ``"cassis_tbl"`` (IPAC table).

CASSIS, the Combined Atlas of Sources with Spitzer IRS Spectra (Lebouteiller
et al. 2011, ApJS 196, 8; http://cassis.sirtf.com), distributes each
low-resolution staring-mode spectrum as

* ``cassis_yaaar_spcfw_<AORKEY>t.fits`` -- a float32 primary image of shape
  ``(N, 16)``, one row per pixel; header cards ``COL01DEF`` ... ``COL15DEF``
  name the columns: ``wavelength`` (micron), ``flux`` (``BUNIT``, Jy),
  ``error (RMS+SYS)``, ``error (RMS)``, ``error (SYS)``, ``offset uncertainty
  (CAL)``, ``sky``, ``sky error``, ``module``, ``order``, ``nod``,
  ``status``, ``flag1``-``flag3`` (column 16 is unnamed). The reader finds
  the columns by these names, so the other CASSIS FITS products of the same
  layout (the ``(N, 8)`` ``full``/``optdiff`` extractions, whose error column
  is ``flux_error``) read too;
* ``cassis_tbl_spcfw_<AORKEY>t.tbl`` -- the same spectrum as an IPAC table
  with columns ``wavelength, flux, error, strip, errrms, errsys, errcal``.

**Modules and orders.** A full low-resolution spectrum (N = 387) is the
concatenation of six segments, in this order in the file: SL1 (7.6-14.0
micron), SL2 (5.2-7.5), SL3, LL1 (20.6-37.4), LL2 (14.1-20.5), LL3. The
FITS ``module`` column is 0 (SL1), 1 (SL2 and SL3), 2 (LL1) or 3 (LL2 and
LL3) and ``order`` is 1, 2 or 3; the table's ``strip`` is 1-6 for SL1, SL2,
SL3, LL1, LL2, LL3 (as its header comments say). SL3 and LL3 are the
"bonus" orders: a piece of first-order coverage recorded at the end of the
second-order slit, overlapping SL1/SL2 (7.5-8.5 micron) and LL1/LL2
(19.9-21.4 micron). Partial spectra hold a subset (287, 200 or 100 pixels in
the data home).

**Stitching.** With ``stitch="cassis"`` (default) the spectrum is put
together as CASSIS's own default download is (no overlap between orders,
Lebouteiller et al. 2011; CASSIS "Using the CASSIS spectra"): the first-
and second-order pixels are all kept, a bonus-order pixel only where no
first or second order covers its wavelength, and the result is sorted by
wavelength. No flux scaling between modules is applied (CASSIS's fluxes are
already calibrated per module; the ``offset uncertainty (CAL)`` column
states how far they may be off). ``stitch="all"`` keeps every pixel,
sorted, except that a pixel at exactly the wavelength of an earlier one is
dropped (the grid must increase strictly; most bonus-order pixels lie on
the first-order grid, so this keeps 360 of 387 pixels, and
``meta["n_repeated_dropped"]`` counts them). ``meta["segments"]`` lists
``(name, first, last wavelength, n_pixels)`` of the segments kept.

**Uncertainty and mask.** ``ivar = 1 / error**2`` from the total error
(``error (RMS+SYS)``, the table's ``error``); zero, negative or non-finite
errors give ``ivar = 0`` and a masked pixel; non-finite flux is masked (one
spectrum in the data home has two NaN fluxes). The ``flag1``-``flag3``
columns are not documented in the files or the CASSIS paper; measured here,
``flag1`` is 1 or 2 on 17-51 % of the pixels of every spectrum (flagged
pixels have a 1.3-3 times lower S/N) and ``flag2``/``flag3`` are always 0.
Masking them would throw away a third of most spectra, so they are **not**
masked by default: ``meta["n_flagged"]`` counts the flagged pixels and
``mask_flags=True`` masks them.

**Other CASSIS products.** The ``(N, 8)`` ``full``/``optdiff`` files
(high-resolution SH/LH extractions; columns ``wavelength, flux,
flux_error, order, line, module, IRS_order, flag``) read with their orders
(``module 0 order 11`` ...) sorted into one grid; overlapping orders
interleave. Their ``BUNIT = 'e-/sec'`` is the detector count rate of the
2-D images they were extracted from (``FILETYPE = 'fits-irs2d-flux'``),
while the values are on the Jy scale of the low-resolution spectra of the
same sources, so the flux unit is reported as unknown (``None``) with the
card kept in ``meta["bunit"]``. Their ``flag`` column is -2**30 on every
pixel and their headers start with two ``SIMPLE`` cards.

``meta``: ``source``, ``format``, ``aorkey`` (int), ``object``,
``pointing`` (cluster-mode index), ``redshift`` (NED; omitted when CASSIS
gives -1), ``ned_name``, ``simbad_name``, ``cassis_version``, ``segments``,
``n_flagged`` and ``wavelength_medium = "vacuum"`` (a space telescope).

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> names = ["wavelength", "flux", "error (RMS+SYS)", "module", "order", "flag1"]
>>> header = fits.Header({"TELESCOP": "Spitzer", "AORKEY": "14191360", "BUNIT": "Jy",
...                       "OBJECT": "pg1011-040"})
>>> for i, name in enumerate(names, 1):
...     header[f"COL{i:02d}DEF"] = name
>>> rows = np.array([[7.6, 1.0, 0.1, 0, 1, 0],    # SL1
...                  [7.7, 1.1, 0.1, 0, 1, 2],
...                  [5.3, 0.5, 0.1, 1, 2, 0],    # SL2
...                  [7.5, 0.9, 0.1, 1, 2, 0],
...                  [7.55, 0.95, 0.1, 1, 3, 0],  # SL3: fills the gap, kept
...                  [7.65, 0.97, 0.1, 1, 3, 0]]) # SL3: SL1 covers it, dropped
>>> path = os.path.join(tempfile.mkdtemp(), "cassis_yaaar_spcfw_14191360t.fits")
>>> fits.PrimaryHDU(rows.astype("float32"), header=header).writeto(path)
>>> s = read_spectrum(path)
>>> s.wavelength.round(2).tolist(), s.meta["aorkey"], s.meta["n_flagged"]
([5.3, 7.5, 7.55, 7.6, 7.7], 14191360, 1)
>>> [seg[0] for seg in s.meta["segments"]]
['SL2', 'SL3', 'SL1']
"""

import os

import numpy as np
from astropy import units as u
from astropy.io import ascii as astropy_ascii

from .._spectrum import Spectrum
from ._errors import SpectrumReadError, open_spectrum_file
from ._fits import as_float64, read_primary_image
from ._grid import check_usable, inverse_variance
from ._registry import register_format
from ._units import parse_flux_unit, parse_wavelength_unit

__all__ = ["read_cassis", "read_cassis_tbl", "identify_cassis", "identify_cassis_tbl"]

FORMAT, FORMAT_TBL = "cassis", "cassis_tbl"
_STITCH = ("cassis", "all")
_ERROR_COLUMNS = ("error (rms+sys)", "flux_error", "error")
_FLAG_COLUMNS = ("flag1", "flag2", "flag3", "flag")
# low-resolution segment names from (module, order) (FITS) and strip (table)
_LOWRES = {(0, 1): "SL1", (1, 2): "SL2", (1, 3): "SL3",
           (2, 1): "LL1", (3, 2): "LL2", (3, 3): "LL3"}
_STRIPS = {1: "SL1", 2: "SL2", 3: "SL3", 4: "LL1", 5: "LL2", 6: "LL3"}
_BONUS = ("SL3", "LL3")
_STALE_BUNIT = ("e-/sec", "e-/s")
# meta key -> card (FITS upper case; the table repeats some in lower case)
_CARDS = (("object", "OBJECT"), ("pointing", "POINTING"), ("redshift", "REDSHIFT"),
          ("ned_name", "RNAME1"), ("simbad_name", "RNAME2"), ("cassis_version", "CASVE"))


def identify_cassis(path, head):
    """Whether ``path`` is a CASSIS FITS spectrum: a Spitzer primary image whose
    ``COL01DEF`` card is ``wavelength`` (first header blocks only)."""
    cards = head.fits_header or {}
    return (
        str(cards.get("TELESCOP") or "").strip().upper() == "SPITZER"
        and cards.get("NAXIS") == 2
        and (str(cards.get("COL01DEF") or "").strip().lower() == "wavelength"
             or head.name.startswith("cassis_"))
    )


def identify_cassis_tbl(path, head):
    """Whether ``path`` is a CASSIS IPAC table: a ``.tbl`` file whose first
    lines are ``\\`` header lines naming CASSIS."""
    if not head.name.endswith(".tbl"):
        return False
    first = head.first_bytes[:2000]
    return first.startswith(b"\\") and b"CASSIS" in first


def _check_stitch(stitch, mask_flags):
    if stitch not in _STITCH:
        raise ValueError(f"stitch must be one of {_STITCH}; got {stitch!r}.")
    if not isinstance(mask_flags, (bool, np.bool_)):
        raise TypeError(f"mask_flags must be a bool; got {mask_flags!r}.")


def _segment_names(module, order, path, format):
    """One name per pixel: SL1 ... LL3 for the low-resolution layout, else
    ``"module m order o"``."""
    pairs = list(zip(module.tolist(), order.tolist()))
    known = all((m, o) in _LOWRES for m, o in pairs if m == m and o == o)
    if not known:
        return np.array([f"module {m:g} order {o:g}" for m, o in pairs], dtype=object)
    names = [_LOWRES.get((m, o)) for m, o in pairs]
    if any(n is None for n in names):
        raise SpectrumReadError(
            path, "non-finite module/order values in the module and order columns",
            format=format)
    return np.array(names, dtype=object)


def _assemble(path, format, wavelength, flux, error, segment, flagged, stitch, mask_flags,
              meta, units):
    """Drop bad wavelengths, stitch, sort; return the Spectrum."""
    n = wavelength.size
    for name, values in (("flux", flux), ("error", error)):
        if values.size != n:
            raise SpectrumReadError(
                path, f"mismatched lengths: {n} wavelengths but {values.size} {name} values",
                format=format)
    if n == 0:
        raise SpectrumReadError(path, "the spectrum has no pixels (zero-length arrays)",
                                format=format)
    keep = np.isfinite(wavelength) & (wavelength > 0)
    n_bad_wavelength = int(n - keep.sum())
    if stitch == "cassis" and segment is not None:
        main = keep & ~np.isin(segment, _BONUS)
        if main.any():
            bonus = keep & np.isin(segment, _BONUS)
            covered = np.zeros(n, dtype=bool)
            for name in np.unique(segment[main]):
                w = wavelength[main & (segment == name)]
                covered |= (wavelength >= w.min()) & (wavelength <= w.max())
            keep &= ~(bonus & covered)
    order = np.flatnonzero(keep)
    order = order[np.argsort(wavelength[order], kind="stable")]
    wavelength, flux, error = wavelength[order], flux[order], error[order]
    flagged = flagged[order]
    segment = None if segment is None else segment[order]
    unique = np.concatenate(([True], np.diff(wavelength) > 0))
    if not unique.all():  # repeated wavelengths: keep the first
        wavelength, flux, error, flagged = (
            a[unique] for a in (wavelength, flux, error, flagged))
        segment = None if segment is None else segment[unique]
        meta["n_repeated_dropped"] = int((~unique).sum())
    if n_bad_wavelength:
        meta["n_dropped_pixels"] = n_bad_wavelength
    check_usable(path, wavelength, flux, format)
    ivar, unusable = inverse_variance(error)
    mask = unusable.copy()
    if mask_flags:
        mask |= flagged
    meta["n_flagged"] = int(flagged.sum())
    if segment is not None:
        meta["segments"] = _segments(segment, wavelength)
    return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=units[0],
                    flux_unit=units[1], meta=meta)


def _segments(segment, wavelength):
    out = []
    for name in dict.fromkeys(segment[np.argsort(wavelength, kind="stable")]):
        w = wavelength[segment == name]
        out.append((str(name), float(w.min()), float(w.max()), int(w.size)))
    out.sort(key=lambda item: item[1])
    return out


def _labels(cards, path, format):
    meta = {"source": os.fspath(path), "format": format, "wavelength_medium": "vacuum"}
    aorkey = cards.get("AORKEY")
    try:
        meta["aorkey"] = int(str(aorkey).strip())
    except ValueError:
        if aorkey is not None:
            meta["aorkey"] = str(aorkey).strip()
    for key, card in _CARDS:
        value = cards.get(card, cards.get(card.lower()))
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            continue
        if key == "redshift" and isinstance(value, (int, float)) and value == -1:
            continue
        meta[key] = value
    return meta


def read_cassis(path, *, stitch="cassis", mask_flags=False):
    """Read a CASSIS FITS spectrum (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).
    stitch : {"cassis", "all"}, default="cassis"
        ``"cassis"`` drops bonus-order (SL3/LL3) pixels where a first or
        second order covers the same wavelength; ``"all"`` keeps every pixel.
        Either way the pixels are sorted by wavelength.
    mask_flags : bool, default=False
        Mask pixels with a nonzero ``flag1``-``flag3`` (undocumented flags;
        see the module docstring).

    Returns
    -------
    Spectrum
        Wavelength in micron, flux in ``BUNIT`` (Jy), ivar from the total error.

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; the primary HDU is not
        a 2-D image with ``COLnnDEF`` cards naming ``wavelength``, ``flux`` and
        an error column (wrong HDU); no pixel is usable; or ``BUNIT`` is not a
        unit.
    ValueError, TypeError
        If ``stitch`` or ``mask_flags`` is not one of the allowed values.
    """
    _check_stitch(stitch, mask_flags)
    data, cards = read_primary_image(path, format=FORMAT)
    if data is None or data.ndim != 2:
        shape = None if data is None else data.shape
        raise SpectrumReadError(
            path, f"wrong HDU: expected a primary image of shape (N, n_columns) with "
            f"COLnnDEF cards; the primary HDU has shape {shape}", format=FORMAT)
    columns = {}
    for i in range(1, data.shape[1] + 1):
        name = cards.get(f"COL{i:02d}DEF")
        if isinstance(name, str) and name.strip():
            columns.setdefault(name.strip().lower(), i - 1)
    error_name = next((c for c in _ERROR_COLUMNS if c in columns), None)
    if "wavelength" not in columns or "flux" not in columns or error_name is None:
        raise SpectrumReadError(
            path, "the COLnnDEF cards must name the columns wavelength, flux and "
            f"'error (RMS+SYS)' or 'flux_error'; they name {sorted(columns) or 'none'}",
            format=FORMAT)
    table = as_float64(data)
    segment = None
    if "module" in columns and "order" in columns:
        segment = _segment_names(table[:, columns["module"]], table[:, columns["order"]],
                                 path, FORMAT)
    flagged = np.zeros(table.shape[0], dtype=bool)
    for name in _FLAG_COLUMNS:
        if name in columns:
            flagged |= table[:, columns[name]] != 0
    bunit = cards.get("BUNIT")
    meta = _labels(cards, path, FORMAT)
    if str(bunit).strip().lower() in _STALE_BUNIT:
        flux_unit = None  # see the module docstring: not the unit of these values
        meta["bunit"] = str(bunit).strip()
    else:
        flux_unit = parse_flux_unit(bunit, source=path, format=FORMAT, keyword="BUNIT")
    return _assemble(path, FORMAT, table[:, columns["wavelength"]], table[:, columns["flux"]],
                     table[:, columns[error_name]], segment, flagged, stitch, mask_flags,
                     meta, (u.um, flux_unit))


def _read_ipac(path):
    with open_spectrum_file(path, "r", format=FORMAT_TBL, encoding="ascii",
                            errors="replace") as stream:
        try:
            lines = stream.read().splitlines()
        except OSError as exc:
            raise SpectrumReadError(path, f"cannot read the file ({exc})",
                                    format=FORMAT_TBL) from None
    first = next((i for i, line in enumerate(lines) if line.startswith("|")), None)
    if first is None:
        raise SpectrumReadError(
            path, "not an IPAC table: no '|' column-header line (truncated or corrupt?)",
            format=FORMAT_TBL)
    # CASSIS tables carry one header line without the leading backslash
    # ("use the following footnote as appropriate:"); astropy would read it as data.
    fixed = [line if i >= first or line.startswith("\\") or not line.strip() else "\\ " + line
             for i, line in enumerate(lines)]
    n_columns = len([c for c in lines[first].strip().strip("|").split("|")])
    for number, line in enumerate(lines[first:], start=first + 1):
        if line.strip() and not line.startswith(("|", "\\")) and (
                len(line.split()) != n_columns):
            # IPAC columns are fixed-width: astropy reads a short row as masked
            # values, but it is a truncated or damaged line.
            raise SpectrumReadError(
                path, f"line {number} has {len(line.split())} values, the table "
                f"{n_columns} columns (a short or damaged row)", format=FORMAT_TBL)
    try:
        return astropy_ascii.read(fixed, format="ipac", guess=False)
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise SpectrumReadError(
            path, f"not a readable IPAC table ({type(exc).__name__}: {exc})",
            format=FORMAT_TBL) from None


def read_cassis_tbl(path, *, stitch="cassis"):
    """Read a CASSIS IPAC table ``cassis_tbl_*.tbl`` (see the module docstring).

    The table's fourth header line (``nan`` in every column) is IPAC's
    null-value line, not a data row. The table has no flag columns.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.tbl`` file.
    stitch : {"cassis", "all"}, default="cassis"
        As for :func:`read_cassis` (bonus orders are ``strip`` 3 and 6).

    Returns
    -------
    Spectrum
        Wavelength in the ``wavelength`` column's unit (micron), flux in the
        ``flux`` column's (Jy), ivar from ``error``.

    Raises
    ------
    SpectrumReadError
        If the file is missing, not an IPAC table, lacks the columns
        ``wavelength``, ``flux`` or ``error``, or has no usable pixel.
    ValueError
        If ``stitch`` is not one of the allowed values.
    """
    _check_stitch(stitch, False)
    table = _read_ipac(path)
    names = {name.lower(): name for name in table.colnames}
    missing = [c for c in ("wavelength", "flux", "error") if c not in names]
    if missing:
        raise SpectrumReadError(
            path, f"the table lacks the column(s) {', '.join(missing)}; it has "
            f"{', '.join(table.colnames)}", format=FORMAT_TBL)

    def column(name):
        col = table[names[name]]
        values = np.ma.filled(np.ma.asarray(col, dtype=np.float64), np.nan)
        return np.asarray(values, dtype=np.float64), col.unit

    wavelength, wave_unit = column("wavelength")
    flux, flux_unit_text = column("flux")
    error, _ = column("error")
    segment = None
    if "strip" in names:
        strips, _ = column("strip")
        segment = np.array([_STRIPS.get(int(s)) if np.isfinite(s) else None for s in strips],
                           dtype=object)
        if any(s is None for s in segment):
            segment = np.array([f"strip {s:g}" for s in strips], dtype=object)
    cards = {key: item.get("value") for key, item in table.meta.get("keywords", {}).items()}
    wavelength_unit = parse_wavelength_unit(
        None if wave_unit is None else str(wave_unit), default=u.um, source=path,
        format=FORMAT_TBL, keyword="wavelength unit")
    flux_unit = parse_flux_unit(
        None if flux_unit_text is None else str(flux_unit_text), source=path, format=FORMAT_TBL,
        keyword="flux unit")
    return _assemble(path, FORMAT_TBL, wavelength, flux, error, segment,
                     np.zeros(wavelength.size, dtype=bool), stitch, False,
                     _labels(cards, path, FORMAT_TBL), (wavelength_unit, flux_unit))


register_format(
    FORMAT,
    identify=identify_cassis,
    read=read_cassis,
    description="CASSIS Spitzer/IRS FITS image (N, 16) with COLnnDEF-named columns; "
    "modules/orders stitched (Lebouteiller et al. 2011)",
)
register_format(
    FORMAT_TBL,
    identify=identify_cassis_tbl,
    read=read_cassis_tbl,
    description="CASSIS Spitzer/IRS IPAC table (.tbl): wavelength, flux, error, strip",
)
