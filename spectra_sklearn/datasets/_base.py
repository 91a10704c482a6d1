"""Helpers shared by the dataset loaders: metadata tables and descriptions."""

from importlib import resources

import numpy as np
from sklearn.utils._optional_dependencies import check_pandas_support

__all__ = ["load_descr", "make_frame"]


def load_descr(name):
    """Return the text of ``descr/<name>`` shipped with the package."""
    path = resources.files(__package__).joinpath("descr", name)
    return path.read_text(encoding="utf-8")


def make_frame(columns, *, as_frame, caller):
    """Build the metadata table of a dataset from equal-length 1-D columns.

    Parameters
    ----------
    columns : dict of str to array-like
        Column name to values, in display order. Text columns become unicode
        (``U``) fields, numeric and boolean columns keep their dtype.
    as_frame : bool
        ``True`` for a :class:`pandas.DataFrame` (pandas is then required),
        ``False`` for a numpy structured array with the same fields.
    caller : str
        Name of the calling loader, for the error raised without pandas.

    Returns
    -------
    numpy.ndarray or pandas.DataFrame
        Structured array of shape (n_rows,) or a DataFrame of n_rows rows.
    """
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    n = {a.shape for a in arrays.values()}
    if len(n) > 1:  # pragma: no cover - programming error
        raise ValueError(f"Columns of different lengths: {n}.")
    if as_frame:
        pd = check_pandas_support(f"{caller} with as_frame=True")
        return pd.DataFrame({name: a for name, a in arrays.items()})
    n_rows = next(iter(n))[0] if n else 0
    dtype = []
    for name, a in arrays.items():
        if a.dtype.kind in "USO":
            a = a.astype(str)
            width = max(1, int(np.char.str_len(a).max())) if a.size else 1
            dtype.append((name, f"U{width}"))
        else:
            dtype.append((name, a.dtype))
    frame = np.empty(n_rows, dtype=dtype)
    for name, a in arrays.items():
        frame[name] = a
    return frame
