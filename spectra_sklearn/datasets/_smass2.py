"""SMASSII visible asteroid reflectance spectra with their Bus (SMASSII) classes."""

import re
import tarfile
import warnings
from numbers import Integral, Real
from os import PathLike

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params

from .._batch import SpectrumBatch
from ._base import load_descr, make_frame
from ._download import (
    TIMEOUT_CONSTRAINT,
    Deadline,
    RemoteFile,
    document_download_params,
    fetch_file,
)
from ._home import get_data_home

__all__ = ["BUS_DEMEO_MAIN_GROUPS", "BUS_MAIN_GROUPS", "fetch_smass2"]

#: Origin of the two SMASSII files (the survey's own site at MIT).
BASE_URL = "http://smass.mit.edu/data/smass/"
#: SHA-256 of the origin files (the values the seed projects check).
_TAXONOMY_SHA256 = "0ce970a6972dd7c49d512848b9736d00b621c9d6395a035bd1b4f3780d4b56c6"
_ARCHIVE_SHA256 = "dacf575eb1403c08bdfbffcd5dbfe12503a588e09b04ed19cc4572584a57fa97"
_FOLDER = "smass2"
_TAXONOMY = "Bus.Taxonomy.txt"
_ARCHIVE = "smass2data.tar.gz"
#: ``Bus.Taxonomy.txt`` opens with a 21-line free-text header.
_TAXONOMY_HEADER_LINES = 21
#: Observed spectra in the archive: ``a000001.[2]`` (numbered) or
#: ``au1995BM2.[2]`` (provisional); the ``.spfit.[2]`` spline fits are skipped.
_SPECTRUM_MEMBER = re.compile(r"(?:.*/)?(a\d+|au\d{4}[A-Z]{2}\d*)\.\[2\]")

_C = ("B", "C", "Cb", "Cg", "Cgh", "Ch")
_S = ("S", "Sa", "Sk", "Sl", "Sq", "Sr")
_X = ("X", "Xc", "Xe", "Xk")
_OTHER = ("A", "D", "K", "L", "Ld", "O", "Q", "R", "T", "V")

#: Bus (SMASSII) class -> main group ``'C'``, ``'S'``, ``'X'`` or ``'Other'``.
#:
#: The C-, S- and X-complexes are the three major groupings of the
#: feature-based taxonomy of Bus & Binzel (2002, Icarus 158, 146): C-complex
#: {B, C, Cb, Cg, Cgh, Ch}, S-complex {S, Sa, Sk, Sl, Sq, Sr}, X-complex
#: {X, Xc, Xe, Xk}; every other class (A, D, K, L, Ld, O, Q, R, T, V) is
#: ``'Other'``. This is the grouping used by the seed projects
#: (``bus_to_main_dict`` in ThomasAlbin's asteroid-taxonomy notebooks), which
#: leaves the end-member classes A, K, L, Q and R out of the S-complex.
BUS_MAIN_GROUPS = {
    **dict.fromkeys(_C, "C"),
    **dict.fromkeys(_S, "S"),
    **dict.fromkeys(_X, "X"),
    **dict.fromkeys(_OTHER, "Other"),
}

#: The same main groups for the Bus-DeMeo classes (DeMeo et al. 2009, Icarus 202,
#: 160), which add Sv to the S-complex and Xn to the X-complex.
BUS_DEMEO_MAIN_GROUPS = {**BUS_MAIN_GROUPS, "Sv": "S", "Xn": "X"}


def _remote_files():
    """The two origin files (built at call time so ``BASE_URL`` can be changed)."""
    return (
        RemoteFile(BASE_URL + _TAXONOMY, f"{_FOLDER}/{_TAXONOMY}", _TAXONOMY_SHA256),
        RemoteFile(BASE_URL + _ARCHIVE, f"{_FOLDER}/{_ARCHIVE}", _ARCHIVE_SHA256),
    )


def _member_stem(number, designation):
    """Archive file stem of an asteroid: ``a%06d`` or ``au`` + packed designation."""
    if number:
        return f"a{number:06d}"
    return "au" + designation.replace(" ", "")


