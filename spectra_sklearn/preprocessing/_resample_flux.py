"""Flux-conserving resampling (SpectRes, Carnall 2017), compiled.

Each input and output pixel is a bin (:func:`~._resample_numba.grid_edges`).
For an output bin ``[lo, hi]`` let ``s`` be the last input pixel whose left
edge is ``<= lo`` and ``t`` the last whose left edge is ``< hi`` (at least
``s``), as SpectRes. With the overlaps ``o_i = min(hi, R_i) - max(lo, L_i)``
(the full width for the pixels between ``s`` and ``t``), over the *valid*
pixels with ``o_i > 0`` only::

    flux = sum(o_i f_i) / sum(o_i)
    var  = sum(o_i^2 / ivar_i) / sum(o_i)^2

so masked pixels get zero weight and the mean renormalises over the valid
overlap; an unknown (NaN) inverse variance makes the result NaN, a zero one
makes it 0 (NaN wins: ``NaN + inf = NaN``). A bin inside one valid input
pixel (``s == t``) takes that pixel's flux and inverse variance unchanged.
The output pixel is masked when its bin is not wholly inside
``[L_0, R_{n-1}]`` or no valid input overlaps it; its covered fraction is
``sum(o_i) / (hi - lo)`` (clipped to ``[0, 1]``).

One pass per spectrum: the input pixel pointer only moves forward over the
output bins (a merge of the two sorted edge lists), so the cost is
O(n_in + n_out) per spectrum, and the sums are direct sums, as SpectRes's.
"""

import numba
import numpy as np

from ._resample_numba import JIT, grid_edges, max_grid_length

__all__ = ["flux_conserving_rows"]


@numba.njit(**JIT)
def flux_conserving_rows(wave, grid_off, row_grid, data_off, flux, ivar, mask, new_edges,
                         gap_factor, min_coverage, coverage_only,
                         out_flux, out_ivar, out_mask, out_cov):
    """Flux-conserving resampling of many spectra into preallocated rows.

    Parameters
    ----------
    wave : float64 array
        Concatenated input grids; grid ``g`` is ``wave[grid_off[g]:grid_off[g + 1]]``.
    grid_off : int64 array of shape (n_grids + 1,)
    row_grid : int64 array of shape (n_rows,)
        Grid of each spectrum.
    data_off : int64 array of shape (n_rows,)
        Start of each spectrum in ``flux``, ``ivar`` and ``mask``.
    flux, ivar : float64 arrays
    mask : bool array
        ``True`` = bad pixel.
    new_edges : float64 array of shape (n_out + 1,)
        Output bin edges, strictly increasing.
    gap_factor : float
        ``<= 0``: no gap detection (see :func:`~._resample_numba.grid_edges`).
    min_coverage : float
        Output pixels with a smaller covered fraction are masked.
    coverage_only : bool
        Only compute the covered fraction: fill ``out_cov`` and mask the
        pixels of ``out_flux``, ``out_ivar``, ``out_mask`` (filled by another
        method) whose covered fraction is below ``min_coverage``, leaving the
        others unchanged.
    out_flux, out_ivar, out_mask : arrays of shape (n_rows, n_out)
        Masked pixels get NaN flux and 0 inverse variance.
    out_cov : array of shape (n_rows, n_out) or (0, n_out)
        Covered fraction (not computed when it has 0 rows).
    """
    n_rows = row_grid.shape[0]
    n_out = new_edges.shape[0] - 1
    want_cov = out_cov.shape[0] > 0
    size = max(max_grid_length(grid_off), 2)
    left = np.empty(size)
    right = np.empty(size)
    gap = np.empty(size, dtype=np.bool_)
    current = -1
    for r in range(n_rows):
        g = row_grid[r]
        g0 = grid_off[g]
        n = grid_off[g + 1] - g0
        d0 = data_off[r]
        if n < 2:  # no bin width: nothing is covered
            for k in range(n_out):
                if not coverage_only or min_coverage > 0:
                    out_flux[r, k] = np.nan
                    out_ivar[r, k] = 0.0
                    out_mask[r, k] = True
                if want_cov:
                    out_cov[r, k] = 0.0
            continue
        if g != current:
            grid_edges(wave[g0:g0 + n], gap_factor, left, right, gap)
            current = g
        f = flux[d0:d0 + n]
        iv = ivar[d0:d0 + n]
        bad = mask[d0:d0 + n]
        first = left[0]
        last = right[n - 1]
        p = 0
        for k in range(n_out):
            lo = new_edges[k]
            hi = new_edges[k + 1]
            while p + 1 < n and left[p + 1] <= lo:
                p += 1
            # pixels p (holding lo) .. i - 1 (holding hi) overlap the bin
            den = 0.0
            num = 0.0
            var = 0.0
            i = p
            while True:
                if not bad[i]:
                    o = (right[i] if right[i] < hi else hi) - (left[i] if left[i] > lo else lo)
                    if o > 0:
                        den += o
                        num += o * f[i]
                        var += o * o / iv[i]
                i += 1
                if i >= n or left[i] >= hi:
                    break
            single = i == p + 1
            s = p
            p = i - 1  # the next bin starts in this bin's last pixel or after it
            cov = den / (hi - lo)
            cov = min(max(cov, 0.0), 1.0)
            if want_cov:
                out_cov[r, k] = cov
            if coverage_only:
                if cov < min_coverage:
                    out_flux[r, k] = np.nan
                    out_ivar[r, k] = 0.0
                    out_mask[r, k] = True
                continue
            if lo >= first and hi <= last and den > 0 and not cov < min_coverage:
                if single:  # one input pixel (valid, as den > 0) holds the bin
                    out_flux[r, k] = f[s]
                    out_ivar[r, k] = iv[s]
                else:
                    out_flux[r, k] = num / den
                    out_ivar[r, k] = den * den / var
                out_mask[r, k] = False
            else:
                out_flux[r, k] = np.nan
                out_ivar[r, k] = 0.0
                out_mask[r, k] = True
