"""Envelope continua of many spectra at once: running percentile and upper convex hull.

Both take a shared increasing wavelength grid ``(p,)``, the flux ``(n, p)`` and
a boolean ``use`` ``(n, p)`` (pixels that may shape the continuum), and work
on all rows together.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["running_percentile_continuum", "convex_hull_continuum"]

#: Target number of window values per chunk of rows (bounds memory).
_CHUNK_ELEMENTS = 1 << 22


def running_percentile_continuum(wavelength, flux, use, *, width, percentile):
    """Percentile of the flux in a running wavelength window, per pixel.

    The continuum at pixel ``i`` is the ``percentile`` (linear interpolation
    between order statistics, as :func:`numpy.percentile`) of the flux of
    the used pixels ``j`` with ``|wavelength[j] - wavelength[i]| <= width /
    2``; windows shrink at the ends of the grid. Pixels whose window holds no
    used pixel get the continuum linearly interpolated from the nearest
    determined pixels on either side (constant beyond the last one).

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
    flux : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)
    width : float
        Full window width, in the unit of ``wavelength``.
    percentile : float
        In ``[0, 100]``.

    Returns
    -------
    continuum : ndarray of shape (n, p)
    determined : ndarray of bool of shape (n,)
        ``False`` for rows without any used pixel (continuum NaN).
    """
    n, p = flux.shape
    continuum = np.full((n, p), np.nan)
    determined = use.any(axis=1)
    rows = np.flatnonzero(determined)
    if rows.size == 0:
        return continuum, determined
    idx = np.arange(p)
    first = np.searchsorted(wavelength, wavelength - width / 2, side="left")
    last = np.searchsorted(wavelength, wavelength + width / 2, side="right") - 1
    # Guard against rounding at the window edges: a pixel is always in its own window.
    first = np.minimum(first, idx)
    last = np.maximum(last, idx)
    half = int(max(np.max(idx - first), np.max(last - idx)))
    size = 2 * half + 1
    offsets = np.arange(-half, half + 1)
    inwin = (offsets[None, :] >= (first - idx)[:, None]) & (
        offsets[None, :] <= (last - idx)[:, None]
    )  # (p, size)
    q = percentile / 100.0
    per_chunk = max(1, _CHUNK_ELEMENTS // (p * size))
    for a in range(0, rows.size, per_chunk):
        r = rows[a:a + per_chunk]
        values = np.full((r.size, p + 2 * half), np.nan)
        values[:, half:half + p] = np.where(use[r], flux[r], np.nan)
        windows = sliding_window_view(values, size, axis=1)  # (m, p, size)
        windows = np.where(inwin[None], windows, np.nan)
        windows.sort(axis=2)  # NaN last
        count = np.sum(~np.isnan(windows), axis=2)
        pos = q * np.maximum(count - 1, 0)
        lo = np.floor(pos).astype(np.intp)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        frac = pos - lo
        v_lo = np.take_along_axis(windows, lo[..., None], 2)[..., 0]
        v_hi = np.take_along_axis(windows, hi[..., None], 2)[..., 0]
        with np.errstate(invalid="ignore"):
            level = v_lo + frac * (v_hi - v_lo)
        level[count == 0] = np.nan
        continuum[r] = level
    _fill_gaps(wavelength, continuum, rows)
    return continuum, determined


def _fill_gaps(wavelength, continuum, rows):
    """Linear interpolation over NaN pixels of the given rows (in place)."""
    gappy = rows[np.isnan(continuum[rows]).any(axis=1)]
    for i in gappy:
        good = ~np.isnan(continuum[i])
        continuum[i] = np.interp(wavelength, wavelength[good], continuum[i, good])


def upper_hull_vertices(wavelength, flux, use):
    """Pixels that are vertices of the upper convex hull of each row.

    The upper convex hull of the points ``(wavelength, flux)`` of the used
    pixels. Found for all rows together by repeated passes that drop every
    point lying on or below the chord between its surviving neighbours: a
    strict hull vertex is never dropped (its neighbours lie below a line
    through it), and while a non-vertex survives some point makes a
    non-convex turn, so every pass drops at least one point per unfinished
    row. The result equals Andrew's (1979) monotone chain.

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
        Strictly increasing.
    flux : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)

    Returns
    -------
    vertices : ndarray of bool of shape (n, p)
        The first and last used pixel of each row are always vertices;
        points on a hull edge between two vertices are not.
    """
    n, p = flux.shape
    alive = use.copy()
    active = np.flatnonzero(use.sum(axis=1) >= 3)
    idx = np.arange(p)
    x = wavelength
    while active.size:
        a = alive[active]
        y = flux[active]
        prev, nxt = _neighbours(a, idx, p)
        inner = a & (prev >= 0) & (nxt < p)
        pi = np.clip(prev, 0, p - 1)
        ni = np.clip(nxt, 0, p - 1)
        yp = np.take_along_axis(y, pi, 1)
        yn = np.take_along_axis(y, ni, 1)
        with np.errstate(invalid="ignore"):
            # (y_i - y_p)(x_n - x_p) <= (y_n - y_p)(x_i - x_p): on or below the chord
            drop = inner & ((y - yp) * (x[ni] - x[pi]) <= (yn - yp) * (x[None, :] - x[pi]))
        changed = drop.any(axis=1)
        alive[active] = a & ~drop
        active = active[changed]
    return alive


def _neighbours(alive, idx, p):
    """Index of the previous and next alive pixel of every pixel (-1 / p if none)."""
    before = np.where(alive, idx, -1)
    before = np.maximum.accumulate(before, axis=1)
    prev = np.empty_like(before)
    prev[:, 0] = -1
    prev[:, 1:] = before[:, :-1]
    after = np.where(alive, idx, p)
    after = np.minimum.accumulate(after[:, ::-1], axis=1)[:, ::-1]
    nxt = np.empty_like(after)
    nxt[:, -1] = p
    nxt[:, :-1] = after[:, 1:]
    return prev, nxt


def convex_hull_continuum(wavelength, flux, use):
    """Upper convex hull continuum of every row.

    The continuum is the upper convex hull of the points ``(wavelength,
    flux)`` of the used pixels, linear between hull vertices (the continuum
    of asteroid and mineral band analysis: Clark & Roush 1984; Cloutis et
    al. 1986), constant beyond the first and last used pixels.

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
        Strictly increasing.
    flux : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)

    Returns
    -------
    continuum : ndarray of shape (n, p)
        ``>= flux`` at every used pixel, equal at the vertices.
    determined : ndarray of bool of shape (n,)
        ``False`` for rows with fewer than 2 used pixels (continuum NaN).
    """
    n, p = flux.shape
    continuum = np.full((n, p), np.nan)
    determined = use.sum(axis=1) >= 2
    rows = np.flatnonzero(determined)
    if rows.size == 0:
        return continuum, determined
    vertices = upper_hull_vertices(wavelength, flux[rows], use[rows])
    idx = np.arange(p)
    before = np.maximum.accumulate(np.where(vertices, idx, -1), axis=1)
    after = np.minimum.accumulate(np.where(vertices, idx, p)[:, ::-1], axis=1)[:, ::-1]
    first = np.argmax(vertices, axis=1)[:, None]
    last = (p - 1 - np.argmax(vertices[:, ::-1], axis=1))[:, None]
    before = np.where(before < 0, first, before)
    after = np.where(after >= p, last, after)
    y = flux[rows]
    y0 = np.take_along_axis(y, before, 1)
    y1 = np.take_along_axis(y, after, 1)
    x0 = wavelength[before]
    x1 = wavelength[after]
    span = x1 - x0
    t = np.divide(wavelength[None, :] - x0, span, out=np.zeros(span.shape), where=span > 0)
    continuum[rows] = y0 + t * (y1 - y0)
    return continuum, determined
