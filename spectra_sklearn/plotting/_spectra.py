"""Spectra by class, with uncertainty bands and masked pixels; class-mean spectra."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_params

from .._batch import as_spectrum_batch
from ._common import get_axes, wavelength_label

__all__ = ["plot_class_means", "plot_spectra"]


def _classes_of(y, classes, n):
    if y is None:
        return np.zeros(n, dtype=int), [None]
    y = np.asarray(y)
    if y.shape != (n,):
        raise ValueError(f"y has shape {y.shape}; expected one label per spectrum, ({n},).")
    if classes is None:
        classes = np.unique(y).tolist()
    else:
        classes = list(classes)
        missing = sorted(set(y.tolist()) - set(classes), key=str)
        if missing:
            raise ValueError(f"classes lacks the labels {missing!r} found in y.")
    return y, classes


def _flux_label(units):
    units = {str(u) for u in units}
    if len(units) == 1 and units != {"None"}:
        return f"Flux [{units.pop()}]"
    return "Flux"


@validate_params(
    {
        "X": "no_validation",
        "y": ["array-like", None],
        "classes": ["array-like", None],
        "max_per_class": [Interval(Integral, 1, None, closed="left"), None],
        "uncertainty": ["boolean"],
        "show_masked": ["boolean"],
        "offset": [Interval(Real, None, None, closed="neither")],
        "ax": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def plot_spectra(X, y=None, *, classes=None, max_per_class=5, uncertainty=True,
                 show_masked=True, offset=0.0, ax=None):
    """Plot spectra coloured by class, with 1-sigma bands and masked pixels.

    Masked pixels are left out of the line (a gap) and marked by ticks along
    the bottom of the axes in the spectrum's colour, so bad pixels with NaN
    flux are shown too.

    Parameters
    ----------
    X : SpectrumBatch, Spectrum, list of Spectrum or array-like of shape (n_spectra, n_pixels)
        The spectra, ragged or on a common grid (a plain array is flux on the
        pixel grid).
    y : array-like of shape (n_spectra,), default=None
        Class of each spectrum; ``None`` draws all in one colour.
    classes : array-like, default=None
        Order of the classes (colours and legend); default sorted.
    max_per_class : int or None, default=5
        Draw at most the first ``max_per_class`` spectra of each class
        (``None``: all).
    uncertainty : bool, default=True
        Shade ``flux ± 1/sqrt(ivar)`` where the inverse variance is known
        and positive.
    show_masked : bool, default=True
        Mark masked pixels.
    offset : float, default=0.0
        Vertical shift added to each successive class, in flux units, to
        separate them.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes: one line per spectrum drawn (``ax.lines`` also holds the
        masked-pixel markers), one band per spectrum with known uncertainty
        (``ax.collections``), and a legend when ``y`` is given.

    Raises
    ------
    ValueError
        If ``y`` does not give one label per spectrum or ``classes`` misses
        some of its labels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from spectra_sklearn.datasets import load_spex_sample
    >>> from spectra_sklearn.plotting import plot_spectra
    >>> spex = load_spex_sample()
    >>> ax = plot_spectra(spex.data, spex.target_class, max_per_class=2)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['L', 'M', 'T', 'masked pixels']
    >>> plt.close("all")
    """
    batch, _ = as_spectrum_batch(X)
    y, classes = _classes_of(y, classes, len(batch))
    ax = get_axes(ax)
    handles, masked_handle = [], None
    for k, label in enumerate(classes):
        color = f"C{k % 10}"
        members = np.flatnonzero(y == label) if label is not None else np.arange(len(batch))
        if max_per_class is not None:
            members = members[:max_per_class]
        for j, i in enumerate(members):
            s = batch[int(i)]
            flux = np.where(s.mask, np.nan, s.flux) + k * offset
            (line,) = ax.plot(s.wavelength, flux, color=color, lw=0.8,
                              label=None if label is None else str(label))
            if j == 0 and label is not None:
                handles.append(line)
            if uncertainty:
                ok = ~s.mask & np.isfinite(s.ivar) & (s.ivar > 0)
                if ok.any():
                    sigma = np.where(ok, 1 / np.sqrt(np.where(ok, s.ivar, 1.0)), np.nan)
                    ax.fill_between(s.wavelength, flux - sigma, flux + sigma, where=ok,
                                    color=color, alpha=0.25, lw=0)
            if show_masked and s.mask.any():
                (ticks,) = ax.plot(s.wavelength[s.mask], np.zeros(s.mask.sum()), "|",
                                   color=color, ms=8, transform=ax.get_xaxis_transform(),
                                   label="masked pixels")
                masked_handle = masked_handle or ticks
    ax.set_xlabel(wavelength_label(batch.wavelength_unit))
    ax.set_ylabel(_flux_label(batch.flux_units))
    if masked_handle is not None:
        handles.append(masked_handle)
    if handles:
        ax.legend(handles=handles, loc="best", fontsize="small")
    return ax


@validate_params(
    {
        "X": "no_validation",
        "y": ["array-like"],
        "classes": ["array-like", None],
        "spread": ["boolean"],
        "ax": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def plot_class_means(X, y, *, classes=None, spread=True, ax=None):
    """Plot the mean spectrum of each class, with the spread between spectra.

    At each pixel the mean runs over the spectra of the class whose pixel is
    not masked; pixels masked in every spectrum of a class are gaps.

    Parameters
    ----------
    X : SpectrumBatch on a common grid or array-like of shape (n_spectra, n_pixels)
        Resampled (and preferably normalised) spectra.
    y : array-like of shape (n_spectra,)
        Class of each spectrum.
    classes : array-like, default=None
        Order of the classes (colours and legend); default sorted.
    spread : bool, default=True
        Shade ± one standard deviation of the spectra of the class about
        their mean (the diversity within the class, not the error of the
        mean).

    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One line per class (``ax.lines``, labelled ``"<class> (n=<count>)"``).

    Raises
    ------
    ValueError
        If the spectra are not on a common wavelength grid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from spectra_sklearn.pipelines import make_spex_pipeline
    >>> from spectra_sklearn.datasets import load_spex_sample
    >>> from spectra_sklearn.plotting import plot_class_means
    >>> spex = load_spex_sample()
    >>> normalised = make_spex_pipeline()[:3].fit_transform(spex.data)
    >>> ax = plot_class_means(normalised, spex.target_class, classes=["M", "L", "T"])
    >>> [line.get_label() for line in ax.lines]
    ['M (n=100)', 'L (n=100)', 'T (n=100)']
    >>> plt.close("all")
    """
    batch, _ = as_spectrum_batch(X)
    if not batch.on_common_grid:
        raise ValueError(
            "plot_class_means needs spectra on a common wavelength grid; resample them "
            "first (spectra_sklearn.preprocessing.SpectralResampler)."
        )
    y, classes = _classes_of(y, classes, len(batch))
    flux = np.where(batch.mask, 0.0, batch.flux)
    good = ~batch.mask
    ax = get_axes(ax)
    for k, label in enumerate(classes):
        rows = y == label
        count = good[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = flux[rows].sum(axis=0) / count
            var = (good[rows] * (flux[rows] - mean) ** 2).sum(axis=0) / count
        mean[count == 0] = np.nan
        color = f"C{k % 10}"
        ax.plot(batch.wavelength, mean, color=color, label=f"{label} (n={rows.sum()})")
        if spread:
            std = np.sqrt(var)
            ax.fill_between(batch.wavelength, mean - std, mean + std, color=color,
                            alpha=0.2, lw=0, where=count > 0)
    ax.set_xlabel(wavelength_label(batch.wavelength_unit))
    ax.set_ylabel(_flux_label(batch.flux_units))
    ax.legend(loc="best", fontsize="small")
    return ax
