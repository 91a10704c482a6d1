"""Gaussian line-spread operators shared by the resolution and smoothing steps."""

import numpy as np
from scipy import sparse

from ._resample_kernels import bin_edges

__all__ = ["FWHM_PER_SIGMA", "gaussian_matrix"]

#: FWHM of a Gaussian in units of its standard deviation, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


def gaussian_matrix(wavelength, sigma, truncate):
    """Sparse Gaussian smoothing operator with a width per output pixel.

    Row ``i`` holds the weights of the input pixels for output pixel ``i``:
    a Gaussian centred on ``wavelength[i]`` with standard deviation
    ``sigma[i]``, sampled at the input pixel centres and multiplied by the
    pixel widths (bounded by :func:`~._resample_kernels.bin_edges`), i.e. the midpoint rule
    for ``integral f(x) K(x_i - x) dx``, so the second moments of the input
    and the kernel add exactly. Pixels farther than ``truncate * sigma[i]``
    get no weight; a zero ``sigma`` gives the identity row. Rows are not
    normalised (callers divide by the weight of the valid pixels).

    Parameters
    ----------
    wavelength : ndarray of shape (n_pixels,)
        Strictly increasing pixel centres.
    sigma : ndarray of shape (n_pixels,)
        Non-negative kernel widths, in the unit of ``wavelength``.
    truncate : float
        Half-width of the kernel support, in standard deviations.

    Returns
    -------
    scipy.sparse.csr_array of shape (n_pixels, n_pixels)
        Non-negative weights; zero weights are not stored.
    """
    n = wavelength.shape[0]
    if n < 2:
        return sparse.csr_array(np.ones((n, n)))
    edges = bin_edges(wavelength)
    reach = truncate * sigma
    idx = np.arange(n)
    lo = np.minimum(np.searchsorted(wavelength, wavelength - reach, side="left"), idx)
    hi = np.maximum(np.searchsorted(wavelength, wavelength + reach, side="right"), idx + 1)
    counts = hi - lo
    rows = np.repeat(idx, counts)
    start = np.cumsum(counts) - counts
    cols = lo[rows] + (np.arange(rows.size) - start[rows])
    s = sigma[rows]
    sharp = s <= 0
    s_safe = np.where(sharp, 1.0, s)
    offset = (wavelength[cols] - wavelength[rows]) / s_safe
    weights = np.exp(-0.5 * offset**2) * np.diff(edges)[cols] / s_safe
    weights = np.where(sharp, (cols == rows).astype(float), weights)
    matrix = sparse.csr_array((weights, (rows, cols)), shape=(n, n))
    matrix.eliminate_zeros()
    return matrix
