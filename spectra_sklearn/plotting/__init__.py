"""Plots for spectra and the classifiers trained on them (matplotlib).

Every function draws on ``ax=`` (or a new figure) and returns what it drew on,
so the caller can restyle, combine and save the figure:

- :func:`plot_spectra` -- spectra by class, with 1-sigma bands and masked pixels;
- :func:`plot_class_means` -- the mean spectrum of each class and its spread;
- :func:`plot_confusion_matrix` -- true against predicted classes (returns
  scikit-learn's ``ConfusionMatrixDisplay``);
- :func:`plot_training_history` -- loss and validation accuracy per epoch of a
  :mod:`spectra_sklearn.nn` estimator;
- :func:`plot_latent_space` -- spectra in 2-D: an embedding, principal
  components, or the network's :func:`latent_features`;
- :class:`ImageGridDisplay` -- images with predicted vs true class and
  probability, mistakes marked; :class:`ClassBalanceDisplay` -- the class
  imbalance as a bar chart (the confusion matrix of an image classifier is
  :func:`plot_confusion_matrix`);
- :func:`plot_reliability_diagram` -- accuracy against confidence, with the
  expected calibration error (returns scikit-learn's ``CalibrationDisplay``);
- :func:`plot_saliency` -- per-wavelength importance of a CNN
  (:func:`saliency_map`: gradient of the class score with respect to the flux).

Import matplotlib with a non-interactive backend (``matplotlib.use("Agg")``)
in scripts and tests, and close figures when done.
"""

from ._classification import plot_confusion_matrix
from ._images import ClassBalanceDisplay, ImageGridDisplay
from ._latent import latent_features, plot_latent_space
from ._reliability import plot_reliability_diagram
from ._saliency import plot_saliency, saliency_map
from ._spectra import plot_class_means, plot_spectra
from ._training import plot_training_history

__all__ = [
    "ClassBalanceDisplay",
    "ImageGridDisplay",
    "latent_features",
    "plot_class_means",
    "plot_confusion_matrix",
    "plot_latent_space",
    "plot_reliability_diagram",
    "plot_saliency",
    "plot_spectra",
    "plot_training_history",
    "saliency_map",
]
