"""Where the real datasets live on disk: the data home."""

import os
from pathlib import Path

__all__ = ["DATA_HOME_ENV", "get_data_home"]

#: Environment variable naming the data home (overridden by ``data_home=``).
DATA_HOME_ENV = "SPECTRA_SKLEARN_DATA"

_DEFAULT_DATA_HOME = "~/spectra_sklearn_data"


def get_data_home(data_home=None):
    """Return the folder the dataset fetchers read from and download into.

    The data home is laid out one sub-folder per dataset, with the files named
    as their origin distributes them::

        <data_home>/spex_prism/metadata/spectral_data.txt
        <data_home>/spex_prism/spectra/<DATA_KEY>_<SOURCE_KEY>.fits.gz
        <data_home>/smass2/Bus.Taxonomy.txt
        <data_home>/smass2/smass2data.tar.gz

    so any folder with that layout serves, including a read-only one shared by
    several users. The fetchers only ever *add* missing files to it; files
    already there are read, never modified.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. ``None`` means the ``SPECTRA_SKLEARN_DATA``
        environment variable when it is set and not empty, else
        ``~/spectra_sklearn_data``. A leading ``~`` is expanded.

    Returns
    -------
    pathlib.Path
        Absolute path of the data home. The folder is not created here (a
        fetcher creates what it needs when it downloads).

    Examples
    --------
    >>> from spectra_sklearn.datasets import get_data_home
    >>> get_data_home("/tmp/my_spectra").as_posix()
    '/tmp/my_spectra'
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or _DEFAULT_DATA_HOME
    try:
        path = Path(os.fspath(data_home))
    except TypeError:
        raise TypeError(
            "data_home must be a str, a path-like object or None; got "
            f"{type(data_home).__name__} {data_home!r}."
        ) from None
    return path.expanduser().absolute()
