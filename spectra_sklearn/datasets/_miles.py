"""The MILES empirical stellar library with MK types and atmospheric parameters."""

from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._batch import SpectrumBatch
from ._base import download_jobs, fetch_spectrum_files, load_descr, make_frame, read_csv_rows
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    github_raw_url,
)
from ._home import get_data_home

__all__ = ["fetch_miles"]

#: The spectra as the MaNGA DAP distributes them (FITS images converted from
#: the MILES v9.1 tarball), at a fixed commit; no checksums are published.
_REPOSITORY = "sdss/mangadap"
_COMMIT = "996b46cb9739126fe0fbe69c1a50d8490d924853"
_PATH = "mangadap/data/spectral_templates/miles/"
#: The one spectrum the DAP keeps in ``omit/`` (short range, red-end artefact).
_OMITTED = frozenset({"0970"})
_FOLDER = "miles"
_LABELS = "labels/miles_labels.csv"
_TEXT_COLUMNS = (
    "miles_id", "name", "sptype", "mk_class", "mk_subclass", "lum_class", "cat_id",
    "refs", "libraries", "note",
)  # fmt: skip
_NUMBER_COLUMNS = ("teff", "logg", "feh")
_TARGETS = ("mk_class", "mk_subclass", "lum_class", "sptype", *_NUMBER_COLUMNS)


def _spectrum_remote(miles_id):
    name = f"MILES_res2.50_star_m{miles_id}V.fits"
    sub = "omit/" if miles_id in _OMITTED else ""
    return RemoteFile(
        github_raw_url(_REPOSITORY, _COMMIT, f"{_PATH}{sub}{name}"),
        f"{_FOLDER}/spectra/{name}",
    )


def _float(value, path, lineno, column):
    if value in ("", "--"):
        return np.nan
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"{path}, line {lineno}: column {column} holds {value!r}; expected a number "
            "or a blank."
        ) from None


