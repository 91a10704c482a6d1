"""The SpeX Prism Library metadata table (``spectral_data.txt``) and its types.

``spectral_data.txt`` (SPLAT) is tab-separated with a header line and CR
(``\\r``) line endings, 22 columns: ``DATA_KEY, SOURCE_KEY, DATA_FILE, ...,
QUALITY_FLAG, MEDIAN_SNR, SPEX_TYPE, SPEX_GRAVITY_CLASSIFICATION, PUBLISHED,
DATA_REFERENCE, NOTE``. ``DATA_FILE`` names the FITS file without the ``.gz``
the library adds. ``SPEX_TYPE`` is SPLAT's near-infrared spectral type
(``'M8.0'``, ``'L4.0:'``; trailing ``:`` = uncertain); a few rows hold values
off the M/L/T dwarf sequence (``''``, ``'G'``, ``'sdM7'``, ``'M alph'``).
"""

import math
import re

import numpy as np

__all__ = [
    "REQUIRED_COLUMNS",
    "SPECTRAL_CLASS_OFFSET",
    "parse_spectral_type",
    "read_spectral_data",
]

#: Columns the loaders need.
REQUIRED_COLUMNS = ("DATA_KEY", "SOURCE_KEY", "DATA_FILE", "QUALITY_FLAG", "SPEX_TYPE")
#: Numeric columns converted on loading (blank -> NaN for floats).
_INT_COLUMNS = ("DATA_KEY", "SOURCE_KEY")
_FLOAT_COLUMNS = ("JULIAN_DATE", "RESOLUTION", "AIRMASS", "MEDIAN_SNR")
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
