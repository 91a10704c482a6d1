"""The SpeX Prism Library metadata table (``spectral_data.txt``) and its types.

``spectral_data.txt`` (SPLAT) is tab-separated with a header line and CR
(``\\r``) line endings, 22 columns: ``DATA_KEY, SOURCE_KEY, DATA_FILE, ...,
QUALITY_FLAG, MEDIAN_SNR, SPEX_TYPE, SPEX_GRAVITY_CLASSIFICATION, PUBLISHED,
DATA_REFERENCE, NOTE``. ``DATA_FILE`` names the FITS file without the ``.gz``
the library adds. ``SPEX_TYPE`` is SPLAT's near-infrared spectral type
(``'M8.0'``, ``'L4.0:'``; trailing ``:`` = uncertain); a few rows hold values
off the M/L/T dwarf sequence (``''``, ``'G'``, ``'sdM7'``, ``'M alph'``).

``sources.csv`` (SPLAT) is comma-separated with CRLF line endings, one line per
observed object (2,162 in the copy checked, 61 columns), keyed by
``SOURCE_KEY``: the object's 2MASS photometry, parallax, proper motion,
tangential velocity, and literature spectral types. :func:`read_sources`
reads only the numeric catalogue columns of :data:`SOURCE_COLUMNS`; the
columns derived from a spectral type (``OPT_TYPE``, ``NIR_TYPE``,
``LIT_TYPE``, ``SIMBAD_SPT``, gravity classes, the photometric distance
``DISTANCE_PHOT``) are deliberately not read: as features they would leak the
label.
"""

import csv
import io
import math
import re

import numpy as np

__all__ = [
    "REQUIRED_COLUMNS",
    "SOURCE_COLUMNS",
    "join_sources",
    "read_sources",
    "SPECTRAL_CLASS_OFFSET",
    "parse_spectral_type",
    "read_spectral_data",
]

#: Columns the loaders need.
REQUIRED_COLUMNS = ("DATA_KEY", "SOURCE_KEY", "DATA_FILE", "QUALITY_FLAG", "SPEX_TYPE")
#: Numeric columns converted on loading (blank -> NaN for floats).
_INT_COLUMNS = ("DATA_KEY", "SOURCE_KEY")
_FLOAT_COLUMNS = ("JULIAN_DATE", "RESOLUTION", "AIRMASS", "MEDIAN_SNR")
#: Numeric columns of ``sources.csv`` joined to each spectrum on ``SOURCE_KEY``:
#: 2MASS J, H, Ks magnitudes and errors (Skrutskie et al. 2006), trigonometric
#: parallax and error (mas), total proper motion ``MU`` and error, its
#: components ``MU_RA``, ``MU_DEC`` (mas/yr), tangential velocity ``VTAN`` and
#: error (km/s). SPLAT computes ``VTAN`` from a photometric distance where no
#: parallax is known, which ties it to the spectral type: prefer ``MU`` and
#: ``PARALLAX`` as features when the type is the label.
SOURCE_COLUMNS = (
    "J_2MASS", "J_2MASS_E", "H_2MASS", "H_2MASS_E", "KS_2MASS", "KS_2MASS_E",
    "PARALLAX", "PARALLAX_E", "MU", "MU_E", "MU_RA", "MU_DEC", "VTAN", "VTAN_E",
)
#: ``spectral_index`` = subtype + offset of the letter class (M0 = 0, L0 = 10,
#: T0 = 20); SPLAT's ``typeToNum`` is this plus 10.
SPECTRAL_CLASS_OFFSET = {"M": 0.0, "L": 10.0, "T": 20.0}
_TYPE = re.compile(r"([MLT])(\d(?:\.\d+)?)(:*)")


def parse_spectral_type(value):
    """Split a ``SPEX_TYPE`` value into its parts.

    Parameters
    ----------
    value : str
        A SpeX type such as ``'M8.0'``, ``'L4.5:'`` or ``'T6.0::'``.

    Returns
    -------
    spectral_type : str
        The type without the uncertainty colons (``'L4.5'``); for a value off
        the M/L/T sequence, the stripped value itself (``'sdM7'``, ``''``).
    spectral_class : str
        ``'M'``, ``'L'`` or ``'T'``; ``''`` off the sequence.
    subtype : float
        Numeric subtype within the class (4.5 for L4.5); NaN off the sequence.
    spectral_index : float
        Position on the M0 = 0 ... L0 = 10 ... T9 = 29 sequence; NaN off it.
    uncertain : bool
        Whether the type carries ``:`` (uncertain) marks.

    Examples
    --------
    >>> from spectra_sklearn.datasets._spex_metadata import parse_spectral_type
    >>> parse_spectral_type("L4.5:")
    ('L4.5', 'L', 4.5, 14.5, True)
    """
    text = value.strip()
    match = _TYPE.fullmatch(text)
    if match is None:
        return text.rstrip(":").strip(), "", math.nan, math.nan, text.endswith(":")
    letter, sub, colons = match.groups()
    subtype = float(sub)
    return (
        f"{letter}{sub}",
        letter,
        subtype,
        SPECTRAL_CLASS_OFFSET[letter] + subtype,
        bool(colons),
    )


