"""Confusion matrix (scikit-learn's display, with this project's defaults)."""

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score
from sklearn.utils._param_validation import StrOptions, validate_params

from ._common import get_axes

__all__ = ["plot_confusion_matrix"]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "labels": ["array-like", None],
        "normalize": [StrOptions({"true", "pred", "all"}), None],
        "title": [str, None],
        "cmap": "no_validation",
        "ax": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def plot_confusion_matrix(y_true, y_pred, *, labels=None, normalize=None, title=None,
                          cmap="Blues", ax=None):
    """Plot the confusion matrix of true against predicted classes.

    A thin layer over
    :meth:`sklearn.metrics.ConfusionMatrixDisplay.from_predictions`: no
    colour bar, counts as integers or fractions with two decimals, and the
    accuracy in the title.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples,)
        True and predicted classes.
    labels : array-like, default=None
        Order of the classes on both axes, e.g. the spectral sequence
        ``["M", "L", "T"]``; default sorted.
    normalize : {'true', 'pred', 'all'} or None, default=None
        Divide the counts by the row sums (``'true'``: the recall of each
        class on the diagonal), the column sums or the total.
    title : str, default=None
        Title; the accuracy is appended on a second line.
    cmap : str or matplotlib colormap, default='Blues'
        Colours of the cells.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        ``display.confusion_matrix`` holds the numbers, ``display.ax_`` and
        ``display.figure_`` the matplotlib objects.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from spectra_sklearn.plotting import plot_confusion_matrix
    >>> display = plot_confusion_matrix(["M", "L", "T", "T"], ["M", "T", "T", "T"],
    ...                                 labels=["M", "L", "T"])
    >>> display.confusion_matrix
    array([[1, 0, 0],
           [0, 0, 1],
           [0, 0, 2]])
    >>> display.ax_.get_title()
    'accuracy 0.750'
    >>> plt.close("all")
    """
    ax = get_axes(ax)
    display = ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, normalize=normalize, cmap=cmap, ax=ax,
        colorbar=False, values_format=".2f" if normalize else "d",
    )
    accuracy = accuracy_score(np.asarray(y_true), np.asarray(y_pred))
    head = f"{title}\n" if title else ""
    ax.set_title(f"{head}accuracy {accuracy:.3f}")
    return display
