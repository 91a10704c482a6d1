"""Interpolating resampling, compiled: linear and cubic spline.

Both evaluate, at each output pixel centre ``x``, a function through the
valid input pixels; the input pixel pointer only moves forward over the
output centres (O(n_in + n_out) per spectrum). An output pixel is masked
outside ``[x_0, x_{n-1}]``, inside a gap of the input grid, and when an input
pixel it depends on is masked: masked pixels are never bridged. An output
centre that falls exactly on a valid input centre takes its flux and inverse
variance unchanged.

The cubic spline has not-a-knot end conditions (de Boor 1978, as
:class:`scipy.interpolate.CubicSpline`'s default) on every run of valid,
gap-free pixels (a run of 3 pixels gives the parabola through them, of 2 a
straight line). Its second derivatives are found per run in O(n): the two
not-a-knot equations are substituted into the neighbouring node equations,
which leaves a strictly diagonally dominant tridiagonal system, solved
without pivoting (Thomas algorithm; de Boor 1978, ch. IV).
"""

import numba
import numpy as np

from ._resample_numba import JIT, grid_edges, max_grid_length

__all__ = ["interpolate_rows", "second_derivatives"]


@numba.njit(**JIT)
def interpolate_rows(wave, grid_off, row_grid, data_off, flux, ivar, mask, x, gap_factor,
                     cubic, out_flux, out_ivar, out_mask):
    """Linear or cubic-spline interpolation of many spectra into preallocated rows.

    ``f = a f_j + b f_{j+1}`` with ``b = (x - x_j) / (x_{j+1} - x_j)``,
    ``a = 1 - b``, plus, for the spline (``cubic``), ``((a^3 - a) M_j +
    (b^3 - b) M_{j+1}) h^2 / 6`` with the second derivatives ``M``
    (:func:`second_derivatives`) and ``h = x_{j+1} - x_j``. Variance (both
    methods): ``a^2 var_j + b^2 var_{j+1}``.

    The arguments are as for
    :func:`~._resample_flux.flux_conserving_rows`, with the output centres
    ``x`` (strictly increasing) instead of the bin edges.
    """
    n_rows = row_grid.shape[0]
    n_out = x.shape[0]
    size = max(max_grid_length(grid_off), 2)
    left = np.empty(size)
    right = np.empty(size)
    gap = np.empty(size, dtype=np.bool_)
    second = np.zeros(size)
    work_c = np.empty(size)
    work_d = np.empty(size)
    current = -1
    for r in range(n_rows):
        g = row_grid[r]
        g0 = grid_off[g]
        n = grid_off[g + 1] - g0
        d0 = data_off[r]
        if n < 2:
            for k in range(n_out):
                out_flux[r, k] = np.nan
                out_ivar[r, k] = 0.0
                out_mask[r, k] = True
            continue
        w = wave[g0:g0 + n]
        if g != current:
            grid_edges(w, gap_factor, left, right, gap)
            current = g
        f = flux[d0:d0 + n]
        iv = ivar[d0:d0 + n]
        bad = mask[d0:d0 + n]
        if cubic:
            second_derivatives(w, f, bad, gap, second, work_c, work_d)
        w_first = w[0]
        w_last = w[n - 1]
        j = 0
        for k in range(n_out):
            xk = x[k]
            while j + 2 < n and w[j + 1] <= xk:
                j += 1
            w0 = w[j]
            w1 = w[j + 1]
            b = (xk - w0) / (w1 - w0)
            at0 = b == 0
            at1 = b == 1
            ok0 = not bad[j]
            ok1 = not bad[j + 1]
            if not (xk >= w_first and xk <= w_last and (ok0 or at1) and (ok1 or at0)
                    and (at0 or at1 or not gap[j])):
                out_flux[r, k] = np.nan
                out_ivar[r, k] = 0.0
                out_mask[r, k] = True
                continue
            out_mask[r, k] = False
            if at0:
                out_flux[r, k] = f[j]
                out_ivar[r, k] = iv[j]
                continue
            if at1:
                out_flux[r, k] = f[j + 1]
                out_ivar[r, k] = iv[j + 1]
                continue
            a = 1.0 - b
            value = a * f[j] + b * f[j + 1]
            if cubic:
                h = w1 - w0
                value += ((a * a * a - a) * second[j]
                          + (b * b * b - b) * second[j + 1]) * (h * h) / 6.0
            var = 0.0
            if a > 0:
                var += a * a * (1.0 / iv[j])
            if b > 0:
                var += b * b * (1.0 / iv[j + 1])
            out_flux[r, k] = value
            out_ivar[r, k] = 1.0 / var


