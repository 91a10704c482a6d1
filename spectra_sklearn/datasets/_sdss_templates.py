"""The stellar templates of the SDSS/BOSS pipeline, labelled by SDSS SUBCLASS."""

import re
import warnings
from numbers import Integral, Real
from os import PathLike

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from .._batch import SpectrumBatch
from ._base import load_descr, make_frame
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_file,
    github_raw_url,
)
from ._home import get_data_home

__all__ = ["fetch_sdss_templates", "parse_sdss_subclass"]

#: The idlspec2d repository (SDSS/BOSS spectroscopic pipeline), at a fixed commit.
_REPOSITORY = "sdss/idlspec2d"
_COMMIT = "2062a6d26692db7d4bf518f34a616eba2106c53a"
_FOLDER = "sdss_templates"

#: Template set -> (file, SHA-256 of the file at that commit, description).
TEMPLATE_SETS = {
    "55734": (
        "spEigenStar-55734.fits",
        "9fe59628aad2d6bea88b55cc5c0fe2afeea89384312983b295acc3def0e8dc6f",
        "BOSS (DR9+)",
    ),
    "53724": (
        "spEigenStar-53724.fits",
        "2aa6ec3a11ddf0ae290fa2de0e3f0a3e5b7a52f5d808d89c45d4cf4191eec91d",
        "SDSS-I/II (DR7)",
    ),
}

_MK = re.compile(r"(?:sd:?)?([OBAFGKMLT])(\d+(?:\.\d+)?)?")
_STAR_ID = re.compile(r"\(([^()]+)\)\s*$")


def parse_sdss_subclass(subclass):
    """Split an SDSS stellar ``SUBCLASS`` (a template name) into its parts.

    Parameters
    ----------
    subclass : str
        E.g. ``'K3III (101673)'``, ``'sd:F0 (G_84-29)'``, ``'L5.5'``,
        ``'WDhotter'``, ``'Carbon_lines'``.

    Returns
    -------
    mk_class : str
        ``'O'``, ``'B'``, ``'A'``, ``'F'``, ``'G'``, ``'K'``, ``'M'``,
        ``'L'``, ``'T'``, ``'WD'`` (white dwarfs, including ``'CarbonWD'``)
        or ``'C'`` (carbon stars); ``''`` if none applies.
    mk_subclass : str
        Letter and number (``'K3'``, ``'B2.5'``), the letter alone when no
        number is given (``'O'``, ``'L'`` for ``'Ldwarf'``); ``''`` for white
        dwarfs and carbon stars.
    star_id : str
        The star in parentheses (HD number or ``'G_84-29'``), else ``''``.

    Examples
    --------
    >>> from spectra_sklearn.datasets import parse_sdss_subclass
    >>> parse_sdss_subclass("M4.5:III (123657)")
    ('M', 'M4.5', '123657')
    >>> parse_sdss_subclass("CarbonWD")
    ('WD', '', '')
    """
    match = _STAR_ID.search(subclass)
    star_id = match[1].strip() if match else ""
    head = subclass[: match.start()].strip() if match else subclass.strip()
    if "WD" in head:
        return "WD", "", star_id
    if head.startswith("Carbon"):
        return "C", "", star_id
    if head == "Ldwarf":
        return "L", "L", star_id
    mk = _MK.match(head)
    if mk is None:
        return "", "", star_id
    return mk[1], mk[1] + (mk[2] or ""), star_id


def _remote(template_set):
    filename, sha256, _ = TEMPLATE_SETS[template_set]
    return RemoteFile(
        github_raw_url(_REPOSITORY, _COMMIT, f"templates/{filename}"),
        f"{_FOLDER}/templates/{filename}",
        sha256,
    )


def _template_names(path):
    """``NAME0..NAME<n-1>`` of the primary header: the SUBCLASS of each row."""
    from astropy.io import fits

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fits.verify.VerifyWarning)
        header = fits.getheader(path, 0)
    n = int(header.get("NAXIS2", 0))
    names = []
    for i in range(n):
        if f"NAME{i}" not in header:
            raise ValueError(
                f"{path}: the header has no NAME{i} card; expected NAME0..NAME{n - 1}, "
                "one SDSS SUBCLASS per template row."
            )
        names.append(str(header[f"NAME{i}"]).strip())
    return names


