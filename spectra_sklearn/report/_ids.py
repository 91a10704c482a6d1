"""The ids a catalogue row is found by, from the ``meta`` each reader fills.

File name and path, the SDSS plate-MJD-fibre triple (``sdss_id``), SpeX
source and data keys, designations, asteroid numbers, object names, MILES
ids and Spitzer/ISO observation ids: the columns :class:`Catalog` looks up.
"""

import os
import re

__all__ = ["ID_COLUMNS", "SDSS_ID_PATTERN", "SDSS_INT_COLUMNS", "format_sdss_id",
           "ids_from_meta"]

ID_COLUMNS = ("name", "path", "sdss_id", "source_key", "data_key", "designation",
              "number", "object_name", "miles_id", "object_id")
SDSS_INT_COLUMNS = ("plate", "mjd", "fiberid")
# a plate, optionally its MJD and fibre, separated by - / , : or spaces
SDSS_ID_PATTERN = re.compile(
    r"^\s*(\d{1,6})(?:\s*[-/,: ]\s*(\d{1,6}))?(?:\s*[-/,: ]\s*(\d{1,5}))?\s*$")


def format_sdss_id(plate, mjd, fiberid):
    """``PPPP-MMMMM-FFFF``, the SDSS spectrum id of a plate, MJD and fibre."""
    return f"{int(plate):04d}-{int(mjd):05d}-{int(fiberid):04d}"


def ids_from_meta(meta, *, path=None, name=None):
    """The catalogue ids of one spectrum, from the ``meta`` its reader filled.

    Parameters
    ----------
    meta : mapping
        ``Spectrum.meta`` (keys such as ``source``, ``plate``/``mjd``/``fiberid``
        (SDSS), ``source_key``/``data_key`` (SpeX), ``designation``, ``number``,
        ``name``/``object``, ``miles_id``, ``aorkey``, ``tdt``).
    path : str or os.PathLike, default=None
        The spectrum file (default: ``meta['source']``).
    name : str, default=None
        Its name (default: the file name of ``path``).

    Returns
    -------
    dict
        Keys among :data:`ID_COLUMNS` and ``plate``, ``mjd``, ``fiberid``;
        values are str (ids) or int (the SDSS integers). Absent ids are left out.

    Examples
    --------
    >>> ids_from_meta({"source": "/d/spec-3073-54852-0123.fits", "plate": 3073,
    ...                "mjd": 54852, "fiberid": 123})["sdss_id"]
    '3073-54852-0123'
    """
    meta = dict(meta or {})
    path = path if path is not None else meta.get("source")
    ids = {}
    if path is not None:
        ids["path"] = os.fspath(path)
        ids["name"] = os.path.basename(os.fspath(path))
    if name is not None:
        ids["name"] = str(name)
    sdss = [meta.get(k) for k in SDSS_INT_COLUMNS]
    if all(isinstance(v, (int, float)) or (isinstance(v, str) and v.isdigit())
           for v in sdss) and all(v is not None for v in sdss):
        ids.update(zip(SDSS_INT_COLUMNS, (int(v) for v in sdss)))
        ids["sdss_id"] = format_sdss_id(*sdss)
    for column, keys in (("source_key", ("source_key",)), ("data_key", ("data_key",)),
                         ("designation", ("designation",)), ("number", ("number",)),
                         ("object_name", ("name", "object")), ("miles_id", ("miles_id",)),
                         ("object_id", ("object_id", "aorkey", "tdt"))):
        for key in keys:
            value = meta.get(key)
            if value is not None and str(value).strip():
                ids[column] = str(value).strip()
                break
    return ids
