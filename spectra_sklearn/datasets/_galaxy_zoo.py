"""Galaxy Zoo 1: SDSS colour images of galaxies with their morphology (6 classes)."""

from numbers import Integral
from os import PathLike
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._param_validation import validate_params

from ._base import load_descr, make_frame, read_csv_rows
from ._home import get_data_home

__all__ = [
    "GALAXY_ZOO1_3CLASSES",
    "GALAXY_ZOO1_CLASSES",
    "GALAXY_ZOO1_MIRROR_PAIRS",
    "GALAXY_ZOO1_TO_3CLASS",
    "fetch_galaxy_zoo1",
]

_FOLDER = "galaxy_zoo1"
_LABELS = "labels/smallCSV_class.csv"
_CHUNK = 256  # images read, cropped and resized at a time with load_images=True

#: The six Galaxy Zoo 1 classes, in the order of their codes 0-5.
GALAXY_ZOO1_CLASSES = ("elliptical", "clockwise_spiral", "anticlockwise_spiral", "edge_on",
                       "dont_know", "merger")
#: The merged classes: elliptical / spiral (CW + ACW + edge-on) / other.
GALAXY_ZOO1_3CLASSES = ("elliptical", "spiral", "other")
#: Code of each of the six classes in the merged three.
GALAXY_ZOO1_TO_3CLASS = {0: 0, 1: 1, 2: 1, 3: 1, 4: 2, 5: 2}
#: Class codes a mirror flip of the image swaps: clockwise <-> anticlockwise.
GALAXY_ZOO1_MIRROR_PAIRS = ((1, 2),)


def _read_labels(path):
    if not path.is_file():
        raise FileNotFoundError(
            f"The Galaxy Zoo 1 label table is missing from the data home: expected {path}. "
            "It is smallGZ1/smallCSV_class.csv of the GitHub repository "
            "Eggochi/Proyecto_Galaxias (commit 5226e5e4), with the images in "
            f"{path.parent.parent / 'images'}; nothing is downloaded: copy them from a data "
            "home that has them (pass data_home= or set SPECTRA_SKLEARN_DATA)."
        )
    _, rows = read_csv_rows(path, required=("OBJID", "CLASS"))
    objids, classes = [], []
    for line, row in enumerate(rows, start=2):
        objid, code = row["OBJID"], row["CLASS"]
        if not objid.isdigit() or code not in {str(c) for c in range(6)}:
            raise ValueError(
                f"{path}, line {line}: expected an SDSS objid (digits) and a CLASS 0-5; "
                f"found {objid!r}, {code!r}."
            )
        objids.append(int(objid))
        classes.append(int(code))
    return np.array(objids, dtype=np.int64), np.array(classes, dtype=np.int64)


def _load_images(paths, crop, resize, n_jobs):
    """Read the images in chunks, cropping and resizing each chunk (bounded memory)."""
    from ..images import CenterCrop, ImageBatch, ImageResizer, read_images

    steps = ([CenterCrop(size=crop)] if crop is not None else []) + (
        [ImageResizer(size=resize)] if resize is not None else [])
    parts = []
    for start in range(0, len(paths), _CHUNK):
        batch = read_images(paths[start:start + _CHUNK], format="jpeg", n_jobs=n_jobs)
        for step in steps:
            batch = step.fit_transform(batch)
        parts.append(batch)
    return ImageBatch.concatenate(parts)