@document_download_params(timeout=600.0)
@validate_params(
    {
        "template_set": [StrOptions({"55734", "53724", "all"})],
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "timeout": TIMEOUT_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def fetch_sdss_templates(
    *,
    template_set="55734",
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load the SDSS/BOSS stellar templates, one spectrum per SDSS SUBCLASS.

    The redshift and classification pipeline of SDSS/BOSS (idlspec2d; Bolton
    et al. 2012, AJ 144, 144) fits each stellar spectrum with a set of
    template spectra and reports the name of the best one as ``SUBCLASS``.
    The 123 templates of ``spEigenStar-55734.fits`` (used from DR9 on) are
    thus the label space of SDSS stellar subclasses, one spectrum per label;
    the 40 of ``spEigenStar-53724.fits`` are the SDSS-I/II (DR7) ones.

    =================   =====================================================
    Spectra             123 (55734), 40 (53724)
    Labels              exact SUBCLASS strings (``'K3III (101673)'``,
                        ``'WDhotter'``...), MK class O-T, WD, C
    Wavelength          3049-11951 Å (55734), 3784-9270 Å (53724);
                        vacuum, log-linear, 1e-4 dex per pixel
    Flux                arbitrary scale (templates)
    =================   =====================================================

    Needs ``sdss_templates/templates/spEigenStar-<set>.fits`` in the data home,
    downloaded when missing from the idlspec2d repository on GitHub at a
    fixed commit and checked against the SHA-256 of the file there.

    Parameters
    ----------
    template_set : {'55734', '53724', 'all'}, default='55734'
        Which template file; ``'all'`` concatenates both (55734 first).
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

        data : SpectrumBatch of n_templates spectra
            Read with the ``'sdss_templates'`` reader of
            :mod:`spectra_sklearn.io` (one common grid per file).
        target : ndarray of str of shape (n_templates,)
            The SDSS ``SUBCLASS`` string (the ``NAME<i>`` header card).
        target_class : ndarray of str of shape (n_templates,)
            MK class from :func:`parse_sdss_subclass` (O B A F G K M L T,
            WD, C).
        target_names : ndarray of str
            The distinct ``target`` values, sorted.
        groups : ndarray of str of shape (n_templates,)
            The star of the template (HD number or G-star name in
            parentheses) when given, else ``'<set>/<row>'``.
        frame : structured ndarray or DataFrame of shape (n_templates,)
            Columns ``template_set``, ``row``, ``sdss_subclass``,
            ``mk_class``, ``mk_subclass``, ``star_id``, ``filename``.
        filenames : ndarray of str of shape (n_templates,)
            Path of the template file of each row.
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

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_sdss_templates
    >>> templates = fetch_sdss_templates()  # doctest: +SKIP
    >>> templates.target[:2].tolist()  # doctest: +SKIP
    ['A0 (19510)', 'A0IVn (25642)']
    """
    from ..io import read_spectra_file

    sets = list(TEMPLATE_SETS) if template_set == "all" else [template_set]
    home = get_data_home(data_home)
    deadline = Deadline.after(timeout, "fetch_sdss_templates")
    spectra, rows = [], []
    for name in sets:
        path = fetch_file(
            _remote(name),
            home,
            download_if_missing=download_if_missing,
            n_retries=n_retries,
            delay=delay,
            fetcher="fetch_sdss_templates",
            deadline=deadline,
        )
        names = _template_names(path)
        batch = read_spectra_file(path, format="sdss_templates")
        if len(batch) != len(names):
            raise ValueError(
                f"{path}: the 'sdss_templates' reader returned {len(batch)} spectra for "
                f"{len(names)} NAME cards."
            )
        spectra += list(batch)
        for row, subclass in enumerate(names):
            mk_class, mk_subclass, star_id = parse_sdss_subclass(subclass)
            rows.append((name, row, subclass, mk_class, mk_subclass, star_id, str(path)))
    target = np.array([r[2] for r in rows], dtype=str)
    data = SpectrumBatch(spectra)
    if return_X_y:
        return data, target
    columns = list(zip(*rows))
    star_id = np.array(columns[5], dtype=str)
    groups = np.array(
        [s or f"{r[0]}/{r[1]}" for s, r in zip(star_id, rows)], dtype=str
    )
    frame = make_frame(
        {
            "template_set": np.array(columns[0], dtype=str),
            "row": np.array(columns[1], dtype=np.int64),
            "sdss_subclass": target,
            "mk_class": np.array(columns[3], dtype=str),
            "mk_subclass": np.array(columns[4], dtype=str),
            "star_id": star_id,
            "filename": [TEMPLATE_SETS[r[0]][0] for r in rows],
        },
        as_frame=as_frame,
        caller="fetch_sdss_templates",
    )
    return Bunch(
        data=data,
        target=target,
        target_class=np.array(columns[3], dtype=str),
        target_names=np.unique(target),
        groups=groups,
        frame=frame,
        filenames=np.array(columns[6], dtype=str),
        DESCR=load_descr("sdss_templates.rst"),
    )
