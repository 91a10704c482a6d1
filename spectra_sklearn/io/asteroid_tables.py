"""Asteroid spectra tables with one spectrum per row: formats ``"demeo2009"`` and ``"mahlke2022"``.

Both are CSV files whose spectral columns are *named by their wavelength in
micron* (``0.45``, ``0.50``, ...); every other column describes the row. Both
formats are registered with ``multiple=True``: read the whole table with
:func:`~spectra_sklearn.io.read_spectra_file` (a
:class:`~spectra_sklearn.SpectrumBatch` on the table's common grid, in row
order) or one row with ``read_spectrum(path, index=i)``.

``"demeo2009"`` -- the Bus-DeMeo spectra (DeMeo et al. 2009, Icarus 202, 160)
as spline-sampled and redistributed by classy (Mahlke et al. 2022), e.g.
``demeo2009_splined_spectra.csv``: 41 reflectance columns ``0.45 ... 2.45``
(0.05 micron step), then ``name``, ``number``, ``class_``. Reflectance is
dimensionless and normalised to 1 at 0.55 micron.

``"mahlke2022"`` -- the preprocessed samples of Mahlke, Carry & Mattei (2022,
A&A 665, A26; CDS J/A+A/665/A26), ``class_visnir.csv`` and ``class_vis.csv``:
``number``, ``name``, 53 spectral columns ``0.45 ... 1.05`` (0.025 micron step)
and ``1.1 ... 2.45`` (0.05 micron step), then albedo, latent scores, cluster and
class probabilities, ``class_``, ``class_sf``, feature detections,
``ref_spectrum`` and ``ref_albedo``. The spectral values are the paper's
*preprocessed* reflectances: the natural log of the reflectance minus a
per-spectrum constant (classy's "mixnorm" normalisation), so they are neither
unity-normalised nor positive. ``reflectance="linear"`` returns
``exp(value)`` divided by its value at 0.55 micron instead (the shape of the
reflectance spectrum, normalised to 1 at 0.55 micron like the DeMeo table;
left un-normalised when 0.55 micron is missing). Many values are empty outside
the observed range (the visible-only table is filled at ~0.5-0.9 micron only).

Neither table gives uncertainties: ``ivar`` is NaN (unknown). Empty or NaN
reflectances are masked; a row with no reflectance at all is kept as a fully
masked spectrum (so rows stay aligned with the table) rather than dropped.

``meta`` of every spectrum (keys the dataset fetchers rely on):

=====================  ====================================================
key                    value
=====================  ====================================================
``source``             the file path (str)
``format``             ``"demeo2009"`` or ``"mahlke2022"``
``row``                0-based data row in the file (int)
``number``             asteroid number (int), ``None`` when unnumbered
``name``               asteroid name or provisional designation (str)
``designation``        ``str(number)``, else the name: the same key the
                       ``"smass"`` reader gives, for grouping across sets
``class``              the class label as given (``class_``), e.g. ``"Sw"``,
                       ``"Mk"``
``class_base``         DeMeo: ``class_`` without the trailing space-weathering
                       ``"w"`` (24 base classes); Mahlke: ``class_sf``
                       (without the e/h/k feature flags)
``ref_spectrum``       Mahlke only: the reference key(s) of the spectrum,
                       ``";"``-separated (e.g. ``"1;24"``: visible and
                       near-IR parts; empty keys dropped, ``"3.0"`` written
                       ``"3"``), see ``reference_spectra.csv``
``source_survey``      Mahlke only: the first reference key (str; ``"1"`` is
                       SMASS), for cross-survey splits
``ref_albedo``         Mahlke only: albedo reference key(s), ``None`` if none
``log10_albedo``       Mahlke only: the table's preprocessed visual albedo
                       ``pV`` (log10 of the albedo), NaN when absent
``reflectance``        ``"normalised"`` (DeMeo, or Mahlke with
                       ``reflectance="linear"``) or ``"preprocessed"``
=====================  ====================================================

Identification (``format=None``) looks at the first line only: a CSV header
whose spectral columns are wavelengths and that ends in ``name,number,class_``
(DeMeo) or starts with ``number,name,`` and holds ``class_`` and
``ref_spectrum`` (Mahlke).

Examples
--------
>>> import os, tempfile
>>> from spectra_sklearn.io import read_spectra_file
>>> path = os.path.join(tempfile.mkdtemp(), "demeo.csv")
>>> with open(path, "w") as f:
...     _ = f.write("0.45,0.50,0.55,name,number,class_\\n"
...                 "0.9,0.95,1.0,Ceres,1,C\\n0.8,0.9,1.0,2002 AV,,Sw\\n")
>>> batch = read_spectra_file(path)
>>> batch.wavelength.tolist(), batch.wavelength_unit
([0.45, 0.5, 0.55], Unit("um"))
>>> [(m["designation"], m["class"], m["class_base"]) for m in batch.meta]
[('1', 'C', 'C'), ('2002 AV', 'Sw', 'S')]
"""

