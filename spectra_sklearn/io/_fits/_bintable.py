"""Binary tables read straight from the bytes of an HDU (:func:`read_bintable`).
"""

import re

import numpy as np

from ._cards import _CARD
from ._hdus import LayoutNotHandled, structural_card

_TFORM = re.compile(rb"^\s*(\d*)\s*([LXBIJKAEDCMPQ])")
# TFORM letter -> bytes per element, numpy dtype (None: not read by the fast path)
_TFORM_TYPES = {
    b"L": (1, None), b"X": (None, None), b"B": (1, "u1"), b"I": (2, ">i2"),
    b"J": (4, ">i4"), b"K": (8, ">i8"), b"A": (1, "S"), b"E": (4, ">f4"),
    b"D": (8, ">f8"), b"C": (8, None), b"M": (16, None), b"P": (8, None),
    b"Q": (16, None),
}


_TCARDS = {
    key: re.compile(key + rb"(\d{1,3}) *= *'([^']*(?:''[^']*)*)'")
    for key in (b"TTYPE", b"TFORM")
}
_TSCALED = re.compile(rb"(?:TSCAL|TZERO)(\d{1,3}) *=")
_INDEX = [str(i).encode("ascii") for i in range(1000)]
_TFORM_CACHE = {}


def _tform(text):
    """(bytes per row, numpy dtype or None, repeat) of a TFORM value."""
    got = _TFORM_CACHE.get(text)
    if got is None:
        match = _TFORM.match(text)
        if match is None:
            raise LayoutNotHandled(f"odd TFORM {text!r}")
        repeat = int(match[1]) if match[1] else 1
        width, kind = _TFORM_TYPES[match[2]]
        if kind == "S":
            kind = f"S{repeat}"
        elif kind is not None and repeat != 1:
            kind = (kind, (repeat,))
        got = ((repeat + 7) // 8 if width is None else width * repeat, kind, repeat)
        if len(_TFORM_CACHE) < 10_000:
            _TFORM_CACHE[text] = got
    return got


def _table_cards(hdu, key, n):
    """Value texts of the cards ``key1`` .. ``keyn`` (``None`` where absent)."""
    found = _TCARDS[key].findall(hdu.raw, hdu.header_start, hdu.header_end)
    cards = dict(found)
    values = [cards.get(_INDEX[i]) for i in range(1, n + 1)]
    if len(cards) != len(found) or len(cards) != n - values.count(None):
        raise LayoutNotHandled(f"odd {key.decode()}n cards")
    return [None if v is None else (v.replace(b"''", b"'") if b"''" in v else v).rstrip()
            for v in values]


# header bytes (without the NAXIS2 card) -> _table_columns: survey files of
# one release share their table headers (all SDSS SPECOBJ headers are the
# same 21 kB), and parsing 126 columns' cards costs more than the rest of a read
_LAYOUTS = {}
_N_LAYOUTS = 64


def _table_columns(hdu):
    """:func:`_parse_table_columns` of a binary-table HDU, cached."""
    if hdu._columns is None:
        rows = hdu.offset("NAXIS2")
        if rows < 0:
            raise LayoutNotHandled("no NAXIS2 card")
        raw = hdu.raw
        key = raw[hdu.header_start:rows] + raw[rows + _CARD:hdu.header_end]
        hdu._columns = _LAYOUTS.get(key)
        if hdu._columns is None:
            hdu._columns = _parse_table_columns(hdu)
            if len(_LAYOUTS) >= _N_LAYOUTS:
                _LAYOUTS.clear()
            _LAYOUTS[key] = hdu._columns
    return hdu._columns


def _parse_table_columns(hdu):
    """(names, TFORM texts, scaled column numbers, name -> first index) of a
    binary-table HDU, from its cards."""
    if hdu.value("XTENSION") != "BINTABLE" or structural_card(hdu, 2, "NAXIS") != 2 \
            or structural_card(hdu, 1, "BITPIX") != 8:
        raise LayoutNotHandled("not a binary table")
    n = hdu.value("TFIELDS")
    if not isinstance(n, int) or not 0 <= n <= 999:
        raise LayoutNotHandled("odd TFIELDS")
    types, forms = _table_cards(hdu, b"TTYPE", n), _table_cards(hdu, b"TFORM", n)
    if None in forms:
        raise LayoutNotHandled("a TFORMn card is missing")
    names = ["" if t is None else t.decode("ascii", "replace") for t in types]
    scaled = {int(i) for i in _TSCALED.findall(hdu.raw, hdu.header_start,
                                               hdu.header_end)}
    index = {}
    for i, name in enumerate(names):
        index.setdefault(name, i)
    return names, forms, frozenset(scaled), index


def read_bintable_rows(hdu):
    """The number of rows (``NAXIS2``) of a binary-table :class:`RawHDU`."""
    rows = structural_card(hdu, 4, "NAXIS2")
    if not isinstance(rows, int) or rows < 0:
        raise LayoutNotHandled("odd NAXIS2")
    return rows


def bintable_column_names(hdu):
    """Names of the columns of a binary-table :class:`RawHDU`, in order
    (``LayoutNotHandled`` if it is not a plain binary table)."""
    return list(_table_columns(hdu)[0])


def read_bintable(raw, hdu, columns, rows=None):
    """Columns of a binary-table HDU as numpy arrays, viewed in the file's bytes.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    hdu : RawHDU
        A binary-table HDU of ``raw`` (from :func:`split_hdus`).
    columns : list of str
        Column names, exactly as in ``TTYPEn`` (the first column of a name wins).
    rows : slice or list of int, default=None
        The rows to take (all by default; a slice is a view of the bytes,
        a list a copy).

    Returns
    -------
    dict of str to ndarray
        Name -> read-only big-endian array, shape ``(n_rows,)`` or
        ``(n_rows, repeat)``; text columns (``A``) as bytes (``S``).

    Raises
    ------
    LayoutNotHandled
        If a column is missing, scaled (``TSCALn``/``TZEROn``), of a type
        read here only by a library (logical, bits, complex, variable-length
        arrays), or the row layout is inconsistent with ``NAXIS1``.

    Examples
    --------
    >>> import io
    >>> from astropy.io import fits
    >>> from spectra_sklearn.io._fits import read_bintable, split_hdus
    >>> out = io.BytesIO()
    >>> table = fits.BinTableHDU.from_columns([
    ...     fits.Column("name", "4A", array=["Vega", "Deneb"]),
    ...     fits.Column("flux", "E", array=[1.5, 2.5])])
    >>> fits.HDUList([fits.PrimaryHDU(), table]).writeto(out)
    >>> raw = out.getvalue()
    >>> got = read_bintable(raw, split_hdus(raw, 2)[1], ["flux", "name"])
    >>> got["flux"].tolist(), got["name"].tolist()
    ([1.5, 2.5], [b'Vega', b'Dene'])
    """
    layout = _table_columns(hdu)
    row_bytes, n_rows = structural_card(hdu, 3, "NAXIS1"), structural_card(hdu, 4, "NAXIS2")
    if not isinstance(row_bytes, int) or not isinstance(n_rows, int) or row_bytes < 0 \
            or n_rows < 0:
        raise LayoutNotHandled("odd NAXIS1/NAXIS2")
    if hdu.data_start + row_bytes * n_rows > hdu.data_end:
        raise LayoutNotHandled("rows past the data")
    key = (id(layout), row_bytes, tuple(columns))
    dtype = _DTYPE_CACHE.get(key)
    if dtype is None or dtype[0] is not layout:
        dtype = layout, _row_dtype(layout, row_bytes, columns)
        if len(_DTYPE_CACHE) >= _N_LAYOUTS:
            _DTYPE_CACHE.clear()
        _DTYPE_CACHE[key] = dtype
    dtype = dtype[1]
    start, count = 0, n_rows
    if isinstance(rows, slice) and rows.step in (None, 1):
        start, stop, _ = rows.indices(n_rows)
        count, rows = max(stop - start, 0), None
    table = np.frombuffer(hdu.raw if raw is None else raw, dtype=dtype, count=count,
                          offset=hdu.data_start + start * row_bytes)
    if rows is not None:
        table = table[rows]
    return {name: table[name] for name in columns}


_DTYPE_CACHE = {}


def _row_dtype(layout, row_bytes, columns):
    """The numpy record dtype of ``columns`` in rows of ``row_bytes`` bytes."""
    names, forms, scaled, index = layout
    missing = [c for c in columns if c not in index]
    if missing:
        raise LayoutNotHandled(f"no column(s) {missing}")
    wanted = {index[c]: c for c in columns}
    formats, offsets, offset = [], [], 0
    for i in range(max(wanted) + 1):
        width, kind, _ = _tform(forms[i])
        if i in wanted:
            if kind is None or i + 1 in scaled:
                raise LayoutNotHandled(f"column {wanted[i]!r} needs a library")
            formats.append(kind)
            offsets.append(offset)
        offset += width
    if offset > row_bytes:
        raise LayoutNotHandled("columns wider than the rows")
    order = sorted(wanted)
    return np.dtype({"names": [wanted[i] for i in order], "formats": formats,
                     "offsets": offsets, "itemsize": max(row_bytes, 1)})
