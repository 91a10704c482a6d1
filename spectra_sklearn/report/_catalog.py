"""A SQLite catalogue of predictions: one row per spectrum, looked up by any of its ids.

The catalogue is one real file database (stdlib :mod:`sqlite3`) with one table,
``objects``: the spectrum's ids, the true and predicted class, every class's
probability (a JSON object in ``proba``), each branch's prediction for models
with several branches (JSON in ``branches``), the status of the prediction
(``'ok'`` or ``'error'`` with the reason in ``error``) and the path of the
spectrum file. Every id column is indexed, case-insensitively
(``COLLATE NOCASE``), so a lookup by id is a few index probes even on a
catalogue of millions of rows; ids are always bound as query parameters, never
pasted into SQL, so any text a user types is handled as data.

The id columns (:data:`ID_COLUMNS`) take what the readers of
:mod:`spectra_sklearn.io` put in a spectrum's ``meta`` (:func:`ids_from_meta`):

- ``name``: the file name (or the name given for a spectrum not read from a file);
- ``path``: the spectrum file;
- ``sdss_id``: ``PLATE-MJD-FIBERID`` (zero-padded as in SDSS file names),
  with the integers also in ``plate``, ``mjd``, ``fiberid``;
- ``source_key`` and ``data_key``: SpeX Prism Library keys;
- ``designation``: SpeX designation or asteroid designation;
- ``number``: asteroid number; ``object_name``: asteroid or star name (the
  ``OBJECT`` card);
- ``miles_id``: MILES star id; ``object_id``: any other id (CASSIS AOR key,
  ISO TDT, or one the caller gives).

Writing
-------
:func:`write_catalog` writes a whole catalogue at once. To stream rows into a
catalogue in chunks (e.g. while predicting millions of files) use
:class:`CatalogWriter`::

    with CatalogWriter("catalog.sqlite", classes=["M", "L", "T"]) as writer:
        for chunk in chunks:          # each an iterable of row dicts or a DataFrame
            writer.append(chunk)      # inserted and committed per chunk

Rows go to a temporary file beside the destination, committed after each
chunk; the indexes are built and the file renamed into place when the block
ends without error, so a reader never sees a half-written catalogue and an
existing file is never replaced unless ``overwrite=True``. If the block
raises, the temporary file is removed.

A row is a mapping with any of the keys of :data:`ID_COLUMNS`, ``plate``,
``mjd``, ``fiberid``, ``y_true``, ``y_pred``, ``proba`` (mapping class ->
probability, or a sequence in the order of ``classes``), ``branches``
(mapping branch name -> such a mapping), ``status``, ``error`` and ``format``.
Missing keys are NULL.

Reading
-------
:class:`Catalog` opens a catalogue read-only: ``lookup(id)`` (exact, any id
column), ``search(text, limit)`` (prefix then substring matches),
``closest_ids(id)`` (the ids sorting next to one that is not there) and
``summary()`` (accuracy, confusion matrix, reliability bins, the misclassified
objects by confidence).
"""

import contextlib
import json
import math
import os
import sqlite3
import tempfile
import threading
from pathlib import Path

from ._ids import ID_COLUMNS, SDSS_ID_PATTERN, SDSS_INT_COLUMNS, format_sdss_id, ids_from_meta

__all__ = ["ID_COLUMNS", "Catalog", "CatalogWriter", "ids_from_meta", "write_catalog"]

_DATA_COLUMNS = ("y_true", "y_pred", "p_max", "proba", "branches", "status", "error",
                 "format")
_COLUMNS = ID_COLUMNS + SDSS_INT_COLUMNS + _DATA_COLUMNS
_SCHEMA_VERSION = "1"


def _records(rows):
    """Rows as dicts: a pandas DataFrame or an iterable of mappings."""
    if hasattr(rows, "to_dict") and hasattr(rows, "columns"):
        return rows.to_dict(orient="records")
    return [dict(r) for r in rows]


