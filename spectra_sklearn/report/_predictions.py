"""Turn the ``predictions`` table of ``spectra-sklearn predict --output x.sqlite`` into a catalogue.

:func:`~spectra_sklearn.predict_files` streams its rows into a table
``predictions`` (name, predicted, probability_<class>..., status, error),
one transaction per chunk, so that a killed run can resume. When the run is
complete, :func:`add_catalog` adds the catalogue tables of
:mod:`spectra_sklearn.report._catalog` (``objects`` with every id indexed,
``info``) to the same file, in one transaction: ``spectra-sklearn serve``
then serves it. The ids come from each file's name (:func:`ids_from_path`),
since the streamed table keeps no metadata.
"""

import os
import re
import sqlite3

from ._catalog import create_tables, finish_tables, insert_rows

__all__ = ["add_catalog", "ids_from_path"]

_PATTERNS = (
    (re.compile(r"spec-(\d+)-(\d+)-(\d+)", re.IGNORECASE), ("plate", "mjd", "fiberid")),
    (re.compile(r"^(\d+)_(\d+)"), ("data_key", "source_key")),
    (re.compile(r"^m(\d{4})V?", re.IGNORECASE), ("miles_id",)),
)


def ids_from_path(path):
    """Ids carried by a spectrum file's name (SDSS ``spec-PLATE-MJD-FIBERID``, SpeX
    ``DATAKEY_SOURCEKEY``, MILES ``mNNNN``, SMASSII asteroid files).

    Examples
    --------
    >>> ids_from_path("/d/spec-3073-54852-0123.fits")["sdss_id"]
    '3073-54852-0123'
    >>> ids_from_path("10013_11416.fits.gz")["source_key"]
    '11416'
    """
    text = os.fspath(path)
    name = os.path.basename(text)
    ids = {"name": name, "path": text}
    for pattern, columns in _PATTERNS:
        match = pattern.search(name) if columns[0] == "plate" else pattern.match(name)
        if match:
            if columns[0] == "plate":
                ids.update(zip(columns, (int(g) for g in match.groups())))
                ids["sdss_id"] = f"{ids['plate']:04d}-{ids['mjd']:05d}-{ids['fiberid']:04d}"
            else:
                ids.update(zip(columns, match.groups()))
            return ids
    if re.match(r"^a\d{6}\.|^au", name):
        from ..io.smass import designation_from_name

        number, designation, _ = designation_from_name(name)
        ids.update(designation=designation, number=None if number is None else str(number))
    return ids


def add_catalog(path, *, info=None, chunk_size=50_000):
    """Add the catalogue tables to a SQLite file holding a ``predictions`` table.

    Replaces catalogue tables an earlier call added (a resumed run is
    catalogued again, whole). Done in one transaction: a failure leaves the
    file as it was.

    Parameters
    ----------
    path : str or os.PathLike
        The ``--output`` of ``spectra-sklearn predict``.
    info : mapping, default=None
        Stored with the catalogue (e.g. the model file).

    Returns
    -------
    int
        The number of objects catalogued.

    Raises
    ------
    ValueError
        If the file has no ``predictions`` table.
    """
    conn = sqlite3.connect(path)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(predictions)")]
        if "name" not in columns:
            raise ValueError(f"{os.fspath(path)!r} has no 'predictions' table written by "
                             "'spectra-sklearn predict'")
        classes = [c[len("probability_"):] for c in columns if c.startswith("probability_")]
        n = 0
        with conn:
            conn.execute("DROP TABLE IF EXISTS objects")
            conn.execute("DROP TABLE IF EXISTS info")
            create_tables(conn)
            cursor = conn.execute("SELECT * FROM predictions ORDER BY row")
            while True:
                batch = cursor.fetchmany(chunk_size)
                if not batch:
                    break
                rows = []
                for record in batch:
                    r = dict(zip(columns, record))
                    row = ids_from_path(r["name"])
                    row.update(y_pred=r.get("predicted"), status=r.get("status") or "ok",
                               error=r.get("error"))
                    if classes and r.get("status", "ok") == "ok":
                        row["proba"] = {c: r[f"probability_{c}"] for c in classes
                                        if r[f"probability_{c}"] is not None} or None
                    rows.append(row)
                n += insert_rows(conn, rows, classes or None)
            finish_tables(conn, classes or None, dict(info or {}, source="predict"))
        return n
    finally:
        conn.close()
