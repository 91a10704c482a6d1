"""SDSS/BOSS optical spectra (``spec-*.fits``, ``spec-lite``): format ``"sdss"``.

The SDSS data model of the ``spec`` files (DR8 and later, SDSS-III/IV;
https://data.sdss.org/datamodel/files/BOSS_SPECTRO_REDUX/RUN2D/spectra/PLATE4/spec.html):

* HDU 0 -- header only (``BUNIT``, ``PLATEID``, ``MJD``, ``FIBERID``,
  ``VACUUM = T``, ...);
* HDU 1 ``COADD`` -- a table, one row per pixel: ``flux`` (1e-17 erg s-1
  cm-2 Angstrom-1), ``loglam`` (log10 of the vacuum wavelength in
  Angstrom), ``ivar`` (inverse variance of ``flux``), ``and_mask`` (bits
  set in every exposure), ``or_mask``, ``wdisp``, ``sky``, ``model``;
* HDU 2 ``SPECOBJ`` -- one row: the pipeline's ``CLASS`` (``STAR``,
  ``GALAXY``, ``QSO``), ``SUBCLASS``, redshift ``Z`` and ``ZWARNING``,
  ``PLATE``, ``MJD``, ``FIBERID`` ... (Bolton et al. 2012, AJ 144, 144);
* HDU 3 ``SPZLINE`` and, in full ``spec`` files (not ``spec-lite``), one
  table per exposure.

What the reader returns: wavelength ``10**loglam`` in Angstrom, **vacuum**
(``meta["wavelength_medium"] = "vacuum"``); flux in the unit of ``BUNIT``
(``1E-17 erg/cm^2/s/Ang``); ``ivar`` as given, with negative or non-finite
values set to 0. A pixel is **masked** where ``and_mask != 0`` (a problem
in every exposure, the mask SDSS recommends for the coadd) or ``ivar == 0``
(no information). ``or_mask`` is not used.

``meta`` holds ``source``, ``format``, ``wavelength_medium``, and from
``SPECOBJ`` (primary-header cards where the table lacks them), for the
catalogue features of :class:`~spectra_sklearn.preprocessing.MetadataFeatures`:

================== ========================== ==================================
``meta`` key       ``SPECOBJ`` column         meaning
================== ========================== ==================================
``class``          ``CLASS``                  ``STAR``, ``GALAXY``, ``QSO``
``subclass``       ``SUBCLASS``               stripped; ``""`` when none
``z``              ``Z``                      redshift (float)
``z_err``          ``Z_ERR``                  its 1-sigma error (float)
``z_warning``      ``ZWARNING``               bit flags, 0 = no problem (int)
``sn_median_all``  ``SN_MEDIAN_ALL``          median S/N per pixel (float)
``spectroflux_u``  ``SPECTROFLUX[0]``         flux in the u band, nanomaggies
... ``_z``         ``SPECTROFLUX[1..4]``      g, r, i, z bands
``spectromag_u``   ``SPECTROMAG[0]``          u magnitude (AB); where the file
... ``_z``                                    has no ``SPECTROMAG``:
                                              ``22.5 - 2.5 log10(flux)``,
                                              NaN for a flux <= 0
``plate``          ``PLATE`` (``PLATEID``)    plate number (int)
``mjd``            ``MJD``                    MJD of the observation (int)
``fiberid``        ``FIBERID``                fibre (int)
``ra``, ``dec``    ``PLUG_RA``, ``PLUG_DEC``  fibre position, degrees (float)
================== ========================== ==================================

``SPECTROFLUX`` is the spectrum integrated over the SDSS ugriz filter
curves, in nanomaggies (1 nanomaggy = 3.631e-6 Jy, i.e. AB magnitude 22.5);
DR18: Almeida et al. (2023, ApJS 267, 44).

How the files are read: only the bytes of HDUs 0-2 are read and the
``COADD`` and ``SPECOBJ`` rows are viewed as numpy records
(:func:`~spectra_sklearn.io._fits.read_bintable`), about ten times faster
than specutils' ``"SDSS-III/IV spec"`` loader (``benchmarks/bench_read.py``);
FITS libraries spend that time reading the headers of all twelve HDUs of a
``spec`` file on open. A file laid out otherwise (``COADD`` not in HDU 1, a
scaled column, a short or damaged file ...) is read with fitsio, which also
names what is wrong with it. The exposures after HDU 2 are not read, so a
file cut short there still reads.

Measured on the two DR18 files in the data home (NGC 3073: ``STAR``/``A0``
at z = 0.00376 -- the pipeline's label for a dwarf galaxy; NGC 3522:
``GALAXY``/``BROADLINE``): 3,848 and 3,815 pixels from 3,796 to 9,209
Angstrom, all ``ivar > 0`` in one, two ``and_mask`` pixels in the other.

Examples
--------
A minimal file with the SDSS layout:

>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> coadd = fits.BinTableHDU.from_columns([
...     fits.Column("flux", "E", array=[1.0, 2.0, 3.0]),
...     fits.Column("loglam", "E", array=[3.6, 3.6001, 3.6002]),
...     fits.Column("ivar", "E", array=[4.0, 0.0, 4.0]),
...     fits.Column("and_mask", "J", array=[0, 0, 16])], name="COADD")
>>> specobj = fits.BinTableHDU.from_columns([
...     fits.Column("CLASS", "6A", array=["STAR"]),
...     fits.Column("SUBCLASS", "21A", array=["K3III (101673)"]),
...     fits.Column("Z", "E", array=[0.0001])], name="SPECOBJ")
>>> primary = fits.PrimaryHDU(header=fits.Header(
...     {"TELESCOP": "SDSS 2.5-M", "BUNIT": "1E-17 erg/cm^2/s/Ang", "PLATEID": 945}))
>>> path = os.path.join(tempfile.mkdtemp(), "spec-0945-52652-0470.fits")
>>> fits.HDUList([primary, coadd, specobj]).writeto(path)
>>> s = read_spectrum(path)
>>> s.mask.tolist(), s.meta["class"], s.meta["subclass"], s.meta["plate"]
([False, True, True], 'STAR', 'K3III (101673)', 945)
>>> s.flux_unit
Unit("1e-17 erg / (Angstrom s cm2)")
"""

