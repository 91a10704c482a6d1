"""SMASSII visible asteroid spectra: format ``"smass"``.

The Small Main-Belt Asteroid Spectroscopic Survey, phase II (Bus & Binzel
2002, Icarus 158, 106; taxonomy in Icarus 158, 146) distributes one plain-text
file per asteroid in ``smass2data.tar.gz``:

* ``aNNNNNN.[2]`` -- the observed spectrum, whitespace-separated, no header,
  3 columns: wavelength (micron), reflectance normalised to 1 at 0.55 micron
  (dimensionless) and its 1-sigma uncertainty; 163-218 rows, 0.435-0.925 micron;
* ``aNNNNNN.spfit.[2]`` -- a smoothed spline fit, 2 columns (wavelength,
  reflectance), 0.44-0.92 micron in 0.01 micron steps; read with unknown
  uncertainty (``ivar = NaN``) and ``meta["spline_fit"] = True``.

File names give the asteroid: ``a000001`` is (1) Ceres, number 1;
``au1995BM2`` is the unnumbered asteroid with provisional designation
1995 BM2. ``meta`` holds ``designation`` (``"1"`` or ``"1995 BM2"``, the form
used in the survey's ``Bus.Taxonomy.txt``), ``number`` (int, or ``None`` for a
provisional designation), ``source`` and ``format``.

Quirks handled:

* rows with wavelength 0 (``0.0 0.0 0.0``; 1 row in ``a003861.[2]``, 23 rows at
  the end of ``a006847.[2]``) are padding, not data: they are dropped and
  ``meta["n_dropped_rows"]`` counts them;
* an uncertainty that is zero, negative or non-finite gives ``ivar = 0`` and a
  masked pixel;
* text may arrive as ``bytes`` from a tar member (:func:`parse_smass_text`
  reads it without extracting anything to disk).

Rows with a different number of columns, non-numeric fields, no row left, or a
wavelength grid that is not monotonic raise
:class:`~spectra_sklearn.io.SpectrumReadError`.

Examples
--------
>>> from spectra_sklearn.io.smass import parse_smass_text
>>> text = "0.4350\\t0.9004\\t0.0149\\n0.4375\\t0.9186\\t0.0128\\n0.0\\t0.0\\t0.0\\n"
>>> s = parse_smass_text(text, source="smass2/au1995BM2.[2]")
>>> s.wavelength.tolist(), s.meta["designation"], s.meta["n_dropped_rows"]
([0.435, 0.4375], '1995 BM2', 1)
"""

import os
import re

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._errors import SpectrumReadError, open_spectrum_file
from ._grid import inverse_variance
from ._registry import register_format

__all__ = ["parse_smass_text", "read_smass", "identify_smass", "designation_from_name"]

FORMAT = "smass"
_NAME = re.compile(r"^a(?:(\d+)|u(\d{4})([A-Za-z]{2})(\d*))(\.spfit)?\.\[2\]$")


def designation_from_name(name):
    """Asteroid number and designation from an SMASSII file name.

    Parameters
    ----------
    name : str
        A file or member name such as ``"smass2/a000001.[2]"`` or
        ``"au1995BM2.spfit.[2]"`` (any folder part is ignored).

    Returns
    -------
    number : int or None
        The asteroid number, ``None`` for a provisional designation.
    designation : str or None
        ``"1"`` for a numbered asteroid, ``"1995 BM2"`` for a provisional one;
        ``None`` (and ``number`` ``None``) when the name does not follow the
        SMASSII pattern.
    spline_fit : bool
        Whether the name is a ``.spfit.[2]`` spline-fit file.

    Examples
    --------
    >>> from spectra_sklearn.io.smass import designation_from_name
    >>> designation_from_name("smass2/a000001.[2]")
    (1, '1', False)
    >>> designation_from_name("au1995BM2.spfit.[2]")
    (None, '1995 BM2', True)
    """
    base = os.path.basename(str(name).replace("\\", "/"))
    match = _NAME.match(base)
    if match is None:
        return None, None, base.endswith(".spfit.[2]")
    number, year, letters, index, spfit = match.groups()
    if number is not None:
        return int(number), str(int(number)), spfit is not None
    return None, f"{year} {letters.upper()}{index}", spfit is not None


