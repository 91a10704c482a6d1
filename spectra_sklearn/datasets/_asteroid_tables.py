"""Asteroid reflectance spectra tables: DeMeo et al. (2009) and Mahlke et al. (2022)."""

from numbers import Integral, Real
from os import PathLike
from urllib.parse import unquote

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._base import load_descr, make_frame, read_csv_rows
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_file,
    github_raw_url,
)
from ._home import get_data_home

__all__ = ["fetch_demeo2009", "fetch_mahlke2022"]

#: classy (Mahlke et al. 2022; MIT), which redistributes both tables, at a
#: fixed commit.
_REPOSITORY = "maxmahlke/classy"
_COMMIT = "8dc18d0808bb34c9959a9e3e6625158dc27e5824"

_DEMEO = (
    "tests/data/demeo2009_splined_spectra.csv",
    "demeo2009/demeo2009_splined_spectra.csv",
    "99d9445b3815d7327ae7f46698f21d7dabce0f6cdd4ecae385d664b162951d70",
)
#: Mahlke sample tables: subset -> (file in data/mahlke2022/csv/, SHA-256).
_MAHLKE = {
    "visnir": (
        "class_visnir.csv",
        "32a4ba5263b685dd1fd727966493766dc72adf372bcbb8c8fe76134312cae887",
    ),
    "vis": (
        "class_vis.csv",
        "3520b0b05de7b42ce33a8ae8af18557bb8528e5667d6ca857bf92da0742bb8d3",
    ),
    "references": (
        "reference_spectra.csv",
        "57d9f4455f9c20b986776c07ca29db49dcd84380b4bb77f2329542fac0c82e71",
    ),
}

_COMMON_PARAMS = {
    "data_home": [str, PathLike, None],
    "download_if_missing": ["boolean"],
    "return_X_y": ["boolean"],
    "as_frame": ["boolean"],
    "n_retries": [Interval(Integral, 0, None, closed="left")],
    "delay": [Interval(Real, 0.0, None, closed="left")],
    "timeout": TIMEOUT_CONSTRAINT,
}


def _mahlke_remote(key):
    filename, sha256 = _MAHLKE[key]
    return RemoteFile(
        github_raw_url(_REPOSITORY, _COMMIT, f"data/mahlke2022/csv/{filename}"),
        f"mahlke2022/csv/{filename}",
        sha256,
    )


def _meta_column(batch, key):
    return np.array(["" if m.get(key) is None else str(m[key]) for m in batch.meta], dtype=str)


def _numbers(batch):
    return np.array([m.get("number") or 0 for m in batch.meta], dtype=np.int64)