import math
import os

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._errors import SpectrumReadError
from ._fits import (
    LayoutNotHandled,
    bintable_column_names,
    header_cards,
    open_fitsio,
    read_bintable,
    read_bintable_rows,
    read_hdus,
)
from ._grid import check_usable, clean_grid
from ._registry import register_format
from ._units import parse_flux_unit

__all__ = ["read_sdss", "identify_sdss"]

FORMAT = "sdss"
_COLUMNS = ("loglam", "flux", "ivar", "and_mask")
# meta key -> SPECOBJ column, primary-header card
_LABELS = (
    ("class", "CLASS", None),
    ("subclass", "SUBCLASS", None),
    ("z", "Z", None),
    ("z_warning", "ZWARNING", None),
    ("z_err", "Z_ERR", None),
    ("sn_median_all", "SN_MEDIAN_ALL", None),
    ("plate", "PLATE", "PLATEID"),
    ("mjd", "MJD", "MJD"),
    ("fiberid", "FIBERID", "FIBERID"),
    ("ra", "PLUG_RA", "PLUG_RA"),
    ("dec", "PLUG_DEC", "PLUG_DEC"),
)
#: SPECOBJ columns of one value per ugriz band, read beside ``_LABELS``.
_BAND_COLUMNS = ("SPECTROFLUX", "SPECTROMAG")
#: The SDSS bands, in the order of the five values of ``SPECTROFLUX``.
BANDS = ("u", "g", "r", "i", "z")
_SPECOBJ_COLUMNS = tuple(col for _, col, _ in _LABELS) + _BAND_COLUMNS
_PRIMARY_KEYS = ("BUNIT", "PLATEID", "MJD", "FIBERID", "PLUG_RA", "PLUG_DEC")


def identify_sdss(path, head):
    """Whether ``path`` is an SDSS ``spec`` file: an empty primary HDU whose
    ``TELESCOP`` names SDSS (only the first header blocks are read)."""
    cards = head.fits_header or {}
    telescope = str(cards.get("TELESCOP") or "").strip().upper()
    return telescope.startswith("SDSS") and cards.get("NAXIS") == 0