def _none_if_nan(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _proba_json(value, classes):
    if value is None:
        return None, None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        if classes is None:
            raise ValueError("a row gives 'proba' as a sequence but the catalogue has no "
                             "classes to name its entries; pass classes=")
        value = dict(zip(classes, value))
    value = {str(k): round(float(v), 6) for k, v in value.items()}
    return json.dumps(value), (max(value.values()) if value else None)


def _row_values(row, classes):
    row = {k: _none_if_nan(v) for k, v in dict(row).items()}
    unknown = sorted(set(row) - set(_COLUMNS))
    if unknown:
        raise ValueError(f"catalogue rows take the columns {list(_COLUMNS)}; got unknown "
                         f"{unknown}")
    proba, p_max = _proba_json(row.get("proba"), classes)
    branches = row.get("branches")
    if branches is not None and not isinstance(branches, str):
        branches = json.dumps({str(b): json.loads(_proba_json(p, classes)[0])
                               for b, p in branches.items()})
    if all(row.get(k) is not None for k in SDSS_INT_COLUMNS) and row.get("sdss_id") is None:
        row["sdss_id"] = format_sdss_id(*(row[k] for k in SDSS_INT_COLUMNS))
    values = []
    for column in _COLUMNS:
        if column == "proba":
            value = proba
        elif column == "p_max":
            value = row.get("p_max", p_max)
        elif column == "branches":
            value = branches
        elif column == "status":
            value = row.get("status") or ("error" if row.get("error") else "ok")
        else:
            value = row.get(column)
            if column in SDSS_INT_COLUMNS and value is not None:
                value = int(value)
            elif value is not None and column != "p_max":
                value = str(value)
        values.append(value)
    return values


_INSERT = (f"INSERT INTO objects ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")


def create_tables(conn):
    """Create the empty ``objects`` and ``info`` tables (no indexes yet)."""
    columns = ", ".join(
        f"{c} INTEGER" if c in SDSS_INT_COLUMNS else f"{c} REAL" if c == "p_max"
        else f"{c} TEXT COLLATE NOCASE" if c in ID_COLUMNS else f"{c} TEXT"
        for c in _COLUMNS)
    conn.execute(f"CREATE TABLE objects (row INTEGER PRIMARY KEY, {columns})")
    conn.execute("CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT)")


def insert_rows(conn, rows, classes):
    """Insert catalogue rows (mappings or a DataFrame); return how many."""
    values = [_row_values(r, classes) for r in _records(rows)]
    conn.executemany(_INSERT, values)
    return len(values)


def finish_tables(conn, classes, info):
    """Index every id column and store the classes and ``info``."""
    for column in ID_COLUMNS + ("y_true", "y_pred", "p_max"):
        conn.execute(f"CREATE INDEX ix_{column} ON objects ({column})")
    conn.execute("CREATE INDEX ix_sdss ON objects (plate, mjd, fiberid)")
    conn.execute("CREATE INDEX ix_mjd ON objects (mjd)")
    conn.execute("CREATE INDEX ix_fiberid ON objects (fiberid)")
    meta = {"schema": _SCHEMA_VERSION, "classes": json.dumps(classes),
            "info": json.dumps(info or {}, default=str)}
    conn.executemany("INSERT INTO info VALUES (?, ?)", meta.items())


class CatalogWriter:
    """Write a catalogue in chunks: a temporary file, committed per chunk, renamed at the end.

    Parameters
    ----------
    path : str or os.PathLike
        The catalogue to create (its folder must exist), e.g. ``catalog.sqlite``.
    classes : sequence of str, default=None
        The classes in the model's order (names the entries of sequence
        ``proba``; the order of the confusion matrix).
    info : mapping, default=None
        Stored as JSON in the ``info`` table (e.g. the model and its training set).
    overwrite : bool, default=False
        Replace an existing ``path`` when the writer closes.

    Raises
    ------
    FileExistsError
        On creation, if ``path`` exists and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "catalog.sqlite"
    >>> with CatalogWriter(target, classes=["M", "L"]) as writer:
    ...     writer.append([{"name": "a.fits", "y_true": "M", "y_pred": "M",
    ...                     "proba": [0.9, 0.1]}])
    ...     writer.append([{"name": "b.fits", "y_true": "L", "y_pred": "M",
    ...                     "proba": [0.6, 0.4]}])
    1
    2
    >>> [r["name"] for r in Catalog(target).search("fits")]
    ['a.fits', 'b.fits']
    """

    def __init__(self, path, *, classes=None, info=None, overwrite=False):
        self.path = Path(path)
        self.classes = None if classes is None else [str(c) for c in classes]
        self.info = dict(info or {})
        self.overwrite = overwrite
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{self.path} exists; refusing to overwrite it (pass "
                                  "overwrite=True / --force to replace it)")
        fd, self._tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part",
                                         dir=self.path.parent)
        os.close(fd)
        self._conn = sqlite3.connect(self._tmp)
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        create_tables(self._conn)
        self.n_rows = 0
        self._closed = False

    def append(self, rows):
        """Insert ``rows`` (an iterable of mappings or a DataFrame) and commit them.

        Returns
        -------
        int
            The number of rows written so far.
        """
        if self._closed:
            raise ValueError(f"the CatalogWriter of {self.path} is closed")
        with self._conn:
            self.n_rows += insert_rows(self._conn, rows, self.classes)
        return self.n_rows

    def close(self):
        """Build the indexes, write ``info`` and rename the file into place."""
        if self._closed:
            return self.path
        with self._conn:
            finish_tables(self._conn, self.classes, self.info)
        # no ANALYZE: its statistics of all-NULL id columns (e.g. no SDSS ids
        # in a SpeX catalogue) make SQLite scan the table instead of the index
        self._conn.close()
        self._closed = True
        if self.path.exists() and not self.overwrite:
            self.abort()
            raise FileExistsError(f"{self.path} appeared while the catalogue was written; "
                                  "refusing to overwrite it")
        os.chmod(self._tmp, 0o644)
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self):
        """Drop everything written: remove the temporary file."""
        if not self._closed:
            self._conn.close()
            self._closed = True
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._tmp)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_catalog(path, rows, *, classes=None, info=None, overwrite=False):
    """Write ``rows`` to a new SQLite catalogue at ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination, e.g. ``catalog.sqlite``.
    rows : iterable of mapping or pandas.DataFrame
        One per spectrum, with the keys described in the module docstring.
    classes, info, overwrite
        As for :class:`CatalogWriter`.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False (nothing is written).
    ValueError
        If a row has a column the catalogue does not know.
    """
    with CatalogWriter(path, classes=classes, info=info, overwrite=overwrite) as writer:
        writer.append(rows)
    return Path(path)


