"""ISO SWS atlas spectra (Sloan et al. 2003) with the Kraemer et al. (2002) classes."""

from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._batch import SpectrumBatch
from ._base import MISSING_OPTIONS, fetch_spectrum_files, load_descr, make_frame, read_csv_rows
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_file,
    github_raw_url,
)
from ._home import get_data_home

__all__ = ["KRAEMER_GROUPS", "fetch_iso_sws"]

#: Where G. C. Sloan distributes the atlas: one ``<TDT>_sws.fit`` per spectrum
#: (no checksums are published).
ATLAS_URL = "https://users.physics.unc.edu/~gcsloan/library/swsatlas/"
#: The class table as distributed by swsnet (BSD-3), at a fixed commit.
_LABELS_REPOSITORY = "mattjshannon/swsnet"
_LABELS_COMMIT = "ea27ab708b9e626074da11476bfa31f617339c68"
_LABELS_PATH = "data/isosws_atlas/preprocess/step0_fits_to_pkl/isosws_misc/"
#: The corrected table (``kraemer_class.csv`` beside it is spreadsheet-mangled:
#: 65 groups read ``'06:00:00 AM'``, ``'12:00:00 AM'``, ``'7e:'``...).
_LABELS = (
    "kraemer_class_fixed.csv",
    "89eac0040ade1747e626df46c9a7b37009ac62c83ac5db613c8166ad373edf7c",
)
_FOLDER = "iso_sws"

#: Kraemer et al. (2002) group number -> meaning.
KRAEMER_GROUPS = {
    "1": "naked stars",
    "2": "stars with dust",
    "3": "warm dusty objects",
    "4": "cool dusty objects",
    "5": "very red objects",
    "6": "continuum-free objects with emission lines",
    "7": "flux-free and/or fatally flawed spectra",
}


def _label_remote():
    filename, sha256 = _LABELS
    return RemoteFile(
        github_raw_url(_LABELS_REPOSITORY, _LABELS_COMMIT, _LABELS_PATH + filename),
        f"{_FOLDER}/labels/{filename}",
        sha256,
    )


def _spectrum_remote(tdt):
    name = f"{tdt:08d}_sws.fit"
    return RemoteFile(ATLAS_URL + name, f"{_FOLDER}/spectra/{name}")


def _parse_labels(path):
    required = ("object_name", "tdt", "full_classifier", "group", "subgroup")
    _, rows = read_csv_rows(path, delimiter=";", required=required)
    for lineno, row in enumerate(rows, 2):
        if not row["tdt"].isdigit() or row["group"] not in KRAEMER_GROUPS:
            raise ValueError(
                f"{path}, line {lineno}: expected an integer TDT and a group 1-7; found "
                f"tdt={row['tdt']!r}, group={row['group']!r}."
            )
    return rows


