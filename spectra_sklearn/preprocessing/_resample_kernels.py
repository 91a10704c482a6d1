"""Array kernels that resample spectra onto one new wavelength grid.

Two layouts are handled, both without a Python loop over output pixels:

* **shared** -- every input spectrum has the same grid: ``wavelength`` of
  shape ``(n_in,)`` and 2-D ``flux``/``ivar``/``valid`` of shape
  ``(n_spectra, n_in)``;
* **flat** -- every spectrum has its own grid: the grids and pixel arrays of
  all spectra are concatenated into 1-D arrays, with ``lengths`` giving the
  number of pixels of each spectrum. One ``searchsorted`` of all input bin
  edges into the (common, sorted) output edges, and a per-spectrum
  cumulative histogram of the result, give every output bin's end pixels in
  every spectrum, so there is no Python loop over spectra either (only over
  chunks of spectra, to bound memory).

Flux-conserving sums never difference cumulative sums (which loses
precision when the flux changes sign or the spectrum is long): the input
pixels lying wholly inside an output bin are summed directly
(a sparse overlap matrix in the shared layout, a weighted
:func:`numpy.bincount` over each pixel's bin in the flat one), with the two
partial pixels at each bin's ends weighted by their overlap. Work and memory are
O(n_in + n_out) per spectrum.

All inputs and outputs are float64; callers cast. ``valid`` is the
complement of the mask. Inverse variance ``ivar``: ``NaN`` = unknown,
``0`` = no information, ``inf`` = exact.
"""

import numpy as np
from scipy import sparse

__all__ = [
    "bin_edges",
    "segment_bin_edges",
    "resample_flux_conserving",
    "resample_linear",
]

#: Target number of output values per chunk of spectra (bounds peak memory:
#: about 30 float64 temporaries of this size).
_CHUNK_ELEMENTS = 1 << 20


def bin_edges(wavelength):
    """Bin edges of pixels centred on ``wavelength``, exactly as SpectRes.

    Inner edges are the midpoints between neighbouring centres; the two outer
    edges are extrapolated by half of the first and last pixel spacing
    (``spectres.make_bins``, Carnall 2017).

    Parameters
    ----------
    wavelength : ndarray of shape (n,)
        Strictly increasing pixel centres, ``n >= 2``.

    Returns
    -------
    edges : ndarray of shape (n + 1,)
    """
    w = np.asarray(wavelength, dtype=np.float64)
    edges = np.empty(w.shape[0] + 1)
    edges[0] = w[0] - (w[1] - w[0]) / 2
    edges[-1] = w[-1] + (w[-1] - w[-2]) / 2
    edges[1:-1] = (w[1:] + w[:-1]) / 2
    return edges


def segment_bin_edges(wavelength, lengths):
    """:func:`bin_edges` of every segment of a concatenation of grids.

    Parameters
    ----------
    wavelength : ndarray of shape (sum(lengths),)
        The grids of all spectra, concatenated; each strictly increasing.
    lengths : ndarray of int of shape (n_spectra,)
        Pixels per spectrum.

    Returns
    -------
    edges : ndarray of shape (sum(lengths) + n_spectra,)
        ``lengths[i] + 1`` edges per spectrum, concatenated. A one-pixel
        spectrum gets two edges equal to its centre (zero width, so it covers
        no output bin); an empty one gets one ``NaN`` edge.
    """
    lengths = np.asarray(lengths, dtype=np.intp)
    n_seg = lengths.shape[0]
    w = np.asarray(wavelength, dtype=np.float64)
    pix_start = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    edge_start = pix_start + np.arange(n_seg)
    edges = np.empty(w.shape[0] + n_seg)
    # Inner edges: midpoints of consecutive centres within a segment.
    seg_of_pix = np.repeat(np.arange(n_seg), lengths)
    edge_of_pix = np.arange(w.shape[0]) + seg_of_pix  # edge index left of each pixel
    if w.shape[0] > 1:
        same_seg = seg_of_pix[1:] == seg_of_pix[:-1]
        inner = np.flatnonzero(same_seg)
        edges[edge_of_pix[inner + 1]] = (w[inner + 1] + w[inner]) / 2
    last_edge = edge_start + lengths
    has2 = lengths >= 2
    p0 = pix_start[has2]
    p1 = p0 + lengths[has2] - 1
    edges[edge_start[has2]] = w[p0] - (w[p0 + 1] - w[p0]) / 2
    edges[last_edge[has2]] = w[p1] + (w[p1] - w[p1 - 1]) / 2
    one = lengths == 1
    edges[edge_start[one]] = w[pix_start[one]]
    edges[last_edge[one]] = w[pix_start[one]]
    edges[edge_start[lengths == 0]] = np.nan
    return edges


