"""SpeX prism spectra (IRTF/SpeX, reduced with Spextool): format ``"spex"``.

The SpeX Prism Library (Burgasser 2014, ASI Conf. Ser. 11, 7; distributed by
SPLAT, Burgasser & the SPLAT Development Team 2017) stores one near-infrared
spectrum per FITS file, ``<DATA_KEY>_<SOURCE_KEY>.fits.gz``, as a primary-HDU
image whose rows are

0. wavelength, micron;
1. flux density F_lambda, unit in the ``YUNITS`` card;
2. 1-sigma uncertainty of the flux (absent in some files);
3. the Spextool quality flag (present in some files).

What this reader does with the quirks measured over all 2,480 files of the
library:

* **Layout.** ``(3, N)`` in most files, ``(4, N)`` with the flag row in 384,
  ``(2, N)`` without uncertainty in 13, transposed ``(N, 3)`` in 46
  (``N`` = 563, 564, 803, 809, 811), and a 3-D ``(2, 3, N)`` cube in 3 files.
  Whichever axis has 2-4 entries holds the rows. The cube is Spextool's
  multi-aperture layout (``(n_apertures * n_orders, rows, N)``, described in
  the files' own HISTORY cards); the first aperture of the first order is
  read and ``meta["n_apertures"]`` says how many there were.
* **Uncertainty.** ``1 / sigma**2`` where sigma is finite and positive. Zero
  (71 files), negative (38 files) or non-finite sigma gives ``ivar = 0`` and a
  masked pixel: the pipeline had no usable error there. A file with no
  uncertainty row gives ``ivar = NaN`` (unknown), not 0.
* **Flag row.** Spextool's per-pixel quality flag: in Spextool 4 a value of
  1 marks a pixel that exceeded the linearity-correction maximum (the
  ``LINCRMAX`` card these files carry) in at least one combined exposure;
  values 52, 93, 208 and 231 also occur (4 files) and are not documented in
  the files. It is nonzero in 37 files. Decision: any nonzero flag means the
  pixel is suspect, so it is **masked** (its flux and ivar are kept, so a
  user can unmask it) and ``meta["n_flagged"]`` counts such pixels.
* **NaN flux** (1,389 files, mostly at the band edges and in the telluric
  gaps) is masked, as for any :class:`~spectra_sklearn.Spectrum`. A file whose
  flux is entirely NaN raises :class:`~spectra_sklearn.io.SpectrumReadError`.
* **Wavelength.** Rows with a non-finite or non-positive wavelength are
  dropped; a grid that is then not monotonic is sorted and repeated
  wavelengths are dropped (the first is kept). ``meta["n_dropped_pixels"]``
  and ``meta["sorted"]`` record this; only a file with no valid pixel left is
  an error. (All 2,480 library files have clean, increasing grids today; the
  rule keeps a damaged file readable.)
* **Units.** ``YUNITS`` is ``ergss-1cm-2A-1``, ``ergs s-1 cm-2 A-1``,
  ``Wm-2um-1``, ``W m-2 um-1``, empty or absent: the first four are parsed,
  the last two give ``flux_unit=None`` (unknown; 897 files). ``XUNITS`` is
  ``um``, ``Microns``, empty or absent: the format is micron throughout.
  Spectra in different flux units must be normalised before they are compared.
* **Headers** carry non-standard cards (astropy warns about them; cfitsio,
  which reads these files here, does not).
* ``BITPIX`` is -32 or -64; everything is returned as float64.

The files are read by :func:`~spectra_sklearn.io._fits.read_primary_image`
(standard-library gzip and numpy; fitsio for any primary HDU it does not
handle), several times faster than astropy on these small gzipped files
(see ``benchmarks/bench_read.py``).

``meta`` holds ``source`` (the path), ``format``, ``data_key`` and
``source_key`` (integers parsed from the file name, which may carry a suffix
such as ``12090_11825 copy.fits.gz``; ``None`` when the name does not follow
the pattern) and the useful header cards that are present and not blank:
``object``, ``date_obs``, ``time_obs``, ``mjd_obs``, ``airmass``,
``resolution`` (``RES``, ``RP`` or ``RESOLUTION``), ``instrument``,
``telescope``, ``slit``, ``integration_time``, ``wavelength_medium``
(``WAVETYPE``), ``observer``, ``ra`` and ``dec``.

Examples
--------
A tiny Spextool-layout file written to a temporary folder:

>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectrum
>>> rows = np.array([[1.0, 1.1, 1.2, 1.3],       # wavelength, um
...                  [2.0, 2.1, np.nan, 2.3],    # flux
...                  [0.1, 0.0, 0.1, 0.2]])      # uncertainty
>>> header = fits.Header({"OBJECT": "2MASS J0000+0000",
...                       "YUNITS": "ergss-1cm-2A-1", "XUNITS": "Microns"})
>>> path = os.path.join(tempfile.mkdtemp(), "10001_10443.fits")
>>> fits.PrimaryHDU(rows, header=header).writeto(path)
>>> s = read_spectrum(path, format="spex")
>>> s.flux_unit, s.wavelength_unit
(Unit("erg / (Angstrom s cm2)"), Unit("um"))
>>> s.ivar.round(1).tolist(), s.mask.tolist()
([100.0, 0.0, 100.0, 25.0], [False, True, True, False])
>>> s.meta["object"], s.meta["data_key"], s.meta["source_key"]
('2MASS J0000+0000', 10001, 10443)
"""

