"""Many SDSS optical spectra at once, from a table of PLATE-MJD-FIBERID."""

import io
import re
import warnings
from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ._base import download_all, make_frame
from ._download import (
    DEFAULT_TIMEOUT,
    Deadline,
    DownloadError,
    DownloadTimeoutError,
    InvalidFileError,
    RemoteFile,
    fetch_first,
)
from ._home import get_data_home
from ._sdss import _find_local, sdss_spectrum_filename

__all__ = ["DR18_URL", "fetch_sdss_spectra", "parse_sdss_ids"]

#: Science Archive Server of SDSS DR18 (Almeida et al. 2023).
DR18_URL = "https://data.sdss.org/sas/dr18/"
#: Reductions of the SDSS-I/II plates (legacy survey 26, SEGUE-1/2 103, 104)
#: and of the BOSS/eBOSS plates (v5_13_2, the final SDSS-IV reduction).
_LEGACY_RUN2D = ("26", "103", "104")
_EBOSS_RUN2D = "v5_13_2"
#: First BOSS plate number; lower plates are SDSS-I/II (tried first there).
_FIRST_BOSS_PLATE = 3500
_FOLDER = "sdss_spectra"
_ID_TEXT = re.compile(r"(?:spec-)?(\d+)-(\d+)-(\d+)(?:\.fits)?")
#: meta keys of the 'sdss' reader copied into the frame (NaN / '' when absent).
_FRAME_META = (
    ("class", str), ("subclass", str), ("z", float), ("z_err", float),
    ("z_warning", float), ("sn_median_all", float),
    *((f"spectromag_{b}", float) for b in "ugriz"),
    ("ra", float), ("dec", float),
)


def parse_sdss_ids(table):
    """``(plate, mjd, fiberid)`` triples of a table of SDSS spectra.

    Parameters
    ----------
    table : DataFrame, structured array, dict of arrays, list of tuples or list of str
        With columns ``PLATE``, ``MJD``, ``FIBERID`` (any case; ``FIBER``
        also accepted); or ``(plate, mjd, fiberid)`` tuples; or strings
        ``"945-52652-470"`` / ``"spec-0945-52652-0470.fits"``.

    Returns
    -------
    list of tuple of int
        One ``(plate, mjd, fiberid)`` per row, in order.

    Raises
    ------
    ValueError
        If a column is missing, a row cannot be parsed or a number is not a
        positive integer (the row is named), or the table is empty.

    Examples
    --------
    >>> from spectra_sklearn.datasets import parse_sdss_ids
    >>> parse_sdss_ids(["945-52652-470", (2488, 54149, 1)])
    [(945, 52652, 470), (2488, 54149, 1)]
    """
    columns = None
    if hasattr(table, "columns") and not isinstance(table, np.ndarray):  # DataFrame
        columns = {str(c): np.asarray(table[c]) for c in table.columns}
    elif isinstance(table, np.ndarray) and table.dtype.names:
        columns = {name: table[name] for name in table.dtype.names}
    elif isinstance(table, dict):
        columns = {str(k): np.asarray(v) for k, v in table.items()}
    if columns is not None:
        lower = {name.lower(): name for name in columns}
        names = []
        for wanted in (("plate", "plateid"), ("mjd",), ("fiberid", "fiber")):
            found = next((lower[w] for w in wanted if w in lower), None)
            if found is None:
                raise ValueError(
                    f"fetch_sdss_spectra: the table has no {wanted[0].upper()} column; "
                    f"it needs PLATE, MJD and FIBERID; found {list(columns)[:10]}."
                )
            names.append(found)
        rows = list(zip(*(columns[n] for n in names)))
    elif isinstance(table, (list, tuple, np.ndarray)):
        rows = list(table)
    else:
        raise ValueError(
            "fetch_sdss_spectra takes a DataFrame / structured array with PLATE, MJD, "
            "FIBERID columns, a list of (plate, mjd, fiberid) tuples or a list of "
            f"'plate-mjd-fiberid' strings; got {type(table).__name__}."
        )
    if not rows:
        raise ValueError("fetch_sdss_spectra: the table has no rows.")
    ids = []
    for i, row in enumerate(rows):
        if isinstance(row, (str, bytes)):
            text = row.decode() if isinstance(row, bytes) else row
            match = _ID_TEXT.fullmatch(text.strip())
            if match is None:
                raise ValueError(
                    f"fetch_sdss_spectra: row {i} is {row!r}; expected "
                    "'plate-mjd-fiberid' such as '945-52652-470'."
                )
            row = match.groups()
        try:
            values = tuple(row)
            if len(values) != 3:
                raise ValueError
            parsed = tuple(int(v) for v in values)
            if any(float(v) != p for v, p in zip(values, parsed) if not isinstance(v, str)):
                raise ValueError
        except (TypeError, ValueError):
            raise ValueError(
                f"fetch_sdss_spectra: row {i} is {row!r}; expected three integers "
                "(plate, mjd, fiberid)."
            ) from None
        if min(parsed) < 1:
            raise ValueError(
                f"fetch_sdss_spectra: row {i} is {parsed}; plate, MJD and fibre are "
                "positive integers."
            )
        ids.append(parsed)
    return ids