@document_download_params(timeout=3600.0)
@validate_params(
    {
        "target": [StrOptions(set(_TARGETS))],
        "include_unlabelled": ["boolean"],
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "n_jobs": [Integral, None],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "timeout": TIMEOUT_CONSTRAINT,
        "progress": ["boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def fetch_miles(
    *,
    target="mk_class",
    include_unlabelled=False,
    data_home=None,
    download_if_missing=True,
    n_jobs=None,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=3600.0,
    progress=None,
):
    """Load the MILES stellar library: 985 optical spectra with MK types.

    MILES (Sánchez-Blázquez et al. 2006, MNRAS 371, 703) holds one
    flux-calibrated spectrum of each of 985 stars, 3540.5-7409.6 Å (air) at
    2.5 Å FWHM, with literature spectral types and the atmospheric parameters
    of Cenarro et al. (2007, MNRAS 374, 664).

    =================   =====================================================
    Spectra             985 (one per star)
    Classes             MK class G 273, K 247, F 213, A 99, B 56, M 50, O 3,
                        S 2, R 1; 41 stars without a usable type
    Wavelength          3540.5-7409.6 Å, air, 0.9 Å step, 4300 pixels
    Flux                relative F_lambda
    Parameters          Teff (982 stars), log g (982), [Fe/H] (946)
    =================   =====================================================

    Needs ``miles/labels/miles_labels.csv`` in the data home: the parameter
    table of MILES v9.1 (``paramsMILES_v9.1.txt``) parsed into columns, one
    row per spectrum (see the data home's ``miles/PROVENANCE.md``); no origin
    distributes this CSV, so it is never downloaded. The spectra,
    ``miles/spectra/MILES_res2.50_star_m<id>V.fits``, are downloaded when
    missing from the MaNGA DAP repository on GitHub at a fixed commit (no
    checksum is published).

    Parameters
    ----------
    target : {'mk_class', 'mk_subclass', 'lum_class', 'sptype', 'teff', \
'logg', 'feh'}, default='mk_class'
        The column returned as ``target``: MK class letter (``'G'``), class
        and subclass (``'G8'``), luminosity class (``'III'``), the raw
        spectral type, or an atmospheric parameter (float: Teff in K, log g
        in dex cgs, [Fe/H] in dex) for regression.
    include_unlabelled : bool, default=False
        Keep stars whose ``target`` is blank (or NaN); by default they are
        left out.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing spectra; if ``False`` a missing file raises.
    n_jobs : int, default=None
        Parallel jobs to read the files (joblib; ``None`` means 1) and to
        download missing ones (threads, one connection each; ``None`` means
        4).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).
    {retry_params}
    {timeout_param}
    progress : bool or None, default=None
        tqdm progress bar of the downloads: ``None`` only on a terminal
        (after 2 s), ``True`` always, ``False`` never.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of n_stars spectra
            Read with the ``'miles'`` reader of :mod:`spectra_sklearn.io` (Å,
            air); all on one grid except the short spectrum m0970.
        target : ndarray of shape (n_stars,)
            The ``target`` column (str, or float for a parameter).
        target_names : ndarray of str
            Distinct values of a text ``target``, sorted (absent for a
            parameter).
        groups : ndarray of str of shape (n_stars,)
            Star name: one spectrum per star, but many are cluster members
            (``'NGC 7789 ...'``, ``'M67 ...'``); use it to combine with other
            libraries without leaking a star.
        frame : structured ndarray or DataFrame of shape (n_stars,)
            Columns ``miles_id``, ``name``, ``sptype``, ``mk_class``,
            ``mk_subclass``, ``lum_class``, ``cat_id``, ``refs``,
            ``libraries``, ``note`` (text; ``''`` when blank), ``teff``,
            ``logg``, ``feh`` (float, NaN when unknown), ``filename``.
        filenames : ndarray of str of shape (n_stars,)
            Path of each FITS file.
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the label table is missing, or a spectrum is missing and
        ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If a download fails.
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).
    ValueError
        If the label table is malformed.

    Examples
    --------
    Skipped as a doctest: it needs the data home.

    >>> from spectra_sklearn.datasets import fetch_miles
    >>> miles = fetch_miles()  # doctest: +SKIP
    >>> len(miles.target), sorted(set(miles.target.tolist()))[:3]  # doctest: +SKIP
    (944, ['A', 'B', 'F'])
    """
    from ..io import read_spectrum

    home = get_data_home(data_home)
    labels = home / _FOLDER / _LABELS
    if not labels.is_file():
        raise FileNotFoundError(
            f"The MILES label table is missing from the data home: expected {labels}. "
            "It is the MILES v9.1 parameter table (paramsMILES_v9.1.txt, "
            "http://miles.iac.es) parsed into columns miles_id, file, name, sptype, "
            "mk_class, mk_subclass, lum_class, teff, logg, feh, cat_id, refs, "
            "libraries, note; no origin distributes it, so it cannot be downloaded: "
            "copy it from a data home that has it (pass data_home= or set "
            "SPECTRA_SKLEARN_DATA)."
        )
    _, rows = read_csv_rows(labels, required=(*_TEXT_COLUMNS, *_NUMBER_COLUMNS))
    columns = {name: np.array([r[name] for r in rows], dtype=str) for name in _TEXT_COLUMNS}
    for name in _NUMBER_COLUMNS:
        columns[name] = np.array(
            [_float(r[name], labels, i, name) for i, r in enumerate(rows, 2)], dtype=np.float64
        )
    for i, miles_id in enumerate(columns["miles_id"], 2):
        if not (len(miles_id) == 4 and miles_id.isdigit()):
            raise ValueError(
                f"{labels}, line {i}: miles_id must be 4 digits such as '0001'; found "
                f"{miles_id!r}."
            )
    values = columns[target]
    if not include_unlabelled:
        keep = ~np.isnan(values) if values.dtype.kind == "f" else values != ""
        columns = {name: v[keep] for name, v in columns.items()}
        values = columns[target]
    paths = fetch_spectrum_files(
        [_spectrum_remote(miles_id) for miles_id in columns["miles_id"]],
        home,
        missing="raise",
        caller="fetch_miles",
        n_jobs=download_jobs(n_jobs),
        progress=progress,
        download_if_missing=download_if_missing,
        n_retries=n_retries,
        delay=delay,
        deadline=Deadline.after(timeout, "fetch_miles"),
    )
    spectra = Parallel(n_jobs=n_jobs)(
        delayed(read_spectrum)(p, format="miles") for p in paths
    )
    data = SpectrumBatch(list(spectra))
    if return_X_y:
        return data, values
    frame = make_frame(
        {**columns, "filename": [Path(p).name for p in paths]},
        as_frame=as_frame,
        caller="fetch_miles",
    )
    bunch = Bunch(
        data=data,
        target=values,
        groups=columns["name"],
        frame=frame,
        filenames=np.array([str(p) for p in paths], dtype=str),
        DESCR=load_descr("miles.rst"),
    )
    if values.dtype.kind != "f":
        bunch.target_names = np.unique(values)
    return bunch
