"""Continuum fits for many spectra at once: window medians and clipped least squares.

All functions take 2-D ``(n_spectra, n_pixels)`` float64 arrays on one
wavelength grid and a boolean ``use`` (or ``valid``) array of the same shape,
and work on every row at once. The linear models (polynomials, B-splines)
share one design matrix across the rows, so the normal equations of all rows
come from a few matrix products (BLAS); each sigma-clipping iteration refits
only the rows whose clipped set changed, downdating their normal equations by
the dropped pixels (a sparse product). The clipping statistics (median and
median absolute deviation of the residuals) come from float32 copies sorted
in runs of at most 512 pixels (numpy's vectorised sorting networks; the order
statistics of those runs are in :mod:`._continuum_order_stats`) with a
rigorous error bound: rows where that bound could change a decision are
redone in float64, so the clipped pixels are exactly those of the float64
algorithm (see :func:`_clip_decisions`).
"""

import numpy as np
from numpy.polynomial import chebyshev, legendre
from scipy import sparse
from scipy.interpolate import BSpline

from ._continuum_order_stats import (
    _BLOCK,
    _RUN_LENGTH,
    _order_statistics,
    _scratch,
    masked_median,
)

__all__ = [
    "window_continuum",
    "polynomial_continuum",
    "spline_continuum",
]

#: Normal-distribution consistency factor of the median absolute deviation.
_MAD_TO_SIGMA = 1.4826022185056018

#: A row's normal equations are downdated by its dropped pixels while it
#: keeps at least this fraction of the pixels they were last computed from
#: (rounding then stays within 1 / 0.75 of a fresh computation's).
_DOWNDATE_KEEPS = 0.75

#: A clipping spread (1.4826 * MAD of the residuals) at most this fraction
#: of the row's flux level (largest |flux| fitted) is rounding noise of an
#: exact fit, not a spread of the data: the row is left alone, instead of
#: being clipped at random.
_NO_SPREAD = 1e-8

#: Target number of design-matrix values per chunk of rows (bounds memory).
_CHUNK_ELEMENTS = 1 << 21

#: A row whose fitted pixels span less than this fraction of the grid gets a
#: polynomial basis scaled to its own range (conditioning); the others share
#: the basis scaled to the whole grid.
_OWN_DOMAIN_BELOW = 0.5

#: Weight of the third-derivative-jump penalty of the spline fit, relative to
#: the mean diagonal of the row's Gram matrix: small enough not to bias a fit
#: that the data determine, large enough to define the coefficients of
#: B-splines without data (gaps, masked edges).
_SPLINE_PENALTY = 1e-7

_VANDER = {"chebyshev": chebyshev.chebvander, "legendre": legendre.legvander}


def window_continuum(wavelength, flux, valid, lo, hi):
    """Median flux of the valid pixels with ``lo <= wavelength <= hi``.

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
    flux : ndarray of shape (n, p)
    valid : ndarray of bool of shape (n, p)
    lo, hi : float
        Window limits, in the unit of ``wavelength``.

    Returns
    -------
    continuum : ndarray of shape (n,)
        ``NaN`` where the window holds no valid pixel.
    """
    inside = (wavelength >= lo) & (wavelength <= hi)
    return masked_median(flux, valid & inside[None, :])


