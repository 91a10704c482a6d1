"""SpeX Prism Library near-infrared spectra of M, L and T dwarfs."""

import functools
import gzip
import urllib.parse
import warnings
import zlib
from importlib import resources
from numbers import Integral, Real
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from ._base import download_all, download_jobs, load_descr, make_frame
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    InvalidFileError,
    RemoteFile,
    RemoteFileNotFoundError,
    document_download_params,
    fetch_file,
)
from ._home import get_data_home
from ._spex_metadata import (
    join_sources,
    parse_spectral_type,
    read_sources,
    read_spectral_data,
)

__all__ = ["QUALITY_FLAGS", "fetch_spex_prism", "load_spex_sample"]

#: Origin of the files: the SPLAT repository, which distributes the public
#: part of the SpeX Prism Library. It publishes no checksums and the files
#: are on its moving ``master`` branch (no commit of it could be checked
#: here): integrity comes from :data:`MANIFEST`, not from this URL.
BASE_URL = (
    "https://raw.githubusercontent.com/aburgasser/splat/master/resources/Spectra/"
    "Public/SPEX-PRISM/"
)
_FOLDER = "spex_prism"
_METADATA = "spectral_data.txt"
_SOURCES = "sources.csv"
#: Values of ``QUALITY_FLAG`` in the library.
QUALITY_FLAGS = ("OK", "POOR", "BG")
_SAMPLE = ("data", "spex_sample")
#: SHA-256 of every file of the library accepted (``sha256sum`` format,
#: gzipped, shipped with the package): the 2,480 spectra and the two metadata
#: tables of the copy checked -- the one the counts in the docstrings come
#: from, taken from the SPLAT 1.14 distribution (MIT). Paths are relative to
#: ``spex_prism/``. Whether the ``master`` branch still serves these bytes
#: cannot be known offline; a file it changed is refused with a ChecksumError
#: naming it (copy your own into the data home: local files are used as is).
MANIFEST = ("data", "spex_prism_sha256sums.txt.gz")


@functools.cache
def _manifest():
    """``{path relative to spex_prism/: sha256}`` of :data:`MANIFEST`."""
    path = resources.files(__package__).joinpath(*MANIFEST)
    digests = {}
    for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            digest, name = line.split("  ", 1)
            digests[name] = digest
    return digests


def _remote(url, relative):
    """The RemoteFile of ``spex_prism/<relative>`` with its manifest SHA-256."""
    return RemoteFile(url, f"{_FOLDER}/{relative}", _manifest().get(relative))


