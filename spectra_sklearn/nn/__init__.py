"""Neural-network estimators for spectra, built on skorch and PyTorch.

- :class:`SpectrumCNNClassifier` -- a 1-D convolutional network classifier.
"""

from ._cnn import SpectrumCNNClassifier

__all__ = ["SpectrumCNNClassifier"]
