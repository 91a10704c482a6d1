"""Prediction tables written chunk by chunk, so that a killed run leaves a valid file.

- **CSV** (``*.csv``): the header once, then each chunk appended in one
  ``write``, flushed and ``fsync``-ed. A run killed during a write can leave
  a partial last line; :meth:`CSVWriter.resume` cuts it off, so the file
  then holds exactly the complete rows.
- **Parquet** (``*.parquet``): a *directory* dataset, one file per chunk
  (``part-000000.parquet``, ``part-000001.parquet``, ...), each written to
  a hidden temporary name, ``fsync``-ed and renamed into place. A single
  Parquet file cannot be appended to safely: its footer (the schema and the
  row-group index) is written last, so a killed
  :class:`pyarrow.parquet.ParquetWriter` leaves a file no reader opens.
  ``pyarrow.parquet.read_table("out.parquet")`` (or pandas, polars, DuckDB,
  Spark) reads the directory as one table, parts in name order = input
  order, and ignores the hidden temporary files.
- **SQLite** (``*.sqlite``, ``*.db``): rows inserted in one transaction per
  chunk; a killed run keeps the committed chunks (see :class:`SQLiteWriter`).

Every writer lists the files it already holds (``resume``), which
:func:`~spectra_sklearn.predict_files` skips with ``resume=True``.
"""

import csv
import io
import os
import shutil
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np

__all__ = ["CSVWriter", "ParquetWriter", "SQLiteWriter", "columns_for", "open_writer"]


def columns_for(classes, has_proba):
    """The table's columns: name, predicted, [probability, probability_<class>...],
    status, error."""
    columns = ["name", "predicted"]
    if has_proba:
        columns += ["probability"] + [f"probability_{c}" for c in classes]
    return columns + ["status", "error"]