def polynomial_continuum(
    wavelength, flux, use, *, degree, sigma_lower, sigma_upper, maxiters,
    kind="chebyshev",
):
    """Iteratively sigma-clipped polynomial continuum of every row.

    Each row is fitted by unweighted least squares with a Chebyshev or
    Legendre series of ``degree`` in the wavelength scaled to ``[-1, 1]``
    (over the whole grid, or over the row's fitted pixels when these span
    less than half of it). After each fit, pixels whose residual ``r`` lies
    below ``median(r) - sigma_lower * s`` or above ``median(r) + sigma_upper
    * s`` (``s`` = 1.4826 * median absolute deviation of the residuals in
    use) are dropped, and the fit is repeated, at most ``maxiters`` times or
    until no pixel is dropped. Dropped pixels are not readmitted; a clipping
    step that would leave fewer than ``degree + 1`` pixels is skipped, and so
    is one whose ``s`` is at most ``1e-8`` of the row's largest ``|flux|``
    fitted (the rounding noise of an exact fit, which would otherwise be
    clipped at random).

    The median and MAD are those of :func:`numpy.median` (the mean of the
    two middle values for an even count), as in
    :func:`astropy.stats.sigma_clip` with ``cenfunc='median'`` and
    ``stdfunc='mad_std'``; they are computed in float32 where provably
    exact enough, in float64 otherwise (:func:`_clip_decisions`).

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
        Pixel centres (one grid shared by the rows), increasing.
    flux : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)
        Pixels to fit (``False`` for masked or excluded pixels).
    degree : int
    sigma_lower, sigma_upper : float
    maxiters : int
    kind : {'chebyshev', 'legendre'}

    Returns
    -------
    continuum : ndarray of shape (n, p)
        The fitted continuum at every pixel (unused ones included).
    determined : ndarray of bool of shape (n,)
        ``False`` where the row has fewer than ``degree + 1`` pixels to fit
        (its continuum is NaN).
    """
    n, p = flux.shape
    k = degree + 1
    vander = _VANDER[kind]
    determined = use.sum(axis=1) >= k
    if p == 0:
        return np.full((n, p), np.nan), determined
    span = wavelength[-1] - wavelength[0]
    # First and last pixel in use (the grid increases); rows without any are
    # not determined.
    w_lo = wavelength[np.argmax(use, axis=1)]
    w_hi = wavelength[p - 1 - np.argmax(use[:, ::-1], axis=1)]
    own = determined & ((w_hi - w_lo) < _OWN_DOMAIN_BELOW * span)
    shared = np.flatnonzero(determined & ~own)
    clip = dict(sigma_lower=sigma_lower, sigma_upper=sigma_upper, maxiters=maxiters,
                min_count=k)
    if shared.size == n:  # every row on the shared basis: no copies
        continuum = None
    else:
        continuum = np.full((n, p), np.nan)
    if shared.size:
        half = span / 2 if span > 0 else 1.0
        design = vander((wavelength - (wavelength[0] + wavelength[-1]) / 2) / half, degree)
        if continuum is None:
            continuum = _clipped_fit(design, flux, use, **clip)
        else:
            continuum[shared] = _clipped_fit(design, flux[shared], use[shared], **clip)
    rows = np.flatnonzero(own)
    per_chunk = max(1, _CHUNK_ELEMENTS // max(p * k, 1))
    for a in range(0, rows.size, per_chunk):
        r = rows[a:a + per_chunk]
        centre = (w_lo[r] + w_hi[r]) / 2
        half = np.where(w_hi[r] > w_lo[r], (w_hi[r] - w_lo[r]) / 2, 1.0)
        design = vander((wavelength[None, :] - centre[:, None]) / half[:, None], degree)
        continuum[r] = _clipped_fit(design, flux[r], use[r], **clip)
    return continuum, determined


def spline_knots(wavelength, *, n_knots=None, knot_spacing=None):
    """Clamped cubic B-spline knot vector over the grid's range.

    ``n_knots`` interior knots evenly spaced over ``[wavelength[0],
    wavelength[-1]]``, or, with ``knot_spacing``, ``round(range /
    knot_spacing) - 1`` of them (at least none), evenly spaced.

    Returns
    -------
    knots : ndarray of shape (n_interior + 8,)
    """
    lo, hi = float(wavelength[0]), float(wavelength[-1])
    if knot_spacing is not None:
        n_knots = max(int(np.round((hi - lo) / knot_spacing)) - 1, 0)
    interior = np.linspace(lo, hi, n_knots + 2)[1:-1]
    return np.concatenate([[lo] * 4, interior, [hi] * 4])


def spline_continuum(
    wavelength, flux, use, *, knots, sigma_lower, sigma_upper, maxiters
):
    """Iteratively sigma-clipped least-squares cubic B-spline continuum of every row.

    A cubic B-spline with fixed ``knots`` (:func:`spline_knots`) is fitted to
    each row by least squares with a vanishing penalty on the jumps of its
    third derivative at the interior knots (a difference penalty in the
    spirit of Eilers & Marx 1996; weight 1e-7 of the Gram matrix's mean
    diagonal): it leaves cubic polynomials unbiased, changes nothing where
    the data determine the fit, and across gaps wider than the knot spacing
    (masked or excluded pixels, masked ends) continues the spline smoothly
    instead of leaving it undefined.
    Clipping as in :func:`polynomial_continuum`; rows need at least 4 pixels.

    Parameters
    ----------
    wavelength : ndarray of shape (p,)
        Increasing.
    flux : ndarray of shape (n, p)
    use : ndarray of bool of shape (n, p)
    knots : ndarray
        Clamped knot vector covering ``wavelength``.
    sigma_lower, sigma_upper : float
    maxiters : int

    Returns
    -------
    continuum : ndarray of shape (n, p)
    determined : ndarray of bool of shape (n,)
        ``False`` where the row has fewer than 4 pixels to fit.
    """
    n, p = flux.shape
    continuum = np.full((n, p), np.nan)
    determined = use.sum(axis=1) >= 4
    rows = np.flatnonzero(determined)
    if rows.size == 0:
        return continuum, determined
    design = BSpline.design_matrix(
        np.clip(wavelength, knots[0], knots[-1]), knots, 3
    ).toarray()
    penalty = _third_derivative_jumps_penalty(knots)
    continuum[rows] = _clipped_fit(
        design, flux[rows], use[rows], sigma_lower=sigma_lower, sigma_upper=sigma_upper,
        maxiters=maxiters, min_count=4, penalty=penalty,
    )
    return continuum, determined


def _third_derivative_jumps_penalty(knots):
    """``J.T @ J`` (normalised to unit trace), ``J`` the jumps of the third derivative.

    A cubic spline is one cubic polynomial exactly when its third derivative
    (constant on each knot interval) does not jump at the interior knots, so
    this penalty leaves cubic polynomials unbiased; where the data do not
    determine the coefficients it selects the smoothest (most cubic-like)
    continuation.
    """
    m = knots.size - 4
    edges = np.unique(knots)
    mids = (edges[:-1] + edges[1:]) / 2
    third = np.stack([
        BSpline(knots, np.eye(m)[i], 3).derivative(3)(mids) for i in range(m)
    ], axis=1)  # (n_intervals, m)
    jumps = np.diff(third, axis=0)
    if jumps.size == 0:  # no interior knot: the spline is a cubic
        return np.zeros((m, m))
    penalty = jumps.T @ jumps
    return penalty / (np.trace(penalty) / m)


def _clipped_fit(design, flux, use, *, sigma_lower, sigma_upper, maxiters, min_count,
                 penalty=None):
    """Sigma-clipped least squares of every row on ``design``.

    ``design`` is ``(p, k)`` (shared) or ``(n, p, k)`` (one per row). Every
    row must have at least ``min_count`` pixels in ``use``. Returns the
    fitted continuum ``(n, p)``. Each iteration refits only the rows whose
    clipped pixels changed; with a shared design, their normal equations are
    downdated by the dropped pixels alone (pixels are never readmitted).
    """
    if design.ndim == 3:
        return _clipped_fit_own(design, flux, use, sigma_lower=sigma_lower,
                                sigma_upper=sigma_upper, maxiters=maxiters,
                                min_count=min_count, penalty=penalty)
    n, p = flux.shape
    k = design.shape[1]
    iu, ju = np.triu_indices(k)
    products = design[:, iu] * design[:, ju]  # (p, k (k + 1) / 2)
    # Only the entries that can be non-zero (B-splines: a band).
    nonzero = np.any(products != 0, axis=0)
    iu, ju, products = iu[nonzero], ju[nonzero], products[:, nonzero]
    # Normal equations of every row: the distinct Gram entries and X^T y.
    gram = use.astype(np.float64) @ products
    rhs = np.where(use, flux, 0.0) @ design
    count = use.sum(axis=1)  # pixels in use
    level = _flux_level(flux, use)
    fitted_count = count.copy()  # pixels of the last full computation
    use = use.copy()
    continuum = np.empty((n, p))
    work = {}  # scratch buffers, reused across iterations
    active = slice(None)  # the rows being refitted: all, or an index array
    for iteration in range(maxiters + 1):
        every = isinstance(active, slice)
        coef = _solve_normal(gram[active], rhs[active], iu, ju, penalty)
        fitted = continuum if every else _scratch(work, "fitted", (coef.shape[0], p),
                                                  np.float64)
        np.matmul(coef, design.T, out=fitted)
        if not every:
            continuum[active] = fitted
        if iteration == maxiters:
            break
        if every:
            rows_flux, u = flux, use
        else:
            rows_flux = np.take(flux, active, axis=0, mode="clip",
                                out=_scratch(work, "flux", fitted.shape, np.float64))
            u = use[active]
        keep, apply = _clip_decisions(rows_flux, fitted, u, sigma_lower, sigma_upper,
                                      work, count[active], level[active])
        # No spread (exact fit) or too few pixels left: leave the row alone.
        kept_count = keep.sum(axis=1)
        apply &= kept_count >= min_count
        dropped = keep != u  # keep is a subset of u
        changed = apply & dropped.any(axis=1)
        if not changed.any():
            break
        everything = changed.all()
        rows = np.arange(n)[active][changed]
        if not everything:
            dropped, keep, kept_count = dropped[changed], keep[changed], kept_count[changed]
        use[rows] = keep
        count[rows] = kept_count
        # Downdate the normal equations by the dropped pixels (sparse), unless
        # more than a quarter of the pixels of the last full computation are
        # gone (cancellation): then recompute them.
        again = kept_count < _DOWNDATE_KEEPS * fitted_count[rows]
        if again.any():
            redo = rows[again]
            gram[redo] = use[redo].astype(np.float64) @ products
            rhs[redo] = np.where(use[redo], flux[redo], 0.0) @ design
            fitted_count[redo] = kept_count[again]
            dropped[again] = False
        r, c = np.divmod(np.flatnonzero(dropped), p)
        if r.size:
            indptr = np.zeros(rows.size + 1, dtype=np.int64)
            np.cumsum(np.bincount(r, minlength=rows.size), out=indptr[1:])
            shape = (rows.size, p)
            ones = sparse.csr_matrix((np.ones(c.size), c, indptr), shape=shape)
            values = sparse.csr_matrix((flux[rows[r], c], c, indptr), shape=shape)
            gram[rows] -= ones @ products
            rhs[rows] -= values @ design
        active = slice(None) if rows.size == n else rows
    return continuum


def _clipped_fit_own(design, flux, use, *, sigma_lower, sigma_upper, maxiters,
                     min_count, penalty=None):
    """:func:`_clipped_fit` with one design matrix per row, ``(n, p, k)``."""
    n, p = flux.shape
    weight = use.astype(np.float64)  # 1 for the pixels fitted, 0 otherwise
    fz = np.where(use, flux, 0.0)
    level = _flux_level(flux, use)
    use = use.copy()
    continuum = np.empty((n, p))
    active = np.arange(n)
    for iteration in range(maxiters + 1):
        d = design[active]
        coef = _solve(d, weight[active], fz[active], penalty)
        continuum[active] = np.einsum("npk,nk->np", d, coef)
        if iteration == maxiters:
            break
        u = use[active]
        keep, apply = _clip_decisions(flux[active], continuum[active], u, sigma_lower,
                                      sigma_upper, level=level[active])
        apply &= keep.sum(axis=1) >= min_count
        changed = apply & np.any(keep != u, axis=1)
        active = active[changed]
        if active.size == 0:
            break
        kept = keep[changed]
        use[active] = kept
        weight[active] = kept
        fz[active] = np.where(kept, flux[active], 0.0)
    return continuum


def _solve_normal(upper, rhs, iu, ju, penalty):
    """Solve normal equations given by their distinct Gram entries ``upper``."""
    n, k = rhs.shape
    gram = np.zeros((n, k, k))
    gram[:, iu, ju] = upper
    gram[:, ju, iu] = upper
    return _solve_gram(gram, rhs, penalty)


def _solve(design, weight, fz, penalty):
    """Least-squares coefficients of every row on its own design ``(n, p, k)``.

    ``weight`` is 1 for the pixels fitted and 0 otherwise, ``fz`` the flux
    (0 where not fitted).
    """
    weighted = design * weight[..., None]
    gram = np.matmul(weighted.transpose(0, 2, 1), design)
    rhs = np.einsum("npk,np->nk", weighted, fz)
    return _solve_gram(gram, rhs, penalty)


def _solve_gram(gram, rhs, penalty):
    """Coefficients ``(n, k)`` from Gram matrices and right-hand sides."""
    n, k = rhs.shape
    if penalty is not None:
        scale = np.trace(gram, axis1=1, axis2=2) / k * _SPLINE_PENALTY
        gram = gram + scale[:, None, None] * penalty
    try:
        return np.linalg.solve(gram, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:
        coef = np.empty(rhs.shape)
        for i in range(n):
            coef[i] = np.linalg.lstsq(gram[i], rhs[i], rcond=None)[0]
        return coef


# -- sigma clipping --------------------------------------------------------
#
# The clipping statistics (median and median absolute deviation of the
# residuals) are computed in float32 from sorted runs of at most
# ``_RUN_LENGTH`` pixels per row (numpy's vectorised sorting networks make
# these several times cheaper than a float64 sort or partition of whole rows;
# the order statistics of the union of the runs are then found by bisection
# or block bracketing, :func:`_order_statistics`), with a rigorous bound on
# their error. A pixel whose residual is farther than that
# bound from both clipping limits is kept or dropped exactly as with the
# float64 statistics; a row with a pixel inside the bound is redone in float64
# (:func:`_clip_decisions_exact`), so the clipped pixels are exactly those of
# the float64 algorithm.

#: Unit roundoff of float32, and its smallest subnormal (absolute error floor).
_F32_ROUNDOFF = 2.0**-24
_F32_TINY = 2.0**-149


def _clip_decisions(flux, continuum, use, sigma_lower, sigma_upper, work=None,
                    count=None, level=None):
    """Pixels kept by one clipping step, and rows with a spread.

    Exactly :func:`_clip_decisions_exact` (residuals ``r = flux - continuum``;
    their median ``m`` and ``s = 1.4826 * MAD`` over the pixels in ``use``;
    keep ``-sigma_lower * s <= r - m <= sigma_upper * s``; a spread ``s <=
    _NO_SPREAD * level`` is rounding noise of an exact fit and counts as
    none), computed with float32 statistics where that provably changes
    nothing.

    Parameters
    ----------
    flux, continuum : ndarray of shape (n, p)
        ``flux`` finite where ``use`` (others ignored, may be NaN).
    use : ndarray of bool of shape (n, p)
        At least one pixel per row.
    work : dict, optional
        Scratch buffers reused between calls (large fresh arrays cost page
        faults).
    count : ndarray of int of shape (n,), optional
        ``use.sum(axis=1)``, when known.
    level : ndarray of shape (n,), optional
        Flux level of each row (default: the largest ``|flux|`` in use).

    Returns
    -------
    keep : ndarray of bool of shape (n, p)
    spread : ndarray of bool of shape (n,)
        ``s > _NO_SPREAD * level``.
    """
    n, p = flux.shape
    if level is None:
        level = _flux_level(flux, use)
    if n == 0 or p <= 8:
        return _clip_decisions_exact(flux, continuum, use, sigma_lower, sigma_upper,
                                     level)
    if count is None:
        count = use.sum(axis=1)
    runs = -(-p // _RUN_LENGTH)
    length = -(-p // runs)
    if runs > 2:  # whole blocks per run (see _order_statistics_of_blocks)
        length = -(-length // _BLOCK) * _BLOCK
    # The residuals rounded to float32 (a monotonic map: the ranks are kept);
    # pixels not in use (and the padding of the runs) are +inf.
    with np.errstate(invalid="ignore", over="ignore"):  # overflow: unsure rows
        y, srt = _scratch(work, "clip", (2, n, runs * length), np.float32)
        y[:, p:] = np.inf
        yp = y[:, :p]
        np.subtract(flux, continuum, out=yp, casting="same_kind")
        np.copyto(yp, np.inf, where=~use)
        lo_rank = (count - 1) // 2
        hi_rank = count // 2
        runs_of = srt.reshape(n, runs, length)
        np.copyto(srt, y)
        runs_of.sort(axis=2)
        low, high, first, last = _order_statistics(
            runs_of, np.stack([lo_rank, hi_rank, np.zeros_like(count), count - 1])
        ).astype(np.float64)
        centre = (low + high) / 2
        # Largest |residual| in use (+- one float32 ulp).
        big = np.maximum(np.abs(first), np.abs(last))
        np.subtract(y, centre.astype(np.float32)[:, None], out=srt)
        np.abs(srt, out=srt)  # unused pixels stay +inf
        runs_of.sort(axis=2)
        low, high = _order_statistics(runs_of, np.stack([lo_rank, hi_rank]))
        mad = (low.astype(np.float64) + high.astype(np.float64)) / 2
        # Error bound: every float32 residual y is within eps of r, the median
        # within eps of m, each absolute deviation within 5 eps (hence the MAD, an
        # order statistic), the limits m - k * 1.4826 * MAD within (1 + 7.42 k)
        # eps, and their float32 roundings within (1 + 3 k) eps more. Doubled,
        # plus the float64 rounding of the exact path.
        k_max = max(sigma_lower, sigma_upper)
        eps = _F32_ROUNDOFF * 1.01 * big + _F32_TINY
        bound = 2.0 * (3.0 + 11.0 * k_max) * eps + 1e-12 * (1.0 + 2.0 * k_max) * big
        scale = mad * _MAD_TO_SIGMA
        lower = centre - sigma_lower * scale
        upper = centre + sigma_upper * scale
        col = (slice(None), None)
        keep = yp >= (lower + bound).astype(np.float32)[col]
        keep &= yp <= (upper - bound).astype(np.float32)[col]
        wide = yp >= (lower - bound).astype(np.float32)[col]
        wide &= yp <= (upper + bound).astype(np.float32)[col]
        unsure = np.any(keep != wide, axis=1)
        tolerance = _NO_SPREAD * level
        # float32 overflow or subnormal range (NaN included): float64.
        unsure |= ~((big > 1e-30) & (big < 1e37))
        unsure |= np.abs(scale - tolerance) <= 20.0 * bound
    spread = scale > tolerance
    if unsure.any():
        rows = np.flatnonzero(unsure)
        keep[rows], spread[rows] = _clip_decisions_exact(
            flux[rows], continuum[rows], use[rows], sigma_lower, sigma_upper, level[rows]
        )
    return keep, spread


def _flux_level(flux, use):
    """Largest ``|flux|`` of each row over the pixels in ``use`` (0 if none)."""
    with np.errstate(invalid="ignore"):
        return np.max(np.abs(flux), axis=1, where=use, initial=0.0)


def _clip_decisions_exact(flux, continuum, use, sigma_lower, sigma_upper, level):
    """:func:`_clip_decisions` with float64 statistics (sorted rows)."""
    n, p = flux.shape
    with np.errstate(invalid="ignore"):
        resid = flux - continuum
    count = use.sum(axis=1)
    rows = np.arange(n)
    lo_rank = np.clip((count - 1) // 2, 0, max(p - 1, 0))
    hi_rank = np.clip(count // 2, 0, max(p - 1, 0))
    r = np.where(use, resid, np.inf)
    srt = np.sort(r, axis=1)
    centre = (srt[rows, lo_rank] + srt[rows, hi_rank]) / 2
    with np.errstate(invalid="ignore"):
        dev = resid - centre[:, None]
        absdev = np.sort(np.where(use, np.abs(dev), np.inf), axis=1)
        scale = (absdev[rows, lo_rank] + absdev[rows, hi_rank]) / 2 * _MAD_TO_SIGMA
        keep = use & (dev >= -sigma_lower * scale[:, None]) & (
            dev <= sigma_upper * scale[:, None]
        )
    return keep, scale > _NO_SPREAD * level