import csv
import io
import os
import re

import numpy as np
from astropy import units as u

from .._spectrum import Spectrum
from ._errors import SpectrumReadError
from ._limits import read_file_bytes
from ._registry import register_format

__all__ = [
    "identify_demeo2009",
    "identify_mahlke2022",
    "read_demeo2009",
    "read_mahlke2022",
]

DEMEO = "demeo2009"
MAHLKE = "mahlke2022"
_NUMBER = re.compile(r"^\s*\d+(\.\d*)?\s*$")
_CSV_NAME = re.compile(r"\.csv$", re.IGNORECASE)


def _is_wavelength(name):
    return bool(_NUMBER.match(name))


def _first_line(head):
    data = head.first_bytes
    end = data.find(b"\n")
    line = data if end < 0 else data[:end]
    try:
        return line.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        return ""


def identify_demeo2009(path, head):
    """Whether ``path`` is a DeMeo 2009 table: a ``.csv`` whose header is
    wavelength columns followed by ``name,number,class_``."""
    if not _CSV_NAME.search(head.name):
        return False
    columns = _first_line(head).split(",")
    return (
        len(columns) > 4
        and columns[-3:] == ["name", "number", "class_"]
        and all(_is_wavelength(c) for c in columns[:-3])
    )


def identify_mahlke2022(path, head):
    """Whether ``path`` is a Mahlke 2022 sample table: a ``.csv`` whose header
    starts ``number,name,<wavelength>`` and has ``class_`` and ``ref_spectrum``."""
    if not _CSV_NAME.search(head.name):
        return False
    columns = _first_line(head).split(",")
    return (
        len(columns) > 3
        and columns[:2] == ["number", "name"]
        and _is_wavelength(columns[2])
        and "class_" in columns
        and "ref_spectrum" in columns
    )


def _read_rows(path, format):
    """The header and the rows of a CSV file, or a SpectrumReadError."""
    data = read_file_bytes(path, format)  # gunzipped within a bound (a gzip bomb is refused)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise SpectrumReadError(path, f"not a UTF-8 text file ({exc})", format=format) from None
    if "\x00" in text:
        raise SpectrumReadError(path, "not a text file (NUL bytes)", format=format)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    except csv.Error as exc:
        raise SpectrumReadError(path, f"not a valid CSV file ({exc})", format=format) from None
    if not rows:
        raise SpectrumReadError(path, "the file is empty (zero-length arrays)", format=format)
    header = [c.strip() for c in rows[0]]
    body = rows[1:]
    if not body:
        raise SpectrumReadError(
            path, "the table has a header but no rows (zero-length arrays)", format=format)
    bad = [i for i, row in enumerate(body) if len(row) != len(header)]
    if bad:
        i = bad[0]
        raise SpectrumReadError(
            path, f"mismatched lengths: data row {i + 1} has {len(body[i])} fields, the header "
            f"{len(header)}", format=format)
    return header, body