def _count_at_most(query, points, segment, n_segments, *, strict):
    """Per segment, how many ``points`` are ``<=`` (or ``<``) each ``query``.

    Returns ``counts`` of shape ``(n_segments, len(query))`` with
    ``counts[i, k] = #{p in segment i : p <= query[k]}`` (``p < query[k]``
    when ``strict``). ``query`` must be sorted; ``points`` need only be sorted
    within each segment (they need not be at all, in fact).
    """
    n_q = query.shape[0]
    # p <= q_k  <=>  k >= searchsorted(query, p, 'left');  p < q_k  <=>  k >= ...'right'
    first_k = np.searchsorted(query, points, side="right" if strict else "left")
    hist = np.bincount(
        segment * (n_q + 1) + first_k, minlength=n_segments * (n_q + 1)
    ).reshape(n_segments, n_q + 1)
    return np.cumsum(hist[:, :n_q], axis=1)


def _finish(num, den, var_num, covered, direct, direct_flux, direct_ivar):
    """Mean, inverse variance and mask from the weighted sums of one layout."""
    mask = ~covered | ~(den > 0)
    flux = num / den
    ivar = den * den / var_num
    flux = np.where(direct, direct_flux, flux)
    ivar = np.where(direct, direct_ivar, ivar)
    flux[mask] = np.nan
    ivar[mask] = 0.0
    return flux, ivar, mask


def _pixel_terms(flux, ivar, valid):
    """Per-pixel flux and variance with invalid pixels zeroed (never NaN)."""
    fv = np.where(valid, flux, 0.0)
    var = np.where(valid, 1.0 / ivar, 0.0)  # ivar 0 -> inf, NaN -> NaN
    return fv, var


def resample_flux_conserving(
    new_wavelength, wavelength, flux, ivar, valid, lengths=None
):
    """Flux-conserving resampling (SpectRes, Carnall 2017), vectorised.

    Each output pixel is a bin between the midpoints of its neighbours (outer
    edges extrapolated by half a pixel); its flux is the overlap-weighted mean
    of the valid input pixels it overlaps, and its variance
    ``sum((w_i sigma_i)**2) / sum(w_i)**2``. An output pixel is masked when
    its bin is not wholly inside the input bins ``[edges[0], edges[-1]]`` or
    no valid input pixel overlaps it.

    Parameters
    ----------
    new_wavelength : ndarray of shape (n_out,)
        Output pixel centres, strictly increasing, ``n_out >= 2``.
    wavelength : ndarray of shape (n_in,) or (sum(lengths),)
        Input pixel centres, in the unit of ``new_wavelength``; one shared
        grid when ``lengths`` is None, else the concatenated grids.
    flux, ivar : ndarray of shape (n_spectra, n_in) or (sum(lengths),)
        Flux and inverse variance, laid out like ``wavelength``.
    valid : ndarray of bool, same shape as ``flux``
        ``False`` for masked pixels (they get zero weight).
    lengths : ndarray of int of shape (n_spectra,), default=None
        Pixels per spectrum for the concatenated layout.

    Returns
    -------
    flux, ivar : ndarray of shape (n_spectra, n_out)
        ``NaN`` flux and ``0`` inverse variance where masked.
    mask : ndarray of bool of shape (n_spectra, n_out)

    References
    ----------
    .. [1] Carnall, A. C. 2017, "SpectRes: A Fast Spectral Resampling Tool in
       Python", arXiv:1705.05165.
    """
    new_edges = bin_edges(new_wavelength)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lengths is None:
            return _shared_over_chunks(
                _flux_conserving_shared, new_edges, wavelength, flux, ivar, valid,
                new_edges.shape[0] - 1,
            )
        return _over_chunks(
            _flux_conserving_flat, new_edges, wavelength, flux, ivar, valid, lengths,
            new_edges.shape[0] - 1,
        )


