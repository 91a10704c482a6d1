"""One SDSS optical spectrum, looked up by PLATE-MJD-FIBERID."""

import warnings
from numbers import Integral, Real
from os import PathLike
from pathlib import Path

from sklearn.utils._param_validation import Interval, validate_params

from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_first,
)
from ._home import get_data_home

__all__ = ["fetch_sdss_spectrum", "sdss_spectrum_filename"]

#: Science Archive Server of the SDSS data release the spectra are taken from.
SAS_URL = "https://data.sdss.org/sas/dr17/"
#: Reductions holding SDSS-I/II plates (``RUN2D``): the legacy survey (26)
#: and SEGUE-1/2 (103, 104); BOSS and eBOSS plates are in eBOSS's v5_13_2.
_LEGACY_RUN2D = ("26", "103", "104")
_EBOSS_RUN2D = "v5_13_2"
#: First plate number of BOSS (SDSS-III); lower numbers are SDSS-I/II plates.
_FIRST_BOSS_PLATE = 3500
_FOLDER = "sdss_spectra"

#: Header scans of the data-home folder: path -> (mtime_ns, (plate, mjd, fiber)).
_HEADER_CACHE = {}


def sdss_spectrum_filename(plate, mjd, fiber):
    """Name SDSS gives the file of a spectrum: ``spec-PPPP-MMMMM-FFFF.fits``.

    Examples
    --------
    >>> from spectra_sklearn.datasets import sdss_spectrum_filename
    >>> sdss_spectrum_filename(945, 52652, 470)
    'spec-0945-52652-0470.fits'
    """
    return f"spec-{int(plate):04d}-{int(mjd):05d}-{int(fiber):04d}.fits"


def _candidate_remotes(plate, mjd, fiber, lite):
    name = sdss_spectrum_filename(plate, mjd, fiber)
    dest = f"{_FOLDER}/{'lite/' if lite else ''}{name}"
    legacy = [
        f"{SAS_URL}sdss/spectro/redux/{run2d}/spectra/{'lite/' if lite else ''}"
        f"{plate:04d}/{name}"
        for run2d in _LEGACY_RUN2D
    ]
    eboss = [
        f"{SAS_URL}eboss/spectro/redux/{_EBOSS_RUN2D}/spectra/"
        f"{'lite' if lite else 'full'}/{plate:04d}/{name}"
    ]
    urls = legacy + eboss if plate < _FIRST_BOSS_PLATE else eboss + legacy
    # SDSS publishes no SHA-256 for the spectrum files.
    return [RemoteFile(url, dest) for url in urls]


def _header_ids(path):
    """(PLATEID, MJD, FIBERID) of an SDSS spec file's primary header, or None."""
    from astropy.io import fits

    mtime = path.stat().st_mtime_ns
    cached = _HEADER_CACHE.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    ids = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd cards in other files do not matter
            header = fits.getheader(path, 0)
        ids = tuple(int(header[k]) for k in ("PLATEID", "MJD", "FIBERID"))
    except (OSError, KeyError, ValueError, TypeError):
        ids = None
    _HEADER_CACHE[path] = (mtime, ids)
    return ids


def _find_local(home, plate, mjd, fiber):
    """A file of the data home holding this spectrum, whatever its name."""
    folder = home / _FOLDER
    name = sdss_spectrum_filename(plate, mjd, fiber)
    for candidate in (folder / name, folder / "lite" / name):
        if candidate.is_file():
            return candidate
    for sub in (folder, folder / "lite"):
        if not sub.is_dir():
            continue
        for path in sorted(sub.iterdir()):
            if path.suffix.lower() in (".fits", ".fit") and path.is_file():
                if _header_ids(path) == (plate, mjd, fiber):
                    return path
    return None