@document_download_params(timeout=3600.0)
@validate_params(
    {
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "load_spectra": ["boolean"],
        "missing": [StrOptions(set(MISSING_OPTIONS))],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
        "timeout": TIMEOUT_CONSTRAINT,
        "progress": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def fetch_iso_sws(
    *,
    data_home=None,
    download_if_missing=True,
    load_spectra=True,
    missing="raise",
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    n_jobs=4,
    timeout=3600.0,
    progress=None,
):
    """Load the ISO SWS atlas spectra and their Kraemer et al. (2002) classes.

    The atlas of Sloan et al. (2003, ApJS 147, 379) holds 1,248 calibrated
    2.4-45.4 µm spectra from the Short-Wavelength Spectrometer on ISO, each
    classified by Kraemer et al. (2002, ApJS 140, 389) into 7 groups (see
    :data:`KRAEMER_GROUPS`) and subgroups by the shape of the continuum and
    the dominant features (e.g. ``'2.SEa'``: a star with silicate emission).

    The class table is read from ``iso_sws/labels/`` in the data home
    (``kraemer_class_fixed.csv``, the table as corrected by the swsnet author;
    downloaded when missing from the swsnet repository at a fixed commit and
    checked against the SHA-256 of the file there), each spectrum from
    ``iso_sws/spectra/<TDT>_sws.fit`` (downloaded when missing from the atlas
    site, ``ATLAS_URL``; no checksum is published).

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing files (one request per spectrum).
    load_spectra : bool, default=True
        Also load the spectra; ``False`` returns the class table only
        (``data`` is ``None``).
    missing : {'raise', 'skip'}, default='raise'
        What to do with a spectrum that is neither in the data home nor
        downloadable: raise, or leave its row out with a
        :class:`UserWarning`.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).
    {retry_params}
    n_jobs : int, default=4
        Spectra downloaded at the same time (threads, one connection each);
        files already in the data home are not downloaded again.
    {timeout_param}
    progress : bool or None, default=None
        tqdm progress bar of the spectrum downloads: ``None`` only on a
        terminal (after 2 s), ``True`` always, ``False`` never.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of n_spectra spectra, or None
            Read with the ``'iso_sws'`` reader of :mod:`spectra_sklearn.io`
            (µm, Jy); ``None`` when ``load_spectra=False``.
        target : ndarray of str of shape (n_spectra,)
            Kraemer group ``'1'``-``'7'``.
        target_subclass : ndarray of str of shape (n_spectra,)
            ``'<group>.<subgroup>'``, e.g. ``'4.PN'``, ``'5.SA'``.
        target_names : ndarray of str
            ``['1', ..., '7']``.
        groups : ndarray of str of shape (n_spectra,)
            Object name: several objects were observed more than once.
        frame : structured ndarray or DataFrame of shape (n_spectra,)
            The table's columns (``object_name``, ``tdt`` int, ``ra``,
            ``dec``, ``full_classifier`` with ``:`` for uncertain classes,
            ``group``, ``subgroup``, ``uncertainty_flag``, ``note``), then
            ``filename``.
        filenames : ndarray of str of shape (n_spectra,)
            Path of each spectrum (``''`` when ``load_spectra=False``).
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the table or (with ``missing='raise'``) a spectrum is missing and
        ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If a download fails.
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).

    Warns
    -----
    UserWarning
        With ``missing='skip'``, if some spectra are left out.

    Examples
    --------
    Skipped as a doctest: it needs the data home.

    >>> from spectra_sklearn.datasets import fetch_iso_sws
    >>> iso = fetch_iso_sws(load_spectra=False)  # doctest: +SKIP
    >>> len(iso.target)  # doctest: +SKIP
    1248
    """
    from ..io import read_spectrum

    home = get_data_home(data_home)
    common = dict(
        download_if_missing=download_if_missing, n_retries=n_retries, delay=delay,
        deadline=Deadline.after(timeout, "fetch_iso_sws"),
    )
    table = fetch_file(_label_remote(), home, fetcher="fetch_iso_sws", **common)
    rows = _parse_labels(table)
    filenames = [""] * len(rows)
    data = None
    if load_spectra:
        remotes = [_spectrum_remote(int(r["tdt"])) for r in rows]
        paths = fetch_spectrum_files(
            remotes, home, missing=missing, caller="fetch_iso_sws", n_jobs=n_jobs,
            progress=progress, **common
        )
        keep = [i for i, p in enumerate(paths) if p is not None]
        rows = [rows[i] for i in keep]
        filenames = [str(paths[i]) for i in keep]
        data = SpectrumBatch([read_spectrum(p, format="iso_sws") for p in filenames])
    target = np.array([r["group"] for r in rows], dtype=str)
    if return_X_y:
        return data, target
    columns = {
        name: np.array([r.get(name, "") for r in rows], dtype=str)
        for name in (
            "object_name", "tdt", "ra", "dec", "full_classifier", "group", "subgroup",
            "uncertainty_flag", "note",
        )
    }  # fmt: skip
    columns["tdt"] = columns["tdt"].astype(np.int64)
    frame = make_frame(
        {**columns, "filename": [Path(f).name for f in filenames]},
        as_frame=as_frame,
        caller="fetch_iso_sws",
    )
    subclass = np.array([f"{r['group']}.{r['subgroup']}" for r in rows], dtype=str)
    return Bunch(
        data=data,
        target=target,
        target_subclass=subclass,
        target_names=np.array(sorted(KRAEMER_GROUPS), dtype=str),
        groups=columns["object_name"],
        frame=frame,
        filenames=np.array(filenames, dtype=str),
        DESCR=load_descr("iso_sws.rst"),
    )