import os
import re

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._errors import SpectrumReadError
from ._fits import as_float64, read_primary_image
from ._grid import check_usable, clean_grid, inverse_variance
from ._registry import register_format
from ._units import parse_flux_unit, parse_wavelength_unit

__all__ = ["read_spex", "identify_spex"]

FORMAT = "spex"

# meta key -> header keywords, first present and non-blank wins
_CARDS = (
    ("object", ("OBJECT",)),
    ("date_obs", ("DATE_OBS", "DATE-OBS", "OBSDATE")),
    ("time_obs", ("TIME_OBS",)),
    ("mjd_obs", ("MJD_OBS",)),
    ("airmass", ("AIRMASS", "TCS_AM")),
    ("resolution", ("RES", "RP", "RESOLUTION")),
    ("instrument", ("INSTRUME", "INSTR")),
    ("telescope", ("TELESCOP",)),
    ("slit", ("SLIT",)),
    ("integration_time", ("ITOT", "ITIME")),
    ("wavelength_medium", ("WAVETYPE",)),
    ("observer", ("OBSERVER",)),
    ("ra", ("RA",)),
    ("dec", ("DEC",)),
)
_KEYWORDS = ("YUNITS", "XUNITS") + tuple(k for _, keys in _CARDS for k in keys)
_NAME = re.compile(r"^(\d+)_(\d+)")
_FITS_NAME = re.compile(r"\.(fits|fit|fts)(\.gz)?$", re.IGNORECASE)
_WCS_KEYS = ("CRVAL1", "COEFF0")
_OTHER_INSTRUMENT = ("ISO", "SDSS", "SPITZER", "HST", "JWST")


def identify_spex(path, head):
    """Whether ``path`` looks like a SpeX/Spextool spectrum.

    A FITS file whose primary image has 2-3 axes, one of them 2-4 long (the
    Spextool rows) and another longer, with no wavelength solution in the
    header (``CRVAL1``, ``COEFF0``: SDSS eigenspectra, for
    instance, are 4-row images with ``COEFF0``) and whose
    ``TELESCOP``/``INSTRUME`` cards, if present, do not name another
    observatory (the ISO SWS atlas has (N, 4) images). Only the first header
    blocks are read.
    """
    if not _FITS_NAME.search(path.name):
        return False
    cards = head.fits_header
    if not cards:
        return False
    naxis = cards.get("NAXIS")
    if naxis not in (2, 3):
        return False
    shape = [cards.get(f"NAXIS{i}") for i in range(1, naxis + 1)]
    if not all(isinstance(n, int) for n in shape):
        return False
    n1, n2 = shape[0], shape[1]
    if naxis == 3:
        looks = 2 <= n2 <= 4 and n1 > 4
    else:
        looks = (2 <= n2 <= 4 and n1 > 4) or (2 <= n1 <= 4 and n2 > 4)
    if not looks:
        return False
    if any(key in cards for key in _WCS_KEYS):
        return False  # a wavelength solution: rows are spectra, not Spextool rows
    who = f"{cards.get('TELESCOP', '')} {cards.get('INSTRUME', '')}".upper()
    return not any(name in who for name in _OTHER_INSTRUMENT)