def _rows(names, result):
    """``(name, predicted, probability, p_1..p_k, status, error)`` tuples; None = missing."""
    proba = result.proba
    best = None
    if proba is not None:
        with np.errstate(invalid="ignore"):
            best = np.where(np.isnan(proba).all(axis=1), np.nan,
                            np.nanmax(np.where(np.isnan(proba), -np.inf, proba), axis=1))
    for i, name in enumerate(names):
        ok = result.status[i] == "ok"
        row = [name, str(result.predicted[i]) if ok else None]
        if proba is not None:
            row += [float(best[i]) if ok else None]
            row += [float(p) if ok else None for p in proba[i]]
        row += [result.status[i], result.error[i]]
        yield row


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory descriptors
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class CSVWriter:
    """Append chunks of rows to a CSV file, durably (one fsync per chunk).

    Probabilities are written with 6 decimals; a failed file's predicted
    class and probabilities are empty.
    """

    suffixes = (".csv",)

    def __init__(self, path, columns):
        self.path = Path(path)
        self.columns = list(columns)
        self._file = None

    def exists(self):
        return self.path.exists()

    def remove(self):
        self.path.unlink()

    def resume(self):
        """Names already written (a Counter); cuts off a partial last line first.

        Raises
        ------
        ValueError
            If the file's header is not this table's (another model wrote it).
        """
        with open(self.path, "rb") as f:
            data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a write cut short by a kill
            with open(self.path, "r+b") as f:
                f.truncate(end)
            data = data[:end]
        if not data:
            return Counter()
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        header = next(reader)
        if header != self.columns:
            raise ValueError(
                f"cannot resume {self.path}: its columns {header} are not those of this "
                f"model's predictions {self.columns}; choose another output, or --force"
            )
        return Counter(row[0] for row in reader if row)

    def open(self):
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._file = open(self.path, "a", newline="", encoding="utf-8")
        if new:
            self._write_text(self._format([self.columns]))

    def _format(self, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in rows:
            writer.writerow(["" if v is None else f"{v:.6f}" if isinstance(v, float) else v
                             for v in row])
        return buffer.getvalue()

    def _write_text(self, text):
        self._file.write(text)
        self._file.flush()
        os.fsync(self._file.fileno())

    def write(self, names, result):
        self._write_text(self._format(_rows(names, result)))

    def close(self):
        if self._file is not None:
            self._file.close()
            self._file = None


class ParquetWriter:
    """Write each chunk as one part file of a Parquet directory dataset.

    Needs pyarrow (``pip install 'spectra_sklearn[parquet]'``).
    """

    suffixes = (".parquet", ".pq")

    def __init__(self, path, columns):
        try:
            import pyarrow
        except ImportError as exc:
            raise ImportError(
                f"writing {os.fspath(path)!r} needs pyarrow: pip install "
                "'spectra_sklearn[parquet]' (or write a .csv)"
            ) from exc
        self._pa = pyarrow
        self.path = Path(path)
        self.columns = list(columns)
        types = {"name": pyarrow.string(), "predicted": pyarrow.string(),
                 "status": pyarrow.string(), "error": pyarrow.string()}
        self.schema = pyarrow.schema([(c, types.get(c, pyarrow.float64())) for c in columns])
        self._next = 0

    def _parts(self):
        return sorted(self.path.glob("part-*.parquet"))

    def exists(self):
        return self.path.exists()

    def remove(self):
        if self.path.is_file():
            self.path.unlink()
            return
        others = [p for p in self.path.iterdir()
                  if not (p.name.startswith("part-") or p.name.startswith("."))]
        if others:
            raise FileExistsError(
                f"{self.path} holds files that predict_files did not write "
                f"({others[0].name}, ...); not removing it"
            )
        shutil.rmtree(self.path)

    def resume(self):
        import pyarrow.parquet as pq

        if self.path.is_file():
            raise ValueError(
                f"cannot resume {self.path}: it is a single Parquet file, not the directory "
                "of parts predict_files writes; choose another output, or --force"
            )
        for stale in self.path.glob(".part-*.tmp"):  # a write cut short by a kill
            stale.unlink()
        done = Counter()
        parts = self._parts()
        for part in parts:
            schema = pq.read_schema(part)
            if schema.names != self.columns:
                raise ValueError(
                    f"cannot resume {self.path}: {part.name} has the columns {schema.names}, "
                    f"not those of this model's predictions {self.columns}; choose another "
                    "output, or --force"
                )
            done.update(pq.read_table(part, columns=["name"]).column("name").to_pylist())
        if parts:
            self._next = int(parts[-1].name[len("part-"):-len(".parquet")]) + 1
        return done

    def open(self):
        self.path.mkdir(parents=False, exist_ok=True)

    def write(self, names, result):
        import pyarrow.parquet as pq

        rows = list(_rows(names, result))
        arrays = [self._pa.array([row[j] for row in rows], type=field.type)
                  for j, field in enumerate(self.schema)]
        table = self._pa.Table.from_arrays(arrays, schema=self.schema)
        name = f"part-{self._next:06d}.parquet"
        tmp = self.path / f".{name}.tmp"
        with open(tmp, "wb") as f:
            pq.write_table(table, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / name)
        _fsync_dir(self.path)
        self._next += 1

    def close(self):
        pass


class SQLiteWriter:
    """Insert each chunk into table ``predictions`` of a SQLite file, one transaction each.

    SQLite's journal makes each committed chunk durable and a killed run's
    last, uncommitted chunk vanish: the file always holds whole chunks.
    """

    suffixes = (".sqlite", ".sqlite3", ".db")
    table = "predictions"

    def __init__(self, path, columns):
        self.path = Path(path)
        self.columns = list(columns)
        self._db = None

    def exists(self):
        return self.path.exists()

    def remove(self):
        self.path.unlink()

    def _connect(self):
        db = sqlite3.connect(self.path)
        db.execute("PRAGMA synchronous=FULL")
        return db

    def resume(self):
        db = self._connect()
        try:
            found = [r[1] for r in db.execute(f"PRAGMA table_info({self.table})")]
            if not found:
                return Counter()
            if found != ["row"] + self.columns:
                raise ValueError(
                    f"cannot resume {self.path}: its table {self.table!r} has the columns "
                    f"{found[1:]}, not those of this model's predictions {self.columns}; "
                    "choose another output, or --force"
                )
            return Counter(r[0] for r in db.execute(f"SELECT name FROM {self.table}"))
        finally:
            db.close()

    def open(self):
        self._db = self._connect()
        cols = ", ".join(
            f'"{c}" {"REAL" if c.startswith("probability") else "TEXT"}' for c in self.columns)
        with self._db:
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (row INTEGER PRIMARY KEY, {cols})")

    def write(self, names, result):
        marks = ", ".join("?" * len(self.columns))
        cols = ", ".join(f'"{c}"' for c in self.columns)
        with self._db:  # one transaction per chunk
            self._db.executemany(
                f"INSERT INTO {self.table} ({cols}) VALUES ({marks})", _rows(names, result))

    def close(self):
        if self._db is not None:
            self._db.close()
            self._db = None


_WRITERS = (CSVWriter, ParquetWriter, SQLiteWriter)


def open_writer(path, columns):
    """The writer for ``path``'s suffix.

    Raises
    ------
    ValueError
        If the suffix is not one of ``.csv``, ``.parquet``/``.pq``, or
        ``.sqlite``/``.sqlite3``/``.db``.
    """
    suffix = Path(path).suffix.lower()
    for cls in _WRITERS:
        if suffix in cls.suffixes:
            return cls(path, columns)
    known = ", ".join(s for cls in _WRITERS for s in cls.suffixes)
    raise ValueError(
        f"output {os.fspath(path)!r}: cannot tell the format from its suffix "
        f"{suffix or '(none)'!r}; use one of {known}"
    )