def _flux_conserving_shared(new_edges, wavelength, flux, ivar, valid):
    n_in = wavelength.shape[0]
    n_spec = flux.shape[0]
    n_out = new_edges.shape[0] - 1
    if n_in < 2:
        shape = (n_spec, n_out)
        return np.full(shape, np.nan), np.zeros(shape), np.ones(shape, dtype=bool)
    weights, covered, s, same = _overlap_matrix(bin_edges(wavelength), new_edges)
    fv, var = _pixel_terms(flux, ivar, valid)
    # Sparse products sum each bin's own overlap-weighted terms (no differencing).
    num = fv @ weights
    den = valid.astype(np.float64) @ weights
    var_num = var @ weights.multiply(weights)
    direct = same & valid[:, s]
    return _finish(num, den, var_num, covered[None, :], direct, flux[:, s], ivar[:, s])


def _overlap_matrix(edges, new_edges):
    """Sparse ``(n_in, n_out)`` overlap lengths of input with output bins.

    Only output bins wholly inside the input bins get entries. Also returns
    ``covered`` (n_out,), the input pixel ``s`` holding each bin's lower
    edge, and ``same`` (the bin lies inside that one pixel).
    """
    n_in = edges.shape[0] - 1
    n_out = new_edges.shape[0] - 1
    lo, hi = new_edges[:-1], new_edges[1:]
    covered = (lo >= edges[0]) & (hi <= edges[-1])
    # SpectRes: first input bin whose right edge is > lo; first whose right edge >= hi.
    s = np.clip(np.searchsorted(edges, lo, side="right") - 1, 0, n_in - 1)
    t = np.maximum(np.clip(np.searchsorted(edges, hi, side="left") - 1, 0, n_in - 1), s)
    same = s == t
    count = np.where(covered, t - s + 1, 0)
    col = np.repeat(np.arange(n_out), count)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    row = s[col] + (np.arange(col.shape[0]) - first[col])
    data = edges[row + 1] - edges[row]  # whole pixels ...
    is_first = row == s[col]
    is_last = row == t[col]
    # ... except the partial ones at each bin's two ends.
    data = np.where(is_first, edges[row + 1] - lo[col], data)
    data = np.where(is_last, hi[col] - edges[row], data)
    data = np.where(is_first & is_last, hi[col] - lo[col], data)
    weights = sparse.csc_array((data, (row, col)), shape=(n_in, n_out))
    return weights, covered, s, same


