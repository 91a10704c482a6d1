"""Put the columns of a catalogue table into each spectrum's metadata."""

import math

import numpy as np

from .._batch import SpectrumBatch, as_spectrum_batch
from .._spectrum import Spectrum
from ._base import spectrum_label
from ._inputs import is_spectra

__all__ = ["add_metadata"]


def _table_columns(table):
    """``{name: 1-D ndarray}`` of a DataFrame, structured array or dict."""
    if hasattr(table, "columns") and not isinstance(table, np.ndarray):
        return {str(c): np.asarray(table[c]) for c in table.columns}
    if isinstance(table, np.ndarray) and table.dtype.names:
        return {name: np.asarray(table[name]) for name in table.dtype.names}
    if isinstance(table, dict):
        return {str(k): np.asarray(v) for k, v in table.items()}
    raise TypeError(
        "add_metadata: 'table' must be a DataFrame, a structured array or a dict of "
        f"1-D columns; got {type(table).__name__}."
    )


def _cell(value):
    return value.item() if isinstance(value, np.generic) else value


def add_metadata(spectra, table, *, on=None, unmatched="raise", overwrite=False):
    """Copy of ``spectra`` with the columns of a catalogue table in each ``meta``.

    For catalogue values that are not in the files (a CSV of photometry, a
    cross-match): each row of ``table`` goes into the ``meta`` of its spectrum,
    so that :class:`MetadataFeatures` can read it and no hand-aligned array
    is needed.

    Parameters
    ----------
    spectra : SpectrumBatch or list of Spectrum
        The spectra; they are not modified.
    table : DataFrame, structured array or dict of 1-D array-like
        One column per metadata key to add.
    on : str, default=None
        ``None``: row ``i`` of ``table`` belongs to spectrum ``i`` (same
        number of rows required). A key name: each spectrum's ``meta[on]`` is
        looked up in the column ``table[on]`` (unique values required).
    unmatched : {'raise', 'nan'}, default='raise'
        With ``on``: a spectrum whose key is not in the table raises, or gets
        NaN (missing) for every added column.
    overwrite : bool, default=False
        Whether a column may replace a ``meta`` key the spectrum already has
        with a different value; by default that raises.

    Returns
    -------
    SpectrumBatch
        The same spectra (same order, same arrays) with the added ``meta``.

    Raises
    ------
    ValueError
        If the number of rows differs from the number of spectra (``on=None``),
        a spectrum lacks ``meta[on]`` or has a key not in the table
        (``unmatched='raise'``), ``table[on]`` has repeated values, or a
        column would overwrite a different existing value; each message
        names the spectrum (``meta['source']``) and the key.
    TypeError
        If ``spectra`` or ``table`` is of the wrong type.

    Examples
    --------
    >>> from spectra_sklearn import Spectrum
    >>> from spectra_sklearn.preprocessing import add_metadata
    >>> spectra = [Spectrum([1.0, 2.0], [1.0, 1.0], meta={"id": 7}),
    ...            Spectrum([1.0, 2.0], [1.0, 1.0], meta={"id": 3})]
    >>> batch = add_metadata(spectra, {"id": [3, 7], "J": [14.2, 15.1]}, on="id")
    >>> [m["J"] for m in batch.meta]
    [15.1, 14.2]
    """
    if not is_spectra(spectra):
        raise TypeError(
            "add_metadata: 'spectra' must be a SpectrumBatch or a list of Spectrum; "
            f"got {type(spectra).__name__}."
        )
    if unmatched not in ("raise", "nan"):
        raise ValueError(f"add_metadata: unmatched must be 'raise' or 'nan'; got {unmatched!r}.")
    batch, _ = as_spectrum_batch(spectra)
    columns = _table_columns(table)
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"add_metadata: the table's columns differ in length: {lengths}.")
    n_rows = next(iter(lengths.values()), 0)
    metas = [dict(m) for m in batch.meta]
    if on is None:
        if n_rows != len(batch):
            raise ValueError(
                f"add_metadata: the table has {n_rows} rows for {len(batch)} spectra; "
                "with on=None row i must belong to spectrum i. Pass on='<key>' to "
                "match rows by a metadata key (e.g. on='SOURCE_KEY'), or select the "
                "rows of these spectra."
            )
        rows = list(range(n_rows))
    else:
        if on not in columns:
            raise ValueError(f"add_metadata: the table has no column {on!r} (on=); it has "
                             f"{list(columns)[:12]}.")
        index = {}
        for i, value in enumerate(columns[on].tolist()):
            if value in index:
                raise ValueError(f"add_metadata: {on}={value!r} is in rows {index[value]} "
                                 f"and {i} of the table; the key must be unique.")
            index[value] = i
        rows = []
        for k, meta in enumerate(metas):
            if on not in meta:
                raise ValueError(
                    f"add_metadata: {spectrum_label(meta, k)} has no meta[{on!r}] to "
                    "match the table on."
                )
            key = _cell(meta[on])
            if key not in index and unmatched == "raise":
                raise ValueError(
                    f"add_metadata: {spectrum_label(meta, k)} has {on}={key!r}, which is "
                    "not in the table. Add its row, or pass unmatched='nan' to give it "
                    "missing values."
                )
            rows.append(index.get(key))
    added = [name for name in columns if name != on]
    for k, (meta, row) in enumerate(zip(metas, rows)):
        for name in added:
            value = math.nan if row is None else _cell(columns[name][row])
            old = meta.get(name, value)
            same = old is value or (np.ndim(old) == 0 and np.ndim(value) == 0 and (
                old == value or (isinstance(old, float) and isinstance(value, float)
                                 and math.isnan(old) and math.isnan(value))))
            if name in meta and not same and not overwrite:
                raise ValueError(
                    f"add_metadata: {spectrum_label(meta, k)} already has "
                    f"meta[{name!r}] = {old!r}; the table gives {value!r}. Pass "
                    "overwrite=True to replace it, or rename the column."
                )
            meta[name] = value
    if batch.on_common_grid:
        return SpectrumBatch.from_arrays(
            batch.wavelength, batch.flux, batch.ivar, batch.mask,
            wavelength_unit=batch.wavelength_unit, flux_unit=batch.flux_units, meta=metas,
        )
    return SpectrumBatch([
        Spectrum(s.wavelength, s.flux, s.ivar, s.mask, wavelength_unit=s.wavelength_unit,
                 flux_unit=s.flux_unit, meta=meta)
        for s, meta in zip(batch.spectra, metas)
    ])