@numba.njit(**JIT)
def second_derivatives(w, f, bad, gap, out, c, d):
    """Not-a-knot spline second derivatives ``M`` of every valid run of one spectrum.

    Parameters
    ----------
    w, f : float64 arrays of shape (n,)
        Centres (strictly increasing) and flux.
    bad : bool array of shape (n,)
        Masked pixels (``M = 0``; they end a run).
    gap : bool array of length >= n - 1
        Gaps (they end a run too).
    out : float64 array of length >= n
        Receives ``M``.
    c, d : float64 arrays of length >= n
        Work space.

    Notes
    -----
    Nodes ``k`` inside a run: ``h_{k-1} M_{k-1} + 2 (h_{k-1} + h_k) M_k +
    h_k M_{k+1} = 6 (s_k - s_{k-1})`` with spacings ``h`` and slopes ``s``.
    Not-a-knot at a run of 4 or more nodes ``a .. b``:
    ``M_a = ((h_a + h_{a+1}) M_{a+1} - h_a M_{a+2}) / h_{a+1}`` and the mirror
    at ``b``; a run of 3 has constant ``M`` (parabola), of 1 or 2 ``M = 0``.
    """
    n = w.shape[0]
    start = 0
    while start < n:
        if bad[start]:
            out[start] = 0.0
            start += 1
            continue
        stop = start  # last node of the run
        while stop + 1 < n and not bad[stop + 1] and not gap[stop]:
            stop += 1
        length = stop - start + 1
        if length <= 2:
            for k in range(start, stop + 1):
                out[k] = 0.0
        elif length == 3:
            h0 = w[start + 1] - w[start]
            h1 = w[stop] - w[start + 1]
            rhs = 6.0 * ((f[stop] - f[start + 1]) / h1 - (f[start + 1] - f[start]) / h0)
            m = rhs / (3.0 * (h0 + h1))
            for k in range(start, stop + 1):
                out[k] = m
        else:
            # Forward sweep over the interior nodes start+1 .. stop-1:
            # c[k] = super-diagonal / pivot, d[k] = right-hand side / pivot.
            ha = w[start + 1] - w[start]
            hb = w[start + 2] - w[start + 1]
            ga = w[stop - 1] - w[stop - 2]
            gb = w[stop] - w[stop - 1]
            hp = ha
            slope_p = (f[start + 1] - f[start]) / hp
            for k in range(start + 1, stop):
                h = w[k + 1] - w[k]
                slope = (f[k + 1] - f[k]) / h
                sub = hp
                diag = 2.0 * (hp + h)
                sup = h
                rhs = 6.0 * (slope - slope_p)
                if k == start + 1:  # M_start eliminated
                    diag += ha * (ha + hb) / hb
                    sup -= ha * ha / hb
                    sub = 0.0
                if k == stop - 1:  # M_stop eliminated
                    diag += gb * (ga + gb) / ga
                    sub -= gb * gb / ga
                    sup = 0.0
                if k > start + 1:
                    diag -= sub * c[k - 1]
                    rhs -= sub * d[k - 1]
                inv = 1.0 / diag
                c[k] = sup * inv
                d[k] = rhs * inv
                hp = h
                slope_p = slope
            out[stop - 1] = d[stop - 1]
            for k in range(stop - 2, start, -1):
                out[k] = d[k] - c[k] * out[k + 1]
            out[start] = ((ha + hb) * out[start + 1] - ha * out[start + 2]) / hb
            out[stop] = ((ga + gb) * out[stop - 1] - gb * out[stop - 2]) / ga
        start = stop + 1
