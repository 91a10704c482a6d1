"""Helpers shared by the plotting functions: axes, pipelines, the network's input."""

import numpy as np
from sklearn.pipeline import Pipeline

from .._batch import SpectrumBatch

__all__ = []


def get_axes(ax):
    """``ax``, or the axes of a new figure when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(layout="constrained")
    return ax


def wavelength_label(unit):
    """Axis label for a wavelength grid in ``unit`` (``None``: pixels)."""
    if unit is None or str(unit) == "pix":
        return "Pixel"
    return f"Wavelength [{unit.to_string()}]"


def final_estimator(estimator):
    """The last step of a Pipeline, or the estimator itself."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def network_input(estimator, X):
    """Pass ``X`` through a pipeline's steps before its last one.

    Returns
    -------
    final : estimator
        The last step (or ``estimator``).
    X : ndarray of shape (n_spectra, n_pixels)
        What the last step receives, as float64.
    wavelength : ndarray of shape (n_pixels,) or None
        The common wavelength grid when ``X`` became a SpectrumBatch on one.
    unit : astropy unit or None
        Its unit.
    """
    if isinstance(estimator, Pipeline) and len(estimator) > 1:
        X = estimator[:-1].transform(X)
    wavelength = unit = None
    if isinstance(X, SpectrumBatch):
        if not X.on_common_grid:
            raise ValueError(
                "The network needs spectra on a common wavelength grid; these have "
                "their own grids. Pass resampled spectra, or a Pipeline whose steps "
                "resample them."
            )
        wavelength, unit = X.wavelength, X.wavelength_unit
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"Expected spectra of shape (n_spectra, n_pixels); got {X.shape}.")
    return final_estimator(estimator), X, wavelength, unit


def torch_module(estimator):
    """The fitted PyTorch module of a :mod:`spectra_sklearn.nn` estimator (``net_.module_``)."""
    module = getattr(getattr(estimator, "net_", None), "module_", None)
    if module is None:
        raise TypeError(
            "Expected a fitted spectra_sklearn.nn estimator (or a Pipeline ending in one) "
            f"with a trained network in net_.module_; got {type(estimator).__name__}"
            f"{'' if hasattr(estimator, 'net_') else ' without net_ (not fitted?)'}."
        )
    return module
