"""Row-wise order statistics of masked 2-D arrays.

Two kernels used by the continuum fits (:mod:`._continuum_fit`):
:func:`masked_median`, a linear-time median of every row over its pixels in
use, and :func:`_order_statistics`, the order statistics of rows stored as
sorted runs of at most ``_RUN_LENGTH`` values (numpy sorts such runs with
vectorised sorting networks, several times faster than a float64 sort or
partition of whole rows). :func:`_scratch` hands out reusable work buffers.
"""

import numpy as np

__all__ = ["masked_median"]


#: Longest run of float32 values sorted by one vectorised sorting network.
_RUN_LENGTH = 512

#: Block length of the rank bracketing of 3 or more runs per row.
_BLOCK = 16


def masked_median(values, use):
    """Row-wise median of ``values`` over the pixels where ``use`` is True.

    Runs in linear time per row (:func:`numpy.partition`): the unused pixels
    are replaced by as many ``-inf`` and ``+inf`` (half each, one more
    ``+inf`` for an odd number) so that the median of the used pixels lands
    on one of three fixed positions of every row.

    Parameters
    ----------
    values : ndarray of shape (n, p)
        Finite where ``use`` is True (other entries are ignored).
    use : ndarray of bool of shape (n, p)

    Returns
    -------
    median : ndarray of shape (n,)
        ``NaN`` for rows with no pixel in use (no warning).
    """
    n, p = values.shape
    if p == 0:
        return np.full(n, np.nan)
    count = use.sum(axis=1)
    below = (p - count) // 2  # unused pixels sent to -inf
    if np.all(count == p):
        v = values.copy()
    else:
        rank = np.cumsum(~use, axis=1, dtype=np.int32)
        low = ~use & (rank <= below[:, None])
        v = np.where(use, values, np.where(low, -np.inf, np.inf))
    mid = (p - 1) // 2
    kth = sorted({max(mid - 1, 0), mid, min(p // 2, p - 1)})
    v.partition(kth, axis=1)
    lo = np.clip(below + (count - 1) // 2, 0, p - 1)[:, None]
    hi = np.clip(below + count // 2, 0, p - 1)[:, None]
    with np.errstate(invalid="ignore"):
        med = (np.take_along_axis(v, lo, 1)[:, 0] + np.take_along_axis(v, hi, 1)[:, 0]) / 2
    med[count == 0] = np.nan
    return med


def _scratch(work, name, shape, dtype):
    """A C-contiguous ``shape`` array from ``work[name]`` (grown as needed)."""
    size = int(np.prod(shape))
    buf = None if work is None else work.get(name)
    if buf is None or buf.size < size or buf.dtype != dtype:
        buf = np.empty(size, dtype=dtype)
        if work is not None:
            work[name] = buf
    return buf[:size].reshape(shape)


def _order_statistics(srt, ranks):
    """Row-wise order statistics of sorted runs.

    Parameters
    ----------
    srt : ndarray of shape (n, runs, length)
        Each run sorted (for more than 2 runs, ``length`` a multiple of
        ``_BLOCK``).
    ranks : ndarray of int of shape (m, n)
        0-based ranks (in the union of a row's runs).

    Returns
    -------
    values : ndarray of shape (m, n)
        The ``ranks[i, j]``-th smallest value of row ``j``.

    Notes
    -----
    With two runs ``a`` and ``b``: bisection on ``i``, the number of values
    taken from ``a``, for the smallest ``i`` with ``a[i] > b[k - i]``
    (``a[length] = +inf``, ``b[-1] = -inf``); the answer is
    ``max(a[i - 1], b[k - i])``. All ranks of all rows at once.
    """
    n, runs, length = srt.shape
    if runs > 2:
        return _order_statistics_of_blocks(srt, ranks)
    flat = srt.reshape(-1)
    m = ranks.shape[0]
    base = np.tile(np.arange(n, dtype=np.int64) * (runs * length), m)
    k = ranks.reshape(-1).astype(np.int64)
    if runs == 1:
        return flat[base + k].reshape(m, n)
    b_base = base + length
    lo = np.maximum(k + 1 - length, 0)
    hi = np.minimum(k + 1, length)
    # f(hi) holds throughout, so converged rows stay put.
    for _ in range(int(length).bit_length() + 1):
        mid = (lo + hi) >> 1
        j = k - mid
        above = (mid >= length) | (j < 0)
        above |= flat[base + np.minimum(mid, length - 1)] > flat[b_base + np.maximum(j, 0)]
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid + 1)
    j = k - lo
    left = np.where(lo > 0, flat[base + np.maximum(lo - 1, 0)], -np.inf)
    right = np.where(j >= 0, flat[b_base + np.clip(j, 0, length - 1)], -np.inf)
    return np.maximum(left, right).reshape(m, n)


def _order_statistics_of_blocks(srt, ranks):
    """:func:`_order_statistics` of 3 or more sorted runs per row (no NaN).

    Each run is cut into blocks of ``s = _BLOCK`` values; the blocks' last
    values (sorted per row: the pilot) bound the ranks. If the pilot holds
    ``t + 1`` values ``<= v``, at least ``s (t + 1)`` values are ``<= v``
    (whole blocks); at most ``s (t + R)`` values are ``< v`` when ``t`` pilot
    values are (``R`` runs: one partial block each). So, for rank ``k``, the
    pilot values ``lo`` at ``k // s - R`` and ``hi`` at ``k // s`` bracket
    the answer; in each run the values between them lie in the blocks from
    the first whose end is ``>= lo`` to the first whose end is ``> hi``
    (about ``2 R + 1`` blocks per row in all), and everything before those
    blocks is below. The answer is found by sorting these few values.
    """
    n, runs, length = srt.shape
    s = _BLOCK
    blocks = length // s
    ends = srt[:, :, s - 1::s]  # (n, runs, blocks)
    pilot = np.sort(ends.reshape(n, runs * blocks), axis=1)
    m = ranks.shape[0]
    k = ranks.astype(np.int64)  # (m, n)
    rows = np.arange(n)
    hi = pilot[rows, k // s]  # (m, n)
    t_lo = k // s - runs
    lo = np.where(t_lo >= 0, pilot[rows, np.maximum(t_lo, 0)], -np.inf)
    # Per run: blocks entirely below lo, and blocks whose end is <= hi.
    first = (ends[None] < lo[..., None, None]).sum(axis=3)  # (m, n, runs)
    last = (ends[None] <= hi[..., None, None]).sum(axis=3)
    start = first * s
    size = np.minimum((last + 1) * s, length) - start  # (m, n, runs)
    target = k - start.sum(axis=2)  # rank among the gathered values
    # Gather each row's windows side by side (padding +inf) and sort them.
    total = size.sum(axis=2)  # (m, n)
    width = int(total.max())
    seg_size = size.reshape(-1)
    seg_src = (rows[None, :, None] * (runs * length) + np.arange(runs) * length
               + start).reshape(-1)
    seg_dst = (np.arange(m * n).reshape(m, n, 1) * width
               + np.cumsum(size, axis=2) - size).reshape(-1)
    seg = np.repeat(np.arange(seg_size.size), seg_size)
    within = np.arange(seg.size) - np.repeat(np.cumsum(seg_size) - seg_size, seg_size)
    gathered = np.full(m * n * width, np.inf, dtype=srt.dtype)
    gathered[seg_dst[seg] + within] = srt.reshape(-1)[seg_src[seg] + within]
    gathered = gathered.reshape(m * n, width)
    gathered.sort(axis=1)
    # (NaN values break the brackets: clipped, the result is then meaningless.)
    target = np.clip(target.reshape(-1), 0, width - 1)
    return gathered[np.arange(m * n), target].reshape(m, n)