def _spectral_columns(header, path, format):
    """Indices and wavelengths (micron) of the columns named by a wavelength."""
    index = [i for i, name in enumerate(header) if _is_wavelength(name)]
    if len(index) < 2:
        raise SpectrumReadError(
            path, "expected columns named by their wavelength in micron (0.45, 0.5, ...); "
            f"found {len(index)} in the header {','.join(header)[:200]!r}", format=format)
    wavelength = np.array([float(header[i]) for i in index])
    if not np.all(np.diff(wavelength) > 0):
        raise SpectrumReadError(
            path, "the wavelength columns are not in increasing order (non-monotonic "
            f"wavelengths: {[header[i] for i in index]})", format=format)
    if wavelength[0] <= 0:
        raise SpectrumReadError(path, "a wavelength column is not positive", format=format)
    return index, wavelength


def _require(header, names, path, format):
    missing = [n for n in names if n not in header]
    if missing:
        raise SpectrumReadError(
            path, f"missing column(s) {', '.join(missing)}; the header has "
            f"{','.join(header)[:200]!r}", format=format)
    return {n: header.index(n) for n in names}


def _values(body, index, path, format, header):
    """The spectral block of the table as float64 (empty fields are NaN)."""
    out = np.empty((len(body), len(index)), dtype=np.float64)
    for r, row in enumerate(body):
        for k, i in enumerate(index):
            text = row[i].strip()
            if not text:
                out[r, k] = np.nan
                continue
            try:
                out[r, k] = float(text)
            except ValueError:
                raise SpectrumReadError(
                    path, f"non-numeric reflectance {text[:40]!r} in data row {r + 1}, column "
                    f"{header[i]!r}", format=format) from None
    return out


def _number(text, path, format, r):
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise SpectrumReadError(
            path, f"non-numeric asteroid number {text[:40]!r} in data row {r + 1}",
            format=format) from None
    if not np.isfinite(value) or value != int(value) or value < 0:
        raise SpectrumReadError(
            path, f"asteroid number {text[:40]!r} in data row {r + 1} is not a whole number",
            format=format)
    return int(value)


def _keys(text):
    """``"3.0;1;"`` -> ``"3;1"``: reference keys without float formatting or empties."""
    keys = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            keys.append(part)
            continue
        keys.append(str(int(value)) if np.isfinite(value) and value == int(value) else part)
    return ";".join(keys)


def _build(path, format, wavelength, flux, meta):
    try:
        return Spectrum(wavelength, flux, None, None, wavelength_unit=u.um,
                        flux_unit=u.dimensionless_unscaled, meta=meta)
    except ValueError as exc:  # pragma: no cover - the grid is checked above
        raise SpectrumReadError(path, str(exc), format=format) from None


def _identity(row, columns, path, format, r):
    number = _number(row[columns["number"]], path, format, r)
    name = row[columns["name"]].strip()
    designation = str(number) if number is not None else (name or None)
    return {"number": number, "name": name or None, "designation": designation}


def read_demeo2009(path):
    """Read every row of a DeMeo et al. (2009) spline-sampled spectra table.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (``.gz`` allowed), e.g. ``demeo2009_splined_spectra.csv``.

    Returns
    -------
    list of Spectrum
        One per row, in file order: wavelength in micron (from the column
        names), dimensionless reflectance normalised to 1 at 0.55 micron,
        unknown ivar; ``meta`` as in the module docstring.

    Raises
    ------
    SpectrumReadError
        If the file is missing, not UTF-8 CSV, has no rows, rows of different
        lengths, no wavelength-named columns or not in increasing order,
        lacks ``name``/``number``/``class_``, or holds a non-numeric value.
    """
    header, body = _read_rows(path, DEMEO)
    index, wavelength = _spectral_columns(header, path, DEMEO)
    columns = _require(header, ["name", "number", "class_"], path, DEMEO)
    flux = _values(body, index, path, DEMEO, header)
    source = os.fspath(path)
    spectra = []
    for r, row in enumerate(body):
        label = row[columns["class_"]].strip()
        base = label[:-1] if len(label) > 1 and label.endswith("w") else label
        meta = {"source": source, "format": DEMEO, "row": r,
                **_identity(row, columns, path, DEMEO, r),
                "class": label or None, "class_base": base or None,
                "reflectance": "normalised"}
        spectra.append(_build(path, DEMEO, wavelength, flux[r], meta))
    return spectra