@document_download_params(timeout=600.0)
@validate_params(
    {
        "plate": [Interval(Integral, 1, None, closed="left")],
        "mjd": [Interval(Integral, 1, None, closed="left")],
        "fiber": [Interval(Integral, 1, None, closed="left")],
        "lite": ["boolean"],
        "data_home": [str, PathLike, None],
        "download_if_missing": ["boolean"],
        "n_retries": [Interval(Integral, 0, None, closed="left")],
        "delay": [Interval(Real, 0.0, None, closed="left")],
        "timeout": TIMEOUT_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def fetch_sdss_spectrum(
    plate,
    mjd,
    fiber,
    *,
    lite=False,
    data_home=None,
    download_if_missing=True,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load one SDSS optical spectrum by its PLATE-MJD-FIBERID.

    SDSS identifies a spectrum by the plug plate, the MJD of the night it was
    observed and the fibre (York et al. 2000; Abdurro'uf et al. 2022 for
    DR17). The file (``spec-PPPP-MMMMM-FFFF.fits``: ``COADD`` table of
    ``loglam``, ``flux`` in 1e-17 erg s-1 cm-2 Å-1, ``ivar``, ``and_mask``;
    ``SPECOBJ`` row with the pipeline's ``CLASS``, ``SUBCLASS``, ``Z``) is
    looked up in ``sdss_spectra/`` of the data home, by that name or -- for
    files saved under another name -- by the ``PLATEID``, ``MJD`` and
    ``FIBERID`` cards of their primary header. When missing it is downloaded
    from the DR17 Science Archive Server (``SAS_URL``), trying the SDSS-I/II
    legacy and SEGUE reductions (RUN2D 26, 103, 104) and the BOSS/eBOSS one
    (v5_13_2) in turn, and saved as ``sdss_spectra/spec-PPPP-MMMMM-FFFF.fits``
    (``sdss_spectra/lite/`` for ``lite=True``). SDSS publishes no checksum of
    these files.

    Parameters
    ----------
    plate : int
        Plate number (``PLATEID``/``PLATE``).
    mjd : int
        MJD of the observation.
    fiber : int
        Fibre number (``FIBERID``), 1-640 (SDSS-I/II) or 1-1000 (BOSS).
    lite : bool, default=False
        Download the "lite" file (coadded spectrum only) rather than the full
        one with the individual exposures; either serves when already in the
        data home.
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download the file when missing; if ``False`` a missing file raises.
    {retry_params}
    {timeout_param}

    Returns
    -------
    Spectrum
        Read with the ``'sdss'`` reader of :mod:`spectra_sklearn.io`
        (wavelength in Å, vacuum); ``meta`` holds the pipeline's ``class``,
        ``subclass``, ``z``, and ``plate``, ``mjd``, ``fiberid``.

    Raises
    ------
    FileNotFoundError
        If the file is missing and ``download_if_missing=False``.
    spectra_sklearn.datasets.RemoteFileNotFoundError
        If no reduction on the archive has this PLATE-MJD-FIBERID.
    spectra_sklearn.datasets.DownloadError
        If the download fails (no network, HTTP error, non-writable data home).
    spectra_sklearn.datasets.DownloadTimeoutError
        If downloading takes longer than ``timeout`` (files complete by then
        are kept; calling again resumes).

    Notes
    -----
    SDSS data are public; acknowledge SDSS as its data policy asks
    (https://www.sdss.org/collaboration/citing-sdss/) and cite the data
    release used (DR17: Abdurro'uf et al. 2022, ApJS 259, 35).

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_sdss_spectrum
    >>> spectrum = fetch_sdss_spectrum(2488, 54149, 1)  # doctest: +SKIP
    >>> spectrum.meta["class"]  # doctest: +SKIP
    'GALAXY'
    """
    from ..io import read_spectrum

    home = get_data_home(data_home)
    path = _find_local(home, plate, mjd, fiber)
    if path is None:
        path = fetch_first(
            _candidate_remotes(plate, mjd, fiber, lite),
            home,
            download_if_missing=download_if_missing,
            n_retries=n_retries,
            delay=delay,
            fetcher="fetch_sdss_spectrum",
            deadline=Deadline.after(timeout, "fetch_sdss_spectrum"),
        )
    return read_spectrum(Path(path), format="sdss")
