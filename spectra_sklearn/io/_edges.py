"""Zero padding at the ends of a spectrum: pixels with no data, written as 0."""

import numpy as np

__all__ = ["edge_padding"]


def edge_padding(flux):
    """Mask of the runs of exactly-zero flux at both ends of ``flux``.

    Libraries that put all spectra on one wavelength range fill the part a
    star was not observed in with zeros (MILES star m0970 ends with 270 of
    them; the SDSS-I/II stellar templates of ``spEigenStar-53724`` with up to
    55). Such a zero is "no data", not a measured zero flux; zeros inside
    the spectrum are left alone.

    Parameters
    ----------
    flux : ndarray of shape (n_pixels,)

    Returns
    -------
    ndarray of bool, shape (n_pixels,)
        True on the leading and trailing zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from spectra_sklearn.io._edges import edge_padding
    >>> edge_padding(np.array([0.0, 0.0, 1.0, 0.0, 2.0, 0.0])).tolist()
    [True, True, False, False, False, True]
    """
    padded = np.zeros(flux.shape, dtype=bool)
    if flux.size == 0 or (flux[0] != 0 and flux[-1] != 0):  # the usual case, in O(1)
        return padded
    zero = flux == 0
    nonzero = np.flatnonzero(~zero)
    if nonzero.size == 0:
        padded[:] = True
        return padded
    padded[:nonzero[0]] = True
    padded[nonzero[-1] + 1:] = True
    return padded
