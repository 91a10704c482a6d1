"""Reliability diagram of a classifier's confidence (scikit-learn's CalibrationDisplay)."""

from numbers import Integral

from sklearn.calibration import CalibrationDisplay, calibration_curve
from sklearn.utils._param_validation import Interval, validate_params

from ..calibration import _top_label, expected_calibration_error
from ._common import get_axes

__all__ = ["plot_reliability_diagram"]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_proba": ["array-like"],
        "labels": ["array-like", None],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "name": [str, None],
        "ax": "no_validation",
    },
    prefer_skip_nested_validation=True,
)
def plot_reliability_diagram(y_true, y_proba, *, labels=None, n_bins=15, name=None, ax=None):
    """Plot accuracy against confidence: the top-label reliability diagram.

    Each prediction's confidence is its highest class probability; in each of
    ``n_bins`` equal-width confidence bins the fraction of correct
    predictions is plotted against the bin's mean confidence (DeGroot &
    Fienberg 1983, The Statistician 32, 12; Guo et al. 2017, ICML). A
    calibrated classifier lies on the diagonal; below it, it is
    over-confident. This is scikit-learn's
    :class:`~sklearn.calibration.CalibrationDisplay` applied to the binary
    problem "is the most probable class right?", with the expected
    calibration error (:func:`~spectra_sklearn.calibration.expected_calibration_error`)
    in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True classes.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities (``predict_proba``).
    labels : array-like of shape (n_classes,), default=None
        The class of each column (``estimator.classes_``); default the
        sorted distinct ``y_true``.
    n_bins : int, default=15
        Confidence bins over [0, 1].
    name : str, default=None
        Legend label (the ECE is appended); default ``"classifier"``.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.

    Returns
    -------
    display : sklearn.calibration.CalibrationDisplay
        With ``ax_``, ``line_``, ``prob_true`` (accuracy per non-empty bin)
        and ``prob_pred`` (mean confidence per bin); its ``y_prob`` is the
        confidence of every sample.

    Raises
    ------
    ValueError
        As :func:`~spectra_sklearn.calibration.expected_calibration_error`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from spectra_sklearn.plotting import plot_reliability_diagram
    >>> display = plot_reliability_diagram(["a", "b", "a"], [[0.9, 0.1], [0.3, 0.7],
    ...                                                       [0.4, 0.6]], n_bins=5)
    >>> display.line_.get_label()
    'classifier (ECE 0.333)'
    """
    correct, confidence = _top_label(y_true, y_proba, labels)
    ece = expected_calibration_error(y_true, y_proba, n_bins=n_bins, labels=labels)
    prob_true, prob_pred = calibration_curve(correct.astype(int), confidence, n_bins=n_bins,
                                             strategy="uniform", pos_label=1)
    ax = get_axes(ax)
    label = f"{name or 'classifier'} (ECE {ece:.3f})"
    display = CalibrationDisplay(prob_true, prob_pred, confidence, estimator_name=label,
                                 pos_label=1)
    display.plot(ax=ax, name=label, marker="o")
    ax.set_xlabel("confidence (highest class probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left")
    display.ece = ece
    return display
