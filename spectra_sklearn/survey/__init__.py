"""Classify survey-sized lists of spectrum files: chunked, resumable, parallel.

:func:`predict_files` streams files through a fitted pipeline in chunks --
each file read and preprocessed once, failures recorded as rows, the table
written chunk by chunk to CSV, Parquet or SQLite, on local processes or a
Dask cluster. ``spectra-sklearn predict`` is its command line.
"""

from ._chunk import STATUSES
from ._predict import PredictFilesResult, predict_files

__all__ = ["STATUSES", "PredictFilesResult", "predict_files"]
