"""Training curves from a skorch net's history."""

import numpy as np

from ._common import final_estimator, get_axes

__all__ = ["plot_training_history"]


def _history_of(source):
    """The list of per-epoch dicts behind an estimator, net or History."""
    estimator = final_estimator(source)
    if hasattr(estimator, "history_"):  # spectra_sklearn.nn estimators
        return list(estimator.history_)
    if hasattr(estimator, "history") and not isinstance(estimator, (list, tuple)):
        return list(estimator.history)  # a skorch net
    if isinstance(source, (list, tuple)) and all(isinstance(h, dict) for h in source):
        return list(source)  # a skorch History is a list of dicts
    raise TypeError(
        "plot_training_history takes a fitted spectra_sklearn.nn estimator (or a Pipeline "
        "ending in one), a skorch net, or its history (a list of per-epoch dicts); got "
        f"{type(source).__name__}."
    )


def plot_training_history(history, *, ax=None):
    """Plot the loss per epoch, and the validation accuracy when recorded.

    Reads skorch's per-epoch record: ``train_loss``, and with a validation
    split (``early_stopping=True`` in :mod:`spectra_sklearn.nn`)
    ``valid_loss`` and ``valid_acc``. The epoch of lowest validation loss (the
    weights kept by early stopping) is marked.

    Parameters
    ----------
    history : estimator, Pipeline, skorch net or skorch.History
        A fitted :mod:`spectra_sklearn.nn` estimator (its ``history_``), a
        Pipeline ending in one, a skorch net (its ``history``), or the
        history itself.
    ax : matplotlib.axes.Axes, default=None
        Axes for the losses; a new figure when ``None``.

    Returns
    -------
    ax_loss : matplotlib.axes.Axes
        The losses against the epoch.
    ax_accuracy : matplotlib.axes.Axes or None
        A twin axes (right-hand scale) with the validation accuracy, or
        ``None`` when none was recorded.

    Raises
    ------
    TypeError
        If ``history`` is none of the above.
    ValueError
        If the history has no epoch with a ``train_loss``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from spectra_sklearn.plotting import plot_training_history
    >>> history = [{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.1, "valid_acc": 0.5},
    ...            {"epoch": 2, "train_loss": 0.6, "valid_loss": 0.8, "valid_acc": 0.7}]
    >>> ax_loss, ax_accuracy = plot_training_history(history)
    >>> [line.get_label() for line in ax_loss.lines]
    ['train loss', 'validation loss', 'best validation loss']
    >>> ax_accuracy.lines[0].get_ydata().tolist()
    [0.5, 0.7]
    >>> plt.close("all")
    """
    rows = [h for h in _history_of(history) if "train_loss" in h]
    if not rows:
        raise ValueError("The history has no epoch with a 'train_loss': was the net trained?")
    epochs = np.array([h.get("epoch", i + 1) for i, h in enumerate(rows)])

    def column(key):
        return np.array([h.get(key, np.nan) for h in rows], dtype=np.float64)

    ax = get_axes(ax)
    ax.plot(epochs, column("train_loss"), "-o", ms=3, color="C0", label="train loss")
    valid_loss = column("valid_loss")
    if np.isfinite(valid_loss).any():
        ax.plot(epochs, valid_loss, "-o", ms=3, color="C1", label="validation loss")
        best = int(np.nanargmin(valid_loss))
        ax.plot(epochs[best], valid_loss[best], "*", ms=12, color="C1",
                label="best validation loss")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss")
    ax_accuracy = None
    valid_acc = column("valid_acc")
    if np.isfinite(valid_acc).any():
        ax_accuracy = ax.twinx()
        ax_accuracy.plot(epochs, valid_acc, "--", color="C2", label="validation accuracy")
        ax_accuracy.set_ylabel("Validation accuracy")
        ax_accuracy.set_ylim(0, 1.02)
        ax_accuracy.legend(loc="upper right", fontsize="small")
    ax.legend(loc="upper center", fontsize="small")
    return ax, ax_accuracy
