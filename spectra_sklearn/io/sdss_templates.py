"""SDSS/BOSS pipeline templates (``spEigen*.fits``): format ``"sdss_templates"``.

The classification templates of the SDSS/BOSS redshift pipeline
(``idlspec2d``; Bolton et al. 2012, AJ 144, 144) are one FITS image per
file, **one template per row**, on a log-linear vacuum wavelength grid

``wavelength[i] = 10 ** (COEFF0 + COEFF1 * i)`` Angstrom, ``i = 0, 1, ...``

* ``spEigenStar-*.fits`` -- stellar templates; header card ``NAMEi`` is the
  name of row ``i``, which is exactly the ``SUBCLASS`` the pipeline writes
  for a ``STAR`` it fits with that template (``"K3III (101673)"``,
  ``"WDhotter"``, ``"Carbon"`` ...);
* ``spEigenGal``/``spEigenQSO``/``spEigenCVstar`` -- principal components
  (``EIGENi`` cards give their eigenvalues), not individual spectra.

So one file yields many spectra: register with ``multiple=True``;
:func:`~spectra_sklearn.io.read_spectra_file` returns them all as a batch
(on a common grid) and ``read_spectrum(path, index=i)`` returns row ``i``.

Each spectrum's ``meta``: ``source``, ``format``, ``row``, ``object``
(``OBJECT``: ``STAR``, ``GALAXY``, ``QSO``, ``STAR_CV``), ``subclass``
(``NAMEi``, stripped; only where the file names its rows), ``eigenvalue``
(``EIGENi``, where given), ``template_set`` (the file name without
extension) and ``wavelength_medium = "vacuum"``. Flux is in arbitrary
units (``flux_unit=None``), inverse variance unknown (NaN). Leading and
trailing runs of exactly zero flux are padding, not data (the 40 SDSS-I/II
templates of ``spEigenStar-53724`` have up to 55 such pixels): they are
masked and ``meta["n_padded"]`` counts them.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from astropy.io import fits
>>> from spectra_sklearn.io import read_spectra_file, read_spectrum
>>> header = fits.Header({"COEFF0": 3.5, "COEFF1": 1e-4, "OBJECT": "STAR",
...                       "NAME0": "A0 (19510)", "NAME1": "WDhotter"})
>>> path = os.path.join(tempfile.mkdtemp(), "spEigenStar-00000.fits")
>>> fits.PrimaryHDU(np.array([[0.0, 1.0, 2.0, 3.0], [1.0, 1.0, 1.0, 1.0]]),
...                 header=header).writeto(path)
>>> batch = read_spectra_file(path)
>>> len(batch), [m["subclass"] for m in batch.meta]
(2, ['A0 (19510)', 'WDhotter'])
>>> s = read_spectrum(path, index=0)
>>> s.wavelength.round(2).tolist(), s.mask.tolist()
([3162.28, 3163.01, 3163.73, 3164.46], [True, False, False, False])
"""

import os

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._edges import edge_padding
from ._errors import SpectrumReadError
from ._fits import as_float64, read_primary_image
from ._registry import register_format

__all__ = ["read_sdss_templates", "identify_sdss_templates"]

FORMAT = "sdss_templates"


def identify_sdss_templates(path, head):
    """Whether ``path`` is a template file: a 2-D primary image with the SDSS
    log-linear wavelength cards ``COEFF0``/``COEFF1`` and no ``TELESCOP``."""
    cards = head.fits_header or {}
    return (cards.get("NAXIS") == 2 and "COEFF0" in cards and "COEFF1" in cards
            and not str(cards.get("TELESCOP") or "").strip())


def read_sdss_templates(path):
    """Read every template (row) of an SDSS ``spEigen*.fits`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The FITS file (``.gz`` allowed).

    Returns
    -------
    list of Spectrum
        One per image row, in file order, all on the file's vacuum
        wavelength grid in Angstrom.

    Raises
    ------
    SpectrumReadError
        If the file is missing, truncated or corrupt; the primary HDU is not
        a 2-D image (wrong HDU); ``COEFF0``/``COEFF1`` are missing; or a row
        is all NaN.
    """
    data, cards = read_primary_image(path, format=FORMAT)
    if data is None or data.ndim != 2 or 0 in data.shape:
        shape = None if data is None else data.shape
        raise SpectrumReadError(
            path, f"wrong HDU: expected a 2-D primary image with one template per row; "
            f"the primary HDU has shape {shape}", format=FORMAT)
    coeff0, coeff1 = cards.get("COEFF0"), cards.get("COEFF1")
    if not all(isinstance(c, (int, float)) and not isinstance(c, bool)
               for c in (coeff0, coeff1)):
        raise SpectrumReadError(
            path, "no log-linear wavelength solution: the COEFF0 and COEFF1 cards must be "
            f"numbers; found COEFF0={coeff0!r}, COEFF1={coeff1!r}", format=FORMAT)
    if coeff1 <= 0:
        raise SpectrumReadError(
            path, f"COEFF1 = {coeff1!r}: the wavelength grid must increase", format=FORMAT)
    rows = as_float64(data)
    wavelength = 10.0 ** (coeff0 + coeff1 * np.arange(rows.shape[1], dtype=np.float64))
    obj = str(cards.get("OBJECT") or "").strip()
    template_set = os.path.basename(os.fspath(path)).split(".")[0]
    spectra = []
    for i, flux in enumerate(rows):
        if not np.isfinite(flux).any():
            raise SpectrumReadError(path, f"row {i}: all flux values are NaN", format=FORMAT)
        padded = edge_padding(flux)
        meta = {"source": os.fspath(path), "format": FORMAT, "row": i,
                "template_set": template_set, "wavelength_medium": "vacuum"}
        if obj:
            meta["object"] = obj
        name = cards.get(f"NAME{i}")
        if name is not None:
            meta["subclass"] = str(name).strip()
        eigen = cards.get(f"EIGEN{i}")
        if isinstance(eigen, (int, float)):
            meta["eigenvalue"] = float(eigen)
        if padded.any():
            meta["n_padded"] = int(padded.sum())
        spectra.append(Spectrum(wavelength, flux, None, padded, wavelength_unit=u.AA,
                                flux_unit=None, meta=meta))
    return spectra


register_format(
    FORMAT,
    identify=identify_sdss_templates,
    read=read_sdss_templates,
    description="SDSS/BOSS spEigen template FITS image: one template per row, "
    "log-linear COEFF0/COEFF1 grid (Bolton et al. 2012)",
    multiple=True,
)