def read_spectral_data(raw, source):
    """Parse ``spectral_data.txt`` into columns.

    Parameters
    ----------
    raw : bytes
        The file content (any of CR, LF or CRLF line endings).
    source : str or path-like
        Name used in error messages.

    Returns
    -------
    header : list of str
        The column names, in file order.
    lines : list of bytes
        The raw data lines, without their line ending, in file order (so a
        subset can be written back byte for byte).
    columns : dict of str to ndarray
        One array per column: ``DATA_KEY`` and ``SOURCE_KEY`` as int64,
        ``JULIAN_DATE``, ``RESOLUTION``, ``AIRMASS`` and ``MEDIAN_SNR`` as
        float64 (blank = NaN), every other column as str.

    Raises
    ------
    ValueError
        If the header lacks a required column, a line has the wrong number
        of fields, or a key or number cannot be parsed.
    """
    all_lines = [line for line in raw.splitlines() if line.strip()]
    if not all_lines:
        raise ValueError(f"{source} is empty; expected a tab-separated table.")
    header = all_lines[0].decode("latin-1").split("\t")
    header = [h.strip() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {missing}; expected a tab-separated SPLAT "
            f"spectral_data.txt with a header naming {list(REQUIRED_COLUMNS)}; found "
            f"{header[:8]}..."
        )
    lines = all_lines[1:]
    rows = []
    for lineno, line in enumerate(lines, 2):
        fields = line.decode("latin-1").split("\t")
        if len(fields) != len(header):
            raise ValueError(
                f"{source}, data line {lineno}: {len(fields)} tab-separated fields, "
                f"expected {len(header)} like the header."
            )
        rows.append([f.strip() for f in fields])
    table = {name: [r[i] for r in rows] for i, name in enumerate(header)}
    columns = {}
    for name, values in table.items():
        try:
            if name in _INT_COLUMNS:
                columns[name] = np.array([int(v) for v in values], dtype=np.int64)
            elif name in _FLOAT_COLUMNS:
                columns[name] = np.array(
                    [float(v) if v else math.nan for v in values], dtype=np.float64
                )
            else:
                columns[name] = np.array(values, dtype=str)
        except ValueError as exc:
            raise ValueError(
                f"{source}: column {name} holds a bad value ({exc})."
            ) from None
    return header, lines, columns


def _source_records(raw, source):
    """(header, lines, records) of ``sources.csv``: one record per line."""
    text = raw.decode("latin-1")
    records = list(csv.reader(io.StringIO(text, newline="")))
    lines = [line for line in raw.splitlines() if line.strip()]
    records = [r for r in records if any(f.strip() for f in r)]
    if not records:
        raise ValueError(f"{source} is empty; expected SPLAT's sources.csv.")
    if len(records) != len(lines):
        raise ValueError(
            f"{source}: {len(records)} CSV records on {len(lines)} lines; a record "
            "spanning lines is not expected in SPLAT's sources.csv."
        )
    header = [h.strip() for h in records[0]]
    return header, lines[1:], records[1:]


def read_sources(raw, source):
    """Parse the catalogue columns of SPLAT's ``sources.csv``.

    Parameters
    ----------
    raw : bytes
        The file content.
    source : str or path-like
        Name used in error messages.

    Returns
    -------
    dict of int to ndarray of shape (len(SOURCE_COLUMNS),)
        ``SOURCE_KEY`` -> the float64 values of :data:`SOURCE_COLUMNS`
        (blank = NaN).

    Raises
    ------
    ValueError
        If the header lacks ``SOURCE_KEY`` or one of :data:`SOURCE_COLUMNS`,
        a line has the wrong number of fields, a ``SOURCE_KEY`` is repeated,
        or a key or number cannot be parsed (the line and column are named).
    """
    header, _, records = _source_records(raw, source)
    missing = [c for c in ("SOURCE_KEY",) + SOURCE_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"{source} lacks the column(s) {missing}; expected SPLAT's sources.csv "
            f"with SOURCE_KEY and {list(SOURCE_COLUMNS)}; found {header[:8]}..."
        )
    key_at = header.index("SOURCE_KEY")
    at = [header.index(c) for c in SOURCE_COLUMNS]
    table = {}
    for lineno, record in enumerate(records, 2):
        if len(record) != len(header):
            raise ValueError(
                f"{source}, line {lineno}: {len(record)} comma-separated fields, "
                f"expected {len(header)} like the header."
            )
        try:
            key = int(record[key_at])
        except ValueError:
            raise ValueError(
                f"{source}, line {lineno}: SOURCE_KEY {record[key_at]!r} is not an "
                "integer."
            ) from None
        if key in table:
            raise ValueError(f"{source}, line {lineno}: SOURCE_KEY {key} is repeated.")
        values = np.empty(len(at))
        for j, (i, name) in enumerate(zip(at, SOURCE_COLUMNS)):
            field = record[i].strip()
            try:
                values[j] = float(field) if field else math.nan
            except ValueError:
                raise ValueError(
                    f"{source}, line {lineno}: column {name} holds {field!r}, not a "
                    "number."
                ) from None
        table[key] = values
    return table


def join_sources(source_keys, sources):
    """The :data:`SOURCE_COLUMNS` of each spectrum, joined on ``SOURCE_KEY``.

    Parameters
    ----------
    source_keys : array-like of int of shape (n_spectra,)
        ``SOURCE_KEY`` of each spectrum.
    sources : dict
        From :func:`read_sources`.

    Returns
    -------
    dict of str to ndarray of shape (n_spectra,)
        One float64 column per name of :data:`SOURCE_COLUMNS`; NaN where the
        value is blank or the object has no row in ``sources.csv``.
    """
    blank = np.full(len(SOURCE_COLUMNS), math.nan)
    rows = np.array([sources.get(int(k), blank) for k in source_keys], dtype=np.float64)
    rows = rows.reshape(len(rows), len(SOURCE_COLUMNS))
    return {name: rows[:, j].copy() for j, name in enumerate(SOURCE_COLUMNS)}
