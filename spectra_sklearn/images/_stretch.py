"""Display and learning stretches of FITS pixel values (astropy.visualization).

Astronomical images span many decades of surface brightness: a faint disc next
to a bright nucleus. Before a network (or an eye) sees them, each band is
scaled into ``[0, 1]`` between percentile limits and passed through a
non-linear stretch. The arcsinh stretch of Lupton et al. (2004, PASP 116,
133) is linear for faint values and logarithmic for bright ones, which keeps
both the sky noise and the galaxy core visible; ``log`` compresses more,
``linear`` only rescales. The stretches and intervals are astropy's
(:class:`~astropy.visualization.AsinhStretch`,
:class:`~astropy.visualization.AsymmetricPercentileInterval` ...).
"""

from numbers import Real

import numpy as np
from astropy import visualization as vis

__all__ = ["STRETCHES", "apply_stretch", "check_percentile", "check_stretch"]

#: Names accepted by ``stretch=``: the astropy stretch each builds.
STRETCHES = {
    "asinh": lambda: vis.AsinhStretch(a=0.1),
    "log": lambda: vis.LogStretch(a=1000.0),
    "sqrt": vis.SqrtStretch,
    "linear": vis.LinearStretch,
}


def check_stretch(stretch, owner="read_images"):
    """The astropy stretch for ``stretch`` (a name, a BaseStretch or None)."""
    if stretch is None or isinstance(stretch, vis.BaseStretch):
        return stretch
    if isinstance(stretch, str) and stretch in STRETCHES:
        return STRETCHES[stretch]()
    raise ValueError(
        f"The 'stretch' parameter of {owner} must be one of {sorted(STRETCHES)}, an "
        f"astropy.visualization stretch, or None (raw values); got {stretch!r}."
    )


def check_percentile(percentile, owner="read_images"):
    """The astropy interval for ``percentile``: (low, high), a float, an interval or None."""
    if percentile is None:
        return vis.MinMaxInterval()
    if isinstance(percentile, vis.BaseInterval):
        return percentile
    if isinstance(percentile, Real) and not isinstance(percentile, bool):
        if 0 < percentile <= 100:
            return vis.PercentileInterval(float(percentile))
    elif isinstance(percentile, (tuple, list)) and len(percentile) == 2 and all(
        isinstance(p, Real) and not isinstance(p, bool) for p in percentile
    ):
        low, high = (float(p) for p in percentile)
        if 0 <= low < high <= 100:
            return vis.AsymmetricPercentileInterval(low, high)
    raise ValueError(
        f"The 'percentile' parameter of {owner} must be (low, high) percentiles with "
        "0 <= low < high <= 100 (e.g. (0.5, 99.5)), one central percentage in (0, 100], "
        f"an astropy.visualization interval (e.g. ManualInterval(vmin, vmax)), or None "
        f"(minimum to maximum); got {percentile!r}."
    )


def apply_stretch(pixels, stretch, interval):
    """Stretch each band of ``pixels`` (n_bands, height, width) into ``[0, 1]``.

    The limits are found per band over its finite pixels; values outside
    them are clipped, NaN stays NaN. A band with equal limits (a constant
    image) becomes 0. ``stretch=None`` returns the values unchanged.

    Returns
    -------
    ndarray of float64 of the same shape
    """
    if stretch is None:
        return pixels
    out = np.empty_like(pixels, dtype=np.float64)
    for b, band in enumerate(pixels):
        finite = np.isfinite(band)
        vmin, vmax = interval.get_limits(band[finite])
        if not vmax > vmin:
            out[b] = np.where(finite, 0.0, np.nan)
            continue
        scaled = np.clip((band - vmin) / (vmax - vmin), 0.0, 1.0)
        out[b] = stretch(scaled, clip=True)
        out[b][~finite] = np.nan
    return out