def _parse_taxonomy(text, source):
    """Rows of ``Bus.Taxonomy.txt``: one dict per asteroid, keyed by archive stem.

    After the header each line is tab-separated: name, Tholen class (often
    blank), SMASSII class; some lines repeat the tab. Numbered asteroids start
    at column 0 (``"1 Ceres"``, ``"5646 1990 TR"``); unnumbered ones are indented
    provisional designations (``"      1995 BM2"``). A class of ``-`` means none.
    """
    lines = text.splitlines()
    if len(lines) <= _TAXONOMY_HEADER_LINES:
        raise ValueError(
            f"{source} has {len(lines)} lines; expected a "
            f"{_TAXONOMY_HEADER_LINES}-line header followed by one tab-separated line "
            "per asteroid."
        )
    rows = {}
    first = _TAXONOMY_HEADER_LINES
    for lineno, line in enumerate(lines[first:], first + 1):
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split("\t")]
        classes = [f for f in fields[1:] if f]
        if not 1 <= len(classes) <= 2:
            raise ValueError(
                f"{source}, line {lineno}: expected 'name<TAB>[Tholen class]<TAB>"
                f"SMASSII class'; found {line!r}."
            )
        name = fields[0]
        if line[0].isspace():
            number, designation, label = 0, name, name
        else:
            match = re.fullmatch(r"(\d+)\s+(.+)", name)
            if match is None:
                raise ValueError(
                    f"{source}, line {lineno}: a line that is not indented must start "
                    f"with the asteroid number and name; found {name!r}."
                )
            number, label = int(match[1]), match[2]
            designation = str(number)
        bus_class = classes[-1]
        rows[_member_stem(number, designation)] = {
            "designation": designation,
            "number": number,
            "name": label,
            "tholen_class": classes[0] if len(classes) == 2 else "",
            "bus_class": "" if bus_class == "-" else bus_class,
        }
    return rows


def _read_archive(path, rows):
    """Parse every observed spectrum of the archive, in memory, in taxonomy order."""
    from ..io.smass import parse_smass_text

    texts = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            match = _SPECTRUM_MEMBER.fullmatch(member.name)
            if member.isfile() and match:
                texts[match[1]] = (member.name, tar.extractfile(member).read())
    unlabelled = sorted(s for s in texts if not rows.get(s, {}).get("bus_class"))
    if unlabelled:
        warnings.warn(
            f"{len(unlabelled)} spectra of {path} have no SMASSII class in "
            f"{_TAXONOMY} and are left out: {', '.join(unlabelled[:5])}"
            + (", ..." if len(unlabelled) > 5 else "."),
            UserWarning,
            stacklevel=4,  # the caller of fetch_smass2's validate_params wrapper
        )
    stems = [s for s in rows if s in texts and s not in unlabelled]
    spectra = [parse_smass_text(texts[s][1], source=texts[s][0]) for s in stems]
    return stems, [texts[s][0] for s in stems], spectra