def _shared_over_chunks(kernel, new_edges_or_grid, wavelength, flux, ivar, valid, n_out):
    """Run a shared-layout kernel over chunks of rows and stack them."""
    n_spec = flux.shape[0]
    per_chunk = max(1, _CHUNK_ELEMENTS // max(n_out, wavelength.shape[0], 1))
    if n_spec <= per_chunk:
        return kernel(new_edges_or_grid, wavelength, flux, ivar, valid)
    out_flux = np.empty((n_spec, n_out))
    out_ivar = np.empty((n_spec, n_out))
    out_mask = np.empty((n_spec, n_out), dtype=bool)
    for a in range(0, n_spec, per_chunk):
        b = min(a + per_chunk, n_spec)
        out_flux[a:b], out_ivar[a:b], out_mask[a:b] = kernel(
            new_edges_or_grid, wavelength, flux[a:b], ivar[a:b], valid[a:b]
        )
    return out_flux, out_ivar, out_mask


def _over_chunks(kernel, new_edges_or_grid, wavelength, flux, ivar, valid, lengths, n_out):
    """Run a flat-layout kernel over chunks of spectra and stack the rows."""
    lengths = np.asarray(lengths, dtype=np.intp)
    n_spec = lengths.shape[0]
    out_flux = np.empty((n_spec, n_out))
    out_ivar = np.empty((n_spec, n_out))
    out_mask = np.empty((n_spec, n_out), dtype=bool)
    bounds = np.concatenate(([0], np.cumsum(lengths)))
    per_chunk = max(1, _CHUNK_ELEMENTS // max(n_out, 1))
    for a in range(0, n_spec, per_chunk):
        b = min(a + per_chunk, n_spec)
        p, q = bounds[a], bounds[b]
        f, iv, m = kernel(
            new_edges_or_grid, wavelength[p:q], flux[p:q], ivar[p:q], valid[p:q],
            lengths[a:b],
        )
        out_flux[a:b], out_ivar[a:b], out_mask[a:b] = f, iv, m
    return out_flux, out_ivar, out_mask


def _flux_conserving_flat(new_edges, wavelength, flux, ivar, valid, lengths):
    n_seg = lengths.shape[0]
    n_pix = wavelength.shape[0]
    n_out = new_edges.shape[0] - 1
    if n_pix == 0:
        shape = (n_seg, n_out)
        return np.full(shape, np.nan), np.zeros(shape), np.ones(shape, dtype=bool)
    lo, hi = new_edges[:-1], new_edges[1:]
    edges = segment_bin_edges(wavelength, lengths)
    pix_start = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    edge_start = pix_start + np.arange(n_seg)
    edge_seg = np.repeat(np.arange(n_seg), lengths + 1)
    covered = (
        (lo[None, :] >= edges[edge_start][:, None])
        & (hi[None, :] <= edges[edge_start + lengths][:, None])
        & (lengths >= 2)[:, None]
    )
    # One search places every input edge e among the output edges E:
    # e <= E_k  <=>  k >= at_or_before;   e < E_k  <=>  k >= before (= at_or_before + tie).
    at_or_before = np.searchsorted(new_edges, edges, side="left")
    tie = new_edges[np.minimum(at_or_before, n_out)] == edges
    before = at_or_before + tie
    # Per spectrum, how many of its edges are <= each output edge (cumulative histogram).
    hist = np.bincount(
        edge_seg * (n_out + 2) + at_or_before, minlength=n_seg * (n_out + 2)
    ).reshape(n_seg, n_out + 2)
    count_le = np.cumsum(hist[:, : n_out + 1], axis=1)
    count_lt = count_le.copy()
    tied = np.flatnonzero(tie)
    np.subtract.at(count_lt, (edge_seg[tied], at_or_before[tied]), 1)
    # SpectRes: s = input pixel holding lo (right edge > lo), t = first whose right edge >= hi.
    last = np.maximum(lengths - 1, 0)[:, None]
    s = np.clip(count_le[:, :-1] - 1, 0, last)
    t = np.maximum(np.clip(count_lt[:, 1:] - 1, 0, last), s)
    same = s == t
    gs = pix_start[:, None] + s
    gt = pix_start[:, None] + t
    es1 = edge_start[:, None] + s + 1
    et = edge_start[:, None] + t
    # Input pixels strictly inside one output bin k: E_k < e_left and e_right < E_{k+1}.
    left = np.arange(n_pix) + np.repeat(np.arange(n_seg), lengths)  # left-edge index
    k_left = at_or_before[left] - 1
    k_right = before[left + 1] - 1
    inside = (k_left == k_right) & (k_left >= 0) & (k_left < n_out)
    slot = np.where(inside, np.repeat(np.arange(n_seg), lengths) * n_out + k_left, n_seg * n_out)
    width = edges[left + 1] - edges[left]
    fv, var = _pixel_terms(flux, ivar, valid)
    vf = valid.astype(np.float64)
    i_f, i_w, i_v = (
        np.bincount(slot, weights=a, minlength=n_seg * n_out + 1)[:-1].reshape(n_seg, n_out)
        for a in (width * fv, width * vf, width * width * var)
    )
    w_s = np.where(same, hi - lo, edges[es1] - lo) * vf[gs]
    w_t = np.where(same, 0.0, hi - edges[et]) * vf[gt]
    fs = fv[gs]
    num = w_s * fs + w_t * fv[gt] + i_f
    den = w_s + w_t + i_w
    var_num = (
        np.where(w_s > 0, w_s * w_s * var[gs], 0.0)
        + np.where(w_t > 0, w_t * w_t * var[gt], 0.0)
        + i_v
    )
    direct = same & (vf[gs] > 0)
    return _finish(num, den, var_num, covered, direct, fs, ivar[gs])


def resample_linear(new_wavelength, wavelength, flux, ivar, valid, lengths=None):
    """Linear interpolation between neighbouring input pixels, vectorised.

    The output at ``x`` between input centres ``x_j <= x <= x_{j+1}`` is
    ``(1 - t) f_j + t f_{j+1}`` with ``t = (x - x_j) / (x_{j+1} - x_j)`` and
    variance ``(1 - t)**2 sigma_j**2 + t**2 sigma_{j+1}**2``. It is masked
    outside ``[x_0, x_{n-1}]`` and when a neighbour it depends on (non-zero
    coefficient) is masked: masked gaps are not bridged.

    Parameters
    ----------
    new_wavelength : ndarray of shape (n_out,)
        Output pixel centres, increasing.
    wavelength, flux, ivar, valid, lengths
        As in :func:`resample_flux_conserving`.

    Returns
    -------
    flux, ivar : ndarray of shape (n_spectra, n_out)
    mask : ndarray of bool of shape (n_spectra, n_out)
    """
    new_wavelength = np.asarray(new_wavelength, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if lengths is None:
            return _shared_over_chunks(
                _linear_shared, new_wavelength, wavelength, flux, ivar, valid,
                new_wavelength.shape[0],
            )
        return _over_chunks(
            _linear_flat, new_wavelength, wavelength, flux, ivar, valid, lengths,
            new_wavelength.shape[0],
        )


def _linear_shared(new_wavelength, wavelength, flux, ivar, valid):
    n_in = wavelength.shape[0]
    if n_in < 2:
        shape = (flux.shape[0], new_wavelength.shape[0])
        return np.full(shape, np.nan), np.zeros(shape), np.ones(shape, dtype=bool)
    j = np.clip(np.searchsorted(wavelength, new_wavelength, side="right") - 1, 0, n_in - 2)
    covered = (new_wavelength >= wavelength[0]) & (new_wavelength <= wavelength[-1])
    fv, var = _pixel_terms(flux, ivar, valid)
    return _linear_finish(
        new_wavelength, wavelength[j], wavelength[j + 1], covered[None, :],
        flux[:, j], flux[:, j + 1], fv[:, j], fv[:, j + 1], var[:, j], var[:, j + 1],
        ivar[:, j], ivar[:, j + 1], valid[:, j], valid[:, j + 1],
    )


def _linear_flat(new_wavelength, wavelength, flux, ivar, valid, lengths):
    n_seg = lengths.shape[0]
    n_pix = wavelength.shape[0]
    shape = (n_seg, new_wavelength.shape[0])
    if n_pix == 0:
        return np.full(shape, np.nan), np.zeros(shape), np.ones(shape, dtype=bool)
    pix_start = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.intp)
    seg = np.repeat(np.arange(n_seg), lengths)
    j = _count_at_most(new_wavelength, wavelength, seg, n_seg, strict=False) - 1
    j = np.clip(j, 0, np.maximum(lengths - 2, 0)[:, None])
    g0 = np.minimum(pix_start[:, None] + j, n_pix - 1)
    g1 = np.minimum(g0 + 1, n_pix - 1)
    first = wavelength[np.minimum(pix_start, n_pix - 1)]
    last = wavelength[np.minimum(pix_start + lengths - 1, n_pix - 1)]
    covered = (
        (new_wavelength[None, :] >= first[:, None])
        & (new_wavelength[None, :] <= last[:, None])
        & (lengths >= 2)[:, None]
    )
    fv, var = _pixel_terms(flux, ivar, valid)
    return _linear_finish(
        new_wavelength[None, :], wavelength[g0], wavelength[g1], covered,
        flux[g0], flux[g1], fv[g0], fv[g1], var[g0], var[g1],
        ivar[g0], ivar[g1], valid[g0], valid[g1],
    )


def _linear_finish(x, x0, x1, covered, f0, f1, fv0, fv1, var0, var1, iv0, iv1, ok0, ok1):
    t = (x - x0) / (x1 - x0)
    at0 = t == 0
    at1 = t == 1
    good = covered & (ok0 | at1) & (ok1 | at0)
    a, b = 1.0 - t, t
    flux = a * fv0 + b * fv1
    var = np.where(a > 0, a * a * var0, 0.0) + np.where(b > 0, b * b * var1, 0.0)
    ivar = 1.0 / var
    flux = np.where(at0, f0, np.where(at1, f1, flux))
    ivar = np.where(at0, iv0, np.where(at1, iv1, ivar))
    flux = np.where(good, flux, np.nan)
    ivar = np.where(good, ivar, 0.0)
    return flux, ivar, ~good
