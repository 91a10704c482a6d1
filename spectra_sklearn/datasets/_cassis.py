"""Spitzer/IRS low-resolution spectra from CASSIS, and the labelled AOR sets."""

from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._batch import SpectrumBatch
from ._base import (
    MISSING_OPTIONS,
    fetch_spectrum_files,
    load_descr,
    make_frame,
    read_csv_rows,
)
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_file,
    github_raw_url,
)
from ._home import get_data_home

__all__ = [
    "SPITZER_IRS_COARSE_CLASSES",
    "SPITZER_IRS_FINE_TO_COARSE",
    "SPITZER_IRS_SETS",
    "fetch_cassis",
    "fetch_spitzer_irs_sets",
]

#: Download service of the CASSIS atlas (Lebouteiller et al. 2011): one
#: product of one AOR key and cluster pointing. ``{filename}`` is the name the
#: file gets in the data home (unused by CASSIS; handy for a local mirror).
CASSIS_URL = (
    "https://cassis.sirtf.com/atlas/cgi/download.py?aorkey={aor_key}&ptg={pointing}"
    "&product=yaaar_{product}"
)
_FOLDER = "cassis_irs"
#: The AOR-key tables of the CAST project (MIT), at a fixed commit.
_CAST_REPOSITORY = "CAST-Computer-Science/stellar_classification"
_CAST_COMMIT = "ae6ac161cdea9b0089d915192fa316649dcaee37"

#: The labelled sets: name -> (file, kind of label, SHA-256 of the file,
#: source of the labels). ``kind`` is ``'fine'`` (classes of the paper, mapped
#: to coarse ones by :data:`SPITZER_IRS_FINE_TO_COARSE`), ``'coarse'`` or
#: ``'none'`` (unlabelled).
SPITZER_IRS_SETS = {
    "SMC": (
        "small_magellanic_cloud.csv",
        "fine",
        "f83c9735273491b2c91b687e478f74f2c8846d15345056a9589d91ec12b3f9eb",
        "Ruffle et al. 2015, MNRAS 451, 3504",
    ),
    "LMC": (
        "large_magellanic_cloud.csv",
        "fine",
        "365baa60ff3c1a70e63ef5029c0d02e8281d299a6995321b25eceff2a68272a4",
        "Jones et al. 2017, MNRAS 470, 3250",
    ),
    "galactic_plane": (
        "galactic_plane.csv",
        "coarse",
        "c34d1185b65b1dfa3711575dd03ab824c5f1667303ea0b7020c77dd79a5a870b",
        "IRIS (Institute for Research in Schools)",
    ),
    "bulge": (
        "bulge.csv",
        "none",
        "4e91396578da37296db81e87d1d1a537ca663bd58229201a4628f9e4e54b1b69",
        "IRIS (unlabelled)",
    ),
}

#: The 10 coarse classes of the CAST project, in its order.
SPITZER_IRS_COARSE_CLASSES = (
    "YSO-1",
    "YSO-2",
    "YSO",
    "O-Rich Evolved",
    "C-Rich Evolved",
    "PN",
    "Star",
    "Other",
    "Galaxy",
    "Noise",
)

_YSO = ("YSO-3", "YSO-4", "HII")
_O_RICH = ("O-EAGB", "O-AGB", "O-PAGB")
_C_RICH = ("C-AGB", "C-PAGB")
_STAR = ("RSG", "STAR", "STAR: dusty OB star")
_OTHER = ("RCrB", "BSG", "WR", "OTHER: B[e] star", "OTHER: FG O-EAGB", "LBV", "UNK")

#: Fine class of the Magellanic Cloud papers -> coarse class.
#:
#: The fine classes are those of the SAGE-Spec decision-tree classification
#: (Woods et al. 2011; SMC: Ruffle et al. 2015; LMC: Jones et al. 2017). The
#: grouping is the CAST project's (``label_maps.py``, MIT): embedded YSOs
#: (YSO-1) and YSOs with silicate absorption (YSO-2) stay apart; the more
#: evolved YSO-3, Herbig Ae/Be YSO-4 and H II regions become ``'YSO'``;
#: O-rich early AGB, AGB and post-AGB stars ``'O-Rich Evolved'``; C-rich AGB
#: and post-AGB stars ``'C-Rich Evolved'``; O- and C-rich planetary nebulae
#: ``'PN'``; red supergiants, stellar photospheres and dusty OB stars
#: ``'Star'``; galaxies ``'Galaxy'``; R CrB stars, blue supergiants,
#: Wolf-Rayet stars, B[e] stars, foreground O-EAGB stars, luminous blue
#: variables and unknowns ``'Other'``.
SPITZER_IRS_FINE_TO_COARSE = {
    "YSO-1": "YSO-1",
    "YSO-2": "YSO-2",
    **dict.fromkeys(_YSO, "YSO"),
    **dict.fromkeys(_O_RICH, "O-Rich Evolved"),
    **dict.fromkeys(_C_RICH, "C-Rich Evolved"),
    "O-PN": "PN",
    "C-PN": "PN",
    **dict.fromkeys(_STAR, "Star"),
    **dict.fromkeys(_OTHER, "Other"),
    "GAL": "Galaxy",
}