@document_download_params(timeout=600.0)
@validate_params(
    {
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
def fetch_smass2(
    *,
    data_home=None,
    download_if_missing=True,
    return_X_y=False,
    as_frame=False,
    n_retries=3,
    delay=1.0,
    timeout=600.0,
):
    """Load the SMASSII visible asteroid spectra and their Bus classes.

    The second phase of the Small Main-Belt Asteroid Spectroscopic Survey
    (Bus & Binzel 2002, Icarus 158, 106) observed 1,341 asteroids from 0.435 to
    0.925 µm; each is labelled with its class in the feature-based taxonomy of
    Bus & Binzel (2002, Icarus 158, 146), 25 classes among these spectra.

    =================   =====================================================
    Spectra             1,341 (one per asteroid)
    Classes             25 Bus classes (S 383 ... O 1); 4 main groups
    Wavelength          0.435-0.925 µm, ~0.0025 µm step, 163-218 pixels
    Flux                reflectance, dimensionless, 1.0 at 0.55 µm
    =================   =====================================================

    Needs two files in the data home, ``smass2/Bus.Taxonomy.txt`` and
    ``smass2/smass2data.tar.gz``, downloaded from the survey site
    (http://smass.mit.edu/data/smass/) when missing and checked against their
    published SHA-256. The spectra are parsed straight from the archive in
    memory: nothing is extracted, the data home is never modified.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    download_if_missing : bool, default=True
        Download missing files; if ``False`` a missing file raises.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas) instead
        of a numpy structured array.
    {retry_params}
    {timeout_param}

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : SpectrumBatch of 1,341 spectra
            Ragged batch (each spectrum on its own wavelength grid, in µm).
            Bad rows with a wavelength of 0 in the original files are dealt
            with by :func:`spectra_sklearn.io.smass.parse_smass_text`.
        target : ndarray of str of shape (1341,)
            Bus (SMASSII) class, e.g. ``'S'``, ``'Ch'``, ``'Xc'``.
        target_main_group : ndarray of str of shape (1341,)
            ``'C'``, ``'S'``, ``'X'`` or ``'Other'``, from
            :data:`BUS_MAIN_GROUPS`.
        target_names : ndarray of str
            The sorted distinct Bus classes.
        groups : ndarray of str of shape (1341,)
            Asteroid designation: the number as text for numbered asteroids
            (``'1'`` for (1) Ceres), else the provisional designation
            (``'1995 BM2'``). One spectrum per asteroid here; use it to
            split by object when combining with other asteroid sets.
        frame : structured ndarray or DataFrame of shape (1341,)
            Columns ``designation``, ``number`` (int, 0 when unnumbered),
            ``name``, ``tholen_class`` (Tholen 1989; '' when none, in
            parentheses when from SMASSI), ``bus_class``, ``main_group``,
            ``filename`` (archive member).
        DESCR : str
            Description, references and terms of the dataset.

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
    ValueError
        If ``Bus.Taxonomy.txt`` does not have the expected layout.

    See Also
    --------
    BUS_MAIN_GROUPS : The class to main group mapping.

    Notes
    -----
    Cite Bus & Binzel (2002a, Icarus 158, 106; 2002b, Icarus 158, 146) when
    using the data. The taxonomy file asks readers to contact S. J. Bus before
    quoting the classes in a publication.

    Examples
    --------
    Skipped as a doctest: it needs the data home or the network.

    >>> from spectra_sklearn.datasets import fetch_smass2
    >>> smass = fetch_smass2()  # doctest: +SKIP
    >>> len(smass.data), smass.target[:3].tolist()  # doctest: +SKIP
    (1341, ['C', 'B', 'Sk'])
    >>> smass.target_main_group[:3].tolist()  # doctest: +SKIP
    ['C', 'C', 'S']
    """
    home = get_data_home(data_home)
    deadline = Deadline.after(timeout, "fetch_smass2")
    taxonomy, archive = (
        fetch_file(
            remote,
            home,
            download_if_missing=download_if_missing,
            n_retries=n_retries,
            delay=delay,
            fetcher="fetch_smass2",
            deadline=deadline,
        )
        for remote in _remote_files()
    )
    rows = _parse_taxonomy(taxonomy.read_text(encoding="latin-1"), taxonomy)
    stems, members, spectra = _read_archive(archive, rows)
    table = [rows[s] for s in stems]
    target = np.array([r["bus_class"] for r in table], dtype=str)
    main_group = np.array([BUS_MAIN_GROUPS.get(c, "Other") for c in target], dtype=str)
    data = SpectrumBatch(spectra)
    if return_X_y:
        return data, target
    designation = np.array([r["designation"] for r in table], dtype=str)
    frame = make_frame(
        {
            "designation": designation,
            "number": np.array([r["number"] for r in table], dtype=np.int64),
            "name": [r["name"] for r in table],
            "tholen_class": [r["tholen_class"] for r in table],
            "bus_class": target,
            "main_group": main_group,
            "filename": [m.rsplit("/", 1)[-1] for m in members],
        },
        as_frame=as_frame,
        caller="fetch_smass2",
    )
    return Bunch(
        data=data,
        target=target,
        target_main_group=main_group,
        target_names=np.unique(target),
        groups=designation,
        frame=frame,
        DESCR=load_descr("smass2.rst"),
    )