def _remotes(base_url, plate, mjd, fiber, lite):
    name = sdss_spectrum_filename(plate, mjd, fiber)
    dest = f"{_FOLDER}/{'lite/' if lite else ''}{name}"
    kind = "lite" if lite else "full"
    legacy = [
        f"{base_url}spectro/sdss/redux/{run2d}/spectra/{'lite/' if lite else ''}"
        f"{plate:04d}/{name}"
        for run2d in _LEGACY_RUN2D
    ]
    eboss = [f"{base_url}spectro/boss/redux/{_EBOSS_RUN2D}/spectra/{kind}/{plate:04d}/{name}"]
    urls = legacy + eboss if plate < _FIRST_BOSS_PLATE else eboss + legacy
    return [RemoteFile(url, dest) for url in urls]  # SDSS publishes no SHA-256


def _verifier(ids):
    """``verify(data, remote)`` for :func:`fetch_file`: a FITS ``spec`` file with
    a ``COADD`` table (loglam, flux, ivar) and, where the primary header says,
    the PLATE-MJD-FIBERID asked for."""

    def verify(data, remote):
        from astropy.io import fits

        head = data[:60]
        problem = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # odd cards, or no FITS at all
                with fits.open(io.BytesIO(data), memmap=False) as hdul:
                    names = [h.name for h in hdul]
                    if "COADD" not in names:
                        problem = f"a FITS file without a COADD HDU (HDUs {names})"
                    else:
                        columns = {c.lower() for c in hdul["COADD"].columns.names}
                        lacking = {"loglam", "flux", "ivar"} - columns
                        if lacking:
                            problem = f"a COADD table lacking {sorted(lacking)}"
                    header = hdul[0].header
                    found = tuple(header.get(k) for k in ("PLATEID", "MJD", "FIBERID"))
                    if problem is None and all(isinstance(v, int) for v in found) \
                            and found != ids[remote.path]:
                        problem = f"the spectrum {'-'.join(map(str, found))}"
        except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
            problem = f"no FITS file ({exc}; it starts with {head!r})"
        if problem is not None:
            plate, mjd, fiber = ids[remote.path]
            raise InvalidFileError(
                f"{remote.url} sent {problem}, not the SDSS spec file of "
                f"{plate}-{mjd}-{fiber}; nothing was written to the data home. Check "
                "base_url (a proxy or login page answers with HTML) or download the "
                "file by hand."
            )

    return verify


def _frame_columns(ids, spectra):
    columns = {
        "PLATE": np.array([i[0] for i in ids], dtype=np.int64),
        "MJD": np.array([i[1] for i in ids], dtype=np.int64),
        "FIBERID": np.array([i[2] for i in ids], dtype=np.int64),
    }
    for key, kind in _FRAME_META:
        values = [s.meta.get(key) for s in spectra]
        if kind is str:
            columns[key] = np.array(["" if v is None else str(v) for v in values], dtype=str)
        else:
            columns[key] = np.array(
                [np.nan if not isinstance(v, (int, float)) else float(v) for v in values],
                dtype=np.float64,
            )
    return columns