def _check_pointing(pointing):
    if pointing is None:
        return None
    if isinstance(pointing, (bool, np.bool_)) or not isinstance(pointing, Integral):
        raise TypeError(f"pointing must be a non-negative int or None; got {pointing!r}.")
    if pointing < 0:
        raise ValueError(f"pointing must be a non-negative int or None; got {pointing!r}.")
    return int(pointing)


def cassis_filename(aor_key, pointing=None, product="spcfw"):
    """Name CASSIS gives the FITS file: ``cassis_yaaar_<product>_<AOR>[_<pointing>]t.fits``.

    ``pointing`` is the cluster-mode pointing (``None`` for a single one).
    """
    suffix = "" if pointing is None else f"_{pointing}"
    return f"cassis_yaaar_{product}_{int(aor_key)}{suffix}t.fits"


def _cassis_remote(aor_key, pointing, product):
    filename = cassis_filename(aor_key, pointing, product)
    url = CASSIS_URL.format(
        aor_key=int(aor_key),
        pointing=0 if pointing is None else pointing,
        product=product,
        filename=filename,
    )
    return RemoteFile(url, f"{_FOLDER}/spectra/{filename}")


def _read_cassis(path):
    from ..io import read_spectrum

    fmt = "cassis_tbl" if Path(path).suffix == ".tbl" else "cassis"
    return read_spectrum(path, format=fmt)


_PRODUCTS = ["spcfw", "sptfc"]