def _first(values, keys):
    for key in keys:
        value = values.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            continue
        return value
    return None


def _rows(data, path):
    """Return the (n_rows, N) array of rows and the layout facts for meta."""
    facts = {}
    if data is None or data.size == 0:
        raise SpectrumReadError(path, "the primary HDU holds no data (zero-length arrays)",
                                format=FORMAT)
    if data.ndim == 3:
        if not 2 <= data.shape[1] <= 4:
            raise SpectrumReadError(
                path, f"expected a Spextool cube of shape (n_apertures, 2-4, N); got "
                f"{data.shape}", format=FORMAT)
        facts["n_apertures"] = int(data.shape[0])
        data = data[0]
    elif data.ndim != 2:
        raise SpectrumReadError(
            path, f"expected a primary image of shape (2-4, N) or (N, 2-4); got {data.shape}",
            format=FORMAT)
    n_rows, n_cols = data.shape
    if 2 <= n_cols < n_rows <= 4:
        # The stored layout is (rows, pixels); reading this as transposed would
        # be a guess (a real prism spectrum has hundreds of pixels).
        raise SpectrumReadError(
            path, f"expected a primary image of 2-4 rows of N pixels (or its transpose "
            f"with N > 4); shape {data.shape} is too small to tell which axis holds the "
            "pixels (a prism spectrum has hundreds)", format=FORMAT)
    if 2 <= n_rows <= 4 and n_cols > n_rows:
        pass
    elif 2 <= n_cols <= 4 and n_rows > n_cols:
        data = data.T
        facts["transposed"] = True
    else:
        raise SpectrumReadError(
            path, f"expected a primary image of shape (2-4, N) or (N, 2-4) with rows "
            f"wavelength, flux[, uncertainty[, flag]]; got {data.shape}", format=FORMAT)
    return data, facts


def read_spex(path):
    """Read one SpeX prism spectrum (see the module docstring for the rules).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.fits`` or ``.fits.gz`` file in the Spextool layout.

    Returns
    -------
    Spectrum
        Wavelength in micron, flux in the file's ``YUNITS`` (``None`` if
        absent), ivar from the uncertainty row (NaN if there is none).

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt, its image does not have
        the Spextool shape, its flux is all NaN, no pixel has a valid
        wavelength, or a unit string is unknown.
    """
    data, values = read_primary_image(path, format=FORMAT, keys=_KEYWORDS)
    data, meta = _rows(data, path)
    rows = as_float64(data)

    cards = {key: _first(values, keywords) for key, keywords in _CARDS}
    flux_unit = parse_flux_unit(values.get("YUNITS"), source=path, format=FORMAT, keyword="YUNITS")
    wavelength_unit = parse_wavelength_unit(
        values.get("XUNITS"), default=u.um, source=path, format=FORMAT, keyword="XUNITS"
    )
    wavelength, flux = rows[0], rows[1]
    extra = [rows[i] for i in range(2, rows.shape[0])]
    wavelength, (flux, *extra), facts = clean_grid(wavelength, [flux, *extra])
    meta.update(facts)
    check_usable(path, wavelength, flux, FORMAT, facts)

    mask = np.zeros(flux.shape, dtype=bool)
    if extra:
        ivar, unusable = inverse_variance(extra[0])
        mask |= unusable
    else:
        ivar = None
    if len(extra) > 1:
        flagged = extra[1] != 0
        if flagged.any():
            mask |= flagged
            meta["n_flagged"] = int(flagged.sum())

    name = os.path.basename(os.fspath(path))
    match = _NAME.match(name)
    meta.update(
        source=os.fspath(path),
        format=FORMAT,
        data_key=int(match.group(1)) if match else None,
        source_key=int(match.group(2)) if match else None,
    )
    meta.update((k, v) for k, v in cards.items() if v is not None)
    return Spectrum(
        wavelength, flux, ivar, mask,
        wavelength_unit=wavelength_unit, flux_unit=flux_unit, meta=meta,
    )


register_format(
    FORMAT,
    identify=identify_spex,
    read=read_spex,
    description="SpeX prism / Spextool FITS image (2-4, N): wavelength, flux, "
    "uncertainty, flag (Burgasser 2014)",
    # any 2-D image without a wavelength solution: survey formats that also
    # recognise their files (SDSS templates, CASSIS) take precedence
    priority=-5,
)
