"""The latent space: what the network's last layer sees, projected to 2-D."""

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

from .._batch import SpectrumBatch
from ._common import get_axes, network_input, torch_module

__all__ = ["latent_features", "plot_latent_space"]


def latent_features(estimator, X):
    """The features a fitted network's last linear layer receives.

    Runs the network (in evaluation mode, without gradients) and records the
    input of its last :class:`torch.nn.Linear` layer -- for
    :class:`~spectra_sklearn.nn.SpectrumCNNClassifier` the pooled
    convolutional features, from which the class logits are a linear
    function.

    Parameters
    ----------
    estimator : fitted :mod:`spectra_sklearn.nn` estimator or Pipeline ending in one
        A Pipeline's earlier steps transform ``X`` first.
    X : SpectrumBatch or array-like of shape (n_spectra, n_pixels)
        Spectra as the estimator (or Pipeline) takes them.

    Returns
    -------
    features : ndarray of shape (n_spectra, n_features)

    Raises
    ------
    TypeError
        If the estimator has no trained torch module (``net_.module_``) or
        the module has no linear layer.
    """
    final, X, _, _ = network_input(estimator, X)
    check_is_fitted(final)
    module = torch_module(final)
    linear = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    if not linear:
        raise TypeError(f"The network {type(module).__name__} has no torch.nn.Linear layer.")
    captured = []
    hook = linear[-1].register_forward_hook(
        lambda _module, inputs, _output: captured.append(inputs[0].detach().cpu())
    )
    was_training = module.training
    device = next(module.parameters()).device
    try:
        module.eval()
        with torch.no_grad():
            module(torch.as_tensor(X, dtype=torch.float32, device=device))
    finally:
        hook.remove()
        module.train(was_training)
    return captured[0].numpy().astype(np.float64).reshape(len(X), -1)


def plot_latent_space(X, y=None, *, estimator=None, classes=None, ax=None):
    """Scatter the spectra in a 2-D latent space, coloured by class.

    The points are ``X`` itself when it has two columns (an embedding made
    elsewhere, e.g. UMAP or t-SNE), else its first two principal components
    (:class:`sklearn.decomposition.PCA`). With ``estimator``, ``X`` is first
    mapped to the network's latent features (:func:`latent_features`).

    Parameters
    ----------
    X : SpectrumBatch or array-like of shape (n_spectra, n_features)
        Spectra, features or a 2-D embedding.
    y : array-like of shape (n_spectra,), default=None
        Class of each point; ``None`` draws one colour.
    estimator : fitted :mod:`spectra_sklearn.nn` estimator or Pipeline, default=None
        Map ``X`` through this network's latent features first.
    classes : array-like, default=None
        Order of the classes (colours and legend); default sorted.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure when ``None``.

    Returns
    -------
    ax : matplotlib.axes.Axes
        One scatter collection per class (``ax.collections``); axis labels
        give the share of variance of each principal component.

    Raises
    ------
    ValueError
        If ``X`` has fewer than two features or ``y`` is not one label per
        point.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from spectra_sklearn.plotting import plot_latent_space
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (20, 5)), rng.normal(4, 1, (20, 5))])
    >>> ax = plot_latent_space(X, ["a"] * 20 + ["b"] * 20)
    >>> len(ax.collections), ax.get_xlabel().startswith("PC 1")
    (2, True)
    >>> plt.close("all")
    """
    if estimator is not None:
        Z = latent_features(estimator, X)
    else:
        Z = np.asarray(X if not isinstance(X, SpectrumBatch) else np.asarray(X),
                       dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] < 2:
        raise ValueError(
            f"plot_latent_space needs at least 2 features per point; got shape {Z.shape}."
        )
    labels = ("latent 1", "latent 2")
    if Z.shape[1] > 2:
        pca = PCA(n_components=2).fit(Z)
        Z = pca.transform(Z)
        labels = tuple(
            f"PC {i + 1} ({100 * r:.0f}% of variance)"
            for i, r in enumerate(pca.explained_variance_ratio_)
        )
    ax = get_axes(ax)
    if y is None:
        ax.scatter(Z[:, 0], Z[:, 1], s=12, alpha=0.7)
    else:
        y = np.asarray(y)
        if y.shape != (len(Z),):
            raise ValueError(f"y has shape {y.shape}; expected ({len(Z)},).")
        classes = np.unique(y).tolist() if classes is None else list(classes)
        for k, label in enumerate(classes):
            rows = y == label
            ax.scatter(Z[rows, 0], Z[rows, 1], s=12, alpha=0.7, color=f"C{k % 10}",
                       label=f"{label} (n={rows.sum()})")
        ax.legend(loc="best", fontsize="small")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    return ax