def _hdu(handle, name, index, path):
    if name in handle:
        return handle[name]
    if len(handle) > index:
        return handle[index]
    have = ", ".join(f"{i} {hdu.get_extname() or '(no name)'}" for i, hdu in enumerate(handle))
    raise SpectrumReadError(
        path, f"wrong HDU layout: no {name} HDU (expected the SDSS spec layout "
        f"PRIMARY, COADD, SPECOBJ ...); the file has HDUs {have}", format=FORMAT)


def _python(value):
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):  # SPECTROFLUX: one value per band
        return tuple(value.ravel().tolist())
    return value


def _real(value):
    """A number as float; anything else (a damaged card) as NaN."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    return float("nan")


def _band_meta(labels):
    """``spectroflux_<band>`` (nanomaggies) and ``spectromag_<band>`` (AB mag).

    ``SPECTROMAG`` is used where the file has it; otherwise the magnitudes
    are derived from ``SPECTROFLUX`` in nanomaggies, ``m = 22.5 - 2.5
    log10(f)`` (the SDSS zero point: 1 nanomaggy is 22.5 mag), NaN for a
    flux that is zero, negative or not finite.
    """
    meta = {}
    flux = _band_values(labels.get("SPECTROFLUX"))
    mag = _band_values(labels.get("SPECTROMAG"))
    if flux is not None:
        for band, f in zip(BANDS, flux):
            meta[f"spectroflux_{band}"] = f
        if mag is None:  # plain floats: five values, numpy would cost more
            mag = [22.5 - 2.5 * math.log10(f) if math.isfinite(f) and f > 0
                   else math.nan for f in flux]
    if mag is not None:
        for band, m in zip(BANDS, mag):
            meta[f"spectromag_{band}"] = m
    return meta


def _band_values(value):
    """Five floats (one per ugriz band) from a SPECOBJ vector cell, else None."""
    if not isinstance(value, tuple) or len(value) != len(BANDS):
        return None
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None


def _read_fast(path):
    """(primary cards, COADD columns, SPECOBJ labels) split from the file's
    bytes by :func:`~spectra_sklearn.io._fits.read_bintable`, without opening
    the other extensions (fitsio reads all twelve headers of a ``spec`` file
    on open; this is ten times faster). Raises ``LayoutNotHandled`` for any
    file not laid out as expected (``COADD`` in HDU 1, ``SPECOBJ`` or nothing
    in HDU 2, plain columns, the data complete), which is then read by
    :func:`_read_fitsio`."""
    raw, hdus = read_hdus(path, 3, format=FORMAT)
    if len(hdus) < 2 or "EXTNAME" in hdus[0].values(("EXTNAME",)) \
            or hdus[1].value("EXTNAME") != "COADD":
        raise LayoutNotHandled("not the SDSS spec layout")
    names = {name.lower(): name for name in bintable_column_names(hdus[1])}
    if any(c not in names for c in _COLUMNS[:3]) or read_bintable_rows(hdus[1]) == 0:
        raise LayoutNotHandled("the library names the problem")
    table = read_bintable(raw, hdus[1], [names[c] for c in _COLUMNS if c in names])
    columns = {c: table[names[c]] for c in _COLUMNS if c in names}
    labels = {}
    if len(hdus) > 2:
        specobj = hdus[2]
        if specobj.value("EXTNAME") != "SPECOBJ":
            raise LayoutNotHandled("HDU 2 is not SPECOBJ")
        have = set(bintable_column_names(specobj))
        wanted = [col for col in _SPECOBJ_COLUMNS if col in have]
        if wanted and read_bintable_rows(specobj) > 0:
            row = read_bintable(raw, specobj, wanted, rows=slice(0, 1))
            labels = {col: _python(row[col][0]) for col in wanted}
    primary = hdus[0].values(_PRIMARY_KEYS)
    return primary, columns, labels


def _read_fitsio(path):
    """(primary cards, COADD columns, SPECOBJ labels) read with fitsio: the
    general path, and the one that names what is wrong with a damaged file."""
    with open_fitsio(path, format=FORMAT) as handle:
        primary = header_cards(handle[0], path, format=FORMAT)
        coadd = _hdu(handle, "COADD", 1, path)
        if coadd.get_exttype() == "IMAGE_HDU":
            raise SpectrumReadError(
                path, f"wrong HDU: HDU {coadd.get_extnum()} is an image, expected the "
                "COADD table (loglam, flux, ivar, and_mask)", format=FORMAT)
        names = {name.lower(): name for name in coadd.get_colnames()}
        missing = [c for c in _COLUMNS[:3] if c not in names]
        if missing:
            raise SpectrumReadError(
                path, f"the COADD table lacks the column(s) {', '.join(missing)}; it has "
                f"{', '.join(coadd.get_colnames())}", format=FORMAT)
        if coadd.get_nrows() == 0:
            raise SpectrumReadError(path, "the COADD table has no rows (zero-length arrays)",
                                    format=FORMAT)
        table = coadd.read(columns=[names[c] for c in _COLUMNS if c in names])
        columns = {c: table[names[c]] for c in _COLUMNS if c in names}
        labels = {}
        if "SPECOBJ" in handle or len(handle) > 2:
            specobj = _hdu(handle, "SPECOBJ", 2, path)
            if specobj.get_exttype() != "IMAGE_HDU" and specobj.get_nrows() > 0:
                have = set(specobj.get_colnames())
                wanted = [col for col in _SPECOBJ_COLUMNS if col in have]
                if wanted:
                    row = specobj.read(columns=wanted, rows=[0])[0]
                    labels = {col: _python(row[col]) for col in wanted}
    return primary, columns, labels


def read_sdss(path):
    """Read an SDSS/BOSS ``spec`` or ``spec-lite`` file (see the module docstring).

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).

    Returns
    -------
    Spectrum
        Vacuum wavelength in Angstrom, flux in ``BUNIT``, ``ivar`` from the
        ``COADD`` table, mask from ``and_mask`` and ``ivar == 0``; the
        ``SPECOBJ`` labels in ``meta``.

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; has no ``COADD`` table
        or lacks one of its columns ``loglam``, ``flux``, ``ivar``; has no
        rows; its flux is all NaN; or ``BUNIT`` is not a unit.
    """
    try:
        primary, columns, labels = _read_fast(path)
    except LayoutNotHandled:
        primary, columns, labels = _read_fitsio(path)

    arrays = {}
    with np.errstate(invalid="ignore"):  # signalling NaNs in a damaged file
        for name, values in columns.items():
            if name != "and_mask":
                values = np.asarray(values, dtype=np.float64)
            if values.ndim != 1:
                raise SpectrumReadError(
                    path, f"COADD column {name!r} has shape {values.shape}; expected one "
                    "value per row", format=FORMAT)
            arrays[name] = values
    wavelength = 10.0 ** arrays.pop("loglam")
    flux = arrays.pop("flux")
    ivar = arrays.pop("ivar")
    no_info = ~np.isfinite(ivar) | (ivar <= 0)
    ivar = np.where(no_info, 0.0, ivar)
    mask = no_info
    if "and_mask" in arrays:
        mask = mask | (arrays.pop("and_mask") != 0)
    wavelength, (flux, ivar, mask), facts = clean_grid(wavelength, [flux, ivar, mask])
    check_usable(path, wavelength, flux, FORMAT, facts)
    flux_unit = parse_flux_unit(primary.get("BUNIT"), source=path, format=FORMAT,
                                keyword="BUNIT")

    meta = {"source": os.fspath(path), "format": FORMAT, "wavelength_medium": "vacuum"}
    for key, column, card in _LABELS:
        value = labels.get(column, primary.get(card) if card else None)
        if value is not None:
            meta[key] = value
    for key in ("z", "z_err", "sn_median_all", "ra", "dec"):
        if key in meta:
            meta[key] = _real(meta[key])
    meta.update(_band_meta(labels))
    meta.update(facts)
    return Spectrum(wavelength, flux, ivar, mask, wavelength_unit=u.AA,
                    flux_unit=flux_unit, meta=meta)


register_format(
    FORMAT,
    identify=identify_sdss,
    read=read_sdss,
    description="SDSS/BOSS spec or spec-lite FITS: COADD table (loglam, flux, ivar, "
    "and_mask) and SPECOBJ labels",
)