def parse_smass_text(text, source=None):
    """Parse one SMASSII spectrum (or spline-fit) file's text into a Spectrum.

    Parameters
    ----------
    text : str or bytes
        The whole file: 3 columns (wavelength in micron, reflectance,
        1-sigma uncertainty) or 2 (a spline fit, no uncertainty).
    source : str or os.PathLike, default=None
        Where the text comes from (a path or a tar member name); gives
        ``meta["source"]`` and, from its file name, the asteroid's
        ``meta["designation"]`` and ``meta["number"]``, and names the source
        in errors.

    Returns
    -------
    Spectrum
        Wavelength in micron, dimensionless reflectance, ivar ``1/sigma**2``
        (NaN for a spline fit).

    Raises
    ------
    SpectrumReadError
        If the text is not ASCII numbers in 2 or 3 columns of equal length,
        no row with a positive wavelength is left, or the grid is not
        monotonic.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.io.smass import parse_smass_text
    >>> s = parse_smass_text(b"0.44 0.93\\n0.45 0.94\\n", source="a000001.spfit.[2]")
    >>> s.meta["number"], s.meta["spline_fit"], bool(np.isnan(s.ivar).all())
    (1, True, True)
    """
    src = None if source is None else os.fspath(source)
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise SpectrumReadError(
                src, f"not an ASCII text file ({exc})", format=FORMAT
            ) from None
    lines = [line.split() for line in text.splitlines()]
    lines = [fields for fields in lines if fields]
    if not lines:
        raise SpectrumReadError(src, "the file is empty (zero-length arrays)", format=FORMAT)
    n_columns = len(lines[0])
    if n_columns not in (2, 3):
        raise SpectrumReadError(
            src, f"expected 2 or 3 columns (wavelength, reflectance[, uncertainty]); the "
            f"first row has {n_columns}", format=FORMAT)
    bad = [i for i, fields in enumerate(lines) if len(fields) != n_columns]
    if bad:
        raise SpectrumReadError(
            src, f"mismatched lengths: row {bad[0] + 1} has {len(lines[bad[0]])} columns, "
            f"the first row {n_columns}", format=FORMAT)
    try:
        table = np.array(lines, dtype=np.float64)
    except ValueError as exc:
        raise SpectrumReadError(src, f"non-numeric field ({exc})", format=FORMAT) from None

    valid = np.isfinite(table[:, 0]) & (table[:, 0] > 0)
    n_dropped = int((~valid).sum())
    table = table[valid]
    if table.shape[0] == 0:
        raise SpectrumReadError(
            src, "no row has a positive wavelength (zero-length arrays)", format=FORMAT)
    wavelength, reflectance = table[:, 0], table[:, 1]
    if not np.isfinite(reflectance).any():
        raise SpectrumReadError(src, "all reflectance values are NaN", format=FORMAT)
    if n_columns == 3:
        ivar, mask = inverse_variance(table[:, 2])
    else:
        ivar, mask = None, None

    number, designation, spline_fit = designation_from_name(src or "")
    meta = {
        "source": src,
        "format": FORMAT,
        "designation": designation,
        "number": number,
        "spline_fit": spline_fit or n_columns == 2,
    }
    if n_dropped:
        meta["n_dropped_rows"] = n_dropped
    try:
        return Spectrum(
            wavelength, reflectance, ivar, mask,
            wavelength_unit=u.um, flux_unit=u.dimensionless_unscaled, meta=meta,
        )
    except ValueError as exc:
        raise SpectrumReadError(src, str(exc), format=FORMAT) from None


def read_smass(path):
    """Read one SMASSII text file from disk (see :func:`parse_smass_text`).

    Raises
    ------
    SpectrumReadError
        If the file is missing or unreadable, or its text is not an SMASSII
        spectrum.
    """
    with open_spectrum_file(path, format=FORMAT) as stream:
        try:
            data = stream.read()
        except OSError as exc:
            raise SpectrumReadError(path, f"cannot read the file ({exc})",
                                    format=FORMAT) from None
    return parse_smass_text(data, source=path)


def identify_smass(path, head):
    """Whether ``path`` is named like an SMASSII file (``*.[2]``)."""
    return path.name.endswith(".[2]")


register_format(
    FORMAT,
    identify=identify_smass,
    read=read_smass,
    description="SMASSII asteroid reflectance text file *.[2] (Bus & Binzel 2002)",
)
