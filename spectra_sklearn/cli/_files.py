"""File lists for ``fit`` and ``predict`` (the predictions are written by
:func:`spectra_sklearn.predict_files`)."""

import csv
from pathlib import Path

import numpy as np

__all__ = ["read_training_table", "read_path_list"]


def read_training_table(path):
    """Read a CSV with columns ``path`` and ``label`` (and optionally ``group``).

    Relative paths are taken relative to the table's folder.

    Returns
    -------
    paths : list of str
    labels : ndarray of str
    groups : ndarray or None

    Raises
    ------
    ValueError
        If the table lacks a ``path`` or ``label`` column, has no rows, or a
        row whose path or label is missing or empty (naming the line).
    """
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        missing = [c for c in ("path", "label") if c not in fields]
        if missing:
            raise ValueError(
                f"{path}: a training table needs the columns 'path' and 'label' "
                f"(and optionally 'group'); missing {missing}, found {fields}"
            )
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: the training table has no rows")
    for line, row in enumerate(rows, start=2):
        for column in ("path", "label"):
            value = row.get(column)
            if value is None or not value.strip():
                raise ValueError(
                    f"{path}, line {line}: the {column!r} is "
                    f"{'missing (a short row)' if value is None else 'empty'}; every "
                    "row needs a spectrum path and its label")
    paths = [str(path.parent / row["path"]) for row in rows]
    labels = np.asarray([row["label"] for row in rows])
    groups = np.asarray([row["group"] for row in rows]) if "group" in fields else None
    return paths, labels, groups


def read_path_list(path):
    """Read one file path per line (blank lines and ``#`` comments ignored).

    Relative paths are taken relative to the list's folder.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for line in f]
    return [str(path.parent / line) for line in lines if line and not line.startswith("#")]