def _verify_fits_gz(data, remote):
    """Refuse a download that is not a gzipped FITS file (e.g. an HTML page).

    The manifest's SHA-256 already refuses any other bytes; this names the
    problem and guards a file the manifest does not list.
    """
    head = b""
    if data[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(data, 80)
        except zlib.error:
            pass
    if not head.startswith(b"SIMPLE"):
        raise InvalidFileError(
            f"{remote.url} did not send a gzipped FITS file (it starts with "
            f"{data[:40]!r}); nothing was written to {remote.path!r}. A proxy, login or "
            "rate-limit page answers with HTML: check the network, or copy the file "
            "into the data home by hand."
        )


def _metadata_remote():
    return _remote(BASE_URL + _METADATA, f"metadata/{_METADATA}")


def _sources_remote():
    return _remote(BASE_URL + _SOURCES, f"metadata/{_SOURCES}")


def _read_sources_file(path):
    return read_sources(Path(path).read_bytes(), path)


def _spectrum_remote(filename):
    return _remote(BASE_URL + urllib.parse.quote(filename), f"spectra/{filename}")


def _fits_name(data_file):
    """``DATA_FILE`` names the FITS file; the library stores it gzipped."""
    return data_file if data_file.endswith(".gz") else f"{data_file}.gz"


def _check_quality(quality):
    if quality is None:
        return None
    flags = (quality,) if isinstance(quality, str) else tuple(quality)
    bad = [f for f in flags if f not in QUALITY_FLAGS]
    if bad or not flags:
        raise ValueError(
            "The 'quality' parameter of fetch_spex_prism must be one of "
            f"{QUALITY_FLAGS}, a list of them, or None (all); got {quality!r}."
        )
    return set(flags)


def _read_spectra(paths, n_jobs):
    from ..io import read_spectra

    return read_spectra([str(p) for p in paths], format="spex", n_jobs=n_jobs)


def _bunch(columns, paths, n_jobs, *, sources, descr, as_frame, return_X_y, caller):
    """Read the spectra of the selected metadata rows and pack the Bunch.

    The catalogue columns of ``sources.csv`` (:data:`SOURCE_COLUMNS`) are
    joined on ``SOURCE_KEY`` into the frame and, with ``MEDIAN_SNR``, into
    each spectrum's ``meta`` (NaN where unknown).
    """
    data = _read_spectra(paths, n_jobs)
    catalogue = join_sources(columns["SOURCE_KEY"], sources)
    for i, meta in enumerate(data.meta):
        meta.update({name: float(values[i]) for name, values in catalogue.items()})
        meta["MEDIAN_SNR"] = float(columns["MEDIAN_SNR"][i]) \
            if "MEDIAN_SNR" in columns else float("nan")
    parts = [parse_spectral_type(t) for t in columns["SPEX_TYPE"]]
    target = np.array([p[0] for p in parts], dtype=str)
    if return_X_y:
        return data, target
    spectral_class = np.array([p[1] for p in parts], dtype=str)
    frame = make_frame(
        {
            **columns,
            "spectral_type": target,
            "spectral_class": spectral_class,
            "subtype": np.array([p[2] for p in parts], dtype=np.float64),
            "spectral_index": np.array([p[3] for p in parts], dtype=np.float64),
            "type_uncertain": np.array([p[4] for p in parts], dtype=bool),
            "filename": [Path(p).name for p in paths],
            **catalogue,
        },
        as_frame=as_frame,
        caller=caller,
    )
    return Bunch(
        data=data,
        target=target,
        target_class=spectral_class,
        groups=np.asarray(columns["SOURCE_KEY"]),
        frame=frame,
        filenames=np.array([str(p) for p in paths], dtype=str),
        DESCR=descr,
    )


_RETURNS = """
    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of n_spectra spectra
            Ragged batch (one wavelength grid per file) read with the
            ``'spex'`` reader of :mod:`spectra_sklearn.io`: wavelength in µm
            (~0.64-2.57), flux density, inverse variance. Flux units differ between files
            (erg s-1 cm-2 A-1, W m-2 um-1 or unknown): normalise each spectrum
            before comparing them.
        target : ndarray of str of shape (n_spectra,)
            Near-infrared spectral type without the uncertainty colons,
            e.g. ``'M8.0'``, ``'L4.5'``, ``'T6.0'``.
        target_class : ndarray of str of shape (n_spectra,)
            Letter class ``'M'``, ``'L'`` or ``'T'`` (``''`` off the M/L/T
            sequence).
        groups : ndarray of int of shape (n_spectra,)
            ``SOURCE_KEY`` of the observed object. Several objects have more
            than one spectrum: split by group (e.g. ``GroupKFold``) so that no
            object is in both the training and the test set.
        frame : structured ndarray or DataFrame of shape (n_spectra,)
            The metadata rows: the 22 columns of ``spectral_data.txt``
            (``DATA_KEY`` and ``SOURCE_KEY`` int; ``JULIAN_DATE``,
            ``RESOLUTION``, ``AIRMASS``, ``MEDIAN_SNR`` float, NaN when
            blank; the others text), then ``spectral_type`` (= target),
            ``spectral_class``, ``subtype`` (float within the class, L4.5 ->
            4.5), ``spectral_index`` (float, M0 = 0, L0 = 10, T0 = 20, so
            T9 = 29; NaN off the sequence), ``type_uncertain`` (bool, the type
            had ``:`` marks), ``filename``, then the catalogue columns of
            the object from ``sources.csv`` joined on ``SOURCE_KEY``
            (float, NaN when unknown): ``J_2MASS``, ``H_2MASS``,
            ``KS_2MASS`` (2MASS magnitudes, Skrutskie et al. 2006) and
            their ``_E`` errors, ``PARALLAX`` and ``PARALLAX_E`` (mas),
            ``MU``, ``MU_E``, ``MU_RA``, ``MU_DEC`` (proper motion, mas/yr),
            ``VTAN`` and ``VTAN_E`` (tangential velocity, km/s). These
            catalogue columns and ``MEDIAN_SNR`` are also in each
            spectrum's ``meta`` under the same names, for
            :class:`~spectra_sklearn.preprocessing.MetadataFeatures`.
            Missing values are the normal case (of the 2,010 default
            spectra: J 99 %, proper motion 59 %, ``VTAN`` 23 %, parallax
            13 % known). The columns derived from spectral types
            (``OPT_TYPE``, ``NIR_TYPE``, ``DISTANCE_PHOT``, gravity
            classes ...) are not joined: they would leak the label.
        filenames : ndarray of str of shape (n_spectra,)
            Path of each FITS file.
        DESCR : str
            Description, references and terms of the dataset.

    (data, target) : tuple if ``return_X_y`` is True

"""


@document_download_params(timeout=1800.0)
@validate_params(
    {
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "include_unlabelled": ["boolean"],
        "quality": [str, list, tuple, None],
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
def fetch_spex_prism(
    *,
    data_home=None,
    download_if_missing=True,
    include_unlabelled=False,
    quality="OK",
    n_jobs=None,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=1800.0,
    progress=None,
):
    """Load the SpeX Prism Library spectra of M, L and T dwarfs.

    Low-resolution (R ~ 75-200) near-infrared spectra from the SpeX
    spectrograph on the NASA IRTF (Burgasser 2014), labelled with SPLAT's
    near-infrared spectral type, as distributed by the SPLAT package. The copy
    of the library checked (``spectral_data.txt`` of 2,477 rows) has 2,245
    spectra typed M, L or T (M 1,149, L 881, T 214); by default
    (``quality='OK'``, typed only) 2,010 remain, M 1,038, L 784 and T 188,
    of 1,792 objects.

    Needs ``spex_prism/metadata/spectral_data.txt``,
    ``spex_prism/metadata/sources.csv`` and the
    ``spex_prism/spectra/*.fits.gz`` files of the selected rows in the data
    home; missing ones are downloaded from the SPLAT repository on GitHub
    (``BASE_URL``: its ``master`` branch, which moves and publishes no
    checksum). Integrity comes from the SHA-256 manifest shipped with the
    package (:data:`MANIFEST`, the 2,482 files of the copy checked): every
    download must have the digest listed, so corrupt bytes, an HTML error
    page served with status 200 or a file changed upstream are refused and
    deleted, never stored. Files already in the data home are used as they
    are (a copy of your own, e.g. of another SPLAT release, serves); spectra
    without a metadata row are ignored; the data home is never modified.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing files; if ``False`` a missing file raises.
    include_unlabelled : bool, default=False
        Also keep rows whose ``SPEX_TYPE`` is not an M, L or T type (blank,
        ``'G'``, ``'sdM7'``, ``'M alph'``...); their ``target_class`` is
        ``''``. By default only M0-T9 types are kept.
    quality : {'OK', 'POOR', 'BG'}, list of them or None, default='OK'
        Keep rows with these ``QUALITY_FLAG`` values; ``None`` keeps all.
        ``'POOR'`` spectra are noisy or flawed; ``'BG'`` rows (79 here) are
        background/non-dwarf targets, none of them typed.
    n_jobs : int, default=None
        Parallel jobs to download (threads, one connection each; ``None``
        means 4) and to read (joblib; ``None`` means 1) the files.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas) instead
        of a numpy structured array.
    {retry_params}
    {timeout_param}
    progress : bool or None, default=None
        tqdm progress bar of the spectrum downloads: ``None`` only on a
        terminal (after 2 s), ``True`` always, ``False`` never.
    {returns}
    Raises
    ------
    FileNotFoundError
        If a needed file is missing and ``download_if_missing=False``.
    spectra_sklearn.datasets.DownloadError
        If a download fails (network, non-writable data home).
    spectra_sklearn.datasets.ChecksumError
        If a downloaded file does not have the SHA-256 of the manifest (the
        message names the file and both digests; nothing is stored).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).
    ValueError
        If ``quality`` holds an unknown flag or the metadata table is
        malformed.

    Warns
    -----
    UserWarning
        If the origin does not have some spectra listed in the metadata
        (HTTP 404): those rows are left out.

    See Also
    --------
    load_spex_sample : A 300-spectrum sample of this library shipped with the
        package, needing no data home.

    Notes
    -----
    Cite the library, Burgasser (2014, ASI Conf. Ser. 11, 7), SPLAT
    (Burgasser & the SPLAT Development Team 2017, ASI Conf. Ser. 14, 7) and
    the per-spectrum ``DATA_REFERENCE`` bibcodes. The files are MIT licensed
    (SPLAT).

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_spex_prism
    >>> spex = fetch_spex_prism()  # doctest: +SKIP
    >>> sorted(set(spex.target_class))  # doctest: +SKIP
    ['L', 'M', 'T']
    """
    flags = _check_quality(quality)
    home = get_data_home(data_home)
    common = dict(
        download_if_missing=download_if_missing,
        n_retries=n_retries,
        delay=delay,
        fetcher="fetch_spex_prism",
        deadline=Deadline.after(timeout, "fetch_spex_prism"),
    )
    meta_path = fetch_file(_metadata_remote(), home, **common)
    _, _, columns = read_spectral_data(meta_path.read_bytes(), meta_path)
    sources = _read_sources_file(fetch_file(_sources_remote(), home, **common))

    keep = columns["DATA_FILE"] != ""
    if flags is not None:
        keep &= np.isin(columns["QUALITY_FLAG"], list(flags))
    if not include_unlabelled:
        typed = [parse_spectral_type(t)[1] != "" for t in columns["SPEX_TYPE"]]
        keep &= np.array(typed, dtype=bool)
    columns = {name: values[keep] for name, values in columns.items()}

    remotes = [_spectrum_remote(_fits_name(f)) for f in columns["DATA_FILE"]]
    missing = [r for r in remotes if not r.local_path(home).is_file()]
    if missing and not download_if_missing:
        folder = home / _FOLDER / "spectra"
        names = ", ".join(Path(r.path).name for r in missing[:3])
        raise FileNotFoundError(
            f"{len(missing)} of the {len(remotes)} selected SpeX spectra are missing "
            f"from {folder} (e.g. {names}) and download_if_missing=False. Call "
            "fetch_spex_prism with download_if_missing=True to download them from "
            f"{BASE_URL}, or copy them there by hand."
        )

    results = download_all(
        missing,
        lambda remote: fetch_file(remote, home, verify=_verify_fits_gz, **common),
        n_jobs=download_jobs(n_jobs),
        progress=progress,
        desc="SpeX spectra",
        home=home,
        stop_on_error=lambda exc: not isinstance(exc, RemoteFileNotFoundError),
    )
    failed = [r for r in results if isinstance(r, Exception)
              and not isinstance(r, RemoteFileNotFoundError)]
    if failed:
        raise failed[0]
    absent = [r.path for r, result in zip(missing, results)
              if isinstance(result, RemoteFileNotFoundError)]
    if absent:
        warnings.warn(
            f"{len(absent)} spectra listed in {_METADATA} are not available at "
            f"{BASE_URL} (HTTP 404) and are left out: "
            + ", ".join(Path(p).name for p in absent[:5])
            + (", ..." if len(absent) > 5 else "."),
            UserWarning,
            stacklevel=3,  # the caller of the validate_params wrapper
        )
        absent = set(absent)
        present = np.array([r.path not in absent for r in remotes], dtype=bool)
        columns = {name: values[present] for name, values in columns.items()}
        remotes = [r for r in remotes if r.path not in absent]
    paths = [r.local_path(home) for r in remotes]
    return _bunch(
        columns,
        paths,
        n_jobs,
        sources=sources,
        descr=load_descr("spex_prism.rst"),
        as_frame=as_frame,
        return_X_y=return_X_y,
        caller="fetch_spex_prism",
    )


fetch_spex_prism.__doc__ = fetch_spex_prism.__doc__.replace("    {returns}\n", _RETURNS)


@validate_params(
    {
        "n_jobs": [Integral, None],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_spex_sample(*, n_jobs=None, return_X_y=False, as_frame=False):
    """Load a 300-spectrum sample of the SpeX Prism Library shipped with the package.

    100 M, 100 L and 100 T dwarf spectra (``QUALITY_FLAG`` OK) drawn at random
    with a fixed seed, spread over the subtypes of each class, copied
    unchanged from the library (see :func:`fetch_spex_prism`). It needs no
    data home and no network: use it for examples, tests and quick
    experiments.

    In each class 10 objects contribute two spectra and the others one
    (270 objects in all), so a split that ignores ``groups`` puts the same
    object in both the training and the test set: use a group-aware splitter
    such as :class:`~sklearn.model_selection.GroupKFold`.

    The sample is made by ``python -m spectra_sklearn.datasets._make_spex_sample
    --data-home <folder>`` (deterministic).

    Parameters
    ----------
    n_jobs : int, default=None
        Parallel jobs to read the files; ``None`` means 1.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas) instead
        of a numpy structured array.
    {returns}
    See Also
    --------
    fetch_spex_prism : The whole library.

    Notes
    -----
    Cite Burgasser (2014, ASI Conf. Ser. 11, 7) and the per-spectrum
    ``DATA_REFERENCE`` bibcodes. The files are MIT licensed (SPLAT): the
    licence is shipped beside them as ``LICENSE.splat``.

    Examples
    --------
    >>> from collections import Counter
    >>> from spectra_sklearn.datasets import load_spex_sample
    >>> spex = load_spex_sample()
    >>> len(spex.data)
    300
    >>> sorted(Counter(spex.target_class.tolist()).items())
    [('L', 100), ('M', 100), ('T', 100)]
    >>> len(set(spex.groups.tolist()))
    270
    """
    folder = resources.files(__package__).joinpath(*_SAMPLE)
    with resources.as_file(folder) as folder:
        meta_path = Path(folder) / _METADATA
        _, _, columns = read_spectral_data(meta_path.read_bytes(), meta_path)
        paths = [Path(folder) / "spectra" / _fits_name(f) for f in columns["DATA_FILE"]]
        return _bunch(
            columns,
            paths,
            n_jobs,
            sources=_read_sources_file(Path(folder) / _SOURCES),
            descr=load_descr("spex_sample.rst"),
            as_frame=as_frame,
            return_X_y=return_X_y,
            caller="load_spex_sample",
        )


load_spex_sample.__doc__ = load_spex_sample.__doc__.replace("    {returns}\n", _RETURNS)