@document_download_params(timeout=600.0)
@validate_params(
    {
        "aor_key": [Interval(Integral, 0, None, closed="left"), str],
        "pointing": [Interval(Integral, 0, None, closed="left"), None],
        "product": [StrOptions(set(_PRODUCTS))],
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "timeout": TIMEOUT_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def fetch_cassis(
    aor_key,
    pointing=None,
    *,
    product="spcfw",
    data_home=None,
    download_if_missing=True,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load one Spitzer/IRS low-resolution spectrum from CASSIS by AOR key.

    CASSIS, the Combined Atlas of Sources with Spitzer/IRS Spectra
    (Lebouteiller et al. 2011, ApJS 196, 8), holds the optimally extracted
    low-resolution (SL + LL, 5.2-38 µm, R ~ 60-130) spectrum of each point
    source observed in IRS staring mode, identified by the Astronomical
    Observation Request (AOR) key and, in cluster mode, the pointing.

    The file is looked up in the data home as
    ``cassis_irs/spectra/cassis_yaaar_<product>_<AOR>[_<pointing>]t.fits`` (the
    name CASSIS gives it), else as the IPAC table
    ``cassis_tbl_<product>_<AOR>[_<pointing>]t.tbl``; when neither is there the
    FITS file is downloaded from the CASSIS atlas (``CASSIS_URL``; CASSIS
    publishes no checksum).

    Parameters
    ----------
    aor_key : int or str
        The AOR key, e.g. ``14203136``.
    pointing : int, default=None
        Cluster-mode pointing index (the ``POINTING`` header card, the ``_<n>``
        file-name suffix); ``None`` for a single pointing (requested as
        pointing 0).
    product : {'spcfw', 'sptfc'}, default='spcfw'
        CASSIS product: ``'spcfw'`` the full-width (optimal) extraction,
        ``'sptfc'`` the tapered-column one (for extended sources).
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download the file when missing; if ``False`` a missing file raises.
    {retry_params}
    {timeout_param}

    Returns
    -------
    Spectrum
        Read with the ``'cassis'`` (or ``'cassis_tbl'``) reader of
        :mod:`spectra_sklearn.io`: wavelength in µm, flux density in Jy.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If the download fails (no network, HTTP error, non-writable data home).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).
    ValueError
        If ``aor_key`` is not a number.

    See Also
    --------
    fetch_spitzer_irs_sets : Labelled AOR keys of Magellanic Cloud, Galactic
        Plane and Bulge point sources, with their spectra.

    Notes
    -----
    Cite Lebouteiller et al. (2011, ApJS 196, 8) and use the CASSIS
    acknowledgement ("The Combined Atlas of Sources with Spitzer IRS Spectra
    (CASSIS) is a product of the IRS instrument team, supported by NASA and
    JPL"). Spitzer data are public NASA data.

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_cassis
    >>> spectrum = fetch_cassis(14203136)  # doctest: +SKIP
    >>> spectrum.wavelength_unit  # doctest: +SKIP
    Unit("um")
    """
    if isinstance(aor_key, str):
        if not aor_key.strip().isdigit():
            raise ValueError(f"aor_key must be a number such as 14203136; got {aor_key!r}.")
        aor_key = int(aor_key)
    pointing = _check_pointing(pointing)
    home = get_data_home(data_home)
    remote = _cassis_remote(aor_key, pointing, product)
    local = remote.local_path(home)
    table = local.with_name(local.name.replace("cassis_yaaar_", "cassis_tbl_")).with_suffix(
        ".tbl"
    )
    if not local.is_file() and table.is_file():
        return _read_cassis(table)
    path = fetch_file(
        remote,
        home,
        download_if_missing=download_if_missing,
        n_retries=n_retries,
        delay=delay,
        fetcher="fetch_cassis",
        deadline=Deadline.after(timeout, "fetch_cassis"),
    )
    return _read_cassis(path)


def _label_remote(filename, sha256):
    return RemoteFile(
        github_raw_url(_CAST_REPOSITORY, _CAST_COMMIT, f"aor_files/{filename}"),
        f"{_FOLDER}/cast_labels/{filename}",
        sha256,
    )


def _parse_set(path, set_name, kind):
    """Rows of one CAST table: ``AOR,Index,Class`` with ``None`` for blanks."""
    _, rows = read_csv_rows(path, required=("AOR", "Index", "Class"))
    out = []
    for lineno, row in enumerate(rows, 2):
        aor, index, label = row["AOR"], row["Index"], row["Class"]
        if not aor.isdigit() or not (index == "None" or index.isdigit()):
            raise ValueError(
                f"{path}, line {lineno}: expected an integer AOR key and a pointing "
                f"index or 'None'; found AOR={aor!r}, Index={index!r}."
            )
        label = "" if label == "None" else label
        if kind == "fine":
            if label not in SPITZER_IRS_FINE_TO_COARSE:
                raise ValueError(
                    f"{path}, line {lineno}: unknown class {label!r}; expected one of "
                    f"{sorted(SPITZER_IRS_FINE_TO_COARSE)}."
                )
            fine, coarse = label, SPITZER_IRS_FINE_TO_COARSE[label]
        elif kind == "coarse":
            if label not in SPITZER_IRS_COARSE_CLASSES:
                raise ValueError(
                    f"{path}, line {lineno}: unknown class {label!r}; expected one of "
                    f"{list(SPITZER_IRS_COARSE_CLASSES)}."
                )
            fine, coarse = "", label
        else:
            fine, coarse = "", ""
        out.append(
            {
                "set": set_name,
                "aor_key": int(aor),
                "pointing": -1 if index == "None" else int(index),
                "fine_class": fine,
                "coarse_class": coarse,
            }
        )
    return out


@document_download_params(timeout=3600.0)
@validate_params(
    {
        "sets": [list, tuple, str, None],
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
def fetch_spitzer_irs_sets(
    sets=None,
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
    """Load the labelled Spitzer/IRS point-source sets and their CASSIS spectra.

    Four sets of Spitzer/IRS staring-mode observations, given as AOR keys (and
    cluster pointings) with a class, as compiled by the CAST project
    (``aor_files/`` of CAST-Computer-Science/stellar_classification, MIT):

    ====================  =====  ===========================================
    set                   rows   labels
    ====================  =====  ===========================================
    ``'SMC'``             206    fine classes of Ruffle et al. (2015)
    ``'LMC'``             434    fine classes of Jones et al. (2017)
    ``'galactic_plane'``  50     coarse classes, supplied by IRIS
    ``'bulge'``           877    none (an unlabelled test set from IRIS)
    ====================  =====  ===========================================

    Fine classes are mapped to the 10 coarse ones of
    :data:`SPITZER_IRS_COARSE_CLASSES` by :data:`SPITZER_IRS_FINE_TO_COARSE`.
    The tables are read from ``cassis_irs/cast_labels/`` in the data home
    (downloaded from the CAST repository at a fixed commit, SHA-256 checked,
    when missing); each spectrum with :func:`fetch_cassis`.

    Parameters
    ----------
    sets : str or list of str, default=None
        Which of ``'SMC'``, ``'LMC'``, ``'galactic_plane'``, ``'bulge'`` to
        load, in that order; ``None`` means all four.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing tables and spectra (from CASSIS: one request per
        spectrum, 1,567 in all, ``n_jobs`` at a time).
    load_spectra : bool, default=True
        Also load the spectra; ``False`` returns the label tables only
        (``data`` is ``None``), with no spectrum download.
    missing : {'raise', 'skip'}, default='raise'
        What to do with a spectrum that is neither in the data home nor
        downloadable (``download_if_missing=False``, offline, not at CASSIS):
        raise, or leave its row out with a :class:`UserWarning`.
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
            Ragged batch of CASSIS spectra (µm, Jy); ``None`` when
            ``load_spectra=False``.
        target : ndarray of str of shape (n_spectra,)
            Coarse class (``''`` for the unlabelled Bulge set).
        target_fine : ndarray of str of shape (n_spectra,)
            Fine class of the Magellanic Cloud papers (``''`` for the other
            sets).
        target_names : ndarray of str
            :data:`SPITZER_IRS_COARSE_CLASSES`.
        groups : ndarray of str of shape (n_spectra,)
            The set of each row (``'SMC'``, ...): train on some sets, test
            on another (e.g. the Galactic Plane), as the CAST project does.
        aor_key : ndarray of int of shape (n_spectra,)
            AOR key; several cluster pointings share one.
        frame : structured ndarray or DataFrame of shape (n_spectra,)
            Columns ``set``, ``aor_key``, ``pointing`` (-1 for a single
            pointing), ``fine_class``, ``coarse_class``, ``filename``.
        filenames : ndarray of str of shape (n_spectra,)
            Path of each spectrum file (``''`` when ``load_spectra=False``).
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If a table or (with ``missing='raise'``) a spectrum is missing and
        ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If a download fails (with ``missing='raise'`` for spectra).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).
    ValueError
        If ``sets`` names an unknown set or a table is malformed.

    Warns
    -----
    UserWarning
        With ``missing='skip'``, if some spectra are left out.

    Examples
    --------
    The label tables alone (skipped as a doctest: it needs the data home):

    >>> from spectra_sklearn.datasets import fetch_spitzer_irs_sets
    >>> irs = fetch_spitzer_irs_sets(load_spectra=False)  # doctest: +SKIP
    >>> sorted(set(irs.groups.tolist()))  # doctest: +SKIP
    ['LMC', 'SMC', 'bulge', 'galactic_plane']
    """
    names = list(SPITZER_IRS_SETS) if sets is None else (
        [sets] if isinstance(sets, str) else list(sets)
    )
    bad = [s for s in names if s not in SPITZER_IRS_SETS]
    if bad or not names:
        raise ValueError(
            "The 'sets' parameter of fetch_spitzer_irs_sets must be one of "
            f"{list(SPITZER_IRS_SETS)}, a list of them, or None (all); got {sets!r}."
        )
    names = [s for s in SPITZER_IRS_SETS if s in names]
    home = get_data_home(data_home)
    common = dict(
        download_if_missing=download_if_missing, n_retries=n_retries, delay=delay,
        deadline=Deadline.after(timeout, "fetch_spitzer_irs_sets"),
    )
    rows = []
    for name in names:
        filename, kind, sha256, _ = SPITZER_IRS_SETS[name]
        path = fetch_file(
            _label_remote(filename, sha256), home, fetcher="fetch_spitzer_irs_sets", **common
        )
        rows += _parse_set(path, name, kind)

    filenames = [""] * len(rows)
    data = None
    if load_spectra:
        remotes = [
            _cassis_remote(r["aor_key"], None if r["pointing"] < 0 else r["pointing"], "spcfw")
            for r in rows
        ]
        paths = fetch_spectrum_files(
            remotes, home, missing=missing, caller="fetch_spitzer_irs_sets",
            n_jobs=n_jobs, progress=progress, **common
        )
        keep = [i for i, p in enumerate(paths) if p is not None]
        rows = [rows[i] for i in keep]
        filenames = [str(paths[i]) for i in keep]
        data = SpectrumBatch([_read_cassis(p) for p in filenames])
    target = np.array([r["coarse_class"] for r in rows], dtype=str)
    if return_X_y:
        return data, target
    columns = {
        key: np.array([r[key] for r in rows],
                      dtype=np.int64 if key in ("aor_key", "pointing") else str)
        for key in ("set", "aor_key", "pointing", "fine_class", "coarse_class")
    }
    frame = make_frame(
        {**columns, "filename": [Path(f).name for f in filenames]},
        as_frame=as_frame,
        caller="fetch_spitzer_irs_sets",
    )
    return Bunch(
        data=data,
        target=target,
        target_fine=columns["fine_class"],
        target_names=np.array(SPITZER_IRS_COARSE_CLASSES, dtype=str),
        groups=columns["set"],
        aor_key=columns["aor_key"],
        frame=frame,
        filenames=np.array(filenames, dtype=str),
        DESCR=load_descr("spitzer_irs_sets.rst"),
    )