@validate_params(
    {
        "data_home": [str, PathLike, None],
        "load_images": ["boolean"],
        "crop": [Integral, tuple, None],
        "resize": [Integral, tuple, None],
        "n_jobs": [Integral, None],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_galaxy_zoo1(data_home=None, *, load_images=False, crop=None, resize=None,
                      n_jobs=None, return_X_y=False, as_frame=False):
    """Load the Galaxy Zoo 1 sample: 5,331 SDSS galaxy images in six morphology classes.

    Colour (gri) cutouts of SDSS galaxies, 423 x 423 JPEG pixels, labelled
    with the most specific Galaxy Zoo 1 class the volunteers' votes reached
    (Lintott et al. 2008, 2011): elliptical 3,705, clockwise spiral 338,
    anticlockwise spiral 345, edge-on 809, don't know 41, merger 93.

    Needs ``galaxy_zoo1/labels/smallCSV_class.csv`` and
    ``galaxy_zoo1/images/<objid>.jpeg`` in the data home (see its
    ``galaxy_zoo1/PROVENANCE.md``); nothing is downloaded and the data home
    is never modified.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The data home; ``None`` means :func:`get_data_home`'s default.
    load_images : bool, default=False
        Return the images read (an :class:`~spectra_sklearn.images.ImageBatch`)
        as ``data`` instead of their paths. At full size they take 11.4 GB of
        float32: pass ``crop`` and/or ``resize``, applied while reading (256
        images at a time).
    crop : int or (int, int), default=None
        With ``load_images``: keep the central pixels
        (:class:`~spectra_sklearn.images.CenterCrop`).
    resize : int or (int, int), default=None
        With ``load_images``: area-average to this size after cropping
        (:class:`~spectra_sklearn.images.ImageResizer`).
    n_jobs : int, default=None
        Processes reading the images (``load_images=True`` only).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        Return ``frame`` as a :class:`pandas.DataFrame` (needs pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with:

        data : ndarray of str of shape (n_images,), or ImageBatch
            The JPEG paths (feed them to
            :class:`~spectra_sklearn.images.ImageReader` in a Pipeline), or
            with ``load_images=True`` the images: float32 pixels in ``[0, 1]``,
            bands ``('r', 'g', 'b')`` (the colours of the picture: SDSS i, r,
            g), of shape ``(n_images, 3, height, width)``.
        target : ndarray of int of shape (n_images,)
            The class code 0-5 (names in ``target_names``).
        target_names : ndarray of str of shape (6,)
            :data:`GALAXY_ZOO1_CLASSES`.
        target_3class : ndarray of int of shape (n_images,)
            0 elliptical, 1 spiral (clockwise, anticlockwise or edge-on),
            2 other (don't know or merger).
        target_3class_names : ndarray of str of shape (3,)
            :data:`GALAXY_ZOO1_3CLASSES`.
        frame : structured ndarray or DataFrame of shape (n_images,)
            Columns ``objid`` (int64, SDSS DR7), ``class`` and
            ``class_name``, ``class_3`` and ``class_3_name``, ``filename``.
        filenames : ndarray of str of shape (n_images,)
            Path of each JPEG.
        DESCR : str
            Description, references and terms.

    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    FileNotFoundError
        If the label table or a labelled image is missing.
    ValueError
        If the label table is malformed, or ``crop``/``resize`` are given
        without ``load_images``.

    See Also
    --------
    spectra_sklearn.images.ImageReader : Read the paths in a Pipeline.

    Notes
    -----
    A mirror flip swaps clockwise and anticlockwise spirals
    (:data:`GALAXY_ZOO1_MIRROR_PAIRS`); label-aware augmentation must swap
    their codes too.

    Examples
    --------
    Skipped as a doctest: it needs the data home.

    >>> from spectra_sklearn.datasets import fetch_galaxy_zoo1
    >>> gz = fetch_galaxy_zoo1()  # doctest: +SKIP
    >>> gz.data.shape, gz.target_names[gz.target[0]]  # doctest: +SKIP
    ((5331,), 'elliptical')
    >>> X, y = fetch_galaxy_zoo1(load_images=True, crop=128, resize=64,
    ...                          return_X_y=True)  # doctest: +SKIP
    >>> X.pixels.shape  # doctest: +SKIP
    (5331, 3, 64, 64)
    """
    if not load_images and (crop is not None or resize is not None):
        raise ValueError(
            "fetch_galaxy_zoo1: crop= and resize= apply to images read with "
            "load_images=True; got load_images=False (put CenterCrop / ImageResizer "
            "after an ImageReader in a Pipeline on the paths instead)."
        )
    home = get_data_home(data_home)
    folder = home / _FOLDER
    objids, classes = _read_labels(folder / _LABELS)
    paths = [folder / "images" / f"{objid}.jpeg" for objid in objids]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(paths)} Galaxy Zoo 1 images listed in {_LABELS} "
            f"are missing from {folder / 'images'} (e.g. {missing[0].name}); copy them "
            "there (nothing is downloaded)."
        )
    filenames = np.array([str(p) for p in paths], dtype=str)
    data = _load_images(list(filenames), crop, resize, n_jobs) if load_images else filenames
    if return_X_y:
        return data, classes
    class_3 = np.array([GALAXY_ZOO1_TO_3CLASS[c] for c in classes], dtype=np.int64)
    names6, names3 = np.array(GALAXY_ZOO1_CLASSES), np.array(GALAXY_ZOO1_3CLASSES)
    frame = make_frame(
        {
            "objid": objids,
            "class": classes,
            "class_name": names6[classes],
            "class_3": class_3,
            "class_3_name": names3[class_3],
            "filename": [Path(p).name for p in paths],
        },
        as_frame=as_frame,
        caller="fetch_galaxy_zoo1",
    )
    return Bunch(
        data=data,
        target=classes,
        target_names=names6,
        target_3class=class_3,
        target_3class_names=names3,
        frame=frame,
        filenames=filenames,
        DESCR=load_descr("galaxy_zoo1.rst"),
    )