def read_mahlke2022(path, *, reflectance="preprocessed"):
    """Read every row of a Mahlke et al. (2022) sample table.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file (``.gz`` allowed): ``class_visnir.csv`` or ``class_vis.csv``.
    reflectance : {"preprocessed", "linear"}, default="preprocessed"
        ``"preprocessed"`` keeps the table's values (natural log of the
        reflectance minus a per-spectrum constant); ``"linear"`` returns
        ``exp(value)`` normalised to 1 at 0.55 micron.

    Returns
    -------
    list of Spectrum
        One per row, in file order: wavelength in micron (from the column
        names), dimensionless values, unknown ivar, empty values masked;
        ``meta`` as in the module docstring.

    Raises
    ------
    SpectrumReadError
        As :func:`read_demeo2009`, and if ``number``, ``name``, ``class_``,
        ``class_sf`` or ``ref_spectrum`` is missing.
    ValueError
        If ``reflectance`` is not one of the two choices.
    """
    if reflectance not in ("preprocessed", "linear"):
        raise ValueError(
            f"reflectance must be 'preprocessed' or 'linear'; got {reflectance!r}.")
    header, body = _read_rows(path, MAHLKE)
    index, wavelength = _spectral_columns(header, path, MAHLKE)
    columns = _require(header, ["number", "name", "class_", "class_sf", "ref_spectrum"],
                       path, MAHLKE)
    optional = {n: header.index(n) for n in ("ref_albedo", "pV") if n in header}
    flux = _values(body, index, path, MAHLKE, header)
    if reflectance == "linear":
        with np.errstate(over="ignore"):
            flux = np.exp(flux)
        at = np.flatnonzero(np.isclose(wavelength, 0.55))
        if at.size:
            norm = flux[:, at[0]].copy()
            usable = np.isfinite(norm) & (norm > 0)
            flux[usable] /= norm[usable, None]
    source = os.fspath(path)
    spectra = []
    for r, row in enumerate(body):
        refs = _keys(row[columns["ref_spectrum"]])
        albedo_refs = _keys(row[optional["ref_albedo"]]) if "ref_albedo" in optional else ""
        log_albedo = np.nan
        if "pV" in optional and row[optional["pV"]].strip():
            try:
                log_albedo = float(row[optional["pV"]])
            except ValueError:
                raise SpectrumReadError(
                    path, f"non-numeric pV {row[optional['pV']][:40]!r} in data row {r + 1}",
                    format=MAHLKE) from None
        meta = {"source": source, "format": MAHLKE, "row": r,
                **_identity(row, columns, path, MAHLKE, r),
                "class": row[columns["class_"]].strip() or None,
                "class_base": row[columns["class_sf"]].strip() or None,
                "ref_spectrum": refs or None,
                "source_survey": refs.split(";")[0] if refs else None,
                "ref_albedo": albedo_refs or None,
                "log10_albedo": log_albedo,
                "reflectance": "normalised" if reflectance == "linear" else "preprocessed"}
        spectra.append(_build(path, MAHLKE, wavelength, flux[r], meta))
    return spectra


register_format(
    DEMEO,
    identify=identify_demeo2009,
    read=read_demeo2009,
    description="DeMeo et al. 2009 asteroid spectra table (CSV, one spectrum per row)",
    multiple=True,
)
register_format(
    MAHLKE,
    identify=identify_mahlke2022,
    read=read_mahlke2022,
    description="Mahlke et al. 2022 preprocessed asteroid spectra table (CSV, one per row)",
    multiple=True,
)
