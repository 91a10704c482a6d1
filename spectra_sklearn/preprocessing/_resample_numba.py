"""Compiled helpers shared by the resampling kernels: pixel bin edges and gaps.

All kernels are compiled with :func:`numba.njit` (``cache=True`` so that the
machine code is stored next to the module and compiled once per machine,
``nogil=True``, ``error_model='numpy'`` so that ``x / 0`` is ``inf`` or
``NaN`` as in NumPy, no ``fastmath``: results are IEEE-exact, the same as the
equivalent NumPy expressions). They take float64 arrays only, so that each
kernel has one compiled signature per output dtype.
"""

import numba
import numpy as np

__all__ = ["JIT", "grid_edges", "max_grid_length"]

#: Options of every resampling kernel.
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@numba.njit(**JIT)
def grid_edges(w, gap_factor, left, right, gap):
    """Bin edges of pixels centred on ``w``, as SpectRes, opened at gaps.

    Fills ``left[:n]``, ``right[:n]`` (left and right edge of each pixel) and
    ``gap[:n - 1]`` (``True``: a gap between pixel ``j`` and ``j + 1``).

    Bins meet at the midpoints between centres; the outer edges are
    extrapolated by half the outer spacing (``spectres.make_bins``, Carnall
    2017). When ``gap_factor > 0``, a spacing larger than ``gap_factor``
    times the median spacing is a gap: the bins do not meet there, each of
    the two pixels gets half the spacing on its other side (half the median
    spacing when that side is a gap too, or is the end of the spectrum), and
    the space between them is not covered.

    Parameters
    ----------
    w : float64 array of shape (n,)
        Strictly increasing centres, ``n >= 2``.
    gap_factor : float
        ``<= 0``: no gap detection.
    left, right : float64 arrays of length >= n
    gap : bool array of length >= n - 1
    """
    n = w.shape[0]
    left[0] = w[0] - (w[1] - w[0]) / 2
    for j in range(n - 1):
        mid = (w[j + 1] + w[j]) * 0.5
        right[j] = mid
        left[j + 1] = mid
        gap[j] = False
    right[n - 1] = w[n - 1] + (w[n - 1] - w[n - 2]) / 2
    if gap_factor <= 0 or n <= 2:
        return
    step = np.empty(n - 1)
    for j in range(n - 1):
        step[j] = w[j + 1] - w[j]
    median = np.median(step)
    limit = gap_factor * median
    for j in range(n - 1):
        if step[j] > limit:
            gap[j] = True
    # In increasing order: the edges read below are never ones already moved.
    for j in range(n - 1):
        if not gap[j]:
            continue
        if j > 0 and not gap[j - 1]:
            h_left = w[j] - left[j]
        else:
            h_left = median / 2
        if j + 1 < n - 1 and not gap[j + 1]:
            h_right = right[j + 1] - w[j + 1]
        else:
            h_right = median / 2
        right[j] = w[j] + h_left
        left[j + 1] = w[j + 1] - h_right
        if j == 0:
            left[0] = w[0] - h_left
        if j + 1 == n - 1:
            right[n - 1] = w[n - 1] + h_right


@numba.njit(**JIT)
def max_grid_length(grid_off):
    """Largest ``grid_off[g + 1] - grid_off[g]``."""
    best = 0
    for g in range(grid_off.shape[0] - 1):
        best = max(best, grid_off[g + 1] - grid_off[g])
    return best
