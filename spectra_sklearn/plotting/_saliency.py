"""Per-wavelength importance (gradient saliency) of a fitted CNN."""

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from ..nn._torch_utils import torch_threads
from ._common import get_axes, network_input, torch_module, wavelength_label

__all__ = ["plot_saliency", "saliency_map"]


def saliency_map(estimator, X, *, target="predicted"):
    """Gradient of a class score with respect to each pixel's flux.

    The vanilla gradient saliency of Simonyan, Vedaldi & Zisserman (2014):
    ``d logit_c / d flux_j`` for every spectrum and pixel, through the whole
    trained network (its input standardisation included), in evaluation mode.
    Large magnitudes mark the wavelengths where a small change of flux moves
    the class score most.

    Parameters
    ----------
    estimator : fitted :mod:`spectra_sklearn.nn` estimator or Pipeline ending in one
        A Pipeline's earlier steps (reading, resampling, normalising) transform
        ``X`` first; the gradient is with respect to their output, the
        network's input.
    X : SpectrumBatch or array-like of shape (n_spectra, n_pixels)
        Spectra as the estimator (or Pipeline) takes them.
    target : 'predicted', a class label, or array-like of shape (n_spectra,), default='predicted'
        The class whose score is differentiated: each spectrum's predicted
        class, one class for all, or one per spectrum (e.g. the true class).

    Returns
    -------
    saliency : ndarray of shape (n_spectra, n_pixels)
        Signed gradients, in logit per unit of the network's input flux.

    Raises
    ------
    TypeError
        If the estimator has no trained torch module (``net_.module_``).
    ValueError
        If ``target`` names a class the estimator does not know.

    References
    ----------
    .. [1] K. Simonyan, A. Vedaldi and A. Zisserman, "Deep inside
       convolutional networks: visualising image classification models and
       saliency maps", ICLR workshop (2014), arXiv:1312.6034.
    """
    final, X, _, _ = network_input(estimator, X)
    return _saliency(final, X, target)[0]


def _saliency(final, X, target):
    check_is_fitted(final)
    module = torch_module(final)
    classes = np.asarray(final.classes_)
    device = next(module.parameters()).device
    was_training = module.training
    flux = torch.tensor(X, dtype=torch.float32, device=device, requires_grad=True)
    try:
        module.eval()
        with torch.enable_grad(), torch_threads(getattr(final, "n_threads", None)):
            logits = module(flux)
            index = _target_index(target, classes, logits)
            score = logits.gather(1, torch.as_tensor(index, device=device)[:, None]).sum()
            # autograd.grad, not backward(): leaves the parameters' .grad alone
            (gradient,) = torch.autograd.grad(score, flux)
    finally:
        module.train(was_training)
    return gradient.detach().cpu().numpy().astype(np.float64), classes[index]


def _target_index(target, classes, logits):
    n = logits.shape[0]
    if isinstance(target, str) and target == "predicted":
        return logits.argmax(dim=1).cpu().numpy()
    labels = np.asarray(target)
    if labels.ndim == 0:
        labels = np.full(n, labels.item(), dtype=object)
    if labels.shape != (n,):
        raise ValueError(
            f"target must be 'predicted', one class label or one label per spectrum "
            f"({n}); got shape {labels.shape}."
        )
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    unknown = sorted({t for t in labels.tolist() if t not in lookup}, key=str)
    if unknown:
        raise ValueError(
            f"target holds labels {unknown!r} that are not among the estimator's classes "
            f"{classes.tolist()!r}."
        )
    return np.array([lookup[t] for t in labels.tolist()], dtype=np.int64)


def plot_saliency(estimator, X, *, target="predicted", show_spectrum=True, ax=None):
    """Plot the mean absolute saliency per wavelength, one curve per class.

    Computes :func:`saliency_map` and, for each class scored, averages
    ``|d logit / d flux|`` over the spectra scored for that class (with
    ``target='predicted'``: the spectra predicted as that class). The x axis
    is the wavelength grid of the network's input when known, else the pixel.

    Parameters
    ----------
    estimator : fitted :mod:`spectra_sklearn.nn` estimator or Pipeline ending in one
        See :func:`saliency_map`.
    X : SpectrumBatch or array-like of shape (n_spectra, n_pixels)
        Spectra as the estimator (or Pipeline) takes them.
    target : 'predicted', a class label, or array-like of shape (n_spectra,), default='predicted'
        See :func:`saliency_map`.
    show_spectrum : bool, default=True
        Draw the mean input spectrum in grey on a twin axis (right-hand
        scale) for orientation.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One line per class scored (``ax.lines``, labelled by class). The
        twin axes with the mean spectrum, if drawn, is ``ax.spectrum_ax``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from spectra_sklearn.nn import SpectrumCNNClassifier
    >>> from spectra_sklearn.plotting import plot_saliency
    >>> rng = np.random.default_rng(0)
    >>> centre = np.where(np.arange(40) % 2 == 0, 8, 24)
    >>> X = 1 - 0.5 * np.exp(-0.5 * ((np.arange(32) - centre[:, None]) / 2) ** 2)
    >>> X += rng.normal(0, 0.05, X.shape)
    >>> clf = SpectrumCNNClassifier(n_filters=4, n_blocks=2, max_epochs=10,
    ...                             random_state=0).fit(X, centre)
    >>> ax = plot_saliency(clf, X)
    >>> [line.get_label() for line in ax.lines]
    ['8', '24']
    >>> plt.close("all")
    """
    final, X, wavelength, unit = network_input(estimator, X)
    gradient, scored = _saliency(final, X, target)
    x = np.arange(X.shape[1]) if wavelength is None else wavelength
    ax = get_axes(ax)
    for k, label in enumerate(np.asarray(final.classes_).tolist()):
        rows = scored == label
        if rows.any():
            ax.plot(x, np.abs(gradient[rows]).mean(axis=0), color=f"C{k % 10}",
                    label=str(label))
    ax.set_xlabel(wavelength_label(unit))
    ax.set_ylabel("Mean |d logit / d flux|")
    ax.legend(loc="upper left", fontsize="small", title="class scored")
    ax.spectrum_ax = None
    if show_spectrum:
        ax.spectrum_ax = ax.twinx()
        ax.spectrum_ax.plot(x, X.mean(axis=0), color="0.6", lw=0.8, zorder=0)
        ax.spectrum_ax.set_ylabel("Mean input flux", color="0.4")
    return ax