@document_download_params(timeout=600.0)
@validate_params(_COMMON_PARAMS, prefer_skip_nested_validation=True)
def fetch_demeo2009(
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load the Bus-DeMeo visible and near-infrared asteroid spectra and classes.

    DeMeo, Binzel, Slivan & Bus (2009, Icarus 202, 160) extended the Bus
    taxonomy to 0.45-2.45 µm with 371 asteroids; classy (Mahlke et al. 2022)
    redistributes their spectra spline-sampled on a 0.05 µm grid.

    =================   =====================================================
    Spectra             372 (371 numbered asteroids and one unnumbered)
    Classes             29 labels as given (``'S'``, ``'Sw'``, ``'Sqw'``...),
                        24 Bus-DeMeo classes without the ``w`` suffix
    Wavelength          0.45-2.45 µm, 0.05 µm step, 41 points (common grid)
    Flux                reflectance, dimensionless, 1.0 at 0.55 µm
    =================   =====================================================

    Needs ``demeo2009/demeo2009_splined_spectra.csv`` in the data home,
    downloaded when missing from the classy repository on GitHub at a fixed
    commit and checked against the SHA-256 of the file there.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download the file when missing; if ``False`` a missing file raises.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).
    {retry_params}
    {timeout_param}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of 372 spectra
            On one 41-point grid (µm), read with the ``'demeo2009'`` reader
            of :mod:`spectra_sklearn.io`; ``np.asarray(data)`` is the
            (372, 41) reflectance array.
        target : ndarray of str of shape (372,)
            Class as given (``class_``), with the space-weathering ``w``.
        target_base : ndarray of str of shape (372,)
            The 24 Bus-DeMeo classes (``w`` removed).
        target_names : ndarray of str
            Distinct ``target`` values, sorted.
        groups : ndarray of str of shape (372,)
            Asteroid designation: the number as text (``'1'``), else the
            name -- the same key :func:`fetch_smass2` uses, so the two sets
            can be split by asteroid together.
        frame : structured ndarray or DataFrame of shape (372,)
            Columns ``designation``, ``number`` (0 when unnumbered),
            ``name``, ``class_``, ``class_base``.
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If the download fails (network, checksum, non-writable data home).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).

    Examples
    --------
    Skipped as a doctest: it needs the data home.

    >>> from spectra_sklearn.datasets import fetch_demeo2009
    >>> demeo = fetch_demeo2009()  # doctest: +SKIP
    >>> demeo.data.shape  # doctest: +SKIP
    (372, 41)
    """
    from ..io import read_spectra_file

    home = get_data_home(data_home)
    origin, dest, sha256 = _DEMEO
    path = fetch_file(
        RemoteFile(github_raw_url(_REPOSITORY, _COMMIT, origin), dest, sha256),
        home,
        download_if_missing=download_if_missing,
        n_retries=n_retries,
        delay=delay,
        fetcher="fetch_demeo2009",
        deadline=Deadline.after(timeout, "fetch_demeo2009"),
    )
    data = read_spectra_file(path, format="demeo2009")
    target = _meta_column(data, "class")
    if return_X_y:
        return data, target
    designation = _meta_column(data, "designation")
    base = _meta_column(data, "class_base")
    frame = make_frame(
        {
            "designation": designation,
            "number": _numbers(data),
            "name": _meta_column(data, "name"),
            "class_": target,
            "class_base": base,
        },
        as_frame=as_frame,
        caller="fetch_demeo2009",
    )
    return Bunch(
        data=data,
        target=target,
        target_base=base,
        target_names=np.unique(target),
        groups=designation,
        frame=frame,
        DESCR=load_descr("demeo2009.rst"),
    )


@document_download_params(timeout=600.0)
@validate_params(
    {
        "subset": [StrOptions({"visnir", "vis"})],
        "reflectance": [StrOptions({"preprocessed", "linear"})],
        **_COMMON_PARAMS,
    },
    prefer_skip_nested_validation=True,
)
def fetch_mahlke2022(
    *,
    subset="visnir",
    reflectance="preprocessed",
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load the asteroid spectra and classes of the Mahlke et al. (2022) taxonomy.

    Mahlke, Carry & Mattei (2022, A&A 665, A26) compiled asteroid reflectance
    spectra from about 110 surveys and archives, and classified them with a
    mixture model of spectra and albedos into 17 classes (A B C Ch D E K L M O
    P Q R S V X Z), with the e, h and k absorption features flagged.

    =================   =====================================================
    Spectra             2,983 (``'visnir'``) or 2,923 (``'vis'``)
    Classes             17; 2,125 (visnir) distinct asteroids
    Wavelength          0.45-2.45 µm, 53 points (0.025 µm step to 1.05,
                        then 0.05 µm); the visible subset is filled at
                        ~0.5-0.9 µm only (masked elsewhere)
    Flux                preprocessed reflectance (log, shifted) or, with
                        ``reflectance='linear'``, reflectance = 1 at 0.55 µm
    =================   =====================================================

    Needs ``mahlke2022/csv/class_<subset>.csv`` and
    ``mahlke2022/csv/reference_spectra.csv`` in the data home, downloaded
    when missing from the classy repository on GitHub at a fixed commit and
    checked against the SHA-256 of the files there.

    Parameters
    ----------
    subset : {'visnir', 'vis'}, default='visnir'
        Visible + near-infrared samples, or visible-only ones.
    reflectance : {'preprocessed', 'linear'}, default='preprocessed'
        Passed to the ``'mahlke2022'`` reader: the table's values, or their
        exponential normalised to 1 at 0.55 µm.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing files; if ``False`` a missing file raises.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).
    {retry_params}
    {timeout_param}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of n_spectra spectra
            On one 53-point grid (µm); empty values masked.
        target : ndarray of str of shape (n_spectra,)
            Class without feature flags (``class_sf``), 17 classes.
        target_with_features : ndarray of str of shape (n_spectra,)
            Class with the e/h/k feature flags (``class_``, e.g. ``'Mk'``).
        target_names : ndarray of str
            Distinct ``target`` values, sorted.
        groups : ndarray of str of shape (n_spectra,)
            Source survey of each spectrum: the first key of
            ``ref_spectrum`` (``'1'`` is SMASS; see ``frame``'s
            ``survey_reference``). Split by it (e.g.
            :class:`~sklearn.model_selection.LeaveOneGroupOut`) to test
            across surveys.
        object_id : ndarray of str of shape (n_spectra,)
            Asteroid designation (number as text, else the name). Several
            asteroids have more than one spectrum: to split by object
            instead, pass ``object_id`` as the groups.
        frame : structured ndarray or DataFrame of shape (n_spectra,)
            Columns ``designation``, ``number`` (0 when unnumbered),
            ``name``, ``class_``, ``class_sf``, ``ref_spectrum`` (keys as
            given, ``;``-separated), ``source_survey``, ``survey_reference``
            (bibcode or note of the first key, from
            ``reference_spectra.csv``; a few rows give a URL-quoted bibcode
            instead of a key, unquoted here), ``ref_albedo``,
            ``log10_albedo``.
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If a file is missing and ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If a download fails (network, checksum, non-writable data home).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).

    Notes
    -----
    The labels are the output of the authors' probabilistic model, not
    human classifications. Cite Mahlke et al. (2022) and the per-spectrum
    references; the tables are MIT licensed (classy).

    Examples
    --------
    Skipped as a doctest: it needs the data home.

    >>> from spectra_sklearn.datasets import fetch_mahlke2022
    >>> mahlke = fetch_mahlke2022()  # doctest: +SKIP
    >>> mahlke.data.shape, len(set(mahlke.target.tolist()))  # doctest: +SKIP
    ((2983, 53), 17)
    """
    from ..io import read_spectra_file

    home = get_data_home(data_home)
    deadline = Deadline.after(timeout, "fetch_mahlke2022")
    table, references = (
        fetch_file(
            _mahlke_remote(key),
            home,
            download_if_missing=download_if_missing,
            n_retries=n_retries,
            delay=delay,
            fetcher="fetch_mahlke2022",
            deadline=deadline,
        )
        for key in (subset, "references")
    )
    data = read_spectra_file(table, format="mahlke2022", reflectance=reflectance)
    target = _meta_column(data, "class_base")
    if return_X_y:
        return data, target
    _, rows = read_csv_rows(references, required=("key", "bibcode"))
    bibcodes = {r["key"]: r["bibcode"] for r in rows}
    survey = _meta_column(data, "source_survey")
    designation = _meta_column(data, "designation")
    with_features = _meta_column(data, "class")
    frame = make_frame(
        {
            "designation": designation,
            "number": _numbers(data),
            "name": _meta_column(data, "name"),
            "class_": with_features,
            "class_sf": target,
            "ref_spectrum": _meta_column(data, "ref_spectrum"),
            "source_survey": survey,
            # a few rows give a (URL-quoted) bibcode instead of a key
            "survey_reference": [bibcodes.get(s, unquote(s)) for s in survey],
            "ref_albedo": _meta_column(data, "ref_albedo"),
            "log10_albedo": np.array(
                [m.get("log10_albedo", np.nan) for m in data.meta], dtype=np.float64
            ),
        },
        as_frame=as_frame,
        caller="fetch_mahlke2022",
    )
    return Bunch(
        data=data,
        target=target,
        target_with_features=with_features,
        target_names=np.unique(target),
        groups=survey,
        object_id=designation,
        frame=frame,
        DESCR=load_descr("mahlke2022.rst"),
    )