class Catalog:
    """A catalogue written by :func:`write_catalog`, opened read-only.

    Safe to share between threads (one SQLite connection per thread).

    Parameters
    ----------
    path : str or os.PathLike

    Attributes
    ----------
    classes : list of str or None
    info : dict

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If it is not a catalogue written by this module.
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"catalogue {os.fspath(path)!r} does not exist")
        self._local = threading.local()
        try:
            info = dict(self._conn.execute("SELECT key, value FROM info").fetchall())
            self._conn.execute("SELECT row FROM objects LIMIT 1").fetchall()
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{os.fspath(path)!r} is not a spectra_sklearn catalogue "
                             f"({exc})") from exc
        self.classes = json.loads(info.get("classes") or "null")
        self.info = json.loads(info.get("info") or "{}")
        self._summary = None

    @property
    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=True)
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    def __len__(self):
        return self._conn.execute("SELECT count(*) FROM objects").fetchone()[0]

    @staticmethod
    def _as_dict(row):
        out = {k: row[k] for k in row.keys() if row[k] is not None}
        for key in ("proba", "branches"):
            if key in out:
                out[key] = json.loads(out[key])
        return out

    def get(self, row):
        """The object with catalogue row number ``row`` (dict), or None."""
        found = self._conn.execute("SELECT * FROM objects WHERE row = ?", (int(row),))
        found = found.fetchone()
        return None if found is None else self._as_dict(found)

    def lookup(self, id):
        """Objects one of whose ids equals ``id`` (case-insensitive).

        ``PLATE-MJD-FIBERID`` is matched on the integers, so ``3073-54852-123``
        finds ``3073-54852-0123``.

        Returns
        -------
        list of dict
            Catalogue rows (ids, ``y_true``, ``y_pred``, ``proba`` as a dict, ...),
            in catalogue order; empty when nothing matches.
        """
        text = str(id).strip()
        if not text:
            return []
        found = {}
        match = SDSS_ID_PATTERN.match(text)
        if match and match.group(3):
            plate, mjd, fiberid = (int(g) for g in match.groups())
            for r in self._conn.execute(
                    "SELECT * FROM objects WHERE plate = ? AND mjd = ? AND fiberid = ?",
                    (plate, mjd, fiberid)):
                found[r["row"]] = r
        for column in ID_COLUMNS:
            for r in self._conn.execute(f"SELECT * FROM objects WHERE {column} = ?", (text,)):
                found[r["row"]] = r
        return [self._as_dict(found[k]) for k in sorted(found)]

    def lookup_sdss(self, plate=None, mjd=None, fiberid=None, *, limit=50):
        """Objects matching the SDSS fields given (any of plate, MJD, fibre)."""
        given = [(c, int(v)) for c, v in zip(SDSS_INT_COLUMNS, (plate, mjd, fiberid))
                 if v not in (None, "")]
        if not given:
            return []
        where = " AND ".join(f"{c} = ?" for c, _ in given)
        rows = self._conn.execute(f"SELECT * FROM objects WHERE {where} ORDER BY row LIMIT ?",
                                  [v for _, v in given] + [int(limit)])
        return [self._as_dict(r) for r in rows]

    def search(self, text, limit=20):
        """Candidates for a partial id: exact matches, then prefix, then substring matches.

        Parameters
        ----------
        text : str
            Part of any id (``3073-548`` or ``3073 54852`` for SDSS, part of a
            file name, a designation, ...). ``%`` and ``_`` are literal.
        limit : int, default=20

        Returns
        -------
        list of dict
            At most ``limit`` catalogue rows.
        """
        text = str(text).strip()
        limit = max(1, int(limit))
        if not text:
            return []
        found = {r["row"]: r for r in self.lookup(text)}
        match = SDSS_ID_PATTERN.match(text)
        if match and match.group(2) and len(found) < limit:
            for r in self.lookup_sdss(*match.groups(), limit=limit):
                found.setdefault(r["row"], r)
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        for pattern in (escaped + "%", "%" + escaped + "%"):
            for column in ID_COLUMNS:
                if len(found) >= limit:
                    break
                rows = self._conn.execute(
                    f"SELECT * FROM objects WHERE {column} LIKE ? ESCAPE '\\' "
                    "ORDER BY row LIMIT ?", (pattern, limit - len(found)))
                for r in rows:
                    found.setdefault(r["row"], self._as_dict(r))
        return list(found.values())[:limit]

    def closest_ids(self, id, n=5):
        """Ids in the catalogue that sort next to ``id`` or look most like it.

        For the "not found" answer: the neighbours of ``id`` in each id
        column's index, ranked by similarity (:class:`difflib.SequenceMatcher`).

        Returns
        -------
        list of str
            At most ``n`` ids.
        """
        import difflib

        text = str(id).strip()
        candidates = set()
        for column in ID_COLUMNS:
            if column == "path":
                continue
            for op, order in ((">=", "ASC"), ("<", "DESC")):
                rows = self._conn.execute(
                    f"SELECT {column} FROM objects WHERE {column} {op} ? "
                    f"ORDER BY {column} {order} LIMIT ?", (text, n))
                candidates.update(r[0] for r in rows if r[0] is not None)
        ratio = {c: difflib.SequenceMatcher(None, text.lower(), c.lower()).ratio()
                 for c in candidates}
        return sorted(candidates, key=lambda c: (-ratio[c], c))[:n]

    def summary(self, n_misclassified=200, n_bins=10):
        """Accuracy, per-class scores, confusion matrix, reliability bins, worst errors.

        Computed in SQL over the rows with a true label and a prediction (cached).

        Returns
        -------
        dict
            ``n``, ``accuracy``, ``classes``, ``confusion`` (rows: true,
            columns: predicted), ``per_class`` (precision, recall, F1, support),
            ``reliability`` (per bin of the highest probability: mean
            confidence, accuracy, count) and ``misclassified`` (catalogue rows,
            most confident first).
        """
        if self._summary is not None:
            return self._summary
        conn = self._conn
        counts = conn.execute(
            "SELECT y_true, y_pred, count(*) FROM objects WHERE status = 'ok' AND "
            "y_true IS NOT NULL AND y_pred IS NOT NULL GROUP BY y_true, y_pred").fetchall()
        labels = list(self.classes or [])
        for t, p, _ in counts:
            for c in (t, p):
                if c not in labels:
                    labels.append(c)
        index = {c: i for i, c in enumerate(labels)}
        confusion = [[0] * len(labels) for _ in labels]
        for t, p, k in counts:
            confusion[index[t]][index[p]] += k
        n = sum(k for *_, k in counts)
        correct = sum(confusion[i][i] for i in range(len(labels)))
        per_class = _per_class(labels, confusion)
        bins = conn.execute(
            "SELECT min(CAST(p_max * ? AS INTEGER), ? - 1) AS b, avg(p_max), "
            "avg(y_true = y_pred), count(*) FROM objects WHERE status = 'ok' AND "
            "p_max IS NOT NULL AND y_true IS NOT NULL GROUP BY b ORDER BY b",
            (n_bins, n_bins)).fetchall()
        wrong = conn.execute(
            "SELECT * FROM objects WHERE status = 'ok' AND y_true IS NOT NULL AND "
            "y_true != y_pred ORDER BY p_max DESC, row LIMIT ?", (n_misclassified,))
        self._summary = {
            "n": n, "accuracy": correct / n if n else None, "classes": labels,
            "confusion": confusion, "per_class": per_class,
            "reliability": [{"confidence": c, "accuracy": a, "count": k}
                            for _, c, a, k in bins],
            "misclassified": [self._as_dict(r) for r in wrong],
            "n_objects": len(self),
            "n_errors": conn.execute(
                "SELECT count(*) FROM objects WHERE status != 'ok'").fetchone()[0],
        }
        return self._summary

    def close(self):
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _per_class(labels, confusion):
    """Precision, recall, F1 and support per class from a confusion matrix (counts)."""
    out = []
    for i, label in enumerate(labels):
        tp = confusion[i][i]
        support = sum(confusion[i])
        predicted = sum(row[i] for row in confusion)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append({"class": label, "precision": precision, "recall": recall, "f1": f1,
                    "support": support})
    return out