@validate_params(
    {
        "table": "no_validation",  # parse_sdss_ids names the bad row
        "data_home": [str, PathLike, None],
        "base_url": [str],
        "lite": ["boolean"],
        "download_if_missing": ["boolean"],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "timeout": [Interval(Real, 0.0, None, closed="neither")],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "progress": ["boolean"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_sdss_spectra(
    table,
    *,
    data_home=None,
    base_url=DR18_URL,
    lite=True,
    download_if_missing=True,
    n_jobs=4,
    timeout=600.0,
    n_retries=3,
    delay=1.0,
    progress=True,
    as_frame=False,
):
    """Load many SDSS optical spectra by PLATE-MJD-FIBERID, downloading missing ones.

    Each row of ``table`` names one spectrum (plug plate, MJD of the night,
    fibre; York et al. 2000). Files already in ``sdss_spectra/`` of the data
    home -- by their SDSS name, in ``lite/``, or under any name whose primary
    header has the same ``PLATEID``, ``MJD``, ``FIBERID`` -- are used as they
    are. Missing ones are downloaded from the DR18 Science Archive Server
    (Almeida et al. 2023), ``n_jobs`` at a time, with the layout

    * SDSS-I/II plates: ``{base_url}spectro/sdss/redux/{RUN2D}/spectra/lite/
      {plate:04d}/spec-{plate:04d}-{mjd:05d}-{fiberid:04d}.fits`` with RUN2D
      26 (legacy survey), then 103 and 104 (SEGUE);
    * BOSS/eBOSS plates (from 3500): ``{base_url}spectro/boss/redux/v5_13_2/
      spectra/lite/{plate:04d}/spec-...fits``;

    (``full`` / no ``lite/`` for ``lite=False``), each candidate in turn when
    the previous answers 404. Every download goes to a temporary file and is
    checked to be a FITS ``spec`` file -- a ``COADD`` table with ``loglam``,
    ``flux``, ``ivar``, and the PLATE-MJD-FIBERID asked for when the primary
    header gives one -- before it is renamed to
    ``sdss_spectra/lite/spec-PPPP-MMMMM-FFFF.fits``; anything else (an HTML
    error page served with HTTP 200, a truncated file) is refused and not
    stored. Nothing already in the data home is modified.

    Parameters
    ----------
    table : DataFrame, structured array, dict, list of tuple or list of str
        The spectra: columns ``PLATE``, ``MJD``, ``FIBERID`` (any case), or
        ``(plate, mjd, fiberid)`` tuples, or ``"945-52652-470"`` strings
        (see :func:`parse_sdss_ids`). Repeated rows are fetched once.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    base_url : str, default=DR18_URL
        Root of the Science Archive Server (or a mirror with its layout),
        ending in ``/``.
    lite : bool, default=True
        Download the ``spec-lite`` files (coadd, ``SPECOBJ``, lines; ~4x
        smaller) rather than the full ones with each exposure.
    download_if_missing : bool, default=True
        Download missing files; if ``False`` a missing file raises.
    n_jobs : int, default=4
        Files downloaded at the same time (threads).
    timeout : float, default=600.0
        Seconds the whole call may take: no request starts and no transfer
        continues after it (each request also waits at most 60 s for the
        server). Files complete by then are kept; a new call resumes.
    n_retries : int, default=3
        Retries of a download after a transient network error.
    delay : float, default=1.0
        Seconds before the first retry, doubled at each further retry.
    progress : bool, default=True
        Show a tqdm progress bar of the downloads on standard error.
    as_frame : bool, default=False
        ``frame`` as a :class:`pandas.DataFrame` instead of a structured array.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of n_rows spectra
            Read with the ``'sdss'`` reader, in the order of ``table``
            (vacuum wavelength in Å, flux in 1e-17 erg s-1 cm-2 Å-1); each
            ``meta`` holds the ``SPECOBJ`` catalogue columns (``z``,
            ``z_err``, ``sn_median_all``, ``spectroflux_<ugriz>``,
            ``spectromag_<ugriz>``, ``class``, ``subclass``, ...; see
            :mod:`spectra_sklearn.io.sdss`).
        target : ndarray of str of shape (n_rows,)
            The pipeline's ``SUBCLASS`` (e.g. ``'K3'``, ``'A0'``; ``''`` when
            none).
        target_class : ndarray of str of shape (n_rows,)
            The pipeline's ``CLASS`` (``STAR``, ``GALAXY``, ``QSO``).
        frame : structured ndarray or DataFrame of shape (n_rows,)
            ``PLATE``, ``MJD``, ``FIBERID``, then from each spectrum's meta
            ``class``, ``subclass``, ``z``, ``z_err``, ``z_warning``,
            ``sn_median_all``, ``spectromag_u`` ... ``spectromag_z``, ``ra``,
            ``dec`` (NaN / ``''`` when the file lacks them).
        filenames : ndarray of str of shape (n_rows,)
            Path of each file in the data home.
        DESCR : str
            Description and references.

    Raises
    ------
    ValueError
        If ``table`` cannot be read as PLATE-MJD-FIBERID rows (the row is named).
    FileNotFoundError
        If files are missing and ``download_if_missing=False`` (all named).
    spectra_sklearn.datasets.RemoteFileNotFoundError
        If no reduction on the server has some of the spectra (they are
        named; the others are downloaded and kept).
    spectra_sklearn.datasets.DownloadError
        If downloads fail (network, time-out, refused payload -- an
        ``InvalidFileError``, non-writable data home); the files that did
        arrive are kept, so calling again resumes.

    See Also
    --------
    fetch_sdss_spectrum : One spectrum, as a Spectrum.
    spectra_sklearn.preprocessing.MetadataFeatures : The ``SPECOBJ`` columns
        as features next to the flux.

    Notes
    -----
    SDSS data are public; acknowledge SDSS as its data policy asks
    (https://www.sdss.org/collaboration/citing-sdss/) and cite DR18:
    Almeida et al. (2023, ApJS 267, 44).

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_sdss_spectra
    >>> sdss = fetch_sdss_spectra(["945-52652-470", "2488-54149-1"])  # doctest: +SKIP
    >>> sdss.target_class.tolist()  # doctest: +SKIP
    ['STAR', 'GALAXY']
    """
    from ..io import read_spectra

    ids = parse_sdss_ids(table)
    home = get_data_home(data_home)
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    unique = list(dict.fromkeys(ids))
    paths = {i: _find_local(home, *i) for i in unique}
    missing = [i for i in unique if paths[i] is None]
    if missing and not download_if_missing:
        names = ", ".join("-".join(map(str, i)) for i in missing[:5])
        raise FileNotFoundError(
            f"{len(missing)} of the {len(unique)} SDSS spectra are not in "
            f"{home / _FOLDER} ({names}{', ...' if len(missing) > 5 else ''}) and "
            "download_if_missing=False. Call fetch_sdss_spectra with "
            f"download_if_missing=True to download them from {base_url}, or copy "
            "them there by hand."
        )
    if missing:
        _download_all(missing, paths, home, base_url, lite, n_jobs, timeout,
                      n_retries, delay, progress)
    filenames = [paths[i] for i in ids]
    data = read_spectra([str(p) for p in filenames], format="sdss")
    spectra = data.spectra
    columns = _frame_columns(ids, spectra)
    return Bunch(
        data=data,
        target=columns["subclass"].copy(),
        target_class=columns["class"].copy(),
        frame=make_frame(columns, as_frame=as_frame, caller="fetch_sdss_spectra"),
        filenames=np.array([str(p) for p in filenames], dtype=str),
        DESCR=_DESCR,
    )


def _download_all(missing, paths, home, base_url, lite, n_jobs, timeout, n_retries,
                  delay, progress):
    """Download ``missing`` ids into ``paths`` (threads); raise on failures."""
    deadline = Deadline.after(timeout, "fetch_sdss_spectra")
    remotes = {i: _remotes(base_url, *i, lite) for i in missing}
    verify = _verifier({r.path: i for i, rs in remotes.items() for r in rs})

    def get(i):
        return Path(fetch_first(
            remotes[i], home, n_retries=n_retries, delay=delay,
            timeout=min(DEFAULT_TIMEOUT, timeout), fetcher="fetch_sdss_spectra",
            verify=verify, deadline=deadline,
        ))

    try:
        results = download_all(missing, get, n_jobs=n_jobs, progress=progress,
                               desc="SDSS spectra", home=home)
    except DownloadTimeoutError as exc:
        late = [i for i in missing if _find_local(home, *i) is None]
        names = ", ".join("-".join(map(str, i)) for i in late[:5])
        raise DownloadTimeoutError(
            f"{exc} Still missing: {len(late)} SDSS spectra ({names}"
            f"{', ...' if len(late) > 5 else ''})."
        ) from None
    failures = {}
    for i, result in zip(missing, results):
        if isinstance(result, Exception):
            failures[i] = result
        else:
            paths[i] = result
    if failures:
        kinds = {type(e) for e in failures.values()}
        cls = kinds.pop() if len(kinds) == 1 else DownloadError
        listed = "; ".join(
            f"{'-'.join(map(str, i))}: {e}" for i, e in list(failures.items())[:3]
        )
        raise cls(
            f"{len(failures)} of the {len(missing)} SDSS spectra to download failed "
            f"({listed}{'; ...' if len(failures) > 3 else ''}). The "
            f"{len(missing) - len(failures)} that arrived are in {home / _FOLDER}; calling "
            "fetch_sdss_spectra again downloads only what is still missing."
        ) from next(iter(failures.values()))


_DESCR = """\
.. _sdss_spectra_dataset:

SDSS optical spectra by PLATE-MJD-FIBERID
-----------------------------------------

Spectra of the Sloan Digital Sky Survey chosen by the user (one row per
PLATE-MJD-FIBERID), read from the ``spec`` / ``spec-lite`` files of the Data
Release 18 Science Archive Server (Almeida et al. 2023, ApJS 267, 44): the
coadded flux (3,800-9,200 Å for SDSS-I/II, 3,600-10,400 Å for BOSS), its
inverse variance and mask, and the ``SPECOBJ`` row of the spectroscopic
pipeline (Bolton et al. 2012, AJ 144, 144): ``CLASS``, ``SUBCLASS``,
redshift ``Z`` and ``Z_ERR``, ``SN_MEDIAN_ALL``, and ``SPECTROFLUX`` -- the
spectrum integrated over the ugriz filters, in nanomaggies -- with the
magnitudes derived from it.

SDSS data are public: acknowledge SDSS as its data policy asks
(https://www.sdss.org/collaboration/citing-sdss/) and cite the data release.
"""
